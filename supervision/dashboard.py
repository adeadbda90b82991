"""The 月调度 / 季评估 figures: aggregate reads over one SupervisionScope, one period and one day, as plain data.

Every function takes the scope, the period and `today`, runs a few GROUP BY queries (never a Python loop over the
assets or cases themselves: only over their groups, or over the rows of one short list) and returns dicts of Decimal,
int, str and date. The dashboard page, the .xlsx export and the signed PDF all print these same figures
(`dashboard_figures`), so what a supervisor sees and what the report freezes cannot disagree.

Definitions (DESIGN.md "Supervision", seed 004 "月调度、季评估"):

- 盘活 (revitalized): a case closed (销号, state closed) in the month of its `closed_at`; its asset's area and 原值
  count for that month. Cases are attributed to the unit that held the asset during the case (`holding_unit` of the
  case), so a 调剂 stays the giving unit's achievement after the asset moved to the receiving unit's ledger.
- Targets: a Target counts the closed cases whose asset has its category (none: all categories) and whose holding
  unit has its unit kind (blank: all), always within the viewer's scope. The county sees every target of the year; a
  department sees its own targets (lead_department = it) and the county-wide ones (no lead department) of the
  categories it leads, all counted over the assets it leads; a unit sees the county-wide targets that apply to its
  kind of unit, counted over its own assets (its contribution).
- Proceeds: the contract methods' 应收 / 实收 / 上缴 come from the rent ledger (contracts.ledger: due date, payment
  date, finance's confirmation); the one-off methods' due / received / remitted are recorded with the execution
  result, so they fall in the month of `executed_at`; "财政已确认" is the part finance confirmed (收支两条线).
- 销号率 of a unit: of its cases verified (认定) in the year up to the period's end and neither rejected nor
  withdrawn, the share closed by the period's end. 盘活率: cases on idle or low-efficiency assets closed in the year
  up to the period's end, over those plus the unit's idle or low-efficiency assets still on its active ledger (the
  stock not yet revitalized, reported or not).
- Alerts are as of `today`; the definitions of each are on the functions below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    ValueRange,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, ExtractMonth, RowNumber
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import (
    AreaUnit,
    Asset,
    AssetStatus,
    Category,
    CategorySubtype,
    Organization,
    UsageStatus,
)
from assets.selectors import SupervisionScope
from contracts import ledger as rent_ledger
from contracts.arrears import arrears_cutoff, in_arrears_q
from contracts.models import Contract, ContractState, Installment, ReturnOutcome
from core import formatting
from core.formatting import cn_date
from workflows import methods
from workflows.models import (
    EARNING_METHODS,
    OPEN_STATES,
    RECORD_COLUMNS,
    Basis,
    CaseState,
    DisposalCase,
    DisposalMethod,
    ExecutionRecord,
    Policy,
    RoutingRule,
    Step,
    execution_field_label,
)
from workflows.routing import finance_picker, step_holder

from .models import ReportKind, Target, TargetMeasure

ZERO = Decimal(0)
SQM_PER_HECTARE = Decimal(10000)
# How many rows of each alert and list the page, the workbook and the PDF show (the count is always the full one).
LIST_LIMIT = 50
# How many rows an alert list's own .xlsx export holds at most (its sheet says so when the count is larger).
ALERT_EXPORT_LIMIT = 5000
# Alert windows (days), as the supervision brief sets them; the appraisal validity itself is Policy data.
CONTRACT_ALERT_DAYS, CONTRACT_URGENT_DAYS = 60, 30  # contracts ending within these (issue 14 §3)
SPLIT_CASES_LISTED = 10  # plans named per suspected split
SPLIT_ROWS_LISTED = 20  # suspected splits listed (the count covers them all)
TASK_AGE_LIMIT_DAYS = 366  # tasks older than this at the period's start are left out of the average days per step
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
PENDING_USAGE = (UsageStatus.IDLE, UsageStatus.LOW_EFFICIENCY)
ACTIVE_LEDGER = (AssetStatus.IN_USE, AssetStatus.IN_CASE)

# Who holds each step's task (workflows/flows.py): the holding unit, the lead department, the receiving unit or finance.
STEP_ORDER = list(Step.values)


def alert_titles(policy: Policy) -> dict[str, str]:
    """The alerts' titles, with the windows the county set (Policy, in the admin)."""
    return {
        "leases_expiring": f"租期{policy.lease_alert_days}日内到期",
        "rent_arrears": "租金欠缴",
        "contracts_ending": f"合同{CONTRACT_ALERT_DAYS}日内到期",
        "appraisals_expiring": f"评估报告{policy.appraisal_alert_days}日内失效或已失效",
        "idle_without_case": f"闲置超过{policy.idle_alert_months}个月未申报盘活",
        "batch_splitting": "疑似拆分规避审批",
        "follow_ups_due": "跟进日期已过",
    }


class PeriodError(ValueError):
    """A period that does not exist (month 13, quarter 0, a year in words), with a message the user can act on and
    the input it is about ("kind", "year" or "period")."""

    def __init__(self, message: str, field: str = "period"):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Period:
    """A month (月调度) or a quarter (季评估) of one year."""

    kind: str  # ReportKind: "monthly" or "quarterly"
    year: int
    number: int  # the month 1–12, or the quarter 1–4

    @classmethod
    def parse(cls, kind, year, number) -> Period:
        if kind not in ReportKind.values:
            raise PeriodError("报告类型须为“月调度”或“季评估”。", "kind")
        try:
            year = int(str(year).strip())
        except (TypeError, ValueError):
            raise PeriodError("年度须为四位数字，如 2026。", "year") from None
        if not 2000 <= year <= 2100:
            raise PeriodError("年度须在2000年至2100年之间。", "year")
        what, limit = ("月份", 12) if kind == ReportKind.MONTHLY else ("季度", 4)
        try:
            number = int(str(number).strip())
        except (TypeError, ValueError):
            raise PeriodError(f"{what}须为1至{limit}的数字。") from None
        if not 1 <= number <= limit:
            raise PeriodError(f"{what}须为1至{limit}的数字。")
        return cls(kind, year, number)

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        number = day.month if kind == ReportKind.MONTHLY else (day.month - 1) // 3 + 1
        return cls(kind, day.year, number)

    @property
    def is_monthly(self) -> bool:
        return self.kind == ReportKind.MONTHLY

    @property
    def first_month(self) -> int:
        return self.number if self.is_monthly else 3 * self.number - 2

    @property
    def last_month(self) -> int:
        return self.number if self.is_monthly else 3 * self.number

    @property
    def quarter(self) -> int:
        return (self.last_month - 1) // 3 + 1

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        """The day after the period (exclusive bound)."""
        return dt.date(self.year, self.last_month, 1) + relativedelta(months=1)

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def year_end(self) -> dt.date:
        return dt.date(self.year + 1, 1, 1)

    @property
    def label(self) -> str:
        if self.is_monthly:
            return f"{self.year}年{self.number}月"
        return f"{self.year}年{QUARTER_NAMES[self.number]}"

    @property
    def end_label(self) -> str:
        return f"{self.label}末" if not self.is_monthly else f"{self.label}底"

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "kind_label": ReportKind(self.kind).label,
            "year": self.year,
            "number": self.number,
            "label": self.label,
            "start": self.start,
            "last_day": self.end - dt.timedelta(days=1),
            "last_month": self.last_month,
            "quarter": self.quarter,
        }


