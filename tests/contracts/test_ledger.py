"""The rent ledger (租金台账): a quarterly 3-year lease driven to 销号 owes its quarter in the month it falls due, its
payments count in the month they were received and 上缴 in the month finance confirmed them; the dashboard's money
section reads the same figures; the ledger page is scoped like the contract pages (another unit's contract is a 404),
a bad month range is refused with a clear error, the page's query count does not grow with the contracts, and the
.xlsx export holds the page's figures."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assets.models import AttachmentKind, Role
from assets.selectors import SupervisionScope
from audit.models import AuditEvent
from contracts import ledger
from contracts.arrears import grace_ends_on
from contracts.models import Contract, Payment
from supervision.dashboard import Period, dashboard_figures, proceeds_figures
from supervision.models import ReportKind
from workflows.models import CaseState, DisposalMethod, Policy
from workflows.services import case_close, case_confirm_remittance

from ..cases import as_, case_at, fetch, lease_record, proceeds
from ..clock import TODAY, at, term_ends
from ..factories import UserFactory
from ..ledgers import BUILDING, import_ledger, ledger_row, upload_evidence

pytestmark = pytest.mark.django_db

QUARTER = Decimal("13000.00")


@pytest.fixture
def lease(building, alice, henry, hugo, fiona, fred):
    """The school's building leased for three years from today, 52,000 元 a year paid quarterly: the first quarter's
    13,000 元 received at execution and confirmed by fred, the case closed by fiona."""
    record = lease_record(lease_starts_on=TODAY, lease_ends_on=term_ends(TODAY, 3), payment_cycle="按季")
    case = case_at(
        CaseState.CLOSED, building, method="lease", clerk=alice, head=henry, reviewer=hugo, finance=fiona,
        confirmer=fred, record=record, money=proceeds("13000", remitted="13000"),
    )  # fmt: skip
    return Contract.objects.get(case=case)


def lease_of_the_town(
    town, bob, hugo, fiona, fred, *, code="MX-FY-FW-001", number="MXFY-2026-003", receipt_no="川财缴2026-00871"
) -> Contract:
    """A building of 凤仪镇 leased by the month, 24,000 元 a year, its first month's 2,000 元 received at execution."""
    tina = town.users.filter(username="tina").first() or UserFactory(
        username="tina", full_name="马丽", organization=town, roles=[Role.UNIT_HEAD]
    )
    [asset] = import_ledger(bob, ledger_row(
        资产编号=code, 资产名称="原镇农技站", 资产类别=BUILDING, 资产子类="经营性用房", 计量单位="栋",
        **{"面积（㎡）": 320, "原值（元）": 900000, "净值（元）": 400000}, 取得日期=datetime.date(2001, 5, 1),
        使用状况="闲置", 停用日期=TODAY - datetime.timedelta(days=800), 闲置原因="农技站迁入便民服务中心后闲置",
    ))  # fmt: skip
    upload_evidence(bob, asset, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    record = lease_record(
        lessee="茂县凤仪农旅发展有限公司", annual_rent=Decimal("24000"), reserve_rent=Decimal("20000"),
        payment_cycle="按月", contract_no=number, lease_ends_on=term_ends(TODAY, 2),
    )  # fmt: skip
    case = case_at(
        CaseState.CLOSED, asset, method="lease", clerk=bob, head=tina, reviewer=hugo, finance=fiona, confirmer=fred,
        record=record, money=proceeds("2000", remitted="2000", receipt_no=receipt_no),
    )  # fmt: skip
    return Contract.objects.get(case=case)


@pytest.fixture
def town_lease(town, bob, hugo, fiona, fred):
    return lease_of_the_town(town, bob, hugo, fiona, fred)


def this_month(day: datetime.date = TODAY) -> ledger.MonthRange:
    return ledger.MonthRange.of(day, day)


def months_of(contract, day) -> dict:
    """The contract's figures for the month of `day`, as of today."""
    today = timezone.localdate()
    return ledger.ledger_by_month(Contract.objects.filter(pk=contract.pk), this_month(day), today=today)["total"]


def money_row(day: datetime.date) -> dict:
    """The dashboard's 出租出借 row for the month of `day`."""
    figures = dashboard_figures(SupervisionScope("county"), Period.containing(ReportKind.MONTHLY, day), day)
    return next(r for r in figures["proceeds"]["rows"] if r["method"] == DisposalMethod.LEASE)


def pay(client, clerk, contract, sequence, amount, paid_on, receipt_no):
    client.force_login(clerk)
    installment = contract.installments.get(sequence=sequence)
    data = {"installment": installment.pk, "amount": str(amount), "paid_on": paid_on.isoformat(),
            "receipt_no": receipt_no}  # fmt: skip
    return client.post(reverse("contracts:payment_record", args=[contract.pk]), data)


def confirm(client, finance, contract, payment, number):
    client.force_login(finance)
    url = reverse("contracts:payment_confirm", args=[contract.pk, payment.pk])
    return client.post(url, {f"p{payment.pk}-nontax_receipt_no": number})


# -- the figures --------------------------------------------------------------------------------------------------


def test_a_quarterly_lease_executed_this_month_owes_its_first_quarter_not_its_year(lease):
    assert months_of(lease, TODAY) == {"due": QUARTER, "received": QUARTER, "remitted": QUARTER, "arrears": 0}

    row = money_row(TODAY)
    # Before the ledger, the month showed the execution's 应收: the year's 52,000 元.
    assert row["period"] == {
        "n": 1, "amount_due": QUARTER, "amount_received": QUARTER, "amount_remitted": QUARTER,
        "amount_confirmed": QUARTER,
    }  # fmt: skip


def test_the_second_quarter_counts_in_the_month_it_is_paid_and_its_remittance_when_finance_confirms_it(
    client, lease, alice, fiona
):
    second = lease.installments.get(sequence=2)
    with time_machine.travel(at(second.due_on), tick=False):
        before = months_of(lease, second.due_on)
        assert before == {"due": QUARTER, "received": 0, "remitted": 0, "arrears": 0}  # due, within its grace

        assert pay(client, alice, lease, 2, "13000", second.due_on, "MX-SK-2027-0042").status_code == 302

        assert months_of(lease, second.due_on) == {"due": QUARTER, "received": QUARTER, "remitted": 0, "arrears": 0}
        row = money_row(second.due_on)
        assert (row["period"]["amount_due"], row["period"]["amount_received"]) == (QUARTER, QUARTER)
        assert row["period"]["amount_remitted"] == 0  # not yet confirmed by finance

        payment = Payment.objects.get(receipt_no="MX-SK-2027-0042")
        assert confirm(client, fiona, lease, payment, "川非税2027-000318").status_code == 302

        assert months_of(lease, second.due_on)["remitted"] == QUARTER
        assert money_row(second.due_on)["period"]["amount_remitted"] == QUARTER
    # The month of execution keeps its own figures.
    assert months_of(lease, TODAY) == {"due": QUARTER, "received": QUARTER, "remitted": QUARTER, "arrears": 0}


def test_a_late_quarter_shows_as_arrears_in_the_month_it_fell_due_until_it_is_paid(client, lease, alice):
    second = lease.installments.get(sequence=2)
    last_day = grace_ends_on(second.due_on, Policy.current().arrears_grace_working_days)
    late = last_day + datetime.timedelta(days=1)

    with time_machine.travel(at(last_day), tick=False):
        assert months_of(lease, second.due_on)["arrears"] == 0
    with time_machine.travel(at(late), tick=False):
        assert months_of(lease, second.due_on)["arrears"] == QUARTER
        assert pay(client, alice, lease, 2, "5000", late, "MX-SK-2027-0050").status_code == 302
        assert months_of(lease, second.due_on)["arrears"] == Decimal("8000.00")


def test_the_ledger_by_unit_and_by_month_adds_up_county_wide(lease, town_lease):
    months = ledger.MonthRange.of(TODAY, TODAY + datetime.timedelta(days=100))
    contracts = Contract.objects.all()

    by_unit = {r["name"]: r for r in ledger.ledger_by_unit(contracts, months, today=TODAY)}
    by_month = ledger.ledger_by_month(contracts, months, today=TODAY)

    assert set(by_unit) == {"茂县第一中学", "茂县凤仪镇人民政府"}
    school_due = sum(i.amount for i in lease.installments.filter(due_on__lt=months.end))
    town_due = sum(i.amount for i in town_lease.installments.filter(due_on__lt=months.end))
    assert by_unit["茂县第一中学"]["due"] == school_due == 2 * QUARTER
    assert by_unit["茂县凤仪镇人民政府"]["due"] == town_due
    assert by_month["total"]["due"] == school_due + town_due
    assert by_month["total"]["received"] == QUARTER + Decimal("2000")
    assert [r["month"] for r in by_month["rows"]] == months.months


# -- the page -----------------------------------------------------------------------------------------------------


def ledger_page(client, user, **query):
    client.force_login(user)
    return client.get(reverse("contracts:ledger"), query)


def test_the_ledger_page_shows_this_years_months_and_links_each_contract_to_its_own_ledger(client, lease, alice):
    response = ledger_page(client, alice)

    body = response.content.decode()
    assert response.status_code == 200
    assert f"{TODAY.year}年{TODAY.month}月" in body and "13,000.00" in body
    assert reverse("contracts:contract_ledger", args=[lease.pk]) in body
    client.force_login(alice)
    own = client.get(reverse("contracts:contract_ledger", args=[lease.pk]))
    assert own.status_code == 200 and "13,000.00" in own.content.decode()
    assert (
        reverse("contracts:contract_ledger", args=[lease.pk])
        in client.get(reverse("contracts:detail", args=[lease.pk])).content.decode()
    )
    assert reverse("contracts:ledger") in client.get(reverse("contracts:index")).content.decode()  # the 合同 menu


def test_each_unit_sees_only_its_own_contracts_and_the_county_sees_both(
    client, lease, town_lease, alice, henry, bob, fiona, sam, hugo
):
    for user, seen, unseen in ((alice, lease, town_lease), (henry, lease, town_lease), (bob, town_lease, lease)):
        body = ledger_page(client, user).content.decode()
        assert str(seen.number) in body and str(unseen.number) not in body, user
        assert "按持有单位" not in body  # one unit: no table of units
        client.force_login(user)
        assert client.get(reverse("contracts:contract_ledger", args=[unseen.pk])).status_code == 404
        assert client.get(reverse("contracts:contract_ledger_xlsx", args=[unseen.pk])).status_code == 404
    for user in (fiona, sam, hugo):  # finance and supervisors the county; 住建局 verified both buildings
        body = ledger_page(client, user).content.decode()
        assert lease.number in body and town_lease.number in body and "按持有单位" in body, user
    body = ledger_page(client, fiona, unit=str(town_lease.holding_unit_id)).content.decode()
    assert town_lease.number in body and lease.number not in body


def test_a_unit_of_another_organization_is_refused_as_a_filter(client, lease, town_lease, alice):
    response = ledger_page(client, alice, unit=str(town_lease.holding_unit_id))

    assert response.status_code == 400
    assert "所选持有单位没有您可查看的合同" in response.content.decode()
    assert town_lease.number not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13"}, "起始月份的月份须为1至12。"),
        ({"start": "二〇二六年一月"}, "起始月份须为“年-月”，如 2026-01。"),
        ({"start": "2027-03", "end": "2027-01"}, "截止月份（2027年1月）不能早于起始月份（2027年3月）。"),
        ({"start": "2000-01", "end": "2030-12"}, "一次最多查询120个月（10年），所选范围为372个月。"),
    ],
)
def test_a_bad_month_range_is_refused_with_a_clear_error(client, lease, fiona, query, message):
    response = ledger_page(client, fiona, **query)

    assert response.status_code == 400
    assert message in response.content.decode()
    client.force_login(fiona)
    export = client.get(reverse("contracts:ledger_xlsx"), query)
    assert export.status_code == 400 and message in export.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_ledger_pages_query_count_does_not_grow_with_the_contracts(
    client, lease, town_lease, town, bob, hugo, fiona, fred
):
    query = {"start": f"{TODAY:%Y-%m}", "end": f"{TODAY + datetime.timedelta(days=200):%Y-%m}"}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("contracts:ledger"), query).status_code == 200
        return len(captured)

    client.force_login(fiona)
    client.get(reverse("contracts:ledger"), query)  # the session's first page writes it (SessionIdleMiddleware)
    two = queries()
    lease_of_the_town(town, bob, hugo, fiona, fred, code="MX-FY-FW-002", number="MXFY-2026-004",
                      receipt_no="川财缴2026-00872")  # fmt: skip
    assert Contract.objects.count() == 3
    assert queries() == two, two


