"""The 月调度 / 季评估 dashboard, its targets and alerts, scoped per user, and its .xlsx and signed PDF exports."""

import datetime
import io
import re
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import Asset, CategorySubtype, Organization, OrganizationKind, Role, UsageStatus
from assets.selectors import SupervisionScope, supervision_scope
from audit.models import AuditEvent
from contracts.arrears import grace_ends_on
from documents.models import Document, DocumentStatus
from documents.signing import verify_pdf
from supervision.dashboard import (
    Period,
    PeriodError,
    dashboard_figures,
    elapsed_share,
    overdue_figures,
    step_duration_figures,
)
from supervision.models import ReportKind, SupervisionReport, Target, TargetMeasure
from workflows import methods
from workflows.flows import DisposalFlow
from workflows.models import CaseState, DisposalCase, DisposalMethod, ExecutionRecord, Policy, Step
from workflows.services import (
    case_close,
    case_propose,
    case_record_execution,
    case_report,
    case_review,
    case_start_execution,
    listing_apply,
)

from ..cases import as_, case_at, fetch, idle_evidence, lease_record, two_years_ago, verified
from ..clock import years_after
from ..factories import AssetFactory, OrganizationFactory, UserFactory, category

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
MARCH = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
APRIL = datetime.datetime(2026, 4, 15, 10, 0, tzinfo=TZ)
APRIL_20 = datetime.date(2026, 4, 20)
APRIL_REPORT = Period(ReportKind.MONTHLY, 2026, 4)
COUNTY = SupervisionScope("county")


@pytest.fixture(autouse=True)
def clock():
    """The figures are checked for fixed months of 2026 (its targets, March, April, the second quarter): this module
    starts every test on 2026-11-18, whatever PANHUO_TEST_CLOCK says, and travels to those months from there."""
    with time_machine.travel(datetime.datetime(2026, 11, 18, 10, tzinfo=TZ), tick=True) as traveller:
        yield traveller


def close_a_lease(building, alice, henry, hugo, fiona, fred, when=MARCH) -> DisposalCase:
    """The building leased for 52,000 元 a year from `when`, its rent remitted and the case closed that day."""
    with time_machine.travel(when, tick=False):
        today = when.date()
        record = lease_record(lease_starts_on=today, lease_ends_on=years_after(today, 3))
        return case_at(
            CaseState.CLOSED, building, method="lease", clerk=alice, head=henry, reviewer=hugo, finance=fiona,
            confirmer=fred, record=record,
        )  # fmt: skip


def close_a_reallocation(computer, alice, henry, rita, bob, fiona, town, when=APRIL) -> DisposalCase:
    """The computer handed over to 凤仪镇 and closed on `when`: it leaves the school's ledger for the town's."""
    with time_machine.travel(when, tick=False):
        case = verified(computer, alice, henry, rita)
        listing_apply(actor=as_(bob), case=case, reason="便民服务中心缺少电脑")
        case = case_propose(
            actor=as_(alice), case=case, method="reallocate", summary="调剂给凤仪镇", receiving_unit=town
        )
        case = case_review(actor=as_(rita), case=case, approve=True, opinion="同意")
        record = {"handover_on": when.date(), "handover_list": "主机1台"}
        case = case_start_execution(actor=as_(alice), case=case, record=record)
        case = case_record_execution(actor=as_(bob), case=case)
        return case_close(actor=as_(fiona), case=case)


def targets(year=2026) -> dict[str, Target]:
    """A building area target, a county-wide value target, a county enterprises' target and a department's count."""
    jiguan = Organization.objects.get(name="茂县机关事务管理局")
    rows = [
        ("盘活工业园区闲置厂房", category("building"), "", None, TargetMeasure.AREA_SQM, "100000"),
        ("全县盘活资产原值", None, "", None, TargetMeasure.VALUE, "1000000"),
        ("盘活国有企业闲置资产", None, OrganizationKind.STATE_ENTERPRISE, None, TargetMeasure.AREA_SQM, "29000"),
        ("盘活闲置办公设备", category("general_equipment"), "", jiguan, TargetMeasure.COUNT, "10"),
    ]
    return {
        name: Target.objects.create(year=year, name=name, category=cat, unit_kind=kind, lead_department=lead,
                                    measure=measure, amount=Decimal(amount))
        for name, cat, kind, lead, measure, amount in rows
    }  # fmt: skip


@pytest.fixture
def county(building, computer, alice, henry, hugo, rita, bob, fiona, fred, town):
    """A small known county: the building leased and closed in March, the computer reallocated and closed in April."""
    lease = close_a_lease(building, alice, henry, hugo, fiona, fred)
    reallocation = close_a_reallocation(computer, alice, henry, rita, bob, fiona, town)
    return {"lease": lease, "reallocation": reallocation, "targets": targets()}


def by_name(rows, name):
    return next(r for r in rows if r["name"] == name)


# -- periods --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "year", "number", "message"),
    [
        ("monthly", "2026", "13", "月份须为1至12的数字。"),
        ("quarterly", "2026", "0", "季度须为1至4的数字。"),
        ("quarterly", "2026", "5", "季度须为1至4的数字。"),
        ("monthly", "二〇二六", "3", "年度须为四位数字，如 2026。"),
        ("weekly", "2026", "3", "报告类型须为“月调度”或“季评估”。"),
    ],
)
def test_a_period_that_does_not_exist_is_refused_with_a_chinese_message(kind, year, number, message):
    with pytest.raises(PeriodError) as exc:
        Period.parse(kind, year, number)
    assert exc.value.message == message