# -- helpers --------------------------------------------------------------------------------------------------------


class DaysBetween(Func):
    """Whole days from the second date to the first, as an integer, on PostgreSQL and SQLite."""

    output_field = IntegerField()
    arity = 2
    template = "(%(expressions)s)"  # PostgreSQL: date - date is an integer number of days
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def _moment(day: dt.date) -> dt.datetime:
    """Local midnight starting `day`: the county's days, not UTC's."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class _LedCategories:
    """What a department leads, as ids: its sub-types, its categories, and their sub-types another department
    leads. Filters on these need no join to the category tables (the same rule as assets.models.led_by_q)."""

    subtypes: tuple[int, ...]
    categories: tuple[int, ...]
    overridden: tuple[int, ...]

    @classmethod
    def of(cls, department_id: int) -> _LedCategories:
        categories = tuple(Category.objects.filter(lead_department_id=department_id).values_list("pk", flat=True))
        subtypes = CategorySubtype.objects.filter(lead_department__isnull=False)
        return cls(
            subtypes=tuple(subtypes.filter(lead_department_id=department_id).values_list("pk", flat=True)),
            categories=categories,
            overridden=tuple(
                subtypes.filter(category_id__in=categories)
                .exclude(lead_department_id=department_id)
                .values_list("pk", flat=True)
            ),
        )

    def q(self, prefix: str = "") -> Q:
        q = Q(**{f"{prefix}subtype_id__in": self.subtypes}) if self.subtypes else Q(pk__in=[])
        if self.categories:
            of_category = Q(**{f"{prefix}category_id__in": self.categories})
            if self.overridden:  # NOT IN keeps the assets without a sub-type (Django adds IS NULL)
                of_category &= ~Q(**{f"{prefix}subtype_id__in": self.overridden})
            q |= of_category
        return q


@dataclass(frozen=True)
class _DepartmentScope(SupervisionScope):
    """A department's scope carrying what it leads, read once for all the queries of one dashboard."""

    led: _LedCategories | None = None


def _prepared(scope: SupervisionScope) -> SupervisionScope:
    if scope.level == "department" and not isinstance(scope, _DepartmentScope):
        return _DepartmentScope(scope.level, scope.organization, led=_LedCategories.of(scope.organization.pk))
    return scope


def asset_scope_q(scope: SupervisionScope, *, prefix: str = "") -> Q | None:
    """The scope's assets (under `prefix`): SupervisionScope.asset_q, with a department's categories as ids."""
    if scope.level == "department":
        return _prepared(scope).led.q(prefix)
    return scope.asset_q(prefix=prefix)


def case_scope_q(scope: SupervisionScope, *, prefix: str = "") -> Q | None:
    """The cases (under `prefix`) a scope covers: a unit's are those it held during the case, even after a 调剂 moved
    the asset to another ledger; a department's are those of the assets it leads."""
    if scope.level == "county":
        return None
    if scope.level == "unit":
        return Q(**{f"{prefix}holding_unit_id": scope.organization.pk})
    return asset_scope_q(scope, prefix=f"{prefix}asset__")


def _scoped(qs, q: Q | None):
    return qs if q is None else qs.filter(q)


def _d(value) -> Decimal:
    # To the cent: SQLite sums decimals as floats, and every figure is printed to two places anyway.
    return ZERO if value is None else Decimal(value).quantize(Decimal("0.01"))


def percent(part, whole) -> Decimal | None:
    """part / whole as a percentage to one decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)  # 四舍五入


def area_text(area_m2, unit: str = AreaUnit.SQM) -> str:
    return formatting.area_text(_d(area_m2), unit)


MEASURE_UNITS = {
    TargetMeasure.AREA_SQM: "m²",
    TargetMeasure.AREA_HA: "公顷",
    TargetMeasure.VALUE: "元",
    TargetMeasure.COUNT: "项",
    TargetMeasure.PROCEEDS: "元",
}


def measure_text(measure: str, value) -> str:
    value = _d(value)
    if measure == TargetMeasure.COUNT:
        return f"{value:,.0f} 项"
    return f"{value:,.2f} {MEASURE_UNITS[measure]}"


# -- the ledger: by category, stage and unit --------------------------------------------------------------------------


COUNT_KEYS = ("total", *UsageStatus.values, *AssetStatus.values, "pending")


def _asset_groups(scope: SupervisionScope) -> list[dict]:
    """One scan of the scope's ledger, grouped by category and holding unit, with the status counts as filtered
    aggregates (a few hundred groups, whatever the size of the ledger)."""
    qs = _scoped(Asset.objects.order_by(), asset_scope_q(scope))  # order_by(): the default ordering would join GROUP BY
    # 闲置 / 低效 … of the assets still on the active ledger (a disposed asset's last 使用状况 is history): so the
    # table's 闲置 + 低效 is the overview's 闲置低效待盘活.
    counts = {
        usage: Count("pk", filter=Q(usage_status=usage, status__in=ACTIVE_LEDGER)) for usage in UsageStatus.values
    }
    counts |= {status: Count("pk", filter=Q(status=status)) for status in AssetStatus.values}
    # Idle or low-efficiency, still on the active ledger: what is left to revitalize.
    counts["pending"] = Count("pk", filter=Q(usage_status__in=PENDING_USAGE, status__in=ACTIVE_LEDGER))
    return list(
        qs.values("category_id", "holding_unit_id").annotate(
            total=Count("pk"), area_m2=Sum("area_m2"), value=Sum("original_value"), **counts
        )
    )


def _blank_counts() -> dict:
    return {"area_m2": ZERO, "value": ZERO} | dict.fromkeys(COUNT_KEYS, 0)


def _add(counts: dict, group: dict) -> None:
    # Summed as they come and rounded once per row (ledger_figures).
    for key in COUNT_KEYS:
        counts[key] += group[key]
    counts["area_m2"] += group["area_m2"] or ZERO
    counts["value"] += group["value"] or ZERO


def ledger_figures(scope: SupervisionScope, groups: list[dict] | None = None) -> dict:
    """Assets by category, by ledger status and by holding unit (all units, most to revitalize first)."""
    groups = _asset_groups(scope) if groups is None else groups
    categories = {c.pk: c for c in Category.objects.all()}
    by_category: dict[int, dict] = {}
    by_unit: dict[int, dict] = {}
    totals = _blank_counts()
    for group in groups:
        _add(by_category.setdefault(group["category_id"], _blank_counts()), group)
        _add(by_unit.setdefault(group["holding_unit_id"], _blank_counts()), group)
        _add(totals, group)
    for counts in [*by_category.values(), *by_unit.values(), totals]:
        counts["area_m2"], counts["value"] = _d(counts["area_m2"]), _d(counts["value"])
    category_rows = []
    for category in sorted((categories[pk] for pk in by_category), key=lambda c: (c.sort_order, c.code)):
        counts = by_category[category.pk]
        category_rows.append(
            {"category_id": category.pk, "code": category.code, "name": category.name,
             "area_text": area_text(counts["area_m2"], category.area_unit), **counts}
        )  # fmt: skip
    units = Organization.objects.in_bulk(list(by_unit))
    unit_rows = [
        {"unit_id": pk, "name": units[pk].name, "kind": units[pk].get_kind_display(), **counts}
        for pk, counts in by_unit.items()
    ]
    unit_rows.sort(key=lambda r: (-r["pending"], -r["total"], r["name"]))
    totals["area_text"] = area_text(totals["area_m2"])
    return {"categories": category_rows, "category_totals": totals, "units": unit_rows}


def stage_figures(scope: SupervisionScope, totals: dict) -> dict:
    """The ledger by status (在用 / 处置中 / 已盘活 / 已处置) and the open cases by the state they are in."""
    assets = [{"status": s, "label": label, "n": totals[s]} for s, label in AssetStatus.choices]
    qs = _scoped(DisposalCase.objects.order_by().filter(state__in=OPEN_STATES), case_scope_q(scope))
    counts = dict(qs.values("state").annotate(n=Count("pk")).values_list("state", "n"))
    cases = [{"state": s, "label": CaseState(s).label, "n": counts.get(s, 0)} for s in OPEN_STATES]
    return {"assets": assets, "cases": cases, "open_cases": sum(counts.values())}


# -- revitalized against the targets -----------------------------------------------------------------------------


def _closed_groups(scope: SupervisionScope, period: Period) -> list[dict]:
    """The year's closed cases up to the period's end, grouped by month, category, unit and basis."""
    qs = DisposalCase.objects.order_by().filter(
        state=CaseState.CLOSED, closed_at__gte=_moment(period.year_start), closed_at__lt=_moment(period.end)
    )
    qs = _scoped(qs, case_scope_q(scope))
    rows = (
        qs.annotate(month=ExtractMonth("closed_at"))  # in the county's time zone
        .values(
            "month",
            "asset__category_id",
            "asset__subtype_id",
            "holding_unit_id",
            "holding_unit__kind",
            "basis",
            "method",
        )
        .annotate(
            n=Count("pk"),
            area=Sum("asset__area_m2"),
            value=Sum("asset__original_value"),
            received=Sum("amount_received"),
        )
    )
    return list(rows)


def _tally(method: str) -> str:
    """盘活 or 处置, as the method's declaration counts its closed cases."""
    spec = methods.get(method)
    return spec.tally.value if spec else ""


