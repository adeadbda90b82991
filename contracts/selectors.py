"""Who sees which contracts (those who see their case), and a contract's schedule with 应收 / 实收 / 上缴 / 欠缴."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Sum

from assets.models import User
from workflows.models import Policy
from workflows.selectors import case_visibility_q

from .arrears import arrears_cutoff, in_arrears_q
from .models import Contract, Payment

ZERO = Decimal(0)


def contracts_visible(*, user: User) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("case", "asset", "holding_unit")
    q = case_visibility_q(user, prefix="case__")
    return qs if q is None else qs.filter(q)


def contract_schedule(contract: Contract, *, today: date) -> dict:
    """Each installment with what is due, received, remitted (confirmed by finance) and owed, whether it is in
    arrears (due, unpaid after the grace period), and the totals."""
    cutoff = arrears_cutoff(today, Policy.current().arrears_grace_working_days)
    installments = list(
        contract.installments.annotate(
            remitted=Sum("payments__amount", filter=Q(payments__confirmed_at__isnull=False)),
            late=ExpressionWrapper(in_arrears_q(cutoff), output_field=BooleanField()),  # the one arrears rule
        )
    )
    rows = []
    totals = {"due": ZERO, "paid": ZERO, "remitted": ZERO, "owed": ZERO, "arrears": ZERO}
    for installment in installments:
        owed = installment.outstanding
        in_arrears = installment.late
        rows.append({"installment": installment, "remitted": installment.remitted or ZERO, "owed": owed,
                     "in_arrears": in_arrears, "open": owed > 0})  # fmt: skip
        # A cancelled installment (提前终止) is no longer due: what was paid on it stays as received.
        totals["due"] += installment.paid if installment.cancelled_on else installment.amount
        totals["paid"] += installment.paid
        totals["remitted"] += installment.remitted or ZERO
        totals["owed"] += owed
        totals["arrears"] += owed if in_arrears else ZERO
    totals["not_yet"] = totals["owed"] - totals["arrears"]
    return {"rows": rows, "totals": totals, "cutoff": cutoff, "today": today}


def contract_payments(contract: Contract) -> QuerySet[Payment]:
    return Payment.objects.filter(installment__contract=contract).select_related(
        "installment", "recorded_by", "confirmed_by", "evidence"
    )