def test_a_quarter_spans_its_three_months_and_a_month_its_own():
    q3 = Period.parse("quarterly", "2026", "3")
    assert (q3.start, q3.end, q3.label) == (datetime.date(2026, 7, 1), datetime.date(2026, 10, 1), "2026年第三季度")
    nov = Period.parse("monthly", 2026, 11)
    assert (nov.start, nov.end, nov.label, nov.quarter) == (datetime.date(2026, 11, 1), datetime.date(2026, 12, 1),
                                                             "2026年11月", 4)  # fmt: skip


# -- the figures of a small known county --------------------------------------------------------------------------


def test_closed_cases_count_as_revitalized_in_the_month_of_their_closure(county):
    figures = dashboard_figures(COUNTY, APRIL_REPORT, APRIL_20)

    revitalized = figures["revitalized"]
    assert [m["n"] for m in revitalized["months"]] == [0, 0, 1, 1]
    assert revitalized["months"][2]["area_m2"] == Decimal("860.00")
    assert revitalized["months"][2]["value"] == Decimal("3600000.00")
    assert revitalized["period"] == {"n": 1, "area_m2": Decimal("0"), "value": Decimal("6500.00")}
    assert revitalized["ytd"] == {"n": 2, "area_m2": Decimal("860.00"), "value": Decimal("3606500.00")}
    # By method, each counted as its declaration says: a lease is 盘活, and so is a 调剂 (in use again elsewhere).
    assert [(r["label"], r["tally"], r["n"], r["period_n"]) for r in revitalized["by_method"]] == [
        ("调剂", "盘活", 1, 1), ("出租出借", "盘活", 1, 0),
    ]  # fmt: skip
    assert revitalized["by_tally"] == {"revitalized": 2, "disposed": 0}


def test_progress_against_the_yearly_targets_is_cumulative_by_month(county):
    rows = dashboard_figures(COUNTY, APRIL_REPORT, APRIL_20)["targets"]

    factory = by_name(rows, "盘活工业园区闲置厂房")
    assert factory["cumulative"] == [Decimal("0.00"), Decimal("0.00"), Decimal("860.00"), Decimal("860.00")]
    assert (factory["achieved"], factory["percent"], factory["achieved_text"]) == (
        Decimal("860.00"), Decimal("0.9"), "860.00 m²",
    )  # fmt: skip
    assert factory["pace"] == Decimal("30136.99") and factory["behind"]  # 序时进度: 110 of 365 days by 20 April
    value = by_name(rows, "全县盘活资产原值")
    assert (value["achieved"], value["percent"], value["behind"]) == (Decimal("3606500.00"), Decimal("360.7"), False)
    assert by_name(rows, "盘活国有企业闲置资产")["achieved"] == Decimal("0.00")  # a school is not a county enterprise
    equipment = by_name(rows, "盘活闲置办公设备")
    assert (equipment["achieved"], equipment["period_achieved"], equipment["percent"]) == (
        Decimal("1.00"), Decimal("1.00"), Decimal("10.0"),
    )  # fmt: skip


def test_a_target_in_hectares_counts_land_area_in_hectares(school, alice, henry, fiona):
    land = AssetFactory(holding_unit=school, category=category("land"), subtype=None, area_m2=Decimal("25000"),
                        original_value=Decimal("900000"), net_value=Decimal("900000"), usage_status="idle",
                        idle_since=two_years_ago())  # fmt: skip
    idle_evidence(land)
    case = case_report(actor=as_(alice), asset=land, basis="idle", statement="闲置")
    when = datetime.datetime(2026, 2, 3, 9, tzinfo=TZ)
    DisposalCase.objects.filter(pk=case.pk).update(state=CaseState.CLOSED, closed_at=when, method="auction")
    Target.objects.create(year=2026, name="处置闲置产业用地", category=category("land"),
                          measure=TargetMeasure.AREA_HA, amount=Decimal("20"))  # fmt: skip

    (row,) = dashboard_figures(COUNTY, Period(ReportKind.QUARTERLY, 2026, 1), datetime.date(2026, 3, 31))["targets"]

    assert (row["achieved"], row["achieved_text"], row["percent"]) == (Decimal("2.50"), "2.50 公顷", Decimal("12.5"))
    assert row["cumulative"] == [Decimal("0.00"), Decimal("2.50"), Decimal("2.50")]


def test_proceeds_and_rent_fall_in_the_month_the_execution_was_recorded(county):
    march = dashboard_figures(COUNTY, Period(ReportKind.MONTHLY, 2026, 3), APRIL_20)["proceeds"]
    lease = next(r for r in march["rows"] if r["method"] == DisposalMethod.LEASE)
    assert lease["period"] == {
        "n": 1, "amount_due": Decimal("52000.00"), "amount_received": Decimal("52000.00"),
        "amount_remitted": Decimal("52000.00"), "amount_confirmed": Decimal("52000.00"),
    }  # fmt: skip

    april = dashboard_figures(COUNTY, APRIL_REPORT, APRIL_20)["proceeds"]
    assert april["period_total"]["amount_received"] == Decimal("0")
    assert april["ytd_total"]["amount_remitted"] == Decimal("52000.00")
    # Every method that earns money has its row (调剂 earns nothing), as the registry declares them.
    assert {r["method"] for r in april["rows"]} == {m.code for m in methods.all_methods() if m.earns_money}
    assert {"lease", "auction", "scrap", "entrusted_ops"} <= {r["method"] for r in april["rows"]}


def test_the_ledger_is_counted_by_category_stage_and_unit(county, school, town):
    figures = dashboard_figures(COUNTY, APRIL_REPORT, APRIL_20)

    ledger = figures["ledger"]
    assert {r["code"]: r["total"] for r in ledger["categories"]} == {"building": 1, "general_equipment": 1}
    assert {r["status"]: r["n"] for r in figures["stages"]["assets"]} == {
        "in_use": 1, "in_case": 0, "revitalized": 1, "disposed": 0,
    }  # fmt: skip
    units = {r["name"]: r for r in ledger["units"]}
    assert units[school.name]["total"] == 1 and units[town.name]["total"] == 1  # the computer moved to the town


