"""Contracts for the cases closed before contracts existed (migration 0002), and for those executed but not yet closed
when contracts came to be made at execution instead of 销号 (0007): each such case of a method that runs over time gets
its contract and schedule, with the one receipt its execution recorded booked on the first
installments, so no figure of a closed case changes. Written against the models it is handed (the migration's
historical ones), with the same booking as the execution's (contracts.booking)."""

from django.utils import timezone

from workflows import methods

from . import booking
from .schedule import ScheduleError


def contracts_backfill(apps, *, state: str = "closed") -> int:
    DisposalCase = apps.get_model("workflows", "DisposalCase")
    ExecutionRecord = apps.get_model("workflows", "ExecutionRecord")
    Contract = apps.get_model("contracts", "Contract")
    Installment = apps.get_model("contracts", "Installment")
    Payment = apps.get_model("contracts", "Payment")
    codes = [m.code for m in methods.all_methods() if m.contract is not None]
    made = 0
    cases = DisposalCase.objects.filter(state=state, method__in=codes).exclude(
        pk__in=Contract.objects.values("case_id")
    )
    for case in cases.order_by("pk").iterator():
        record = ExecutionRecord.objects.filter(case_id=case.pk).first()
        if record is None:
            continue
        spec = methods.get(case.method)
        fields = booking.contract_fields(case, record, spec)
        if fields["starts_on"] is None or not fields["counterparty"]:
            continue  # nothing to hold a contract to: such a case keeps its one receipt as before
        contract = Contract.objects.create(
            case_id=case.pk, asset_id=case.asset_id, holding_unit_id=case.holding_unit_id,
            created_at=case.closed_at or case.executed_at or timezone.now(), **fields,
        )  # fmt: skip
        try:
            installments = booking.installments_for(contract, Installment)
        except ScheduleError:
            installments = []  # terms no schedule fits (an end before the start): the contract holds the terms only
        executed = case.executed_at or case.closed_at or timezone.now()
        payments = booking.receipt_payments(
            case, installments, Payment, paid_on=timezone.localdate(executed), recorded_at=executed
        )
        for installment in installments:
            installment.save()
        for payment in payments:
            payment.save()
        made += 1
    return made