def _measure(measure: str, group: dict) -> Decimal:
    if measure == TargetMeasure.AREA_SQM:
        return _d(group["area"])
    if measure == TargetMeasure.AREA_HA:
        return _d(group["area"]) / SQM_PER_HECTARE
    if measure == TargetMeasure.VALUE:
        return _d(group["value"])
    if measure == TargetMeasure.PROCEEDS:
        return _d(group["received"])
    return Decimal(group["n"])


def targets_in_scope(scope: SupervisionScope, year: int):
    """The targets a scope answers for (see the module docstring)."""
    qs = Target.objects.filter(year=year).select_related("category", "lead_department").prefetch_related("subtypes")
    if scope.level == "county":
        return qs
    org = scope.organization
    if scope.level == "department":
        led = Category.objects.filter(Q(lead_department=org) | Q(subtypes__lead_department=org)).values("pk")
        return qs.filter(Q(lead_department=org) | Q(lead_department__isnull=True, category__in=led))
    return qs.filter(lead_department__isnull=True).filter(Q(unit_kind="") | Q(unit_kind=org.kind))


def revitalized_figures(scope: SupervisionScope, period: Period, closed: list[dict] | None = None) -> dict:
    """Cases closed (销号) per month of the year up to the period, the period and the year to date."""
    closed = _closed_groups(scope, period) if closed is None else closed
    months = {m: {"month": m, "n": 0, "area_m2": ZERO, "value": ZERO} for m in range(1, period.last_month + 1)}
    by_category: dict[int, dict] = {}
    by_method: dict[str, dict] = {}
    for group in closed:
        # 盘活 or 处置, and by which method (issue 13 §3): as each method's declaration counts it.
        spec = methods.get(group["method"])
        counted = by_method.setdefault(group["method"], {
            "method": group["method"], "label": spec.label if spec else group["method"],
            "tally": spec.tally.value if spec else "", "n": 0, "value": ZERO, "period_n": 0,
        })  # fmt: skip
        counted["n"] += group["n"]
        counted["value"] += _d(group["value"])
        if group["month"] >= period.first_month:
            counted["period_n"] += group["n"]
        row = months[group["month"]]
        row["n"] += group["n"]
        row["area_m2"] += _d(group["area"])
        row["value"] += _d(group["value"])
        cat = by_category.setdefault(group["asset__category_id"], {"n": 0, "area_m2": ZERO, "value": ZERO})
        cat["n"] += group["n"]
        cat["area_m2"] += _d(group["area"])
        cat["value"] += _d(group["value"])

    def total(rows) -> dict:
        rows = list(rows)
        return {
            "n": sum(r["n"] for r in rows),
            "area_m2": sum((r["area_m2"] for r in rows), ZERO),
            "value": sum((r["value"] for r in rows), ZERO),
        }

    categories = Category.objects.in_bulk(list(by_category))
    category_rows = [
        {"name": categories[pk].name, "area_text": area_text(row["area_m2"], categories[pk].area_unit), **row}
        for pk, row in sorted(by_category.items(), key=lambda kv: (categories[kv[0]].sort_order, kv[0]))
    ]
    cumulative, running = [], {"n": 0, "area_m2": ZERO, "value": ZERO}
    for m in sorted(months):
        running = {k: running[k] + months[m][k] for k in running}
        cumulative.append({"month": m, **running})
    return {
        "months": [months[m] for m in sorted(months)],
        "cumulative": cumulative,
        "period": total(months[m] for m in range(period.first_month, period.last_month + 1)),
        "ytd": total(months.values()),
        "by_category": category_rows,
        "by_method": [by_method[m.code] for m in methods.all_methods() if m.code in by_method],
        "by_tally": {
            tally.name.lower(): sum(r["n"] for r in by_method.values() if r["tally"] == tally.value)
            for tally in methods.Tally
        },
    }


def elapsed_share(period: Period, today: dt.date) -> Decimal:
    """The share of the year gone by (序时进度) as of `today`, or of the period's last day if the period is over:
    days elapsed, today included, over the days of the year (366 in a leap year). 2 December is 336/365, not 12/12."""
    day = min(max(today, period.year_start), period.end - dt.timedelta(days=1))
    return Decimal((day - period.year_start).days + 1) / Decimal((period.year_end - period.year_start).days)


