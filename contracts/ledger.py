"""The rent ledger (租金台账): 应收 / 实收 / 上缴 / 欠缴 of a set of contracts by month, per contract, per holding unit
and county-wide (issue 14 §2). Pure reads: each figure is one GROUP BY query over the installments or the payments,
whatever the number of contracts.

- 应收: the installments due in the month (Installment.due_on).
- 实收: the payments received in the month (Payment.paid_on).
- 上缴: the payments whose remittance finance confirmed, in the month finance confirmed it (Payment.confirmed_at, the
  county's day): money counts as 上缴 once the treasury has it, not when the unit received it.
- 欠缴: what the installments due in the month still owe today, where they are in arrears today (contracts.arrears:
  due and unpaid past the grace period); a figure as of today, by the month the installments fell due.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce

from dateutil.relativedelta import relativedelta
from django.db.models import Case, Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from assets.models import Organization
from workflows.models import Policy

from .arrears import arrears_cutoff, in_arrears_q
from .models import Contract, Installment, Payment

ZERO = Decimal(0)
# The definitions above, for the page and the workbook.
LEDGER_BASIS = (
    "应收按应付日期、实收按收款日期、上缴按财政确认上缴的日期所在月份统计；欠缴为该月到期、超过宽限期（工作日）"
    "至今仍未付清的金额。"
)
# The longest range one ledger page or workbook covers: ten years of months.
MAX_MONTHS = 120
FIGURES = ("due", "received", "remitted", "arrears")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")

# What each grouping is called on an installment and on a payment.
_ON_INSTALLMENT = {
    "contract": "contract_id",
    "holding_unit": "contract__holding_unit_id",
    "method": "contract__method",
    "month": "month",
}
_ON_PAYMENT = {
    "contract": "contract_id",
    "holding_unit": "contract__holding_unit_id",
    "method": "contract__method",
    "month": "month",
}


class LedgerError(ValueError):
    """A month range the ledger cannot show, with a message the user can act on and the input it is about."""

    def __init__(self, message: str, field: str = "start"):
        super().__init__(message)
        self.message, self.field = message, field


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


@dataclass(frozen=True)
class MonthRange:
    """Whole months from `first` to `last` (each the first day of its month), both included."""

    first: dt.date
    last: dt.date

    @classmethod
    def of(cls, first: dt.date, last: dt.date) -> MonthRange:
        return cls(first.replace(day=1), last.replace(day=1))

    @classmethod
    def parse(cls, start: str | None, end: str | None, *, today: dt.date) -> MonthRange:
        """From the page's 起始月份 / 截止月份 (YYYY-MM); blank: the year of `today` up to its month."""
        first = _month(start, "start", "起始月份") if start else today.replace(month=1, day=1)
        last = _month(end, "end", "截止月份") if end else today.replace(day=1)
        if last < first:
            raise LedgerError(f"截止月份（{month_label(last)}）不能早于起始月份（{month_label(first)}）。", "end")
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        if months > MAX_MONTHS:
            raise LedgerError(f"一次最多查询{MAX_MONTHS}个月（{MAX_MONTHS // 12}年），所选范围为{months}个月。", "end")
        return cls(first, last)

    @property
    def end(self) -> dt.date:
        """The first day after the range (exclusive bound)."""
        return self.last + relativedelta(months=1)

    @property
    def months(self) -> list[dt.date]:
        out, month = [], self.first
        while month <= self.last:
            out.append(month)
            month += relativedelta(months=1)
        return out

    @property
    def label(self) -> str:
        if self.first == self.last:
            return month_label(self.first)
        return f"{month_label(self.first)}至{month_label(self.last)}"

    @property
    def query(self) -> dict[str, str]:
        return {"start": f"{self.first:%Y-%m}", "end": f"{self.last:%Y-%m}"}


def _month(text: str, field: str, name: str) -> dt.date:
    match = _MONTH.match(text)
    if match is None:
        raise LedgerError(f"{name}须为“年-月”，如 2026-01。", field)
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise LedgerError(f"{name}的月份须为1至12。", field)
    if not 2000 <= year <= 2100:
        raise LedgerError(f"{name}的年份须在2000年至2100年之间。", field)
    return dt.date(year, month, 1)


