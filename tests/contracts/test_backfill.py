"""Leases closed before contracts existed (migration contracts 0002, contracts.backfill): each gets its contract with
the one receipt booked on its first installment, and no figure of the closed case changes."""

from decimal import Decimal

import pytest
from django.apps import apps

from assets.selectors import SupervisionScope
from contracts.backfill import contracts_backfill
from contracts.models import Contract, Payment
from supervision.dashboard import Period, proceeds_figures
from supervision.models import ReportKind
from workflows.models import CaseState

from ..cases import case_at, fetch
from ..clock import TODAY

pytestmark = pytest.mark.django_db


def forget_contracts():
    """The database as it was before contracts: the closed cases, no contract rows."""
    Payment.objects.all().delete()
    Contract.objects.all().delete()


def test_a_closed_lease_becomes_a_contract_with_one_installment_paid_and_its_figures_unchanged(
    building, alice, henry, hugo, fiona, fred
):
    case = case_at(CaseState.CLOSED, building, method="lease", clerk=alice, head=henry, reviewer=hugo, finance=fiona,
                   confirmer=fred)  # fmt: skip
    period = Period.containing(ReportKind.MONTHLY, TODAY)
    figures_before = proceeds_figures(SupervisionScope("county"), period)
    forget_contracts()

    assert contracts_backfill(apps) == 1

    contract = Contract.objects.get(case=case)
    installments = list(contract.installments.order_by("sequence"))
    assert (contract.cycle, contract.annual_amount, contract.counterparty) == (
        "yearly",
        Decimal("52000"),
        "茂县羌韵餐饮有限公司",
    )
    assert len(installments) == 3
    assert [i.paid for i in installments] == [Decimal("52000"), Decimal(0), Decimal(0)]
    [payment] = Payment.objects.filter(installment__contract=contract)
    assert (payment.receipt_no, payment.recorded_by, payment.confirmed_by) == ("川财缴2026-00123", alice, fred)
    after = fetch(case)
    assert (after.amount_due, after.amount_received, after.amount_remitted) == (
        case.amount_due,
        case.amount_received,
        case.amount_remitted,
    )
    assert proceeds_figures(SupervisionScope("county"), period) == figures_before
    assert contracts_backfill(apps) == 0  # run again, nothing more


def test_a_closed_case_of_a_method_without_a_contract_gets_none(computer, alice, henry, rita, fiona):
    case_at(CaseState.CLOSED, computer, clerk=alice, head=henry, reviewer=rita, finance=fiona)  # 报废

    assert contracts_backfill(apps) == 0 and not Contract.objects.exists()


def test_a_lease_executed_before_contracts_came_at_execution_gets_its_contract_when_migrated(
    building, alice, henry, hugo, fiona
):
    """Migration 0007: a lease executed and still waiting for 销号 when contracts moved from 销号 to execution."""
    case = case_at(CaseState.EXECUTED, building, method="lease", clerk=alice, head=henry, reviewer=hugo, finance=fiona)
    forget_contracts()

    assert contracts_backfill(apps) == 0  # closed cases only
    assert contracts_backfill(apps, state="executed") == 1

    contract = Contract.objects.get(case=case)
    [payment] = Payment.objects.filter(installment__contract=contract)
    assert (payment.amount, payment.recorded_by, payment.confirmed_at) == (Decimal("52000"), alice, None)
    assert contracts_backfill(apps, state="executed") == 0
