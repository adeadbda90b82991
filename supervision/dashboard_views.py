"""The 月调度 / 季评估 pages of the 监督 application: the dashboard, the full table of units, and the reports with their
.xlsx and signed PDF exports. Thin: the scope comes from `supervision_scope`, the figures from supervision.dashboard,
the exports from supervision.reports; every export is on the audit trail."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views import View
from django.views.decorators.http import require_GET, require_POST

from assets.imports import XLSX_CONTENT_TYPE
from assets.selectors import SupervisionScope, supervision_scope_required
from audit.services import audit_record
from core.forms import Form
from core.http import as_download, client_ip, stored_file_problem
from core.storage import StoredFileError
from documents.models import DocumentStatus
from documents.services import document_pdf

from .dashboard import ALERT_KEYS, LIST_LIMIT, Period, PeriodError, alert_export_figures, dashboard_figures
from .models import ReportKind
from .reports import (
    ReportError,
    alert_workbook,
    export_audit,
    report_documents,
    report_filename,
    report_issued_document,
    report_period,
    report_request,
    report_scope_label,
    report_workbook_for,
    reports_visible,
)

TOP_UNITS = 10
PAGE_SIZE = 30
MONTHS = [(m, f"{m}月") for m in range(1, 13)]
QUARTERS = [(1, "第一季度"), (2, "第二季度"), (3, "第三季度"), (4, "第四季度")]


def _period_from_query(query, today) -> Period:
    """?year=&month= or ?year=&quarter= (a quarter wins); default: this month, or December of a past year."""
    year = query.get("year") or today.year
    quarter = query.get("quarter", "").strip()
    if quarter:
        return Period.parse(ReportKind.QUARTERLY, year, quarter)
    month = query.get("month", "").strip()
    if not month:
        parsed = Period.parse(ReportKind.MONTHLY, year, 1)  # validates the year first
        month = today.month if parsed.year == today.year else 12 if parsed.year < today.year else 1
    return Period.parse(ReportKind.MONTHLY, year, month)


def _year_choices(today, selected: int | None = None) -> list[int]:
    years = set(range(today.year - 4, today.year + 2))
    if selected:
        years.add(selected)
    return sorted(years, reverse=True)


# A count axis (items, cases) ticks in whole numbers: Chart.js otherwise steps 0.1 when the counts are small.
COUNT_AXIS = {"beginAtZero": True, "ticks": {"precision": 0}}


def _short(name: str) -> str:
    # Category names carry their examples in brackets; a chart's axis has room for the name only.
    return name.split("（")[0]


def _float(value) -> float | None:
    return None if value is None else float(value)


def _charts(figures: dict) -> dict:
    """What the page's charts draw (plain numbers for Chart.js); the tables under them show the same figures."""
    ledger, period, today = figures["ledger"], figures["period"], figures["today"]
    months = [f"{m}月" for m in range(1, period["last_month"] + 1)]
    # Months still to come draw no line (a flat one would read as "nothing happened"); the tables show the same.
    last_past = today.month if period["year"] == today.year else 12 if period["year"] < today.year else 0

    def so_far(values: list) -> list:
        return [v if month <= last_past else None for month, v in enumerate(values, start=1)]

    targets = [
        {
            "label": t["name"] if t["lead_department"] == "全县" else f"{t['name']}（{t['lead_department']}）",
            "data": so_far([round(float(v) * 100 / float(t["amount"]), 1) for v in t["cumulative"]]),
        }
        for t in figures["targets"]
    ]

    return {
        "categories": {
            "labels": [_short(r["name"]) for r in ledger["categories"]],
            "series": {
                label: [r[key] for r in ledger["categories"]]
                for key, label in (
                    ("in_use", "在用"),
                    ("in_case", "处置中"),
                    ("revitalized", "已盘活"),
                    ("disposed", "已处置"),
                )
            },
            "scales": {
                "x": {"stacked": True},
                "y": {**COUNT_AXIS, "stacked": True, "title": {"display": True, "text": "项"}},
            },
        },
        "stages": {
            "labels": [r["label"] for r in figures["stages"]["cases"]],
            "values": [r["n"] for r in figures["stages"]["cases"]],
            "scales": {"y": COUNT_AXIS},
        },
        "targets": {
            "labels": months,
            "pace": [round(m * 100 / 12, 1) for m in range(1, period["last_month"] + 1)],
            "series": [s for s in targets if any(s["data"])],
            # Targets with nothing done yet draw no line at 0 (eight of them made the legend unreadable); the page
            # names them in a note instead.
            "empty": [s["label"] for s in targets if not any(s["data"])],
        },
        "revitalized": {
            "labels": months,
            "count": [m["n"] for m in figures["revitalized"]["months"]],
            "value": so_far([round(float(c["value"]) / 10000, 2) for c in figures["revitalized"]["cumulative"]]),
            "scales": {
                "y": {**COUNT_AXIS, "title": {"display": True, "text": "项"}},
                "y1": {
                    "beginAtZero": True,
                    "position": "right",
                    "grid": {"drawOnChartArea": False},
                    "title": {"display": True, "text": "万元"},
                },
            },
        },
        "proceeds": {
            "labels": [r["label"] for r in figures["proceeds"]["rows"]],
            "due": [_float(r["ytd"]["amount_due"]) for r in figures["proceeds"]["rows"]],
            "received": [_float(r["ytd"]["amount_received"]) for r in figures["proceeds"]["rows"]],
            "remitted": [_float(r["ytd"]["amount_remitted"]) for r in figures["proceeds"]["rows"]],
        },
        "overdue": {
            "labels": [r["name"] for r in figures["overdue"]["by_organization"]],
            "values": [r["n"] for r in figures["overdue"]["by_organization"]],
            "scales": {"x": COUNT_AXIS, "y": {"ticks": {"autoSkip": False}}},
        },
        "durations": {
            "labels": [r["label"] for r in figures["step_durations"]],
            "values": [_float(r["days"]) for r in figures["step_durations"]],
        },
        "completion": {
            "labels": [r["name"] for r in figures["completion"]["rows"][:15]],
            "closure": [_float(r["closure_rate"]) for r in figures["completion"]["rows"][:15]],
            "revitalization": [_float(r["revitalization_rate"]) for r in figures["completion"]["rows"][:15]],
        },
    }


