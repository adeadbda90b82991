"""A 3-year lease with quarterly rent, driven through the path to 销号, then lived through its contract's pages: its
schedule, a payment, a late one raising arrears on the dashboard, cleared by paying; bad input refused with nothing
saved; each role's refusals (the wrong role 403, another organization 404); finance's confirmation of a remittance,
never by whoever recorded it."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets.models import Role
from assets.selectors import SupervisionScope
from audit.models import AuditEvent
from contracts.arrears import grace_ends_on
from contracts.models import Contract, Payment
from core.errors import DomainError
from supervision.dashboard import Period, dashboard_figures
from supervision.models import ReportKind
from workflows.models import CaseState, Policy
from workflows.services import case_close, case_confirm_remittance

from ..cases import as_, case_at, fetch, lease_record, proceeds
from ..clock import TODAY, at, term_ends
from ..workflows.test_flow_urls import errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def lease(building, alice, henry, hugo, fiona, fred):
    """The building leased for three years from today, 52,000 元 a year paid quarterly: the first quarter's 13,000 元
    received at execution (confirmed by fred), and the case closed by fiona."""
    record = lease_record(
        lease_starts_on=TODAY, lease_ends_on=term_ends(TODAY, 3), payment_cycle="按季",
        counterparty_credit_code="91513223MA6C4XQ57X",
    )  # fmt: skip
    case = case_at(
        CaseState.CLOSED, building, method="lease", clerk=alice, head=henry, reviewer=hugo, finance=fiona,
        confirmer=fred, record=record, money=proceeds("13000", remitted="13000"),
    )  # fmt: skip
    return case


def contract_of(case) -> Contract:
    return Contract.objects.get(case=case)


def page(client, user, contract):
    client.force_login(user)
    return client.get(reverse("contracts:detail", args=[contract.pk]))


def pay(client, user, contract, sequence, amount, paid_on, receipt_no, **extra):
    client.force_login(user)
    installment = contract.installments.get(sequence=sequence)
    data = {"installment": installment.pk, "amount": str(amount), "paid_on": paid_on.isoformat(),
            "receipt_no": receipt_no, **extra}  # fmt: skip
    return client.post(reverse("contracts:payment_record", args=[contract.pk]), data)


def arrears(today):
    period = Period.containing(ReportKind.MONTHLY, today)
    return dashboard_figures(SupervisionScope("county"), period, today)["alerts"]["rent_arrears"]


def test_a_closed_quarterly_lease_has_twelve_installments_and_its_first_is_paid_by_the_receipt(client, lease, alice):
    contract = contract_of(lease)
    installments = list(contract.installments.order_by("sequence"))

    assert (contract.cycle, contract.counterparty, contract.number) == (
        "quarterly",
        "茂县羌韵餐饮有限公司",
        "MXZL-2026-018",
    )
    assert contract.counterparty_code == "91513223MA6C4XQ57X" and contract.deposit == Decimal("10000")
    assert len(installments) == 12 and sum(i.amount for i in installments) == Decimal("156000")
    assert [i.due_on for i in installments[:2]] == [TODAY, TODAY + relativedelta(months=3)]
    assert [i.paid for i in installments[:2]] == [Decimal("13000"), Decimal(0)]
    [payment] = Payment.objects.filter(installment__contract=contract)
    assert (payment.receipt_no, payment.confirmed_by.username) == ("川财缴2026-00123", "fred")
    assert lease.amount_received == Decimal("13000")  # the case's own figure is unchanged
    assert AuditEvent.objects.filter(case=lease, action="contract_create").exists()

    response = page(client, alice, contract)

    body = response.content.decode()
    assert response.status_code == 200 and "第12期" in body and "按季" in body
    assert "登记一笔收款" in body
    client.force_login(alice)
    case_page = client.get(reverse("cases:process_detail", args=[lease.pk])).content.decode()
    assert reverse("contracts:detail", args=[contract.pk]) in case_page
    asset_page = client.get(reverse("register:detail", args=[lease.asset_id])).content.decode()
    assert reverse("contracts:detail", args=[contract.pk]) in asset_page


def test_a_late_quarter_is_in_arrears_after_the_grace_period_and_paying_it_clears_it(client, lease, alice, fiona):
    contract = contract_of(lease)
    second = contract.installments.get(sequence=2)
    grace = Policy.current().arrears_grace_working_days
    last_day = grace_ends_on(second.due_on, grace)

    with time_machine.travel(at(last_day), tick=False):
        assert arrears(last_day)["count"] == 0  # still within the grace period
    day_after = last_day + datetime.timedelta(days=1)
    with time_machine.travel(at(day_after), tick=False):
        raised = arrears(day_after)
        assert raised["count"] == 1
        row = raised["rows"][0]
        assert (row["case_id"], row["contract_id"], row["arrears"]) == (lease.pk, contract.pk, Decimal("13000.00"))
        assert "欠缴" in page(client, alice, contract).content.decode()

        response = pay(client, alice, contract, 2, "13000", day_after, "MX-SK-2027-0042")

        assert response.status_code == 302
        assert arrears(day_after)["count"] == 0
        second.refresh_from_db()
        assert second.paid == Decimal("13000")
        event = AuditEvent.objects.get(action="payment_record")
        assert (event.actor, event.case_id, event.data["receipt_no"]) == (alice, lease.pk, "MX-SK-2027-0042")

        payment = Payment.objects.get(receipt_no="MX-SK-2027-0042")
        client.force_login(fiona)
        url = reverse("contracts:payment_confirm", args=[contract.pk, payment.pk])
        assert client.post(url, {f"p{payment.pk}-nontax_receipt_no": "川非税2027-000318"}).status_code == 302
        payment.refresh_from_db()
        assert (payment.confirmed_by, payment.nontax_receipt_no) == (fiona, "川非税2027-000318")


def test_a_payment_with_its_evidence_goes_on_the_assets_file(client, lease, alice):
    contract = contract_of(lease)
    receipt = SimpleUploadedFile(
        "收据.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"
    )

    response = pay(client, alice, contract, 2, "5000", TODAY, "MX-SK-2026-0100", evidence=receipt)

    assert response.status_code == 302
    payment = Payment.objects.get(receipt_no="MX-SK-2026-0100")
    assert payment.evidence.asset_id == lease.asset_id and payment.evidence.kind == "remittance_receipt"


@pytest.mark.parametrize(
    ("amount", "paid_on", "receipt_no", "field", "message"),
    [
        ("13000.01", TODAY, "MX-1", "amount", "超过第2期尚欠的13,000.00元"),
        ("100", TODAY - datetime.timedelta(days=1), "MX-2", "paid_on", "收款日期不能早于合同期限起"),
        ("100", TODAY + datetime.timedelta(days=1), "MX-3", "paid_on", "收款日期不能晚于今天"),
        ("100", TODAY, "川财缴2026-00123", "receipt_no", "收款凭证号川财缴2026-00123已登记过"),
        ("0", TODAY, "MX-5", "amount", "收款金额须大于0"),
    ],
)
def test_bad_payments_are_refused_with_a_clear_error_and_nothing_is_saved(
    client, lease, alice, amount, paid_on, receipt_no, field, message
):
    contract = contract_of(lease)
    before = (Payment.objects.count(), AuditEvent.objects.filter(action="payment_record").count())

    response = pay(client, alice, contract, 2, amount, paid_on, receipt_no)

    assert response.status_code == 422
    assert message in str(response.context["payment_form"].errors[field])
    assert (Payment.objects.count(), AuditEvent.objects.filter(action="payment_record").count()) == before
    assert contract.installments.get(sequence=2).paid == 0


def test_rent_still_owed_is_paid_after_the_term_has_ended(client, lease, alice):
    """补缴: the last quarter, unpaid when the term ended, is paid two days later and leaves the arrears."""
    contract = contract_of(lease)
    after = contract.ends_on + datetime.timedelta(days=2)
    last = contract.installments.get(sequence=12)

    with time_machine.travel(at(after), tick=False):
        response = pay(client, alice, contract, 12, str(last.amount), after, "MX-LATE")

    assert response.status_code == 302, errors(response)
    assert contract.installments.get(sequence=12).outstanding == 0


@pytest.mark.parametrize("who", ["henry", "hugo", "fiona", "sam"])
def test_only_the_holding_units_clerk_may_record_a_payment(client, lease, who, request):
    contract = contract_of(lease)

    response = pay(client, request.getfixturevalue(who), contract, 2, "100", TODAY, "MX-ROLE")

    assert response.status_code == 403
    assert not Payment.objects.filter(receipt_no="MX-ROLE").exists()


def test_another_units_clerk_sees_no_contract_of_ours(client, lease, bob):
    contract = contract_of(lease)

    assert page(client, bob, contract).status_code == 404
    assert pay(client, bob, contract, 2, "100", TODAY, "MX-BOB").status_code == 404
    client.force_login(bob)
    assert contract.number not in client.get(reverse("contracts:index")).content.decode()


@pytest.mark.parametrize("who", ["alice", "henry", "sam"])
def test_only_finance_may_confirm_a_remittance(client, lease, who, request):
    contract = contract_of(lease)
    pay(client, request.getfixturevalue("alice"), contract, 2, "100", TODAY, "MX-CONF")
    payment = Payment.objects.get(receipt_no="MX-CONF")
    client.force_login(request.getfixturevalue(who))

    url = reverse("contracts:payment_confirm", args=[contract.pk, payment.pk])
    response = client.post(url, {f"p{payment.pk}-nontax_receipt_no": "川非税2026-1"})

    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.confirmed_at is None


def test_whoever_recorded_a_payment_may_not_confirm_its_remittance(client, lease, alice, finance_bureau):
    """A clerk who also holds the finance role (one person, two posts) still may not confirm their own payment."""
    contract = contract_of(lease)
    pay(client, alice, contract, 2, "100", TODAY, "MX-SOD")
    payment = Payment.objects.get(receipt_no="MX-SOD")
    alice.organization = finance_bureau
    alice.save()
    alice.groups.add(Group.objects.get(name=Role.FINANCE_APPROVER))
    client.force_login(alice)

    url = reverse("contracts:payment_confirm", args=[contract.pk, payment.pk])
    response = client.post(url, {f"p{payment.pk}-nontax_receipt_no": "川非税2026-2"})

    assert response.status_code == 403 and "登记收款的人员不能确认" in response.content.decode()
    payment.refresh_from_db()
    assert payment.confirmed_at is None


def test_a_confirmation_needs_the_nontax_receipt_number(client, lease, alice, fiona):
    contract = contract_of(lease)
    pay(client, alice, contract, 2, "100", TODAY, "MX-NT")
    payment = Payment.objects.get(receipt_no="MX-NT")
    client.force_login(fiona)

    url = reverse("contracts:payment_confirm", args=[contract.pk, payment.pk])
    response = client.post(url, {f"p{payment.pk}-nontax_receipt_no": ""})

    assert response.status_code == 422
    payment.refresh_from_db()
    assert payment.confirmed_at is None
    assert "请填写非税收入缴款书号" in response.content.decode() or "这个字段是必填项" in response.content.decode()


def test_a_wrong_counterparty_code_is_refused_at_execution_and_no_contract_is_made(building, alice, henry, hugo, fiona):
    record = lease_record(payment_cycle="按季", counterparty_credit_code="91513223MA6C4XQ570")

    with pytest.raises(DomainError, match="对方统一社会信用代码有误：统一社会信用代码校验位不正确"):
        case_at(CaseState.EXECUTED, building, method="lease", clerk=alice, head=henry, reviewer=hugo, finance=fiona,
                record=record)  # fmt: skip

    assert not Contract.objects.exists()


def test_an_executed_lease_has_its_contract_before_销号_rent_is_recorded_and_its_end_waits(
    client, building, alice, henry, hugo, fiona, fred
):
    """The contract is made when the execution is recorded (issue 14 §1): while finance still has to confirm the
    remittance and close the case, the clerk records rent against it; its return, termination and renewal wait for
    销号, and say so. Finance's confirmation of the case confirms the receipt booked at execution."""
    record = lease_record(lease_starts_on=TODAY, lease_ends_on=term_ends(TODAY, 3), payment_cycle="按季")
    case = case_at(CaseState.EXECUTED, building, method="lease", clerk=alice, head=henry, reviewer=hugo,
                   finance=fiona, record=record, money=proceeds("13000", remitted="13000"))  # fmt: skip
    contract = contract_of(case)
    [booked] = Payment.objects.filter(installment__contract=contract)
    assert (booked.amount, booked.recorded_by, booked.confirmed_at) == (Decimal("13000"), alice, None)

    text = page(client, alice, contract).content.decode()
    assert "处置事项尚待县财政局销号" in text and "确认收回" not in text and "提交续签申请" not in text
    assert pay(client, alice, contract, 2, "13000", TODAY, "MX-SK-0002").status_code == 302
    client.force_login(alice)
    refused = client.post(reverse("contracts:return", args=[contract.pk]), {
        "ret-returned_on": TODAY.isoformat(), "ret-condition": "房屋完好。", "ret-outcome": "in_use",
    })  # fmt: skip
    assert refused.status_code == 422
    assert "该事项尚未销号：合同的收回、终止和续签在县财政局销号后办理" in refused.content.decode()
    assert Contract.objects.get(pk=contract.pk).state == "active" and not hasattr(contract, "end")

    case_confirm_remittance(actor=as_(fred), case=fetch(case))
    booked = Payment.objects.get(pk=booked.pk)
    assert (booked.confirmed_by, booked.nontax_receipt_no) == (fred, "川财缴2026-00123")
    second = Payment.objects.get(receipt_no="MX-SK-0002")
    assert second.confirmed_at is None  # the clerk's own payment is confirmed on the contract page, as ever
    case_close(actor=as_(fiona), case=fetch(case))
    assert "确认收回" in page(client, alice, contract).content.decode()
    # Each payment keeps its installment's contract beside it (the rent ledger sums by it).
    assert {(p.contract_id, p.installment.contract_id) for p in Payment.objects.all()} == {(contract.pk, contract.pk)}