def target_figures(
    scope: SupervisionScope, period: Period, closed: list[dict] | None = None, today: dt.date | None = None
) -> list[dict]:
    """Each target of the scope with its cumulative progress month by month, against the pro-rata pace (序时进度)."""
    closed = _closed_groups(scope, period) if closed is None else closed
    share = elapsed_share(period, today or timezone.localdate())
    rows = []
    for target in targets_in_scope(scope, period.year):
        monthly = [ZERO] * period.last_month
        subtypes = {t.pk for t in target.subtypes.all()}
        for group in closed:
            if target.category_id is not None and group["asset__category_id"] != target.category_id:
                continue
            if subtypes and group["asset__subtype_id"] not in subtypes:
                continue
            if target.unit_kind and group["holding_unit__kind"] != target.unit_kind:
                continue
            if target.tally and _tally(group["method"]) != target.tally:
                continue
            monthly[group["month"] - 1] += _measure(target.measure, group)
        cumulative, running = [], ZERO
        for value in monthly:
            running += value
            cumulative.append(running.quantize(Decimal("0.01")))
        achieved = cumulative[-1]
        period_achieved = sum(monthly[period.first_month - 1 :], ZERO).quantize(Decimal("0.01"))
        pace = (target.amount * share).quantize(Decimal("0.01"))
        rows.append(
            {
                "target_id": target.pk,
                "name": target.name,
                "category": (target.category.name if target.category_id else "全部类别")
                + (f"（{'、'.join(t.name for t in target.subtypes.all())}）" if subtypes else ""),
                "tally": target.tally or "盘活和处置",
                "unit_kind": target.get_unit_kind_display() if target.unit_kind else "全部单位",
                "lead_department": target.lead_department.name if target.lead_department_id else "全县",
                "measure": target.measure,
                "measure_label": target.get_measure_display(),
                "unit": MEASURE_UNITS[target.measure],
                "amount": target.amount,
                "amount_text": measure_text(target.measure, target.amount),
                "achieved": achieved,
                "achieved_text": measure_text(target.measure, achieved),
                "period_achieved": period_achieved,
                "period_achieved_text": measure_text(target.measure, period_achieved),
                "percent": percent(achieved, target.amount),
                "pace": pace,
                "pace_percent": percent(pace, target.amount),
                "behind": achieved < pace,
                "cumulative": cumulative,
            }
        )
    return rows


# -- money ------------------------------------------------------------------------------------------------------------


def _money_blank() -> dict:
    return {"n": 0, "amount_due": ZERO, "amount_received": ZERO, "amount_remitted": ZERO, "amount_confirmed": ZERO}


# The methods whose money the rent ledger carries (a contract and its schedule); the others' is their execution's.
CONTRACT_METHODS = tuple(m.code for m in methods.all_methods() if m.contract is not None)
# How the money section counts (one home for the dashboard, the workbook and the PDF).
PROCEEDS_BASIS = (
    "出租出借、委托运营、特许经营、安排临时使用和开放共享按合同收款计划计：应收按应付日期、实收按收款日期、"
    "上缴按财政确认上缴的日期所在月份统计，件数为当期有应收款项的合同数；其他盘活方式按执行结果登记的月份统计。"
)


def proceeds_figures(scope: SupervisionScope, period: Period, today: dt.date | None = None) -> dict:
    """应收 / 实收 / 上缴 (and what finance confirmed) by method, in the period and the year to date (PROCEEDS_BASIS).
    The contract methods read the rent ledger (contracts.ledger): a quarterly lease owes its quarter in the month it
    falls due, not its year at execution; their 上缴 is what finance confirmed, so it equals 财政已确认. The one-off
    methods (拍卖, 报废, 置换 …) count their case in the month its execution result was recorded, and so does a
    contract method's case that has no contract (one closed before contracts existed whose execution named no term
    or counterparty: contracts.backfill). Every other contract method's case has its contract from its execution on,
    its receipt booked on the first installments (contracts.booking)."""
    today = today or timezone.localdate()
    one_off = [m for m in EARNING_METHODS if m not in CONTRACT_METHODS]
    qs = DisposalCase.objects.order_by().filter(
        Q(method__in=one_off) | Q(method__in=CONTRACT_METHODS, contracts__isnull=True),
        executed_at__gte=_moment(period.year_start),
        executed_at__lt=_moment(period.end),
    )
    qs = _scoped(qs, case_scope_q(scope))
    groups = (
        qs.annotate(month=ExtractMonth("executed_at"))
        .values("method", "month")
        .annotate(
            n=Count("pk"),
            due=Sum("amount_due"),
            received=Sum("amount_received"),
            remitted=Sum("amount_remitted"),
            confirmed=Sum("amount_remitted", filter=Q(remittance_confirmed_by__isnull=False)),
        )
    )
    rows = {m: {"method": m, "label": DisposalMethod(m).label, "period": _money_blank(), "ytd": _money_blank()}
            for m in EARNING_METHODS}  # fmt: skip
    for group in groups:
        month = group["month"]
        targets = [rows[group["method"]]["ytd"]]
        if month >= period.first_month:
            targets.append(rows[group["method"]]["period"])
        for bucket in targets:
            bucket["n"] += group["n"]
            bucket["amount_due"] += _d(group["due"])
            bucket["amount_received"] += _d(group["received"])
            bucket["amount_remitted"] += _d(group["remitted"])
            bucket["amount_confirmed"] += _d(group["confirmed"])
    contracts = _scoped(Contract.objects.all(), case_scope_q(scope, prefix="case__"))
    last_month = dt.date(period.year, period.last_month, 1)
    cutoff = rent_ledger.ledger_cutoff(today)
    ranges = {
        "period": rent_ledger.MonthRange.of(period.start, last_month),
        "ytd": rent_ledger.MonthRange.of(period.year_start, last_month),
    }
    over = rent_ledger.ledger_groups_over(
        contracts, ranges, today=today, by=("method",), cutoff=cutoff, count_contracts=True
    )
    for key, groups in over.items():
        for (method,), figures in groups.items():
            if method not in rows:
                continue  # a contract method that earns nothing has no row (nor any installment)
            rows[method][key] = {
                "n": figures["contracts"], "amount_due": figures["due"], "amount_received": figures["received"],
                "amount_remitted": figures["remitted"], "amount_confirmed": figures["remitted"],
            }  # fmt: skip
    out = list(rows.values())
    totals = {}
    for key in ("period", "ytd"):
        totals[key] = _money_blank()
        for row in out:
            for field, value in row[key].items():
                totals[key][field] += value
    return {"rows": out, "period_total": totals["period"], "ytd_total": totals["ytd"], "basis": PROCEEDS_BASIS}


# -- time -------------------------------------------------------------------------------------------------------------


