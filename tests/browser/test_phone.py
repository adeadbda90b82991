"""Every role's daily pages on a 390 px phone (issue 12 §6, §7): the demo county with cases at the steps people meet,
walked through the real URLs (tests/workflows/test_flow_urls.py, evidence from tests/cases.py); each person opens
their pages at a desktop's and at a phone's size (a screenshot of each, $PANHUO_SCREENSHOTS/<test>/), and no page is
wider than the screen: wide tables scroll inside their own box, and the inbox's 办理 button is on screen."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.test import Client

from assets.models import Asset, Organization, UsageStatus
from demo.county import HOLDING_UNITS
from workflows.flows import DisposalFlow

from ..cases import idle_evidence
from ..workflows.test_flow_urls import do, verified_via_urls
from ..workflows.test_flow_urls import report as report_via_urls
from .conftest import PHONE
from .test_paths import idle_asset, main, reviewer_for, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FINANCE = "caizheng_sp"
SUPERVISOR = "shenji_jd"
CLERK_OF = {spec.name: f"{spec.key}_jb" for spec in HOLDING_UNITS}
HEAD_OF = {spec.name: f"{spec.key}_fzr" for spec in HOLDING_UNITS}

# What makes a page wider than the screen, for the failure message: the innermost elements that are wider than it
# themselves, or that start on it and end past it, outside any box that scrolls or clips. The screen is the viewport
# the context was given: a phone's browser zooms out to show a page wider than the screen, and then reports that
# page's width as its innerWidth.
OVERFLOW = """(width) => {
    if (document.documentElement.scrollWidth <= width && window.innerWidth <= width) return null;
    const sticksOut = (e) => { const box = e.getBoundingClientRect(); return box.width > 0 && box.right > width + 1; };
    const clipped = (e) => {
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
            if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) return true;
        }
        return false;
    };
    const out = [];
    for (const e of document.querySelectorAll('.vf-page__body *')) {
        if (!sticksOut(e) || clipped(e) || [...e.children].some(sticksOut)) continue;
        const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
            [...e.classList].map((c) => '.' + c).join('');
        const box = e.getBoundingClientRect();
        out.push(`${name} (${Math.round(box.left)}–${Math.round(box.right)} px): ${e.textContent.trim().slice(0, 30)}`);
    }
    return {scrollWidth: document.documentElement.scrollWidth, width, culprits: out.slice(0, 6)};
}"""


# A page is measured once it is drawn: the dashboard's charts (Chart.js, sized to their cards) after its markup.
DRAWN = {"/supervision/dashboard/": "() => window.Chart && Object.keys(Chart.instances).length > 3"}


def user(username: str):
    return get_user_model().objects.get(username=username)


def open_page(county, username: str, path: str, *, name: str, ready: str = ".ph-page") -> list[str]:
    """Opens `path` as `username` on a desktop and on a phone, photographs both, and says how the phone's page
    overflows its screen (nothing when it fits)."""
    problems = []
    for phone in (False, True):
        page = county.as_(username, phone=phone)
        response = page.goto(county.url(path))
        assert response.status == 200, f"{username} {path}: HTTP {response.status}"
        page.locator(ready).first.wait_for()
        if path in DRAWN:
            page.wait_for_function(DRAWN[path], polling="raf")
        county.shot(page, f"{name}-{'phone' if phone else 'desktop'}")
        overflow = page.evaluate(OVERFLOW, page.viewport_size["width"])
        if overflow:
            size = "phone" if phone else "desktop"
            problems.append(f"{username} {path} ({size}): {overflow['scrollWidth']} px wide in {overflow['width']} px")
            problems += [f"    {culprit}" for culprit in overflow["culprits"]]
    return problems


def fits_on_screen(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.fixture
def desk(county):
    """Cases at the steps people meet, of idle equipment held by one unit (lead department 机关事务管理局), each
    walked through the real URLs by the people who hold its steps: one reported and signed off (the reviewer's
    核查认定), one verified with its board window open (调剂平台, and a 拟定处置方案 for the clerk), one verified a
    window ago and planned and approved (the clerk's 执行处置)."""
    idle = Asset.objects.filter(category__code="general_equipment", usage_status=UsageStatus.IDLE)
    busiest = idle.values("holding_unit").annotate(n=Count("pk")).order_by("-n")[0]["holding_unit"]
    unit = Organization.objects.get(pk=busiest)
    assets = [idle_asset(category__code="general_equipment", holding_unit=unit) for _ in range(1)]
    clerk, head = user(CLERK_OF[unit.name]), user(HEAD_OF[unit.name])
    reviewer = user(reviewer_for(assets[0]))
    client = Client()

    def next_asset():
        asset = idle_asset(category__code="general_equipment", holding_unit=unit)
        idle_evidence(asset)
        return asset

    submitted = report_via_urls(client, clerk, next_asset())
    do(client, head, submitted, DisposalFlow.sign_off, {"opinion": "同意申报"})
    listed = verified_via_urls(client, next_asset(), clerk, head, reviewer)
    executing = verified_via_urls(client, next_asset(), clerk, head, reviewer, window_closed=True)
    do(client, clerk, executing, DisposalFlow.plan, {"method": "scrap", "summary": "主板损坏，无维修价值"})
    do(client, reviewer, executing, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意报废"})
    return {
        "unit": unit, "reviewer": reviewer.username, "submitted": submitted, "listed": listed, "executing": executing,
    }  # fmt: skip


def inbox_execute_link(county, username: str, title: str):
    """我的待办 on the phone: the row of the task `title` and its 办理 button, claimed from 待认领 first if need be."""
    page = county.as_(username, phone=True)
    page.goto(county.url("/cases/inbox/"))
    row = main(page).locator("tbody tr", has_text=title)
    if not row.count():
        page.goto(county.url("/cases/queue/"))
        main(page).locator("tbody tr", has_text=title).first.get_by_role("button", name="认领").click()
        wait_for_text(page, ".ph-page .ph-card h2", title, exact=True)
        page.goto(county.url("/cases/inbox/"))
        row = main(page).locator("tbody tr", has_text=title)
    return page, row.first.get_by_role("link", name="办理")


def pages_fit(county, username: str, pages: list[tuple[str, str]], tasks: tuple[tuple[str, str], ...] = ()) -> None:
    """`username` opens each (path, name) of `pages`, then 我的待办 and each (title, name) of `tasks` by its 办理
    button (on screen on the phone); none of them is wider than the screen."""
    problems = []
    for path, name in pages:
        problems += open_page(county, username, path, name=name)
    for title, name in tasks:
        page, button = inbox_execute_link(county, username, title)
        if not fits_on_screen(page, button):
            problems.append(f"{username} /cases/inbox/: the 办理 of {title} is off the phone's screen")
        href = button.get_attribute("href")
        problems += open_page(county, username, "/cases/inbox/", name="inbox")
        problems += open_page(county, username, href, name=name)
    assert not problems, "\n".join(problems)
    assert not county.problems, county.problems


def common(desk) -> list[tuple[str, str]]:
    case = desk["listed"]
    return [
        ("/", "home"),
        ("/register/", "ledger"),
        (f"/register/{case.asset_id}/", "asset"),
        (f"/cases/{desk['executing'].pk}/", "case"),
        ("/board/", "board"),
    ]


def test_a_clerk_reports_plans_and_executes_on_a_phone(county, desk):
    clerk = CLERK_OF[desk["unit"].name]
    pages_fit(
        county,
        clerk,
        [*common(desk), ("/register/import/", "import")],
        tasks=(("拟定处置方案", "plan-form"), ("执行处置", "execute-form")),
    )


def test_a_unit_head_reads_the_ledger_and_the_cases_on_a_phone(county, desk):
    pages_fit(county, HEAD_OF[desk["unit"].name], [*common(desk), ("/cases/inbox/", "inbox")])


def test_a_reviewer_verifies_on_a_phone(county, desk):
    pages_fit(county, desk["reviewer"], common(desk), tasks=(("主管部门核查认定", "verify-form"),))


def test_finance_reads_the_cases_the_dashboard_and_the_trail_on_a_phone(county, desk):
    trail = f"/supervision/trail/?case={desk['executing'].pk}"
    pages_fit(
        county,
        FINANCE,
        [*common(desk), ("/cases/inbox/", "inbox"), ("/supervision/dashboard/", "dashboard"), (trail, "trail")],
    )


def test_a_supervisor_reads_the_dashboard_and_the_trail_on_a_phone(county, desk):
    pages = [
        *common(desk),
        ("/supervision/dashboard/", "dashboard"),
        ("/supervision/trail/", "trail"),
        (f"/supervision/trail/?case={desk['executing'].pk}", "case-trail"),
    ]
    pages_fit(county, SUPERVISOR, pages)


def test_the_administrator_s_pages_fit_a_phone(county, desk):
    pages_fit(county, "admin", [("/", "home"), ("/register/", "ledger"), ("/cases/inbox/", "inbox")])


def test_a_page_wider_than_the_phone_is_caught_with_what_sticks_out(county):
    # The measure itself: a ledger with a 600 px wide block in it is too wide for the phone, and says which block.
    page = county.as_("admin", phone=True)
    page.goto(county.url("/register/"))
    assert page.evaluate(OVERFLOW, PHONE["width"]) is None
    page.evaluate("""() => { const wide = document.createElement('div');
        wide.id = 'too-wide'; wide.style.width = '600px'; wide.textContent = '过宽的内容';
        document.querySelector('.ph-page').append(wide); }""")
    overflow = page.evaluate(OVERFLOW, PHONE["width"])
    assert overflow["scrollWidth"] > PHONE["width"]
    assert [c for c in overflow["culprits"] if c.startswith("div#too-wide")], overflow
