"""The end of a contract (issue 14 §3), through its pages: a 3-year quarterly lease ended early with a settlement, run
to its end and returned idle again (再度闲置 on the dashboard, and reported again as idle), a renewal asked by the
clerk (its approval round: test_renewal.py); each role's refusals (the wrong role 403, another organization 404) and
bad input refused with a clear error and nothing written. Time moves with time_machine."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from assets.models import Asset, AssetStatus, UsageStatus
from assets.selectors import SupervisionScope
from audit.models import AuditEvent
from contracts.models import ContractEnd, ContractRenewal, ContractState
from core.formatting import cn_date
from documents.models import DocumentStatus
from documents.services import document_issue, documents_of
from supervision.dashboard import Period, dashboard_figures
from supervision.models import ReportKind
from workflows.models import DisposalCase

from ..clock import TODAY, at, term_ends, years_after
from ..workflows.test_flow_urls import errors, pdf, report

pytestmark = pytest.mark.django_db

ENDS_ON = LAST_DAY = term_ends(TODAY, 3)  # 期限止: the term's last day
RENEWED_FROM = ENDS_ON + datetime.timedelta(days=1)  # a renewal runs from the next day
ENDING_ACTIONS = ("contract_return", "contract_terminate", "renewal_request", "renewal_approve")


def post(client, user, name, contract, data, *args):
    client.force_login(user)
    return client.post(reverse(f"contracts:{name}", args=[contract.pk, *args]), data)


def pay(client, user, contract, sequence, day, receipt_no):
    installment = contract.installments.get(sequence=sequence)
    data = {"installment": installment.pk, "amount": str(installment.amount), "paid_on": day.isoformat(),
            "receipt_no": receipt_no}  # fmt: skip
    response = post(client, user, "payment_record", contract, data)
    assert response.status_code == 302, errors(response)


def ending(returned_on, **extra) -> dict:
    data = {"returned_on": returned_on.isoformat(), "condition": "房屋结构完好，墙面轻微污损，钥匙3把已交回。",
            "outcome": "in_use", "idle_reason": "", **extra}  # fmt: skip
    return {f"ret-{k}": v for k, v in data.items()}


def termination(terminated_on, **extra) -> dict:
    data = {"returned_on": terminated_on.isoformat(), "termination_reason": "承租方经营调整，双方协商一致解除合同。",
            "settlement": "20000", "deposit_outcome": "kept", "condition": "房屋完好，承租方自行拆除隔断。",
            "outcome": "in_use", "idle_reason": "", **extra}  # fmt: skip
    return {f"end-{k}": v for k, v in data.items()}


RENEWAL = {"ren-ends_on": term_ends(RENEWED_FROM, 3).isoformat(), "ren-cycle": "quarterly",
           "ren-annual_amount": "56000", "ren-step_percent": "", "ren-deposit": "10000", "ren-number": "MXZL-2029-031",
           "ren-reason": "承租方按期足额缴纳租金，经公开比价续租三年。"}  # fmt: skip


def figures(day):
    period = Period.containing(ReportKind.MONTHLY, day)
    return dashboard_figures(SupervisionScope("county"), period, day)


def asset_of(contract) -> Asset:
    return Asset.objects.get(pk=contract.asset_id)


def issued(contract, kind):
    [document] = documents_of(contract).filter(kind=kind)
    document_issue(document_id=document.pk)
    document.refresh_from_db()
    assert document.status == DocumentStatus.ISSUED
    return document


def test_an_early_termination_settles_cancels_what_falls_due_after_it_and_returns_the_asset(client, contract, alice):
    day = contract.installments.get(sequence=3).due_on + datetime.timedelta(days=14)  # the 3rd quarter's third week
    with time_machine.travel(at(day), tick=False):
        pay(client, alice, contract, 2, day, "MX-SK-2027-0002")
        pay(client, alice, contract, 3, day, "MX-SK-2027-0003")

        response = post(client, alice, "terminate", contract, termination(day))

        assert response.status_code == 302, errors(response)
    contract.refresh_from_db()
    end = contract.end
    assert contract.state == ContractState.TERMINATED and end.get_kind_display() == "提前终止"
    assert (end.settlement, end.deposit_outcome, end.returned_on) == (Decimal("20000"), "kept", day)
    cancelled = list(contract.installments.filter(cancelled_on=day).values_list("sequence", flat=True))
    assert cancelled == list(range(4, 13))  # due after the termination: no longer owed
    asset = asset_of(contract)
    assert (asset.status, asset.usage_status, asset.idle_since) == (AssetStatus.IN_USE, UsageStatus.NORMAL, None)
    event = AuditEvent.objects.get(action="contract_terminate")
    assert (event.actor, event.data["cancelled_installments"]) == (alice, cancelled)
    later = day + datetime.timedelta(days=366)  # a year on: nothing cancelled is in arrears
    with time_machine.travel(at(later), tick=False):
        assert figures(later)["alerts"]["rent_arrears"]["count"] == 0
        client.force_login(alice)
        page = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert "已终止" in page and "提前终止，已取消" in page and "20,000.00" in page
    assert "确认终止并收回" not in page and "申请续签" not in page  # it has ended
    document = issued(contract, "contract_termination")
    assert document.title == "合同提前终止备案表"
    rows = {r["label"]: r["text"] for r in document.context["execution_rows"]}
    assert rows["结算金额"] == "20,000.00 元" and rows["取消的应收期次"].startswith("第4期、第5期")
    client.force_login(alice)
    download = client.get(reverse("contracts:document", args=[contract.pk, document.uuid]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_rent_owed_before_a_termination_stays_owed_and_in_arrears(client, contract, alice):
    # Two weeks after the 3rd quarter fell due: the 2nd is paid, the 3rd not, and the contract ends that day.
    day = contract.installments.get(sequence=3).due_on + datetime.timedelta(days=14)
    with time_machine.travel(at(day), tick=False):
        pay(client, alice, contract, 2, day, "MX-SK-2027-0002")
        assert post(client, alice, "terminate", contract, termination(day)).status_code == 302
    later = day + datetime.timedelta(days=92)
    with time_machine.travel(at(later), tick=False):
        [row] = figures(later)["alerts"]["rent_arrears"]["rows"]
    assert (row["contract_id"], row["installments"], row["arrears"]) == (contract.pk, 1, Decimal("13000.00"))


def test_a_return_idle_again_shows_as_such_and_the_asset_can_be_reported_again(client, contract, alice, sam):
    with time_machine.travel(at(LAST_DAY), tick=False):
        response = post(client, alice, "return", contract, ending(
            LAST_DAY, outcome="idle", idle_reason="承租方退租后暂无新的承租意向。"
        ))  # fmt: skip
        assert response.status_code == 302, errors(response)
        contract.refresh_from_db()
        assert contract.state == ContractState.RETURNED and contract.end.outcome == "idle"
        asset = asset_of(contract)
        assert (asset.status, asset.usage_status, asset.idle_since) == (AssetStatus.IN_USE, UsageStatus.IDLE, LAST_DAY)
        assert asset.idle_reason == "承租方退租后暂无新的承租意向。"
        shown = figures(LAST_DAY)["contracts"]
        assert (shown["revitalized_assets"], shown["idle_again"], shown["idle_again_share"]) == (1, 1, Decimal("100.0"))
        client.force_login(sam)
        dashboard = client.get(reverse("supervision:dashboard")).content.decode()
        kpi = dashboard[dashboard.index('id="kpi-idle-again"') :][:300]
        assert "1 / 100.0%" in kpi and "再度闲置" in kpi
    document = issued(contract, "contract_return")
    rows = {r["label"]: r["text"] for r in document.context["execution_rows"]}
    assert rows["收回后使用状况"] == "再度闲置" and rows["收回交接日期"] == cn_date(LAST_DAY)

    half_a_year = LAST_DAY + datetime.timedelta(days=190)
    with time_machine.travel(at(half_a_year), tick=False):
        case = report(client, alice, asset)
    assert case.asset_id == asset.pk and DisposalCase.objects.filter(asset=asset).count() == 2
    assert figures(half_a_year)["contracts"]["idle_again"] == 1  # idle again until it is put to use once more


def test_contracts_ending_within_60_and_30_days_are_alerts_linking_to_the_contract(client, contract, sam):
    in_53_days = LAST_DAY - datetime.timedelta(days=53)
    with time_machine.travel(at(in_53_days), tick=False):
        alert = figures(in_53_days)["alerts"]["contracts_ending"]
        assert (alert["count"], alert["urgent"], alert["title"]) == (1, 0, "合同60日内到期")
        assert (alert["rows"][0]["contract_id"], alert["rows"][0]["days"]) == (contract.pk, 53)
        client.force_login(sam)
        page = client.get(reverse("supervision:dashboard")).content.decode()
        section = page[page.index('id="alert-contracts_ending"') :][:1500]
        assert reverse("contracts:detail", args=[contract.pk]) in section and "53日后" in section
    in_23_days = LAST_DAY - datetime.timedelta(days=23)
    with time_machine.travel(at(in_23_days), tick=False):
        alert = figures(in_23_days)["alerts"]["contracts_ending"]
        assert (alert["count"], alert["urgent"]) == (1, 1) and "30日内到期" in alert["rows"][0]["detail"]
    before = LAST_DAY - datetime.timedelta(days=62)
    with time_machine.travel(at(before), tick=False):
        assert figures(before)["alerts"]["contracts_ending"]["count"] == 0


@pytest.mark.parametrize("who", ["henry", "hugo", "fiona", "sam"])
@pytest.mark.parametrize("name", ["return", "terminate", "renewal_request"])
def test_only_the_holding_units_clerk_may_end_or_renew_a_contract(client, contract, who, name, request):
    data = {"return": ending(TODAY), "terminate": termination(TODAY), "renewal_request": RENEWAL}[name]

    response = post(client, request.getfixturevalue(who), name, contract, data)

    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.state == ContractState.ACTIVE and not ContractRenewal.objects.exists()


def test_another_units_clerk_finds_no_contract_to_end(client, contract, alice, bob):
    assert post(client, alice, "renewal_request", contract, {**RENEWAL, "ren-minutes": pdf()}).status_code == 302
    renewal = ContractRenewal.objects.get(contract=contract)
    for name, data, args in [
        ("return", ending(TODAY), ()), ("terminate", termination(TODAY), ()), ("renewal_request", RENEWAL, ()),
        ("renewal_approve", {}, (renewal.pk,)),
    ]:  # fmt: skip
        assert post(client, bob, name, contract, data, *args).status_code == 404, name
    assert ContractEnd.objects.count() == 0


LONG = "房" * 100_000


@pytest.mark.parametrize(
    ("name", "data", "field", "message"),
    [
        ("terminate", termination(TODAY - datetime.timedelta(days=1)), "returned_on", "不能早于合同期限起"),
        ("return", ending(TODAY - datetime.timedelta(days=1)), "returned_on", "不能早于合同期限起"),
        ("return", ending(TODAY), "returned_on", "尚未到期；期满前收回请办理提前终止"),
        ("terminate", termination(TODAY, settlement="-1"), "settlement", "结算金额不能为负数"),
        ("terminate", termination(TODAY, settlement="10000000"), "settlement", "超过合同全期应收156,000.00 元"),
        ("terminate", termination(TODAY, condition=LONG), "condition", "不能超过2000字（现为100,000字）"),
        ("terminate", termination(TODAY, outcome="idle"), "idle_reason", "请填写闲置原因"),
        ("terminate", termination(TODAY, deposit_outcome="none"), "deposit_outcome", "请选择保证金10,000.00 元退还"),
        ("renewal_request", {**RENEWAL, "ren-ends_on": ENDS_ON.isoformat()}, "ends_on", "须晚于原合同期限止"),
        ("renewal_request", {**RENEWAL, "ren-ends_on": years_after(ENDS_ON, 6).isoformat()}, "ends_on", "不能超过5年"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_written(client, contract, alice, name, data, field,
                                                                         message):  # fmt: skip
    before = AuditEvent.objects.exclude(action="login").count()

    response = post(client, alice, name, contract, data)

    assert response.status_code == 422
    form = response.context[{"return": "return_form", "terminate": "terminate_form"}.get(name, "renewal_form")]
    assert message in str(form.errors[field]), form.errors
    contract.refresh_from_db()
    assert contract.state == ContractState.ACTIVE and AuditEvent.objects.exclude(action="login").count() == before
    assert not ContractEnd.objects.exists() and not ContractRenewal.objects.exists()
    assert not contract.installments.filter(cancelled_on__isnull=False).exists()
    assert asset_of(contract).status == AssetStatus.REVITALIZED