def overdue_figures(scope: SupervisionScope, today: dt.date) -> dict:
    """Open cases whose current step is past its deadline, by the organization whose task it is."""
    qs = _scoped(
        DisposalCase.objects.order_by().filter(state__in=OPEN_STATES, step_due_on__lt=today).exclude(current_step=""),
        case_scope_q(scope),
    )
    groups = qs.values(
        "current_step", "holding_unit_id", "verifying_department_id", "receiving_unit_id", "holding_unit__kind"
    ).annotate(n=Count("pk"), oldest=Min("step_due_on"))
    finance_of = finance_picker()

    def holder(step, holding_id, department_id, receiving_id, holding_kind) -> int | None:
        return step_holder(
            step, holding_id=holding_id, department_id=department_id, receiving_id=receiving_id,
            finance_id=lambda: finance_of(holding_id, holding_kind),
        )  # fmt: skip

    by_org: dict[int | None, dict] = {}
    for g in groups:
        org = holder(g["current_step"], g["holding_unit_id"], g["verifying_department_id"], g["receiving_unit_id"],
                     g["holding_unit__kind"])  # fmt: skip
        row = by_org.setdefault(org, {"organization_id": org, "n": 0, "oldest": g["oldest"], "steps": {}})
        row["n"] += g["n"]
        row["oldest"] = min(row["oldest"], g["oldest"])
        label = Step(g["current_step"]).label
        row["steps"][label] = row["steps"].get(label, 0) + g["n"]
    names = Organization.objects.in_bulk([pk for pk in by_org if pk is not None])
    rows = []
    for org, row in by_org.items():
        row["name"] = names[org].name if org in names else "（未配置财政部门）"
        row["days"] = (today - row["oldest"]).days
        row["steps_text"] = "、".join(f"{label}{n}件" for label, n in sorted(row["steps"].items()))
        rows.append(row)
    rows.sort(key=lambda r: (-r["n"], -r["days"], r["name"]))

    cases = []
    listed = qs.select_related("asset", "holding_unit", "verifying_department", "receiving_unit")
    for case in listed.order_by("step_due_on", "pk")[:LIST_LIMIT]:
        org = holder(case.current_step, case.holding_unit_id, case.verifying_department_id, case.receiving_unit_id,
                     case.holding_unit.kind)  # fmt: skip
        cases.append(
            {"case_id": case.pk, "asset_code": case.asset.code, "asset_name": case.asset.name,
             "holding_unit": case.holding_unit.name, "step": case.get_current_step_display(),
             "organization": names[org].name if org in names else "", "step_due_on": case.step_due_on,
             "days": (today - case.step_due_on).days}
        )  # fmt: skip
    return {"total": sum(r["n"] for r in rows), "by_organization": rows, "cases": cases}


def step_duration_figures(scope: SupervisionScope, period: Period) -> list[dict]:
    """Average calendar days from a human task's creation to its completion, for the tasks completed in the period
    (and created at most a year before it)."""
    qs = Task.objects.order_by().filter(
        flow_task_type="HUMAN",
        status=STATUS.DONE,
        finished__gte=_moment(period.start),
        finished__lt=_moment(period.end),
        # Bounds the scan by the created index: a task finished in the period was created before its end, and one
        # open for more than a year is an anomaly for the overdue list, not something to average.
        created__gte=_moment(period.start - dt.timedelta(days=TASK_AGE_LIMIT_DAYS)),
        created__lt=_moment(period.end),
    )
    qs = _scoped(qs, case_scope_q(scope, prefix="process__disposalcase__"))
    duration = ExpressionWrapper(F("finished") - F("created"), output_field=DurationField())
    rows = []
    for group in qs.values("flow_task").annotate(n=Count("pk"), avg=Avg(duration)):
        node = group["flow_task"]
        avg = group["avg"]
        if not isinstance(avg, dt.timedelta):  # SQLite hands back microseconds
            avg = dt.timedelta(microseconds=float(avg or 0))
        step = getattr(node, "step", "")
        rows.append(
            {
                "step": step,
                "label": getattr(node, "task_title", "") or str(node),
                "n": group["n"],
                "days": Decimal(avg.total_seconds() / 86400).quantize(Decimal("0.1")),
            }
        )
    rows.sort(key=lambda r: (STEP_ORDER.index(r["step"]) if r["step"] in STEP_ORDER else 99, r["label"]))
    return rows


# -- the units' completion ------------------------------------------------------------------------------------------


def completion_figures(
    scope: SupervisionScope, period: Period, *, ledger: dict | None = None, closed: list[dict] | None = None
) -> dict:
    """Each unit's 销号率 and 盘活率 up to the period's end (the quarter's, for a 季评估), ranked."""
    ledger = ledger_figures(scope) if ledger is None else ledger
    closed = _closed_groups(scope, period) if closed is None else closed
    cutoff = _moment(period.end)
    qs = DisposalCase.objects.order_by().filter(verified_at__gte=_moment(period.year_start), verified_at__lt=cutoff)
    qs = _scoped(qs.exclude(state__in=[CaseState.REJECTED, CaseState.WITHDRAWN]), case_scope_q(scope))
    verified = {
        row["holding_unit_id"]: row
        for row in qs.values("holding_unit_id").annotate(
            verified=Count("pk"), closed=Count("pk", filter=Q(state=CaseState.CLOSED, closed_at__lt=cutoff))
        )
    }
    revitalized: dict[int, int] = {}
    for group in closed:
        if group["basis"] in (Basis.IDLE, Basis.LOW_EFFICIENCY):
            revitalized[group["holding_unit_id"]] = revitalized.get(group["holding_unit_id"], 0) + group["n"]
    pending = {row["unit_id"]: row["pending"] for row in ledger["units"]}
    unit_ids = set(verified) | set(revitalized) | {pk for pk, n in pending.items() if n}
    names = Organization.objects.in_bulk(list(unit_ids))
    rows = []
    for pk in unit_ids:
        v = verified.get(pk, {"verified": 0, "closed": 0})
        done, left = revitalized.get(pk, 0), pending.get(pk, 0)
        rows.append(
            {"unit_id": pk, "name": names[pk].name, "verified": v["verified"], "closed": v["closed"],
             "closure_rate": percent(v["closed"], v["verified"]), "revitalized": done, "pending": left,
             "revitalization_rate": percent(done, done + left)}
        )  # fmt: skip
    rows.sort(
        key=lambda r: (
            r["closure_rate"] is None,
            -(r["closure_rate"] or 0),
            -(r["revitalization_rate"] or 0),
            r["name"],
        )
    )
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return {"cutoff_label": period.end_label, "rows": rows}


# -- alerts ------------------------------------------------------------------------------------------------------


def _alert(qs, limit: int = LIST_LIMIT) -> tuple[int, list]:
    return qs.count(), list(qs[:limit])


def _case_row(case: DisposalCase, **extra) -> dict:
    return {"case_id": case.pk, "asset_id": case.asset_id, "asset_code": case.asset.code,
            "asset_name": case.asset.name, "holding_unit": case.holding_unit.name, **extra}  # fmt: skip


