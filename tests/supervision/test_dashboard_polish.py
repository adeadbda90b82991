"""The dashboard's parts and in-page nav, its charts' configuration (zero series left out, whole-number count axes),
the alert lists' .xlsx exports in each user's scope, and the 处置流程图 at a readable size."""

import datetime
import io
import json
import re
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from assets.models import UsageStatus
from audit.models import AuditEvent
from supervision.dashboard import LIST_LIMIT
from supervision.models import Target, TargetMeasure
from workflows.models import CaseState, DisposalCase
from workflows.services import case_report

from ..cases import as_, idle_evidence
from ..factories import AssetFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/supervision/dashboard/"


def idle_for_years(unit, code: str, years: int = 2):
    """An asset of `unit` idle for `years` and never reported: the 闲置未申报 alert lists it."""
    since = timezone.localdate() - datetime.timedelta(days=365 * years)
    return AssetFactory(holding_unit=unit, code=code, usage_status=UsageStatus.IDLE, idle_since=since)


def charts_of(response) -> dict:
    html = response.content.decode()
    found = re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found[1])


def export(client, key: str, **params):
    return client.get(reverse("supervision:alert_xlsx", args=[key]), params)


def sheet_rows(response) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(wb.active.iter_rows(values_only=True))


def table_of(rows: list[tuple], first_header: str) -> list[tuple]:
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    return [row for row in rows[start + 1 :] if row and row[0] is not None]


# -- the parts of the page ------------------------------------------------------------------------------------------


def test_the_dashboard_has_five_parts_reached_from_one_nav_with_the_overview_first(client, sam):
    client.force_login(sam)

    html = client.get(DASHBOARD).content.decode()

    start = html.index('id="dash-nav"')
    nav = html[start : html.index("</nav>", start)]
    assert re.findall(r'data-tab="(\w+)">([^<]+)<', nav) == [
        ("overview", "概览"), ("targets", "目标"), ("alerts", "预警"), ("proceeds", "收入"), ("progress", "进度"),
    ]  # fmt: skip
    panels = re.findall(r'data-panel="(\w+)"', html)
    assert panels == ["overview", "targets", "alerts", "proceeds", "progress"]
    # Each section sits in the part its link names; the overview holds the key figures and the stages only.
    positions = {name: html.index(f'id="tab-{name}"') for name in panels}

    def part_of(section_id):
        at = html.index(f'id="{section_id}"')
        return max((p, name) for name, p in positions.items() if p < at)[1]

    assert {s: part_of(s) for s in ("kpis", "stages", "categories")} == dict.fromkeys(
        ("kpis", "stages", "categories"), "overview"
    )
    assert part_of("targets-title") == part_of("completion") == "targets"
    assert part_of("alert-leases_expiring") == part_of("overdue") == "alerts"
    assert part_of("proceeds-title") == "proceeds"
    assert part_of("revitalized") == part_of("durations") == part_of("units") == "progress"


def test_the_proceeds_table_takes_the_whole_width_and_scrolls_in_its_card(client, sam):
    client.force_login(sam)

    html = client.get(DASHBOARD, {"year": "2026", "month": "11"}).content.decode()

    at = html.index('id="proceeds"')
    section = html[html.rindex("<section", 0, at) : html.index("</section>", at)]
    assert 'class="ph-card ph-dash--wide"' in section and '<div class="ph-scroll"><table' in section
    header = section[section.index("<thead>") : section.index("</thead>")]
    columns = re.findall(r"<th[^>]*>([^<]+)</th>", header)
    assert columns == ["盘活方式", "2026年11月（元）", "本年累计（元）", "应收", "实收", "上缴", "应收", "实收", "上缴",
                       "财政已确认"]  # fmt: skip
    assert "#proceeds table.ph-table { min-width: 760px; }" in html


# -- the charts -----------------------------------------------------------------------------------------------------