def test_each_units_closure_and_revitalization_rates_are_ranked(county, school, alice):
    open_case = case_report(actor=as_(alice), asset=idle_asset(school), basis="idle", statement="闲置")
    DisposalCase.objects.filter(pk=open_case.pk).update(state=CaseState.VERIFIED, verified_at=APRIL)

    rows = dashboard_figures(COUNTY, APRIL_REPORT, APRIL_20)["completion"]["rows"]

    school_row = by_name(rows, school.name)
    assert (school_row["verified"], school_row["closed"], school_row["closure_rate"]) == (3, 2, Decimal("66.7"))
    # 2 revitalized, 1 still idle (the one in its case): 2 / 3
    assert (school_row["revitalized"], school_row["pending"]) == (2, 1)
    assert school_row["revitalization_rate"] == Decimal("66.7") and school_row["rank"] == 1


def test_a_case_closed_after_the_quarter_does_not_count_for_it(county, school):
    q1 = dashboard_figures(COUNTY, Period(ReportKind.QUARTERLY, 2026, 1), APRIL_20)
    school_row = by_name(q1["completion"]["rows"], school.name)
    assert (school_row["verified"], school_row["closed"]) == (1, 1)  # the computer was verified in April
    assert q1["revitalized"]["ytd"]["n"] == 1


# -- time --------------------------------------------------------------------------------------------------------------


def test_overdue_steps_are_grouped_by_the_organization_whose_task_it_is(building, computer, alice, henry, fiona,
                                                                        finance_bureau):  # fmt: skip
    at_department = case_report(actor=as_(alice), asset=building, basis="idle", statement="闲置")
    at_finance = case_report(actor=as_(alice), asset=computer, basis="idle", statement="闲置")
    on_time = case_report(actor=as_(alice), asset=idle_asset(alice.organization), basis="idle", statement="闲置")
    today = datetime.date(2026, 5, 20)
    DisposalCase.objects.filter(pk=at_department.pk).update(
        state=CaseState.SUBMITTED, current_step=Step.VERIFY, step_due_on=datetime.date(2026, 5, 10)
    )
    DisposalCase.objects.filter(pk=at_finance.pk).update(
        state=CaseState.PLAN_SUBMITTED, current_step=Step.FINANCE_APPROVE, step_due_on=datetime.date(2026, 5, 18)
    )
    DisposalCase.objects.filter(pk=on_time.pk).update(current_step=Step.SIGN_OFF, step_due_on=today)

    overdue = overdue_figures(COUNTY, today)

    assert overdue["total"] == 2
    assert {r["name"]: (r["n"], r["days"]) for r in overdue["by_organization"]} == {
        "茂县住房和城乡建设局": (1, 10),
        finance_bureau.name: (1, 2),
    }
    assert [c["case_id"] for c in overdue["cases"]] == [at_department.pk, at_finance.pk]


def test_average_days_per_step_come_from_the_tasks_finished_in_the_period(computer, alice):
    case = case_report(actor=as_(alice), asset=computer, basis="idle", statement="闲置")

    def task(node, created, days):
        created = datetime.datetime(*created, 9, tzinfo=TZ)
        return Task.objects.create(process=case, flow_task=node, flow_task_type="HUMAN", status=STATUS.DONE,
                                   created=created, finished=created + datetime.timedelta(days=days))  # fmt: skip

    task(DisposalFlow.verify, (2026, 4, 1), 3)
    task(DisposalFlow.verify, (2026, 4, 10), 5)
    task(DisposalFlow.sign_off, (2026, 4, 2), 1)
    task(DisposalFlow.verify, (2026, 3, 1), 20)  # finished in March: not April's

    rows = step_duration_figures(COUNTY, APRIL_REPORT)

    assert [(r["label"], r["n"], r["days"]) for r in rows] == [
        ("单位负责人签发", 1, Decimal("1.0")),
        ("主管部门核查认定", 2, Decimal("4.0")),
    ]


# -- alerts ------------------------------------------------------------------------------------------------------------


def idle_asset(unit, **fields):
    fields = {"holding_unit": unit, "usage_status": UsageStatus.IDLE, "idle_since": two_years_ago(), **fields}
    asset = AssetFactory(**fields)
    idle_evidence(asset)
    return asset


def crafted(clerk, *, record: dict | None = None, **case_fields) -> DisposalCase:
    """A case of a new idle asset of the clerk's unit, put straight into the state the test needs."""
    asset = idle_asset(clerk.organization, **case_fields.pop("asset", {}))
    case = case_report(actor=as_(clerk), asset=asset, basis="idle", statement="闲置")
    DisposalCase.objects.filter(pk=case.pk).update(**case_fields)
    if record is not None:
        ExecutionRecord.objects.create(case=case, **record)
    return fetch(case)


TODAY = datetime.date(2026, 6, 15)


def alerts(today=TODAY, period=None):
    period = period or Period.containing(ReportKind.MONTHLY, today)
    return dashboard_figures(COUNTY, period, today)["alerts"]


def listed(alert) -> set[int]:
    return {row.get("case_id") or row.get("asset_id") for row in alert["rows"]}


def lease(clerk, *, starts, ends, rent="36500", due=None, received=None) -> DisposalCase:
    rent = Decimal(rent)
    return crafted(
        clerk, state=CaseState.CLOSED, method=DisposalMethod.LEASE, amount_due=due if due is not None else rent,
        amount_received=received if received is not None else rent,
        record={"lessee": "茂县某公司", "lease_starts_on": starts, "lease_ends_on": ends, "annual_rent": rent},
    )  # fmt: skip