def leases_expiring(
    scope: SupervisionScope, today: dt.date, policy: Policy | None = None, *, limit: int = LIST_LIMIT
) -> dict:
    """Leases (executed or closed lease cases) whose term ends within the next Policy.lease_alert_days."""
    qs = ExecutionRecord.objects.filter(
        case__method=DisposalMethod.LEASE,
        case__state__in=[CaseState.EXECUTED, CaseState.CLOSED],
        lease_ends_on__gte=today,
        lease_ends_on__lte=today + dt.timedelta(days=(policy or Policy.current()).lease_alert_days),
    )
    qs = _scoped(qs, case_scope_q(scope, prefix="case__")).select_related("case__asset", "case__holding_unit")
    count, records = _alert(qs.order_by("lease_ends_on", "pk"), limit)
    # The lease's running contract, where 销号 made one (the row links to it).
    running = dict(
        Contract.objects.filter(case_id__in=[r.case_id for r in records], state=ContractState.ACTIVE).values_list(
            "case_id", "pk"
        )
    )
    rows = [
        _case_row(r.case, contract_id=running.get(r.case_id), lessee=r.lessee, lease_ends_on=r.lease_ends_on,
                  days=(r.lease_ends_on - today).days,
                  detail=f"承租方{r.lessee}，{(r.lease_ends_on - today).days}日后到期")
        for r in records
    ]  # fmt: skip
    return {"count": count, "rows": rows}


def rent_arrears(scope: SupervisionScope, today: dt.date, *, limit: int = LIST_LIMIT) -> dict:
    """Contracts with installments in arrears: due, and still not paid in full once the grace period
    (Policy.arrears_grace_working_days, on the working-day calendar) has run out (contracts.arrears). One row per
    contract: what those installments owe, what was paid on them, the arrears and the oldest due date. Paying an
    installment clears it; installments not yet due, or within their grace, are not arrears."""
    cutoff = arrears_cutoff(today, Policy.current().arrears_grace_working_days)
    late = Installment.objects.filter(in_arrears_q(cutoff)).order_by()
    late = _scoped(late, case_scope_q(scope, prefix="contract__case__"))
    groups = late.values("contract_id").annotate(
        owed=Sum("amount"), received=Sum("paid"), oldest=Min("due_on"), n=Count("pk")
    )
    # The count of all contracts in arrears rides on the listed rows (COUNT(*) OVER () counts the groups): one scan.
    listed = list(groups.annotate(total=Window(Count("*"))).order_by("oldest", "contract_id")[:limit])
    count = listed[0]["total"] if listed else 0
    contracts = Contract.objects.select_related("case__asset", "case__holding_unit").in_bulk(
        [g["contract_id"] for g in listed]
    )
    rows = []
    for group in listed:
        contract = contracts[group["contract_id"]]
        owed, received = _d(group["owed"]), _d(group["received"])
        rows.append(
            _case_row(contract.case, contract_id=contract.pk, contract_number=str(contract),
                      lessee=contract.counterparty, owed=owed, received=received, arrears=owed - received,
                      oldest_due_on=group["oldest"], installments=group["n"],
                      detail=f"{contract.counterparty}欠缴{group['n']}期，应收{owed:,.2f}元，实收{received:,.2f}元，"
                             f"最早一期{cn_date(group['oldest'])}到期")
        )  # fmt: skip
    return {"count": count, "rows": rows}


def contracts_ending(scope: SupervisionScope, today: dt.date, *, limit: int = LIST_LIMIT) -> dict:
    """Running contracts (履行中) whose term ends within CONTRACT_ALERT_DAYS, soonest first, those within
    CONTRACT_URGENT_DAYS counted apart: the unit decides in time on 续签 or 收回 (issue 14 §3). Its 期限止 is the
    term's last day."""
    qs = Contract.objects.filter(
        state=ContractState.ACTIVE,
        ends_on__gte=today,
        ends_on__lte=today + dt.timedelta(days=CONTRACT_ALERT_DAYS),
    )
    qs = _scoped(qs, case_scope_q(scope, prefix="case__")).select_related("case__asset", "case__holding_unit")
    urgent = qs.filter(ends_on__lte=today + dt.timedelta(days=CONTRACT_URGENT_DAYS)).count()
    count, contracts = _alert(qs.order_by("ends_on", "pk"), limit)
    rows = []
    for c in contracts:
        last_day = c.ends_on
        days = (last_day - today).days
        rows.append(
            _case_row(c.case, contract_id=c.pk, contract_number=str(c), lessee=c.counterparty, ends_on=last_day,
                      days=days, urgent=days <= CONTRACT_URGENT_DAYS,
                      detail=f"{c.counterparty}，合同{cn_date(last_day)}到期（{days}日后）"
                             + ("，30日内到期" if days <= CONTRACT_URGENT_DAYS else ""))
        )  # fmt: skip
    return {"count": count, "urgent": urgent, "rows": rows}


def contract_figures(scope: SupervisionScope) -> dict:
    """The assets revitalized under a contract (出租出借, 委托运营, 特许经营, 临时使用, 开放共享: any with a
    contract, in the scope of its case), and those of them idle again (再度闲置, seed 004: 避免盘活厂房再度闲置):
    back from a contract as idle, and idle since that very handover (a new use, or a new 盘活, ends it: the
    ledger clears the idle date)."""
    contracts = _scoped(Contract.objects.all(), case_scope_q(scope, prefix="case__"))
    revitalized = contracts.values("asset_id").distinct().count()
    idle_again = (
        contracts.filter(
            end__outcome=ReturnOutcome.IDLE,
            asset__usage_status=UsageStatus.IDLE,
            asset__idle_since=F("end__returned_on"),
        )
        .values("asset_id")
        .distinct()
        .count()
    )
    running = contracts.filter(state=ContractState.ACTIVE).count()
    share = percent(idle_again, revitalized)
    return {"revitalized_assets": revitalized, "idle_again": idle_again, "idle_again_share": share, "running": running}


def appraisals_expiring(
    scope: SupervisionScope, today: dt.date, policy: Policy | None = None, *, limit: int = LIST_LIMIT
) -> dict:
    """Open cases not yet executed whose appraisal (评估基准日 + Policy.appraisal_validity_days) expires within
    Policy.appraisal_alert_days or has expired: the deal must be made on a valid appraisal."""
    policy = policy or Policy.current()
    validity = policy.appraisal_validity_days
    not_executed = [s for s in OPEN_STATES if s != CaseState.EXECUTED]
    qs = ExecutionRecord.objects.filter(
        case__state__in=not_executed,
        appraisal_date__isnull=False,
        appraisal_date__lte=today + dt.timedelta(days=policy.appraisal_alert_days - validity),
    )
    qs = _scoped(qs, case_scope_q(scope, prefix="case__")).select_related("case__asset", "case__holding_unit")
    count, records = _alert(qs.order_by("appraisal_date", "pk"), limit)
    rows = []
    for r in records:
        expires = r.appraisal_date + dt.timedelta(days=validity)
        days = (expires - today).days
        when = f"{'已于' if days < 0 else '将于'}{cn_date(expires)}"
        rows.append(
            _case_row(r.case, appraisal_date=r.appraisal_date, expires_on=expires, days=days,
                      detail=f"评估报告{when}失效")
        )  # fmt: skip
    return {"count": count, "rows": rows}


