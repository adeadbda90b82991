"""Arrears from the schedule: an installment is in arrears once it is due and still unpaid after the grace period,
counted in working days on the county's calendar (workflows.calendar: holidays and 调休), the period being data
(Policy.arrears_grace_working_days)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import F, Q

from workflows.calendar import add_working_days


def grace_ends_on(due_on: date, grace_working_days: int) -> date:
    """The last day an installment due on `due_on` may still be paid without being in arrears."""
    return add_working_days(due_on, grace_working_days)


def arrears_cutoff(today: date, grace_working_days: int) -> date:
    """The latest due date whose grace has ended before `today`: every unpaid installment due on or before it is in
    arrears. A due date's grace end only moves forward with it, so a search over the days before today finds it, a
    few calendar queries whatever the number of installments (the dashboard asks once, then filters in SQL)."""
    lo = today - timedelta(days=2 * grace_working_days + 40)
    while grace_ends_on(lo, grace_working_days) >= today:  # a run of closures longer than the window
        lo -= timedelta(days=2 * grace_working_days + 40)
    hi = today - timedelta(days=1)
    # Invariant: grace_ends_on(lo) < today; find the last day with that property in [lo, hi].
    while lo < hi:
        mid = lo + timedelta(days=(hi - lo).days // 2 + 1)
        if grace_ends_on(mid, grace_working_days) < today:
            lo = mid
        else:
            hi = mid - timedelta(days=1)
    return lo


def in_arrears_q(cutoff: date) -> Q:
    """The installments in arrears given the cutoff (arrears_cutoff): due on or before it, not paid in full and not
    cancelled. The one rule the dashboard's alert, the rent ledger and the reminders share. A contract's end (到期收回,
    提前终止, 续签) leaves what was owed before it owed; 提前终止 cancels what falls due from its date on
    (cancelled_on), which is then no longer owed."""
    return Q(due_on__lte=cutoff, paid__lt=F("amount"), cancelled_on__isnull=True)