def test_a_lease_ending_within_60_days_is_flagged_and_a_later_one_is_not(alice):
    soon = lease(alice, starts=datetime.date(2024, 8, 1), ends=TODAY + datetime.timedelta(days=30))
    later = lease(alice, starts=datetime.date(2025, 8, 1), ends=TODAY + datetime.timedelta(days=90))

    flagged = alerts()["leases_expiring"]

    assert listed(flagged) == {soon.pk} and later.pk not in listed(flagged)
    assert flagged["rows"][0]["detail"] == "承租方茂县某公司，30日后到期"


def test_the_dashboards_alerts_link_to_the_case_and_the_asset(client, alice, sam):
    soon = lease(alice, starts=datetime.date(2024, 8, 1), ends=TODAY + datetime.timedelta(days=30))
    client.force_login(sam)

    with time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ), tick=False):
        page = client.get(reverse("supervision:dashboard")).content.decode()

    section = page[page.index('id="alert-leases_expiring"') : page.index('id="alert-rent_arrears"')]
    assert reverse("cases:process_detail", args=[soon.pk]) in section
    assert reverse("register:detail", args=[soon.asset_id]) in section


def test_rent_is_in_arrears_from_the_schedule_once_an_installment_is_past_its_grace(
    building, alice, henry, hugo, fiona, fred
):
    """The lease closed in March with a year's rent received: its contract's yearly schedule owes nothing more until
    March 2027; the second year's rent is in arrears only once the grace period (working days) has passed."""
    lease = close_a_lease(building, alice, henry, hugo, fiona, fred)
    second = lease.contracts.get().installments.get(sequence=2)
    last_day = grace_ends_on(second.due_on, Policy.current().arrears_grace_working_days)

    assert alerts(TODAY)["rent_arrears"]["count"] == 0  # a lease in its first year, paid up
    assert alerts(last_day)["rent_arrears"]["count"] == 0
    arrears = alerts(last_day + datetime.timedelta(days=1))["rent_arrears"]

    assert listed(arrears) == {lease.pk}
    row = arrears["rows"][0]
    assert (row["owed"], row["received"], row["arrears"]) == (Decimal("52000.00"), Decimal(0), Decimal("52000.00"))
    assert row["oldest_due_on"] == datetime.date(2027, 3, 10)


def test_a_lease_crafted_without_a_contract_is_never_in_arrears(alice):
    ends = TODAY.replace(year=2028)
    lease(alice, starts=TODAY - datetime.timedelta(days=400), ends=ends, received=Decimal("10000"))

    assert alerts()["rent_arrears"]["count"] == 0


def test_an_appraisal_about_to_expire_is_flagged_before_the_case_is_executed(alice):
    expiring = crafted(alice, state=CaseState.EXECUTING, method=DisposalMethod.AUCTION,
                       record={"appraisal_date": TODAY - datetime.timedelta(days=350)})  # fmt: skip
    fresh = crafted(alice, state=CaseState.EXECUTING, method=DisposalMethod.AUCTION,
                    record={"appraisal_date": TODAY - datetime.timedelta(days=100)})  # fmt: skip
    executed = crafted(alice, state=CaseState.EXECUTED, method=DisposalMethod.AUCTION,
                       record={"appraisal_date": TODAY - datetime.timedelta(days=350)})  # fmt: skip

    flagged = alerts()["appraisals_expiring"]

    assert listed(flagged) == {expiring.pk}
    assert fresh.pk not in listed(flagged) and executed.pk not in listed(flagged)
    assert flagged["rows"][0]["days"] == 15 and "将于2026年6月30日失效" in flagged["rows"][0]["detail"]


def test_an_asset_idle_for_over_a_year_without_a_case_is_flagged(school, alice):
    forgotten = idle_asset(school, idle_since=TODAY - datetime.timedelta(days=400))
    recent = idle_asset(school, idle_since=TODAY - datetime.timedelta(days=300))
    reported = crafted(alice, asset={"idle_since": TODAY - datetime.timedelta(days=800)})

    flagged = alerts()["idle_without_case"]

    assert forgotten.pk in listed(flagged)
    assert recent.pk not in listed(flagged) and reported.asset_id not in listed(flagged)  # in its case: 处置中


def test_plans_split_below_the_finance_threshold_within_30_days_are_suspected(alice, bob):
    def plan(clerk, value, day):
        submitted = datetime.datetime(2026, 6, day, 10, tzinfo=TZ)
        return crafted(clerk, state=CaseState.PLAN_SUBMITTED, method=DisposalMethod.SCRAP, plan_submitted_at=submitted,
                       asset={"original_value": Decimal(value), "net_value": Decimal("1000")})  # fmt: skip

    first, second = plan(alice, "300000", 1), plan(alice, "280000", 12)  # 580,000 ≥ 500,000 within 30 days
    plan(bob, "100000", 2), plan(bob, "120000", 5)  # together still below the threshold

    flagged = alerts()["batch_splitting"]

    assert flagged["count"] == 1
    (row,) = flagged["rows"]
    assert row["holding_unit"] == alice.organization.name
    assert {c["case_id"] for c in row["cases"]} == {first.pk, second.pk}
    assert (row["total"], row["threshold"]) == (Decimal("580000.00"), Decimal("500000.00"))