def blank() -> dict:
    return dict.fromkeys(FIGURES, ZERO)


def _d(value) -> Decimal:
    # To the fen: SQLite sums decimals as floats.
    return ZERO if value is None else Decimal(value).quantize(Decimal("0.01"))


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _key(row: dict, by: tuple[str, ...]) -> tuple:
    out = []
    for name in by:
        value = row[name]
        if name == "month":  # a date for due_on / paid_on, a local datetime for confirmed_at
            value = timezone.localtime(value).date() if isinstance(value, dt.datetime) else value
        out.append(value)
    return tuple(out)


def ledger_cutoff(today: dt.date) -> dt.date:
    """The arrears cutoff as of `today` (contracts.arrears), for a page that asks the ledger several times."""
    return arrears_cutoff(today, Policy.current().arrears_grace_working_days)


def _all_contracts(contracts: QuerySet[Contract]) -> bool:
    return contracts.model is Contract and not contracts.query.where and not contracts.query.is_sliced


def ledger_groups(
    contracts: QuerySet[Contract],
    months: MonthRange,
    *,
    today: dt.date,
    by: tuple[str, ...] = (),
    cutoff: dt.date | None = None,
    count_contracts: bool = False,
) -> dict[tuple, dict]:
    """The four figures of `contracts` over `months`, grouped by any of "contract", "holding_unit", "method" and
    "month" (the key is the tuple of those values, in that order; () for the whole): three queries and the arrears
    cutoff's few calendar queries. With `count_contracts`, "contracts" counts, per group, the contracts with an
    installment due (the dashboard's 件数; a COUNT DISTINCT, so asked for only where shown)."""
    return ledger_groups_over(
        contracts, {"": months}, today=today, by=by, cutoff=cutoff, count_contracts=count_contracts
    )[""]


def ledger_groups_over(
    contracts: QuerySet[Contract],
    ranges: dict[str, MonthRange],
    *,
    today: dt.date,
    by: tuple[str, ...] = (),
    cutoff: dt.date | None = None,
    count_contracts: bool = False,
) -> dict[str, dict[tuple, dict]]:
    """ledger_groups for several month ranges at once (the dashboard's period and year to date), by range name: the
    installments in one query and, unless grouped by month, the payments in one more, each range's figures a
    filtered sum over the span of them all."""
    # Every contract (a county-wide reader): no semi-join of the installments and payments with the whole table.
    ids = None if _all_contracts(contracts) else contracts.order_by().values("pk")
    cutoff = cutoff or ledger_cutoff(today)
    first, end = min(r.first for r in ranges.values()), max(r.end for r in ranges.values())
    out: dict[str, dict[tuple, dict]] = {name: {} for name in ranges}

    def bucket(name: str, key: tuple) -> dict:
        return out[name].setdefault(key, {**blank(), "contracts": 0})

    def within(day: str, r: MonthRange, moment: bool = False) -> Q:
        low, high = (_moment(r.first), _moment(r.end)) if moment else (r.first, r.end)
        return Q(**{f"{day}__gte": low, f"{day}__lt": high})

    due = Installment.objects.order_by().filter(due_on__gte=first, due_on__lt=end)
    if ids is not None:
        due = due.filter(contract__in=ids)
    if "month" in by:
        due = due.annotate(month=TruncMonth("due_on"))
    # 提前终止 cancels what falls due from its date on: such an installment owes what was paid on it, if anything.
    owed = Case(When(cancelled_on__isnull=False, then=F("paid")), default=F("amount"))
    figures = {}
    for name, r in ranges.items():
        figures[f"due{name}"] = Sum(owed, filter=within("due_on", r))
        figures[f"arrears{name}"] = Sum(F("amount") - F("paid"), filter=in_arrears_q(cutoff) & within("due_on", r))
        if count_contracts:
            figures[f"contracts{name}"] = Count("contract_id", distinct=True, filter=within("due_on", r))
    for row in due.values(*(_ON_INSTALLMENT[b] for b in by)).annotate(**figures):
        key = _key({b: row[_ON_INSTALLMENT[b]] for b in by}, by)
        for name in ranges:
            if row[f"due{name}"] is None:
                continue  # nothing of this group falls due in this range
            target = bucket(name, key)
            target["due"], target["arrears"] = _d(row[f"due{name}"]), _d(row[f"arrears{name}"])
            target["contracts"] = row.get(f"contracts{name}", 0)

    payments = Payment.objects.order_by()
    if ids is not None:
        payments = payments.filter(contract__in=ids)
    # 实收 by the day received, 上缴 by the day finance confirmed it: one query for both, but by month one each (their
    # months differ).
    span = MonthRange(first, end - relativedelta(months=1))
    received, remitted = {"received": ("paid_on", False)}, {"remitted": ("confirmed_at", True)}
    for days in [received, remitted] if "month" in by else [received | remitted]:
        qs = payments.filter(reduce(operator.or_, (within(day, span, moment) for day, moment in days.values())))
        if "month" in by:
            [(day, _)] = days.values()
            qs = qs.annotate(month=TruncMonth(day))
        sums = {
            f"{figure}{name}": Sum("amount", filter=within(day, r, moment))
            for figure, (day, moment) in days.items()
            for name, r in ranges.items()
        }
        for row in qs.values(*(_ON_PAYMENT[b] for b in by)).annotate(**sums):
            key = _key({b: row[_ON_PAYMENT[b]] for b in by}, by)
            for name in ranges:
                for figure in days:
                    if row[f"{figure}{name}"] is not None:
                        bucket(name, key)[figure] = _d(row[f"{figure}{name}"])
    return out


