"""The four paths end to end through the step services, and their returns, rejections and re-approvals."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assets.models import Asset, AssetStatus, AttachmentKind
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from workflows.models import CaseState, DisposalMethod, Notification, Step
from workflows.services import (
    case_close,
    case_confirm_remittance,
    case_finance_approve,
    case_propose,
    case_record_execution,
    case_reject,
    case_report,
    case_return,
    case_review,
    case_revise,
    case_start_execution,
    case_submit,
    case_verify,
    case_withdraw,
    listing_apply,
)

from ..cases import LEASE_TERMS, approved_auction, as_, attach, auction_record, fetch, lease_record, proceeds, verified
from ..clock import TODAY, years_after

pytestmark = pytest.mark.django_db


def actions(case) -> list[str]:
    return list(AuditEvent.objects.filter(case=case).exclude(action="assign").values_list("action", flat=True))


def test_reallocation_moves_the_asset_to_the_receiving_units_ledger(computer, alice, henry, rita, bob, fiona, town):
    case = case_report(actor=as_(alice), asset=computer, basis="idle", statement="教学点撤并，电脑闲置。")
    assert (case.state, Asset.objects.get(pk=computer.pk).status) == (CaseState.DRAFT, AssetStatus.IN_CASE)
    assert case.current_step == Step.SIGN_OFF and case.step_due_on > TODAY

    case_submit(actor=as_(henry), case=case)
    case = case_verify(actor=as_(rita), case=case, opinion="情况属实")
    assert case.listed_until == TODAY + datetime.timedelta(days=15)

    listing_apply(actor=as_(bob), case=case, reason="镇便民服务中心缺少办公电脑。")
    case = case_propose(actor=as_(alice), case=case, method="reallocate", summary="调剂给凤仪镇", receiving_unit=town)
    assert case.needs_finance is False  # 6,500 元 of general equipment: the department alone
    case = case_review(actor=as_(rita), case=case, approve=True, opinion="同意调剂")
    assert case.state == CaseState.PLAN_APPROVED

    case = case_start_execution(
        actor=as_(alice), case=case, record={"handover_on": TODAY, "handover_list": "主机1台、显示器1台"}
    )
    assert case.current_step == Step.CONFIRM_RECEIPT
    with pytest.raises(DomainError):
        case_record_execution(actor=as_(alice), case=case)  # only the receiving unit confirms receipt
    case = case_record_execution(actor=as_(bob), case=case)
    assert case.state == CaseState.EXECUTED and case.receipt_confirmed_by == bob

    case = case_close(actor=as_(fiona), case=case)
    asset = Asset.objects.get(pk=computer.pk)
    assert (fetch(case).state, asset.status, asset.holding_unit) == (CaseState.CLOSED, AssetStatus.IN_USE, town)
    assert actions(case) == [
        "report", "submit", "verify", "listing_apply", "propose", "dept_review", "start_execution",
        "record_execution", "close",
    ]  # fmt: skip
    first = AuditEvent.objects.filter(case=case).first()
    assert (first.actor, first.organization, first.role, first.ip) == (
        alice,
        alice.organization,
        "unit_clerk",
        "10.0.0.8",
    )
    assert (first.from_state, first.to_state) == ("", CaseState.DRAFT)
    assert Notification.objects.filter(user=alice, message__startswith="已销号").exists()


def test_a_lease_of_a_building_goes_through_finance_and_its_rent_is_remitted(building, alice, henry, hugo, fiona, fred):
    case = verified(
        building, alice, henry, hugo, window_closed=True
    )  # the window's rule: tests/workflows/test_board.py
    with pytest.raises(DomainError) as exc:
        case_propose(
            actor=as_(alice), case=case, method="lease", summary="整体公开招租", justification="无单位需求",
            terms=LEASE_TERMS,
        )  # fmt: skip
    assert exc.value.messages == ["按审批规则须集体决策：请上传会议纪要。"]  # 原值 3,600,000 ≥ 500,000

    minutes = attach(building, AttachmentKind.MEETING_MINUTES, name="党组会议纪要.pdf")
    case = case_propose(
        actor=as_(alice),
        case=case,
        method="lease",
        summary="整体公开招租",
        justification="无单位需求",
        minutes=[minutes],
        terms=LEASE_TERMS,
    )
    assert case.needs_finance and case.needs_collective_decision
    assert {r["name"] for r in case.routing["rules"]} == {
        "房屋构筑物处置须财政审批",
        "原值50万元及以上须财政审批并集体决策",
    }

    case = case_review(actor=as_(hugo), case=case, approve=True, opinion="同意")
    assert (case.state, case.current_step) == (CaseState.PLAN_SUBMITTED, Step.FINANCE_APPROVE)
    case = case_finance_approve(actor=as_(fiona), case=case, approve=True, opinion="同意公开招租")
    assert case.state == CaseState.PLAN_APPROVED

    case = case_start_execution(actor=as_(alice), case=case)
    with pytest.raises(DomainError) as exc:
        case_record_execution(
            actor=as_(alice),
            case=case,
            record=lease_record(annual_rent=Decimal("40000")),
            proceeds=proceeds("40000", remitted="40000"),
        )
    assert exc.value.messages == ["年租金不能低于底价。"]
    with pytest.raises(DomainError) as exc:
        long = lease_record(lease_ends_on=years_after(TODAY, 6))
        case_record_execution(actor=as_(alice), case=case, record=long, proceeds=proceeds())
    assert exc.value.messages == ["出租期限不能超过5年。"]
    with pytest.raises(ValidationError) as exc:
        case_record_execution(actor=as_(alice), case=case, record=lease_record(), proceeds=proceeds(remitted="50000"))
    assert "上缴金额应为实收减去费用：52,000.00 元。" in exc.value.messages

    case = case_record_execution(actor=as_(alice), case=case, record=lease_record(), proceeds=proceeds())
    assert (case.state, case.amount_due, case.current_step) == (
        CaseState.EXECUTED,
        Decimal("52000"),
        Step.CONFIRM_REMITTANCE,
    )
    with pytest.raises(DomainError) as exc:
        case_close(actor=as_(fiona), case=case)
    assert "收支两条线" in exc.value.messages[0]
    case = case_confirm_remittance(actor=as_(fred), case=case)
    case = case_close(actor=as_(fiona), case=case)
    assert Asset.objects.get(pk=building.pk).status == AssetStatus.REVITALIZED


def test_an_auction_needs_a_valid_appraisal_and_a_low_bid_goes_back_for_approval(
    building, alice, henry, hugo, fiona, fred
):
    case = approved_auction(building, alice, henry, hugo, fiona)
    stale = auction_record(appraisal_date=TODAY - datetime.timedelta(days=400))
    with pytest.raises(DomainError) as exc:
        case_record_execution(
            actor=as_(alice), case=case, record=stale, proceeds=proceeds("2300000", remitted="2300000")
        )
    assert "评估报告" in exc.value.messages[0]

    report = attach(building, AttachmentKind.APPRAISAL_REPORT, name="评估报告.pdf")
    # 流拍, the reserve lowered to 1,600,000 and sold at 1,700,000: 85% of the appraisal, and a changed approved term.
    low = auction_record(reserve_price=Decimal("1600000"), winning_bid=Decimal("1700000"))
    case = case_record_execution(actor=as_(alice), case=case, record=low, evidence=[report])
    assert (case.state, case.current_step) == (CaseState.PLAN_SUBMITTED, Step.DEPT_REVIEW)
    assert case.dept_approved_by is None and case.finance_approved_by is None
    assert case.reapproval_reasons == [
        "成交价低于评估值的90%（下限1,800,000.00 元）",
        "执行改变了方案批准的条件：保留价（元）批准为2,000,000.00 元，执行为1,600,000.00 元",
    ]

    case = case_review(actor=as_(hugo), case=case, approve=True, opinion="同意按成交价处置")
    case = case_finance_approve(actor=as_(fiona), case=case, approve=True, opinion="同意")
    assert case.plan_reserve_price == Decimal("1600000")  # the re-approved reserve is the plan's now
    case = case_start_execution(actor=as_(alice), case=case)
    case = case_record_execution(
        actor=as_(alice), case=case, record=low, proceeds=proceeds("1700000", "17000", "1683000")
    )
    assert case.amount_due == Decimal("1700000") and case.amount_remitted == Decimal("1683000")
    case_confirm_remittance(actor=as_(fred), case=case)
    case_close(actor=as_(fred), case=case)
    assert Asset.objects.get(pk=building.pk).status == AssetStatus.DISPOSED
    assert "low_bid" in actions(case)


def test_scrapping_before_the_minimum_service_life_needs_a_technical_appraisal(school, alice, henry, rita, fiona, fred):
    from ..cases import TWO_YEARS_AGO, idle_evidence
    from ..factories import AssetFactory

    young = AssetFactory(
        holding_unit=school, acquired_on=TODAY - datetime.timedelta(days=3 * 365), usage_status="idle",
        idle_since=TWO_YEARS_AGO,
    )  # fmt: skip
    idle_evidence(young)
    case = verified(young, alice, henry, rita, window_closed=True)
    # Known at the plan already (issue 12 §1.4): refused there, before anyone approves it.
    with pytest.raises(ValidationError) as exc:
        case_propose(actor=as_(alice), case=case, method="scrap", summary="主板损坏，无维修价值")
    assert exc.value.message_dict == {
        "technical_appraisal": ["该资产未达最低使用年限（6年），提前报废须在方案中写明技术鉴定意见。"],
        "early_scrap_explanation": ["该资产未达最低使用年限（6年），提前报废须在方案中写明提前报废说明。"],
        "technical_file": ["该资产未达最低使用年限（6年），提前报废须上传技术鉴定意见。"],
    }
    appraisal = attach(young, AttachmentKind.TECHNICAL_APPRAISAL)
    why = {"technical_appraisal": "主板烧毁，维修费用超过原值50%", "early_scrap_explanation": "雷击损坏"}
    case = case_propose(
        actor=as_(alice), case=case, method="scrap", summary="主板损坏，无维修价值", minutes=[appraisal], terms=why
    )
    case = case_review(actor=as_(rita), case=case, approve=True, opinion="同意")
    case = case_start_execution(actor=as_(alice), case=case)
    record = {"recycler": "茂县再生资源回收站", "residual_value": Decimal("200")}
    with pytest.raises(DomainError) as exc:  # execution keeps the rule: its record must say it too
        case_record_execution(actor=as_(alice), case=case, record=record, proceeds=proceeds("200", remitted="200"))
    assert exc.value.messages == ["未达最低使用年限报废：须有技术鉴定意见（并上传）和提前报废说明。"]

    record |= why
    case = case_record_execution(actor=as_(alice), case=case, record=record, proceeds=proceeds("200", remitted="200"))
    case_confirm_remittance(actor=as_(fred), case=case)
    case_close(actor=as_(fiona), case=case)
    assert Asset.objects.get(pk=young.pk).status == AssetStatus.DISPOSED


def test_a_returned_report_is_corrected_and_resubmitted(computer, alice, henry, rita):
    case = case_report(actor=as_(alice), asset=computer, basis="idle", statement="闲置")
    case_submit(actor=as_(henry), case=case)
    case = case_return(actor=as_(rita), case=case, reason="请补充停用原因")
    assert (case.state, case.current_step) == (CaseState.DRAFT, Step.REPORT)  # to the clerk who must fix it
    assert Notification.objects.filter(user=alice, message__contains="请补充停用原因").exists()
    with pytest.raises(NotAllowed):
        case_revise(actor=as_(henry), case=case, basis="idle", statement="闲置两年")  # the head does not fix it
    case = case_revise(actor=as_(alice), case=case, basis="idle", statement="闲置两年，停用说明已补充")
    assert (case.state, case.current_step) == (CaseState.DRAFT, Step.SIGN_OFF)
    case = case_submit(actor=as_(henry), case=case)
    assert case.state == CaseState.SUBMITTED
    assert actions(case) == ["report", "submit", "return", "revise", "submit"]
    assert AuditEvent.objects.filter(case=case, action="submit").last().from_state == CaseState.DRAFT


def test_a_rejected_case_ends_and_the_asset_is_back_in_use(computer, alice, henry, rita):
    case = case_report(actor=as_(alice), asset=computer, basis="idle", statement="闲置")
    case_submit(actor=as_(henry), case=case)
    case = case_reject(actor=as_(rita), case=case, reason="该设备仍在教学中使用")
    assert fetch(case).state == CaseState.REJECTED
    assert Asset.objects.get(pk=computer.pk).status == AssetStatus.IN_USE
    # and the asset may go round again
    assert case_report(actor=as_(alice), asset=computer, basis="idle", statement="再次申报").state == CaseState.DRAFT


@pytest.mark.parametrize("stage", ["draft", "submitted", "verified"])
def test_the_unit_may_withdraw_until_the_plan_is_submitted(computer, alice, henry, rita, stage):
    case = case_report(actor=as_(alice), asset=computer, basis="idle", statement="闲置")
    if stage in ("submitted", "verified"):
        case_submit(actor=as_(henry), case=case)
    if stage == "verified":
        case_verify(actor=as_(rita), case=case, opinion="属实")
    case = case_withdraw(actor=as_(alice), case=case, reason="学校恢复使用")
    assert fetch(case).state == CaseState.WITHDRAWN
    assert Asset.objects.get(pk=computer.pk).status == AssetStatus.IN_USE


def test_no_withdrawal_once_the_plan_is_submitted(computer, alice, henry, rita, bob, town):
    case = verified(computer, alice, henry, rita)
    listing_apply(actor=as_(bob), case=case, reason="需要")
    case = case_propose(
        actor=as_(alice), case=case, method=DisposalMethod.REALLOCATE, summary="调剂", receiving_unit=town
    )
    with pytest.raises(DomainError):
        case_withdraw(actor=as_(alice), case=case, reason="")
    assert fetch(case).state == CaseState.PLAN_SUBMITTED