def idle_without_case(
    scope: SupervisionScope, today: dt.date, policy: Policy | None = None, *, limit: int = LIST_LIMIT
) -> dict:
    """Assets idle for more than Policy.idle_alert_months and in normal ledger status (在用: no open case): nobody
    reported them."""
    cutoff = today - relativedelta(months=(policy or Policy.current()).idle_alert_months)
    qs = Asset.objects.filter(usage_status=UsageStatus.IDLE, idle_since__lt=cutoff, status=AssetStatus.IN_USE)
    qs = _scoped(qs, asset_scope_q(scope)).select_related("holding_unit", "category")
    count, assets = _alert(qs.order_by("idle_since", "pk"), limit)
    rows = [
        {"asset_id": a.pk, "asset_code": a.code, "asset_name": a.name, "holding_unit": a.holding_unit.name,
         "idle_since": a.idle_since, "months": a.idle_months(today), "detail": f"已闲置{a.idle_months(today)}个月"}
        for a in assets
    ]  # fmt: skip
    return {"count": count, "rows": rows}


def _record_date(name: str):
    """An execution field's date in SQL: its ExecutionRecord column, or the ISO date kept in `details`."""
    if name in RECORD_COLUMNS:
        return F(name)
    return Cast(KeyTextTransform(name, "details"), DateField())


def follow_ups_due(scope: SupervisionScope, today: dt.date, *, limit: int = LIST_LIMIT) -> dict:
    """Closed cases of a method with a follow-up date (延长动工期限: the new start of works; 安排临时使用: the end of
    the temporary use, seed 000 二(一)2) whose date has passed while the asset is still as 销号 left it: 已盘活 under
    that case, with no case opened on it since and no 跟进核查 recording it back in use."""
    followed = {m.code: m for m in methods.all_methods() if m.follow_up_field}
    if not followed:
        return {"count": 0, "rows": []}
    dated = Case(
        *(When(case__method=code, then=_record_date(m.follow_up_field)) for code, m in followed.items()),
        output_field=DateField(),
    )
    later = DisposalCase.objects.filter(asset_id=OuterRef("case__asset_id"), pk__gt=OuterRef("case_id"))
    qs = (
        ExecutionRecord.objects.filter(
            case__method__in=list(followed), case__state=CaseState.CLOSED, case__asset__status=AssetStatus.REVITALIZED
        )
        .annotate(follow_up_on=dated)
        .filter(follow_up_on__lt=today)
        .exclude(Exists(later))
    )
    qs = _scoped(qs, case_scope_q(scope, prefix="case__")).select_related("case__asset", "case__holding_unit")
    count, records = _alert(qs.order_by("follow_up_on", "pk"), limit)
    rows = []
    for r in records:
        spec = followed[r.case.method]
        day = r.value(spec.follow_up_field)  # typed by the declaration (SQLite may hand the annotation back as text)
        label = execution_field_label(spec.code, spec.follow_up_field)
        rows.append(
            _case_row(r.case, method=spec.label, follow_up_on=day, days=(today - day).days,
                      detail=f"{spec.label}：{label}{cn_date(day)}已过{(today - day).days}日，尚未跟进核查恢复使用")
        )  # fmt: skip
    return {"count": count, "rows": rows}


def _finance_threshold():
    """The 原值 at or above which finance approves a plan, per row: the lowest limit among the active rules that
    require finance and match the plan's category and holding-unit kind, whatever the method (a limit bound to one
    method is already summed per method by route_plan; splitting across methods is what the alert looks for). None
    when no rule sets a limit."""
    rules = RoutingRule.objects.filter(is_active=True, requires_finance=True, min_value__isnull=False, method="")
    whens, default = [], None
    for rule in rules.order_by("min_value", "pk"):  # Case takes the first match: the lowest limit
        condition = Q()
        if rule.category_id is not None:
            condition &= Q(asset__category_id=rule.category_id)
        if rule.unit_kind:
            condition &= Q(holding_unit__kind=rule.unit_kind)
        if not condition:
            default = rule.min_value  # applies to every plan: no higher limit can matter
            break
        whens.append(When(condition, then=Value(rule.min_value)))
    if not whens and default is None:
        return None
    return Case(*whens, default=Value(default), output_field=DecimalField(max_digits=16, decimal_places=2))


class DayNumber(Func):
    """A moment as a (fractional) number of days, so that a RANGE window can span days on PostgreSQL and SQLite."""

    output_field = FloatField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) / 86400.0)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="julianday(%(expressions)s)", **extra_context)


class DaysPreceding(ValueRange):
    """RANGE BETWEEN n PRECEDING AND CURRENT ROW. PostgreSQL (≥ 11) and SQLite (≥ 3.28) both run it; Django still
    refuses a fixed RANGE distance on PostgreSQL, so the frame is written here."""

    def window_frame_start_end(self, connection, start, end):
        return f"{abs(int(start))} {connection.ops.PRECEDING}", connection.ops.CURRENT_ROW


