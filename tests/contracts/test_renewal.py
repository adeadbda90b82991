"""续签 through the routing rules' approval round (issue 14 §3), through the contract page: the building's 3-year lease
(原值 360万: 房屋构筑物 and ≥ 50万, so finance and a collective decision by the seeded rules) reviewed by 住建局 then
approved by finance; a cheaper 闲置校舍 approved by 教育局 alone; a return with its reason and a second request; each
role's refusals (the wrong role 403, finance before the department 403, the requester 403, another organization 404)
and bad input refused with a clear error and nothing written. Time moves with time_machine."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from assets.models import AssetStatus, AttachmentKind, Organization, Role
from audit.models import AuditEvent
from contracts.models import Contract, ContractRenewal, ContractState, RenewalState
from core.formatting import cn_date
from workflows.models import CaseState

from ..cases import case_at, lease_record, proceeds
from ..clock import TODAY, at, term_ends
from ..factories import UserFactory
from ..ledgers import import_ledger, ledger_row, upload_evidence
from ..workflows.test_flow_urls import errors, pdf
from .test_contract_end import RENEWAL, asset_of, issued, post

pytestmark = pytest.mark.django_db

PUBLIC_WELFARE = "公益性资产（闲置校舍、养老机构、医疗场所、文体场馆）"

ENDS_ON = term_ends(TODAY, 3)
RENEWED_FROM = ENDS_ON + datetime.timedelta(days=1)
DAY = ENDS_ON - datetime.timedelta(days=40)  # asked 40 days before the term's last day
RENEWAL_EVENTS = ("renewal_request", "renewal_dept_review", "renewal_approve", "renewal_return")


def ask(client, clerk, contract, **changes):
    data = {**RENEWAL, **changes}
    if "ren-minutes" not in changes:
        data["ren-minutes"] = pdf("续签会议纪要.pdf")
    return post(client, clerk, "renewal_request", contract, data)


def decide(client, user, contract, renewal, opinion="", *, name="renewal_approve"):
    return post(client, user, name, contract, {"apr-opinion": opinion}, renewal.pk)


def page(client, user, contract) -> str:
    client.force_login(user)
    response = client.get(reverse("contracts:detail", args=[contract.pk]))
    assert response.status_code == 200
    return response.content.decode()


def trail() -> list[tuple[str, str, str]]:
    events = AuditEvent.objects.filter(action__in=RENEWAL_EVENTS).order_by("pk")
    return list(events.values_list("action", "actor__username", "role"))


@pytest.fixture
def ed(education_bureau):
    """主管部门审核人 at 教育局, which leads 闲置校舍."""
    return UserFactory(username="ed", full_name="何静", organization=education_bureau, roles=[Role.DEPT_REVIEWER])


@pytest.fixture
def classrooms(school, alice):
    """An idle teaching block of the school (闲置校舍, 原值 30万: no rule sends it to finance), imported by its
    clerk."""
    [asset] = import_ledger(alice, ledger_row(
        资产编号="MX-YZ-XS-002", 资产名称="原初中部教学楼", 资产类别=PUBLIC_WELFARE, 资产子类="闲置校舍", 计量单位="栋",
        **{"面积（㎡）": 640, "原值（元）": 300000, "净值（元）": 90000},
        使用状况="闲置", 停用日期=datetime.date(2024, 9, 1), 闲置原因="初中部撤并后闲置",
    ))  # fmt: skip
    upload_evidence(alice, asset, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    return asset


@pytest.fixture
def classrooms_lease(classrooms, alice, henry, ed, fiona, fred):
    """The teaching block leased for three years to a training school, 30,000 元 a year paid yearly."""
    record = lease_record(
        lease_starts_on=TODAY, lease_ends_on=ENDS_ON, reserve_rent=Decimal("28000"), annual_rent=Decimal("30000"),
        deposit=Decimal("5000"), lessee="茂县启航职业培训学校", contract_no="MXZL-2026-027", payment_cycle="按年",
    )  # fmt: skip
    case = case_at(
        CaseState.CLOSED, classrooms, method="lease", clerk=alice, head=henry, reviewer=ed, finance=fiona,
        confirmer=fred, record=record, money=proceeds("30000", remitted="30000"),
    )  # fmt: skip
    return Contract.objects.get(case=case)


def test_the_leased_buildings_renewal_goes_to_the_department_then_finance_and_its_record_prints_both(
    client, contract, alice, hugo, fiona
):
    with time_machine.travel(at(DAY), tick=False):
        assert "审批路径：茂县住房和城乡建设局审核 → 财政审批" in page(client, alice, contract)
        response = ask(client, alice, contract)
        assert response.status_code == 302, errors(response)
        renewal = ContractRenewal.objects.get(contract=contract)
        assert renewal.state == RenewalState.DEPT_REVIEW and renewal.department.name == "茂县住房和城乡建设局"
        assert (renewal.routing["needs_finance"], renewal.routing["needs_collective_decision"]) == (True, True)
        assert {r["name"] for r in renewal.routing["rules"]} == {
            "房屋构筑物处置须财政审批", "原值50万元及以上须财政审批并集体决策",
        }  # fmt: skip
        assert renewal.minutes.kind == AttachmentKind.MEETING_MINUTES and renewal.minutes.asset_id == contract.asset_id
        assert 'id="renewal-decision"' not in page(client, fiona, contract)  # finance waits for the department

        shown = page(client, hugo, contract)
        form = shown[shown.index('id="renewal-decision"') :]
        assert "主管部门审核续签" in form and "审核同意，报财政审批" in form and "退回续签申请" in form
        assert "茂县住房和城乡建设局审核 → 财政审批，须集体决策（附会议纪要）" in form
        assert cn_date(ENDS_ON) in form and f"至 {cn_date(term_ends(RENEWED_FROM, 3))}" in form  # the old end, the new
        assert "52,000.00" in form and "56,000.00" in form and "按季" in form

        response = decide(client, hugo, contract, renewal, "经核查，承租方履约良好，同意续租。")

        assert response.status_code == 302, errors(response)
        renewal.refresh_from_db()
        assert (renewal.state, renewal.reviewed_by, renewal.renewed) == (RenewalState.FINANCE_REVIEW, hugo, None)
        assert not Contract.objects.filter(version=2).exists()
        assert "待财政审批" in page(client, alice, contract)
        shown = page(client, fiona, contract)
        assert "财政审批续签" in shown[shown.index('id="renewal-decision"') :]

        response = decide(client, fiona, contract, renewal, "同意续租三年。")

        assert response.status_code == 302, errors(response)
    renewed = Contract.objects.get(case=contract.case, version=2)
    assert response["Location"] == reverse("contracts:detail", args=[renewed.pk])
    contract.refresh_from_db()
    renewal.refresh_from_db()
    assert (renewal.state, renewal.decided_by, renewal.renewed) == (RenewalState.APPROVED, fiona, renewed)
    assert contract.state == ContractState.RENEWED and renewed.state == ContractState.ACTIVE
    assert (renewed.starts_on, renewed.ends_on, renewed.number) == (RENEWED_FROM, term_ends(RENEWED_FROM, 3),
                                                                    "MXZL-2029-031")  # fmt: skip
    installments = list(renewed.installments.order_by("sequence"))
    assert len(installments) == 12 and sum(i.amount for i in installments) == Decimal("168000")
    assert installments[0].due_on == RENEWED_FROM and installments[0].amount == Decimal("14000")
    assert asset_of(contract).status == AssetStatus.REVITALIZED  # still leased
    assert trail() == [
        ("renewal_request", "alice", Role.UNIT_CLERK),
        ("renewal_dept_review", "hugo", Role.DEPT_REVIEWER),
        ("renewal_approve", "fiona", Role.FINANCE_APPROVER),
    ]
    document = issued(renewed, "contract_renewal")
    assert [s["name"] for s in document.signers] == ["茂县第一中学", "茂县住房和城乡建设局", "茂县财政局"]
    rows = {r["label"]: r["text"] for r in document.context["execution_rows"]}
    assert rows["审批路径"].startswith("茂县住房和城乡建设局审核 → 财政审批，须集体决策（附会议纪要）（审批规则：")
    assert rows["主管部门审核"] == f"茂县住房和城乡建设局 赵刚，{cn_date(DAY)}同意"
    assert rows["财政审批"] == f"茂县财政局 刘芳，{cn_date(DAY)}同意"
    events = [(e["label"], e["actor"], e["opinion"]) for e in document.context["events"]]
    assert events == [
        ("申请续签", "李晓红", "承租方按期足额缴纳租金，经公开比价续租三年。"),
        ("主管部门审核同意续签", "赵刚", "经核查，承租方履约良好，同意续租。"),
        ("批准续签", "刘芳", "同意续租三年。"),
    ]
    first = page(client, alice, contract)
    assert reverse("contracts:detail", args=[renewed.pk]) in first and "已续签" in first and "已批准" in first


def test_a_cheaper_assets_renewal_is_approved_by_its_department_alone(client, classrooms_lease, alice, ed, fiona):
    contract = classrooms_lease
    with time_machine.travel(at(DAY), tick=False):
        # No rule asks a collective decision of it: no minutes needed.
        response = ask(client, alice, contract, **{"ren-minutes": "", "ren-annual_amount": "32000",
                                                   "ren-deposit": "5000", "ren-cycle": "yearly"})  # fmt: skip
        assert response.status_code == 302, errors(response)
        renewal = ContractRenewal.objects.get(contract=contract)
        assert (renewal.routing["needs_finance"], renewal.routing["rules"], renewal.minutes) == (False, [], None)
        assert renewal.department.name == "茂县教育局"
        shown = page(client, ed, contract)
        assert "茂县教育局审核（未触发须财政审批的审批规则）" in shown and ">批准续签</button>" in shown

        response = decide(client, ed, contract, renewal, "同意。")

        assert response.status_code == 302, errors(response)
    renewal.refresh_from_db()
    renewed = renewal.renewed
    assert renewal.state == RenewalState.APPROVED and renewed.version == 2 and renewal.decided_by is None
    assert renewed.installments.count() == 3 and renewed.annual_amount == Decimal("32000")
    assert trail() == [("renewal_request", "alice", Role.UNIT_CLERK), ("renewal_approve", "ed", Role.DEPT_REVIEWER)]
    document = issued(renewed, "contract_renewal")
    assert [s["name"] for s in document.signers] == ["茂县第一中学", "茂县教育局"]
    rows = {r["label"]: r["text"] for r in document.context["execution_rows"]}
    assert rows["审批路径"] == "茂县教育局审核（未触发须财政审批的审批规则）" and "财政审批" not in rows
    assert 'id="renewal-decision"' not in page(client, fiona, contract)  # nothing left to decide


@pytest.mark.parametrize("step", ["department", "finance"])
def test_a_returned_renewal_says_why_and_the_clerk_asks_again(client, contract, alice, hugo, fiona, step):
    with time_machine.travel(at(DAY), tick=False):
        assert ask(client, alice, contract).status_code == 302
        first = ContractRenewal.objects.get(contract=contract)
        returner = hugo
        if step == "finance":
            assert decide(client, hugo, contract, first, "同意").status_code == 302
            returner = fiona

        response = decide(client, returner, contract, first, "年租金低于同地段市场价，请重新比价。",
                          name="renewal_return")  # fmt: skip

        assert response.status_code == 302, errors(response)
        first.refresh_from_db()
        assert first.state == RenewalState.RETURNED and first.return_reason == "年租金低于同地段市场价，请重新比价。"
        assert first.returned_by_finance == (step == "finance")
        contract.refresh_from_db()
        assert contract.state == ContractState.ACTIVE and not Contract.objects.filter(version=2).exists()
        shown = page(client, alice, contract)
        assert "已退回" in shown and "年租金低于同地段市场价，请重新比价。" in shown and "提交续签申请" in shown
        assert trail()[-1][:2] == ("renewal_return", returner.username)

        response = ask(client, alice, contract, **{"ren-annual_amount": "60000"})

        assert response.status_code == 302, errors(response)
        second = ContractRenewal.objects.exclude(pk=first.pk).get(contract=contract)
        assert second.state == RenewalState.DEPT_REVIEW and second.annual_amount == Decimal("60000")
        assert decide(client, hugo, contract, second, "同意").status_code == 302
        assert decide(client, fiona, contract, second, "同意").status_code == 302
    second.refresh_from_db()
    assert second.state == RenewalState.APPROVED and second.renewed.annual_amount == Decimal("60000")
    events = [e["label"] for e in issued(second.renewed, "contract_renewal").context["events"]]
    assert events == ["申请续签", "主管部门审核同意续签", "批准续签"]  # the second round's, not the first's


def test_finance_may_not_decide_before_the_department(client, contract, alice, fiona):
    with time_machine.travel(at(DAY), tick=False):
        assert ask(client, alice, contract).status_code == 302
        renewal = ContractRenewal.objects.get(contract=contract)
        for name in ("renewal_approve", "renewal_return"):
            response = decide(client, fiona, contract, renewal, "同意", name=name)

            assert response.status_code == 403, name
            assert "待茂县住房和城乡建设局审核" in response.content.decode()
    renewal.refresh_from_db()
    assert renewal.state == RenewalState.DEPT_REVIEW and renewal.reviewed_by is None and renewal.decided_by is None
    assert [a for a, _, _ in trail()] == ["renewal_request"]


@pytest.mark.parametrize("who", ["alice", "henry", "sam", "fiona"])
@pytest.mark.parametrize("name", ["renewal_approve", "renewal_return"])
def test_only_the_lead_departments_reviewer_decides_first(client, contract, alice, hugo, who, name, request):
    with time_machine.travel(at(DAY), tick=False):
        assert ask(client, alice, contract).status_code == 302
        renewal = ContractRenewal.objects.get(contract=contract)

        response = decide(client, request.getfixturevalue(who), contract, renewal, "意见", name=name)

    assert response.status_code == 403
    renewal.refresh_from_db()
    assert renewal.state == RenewalState.DEPT_REVIEW and [a for a, _, _ in trail()] == ["renewal_request"]


@pytest.mark.parametrize("who", ["alice", "henry", "hugo", "sam"])
@pytest.mark.parametrize("name", ["renewal_approve", "renewal_return"])
def test_only_finance_decides_once_the_department_has_agreed(client, contract, alice, hugo, who, name, request):
    with time_machine.travel(at(DAY), tick=False):
        assert ask(client, alice, contract).status_code == 302
        renewal = ContractRenewal.objects.get(contract=contract)
        assert decide(client, hugo, contract, renewal, "同意").status_code == 302

        response = decide(client, request.getfixturevalue(who), contract, renewal, "意见", name=name)

    assert response.status_code == 403
    renewal.refresh_from_db()
    assert renewal.state == RenewalState.FINANCE_REVIEW and not Contract.objects.filter(version=2).exists()


@pytest.mark.parametrize("step", ["department", "finance"])
def test_whoever_asked_for_a_renewal_may_not_decide_it(client, contract, alice, hugo, finance_bureau, step):
    with time_machine.travel(at(DAY), tick=False):
        assert ask(client, alice, contract).status_code == 302
        renewal = ContractRenewal.objects.get(contract=contract)
        if step == "department":
            alice.organization = Organization.objects.get(name="茂县住房和城乡建设局")
            role = Role.DEPT_REVIEWER
        else:
            assert decide(client, hugo, contract, renewal, "同意").status_code == 302
            alice.organization, role = finance_bureau, Role.FINANCE_APPROVER
        alice.save()
        alice.groups.add(Group.objects.get(name=role))

        response = decide(client, alice, contract, renewal, "同意")

    assert response.status_code == 403 and "申请续签的人员不能审批" in response.content.decode()
    assert not Contract.objects.filter(version=2).exists()


@pytest.mark.parametrize("who", ["bob", "rita"])  # another unit's clerk; another department's reviewer
def test_another_organization_finds_no_renewal_to_decide(client, contract, alice, who, request):
    with time_machine.travel(at(DAY), tick=False):
        assert ask(client, alice, contract).status_code == 302
        renewal = ContractRenewal.objects.get(contract=contract)
        user = request.getfixturevalue(who)
        for name in ("renewal_approve", "renewal_return"):
            assert decide(client, user, contract, renewal, "同意", name=name).status_code == 404, name
    renewal.refresh_from_db()
    assert renewal.state == RenewalState.DEPT_REVIEW


LONG = "审" * 100_000


@pytest.mark.parametrize(
    ("name", "opinion", "message"),
    [
        ("renewal_return", "", "请填写退回原因"),
        ("renewal_return", "   ", "请填写退回原因"),
        ("renewal_return", LONG, "退回原因不能超过2000字（现为100,000字）"),
        ("renewal_approve", LONG, "审批意见不能超过2000字（现为100,000字）"),
    ],
)
def test_a_bad_decision_is_refused_with_a_clear_error_and_nothing_is_written(
    client, contract, alice, hugo, name, opinion, message
):
    with time_machine.travel(at(DAY), tick=False):
        assert ask(client, alice, contract).status_code == 302
        renewal = ContractRenewal.objects.get(contract=contract)
        before = AuditEvent.objects.exclude(action="login").count()

        response = decide(client, hugo, contract, renewal, opinion, name=name)

    assert response.status_code == 422
    assert message in str(response.context["decision_form"].errors["opinion"])
    renewal.refresh_from_db()
    assert renewal.state == RenewalState.DEPT_REVIEW and renewal.reviewed_by is None and renewal.review_opinion == ""
    assert AuditEvent.objects.exclude(action="login").count() == before


def test_a_request_the_rules_send_to_a_collective_decision_needs_its_minutes(client, contract, alice):
    with time_machine.travel(at(DAY), tick=False):
        before = AuditEvent.objects.exclude(action="login").count()

        response = ask(client, alice, contract, **{"ren-minutes": ""})

    assert response.status_code == 422
    message = str(response.context["renewal_form"].errors["minutes"])
    assert "原值50万元及以上须财政审批并集体决策" in message and "请上传会议纪要" in message
    assert not ContractRenewal.objects.exists()
    assert AuditEvent.objects.exclude(action="login").count() == before
