"""The policy's conditions, segregation of duties, routing, substitution and the append-only trail."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assets.models import Asset, AssetStatus, AttachmentKind, Role
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from workflows.models import CaseState, DisposalCase, Policy, RoutingRule, Substitution
from workflows.services import (
    actor_for,
    case_close,
    case_confirm_remittance,
    case_propose,
    case_report,
    case_review,
    case_submit,
    case_verify,
    listing_apply,
    route_plan,
)

from ..cases import LEASE_TERMS, as_, attach, idle_evidence, window_ago
from ..clock import CLOCK, TODAY
from ..factories import AssetFactory, UserFactory, category

pytestmark = pytest.mark.django_db

# Users read the policy cited by its title, never by the project's seed numbers.
PLAN = "《茂县闲置低效资产资源盘活利用工作实施方案》"


def report(asset, clerk, basis="idle"):
    return case_report(actor=as_(clerk), asset=asset, basis=basis, statement="闲置说明")


class TestIdentification:
    def test_an_idle_report_under_six_months_is_refused_at_once(self, school, alice):
        asset = AssetFactory(holding_unit=school, usage_status="idle", idle_since=TODAY - datetime.timedelta(days=150))
        with pytest.raises(DomainError) as exc:
            report(asset, alice)
        assert "认定闲置须连续停用超过6个月" in exc.value.messages[0]
        assert Asset.objects.get(pk=asset.pk).status == AssetStatus.IN_USE
        assert not DisposalCase.objects.exists()

    def test_the_idle_threshold_is_data(self, school, alice):
        asset = AssetFactory(holding_unit=school, usage_status="idle", idle_since=TODAY - datetime.timedelta(days=150))
        idle_evidence(asset)
        Policy.objects.filter(pk=1).update(idle_months=3)
        assert report(asset, alice).state == CaseState.DRAFT

    def test_an_idle_report_needs_the_stop_statement_and_meeting_minutes_at_once(self, school, alice, henry):
        asset = AssetFactory(holding_unit=school, usage_status="idle", idle_since=TODAY - datetime.timedelta(days=400))
        attach(asset, AttachmentKind.STOP_STATEMENT)
        with pytest.raises(ValidationError) as exc:
            report(asset, alice)
        assert exc.value.message_dict == {
            "meeting_minutes": [
                "认定闲置须附会议纪要（依据《茂县闲置低效资产资源盘活利用工作实施方案》一(三)1）：资产档案中尚无会议纪要，请上传。"
            ]
        }
        assert not DisposalCase.objects.exists()
        attach(asset, AttachmentKind.MEETING_MINUTES)
        case = report(asset, alice)
        assert case_submit(actor=as_(henry), case=case).state == CaseState.SUBMITTED

    def test_sign_off_still_needs_the_stop_statement_and_meeting_minutes(self, school, alice, henry):
        asset = AssetFactory(holding_unit=school, usage_status="idle", idle_since=TODAY - datetime.timedelta(days=400))
        idle_evidence(asset)
        case = report(asset, alice)
        # Only a data fix could take the minutes off the file after the report:
        asset.attachments.filter(kind=AttachmentKind.MEETING_MINUTES).update(kind=AttachmentKind.VERIFICATION_RECORD)
        with pytest.raises(DomainError) as exc:
            case_submit(actor=as_(henry), case=case)
        assert exc.value.messages == [
            "认定闲置须在资产档案中上传停用说明和会议纪要（依据《茂县闲置低效资产资源盘活利用工作实施方案》一(三)1）。"
        ]
        assert DisposalCase.objects.get(pk=case.pk).state == CaseState.DRAFT

    def test_low_efficiency_needs_the_departments_verification_record(self, school, alice, henry, rita):
        asset = AssetFactory(holding_unit=school, usage_status="low_efficiency")
        case = report(asset, alice, basis="low_efficiency")
        case_submit(actor=as_(henry), case=case)
        with pytest.raises(DomainError) as exc:
            case_verify(actor=as_(rita), case=case, opinion="使用率低")
        assert exc.value.messages == [
            "认定低效须由主管部门上传核查记录（依据《茂县闲置低效资产资源盘活利用工作实施方案》一(三)2）。"
        ]
        record = attach(asset, AttachmentKind.VERIFICATION_RECORD, user=rita)
        assert case_verify(actor=as_(rita), case=case, opinion="使用率低", records=[record]).state == CaseState.VERIFIED

    def test_one_open_case_per_asset(self, computer, alice):
        report(computer, alice)
        with pytest.raises(DomainError):
            report(computer, alice)
        assert DisposalCase.objects.count() == 1

    def test_a_department_never_verifies_its_own_asset(self, alice):
        from assets.models import Organization

        bureau = Organization.objects.get(name="茂县机关事务管理局")
        own_clerk = UserFactory(username="jg_clerk", organization=bureau, roles=[Role.UNIT_CLERK])
        asset = AssetFactory(holding_unit=bureau, usage_status="idle", idle_since=TODAY - datetime.timedelta(days=400))
        with pytest.raises(DomainError) as exc:
            report(asset, own_clerk)
        assert "不能自行认定" in exc.value.messages[0]

    def test_blank_statements_are_refused(self, computer, alice):
        with pytest.raises(ValidationError):
            case_report(actor=as_(alice), asset=computer, basis="idle", statement="  ")


class TestSegregationOfDuties:
    def test_the_reporter_cannot_sign_off_her_own_report(self, computer, school):
        both = UserFactory(username="both", organization=school, roles=[Role.UNIT_CLERK, Role.UNIT_HEAD])
        case = report(computer, both)
        with pytest.raises(NotAllowed):
            case_submit(actor=as_(both), case=case)

    def test_only_the_lead_department_verifies(self, computer, alice, henry, hugo, rita):
        case = report(computer, alice)
        case_submit(actor=as_(henry), case=case)
        with pytest.raises(NotAllowed):
            case_verify(actor=as_(hugo), case=case, opinion="x")  # 住建局 does not lead equipment
        assert DisposalCase.objects.get(pk=case.pk).state == CaseState.SUBMITTED

    @pytest.mark.parametrize("persona", ["alice", "henry", "bob", "fiona", "sam", "adam"])
    def test_other_roles_may_not_verify(self, request, computer, alice, henry, persona):
        case = report(computer, alice)
        case_submit(actor=as_(henry), case=case)
        with pytest.raises(NotAllowed):
            case_verify(actor=as_(request.getfixturevalue(persona)), case=case, opinion="x")

    @pytest.mark.parametrize("persona", ["henry", "bob", "rita", "fiona", "sam"])
    def test_only_the_units_clerk_reports(self, request, computer, persona):
        with pytest.raises(NotAllowed):
            report(computer, request.getfixturevalue(persona))

    def test_whoever_recorded_the_proceeds_neither_confirms_them_nor_closes(self, computer, alice, fiona):
        case = report(computer, alice)
        # Set the case up as executed with proceeds recorded by fiona, the way only a data fix could.
        DisposalCase.objects.filter(pk=case.pk).update(
            state=CaseState.EXECUTED, method="scrap", amount_received=Decimal(100), amount_remitted=Decimal(100),
            remittance_receipt_no="X1", execution_recorded_by=fiona,
        )  # fmt: skip
        case = DisposalCase.objects.get(pk=case.pk)
        with pytest.raises(NotAllowed):
            case_confirm_remittance(actor=as_(fiona), case=case)
        with pytest.raises(NotAllowed):
            case_close(actor=as_(fiona), case=case)

    def test_finance_may_not_approve_its_own_units_asset(self, finance_bureau, fiona, fred):
        clerk = UserFactory(username="cz_clerk", organization=finance_bureau, roles=[Role.UNIT_CLERK])
        asset = AssetFactory(holding_unit=finance_bureau)
        case = report(asset, clerk, basis="over_standard")
        DisposalCase.objects.filter(pk=case.pk).update(state=CaseState.EXECUTED)
        with pytest.raises(NotAllowed) as exc:
            case_close(actor=as_(fred), case=DisposalCase.objects.get(pk=case.pk))
        assert "审批单位不能是资产持有单位本身" in exc.value.messages[0]


class TestConcurrency:
    def test_a_stale_double_submit_changes_nothing(self, computer, alice, henry):
        case = report(computer, alice)
        stale = DisposalCase.objects.get(pk=case.pk)
        case_submit(actor=as_(henry), case=case)
        with pytest.raises(DomainError) as exc:
            case_submit(actor=as_(henry), case=stale)
        assert "不能进行此操作" in exc.value.messages[0]
        assert AuditEvent.objects.filter(case=case, action="submit").count() == 1

    def test_an_illegal_transition_is_refused(self, computer, alice, fiona):
        case = report(computer, alice)
        with pytest.raises(DomainError):
            case_close(actor=as_(fiona), case=case)
        assert DisposalCase.objects.get(pk=case.pk).state == CaseState.DRAFT

    def test_state_cannot_be_assigned(self, computer, alice):
        case = report(computer, alice)
        with pytest.raises(AttributeError):
            case.state = CaseState.CLOSED


class TestRouting:
    def plan(self, unit, clerk, head, reviewer, value, *, category_code="general_equipment"):
        asset = AssetFactory(
            holding_unit=unit, original_value=Decimal(value), net_value=Decimal(0), category=category(category_code),
            subtype=None, usage_status="over_standard",
        )  # fmt: skip
        with window_ago():  # the plan comes after the board's window (调剂优先)
            case = report(asset, clerk, basis="over_standard")
            case_submit(actor=as_(head), case=case)
            case_verify(actor=as_(reviewer), case=case, opinion="超标准配置")
        minutes = attach(asset, AttachmentKind.MEETING_MINUTES)  # in case the route asks for a collective decision
        return case_propose(actor=as_(clerk), case=case, method="scrap", summary="报废", minutes=[minutes])

    def test_a_600000_item_goes_to_finance(self, school, alice, henry, rita):
        case = self.plan(school, alice, henry, rita, 600_000)
        assert (case.needs_finance, case.needs_collective_decision) == (True, True)

    def test_a_100000_item_does_not(self, school, alice, henry, rita):
        assert self.plan(school, alice, henry, rita, 100_000).needs_finance is False

    def test_three_200000_items_of_one_unit_and_method_within_30_days_do(self, school, alice, henry, rita):
        first = self.plan(school, alice, henry, rita, 200_000)
        second = self.plan(school, alice, henry, rita, 200_000)
        third = self.plan(school, alice, henry, rita, 200_000)
        assert (first.needs_finance, second.needs_finance, third.needs_finance) == (False, False, True)
        assert third.routing["batch_value"] == "600000.00"

    def test_items_more_than_30_days_apart_are_not_summed(self, school, alice, henry, rita):
        with time_machine.travel(CLOCK - datetime.timedelta(days=40)):
            self.plan(school, alice, henry, rita, 300_000)
        assert self.plan(school, alice, henry, rita, 300_000).needs_finance is False

    def test_the_case_keeps_the_rule_version_that_routed_it(self, school, alice, henry, rita):
        case = self.plan(school, alice, henry, rita, 600_000)
        rule = RoutingRule.objects.get(name="原值50万元及以上须财政审批并集体决策")
        assert case.routing["rules"] == [rule.snapshot()]
        RoutingRule.objects.filter(pk=rule.pk).update(min_value=Decimal("1000000"), version=2)
        assert DisposalCase.objects.get(pk=case.pk).routing["rules"][0]["min_value"] == "500000.00"
        assert route_plan(DisposalCase.objects.get(pk=case.pk))["needs_finance"] is False

    def test_land_always_goes_to_finance(self, school):
        asset = AssetFactory(holding_unit=school, category=category("land"), subtype=None, area_m2=Decimal(10))
        case = DisposalCase(asset=asset, holding_unit=school, method="lease")
        assert route_plan(case)["needs_finance"] is True


class TestListing:
    def test_the_holding_unit_cannot_apply_for_its_own_asset(self, computer, alice, henry, rita):
        case = report(computer, alice)
        case_submit(actor=as_(henry), case=case)
        case_verify(actor=as_(rita), case=case, opinion="属实")
        with pytest.raises(DomainError):
            listing_apply(actor=as_(alice), case=case, reason="x")

    def test_a_unit_applies_once_and_only_during_the_window(self, computer, alice, henry, rita, bob):
        case = report(computer, alice)
        case_submit(actor=as_(henry), case=case)
        case = case_verify(actor=as_(rita), case=case, opinion="属实")
        listing_apply(actor=as_(bob), case=case, reason="缺电脑")
        with pytest.raises(DomainError):
            listing_apply(actor=as_(bob), case=case, reason="再申请")
        with time_machine.travel(CLOCK + datetime.timedelta(days=16)):
            other = UserFactory(username="carol", roles=[Role.UNIT_CLERK])
            with pytest.raises(DomainError) as exc:
                listing_apply(actor=as_(other), case=case, reason="晚了")
        assert "不在调剂公示期内" in exc.value.messages[0]

    def test_after_the_window_with_no_applicant_a_lease_needs_no_reason(self, building, alice, henry, hugo):
        case = report(building, alice)
        case_submit(actor=as_(henry), case=case)
        case = case_verify(actor=as_(hugo), case=case, opinion="属实")
        minutes = attach(building, AttachmentKind.MEETING_MINUTES)
        with time_machine.travel(CLOCK + datetime.timedelta(days=16)):
            case = case_propose(
                actor=as_(alice), case=case, method="lease", summary="公开招租", minutes=[minutes], terms=LEASE_TERMS
            )
        assert case.state == CaseState.PLAN_SUBMITTED

    def test_reallocation_needs_an_applicant_as_receiving_unit(self, computer, alice, henry, rita, town):
        case = report(computer, alice)
        case_submit(actor=as_(henry), case=case)
        case_verify(actor=as_(rita), case=case, opinion="属实")
        with pytest.raises(DomainError) as exc:
            case_propose(actor=as_(alice), case=case, method="reallocate", summary="调剂", receiving_unit=town)
        assert "申请调剂的单位" in exc.value.messages[0]


class TestSubstitution:
    def test_a_substitute_acts_and_the_trail_records_both_names(self, computer, school, alice, henry):
        clerk = UserFactory(username="clerk2", organization=school, roles=[Role.UNIT_CLERK])
        Substitution.objects.create(user=henry, substitute=clerk, starts_on=TODAY, ends_on=TODAY)
        case = report(computer, alice)
        with pytest.raises(NotAllowed):  # a clerk standing in for the head may not sign off (不相容岗位分离)
            case_submit(actor=actor_for(user=clerk, acting_for=henry), case=case)
        deputy = UserFactory(username="deputy", full_name="副校长", organization=school, roles=[Role.UNIT_HEAD])
        Substitution.objects.create(user=henry, substitute=deputy, starts_on=TODAY, ends_on=TODAY)
        actor = actor_for(user=deputy, acting_for=henry, ip="10.0.0.9")
        case_submit(actor=actor, case=case)
        event = AuditEvent.objects.get(case=case, action="submit")
        assert (event.actor, event.acting_for) == (deputy, henry)
        assert DisposalCase.objects.get(pk=case.pk).submitted_by == henry

    def test_no_substitution_no_standing_in(self, school, henry):
        deputy = UserFactory(username="deputy", organization=school, roles=[Role.UNIT_CLERK])
        Substitution.objects.create(
            user=henry, substitute=deputy, starts_on=TODAY - datetime.timedelta(days=10),
            ends_on=TODAY - datetime.timedelta(days=1),
        )  # fmt: skip
        with pytest.raises(NotAllowed):
            actor_for(user=deputy, acting_for=henry)

    def test_a_substitute_from_another_unit_is_refused(self, henry, bob):
        sub = Substitution(user=henry, substitute=bob, starts_on=TODAY, ends_on=TODAY)
        with pytest.raises(ValidationError) as exc:
            sub.full_clean()
        assert "代理人须为本单位人员。" in exc.value.messages


class TestTrail:
    def test_audit_events_cannot_be_changed_or_deleted(self, computer, alice):
        report(computer, alice)
        event = AuditEvent.objects.get(action="report")
        event.action = "forged"
        with pytest.raises(PermissionError):
            event.save()
        with pytest.raises(PermissionError):
            event.delete()
        with pytest.raises(PermissionError):
            AuditEvent.objects.all().update(action="forged")
        with pytest.raises(PermissionError):
            AuditEvent.objects.all().delete()
        assert AuditEvent.objects.get(pk=event.pk).action == "report"

    def test_a_plan_returned_by_the_department_goes_back_to_the_unit(self, computer, alice, henry, rita, bob, town):
        case = report(computer, alice)
        case_submit(actor=as_(henry), case=case)
        case_verify(actor=as_(rita), case=case, opinion="属实")
        listing_apply(actor=as_(bob), case=case, reason="需要")
        case = case_propose(actor=as_(alice), case=case, method="reallocate", summary="调剂", receiving_unit=town)
        with pytest.raises(ValidationError):
            case_review(actor=as_(rita), case=case, approve=False, opinion="")
        case = case_review(actor=as_(rita), case=case, approve=False, opinion="请补充交接安排")
        assert case.state == CaseState.VERIFIED
        assert AuditEvent.objects.filter(case=case).last().action == "return_plan"


def test_evidence_of_another_asset_cannot_be_linked(computer, school, alice, henry, rita):
    other = AssetFactory(holding_unit=school, usage_status="low_efficiency")
    idle_evidence(other)
    foreign = attach(other, AttachmentKind.VERIFICATION_RECORD)
    case = report(computer, alice, basis="low_efficiency")
    case_submit(actor=as_(henry), case=case)
    with pytest.raises(DomainError) as exc:
        case_verify(actor=as_(rita), case=case, opinion="x", records=[foreign])
    assert exc.value.messages == ["所选材料不属于该资产。"]
