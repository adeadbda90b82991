"""A contract as a case's execution gives it, and the execution's one receipt booked on its schedule: plain functions
over the models they are handed, so the 销号 receiver and the backfill migration (historical models) build the same
contract from the same case."""

from __future__ import annotations

from decimal import Decimal

from workflows import methods

from . import schedule

# The execution form's 付款周期, as the contract stores it (workflows.methods.CYCLE_CHOICES).
CYCLE_CODES = dict(
    zip(
        methods.CYCLE_CHOICES,
        (schedule.MONTHLY, schedule.QUARTERLY, schedule.HALF_YEARLY, schedule.YEARLY, schedule.ONE_OFF),
        strict=True,
    )
)


def record_value(record, spec: methods.Method, name: str):
    """An execution field's typed value, from its ExecutionRecord column or from `details` (as ExecutionRecord.value,
    for the historical models of a migration too)."""
    if any(f.name == name for f in record._meta.concrete_fields):
        return getattr(record, name)
    declared = spec.get_field(name)
    return methods.decode(declared.kind, (record.details or {}).get(name))


def contract_fields(case, record, spec: methods.Method) -> dict:
    """A Contract's fields (but the case's own links and the timestamps) from the case's execution."""
    terms = spec.contract

    def value(name: str):
        return record_value(record, spec, name) if name and name in spec.field_names else None

    annual, one_off = value(terms.annual), value(terms.one_off)
    chosen = value(methods.PAYMENT_CYCLE) if methods.PAYMENT_CYCLE in spec.field_names else ""
    cycle = CYCLE_CODES.get(chosen) or (schedule.YEARLY if terms.annual else schedule.ONE_OFF)
    if annual in (None, Decimal(0)) and one_off in (None, Decimal(0)):
        cycle = schedule.ONE_OFF
    return {
        "method": case.method,
        "counterparty": (value(terms.counterparty) or "")[:200],
        "counterparty_code": (value(methods.COUNTERPARTY_CODE) or "").strip().upper(),
        "starts_on": value(terms.starts_on),
        "ends_on": value(terms.ends_on) if terms.ends_on else None,
        "cycle": cycle,
        "annual_amount": annual,
        "one_off_amount": one_off,
        "step_percent": value(methods.RENT_STEP) or Decimal(0),
        "deposit": value(terms.deposit),
        "number": (value(terms.contract_no) or "")[:60],
    }


def installments_for(contract, Installment) -> list:
    return [
        Installment(
            contract=contract,
            sequence=due.sequence,
            due_on=due.due_on,
            period_ends_on=due.period_ends_on,
            amount=due.amount,
        )
        for due in schedule.payment_schedule(
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            cycle=contract.cycle,
            annual=contract.annual_amount,
            step_percent=contract.step_percent,
            one_off=contract.one_off_amount,
        )
    ]


def receipt_payments(case, installments: list, Payment, *, paid_on, recorded_at) -> list:
    """The case's one receipt at execution (实收, with its 缴款凭证号 and finance's confirmation) as payments on the
    first installments, in order, each up to what it owes: a year's rent paid in advance pays a year's quarters. The
    case's own figures stay as they are; only what the schedule cannot hold (a receipt larger than the whole term)
    is left off the schedule."""
    left = case.amount_received or Decimal(0)
    # Payment.contract came after the migrations that book with their historical models (0002, 0007; 0009 fills it).
    keeps_contract = any(f.name == "contract" for f in Payment._meta.concrete_fields)
    payments = []
    for installment in installments:
        if left <= 0:
            break
        amount = min(left, installment.amount - installment.paid)
        if amount <= 0:
            continue
        installment.paid += amount
        left -= amount
        payments.append(
            Payment(
                installment=installment, amount=amount, paid_on=paid_on, receipt_no=case.remittance_receipt_no or "—",
                recorded_by_id=case.execution_recorded_by_id, recorded_at=recorded_at,
                confirmed_by_id=case.remittance_confirmed_by_id, confirmed_at=case.remittance_confirmed_at,
                nontax_receipt_no=case.remittance_receipt_no if case.remittance_confirmed_by_id else "",
                **({"contract_id": installment.contract_id} if keeps_contract else {}),
            )
        )  # fmt: skip
    return payments