def test_a_long_split_is_counted_whole_and_named_by_its_first_plans(alice):
    plans = [
        crafted(alice, state=CaseState.PLAN_SUBMITTED, method=DisposalMethod.SCRAP,
                plan_submitted_at=datetime.datetime(2026, 6, 1 + day, 10, tzinfo=TZ),
                asset={"original_value": Decimal("50000"), "net_value": Decimal("1000")})
        for day in range(12)
    ]  # fmt: skip

    (row,) = alerts()["batch_splitting"]["rows"]

    assert (row["n"], row["total"]) == (12, Decimal("600000.00"))
    assert [c["case_id"] for c in row["cases"]] == [p.pk for p in plans[:10]]
    assert (row["first_on"], row["last_on"]) == (datetime.date(2026, 6, 1), datetime.date(2026, 6, 12))
    assert row["detail"].startswith("2026年6月1日至2026年6月12日提交12项方案")


def test_plans_more_than_30_days_apart_are_not_a_split(alice):
    for day in (datetime.datetime(2026, 4, 1, 10, tzinfo=TZ), datetime.datetime(2026, 6, 1, 10, tzinfo=TZ)):
        crafted(alice, state=CaseState.PLAN_SUBMITTED, method=DisposalMethod.SCRAP, plan_submitted_at=day,
                asset={"original_value": Decimal("300000"), "net_value": Decimal("1000")})  # fmt: skip

    assert alerts()["batch_splitting"]["count"] == 0


# -- scope ----------------------------------------------------------------------------------------------------------


def figures_of(user):
    return dashboard_figures(supervision_scope(user), APRIL_REPORT, APRIL_20)


def test_a_department_sees_only_the_categories_it_leads(county, rita, hugo):
    rita_figures, hugo_figures = figures_of(rita), figures_of(hugo)

    assert [r["code"] for r in rita_figures["ledger"]["categories"]] == ["general_equipment"]
    assert rita_figures["revitalized"]["ytd"] == {"n": 1, "area_m2": Decimal("0"), "value": Decimal("6500.00")}
    assert [t["name"] for t in rita_figures["targets"]] == ["盘活闲置办公设备"]  # its own; no county one of its own
    assert [r["code"] for r in hugo_figures["ledger"]["categories"]] == ["building"]
    assert hugo_figures["revitalized"]["ytd"]["value"] == Decimal("3600000.00")
    assert [t["name"] for t in hugo_figures["targets"]] == ["盘活工业园区闲置厂房"]  # the county's, of buildings
    assert hugo_figures["proceeds"]["ytd_total"]["amount_received"] == Decimal("52000.00")
    assert rita_figures["proceeds"]["ytd_total"]["amount_received"] == Decimal("0")


def test_a_unit_sees_its_own_assets_and_the_cases_it_held(county, alice, bob):
    alice_figures, bob_figures = figures_of(alice), figures_of(bob)

    assert alice_figures["scope"]["label"] == "茂县第一中学"
    assert alice_figures["ledger"]["category_totals"]["total"] == 1  # the building; the computer went to the town
    assert alice_figures["revitalized"]["ytd"]["n"] == 2  # but its reallocation is the school's achievement
    assert {t["name"] for t in alice_figures["targets"]} == {"盘活工业园区闲置厂房", "全县盘活资产原值"}
    assert bob_figures["ledger"]["category_totals"]["total"] == 1
    assert bob_figures["revitalized"]["ytd"]["n"] == 0
    assert {t["name"]: t["achieved"] for t in bob_figures["targets"]} == {
        "盘活工业园区闲置厂房": Decimal("0.00"),
        "全县盘活资产原值": Decimal("0.00"),
    }


def test_the_supervisor_sees_the_whole_county(county, sam):
    figures = figures_of(sam)

    assert figures["scope"] == {"level": "county", "label": "全县"}
    assert figures["revitalized"]["ytd"]["n"] == 2 and len(figures["targets"]) == 4


def test_a_department_leading_a_sub_type_sees_that_sub_type_only(school):
    from ..factories import subtype

    def welfare(code):
        return AssetFactory(
            holding_unit=school, category=category("public_welfare"), subtype=subtype("public_welfare", code)
        )

    welfare("school"), welfare("school"), welfare("elderly_care")
    AssetFactory(holding_unit=school, category=category("public_welfare"), subtype=None)  # falls to the category's
    education = SupervisionScope("department", Organization.objects.get(name="茂县教育局"))
    civil_affairs = SupervisionScope("department", Organization.objects.get(name="茂县民政局"))

    def total(scope):
        return dashboard_figures(scope, APRIL_REPORT, APRIL_20)["ledger"]["category_totals"]["total"]

    assert (total(education), total(civil_affairs)) == (3, 1)
    assert total(education) == Asset.objects.led_by(education.organization).count()


def test_a_department_head_has_the_department_scope(county):
    head = UserFactory(organization=Organization.objects.get(name="茂县住房和城乡建设局"), roles=[Role.UNIT_HEAD])

    assert [r["code"] for r in figures_of(head)["ledger"]["categories"]] == ["building"]


def test_a_user_without_a_supervision_scope_gets_403_everywhere(client):
    nobody = UserFactory(roles=[])
    client.force_login(nobody)

    assert client.get(reverse("supervision:dashboard")).status_code == 403
    assert client.get(reverse("supervision:reports")).status_code == 403
    assert (
        client.get(reverse("supervision:report_xlsx"), {"kind": "monthly", "year": 2026, "period": 4}).status_code
        == 403
    )
    assert (
        client.post(reverse("supervision:report_pdf"), {"kind": "monthly", "year": 2026, "period": 4}).status_code
        == 403
    )
    assert not AuditEvent.objects.filter(action="export").exists()


# -- the page -------------------------------------------------------------------------------------------------------


