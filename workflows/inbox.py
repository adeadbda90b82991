"""The task lists' filters, search and sort (待办, 待认领, 已办, 本部门在办): one form, applied in one query, and the
working days left on each shown row, computed for the whole page at once."""

import datetime
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task

from assets.models import Category, Organization
from core.forms import Form

from .calendar import add_working_days, working_days_left
from .models import DisposalMethod, Step

# 原值 bands (元): the county's usual thresholds (5万 equipment, 50万 finance approval, DESIGN.md "Who approves").
VALUE_BANDS = {
    "lt50k": ("5万元以下", None, Decimal("50000")),
    "50k-500k": ("5万至50万元", Decimal("50000"), Decimal("500000")),
    "500k-5m": ("50万至500万元", Decimal("500000"), Decimal("5000000")),
    "gte5m": ("500万元及以上", Decimal("5000000"), None),
}
CASE = "process__disposalcase__"
SORTS = {
    "due": ("按剩余时限（最紧先）", (F(f"{CASE}step_due_on").asc(nulls_last=True), "created", "pk")),
    "received": ("按接收时间（最新先）", ("-created", "-pk")),
    "received_asc": ("按接收时间（最早先）", ("created", "pk")),
    "value": ("按原值（高到低）", (f"-{CASE}asset__original_value", "pk")),
    "case": ("按事项编号", ("process_id", "pk")),
}
ARCHIVE_SORTS = {"finished": ("按办结时间（最新先）", ("-finished", "-pk")), **SORTS}
FILTER_FIELDS = ("q", "step", "unit", "category", "method", "overdue", "due_within", "value_band", "sort")


