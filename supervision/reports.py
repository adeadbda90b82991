"""The 月调度 report and the 季评估 evaluation: the dashboard's figures as an .xlsx workbook and as a signed PDF.

Both print `supervision.dashboard.dashboard_figures` for the requester's scope, so a report says what the dashboard said
that day. The PDF hangs from a SupervisionReport row and is made like every step document: the figures are frozen in
the document's context in the request's transaction, and the documents job renders, numbers and signs it on commit."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook

from assets.models import Organization, OrganizationKind, User
from assets.selectors import SupervisionScope
from audit.services import audit_record
from core.excel import COUNT, MONEY, ONE_DECIMAL
from core.excel import Sheet as _Sheet
from documents.models import Document, DocumentStatus
from documents.services import document_request, documents_of

from .dashboard import Period, dashboard_figures, frozen
from .models import ReportKind, SupervisionReport

DOCUMENT_KINDS = {ReportKind.MONTHLY: "monthly_report", ReportKind.QUARTERLY: "quarterly_evaluation"}
# What the audit trail calls each export (`data.what`).
EXPORT_NAMES = DOCUMENT_KINDS
DOCUMENT_STEP = "report"


class ReportError(Exception):
    """A report that cannot be made now (no finance bureau to sign it), with a message the user can act on."""


# -- who signs, who sees ----------------------------------------------------------------------------------------------


def report_signers(scope: SupervisionScope) -> list[Organization]:
    """A department's or unit's report is signed by that organization; the county's by 县财政局, where the 协调机制办
    sits (seed 000, 三(一)), or the 国资中心 when no finance bureau is configured (workflows.routing's order)."""
    if scope.organization is not None:
        return [scope.organization]
    for kind in (OrganizationKind.FINANCE, OrganizationKind.ASSET_CENTER):
        org = Organization.objects.filter(kind=kind, is_active=True).order_by("pk").first()
        if org is not None:
            return [org]
    raise ReportError("没有配置财政部门，无法签发全县报告；请管理员在组织机构中添加县财政局。")


def reports_visible(scope: SupervisionScope) -> QuerySet[SupervisionReport]:
    """The county sees every report; a department or unit only the reports of its own scope."""
    qs = SupervisionReport.objects.select_related("scope_organization", "requested_by")
    if scope.organization is None:
        return qs
    return qs.filter(scope_organization=scope.organization)


def report_scope_label(report: SupervisionReport) -> str:
    return report.scope_organization.name if report.scope_organization_id else "全县"


def report_period(report: SupervisionReport) -> Period:
    return Period(report.kind, report.year, report.period)


def report_title(scope_label: str, period: Period) -> str:
    what = "月调度报告" if period.is_monthly else "季度评估报告"
    return f"{scope_label}{period.label}闲置低效资产盘活{what}"


def report_filename(scope_label: str, period: Period, extension: str) -> tuple[str, str]:
    """The Chinese file name, and an ASCII one for clients without RFC 5987."""
    name = f"{report_title(scope_label, period)}.{extension}"
    fallback = f"{EXPORT_NAMES[period.kind]}_{period.year}_{period.number:02d}.{extension}"
    return name, fallback


def export_audit(*, user: User, scope: SupervisionScope, period: Period, fmt: str, ip: str | None, **extra) -> None:
    data = {
        "what": EXPORT_NAMES[period.kind],
        "format": fmt,
        "year": period.year,
        "period": period.number,
        "scope": scope.label,
        **extra,
    }
    audit_record(user=user, action="export", data=data, ip=ip)


# -- the signed PDF -------------------------------------------------------------------------------------------------


def report_context(*, report: SupervisionReport, scope: SupervisionScope, period: Period, figures: dict) -> dict:
    """What the document prints: the report's identity and the figures, frozen as plain JSON."""
    today = figures["today"]
    return {
        "report": {
            "id": report.pk,
            "kind": report.kind,
            "kind_label": report.get_kind_display(),
            "title": report_title(scope.label, period),
            "scope_level": scope.level,
            "scope_label": scope.label,
            "period_label": period.label,
            "year": period.year,
            "period": period.number,
            "as_of_text": f"{today.year}年{today.month}月{today.day}日",
            "requested_by": report.requested_by.get_full_name(),
        },
        "figures": frozen(figures),
    }


@transaction.atomic
def report_request(
    *, user: User, scope: SupervisionScope, period: Period, ip: str | None = None, today: dt.date | None = None
) -> SupervisionReport:
    """Records a report and asks `documents` for its signed PDF, with the figures as of today; on the audit trail."""
    signers = report_signers(scope)
    report = SupervisionReport.objects.create(
        kind=period.kind, year=period.year, period=period.number, scope_organization=scope.organization,
        requested_by=user,
    )  # fmt: skip
    figures = dashboard_figures(scope, period, today or timezone.localdate())
    context = report_context(report=report, scope=scope, period=period, figures=figures)
    document_request(
        kind=DOCUMENT_KINDS[period.kind], subject=report, step=DOCUMENT_STEP, context=context, signers=signers
    )
    export_audit(user=user, scope=scope, period=period, fmt="pdf", ip=ip, report=report.pk)
    return report


def report_documents(reports) -> dict[int, Document]:
    """The latest document of each report, in one query."""
    reports = list(reports)
    if not reports:
        return {}
    subject_type = ContentType.objects.get_for_model(SupervisionReport)
    latest: dict[int, Document] = {}
    for document in Document.objects.filter(
        subject_type=subject_type, subject_id__in=[r.pk for r in reports], step=DOCUMENT_STEP
    ).order_by("version"):
        latest[document.subject_id] = document
    return latest


def report_issued_document(report: SupervisionReport) -> Document | None:
    return documents_of(report).filter(step=DOCUMENT_STEP, status=DocumentStatus.ISSUED).order_by("-version").first()


# -- the workbook -----------------------------------------------------------------------------------------------------


def _date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def report_workbook(figures: dict, *, title: str) -> bytes:
    """The figures as an .xlsx: one sheet per table of the dashboard, Chinese headers, numbers as numbers."""
    wb = Workbook(write_only=True)
    period, ledger = figures["period"], figures["ledger"]
    today = figures["today"]
    stamp = f"统计范围：{figures['scope']['label']}　统计期间：{period['label']}　数据截至：{_date_text(today)}"

    sheet = _Sheet(wb, "概况", title, [28, 22, 22, 22])
    sheet.line(stamp)
    sheet.line()
    revitalized, proceeds, totals = figures["revitalized"], figures["proceeds"], ledger["category_totals"]
    sheet.table(
        [("指标", None), ("本期", MONEY), ("本年累计", MONEY)],
        [
            ["盘活资产（项，已销号）", revitalized["period"]["n"], revitalized["ytd"]["n"]],
            ["盘活面积（m²）", revitalized["period"]["area_m2"], revitalized["ytd"]["area_m2"]],
            ["盘活资产原值（元）", revitalized["period"]["value"], revitalized["ytd"]["value"]],
            ["应收（元）", proceeds["period_total"]["amount_due"], proceeds["ytd_total"]["amount_due"]],
            ["实收（元）", proceeds["period_total"]["amount_received"], proceeds["ytd_total"]["amount_received"]],
            ["上缴（元）", proceeds["period_total"]["amount_remitted"], proceeds["ytd_total"]["amount_remitted"]],
        ],
    )
    sheet.line()
    sheet.table(
        [("台账", None), ("数量（项）", COUNT), ("原值（元）", MONEY)],
        [
            ["资产总数", totals["total"], totals["value"]],
            ["闲置、低效待盘活", totals["pending"], None],
            ["办理中的处置事项", figures["stages"]["open_cases"], None],
            ["超期未办环节", figures["overdue"]["total"], None],
        ],
    )

    sheet = _Sheet(
        wb, "年度目标", f"年度目标完成情况（{period['label']}，按月累计）", [30, 18, 12, 14, 16, 14, 18, 18, 12, 12]
    )
    months = list(range(1, period["last_month"] + 1))
    columns = [("任务名称", None), ("资产类别", None), ("计入", None), ("单位类型", None), ("牵头单位", None),
               ("计量单位", None),
               ("年度目标", MONEY), ("累计完成", MONEY), ("完成率（%）", ONE_DECIMAL),
               ("序时进度（%）", ONE_DECIMAL)]  # fmt: skip
    columns += [(f"{m}月累计", MONEY) for m in months]
    sheet.table(
        columns,
        [
            [t["name"], t["category"], t["tally"], t["unit_kind"], t["lead_department"], t["unit"], t["amount"],
             t["achieved"], t["percent"], t["pace_percent"], *t["cumulative"]]
            for t in figures["targets"]
        ],
    )  # fmt: skip

    sheet = _Sheet(wb, "月度盘活", f"盘活（销号）资产按月统计（{period['year']}年）", [10, 14, 18, 20, 14, 18, 20])
    sheet.table(
        [("月份", None), ("当月（项）", COUNT), ("当月面积（m²）", MONEY), ("当月原值（元）", MONEY),
         ("累计（项）", COUNT), ("累计面积（m²）", MONEY), ("累计原值（元）", MONEY)],
        [
            [f"{m['month']}月", m["n"], m["area_m2"], m["value"], c["n"], c["area_m2"], c["value"]]
            for m, c in zip(revitalized["months"], revitalized["cumulative"], strict=True)
        ],
    )  # fmt: skip
    sheet.line()
    sheet.table(
        [("资产类别（本年累计）", None), ("数量（项）", COUNT), ("面积", None), ("原值（元）", MONEY)],
        [[r["name"], r["n"], r["area_text"], r["value"]] for r in revitalized["by_category"]],
    )
    sheet.line()
    sheet.table(
        [
            ("盘活方式", None),
            ("计入", None),
            ("本期（项）", COUNT),
            ("本年累计（项）", COUNT),
            ("本年累计原值（元）", MONEY),
        ],
        [[r["label"], r["tally"], r["period_n"], r["n"], r["value"]] for r in revitalized["by_method"]],
    )

    sheet = _Sheet(wb, "分类统计", "资产分类统计", [44, 10, 10, 10, 10, 10, 10, 10, 10, 26, 18])
    sheet.table(
        [("资产类别", None), ("总数", COUNT), ("闲置", COUNT), ("低效", COUNT), ("超标准", COUNT),
         ("在用", COUNT), ("处置中", COUNT), ("已盘活", COUNT), ("已处置", COUNT), ("面积", None),
         ("原值（元）", MONEY)],
        [
            [r["name"], r["total"], r["idle"], r["low_efficiency"], r["over_standard"], r["in_use"], r["in_case"],
             r["revitalized"], r["disposed"], r["area_text"], r["value"]]
            for r in [*ledger["categories"], {**totals, "name": "合计"}]
        ],
    )  # fmt: skip

    sheet = _Sheet(wb, "办理阶段", "资产台账状态与办理中的处置事项", [24, 12])
    sheet.table(
        [("台账状态", None), ("数量（项）", COUNT)], [[r["label"], r["n"]] for r in figures["stages"]["assets"]]
    )
    sheet.line()
    sheet.table([("办理状态", None), ("事项（件）", COUNT)], [[r["label"], r["n"]] for r in figures["stages"]["cases"]])

    sheet = _Sheet(wb, "单位统计", "各单位资产统计", [36, 14, 10, 12, 10, 10, 10, 18])
    sheet.table(
        [("单位", None), ("单位类型", None), ("总数", COUNT), ("待盘活", COUNT), ("处置中", COUNT),
         ("已盘活", COUNT), ("已处置", COUNT), ("原值（元）", MONEY)],
        [[u["name"], u["kind"], u["total"], u["pending"], u["in_case"], u["revitalized"], u["disposed"], u["value"]]
         for u in ledger["units"]],
    )  # fmt: skip

    sheet = _Sheet(
        wb, "收入上缴", f"处置收入与租金（{period['label']}及本年累计）", [16, 10, 18, 18, 18, 18, 10, 18, 18, 18, 18]
    )
    money_columns = [("件数", COUNT), ("应收（元）", MONEY), ("实收（元）", MONEY), ("上缴（元）", MONEY),
                     ("财政已确认（元）", MONEY)]  # fmt: skip
    sheet.table(
        [("盘活方式", None)]
        + [(f"本期{name}", fmt) for name, fmt in money_columns]
        + [(f"累计{name}", fmt) for name, fmt in money_columns],
        [
            [label, *_money_cells(p), *_money_cells(y)]
            for label, p, y in [(r["label"], r["period"], r["ytd"]) for r in proceeds["rows"]]
            + [("合计", proceeds["period_total"], proceeds["ytd_total"])]
        ],
    )
    if proceeds.get("basis"):
        sheet.line()
        sheet.line(proceeds["basis"])

    overdue = figures["overdue"]
    sheet = _Sheet(wb, "超期环节", f"超期未办环节（截至{_date_text(today)}）", [36, 10, 14, 50])
    sheet.table(
        [("承办单位", None), ("超期（件）", COUNT), ("最长超期（天）", COUNT), ("环节", None)],
        [[r["name"], r["n"], r["days"], r["steps_text"]] for r in overdue["by_organization"]],
    )
    sheet.line()
    sheet.table(
        [("事项", COUNT), ("资产编号", None), ("资产名称", None), ("持有单位", None), ("当前环节", None),
         ("承办单位", None), ("办理期限", None), ("超期（天）", COUNT)],
        [[c["case_id"], c["asset_code"], c["asset_name"], c["holding_unit"], c["step"], c["organization"],
          c["step_due_on"], c["days"]] for c in overdue["cases"]],
    )  # fmt: skip

    sheet = _Sheet(wb, "环节用时", f"各环节平均办理用时（{period['label']}办结的任务）", [24, 12, 16])
    sheet.table(
        [("环节", None), ("办结（件）", COUNT), ("平均用时（天）", ONE_DECIMAL)],
        [[r["label"], r["n"], r["days"]] for r in figures["step_durations"]],
    )

    completion = figures["completion"]
    sheet = _Sheet(
        wb, "单位完成率", f"各单位完成率排名（截至{completion['cutoff_label']}）", [8, 36, 12, 12, 12, 12, 12, 12]
    )
    sheet.table(
        [("排名", COUNT), ("单位", None), ("已认定（件）", COUNT), ("已销号（件）", COUNT),
         ("销号率（%）", ONE_DECIMAL), ("已盘活（项）", COUNT), ("待盘活（项）", COUNT), ("盘活率（%）", ONE_DECIMAL)],
        [[r["rank"], r["name"], r["verified"], r["closed"], r["closure_rate"], r["revitalized"], r["pending"],
          r["revitalization_rate"]] for r in completion["rows"]],
    )  # fmt: skip

    sheet = _Sheet(wb, "预警", f"预警事项（截至{_date_text(today)}）", [30, 10, 20, 30, 36, 60])
    rows = []
    for alert in figures["alerts"].values():
        for row in alert["rows"]:
            if "cases" in row:  # a batch split lists its plans
                codes = "、".join(c["asset_code"] for c in row["cases"])
                rows.append([alert["title"], None, codes, f"{row['n']}项资产", row["holding_unit"], row["detail"]])
            else:
                rows.append([alert["title"], row.get("case_id"), row["asset_code"], row["asset_name"],
                             row["holding_unit"], row["detail"]])  # fmt: skip
    sheet.table(
        [
            ("预警类型", None),
            ("事项", COUNT),
            ("资产编号", None),
            ("资产名称", None),
            ("持有单位", None),
            ("说明", None),
        ],
        rows,
    )

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def alert_workbook(alert: dict, *, key: str, scope_label: str, today: dt.date) -> bytes:
    """One alert list of the dashboard as an .xlsx: a title line, the scope and date, then every row (up to
    ALERT_EXPORT_LIMIT, and a line saying so when the list is longer)."""
    wb = Workbook(write_only=True)
    sheet = _Sheet(wb, "预警", f"预警：{alert['title']}", [12, 22, 30, 30, 30, 60, 40])
    sheet.line(f"统计范围：{scope_label}　数据截至：{_date_text(today)}　共 {alert['count']} 项")
    if alert["count"] > len(alert["rows"]):
        sheet.line(f"超过导出上限，仅列出前 {len(alert['rows'])} 项；请缩小范围后再导出其余事项。")
    sheet.line()
    if key == "batch_splitting":
        columns = [
            ("序号", COUNT),
            ("持有单位", None),
            ("资产类别", None),
            ("方案（项）", COUNT),
            ("合计原值（元）", MONEY),
            ("财政审批标准（元）", MONEY),
            ("提交时间", None),
            ("涉及资产", None),
        ]
        rows = [
            [i, r["holding_unit"], r["category"], r["n"], r["total"], r["threshold"], r["window_text"],
             "、".join(f"{c['asset_code']} {c['asset_name']}" for c in r["cases"])]
            for i, r in enumerate(alert["rows"], start=1)
        ]  # fmt: skip
    else:
        columns = [("序号", COUNT), ("事项", COUNT), ("资产编号", None), ("资产名称", None), ("持有单位", None),
                   ("说明", None)]  # fmt: skip
        rows = [
            [i, r.get("case_id"), r["asset_code"], r["asset_name"], r["holding_unit"], r["detail"]]
            for i, r in enumerate(alert["rows"], start=1)
        ]
    sheet.table(columns, rows)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _money_cells(bucket: dict) -> list:
    return [bucket["n"], bucket["amount_due"], bucket["amount_received"], bucket["amount_remitted"],
            bucket["amount_confirmed"]]  # fmt: skip


def report_workbook_for(scope: SupervisionScope, period: Period, today: dt.date | None = None) -> tuple[bytes, str]:
    """The workbook of one scope and period as of today, and its title."""
    figures = dashboard_figures(scope, period, today or timezone.localdate())
    title = report_title(scope.label, period)
    return report_workbook(figures, title=title), title
