"""A contract's payment schedule from its terms: a pure function, no ORM (the models, the backfill migration and the
tests all call it).

The term runs from starts_on to ends_on, both days included (a 租期止 is the last day of the term, as a contract
writes it: 2026-11-18 to 2029-11-17 is three years): periods of the cycle start on the start date's day each 1, 3, 6
or 12 months
(a start on the 31st falls on the last day of a shorter month; 29 February on 28 February in a common year), and each
installment is due on its period's first day (rent in advance). Contract year k (from the start date's anniversary)
owes annual × (1 + step/100)^k, rounded to the fen; its installments share it equally (rounded down), the remainder
on its last, so a full year's installments sum to that year's amount exactly. A year the term's end cuts short owes its
periods; its last period, cut short too, by its days. One-off: a single installment on the first day, of the given
amount or, failing that, of the whole term's stepped amounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

FEN = Decimal("0.01")
MONTHLY, QUARTERLY, HALF_YEARLY, YEARLY, ONE_OFF = "monthly", "quarterly", "half_yearly", "yearly", "one_off"
CYCLE_MONTHS = {MONTHLY: 1, QUARTERLY: 3, HALF_YEARLY: 6, YEARLY: 12}


class ScheduleError(ValueError):
    """Terms no schedule can be made from; the message is for the user."""


@dataclass(frozen=True)
class Due:
    sequence: int
    due_on: dt.date
    amount: Decimal
    period_ends_on: dt.date  # the period's last day (inclusive)


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def _share(amount_of_year: Decimal, per_year: int) -> Decimal:
    # Rounded down, so the year's last installment (which takes the remainder) is never less than the others.
    return (amount_of_year / per_year).quantize(FEN, rounding=ROUND_DOWN)


def year_amount(annual: Decimal, step_percent: Decimal, year: int) -> Decimal:
    """What contract year `year` (0 for the first) owes: the annual amount stepped `year` times, to the fen."""
    return _fen(Decimal(annual) * (1 + Decimal(step_percent) / 100) ** year)


def _months(starts_on: dt.date, months: int) -> dt.date:
    # Always counted from the start date, never from the previous period (31 Jan → 28 Feb → 31 Mar, not 28 Mar).
    return starts_on + relativedelta(months=months)


def payment_schedule(
    *,
    starts_on: dt.date,
    ends_on: dt.date | None,
    cycle: str,
    annual: Decimal | None = None,
    step_percent: Decimal = Decimal(0),
    one_off: Decimal | None = None,
) -> list[Due]:
    """The installments of a contract with these terms (see the module's docstring); [] when it earns nothing."""
    step_percent = Decimal(step_percent or 0)
    if (annual is None or annual == 0) and (one_off is None or one_off == 0):
        return []
    if min(Decimal(annual or 0), Decimal(one_off or 0), step_percent) < 0:
        raise ScheduleError("合同金额和年递增比例不能为负数。")
    if ends_on is None:
        raise ScheduleError("有应收款项的合同须约定期限止。")
    if ends_on <= starts_on:
        raise ScheduleError("合同期限止须晚于期限起。")
    last_day, ends_on = ends_on, ends_on + dt.timedelta(days=1)  # from here on, the first day after the term
    if cycle == ONE_OFF or annual in (None, 0):
        amount = _fen(Decimal(one_off)) if one_off else _term_total(starts_on, ends_on, Decimal(annual), step_percent)
        return [Due(1, starts_on, amount, last_day)]
    if cycle not in CYCLE_MONTHS:
        raise ScheduleError(f"未知的付款周期：{cycle}。")
    step = CYCLE_MONTHS[cycle]
    per_year = 12 // step
    out: list[Due] = []
    i = 0
    while (starts := _months(starts_on, i * step)) < ends_on:
        year, index = divmod(i, per_year)
        amount_of_year = year_amount(annual, step_percent, year)
        full = _months(starts_on, (i + 1) * step)
        if index == per_year - 1 and full <= ends_on:
            # The last period of a full year takes the remainder, so the year sums exactly.
            amount = amount_of_year - _share(amount_of_year, per_year) * (per_year - 1)
        else:
            amount = _share(amount_of_year, per_year)
        if full > ends_on:  # the term ends inside this period: it owes its days
            amount = _fen(amount * (ends_on - starts).days / (full - starts).days)
        out.append(Due(i + 1, starts, amount, min(full, ends_on) - dt.timedelta(days=1)))
        i += 1
    return out


def _term_total(starts_on: dt.date, ends_on: dt.date, annual: Decimal, step_percent: Decimal) -> Decimal:
    """The whole term's stepped amounts, paid at once: full years, and the last part-year by its days (`ends_on`
    here is the first day after the term)."""
    total, year = Decimal(0), 0
    while (starts := _months(starts_on, 12 * year)) < ends_on:
        full = _months(starts_on, 12 * (year + 1))
        amount = year_amount(annual, step_percent, year)
        if full > ends_on:
            amount = _fen(amount * (ends_on - starts).days / (full - starts).days)
        total += amount
        year += 1
    return total