def test_targets_with_nothing_done_draw_no_line_and_are_named_in_a_note(client, sam, alice):
    year = timezone.localdate().year
    value = TargetMeasure.VALUE
    done = Target.objects.create(year=year, name="全县盘活资产原值", measure=value, amount=Decimal(100000))
    Target.objects.create(year=year, name="盘活闲置校舍", measure=TargetMeasure.AREA_SQM, amount=Decimal(5000))
    asset = AssetFactory(holding_unit=alice.organization, usage_status=UsageStatus.IDLE, original_value=Decimal(20000),
                         idle_since=timezone.localdate() - datetime.timedelta(days=800))  # fmt: skip
    idle_evidence(asset)
    case = case_report(actor=as_(alice), asset=asset, basis="idle", statement="闲置")
    DisposalCase.objects.filter(pk=case.pk).update(
        state=CaseState.CLOSED, closed_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    client.force_login(sam)

    response = client.get(DASHBOARD)

    targets = charts_of(response)["targets"]
    assert [s["label"] for s in targets["series"]] == [done.name]
    assert targets["empty"] == ["盘活闲置校舍"]
    html = response.content.decode()
    assert 'id="chart-targets"' in html
    assert "暂无数据" in html and "盘活闲置校舍" in html[html.index('id="targets-empty"') :]


def test_with_no_target_started_the_chart_is_left_out_and_the_table_stays(client, sam):
    Target.objects.create(
        year=timezone.localdate().year, name="盘活闲置校舍", measure=TargetMeasure.AREA_SQM, amount=Decimal(5000)
    )
    client.force_login(sam)

    response = client.get(DASHBOARD)

    assert charts_of(response)["targets"]["series"] == []
    html = response.content.decode()
    assert 'id="chart-targets"' not in html and 'id="targets-empty"' in html
    assert "<td>盘活闲置校舍</td>" in html


def test_count_axes_tick_in_whole_numbers(client, sam):
    client.force_login(sam)

    charts = charts_of(client.get(DASHBOARD))

    whole = {"beginAtZero": True, "ticks": {"precision": 0}}
    assert charts["stages"]["scales"]["y"] == whole
    assert charts["overdue"]["scales"]["x"] == whole  # horizontal bars: the count is on x
    assert charts["categories"]["scales"]["y"]["ticks"] == {"precision": 0}
    assert charts["revitalized"]["scales"]["y"]["ticks"] == {"precision": 0}
    assert "precision" not in json.dumps(charts["revitalized"]["scales"]["y1"])  # 万元: decimals are real
    script = client.get("/static/panhuo/dashboard.js")
    source = b"".join(script.streaming_content).decode()
    for name in ("data.stages.scales", "data.overdue.scales", "d.scales", "r.scales"):
        assert name in source  # the page's configuration is what the charts are drawn with


# -- the alert exports ----------------------------------------------------------------------------------------------


@pytest.fixture
def forgotten(school, town):
    """Two assets of the school and one of the town idle for years and never reported."""
    return {
        "school": [idle_for_years(school, "MX-YZ-OLD-1", 3), idle_for_years(school, "MX-YZ-OLD-2")],
        "town": [idle_for_years(town, "FY-OLD-1")],
    }


def test_an_alert_list_exports_the_rows_the_page_shows_with_chinese_headers(client, sam, forgotten):
    client.force_login(sam)
    page = client.get(DASHBOARD)
    shown = [r["asset_code"] for r in page.context["figures"]["alerts"]["idle_without_case"]["rows"]]
    link = reverse("supervision:alert_xlsx", args=["idle_without_case"])
    assert link in page.content.decode()

    response = export(client, "idle_without_case")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = unquote(response["Content-Disposition"].split("filename*=UTF-8''")[1])
    assert name.startswith("全县预警_闲置超过12个月未申报盘活_") and name.endswith(".xlsx")
    rows = sheet_rows(response)
    assert rows[0][0] == "预警：闲置超过12个月未申报盘活"
    assert "统计范围：全县" in rows[1][0] and "共 3 项" in rows[1][0]
    header = next(row for row in rows if row and row[0] == "序号")
    assert header[:6] == ("序号", "事项", "资产编号", "资产名称", "持有单位", "说明")
    table = table_of(rows, "序号")
    assert [r[2] for r in table] == shown == ["MX-YZ-OLD-1", "MX-YZ-OLD-2", "FY-OLD-1"]
    assert table[2][4] == "茂县凤仪镇人民政府" and table[0][5].startswith("已闲置")


def test_a_unit_clerk_exports_only_the_units_alerts_never_the_countys(client, alice, bob, forgotten):
    client.force_login(alice)

    alices = table_of(sheet_rows(export(client, "idle_without_case")), "序号")

    assert [r[2] for r in alices] == ["MX-YZ-OLD-1", "MX-YZ-OLD-2"]
    client.force_login(bob)
    rows = sheet_rows(export(client, "idle_without_case"))
    assert "统计范围：茂县凤仪镇人民政府" in rows[1][0]
    assert [r[2] for r in table_of(rows, "序号")] == ["FY-OLD-1"]


def test_a_department_exports_the_alerts_of_the_categories_it_leads_only(client, rita, hugo, forgotten):
    client.force_login(rita)  # 机关事务管理局: general equipment, which the computers are
    assert len(table_of(sheet_rows(export(client, "idle_without_case")), "序号")) == 3
    client.force_login(hugo)  # 住建局: buildings, none here
    assert table_of(sheet_rows(export(client, "idle_without_case")), "序号") == []


def test_the_export_holds_every_row_where_the_page_lists_the_first_ones(client, sam, school):
    for n in range(LIST_LIMIT + 2):
        idle_for_years(school, f"MX-MANY-{n:03d}")
    client.force_login(sam)

    page = client.get(DASHBOARD)
    rows = table_of(sheet_rows(export(client, "idle_without_case")), "序号")

    assert len(page.context["figures"]["alerts"]["idle_without_case"]["rows"]) == LIST_LIMIT
    assert len(rows) == LIST_LIMIT + 2 and rows[-1][0] == LIST_LIMIT + 2


def test_every_alert_export_is_on_the_audit_trail(client, sam, forgotten):
    client.force_login(sam)

    export(client, "idle_without_case")

    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.ip) == (sam, "127.0.0.1")
    assert event.data == {"what": "alerts", "alert": "idle_without_case", "format": "xlsx", "scope": "全县", "rows": 3}
    client.force_login(sam)
    trail = client.get("/supervision/trail/").content.decode()
    assert '<span class="ph-muted">导出内容：</span>预警清单' in trail