def _total(rows) -> dict:
    total = blank()
    for row in rows:
        for figure in FIGURES:
            total[figure] += row[figure]
    return total


def ledger_by_month(
    contracts: QuerySet[Contract], months: MonthRange, *, today: dt.date, cutoff: dt.date | None = None
) -> dict:
    """Every month of the range (those with nothing too) and the range's total."""
    groups = ledger_groups(contracts, months, today=today, by=("month",), cutoff=cutoff)
    rows = []
    for month in months.months:
        figures = groups.get((month,), blank())
        rows.append({"month": month, "label": month_label(month), **{f: figures[f] for f in FIGURES}})
    return {"rows": rows, "total": _total(rows)}


def ledger_by_unit(
    contracts: QuerySet[Contract], months: MonthRange, *, today: dt.date, cutoff: dt.date | None = None
) -> list[dict]:
    """Each holding unit with anything in the range, by name."""
    groups = ledger_groups(contracts, months, today=today, by=("holding_unit",), cutoff=cutoff)
    names = Organization.objects.in_bulk([key[0] for key in groups])
    rows = [
        {"organization_id": key[0], "name": names[key[0]].name, **{f: figures[f] for f in FIGURES}}
        for key, figures in groups.items()
    ]
    return sorted(rows, key=lambda r: r["name"])


def contracts_in_range(contracts: QuerySet[Contract], months: MonthRange) -> QuerySet[Contract]:
    """The contracts whose term overlaps the range, for the per-contract list (by unit, then start)."""
    return contracts.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=months.first), starts_on__lt=months.end).order_by(
        "holding_unit__name", "starts_on", "pk"
    )


def ledger_of_contracts(
    contracts: list[Contract] | QuerySet[Contract], months: MonthRange, *, today: dt.date, cutoff: dt.date | None = None
) -> list[dict]:
    """One row per contract, in their order: a page of the list (its ids), or a whole queryset (the export)."""
    of = contracts if isinstance(contracts, QuerySet) else Contract.objects.filter(pk__in=[c.pk for c in contracts])
    groups = ledger_groups(of, months, today=today, by=("contract",), cutoff=cutoff)
    return [{"contract": c, **{f: groups.get((c.pk,), blank())[f] for f in FIGURES}} for c in contracts]