def test_the_dashboard_shows_charts_and_their_tables_for_the_chosen_month(client, county, sam):
    client.force_login(sam)

    response = client.get(reverse("supervision:dashboard"), {"year": "2026", "month": "4"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "2026年4月" in page and "盘活工业园区闲置厂房" in page and "860.00 m²" in page
    assert 'id="chart-targets"' in page and 'id="dashboard-charts"' in page
    assert "3,606,500.00" in page  # 本年盘活资产原值, in its table
    assert "按盘活方式：盘活 2 项，处置 0 项" in page and "出租出借" in page


def test_the_chart_library_is_served_from_static_and_no_cdn_is_used(client, sam):
    client.force_login(sam)

    page = client.get(reverse("supervision:dashboard")).content.decode()

    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert "/static/vendor/chartjs/chart.umd.min.js" in scripts
    assert all(src.startswith("/static/") for src in scripts), scripts
    assert "cdn" not in page.lower() and "https://" not in " ".join(scripts)
    library = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert library.status_code == 200
    assert b"Chart.js v4" in b"".join(library.streaming_content)[:200]


def test_the_dashboard_defaults_to_this_month_and_a_quarter_wins_over_a_month(client, sam):
    client.force_login(sam)
    today = timezone.localdate()

    default = client.get(reverse("supervision:dashboard"))
    quarterly = client.get(reverse("supervision:dashboard"), {"year": today.year, "month": "2", "quarter": "3"})

    assert default.context["period"] == Period(ReportKind.MONTHLY, today.year, today.month)
    assert quarterly.context["period"] == Period(ReportKind.QUARTERLY, today.year, 3)


@pytest.mark.parametrize("query", [{"month": "13"}, {"quarter": "0"}, {"year": "abc"}, {"month": "x"}])
def test_the_dashboard_answers_400_to_a_period_that_does_not_exist(client, sam, query):
    client.force_login(sam)

    response = client.get(reverse("supervision:dashboard"), query)

    assert response.status_code == 400
    assert "须为" in response.content.decode()


def test_all_units_are_listed_on_request(client, sam):
    for n in range(12):
        AssetFactory(holding_unit=OrganizationFactory(name=f"测试单位甲{n:02d}"))
    client.force_login(sam)

    top = client.get(reverse("supervision:dashboard")).content.decode()
    every = client.get(reverse("supervision:dashboard"), {"units": "all"}).content.decode()

    assert top.count("测试单位甲") == 10 and "查看全部单位" in top
    assert every.count("测试单位甲") == 12


# -- exports --------------------------------------------------------------------------------------------------------


def xlsx(client, **params):
    return client.get(reverse("supervision:report_xlsx"), params)


def export_events():
    return list(AuditEvent.objects.filter(action="export").order_by("seq"))


def test_the_workbook_opens_and_holds_the_dashboards_totals_with_chinese_headers(client, county, sam):
    client.force_login(sam)

    response = xlsx(client, kind="monthly", year="2026", period="4")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert 'filename="monthly_report_2026_04.xlsx"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "全县2026年4月闲置低效资产盘活月调度报告.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert {
        "概况",
        "年度目标",
        "月度盘活",
        "分类统计",
        "单位统计",
        "收入上缴",
        "超期环节",
        "单位完成率",
        "预警",
    } <= set(wb.sheetnames)
    summary = {row[0]: row[1:] for row in wb["概况"].iter_rows(values_only=True) if row and row[0]}
    assert summary["盘活资产原值（元）"] == (6500, 3606500)
    assert summary["实收（元）"] == (0, 52000)
    target_rows = list(wb["年度目标"].iter_rows(values_only=True))
    assert target_rows[1][:10] == ("任务名称", "资产类别", "计入", "单位类型", "牵头单位", "计量单位", "年度目标",
                                   "累计完成", "完成率（%）", "序时进度（%）")  # fmt: skip
    factory = next(r for r in target_rows if r[0] == "盘活工业园区闲置厂房")
    assert (factory[2], factory[7], factory[8]) == ("盘活和处置", 860, 0.9)
    by_method = {row[0]: row[1:4] for row in wb["月度盘活"].iter_rows(values_only=True) if row and row[0]}
    assert by_method["调剂"] == ("盘活", 1, 1) and by_method["出租出借"] == ("盘活", 0, 1)


def test_the_workbook_never_turns_a_name_into_a_formula(client, sam):
    unit = OrganizationFactory(name='=HYPERLINK("http://x","点击")')
    AssetFactory(holding_unit=unit)
    client.force_login(sam)

    wb = openpyxl.load_workbook(io.BytesIO(xlsx(client, kind="quarterly", year="2026", period="2").content))

    cells = [c for row in wb["单位统计"].iter_rows() for c in row if c.value == unit.name]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_a_department_exports_only_its_own_figures(client, county, hugo):
    client.force_login(hugo)

    wb = openpyxl.load_workbook(io.BytesIO(xlsx(client, kind="monthly", year="2026", period="4").content))

    categories = [row[0] for row in wb["分类统计"].iter_rows(min_row=3, values_only=True) if row[0]]
    assert categories == ["房屋构筑物（含标准厂房、存量商品房）", "合计"]


def test_every_export_is_on_the_audit_trail(client, county, sam):
    client.force_login(sam)

    xlsx(client, kind="quarterly", year="2026", period="2")

    (event,) = export_events()
    assert (event.actor, event.ip) == (sam, "127.0.0.1")
    assert event.data == {"what": "quarterly_evaluation", "format": "xlsx", "year": 2026, "period": 2, "scope": "全县"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "monthly", "year": "2026", "period": "13"}, "月份须为1至12的数字。"),
        ({"kind": "quarterly", "year": "2026", "period": "0"}, "季度须为1至4的数字。"),
        ({"kind": "monthly", "year": "二〇二六", "period": "3"}, "年度须为四位数字"),
        ({"kind": "weekly", "year": "2026", "period": "3"}, "报告类型须为"),
    ],
)
def test_bad_export_parameters_are_refused_and_nothing_is_exported(client, sam, params, message):
    client.force_login(sam)

    response = xlsx(client, **params)

    assert response.status_code == 400 and message in response.content.decode()
    assert export_events() == []