def _export_query(period: Period) -> str:
    return f"kind={period.kind}&year={period.year}&period={period.number}"


def _period_query(period: Period) -> str:
    """The dashboard's own query for the period (what an alert export reads back with _period_from_query)."""
    return f"year={period.year}&{'month' if period.is_monthly else 'quarter'}={period.number}"


class DashboardView(View):
    """调度看板: the scope's figures for a month (月调度) or a quarter (季评估), charts with their tables. With
    ?units=all the units' table lists every unit instead of the top ones."""

    def get(self, request):
        scope = supervision_scope_required(request.user)
        today = timezone.localdate()
        context = {"page_title": "调度看板", "scope": scope, "months": MONTHS, "quarters": QUARTERS}
        try:
            period = _period_from_query(request.GET, today)
        except PeriodError as exc:
            context |= {"error": exc.message, "years": _year_choices(today)}
            return TemplateResponse(request, "supervision/dashboard.html", context, status=400)
        figures = dashboard_figures(scope, period, today)
        all_units = request.GET.get("units") == "all"
        context |= {
            "period": period,
            "figures": figures,
            "charts": _charts(figures),
            "all_units": all_units,
            "top_units": figures["ledger"]["units"] if all_units else figures["ledger"]["units"][:TOP_UNITS],
            "more_units": not all_units and len(figures["ledger"]["units"]) > TOP_UNITS,
            "years": _year_choices(today, period.year),
            "export_query": _export_query(period),
            "period_query": _period_query(period),
            "list_limit": LIST_LIMIT,
        }
        return TemplateResponse(request, "supervision/dashboard.html", context)


@require_GET
def alert_xlsx(request, key: str):
    """GET ?year=&month= (or &quarter=): one alert list of the dashboard, in the user's scope, as an .xlsx. The
    period matters only to 疑似拆分 (plans of the year up to the period's end), as on the page."""
    scope = supervision_scope_required(request.user)
    if key not in ALERT_KEYS:
        raise Http404("没有这一类预警。")
    today = timezone.localdate()
    try:
        period = _period_from_query(request.GET, today)
    except PeriodError as exc:
        return HttpResponse(f"参数有误，未导出：{exc.message}", status=400, content_type="text/plain; charset=utf-8")
    alert = alert_export_figures(scope, key, period, today)
    content = alert_workbook(alert, key=key, scope_label=scope.label, today=today)
    data = {"what": "alerts", "alert": key, "format": "xlsx", "scope": scope.label, "rows": len(alert["rows"])}
    audit_record(user=request.user, action="export", data=data, ip=client_ip(request))
    stamp = f"{today.year}{today.month:02d}{today.day:02d}"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    return as_download(response, f"{scope.label}预警_{alert['title']}_{stamp}.xlsx", f"alerts_{key}_{stamp}.xlsx")


# -- reports ----------------------------------------------------------------------------------------------------------