@pytest.mark.parametrize(
    "key", ["leases_expiring", "rent_arrears", "appraisals_expiring", "batch_splitting", "follow_ups_due"]
)
def test_every_alert_list_exports_even_when_empty(client, sam, key):
    client.force_login(sam)

    response = export(client, key)

    assert response.status_code == 200
    rows = sheet_rows(response)
    assert rows[0][0].startswith("预警：") and "共 0 项" in rows[1][0]
    assert table_of(rows, "序号") == []


def test_an_unknown_alert_is_a_404_and_a_wrong_period_a_400_and_nothing_is_exported(client, sam):
    client.force_login(sam)

    assert export(client, "nonsense").status_code == 404
    response = export(client, "batch_splitting", year="2026", month="13")

    assert response.status_code == 400 and "参数有误，未导出：月份须为1至12的数字。" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_user_without_a_supervision_scope_may_not_export_an_alert(client, school, forgotten):
    client.force_login(UserFactory(username="nobody", organization=school, roles=[]))

    assert export(client, "idle_without_case").status_code == 403
    client.logout()
    assert export(client, "idle_without_case").status_code in (302, 403)
    assert not AuditEvent.objects.filter(action="export").exists()


# -- the flow chart -------------------------------------------------------------------------------------------------


def test_the_flow_chart_is_shown_at_its_own_size_so_its_labels_are_12px_or_more(client, sam):
    client.force_login(sam)

    page = client.get(reverse("cases:flow_chart")).content.decode()
    svg = client.get(reverse("cases:chart")).content.decode()

    width, height = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups()
    img = re.search(r"<img [^>]*alt=\"处置流程图\"[^>]*>", page)[0]
    assert f'width="{width}"' in img and f'height="{height}"' in img and "max-width" not in img
    assert '<div class="ph-flow-chart">' in page  # the box scrolls on a narrow window
    sizes = {int(s) for s in re.findall(r'font-size="(\d+)px"', svg)}
    assert sizes and min(sizes) >= 12  # drawn at 1 SVG unit per pixel