def test_the_export_holds_the_pages_figures_and_is_on_the_trail(client, lease, town_lease, fiona):
    client.force_login(fiona)
    query = {"start": f"{TODAY:%Y-%m}", "end": f"{TODAY:%Y-%m}"}

    response = client.get(reverse("contracts:ledger_xlsx"), query)

    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["按月", "按单位", "按合同"]
    months = [row for row in wb["按月"].iter_rows(values_only=True) if row and row[0] in ("合计",)]
    total_due = sum(i.amount for c in (lease, town_lease) for i in c.installments.filter(due_on__lte=TODAY))
    assert Decimal(str(months[0][1])) == total_due
    numbers = {row[0] for row in wb["按合同"].iter_rows(min_row=3, values_only=True)}
    assert numbers == {lease.number, town_lease.number}
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.data["what"], event.data["rows"]) == (fiona, "rent_ledger", 2)


def test_someone_with_no_role_may_not_open_the_ledger(client, lease, school):
    nobody = UserFactory(username="nora", full_name="无角色", organization=school, roles=[])
    client.force_login(nobody)

    assert client.get(reverse("contracts:ledger")).status_code == 403


def test_the_dashboard_and_its_workbook_say_how_the_money_is_counted_and_link_the_ledger(client, lease, fiona):
    client.force_login(fiona)

    page = client.get(reverse("supervision:dashboard")).content.decode()
    assert "应收按应付日期" in page and reverse("contracts:ledger") in page
    query = {"kind": ReportKind.MONTHLY, "year": TODAY.year, "period": TODAY.month}
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(reverse("supervision:report_xlsx"), query).content))
    lines = [row[0] for row in workbook["收入上缴"].iter_rows(values_only=True) if row and row[0]]
    assert any(str(line).startswith("出租出借、委托运营") for line in lines)