class TaskFilterForm(Form):
    """GET filters of a task list; each valid field applies even when another is wrong (the page names the wrong
    one), so a mistyped value never empties the list or fails the page."""

    q = forms.CharField(label="资产编号或名称", required=False, max_length=100)
    step = forms.ChoiceField(label="环节", required=False, choices=[("", "全部环节"), *Step.choices])
    unit = forms.ModelChoiceField(label="持有单位", required=False, queryset=None, empty_label="全部单位")
    category = forms.ModelChoiceField(label="资产类别", required=False, queryset=None, empty_label="全部类别")
    method = forms.ChoiceField(label="盘活方式", required=False, choices=[("", "全部方式"), *DisposalMethod.choices])
    overdue = forms.BooleanField(label="仅看超期", required=False)
    due_within = forms.IntegerField(
        label="剩余工作日不超过",
        required=False,
        min_value=0,
        max_value=365,
        widget=forms.NumberInput(attrs={"size": 4}),
    )
    value_band = forms.ChoiceField(
        label="原值区间", required=False, choices=[("", "全部"), *((k, v[0]) for k, v in VALUE_BANDS.items())]
    )
    sort = forms.ChoiceField(label="排序", required=False, choices=[])

    def __init__(self, *args, archive: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.sorts = ARCHIVE_SORTS if archive else SORTS
        self.fields["sort"].choices = [(k, v[0]) for k, v in self.sorts.items()]
        self.fields["unit"].queryset = Organization.objects.filter(is_active=True).order_by("name")
        self.fields["category"].queryset = Category.objects.order_by("sort_order", "pk")
        self.fields["q"].error_messages["max_length"] = "搜索词不能超过 %(limit_value)s 个字，已忽略。"
        self.fields["due_within"].error_messages.update(
            invalid="请输入 0 至 365 之间的整数，已忽略。",
            min_value="剩余工作日不能为负数，已忽略。",
            max_value="剩余工作日不能超过 %(limit_value)s，已忽略。",
        )
        for name in ("step", "unit", "category", "method", "value_band", "sort"):
            self.fields[name].error_messages["invalid_choice"] = "不是可选的值，已忽略。"
        if self.is_bound:
            self.is_valid()  # fills cleaned_data with the fields that are valid

    @property
    def values(self) -> dict:
        return getattr(self, "cleaned_data", {}) if self.is_bound else {}

    def query_string(self) -> str:
        """The valid filters as a query string (what a saved view keeps: never a refused value)."""
        pairs = []
        for name in FILTER_FIELDS:
            value = self.values.get(name)
            if value is None or value == "" or value is False:  # 0 (due within 0 working days) is a filter
                continue
            if hasattr(value, "pk"):
                value = value.pk
            pairs.append((name, "on" if value is True else str(value)))
        return urlencode(pairs)

    def apply(self, qs: QuerySet[Task], *, today: datetime.date | None = None) -> QuerySet[Task]:
        today = today or timezone.localdate()
        f = self.values
        if any(f.get(name) not in (None, "", False) for name in FILTER_FIELDS if name != "sort"):
            # A list is the user's own few hundred tasks; a filter's match over the county may be thousands. PostgreSQL
            # takes a '%…%' search for rare, starts from the assets and walks every matching case (bench workflow at
            # 50,000 cases: 140 ms for the page alone). Within the list's own ids (a subquery on the tasks, which the
            # planner then counts as few) it starts from the tasks: 20 ms, in the same query. The ids fetched first
            # and sent back as a literal list cost a query and, at 800 ids, as much again to quote, send and plan.
            qs = qs.filter(_among(qs.order_by().values("pk")))
        if f.get("q"):
            term = f["q"]
            qs = qs.filter(Q(**{f"{CASE}asset__code__icontains": term}) | Q(**{f"{CASE}asset__name__icontains": term}))
        if f.get("step"):
            qs = qs.filter(flow_task__in=_nodes_of_step(f["step"]))
        if f.get("unit"):
            qs = qs.filter(**{f"{CASE}holding_unit": f["unit"]})
        if f.get("category"):
            qs = qs.filter(**{f"{CASE}asset__category": f["category"]})
        if f.get("method"):
            qs = qs.filter(**{f"{CASE}method": f["method"]})
        if f.get("overdue"):
            qs = qs.filter(**{f"{CASE}step_due_on__lt": today})
        if f.get("due_within") is not None:
            qs = qs.filter(**{f"{CASE}step_due_on__lte": add_working_days(today, f["due_within"])})
        if f.get("value_band"):
            _label, low, high = VALUE_BANDS[f["value_band"]]
            if low is not None:
                qs = qs.filter(**{f"{CASE}asset__original_value__gte": low})
            if high is not None:
                qs = qs.filter(**{f"{CASE}asset__original_value__lt": high})
        sort = f.get("sort") or next(iter(self.sorts))
        return qs.order_by(*self.sorts[sort][1])


class SavedViewForm(Form):
    name = forms.CharField(label="名称", max_length=40)
    shared = forms.BooleanField(label="共享给本单位同事", required=False)


class _AnyOf(Func):
    """`value = ANY(array)` (PostgreSQL)."""

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


def _among(ids: QuerySet) -> Q:
    """Rows among the list's own ids, taken first. On PostgreSQL `= ANY(ARRAY(subquery))` is an InitPlan: run
    once, before the join, whose order it then cannot change. A plain `IN (subquery)` is a semi-join the planner
    reorders on its guesses: at 50,000 cases it started from the assets again (175 ms)."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        return Q(_AnyOf(F("pk"), ArraySubquery(ids)))
    return Q(pk__in=ids)


def _nodes_of_step(step: str) -> list:
    from .flows import DisposalFlow
    from .nodes import CaseTask

    return [node for node in DisposalFlow.instance.nodes() if isinstance(node, CaseTask) and node.step == step]


def days_left(tasks, *, today: datetime.date | None = None) -> dict[int, int | None]:
    """Working days from today to each open task's step deadline (negative once overdue), by task id, in one query
    for the whole page."""
    today = today or timezone.localdate()
    dues = {t.pk: t.process.disposalcase.step_due_on for t in tasks}
    return working_days_left(today, dues)