def text_of(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True).stdout


def download(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return response.content


def test_a_report_pdf_is_requested_issued_signed_and_downloaded(
    client, county, sam, finance_bureau, django_capture_on_commit_callbacks
):
    client.force_login(sam)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("supervision:report_pdf"), {"kind": "monthly", "year": "2026", "period": "4"})

    assert response.status_code == 302 and response["Location"] == reverse("supervision:reports")
    report = SupervisionReport.objects.get()
    assert (report.kind, report.year, report.period, report.scope_organization) == ("monthly", 2026, 4, None)
    document = Document.objects.get(kind="monthly_report")
    assert document.status == DocumentStatus.ISSUED
    assert document.signers == [{"id": finance_bureau.pk, "name": "茂县财政局"}]  # where the 协调机制办 sits
    assert document.context["figures"]["revitalized"]["ytd"]["value"] == "3606500.00"

    listing = client.get(reverse("supervision:reports")).content.decode()
    assert reverse("supervision:report_document", args=[report.pk]) in listing and document.number in listing
    pdf = download(client.get(reverse("supervision:report_document", args=[report.pk])))
    assert verify_pdf(pdf).valid
    text = text_of(pdf)
    assert "闲置低效资产盘活月调度报告" in text and "盘活工业园区闲置厂房" in text and document.number in text
    assert "按盘活方式（已销号）：本年累计盘活 2 项、处置 0 项" in text and "出租出借" in text
    # Its first page as a picture to look at, beside the step documents' (tests/documents/test_render.py).
    artifacts = Path(settings.BASE_DIR) / "artifacts" / "documents"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "monthly_report.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-singlefile", str(artifacts / "monthly_report.pdf"),
                    str(artifacts / "monthly_report")], check=True)  # fmt: skip

    verify_page = client.get(reverse("verify:document", args=[document.uuid])).content.decode()
    assert "全县2026年4月闲置低效资产盘活月调度报告" in verify_page and "持有单位" not in verify_page

    assert [(e.data["format"], e.data["what"]) for e in export_events()] == [
        ("pdf", "monthly_report"), ("pdf", "monthly_report"),
    ]  # fmt: skip
    assert export_events()[1].data["document"] == document.number


def test_a_quarterly_evaluation_of_a_department_is_signed_by_the_department(
    client, county, hugo, django_capture_on_commit_callbacks
):
    client.force_login(hugo)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("supervision:report_pdf"), {"kind": "quarterly", "year": "2026", "period": "2"})

    document = Document.objects.get(kind="quarterly_evaluation")
    assert document.status == DocumentStatus.ISSUED
    assert [s["name"] for s in document.signers] == ["茂县住房和城乡建设局"]
    text = text_of(
        download(client.get(reverse("supervision:report_document", args=[SupervisionReport.objects.get().pk])))
    )
    assert "闲置低效资产盘活季度评估报告" in text and "评估意见" in text and "房屋构筑物" in text
    assert "其他：办公设备" not in text  # not the department's category


def test_the_report_shows_generating_until_its_document_is_issued(client, sam, finance_bureau):
    client.force_login(sam)

    client.post(reverse("supervision:report_pdf"), {"kind": "quarterly", "year": "2026", "period": "1"})  # not issued

    report = SupervisionReport.objects.get()
    assert Document.objects.get().status == DocumentStatus.PENDING
    assert "生成中" in client.get(reverse("supervision:reports")).content.decode()
    assert client.get(reverse("supervision:report_document", args=[report.pk])).status_code == 404


def test_a_report_of_another_scope_is_a_404(
    client, sam, hugo, rita, finance_bureau, django_capture_on_commit_callbacks
):
    client.force_login(hugo)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("supervision:report_pdf"), {"kind": "monthly", "year": "2026", "period": "4"})
    report = SupervisionReport.objects.get()

    client.force_login(rita)
    assert client.get(reverse("supervision:report_document", args=[report.pk])).status_code == 404
    assert "茂县住房和城乡建设局" not in client.get(reverse("supervision:reports")).content.decode()
    client.force_login(sam)  # the county sees every report
    assert client.get(reverse("supervision:report_document", args=[report.pk])).status_code == 200


def test_a_county_report_needs_a_finance_bureau_to_sign_it(client, sam):
    client.force_login(sam)

    response = client.post(reverse("supervision:report_pdf"), {"kind": "monthly", "year": "2026", "period": "4"})

    assert response.status_code == 400 and "没有配置财政部门" in response.content.decode()
    assert not SupervisionReport.objects.exists() and export_events() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "monthly", "year": "2026", "period": "13"}, "月份须为1至12的数字。"),
        ({"kind": "quarterly", "year": "2026", "period": "0"}, "季度须为1至4的数字。"),
        ({"kind": "monthly", "year": "abcd", "period": "3"}, "年度须为四位数字"),
        ({"kind": "annual", "year": "2026", "period": "1"}, "报告类型须为"),
    ],
)
def test_a_report_with_bad_parameters_shows_the_form_again_and_creates_nothing(
    client, sam, finance_bureau, data, message
):
    client.force_login(sam)

    response = client.post(reverse("supervision:report_pdf"), data)

    assert response.status_code == 400 and message in response.content.decode()
    assert not SupervisionReport.objects.exists() and not Document.objects.exists()
    assert export_events() == []


# -- the demo county ------------------------------------------------------------------------------------------------