def test_a_lease_has_its_contract_from_its_execution_and_counts_its_receipt_once_through_销号(
    building, alice, henry, hugo, fiona, fred
):
    """The recorded execution makes the contract (issue 14 §1): between execution and 销号 the dashboard counts the
    receipt from the contract's ledger, in the month of its execution, and 销号 changes neither the contract nor the
    figure."""
    case = case_at(CaseState.EXECUTED, building, method="lease", clerk=alice, head=henry, reviewer=hugo,
                   finance=fiona, confirmer=fred)  # fmt: skip
    period = Period.containing(ReportKind.MONTHLY, TODAY)

    def lease_row():
        rows = proceeds_figures(SupervisionScope("county"), period, TODAY)["rows"]
        return next(r for r in rows if r["method"] == "lease")["period"]

    executed = lease_row()
    assert (executed["n"], executed["amount_received"]) == (1, Decimal("52000"))
    contract = Contract.objects.get(case_id=case.pk)
    assert contract.awaits_closing
    assert sum(i.paid for i in contract.installments.all()) == Decimal("52000")

    case_confirm_remittance(actor=as_(fred), case=fetch(case))
    case_close(actor=as_(fiona), case=fetch(case))

    closed = lease_row()
    assert list(Contract.objects.filter(case_id=case.pk).values_list("pk", flat=True)) == [contract.pk]
    assert not Contract.objects.get(pk=contract.pk).awaits_closing
    assert (closed["n"], closed["amount_received"]) == (1, Decimal("52000"))