class ReportForm(Form):
    """Kind, year and period of a report; the period's range depends on the kind, so Period.parse checks all three."""

    kind = forms.ChoiceField(label="报告类型", choices=ReportKind.choices, initial=ReportKind.MONTHLY)
    year = forms.CharField(label="年度", max_length=4)
    period = forms.CharField(label="月份或季度", max_length=2, help_text="月调度填1至12月，季评估填1至4季度")

    def clean(self):
        data = super().clean()
        try:
            self.cleaned_period = Period.parse(self.data.get("kind"), self.data.get("year"), self.data.get("period"))
        except PeriodError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


def _reports_page(request, scope: SupervisionScope, form: ReportForm, *, status: int = 200) -> TemplateResponse:
    qs = reports_visible(scope).order_by("-created_at", "-pk")
    total = qs.count()
    reports = list(qs[:PAGE_SIZE])
    documents = report_documents(reports)
    rows = []
    for report in reports:
        document = documents.get(report.pk)
        rows.append(
            {
                "report": report,
                "period_label": report_period(report).label,
                "scope_label": report_scope_label(report),
                "document": document,
                "issued": document is not None and document.status == DocumentStatus.ISSUED,
                "failed": document is not None and document.status == DocumentStatus.FAILED,
            }
        )
    today = timezone.localdate()
    context = {
        "page_title": "月调度 · 季评估",
        "scope": scope,
        "form": form,
        "rows": rows,
        "total": total,
        "page_size": PAGE_SIZE,
        "years": _year_choices(today),
        "this_year": today.year,
        "this_month": today.month,
        "months": MONTHS,
        "quarters": QUARTERS,
        "pending": any(not r["issued"] and not r["failed"] for r in rows),
    }
    return TemplateResponse(request, "supervision/reports.html", context, status=status)


class ReportsView(View):
    """The scope's issued reports, and the form that asks for a new one (or its workbook)."""

    def get(self, request):
        scope = supervision_scope_required(request.user)
        today = timezone.localdate()
        form = ReportForm(initial={"kind": ReportKind.MONTHLY, "year": today.year, "period": today.month})
        return _reports_page(request, scope, form)


@require_GET
def report_xlsx(request):
    """GET ?kind=monthly&year=2026&period=11: the figures as an .xlsx download."""
    scope = supervision_scope_required(request.user)
    try:
        period = Period.parse(request.GET.get("kind"), request.GET.get("year"), request.GET.get("period"))
    except PeriodError as exc:
        return HttpResponse(f"参数有误，未导出：{exc.message}", status=400, content_type="text/plain; charset=utf-8")
    content, _ = report_workbook_for(scope, period)
    export_audit(user=request.user, scope=scope, period=period, fmt="xlsx", ip=client_ip(request))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    return as_download(response, *report_filename(scope.label, period, "xlsx"))


@require_POST
def report_pdf(request):
    """POST kind, year, period: records the report and asks for its signed PDF, then back to the list (生成中)."""
    scope = supervision_scope_required(request.user)
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _reports_page(request, scope, form, status=400)
    try:
        report = report_request(user=request.user, scope=scope, period=form.cleaned_period, ip=client_ip(request))
    except ReportError as exc:
        form.add_error(None, str(exc))
        return _reports_page(request, scope, form, status=400)
    messages.success(request, f"已提交{report}，签章文件生成后即可下载。")
    return HttpResponseRedirect(reverse("supervision:reports"))


@require_GET
def report_document(request, pk: int):
    """The issued PDF of a report in the user's scope; 404 for any other report, and while it is being made."""
    scope = supervision_scope_required(request.user)
    report = reports_visible(scope).filter(pk=pk).first()
    if report is None:
        raise Http404("没有找到该报告。")
    document = report_issued_document(report)
    if document is None:
        raise Http404("报告的签章文件正在生成中，请稍后再下载。")
    period = report_period(report)
    export_audit(user=request.user, scope=scope, period=period, fmt="pdf", ip=client_ip(request), report=report.pk,
                 document=document.number)  # fmt: skip
    name, fallback = report_filename(report_scope_label(report), period, "pdf")
    try:
        pdf = document_pdf(document)
    except StoredFileError as exc:
        return stored_file_problem(request, exc, "报告文书")
    return as_download(HttpResponse(pdf, content_type="application/pdf"), f"{document.number}{name}", fallback)


urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("dashboard/alerts/<slug:key>/xlsx/", alert_xlsx, name="alert_xlsx"),
    path("reports/", ReportsView.as_view(), name="reports"),
    path("reports/xlsx/", report_xlsx, name="report_xlsx"),
    path("reports/pdf/", report_pdf, name="report_pdf"),
    path("reports/<int:pk>/document/", report_document, name="report_document"),
]