def test_the_demo_county_has_this_years_targets_from_seed_004_once():
    from demo.county import demo_county_load

    demo_county_load(today=datetime.date(2026, 11, 1))
    demo_county_load(today=datetime.date(2026, 11, 1))

    county_wide = {t.name: (t.measure, t.amount) for t in Target.objects.filter(year=2026, lead_department=None)}
    assert county_wide == {
        "处置批而未供产业用地": ("area_ha", Decimal("35.00")),
        "处置闲置产业用地": ("area_ha", Decimal("20.00")),
        "盘活工业园区闲置厂房": ("area_sqm", Decimal("100000.00")),
        "盘活国有企业闲置资产": ("area_sqm", Decimal("29000.00")),
    }
    assert Target.objects.get(name="盘活国有企业闲置资产").unit_kind == OrganizationKind.STATE_ENTERPRISE
    assert Target.objects.filter(year=2026, lead_department__name="茂县自然资源局").exists()
    assert Target.objects.filter(year=2026).count() == 11
    # The departments whose areas are walked to 销号 (make walk) each have a target their cases count toward.
    led = set(
        Target.objects.filter(year=2026).exclude(lead_department=None).values_list("lead_department__name", flat=True)
    )
    assert {"茂县科学技术和农业畜牧局", "茂县文化体育和旅游局", "茂县民政局", "茂县自然资源局"} <= led


@pytest.mark.parametrize(
    ("day", "period", "share"),
    [
        (datetime.date(2026, 12, 2), Period(ReportKind.MONTHLY, 2026, 12), Decimal(336) / 365),  # ~92%, not 100%
        (datetime.date(2026, 12, 31), Period(ReportKind.MONTHLY, 2026, 12), Decimal(1)),
        (datetime.date(2026, 1, 1), Period(ReportKind.MONTHLY, 2026, 1), Decimal(1) / 365),
        (datetime.date(2028, 2, 29), Period(ReportKind.MONTHLY, 2028, 2), Decimal(60) / 366),
        (datetime.date(2026, 12, 2), Period(ReportKind.QUARTERLY, 2026, 1), Decimal(90) / 365),  # past: its end
    ],
)
def test_the_pace_is_the_elapsed_share_of_the_year(clock, day, period, share):
    clock.move_to(datetime.datetime.combine(day, datetime.time(23, 30), tzinfo=ZoneInfo("Asia/Shanghai")))
    assert elapsed_share(period, timezone.localdate()) == share


def test_the_category_table_counts_as_idle_only_what_is_still_on_the_ledger_as_the_overview_does(
    building, computer, alice, henry, hugo, rita, fiona, fred
):
    """A scrapped computer keeps its last 使用状况 (闲置) as history: the table's 闲置 + 低效 is the overview's
    闲置低效待盘活, and the computer counts as 已处置 only."""
    case_at(CaseState.CLOSED, computer, clerk=alice, head=henry, reviewer=rita, finance=fiona, confirmer=fred)
    assert Asset.objects.get(pk=computer.pk).usage_status == UsageStatus.IDLE  # its history

    totals = dashboard_figures(SupervisionScope("county"), APRIL_REPORT, APRIL_20)["ledger"]["category_totals"]

    assert (totals["total"], totals["disposed"]) == (2, 1)
    assert (totals["idle"], totals["low_efficiency"], totals["pending"]) == (1, 0, 1)  # the building alone


def test_a_target_counts_only_its_sub_types_and_the_cases_its_tally_names(
    building, computer, alice, henry, hugo, rita, fiona, fred
):
    """盘活闲置办公设备 counts 盘活 only (a scrapped computer is 处置); 盘活工业园区闲置厂房 counts 标准厂房 only (the
    school's 经营性用房 is not a factory), while 盘活闲置厂房和房屋 counts every building."""
    case_at(CaseState.CLOSED, computer, clerk=alice, head=henry, reviewer=rita, finance=fiona)  # 报废: 处置
    case_at(CaseState.CLOSED, building, method="lease", clerk=alice, head=henry, reviewer=hugo, finance=fiona,
            confirmer=fred)  # 出租: 盘活  # fmt: skip
    today = timezone.localdate()  # this module's own clock (its autouse fixture), not the suite's
    year, equipment, housing = today.year, category("general_equipment"), category("building")
    for name, tally in (("盘活闲置办公设备", "盘活"), ("处置闲置办公设备", "处置"), ("办公设备", "")):
        Target.objects.create(year=year, name=name, category=equipment, tally=tally, measure=TargetMeasure.COUNT,
                              amount=Decimal("60"))  # fmt: skip
    factories = Target.objects.create(year=year, name="盘活工业园区闲置厂房", category=housing,
                                      measure=TargetMeasure.COUNT, amount=Decimal("10"))  # fmt: skip
    factories.subtypes.set(CategorySubtype.objects.filter(category=housing, code="standard_factory"))
    Target.objects.create(year=year, name="盘活闲置厂房和房屋", category=housing, measure=TargetMeasure.COUNT,
                          amount=Decimal("10"))  # fmt: skip

    period = Period.containing(ReportKind.MONTHLY, today)
    rows = {r["name"]: r for r in dashboard_figures(COUNTY, period, today)["targets"]}

    achieved = {name: row["achieved"] for name, row in rows.items()}
    assert achieved == {"盘活闲置办公设备": 0, "处置闲置办公设备": 1, "办公设备": 1, "盘活工业园区闲置厂房": 0,
                        "盘活闲置厂房和房屋": 1}  # fmt: skip
    assert (rows["盘活工业园区闲置厂房"]["category"], rows["盘活闲置办公设备"]["tally"], rows["办公设备"]["tally"]) == (
        f"{housing.name}（标准厂房）",
        "盘活",
        "盘活和处置",
    )