def batch_splitting(
    scope: SupervisionScope,
    period: Period,
    today: dt.date,
    policy: Policy | None = None,
    *,
    rows_listed: int = SPLIT_ROWS_LISTED,
) -> dict:
    """拆分规避审批: one holding unit's plans for one category, submitted within the policy's batch window (30 days),
    each below the finance threshold of the active routing rules but together at or above it. Plans of the year up to
    the period's end (and today), withdrawn ones aside.

    One window query finds every plan that closes such a window (the sum over the unit's plans of that category in
    the 30 days up to it); the alert lists, per unit and category, the window with the largest sum."""
    threshold = _finance_threshold()
    if threshold is None:
        return {"count": 0, "rows": []}
    days = (policy or Policy.current()).batch_window_days
    until = min(_moment(period.end), _moment(today + dt.timedelta(days=1)))
    plans = (
        DisposalCase.objects.order_by()
        .filter(plan_submitted_at__gte=_moment(period.year_start), plan_submitted_at__lt=until)
        .exclude(state=CaseState.WITHDRAWN)
        .annotate(threshold=threshold)
        .filter(threshold__isnull=False, asset__original_value__lt=F("threshold"))
    )
    plans = _scoped(plans, case_scope_q(scope))
    window = {
        "partition_by": [F("holding_unit_id"), F("asset__category_id")],
        "order_by": DayNumber("plan_submitted_at").asc(),
        "frame": DaysPreceding(start=-days, end=0),
    }
    position = Window(RowNumber(), partition_by=window["partition_by"], order_by=[window["order_by"], F("pk").asc()])
    ends = plans.annotate(
        window_n=Window(Count("pk"), **window),
        window_total=Window(Sum("asset__original_value"), **window),
        position=position,
    ).filter(window_n__gte=2, window_total__gte=F("threshold"))
    # The largest window of each unit and category, ranked once more in SQL around the ORM's query (Django cannot
    # window over a filtered window), so only one row per unit and category comes back.
    sql, params = ends.values_list(
        "holding_unit_id", "asset__category_id", "window_n", "window_total", "threshold", "position"
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT holding_unit_id, asset__category_id, window_n, window_total, threshold, position FROM ("
            " SELECT e.*, ROW_NUMBER() OVER (PARTITION BY e.holding_unit_id, e.asset__category_id"
            " ORDER BY e.window_total DESC, e.position) AS best"
            f" FROM ({sql}) e) b WHERE best = 1 ORDER BY window_total DESC, holding_unit_id, asset__category_id",
            params,
        )
        best = cursor.fetchall()
    count = len(best)
    listed = [
        ((unit_id, category_id), (n, _d(total), _d(limit), position))
        for unit_id, category_id, n, total, limit, position in best[:rows_listed]
    ]
    if not listed:
        return {"count": 0, "rows": []}
    # A window's plans are the n up to its last one in the unit's and category's order: the first few name it, the
    # last one dates it.
    members_q, partitions = Q(), Q()
    for (unit_id, category_id), (n, _, _, last) in listed:
        first = last - n + 1
        shown = Q(position__gte=first, position__lte=min(last, first + SPLIT_CASES_LISTED - 1)) | Q(position=last)
        partitions |= Q(holding_unit_id=unit_id, asset__category_id=category_id)
        members_q |= Q(holding_unit_id=unit_id, asset__category_id=category_id) & shown
    fields = ("pk", "position", "holding_unit_id", "asset__category_id", "plan_submitted_at", "asset__code",
              "asset__name", "asset__original_value", "holding_unit__name", "asset__category__name")  # fmt: skip
    members: dict[tuple[int, int], list[dict]] = {}
    # Only the listed units' and categories' plans are ranked again: whole partitions, so the positions are the same.
    listed_plans = plans.filter(partitions).annotate(position=position).filter(members_q)
    for case in listed_plans.order_by("plan_submitted_at", "pk").values(*fields):
        members.setdefault((case["holding_unit_id"], case["asset__category_id"]), []).append(case)
    rows = []
    for key, (n, total, limit, _) in listed:
        cases = members.get(key, [])
        if not cases:
            continue
        first, final = cases[0], cases[-1]  # ordered by time: the last one is the window's last plan
        first_on = timezone.localtime(first["plan_submitted_at"]).date()
        last_on = timezone.localtime(final["plan_submitted_at"]).date()
        rows.append(
            {
                "holding_unit": first["holding_unit__name"],
                "category": first["asset__category__name"],
                "n": n,
                "total": total,
                "threshold": limit,
                "first_on": first_on,
                "last_on": last_on,
                "window_text": f"{cn_date(first_on)}至{cn_date(last_on)}",
                "cases": [
                    {"case_id": c["pk"], "asset_code": c["asset__code"], "asset_name": c["asset__name"],
                     "original_value": c["asset__original_value"]}
                    for c in cases[:SPLIT_CASES_LISTED]
                ],
                "detail": f"{cn_date(first_on)}至{cn_date(last_on)}提交{n}项方案，合计原值{total:,.2f}元，"
                f"达到财政审批标准{limit:,.2f}元",
            }
        )  # fmt: skip
    return {"count": count, "rows": rows}


def alert_figures(scope: SupervisionScope, period: Period, today: dt.date) -> dict:
    policy = Policy.current()  # the windows, read once
    alerts = {
        "leases_expiring": leases_expiring(scope, today, policy),
        "rent_arrears": rent_arrears(scope, today),
        "contracts_ending": contracts_ending(scope, today),
        "appraisals_expiring": appraisals_expiring(scope, today, policy),
        "idle_without_case": idle_without_case(scope, today, policy),
        "batch_splitting": batch_splitting(scope, period, today, policy),
        "follow_ups_due": follow_ups_due(scope, today),
    }
    titles = alert_titles(policy)
    for key, alert in alerts.items():
        alert["title"] = titles[key]
    return alerts


ALERT_KEYS = (
    "leases_expiring", "rent_arrears", "contracts_ending", "appraisals_expiring", "idle_without_case",
    "batch_splitting", "follow_ups_due",
)  # fmt: skip


def alert_export_figures(scope: SupervisionScope, key: str, period: Period, today: dt.date) -> dict:
    """One alert list as its export holds it: the same query and scope as the dashboard's, up to ALERT_EXPORT_LIMIT
    rows instead of the page's first ones. `key` is one of ALERT_KEYS (KeyError otherwise)."""
    policy = Policy.current()
    scope = _prepared(scope)
    limit = ALERT_EXPORT_LIMIT
    alert = {
        "leases_expiring": lambda: leases_expiring(scope, today, policy, limit=limit),
        "rent_arrears": lambda: rent_arrears(scope, today, limit=limit),
        "contracts_ending": lambda: contracts_ending(scope, today, limit=limit),
        "appraisals_expiring": lambda: appraisals_expiring(scope, today, policy, limit=limit),
        "idle_without_case": lambda: idle_without_case(scope, today, policy, limit=limit),
        "batch_splitting": lambda: batch_splitting(scope, period, today, policy, rows_listed=limit),
        "follow_ups_due": lambda: follow_ups_due(scope, today, limit=limit),
    }[key]()
    alert["title"] = alert_titles(policy)[key]
    return alert


# -- everything -----------------------------------------------------------------------------------------------------


def dashboard_figures(scope: SupervisionScope, period: Period, today: dt.date | None = None) -> dict:
    """Every figure of the dashboard, the workbook and the report, for one scope and period, as of `today`."""
    today = today or timezone.localdate()
    scope = _prepared(scope)
    ledger = ledger_figures(scope)
    closed = _closed_groups(scope, period)
    alerts = alert_figures(scope, period, today)
    targets = target_figures(scope, period, closed, today)
    return {
        "scope": {"level": scope.level, "label": scope.label},
        "period": period.as_dict(),
        "today": today,
        "ledger": ledger,
        "stages": stage_figures(scope, ledger["category_totals"]),
        "revitalized": revitalized_figures(scope, period, closed),
        "targets": targets,
        "targets_behind": sum(1 for t in targets if t["behind"]),
        "proceeds": proceeds_figures(scope, period, today),
        "contracts": contract_figures(scope),
        "overdue": overdue_figures(scope, today),
        "step_durations": step_duration_figures(scope, period),
        "completion": completion_figures(scope, period, ledger=ledger, closed=closed),
        "alerts": alerts,
        "alert_count": sum(alert["count"] for alert in alerts.values()),
    }


def frozen(value):
    """The figures as plain JSON (Decimal and dates as strings): what a report's document keeps."""
    if isinstance(value, dict):
        return {str(k): frozen(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [frozen(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return value
