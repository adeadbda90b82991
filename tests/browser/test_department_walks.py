"""A clerk of each lead department's area takes one of its demo assets to 销号 in chromium, through a method of that
area, every step by its own user on the page (issue 13's done-when): 自然资源局's land by 安排临时使用, 科农局's
instrument by 开放共享, 文体旅局's car park by 特许经营 and 民政局's old people's home by 委托运营 (公建民营). Each
closed case issues its signed documents and moves its department's yearly target on the dashboard. The forms and the
closed case are photographed at a desktop's width and at a phone's 390 px (artifacts/screenshots/<test>/).

These walks take minutes each, so `make test` leaves them out (marker `walk`); `make walk` runs them."""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from playwright.sync_api import expect

from assets.models import Asset
from assets.selectors import SupervisionScope
from supervision.dashboard import SQM_PER_HECTARE, Period, target_figures
from supervision.models import ReportKind, TargetMeasure
from workflows import methods

from .test_methods import approve, close, closed, open_task, photographed, sign_off_on_the_phone, verify
from .test_paths import (
    CLERK_OF,
    FINANCE,
    expect_documents,
    expect_state,
    main,
    pdf,
    report,
    reviewer_for,
    submit,
    today,
    window_closes,
)

pytestmark = [pytest.mark.browser, pytest.mark.walk, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SUPERVISOR = "xietiao_jd"


@dataclass
class Walk:
    code: str  # the demo asset
    method: str
    target: str  # the department's yearly target the closed case counts toward
    plan: dict[str, str] = field(default_factory=dict)  # the method's approved terms, by field name
    execute: dict[str, str] = field(default_factory=dict)  # its execution record (True: an uploaded PDF)
    recorded: str = ""  # what the closed case's execution record shows


def _walks() -> list[Walk]:
    starts = today()
    one_year, ten_years = starts + relativedelta(years=1, days=-1), starts + relativedelta(years=10, days=-1)
    money = {"fees": "0"}
    return [
        Walk(
            "MX-TUCHU-TD-0006", "temporary_use", "处置批而未供和闲置产业用地",
            plan={"temporary_user": "茂县凤仪镇农贸市场服务中心", "temporary_starts_on": starts.isoformat(),
                  "temporary_ends_on": one_year.isoformat()},
            execute={"temporary_purpose": "临时农贸集市", "temporary_fee": "24000", "contract_no": "茂临〔2026〕2号",
                     "contract_file": True, "received": "24000", "remitted": "24000", "receipt_no": "川财缴2026-01001",
                     "receipt_file": True, **money},
            recorded="茂县凤仪镇农贸市场服务中心",
        ),
        Walk(
            "MX-NONGFU-KY-0002", "open_sharing", "开放共享大型科研仪器",
            plan={"platform": "四川省大型科学仪器设备共享平台"},
            execute={"sharing_starts_on": starts.isoformat(), "fee_standard": "每机时200元", "custodian": "王建华",
                     "sharing_file": True},
            recorded="四川省大型科学仪器设备共享平台",
        ),
        Walk(
            "MX-DIEXI-JC-0002", "concession", "盘活景区和公用设施",
            plan={"procedure": "公开招标", "concession_starts_on": starts.isoformat(),
                  "concession_ends_on": ten_years.isoformat()},
            execute={"concessionaire": "茂县叠溪旅游服务有限公司", "concession_fee": "120000",
                     "contract_no": "茂特许〔2026〕3号", "contract_file": True, "received": "120000",
                     "remitted": "120000", "receipt_no": "川财缴2026-01002", "receipt_file": True, **money},
            recorded="茂县叠溪旅游服务有限公司",
        ),
        Walk(
            "MX-YANGLAO-GY-0001", "entrusted_ops", "盘活闲置养老机构",
            plan={"selection": "公开遴选", "ops_starts_on": starts.isoformat(),
                  "ops_ends_on": (starts + relativedelta(years=5, days=-1)).isoformat()},
            execute={"operator": "茂县康乐养老服务有限公司", "annual_fee": "36000", "contract_no": "茂养运〔2026〕1号",
                     "operation_file": True, "received": "36000", "remitted": "36000",
                     "receipt_no": "川财缴2026-01003", "receipt_file": True, **money},
            recorded="茂县康乐养老服务有限公司",
        ),
    ]  # fmt: skip


def fill(page, data: dict[str, str]) -> None:
    """The form's fields by their names, as a person fills them: a choice picked, a file chosen, text typed."""
    form = main(page).locator("form.ph-form").first
    for name, value in data.items():
        box = form.locator(f'[name="{name}"]')
        if not box.count():
            continue  # a field this method's form does not ask for (its evidence is named differently)
        tag, kind = box.first.evaluate("e => [e.tagName, e.type]")
        if kind == "file":
            box.first.set_input_files(pdf(f"{name}.pdf"))
        elif tag == "SELECT":
            box.first.select_option(label=value)
        else:
            box.first.fill(value)


def evidence(page) -> None:
    """Every evidence field the execution form asks for, each given its PDF."""
    for box in main(page).locator('form.ph-form input[type="file"][required]').all():
        box.set_input_files(pdf("证明材料.pdf"))


def target_achieved(name: str) -> tuple[Decimal, str]:
    """The target's progress this year as of the clock's day, and what it measures."""
    day = timezone.localdate()
    period = Period.containing(ReportKind.MONTHLY, day)
    [row] = [t for t in target_figures(SupervisionScope("county"), period, today=day) if t["name"] == name]
    return row["achieved"], row["measure"]


def gain(asset: Asset, measure: str) -> Decimal:
    """What one closed case of the asset adds to a target of this measure."""
    area = asset.area_m2 or Decimal(0)
    return {TargetMeasure.AREA_HA: area / SQM_PER_HECTARE, TargetMeasure.AREA_SQM: area}.get(measure, Decimal(1))


@pytest.mark.parametrize("walk", _walks(), ids=lambda w: w.method)
def test_a_departments_asset_reaches_销号_by_a_method_of_its_area(county, clock, walk):
    asset = Asset.objects.select_related("holding_unit", "category", "subtype").get(code=walk.code)
    spec = methods.get(walk.method)
    clerk = CLERK_OF[asset.holding_unit.name]
    problems: list[str] = []

    case_pk = report(county, asset)
    problems += sign_off_on_the_phone(county, asset, case_pk)
    problems += verify(county, asset, case_pk)
    window_closes(county, clock)  # 调剂优先: the board's window closes before a plan other than 调剂
    before, measure = target_achieved(walk.target)  # on the day the case goes on, and closes

    page = open_task(county, clerk, case_pk, "拟定处置方案")
    expect(main(page).locator(".ph-hints")).to_contain_text(spec.hint)
    page.locator('[name="method"]').select_option(walk.method)
    page.get_by_label("处置方案").fill(f"{spec.label}：{asset.name}。")
    fill(page, walk.plan)
    reason = page.get_by_label("未选调剂的理由")
    if reason.is_visible():  # asked of the methods that yield to the 调剂 board only
        reason.fill("公示期内无单位申请调剂。")
    minutes = page.locator('[name="minutes"]')
    if minutes.count():
        minutes.set_input_files(pdf("处置方案集体决策会议纪要.pdf"))
    problems += photographed(county, page, clerk, "clerk-plan-form", phone=False)
    submit(page, "提交处置方案", "处置方案已提交审核")

    reviewer = reviewer_for(asset)
    page = open_task(county, reviewer, case_pk, "主管部门审核方案")
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("意见", exact=True).fill(f"同意{spec.label}。")
    problems += photographed(county, page, reviewer, "reviewer-approve-form", phone=False)
    submit(page, "提交", "意见已提交")
    if main(page).locator(".ph-card h2 .ph-tag").first.inner_text() == "方案审批中":
        problems += approve(county, FINANCE, case_pk, "财政审批", "同意。", then="方案已批准", slug="finance-approve")

    page = open_task(county, clerk, case_pk, "执行处置")
    fill(page, walk.execute)
    evidence(page)
    page.get_by_label("说明", exact=True).fill(f"已按批准的方案{spec.label}。")
    problems += photographed(county, page, clerk, "clerk-result-form", phone=False)
    submit(page, "登记执行结果", "执行结果已登记")
    expect_state(page, "已执行，待销号")

    if spec.due_field:  # 收支两条线: finance confirms the money reached the treasury before 销号
        page = open_task(county, FINANCE, case_pk, "财政确认收入上缴")
        page.get_by_label("确认").check()
        page.get_by_label("说明").fill("已核对国库缴款凭证。")
        submit(page, "确认已上缴国库", "已确认收入上缴")
    page, more = close(county, case_pk, recorded=walk.recorded)
    problems += more
    expect_documents(county, page, case_pk, spec.document_title)

    # The department's yearly target counts the closed case, on the supervisors' dashboard too.
    after, _ = target_achieved(walk.target)
    assert after - before == pytest.approx(gain(asset, measure), abs=Decimal("0.01"))
    board = county.as_(SUPERVISOR)
    board.goto(county.url("/supervision/"))
    expect(board.locator("#targets")).to_contain_text(walk.target)
    problems += photographed(county, board, SUPERVISOR, "supervisor-dashboard", phone=False)

    case = closed(case_pk)
    assert case.method == walk.method
    assert problems == [], "\n".join(problems)
    assert county.problems == []
