"""The trail's .xlsx export: the events of one search, newest first as the page lists them, up to a limit."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from audit.models import AuditEvent
from core.excel import text_cell
from workflows.trail import event_rows

# A search wider than this is cut to its newest events, and the page says so before anyone clicks (a workbook of
# the whole county's years would take minutes to build and no one reads it).
TRAIL_EXPORT_LIMIT = 10_000
# event_rows fetches each batch's documents in one query.
BATCH = 1_000
HEADERS = ["序号", "时间", "操作人", "代办", "IP", "单位", "角色", "操作", "资产编号", "资产名称", "事项", "状态变化",
           "内容", "文书"]  # fmt: skip
WIDTHS = [8, 20, 12, 12, 14, 24, 16, 16, 18, 24, 8, 30, 60, 40]


def trail_over_limit_message(count: int) -> str:
    return (
        f"共 {count} 条，超过导出上限 {TRAIL_EXPORT_LIMIT} 条：导出文件只含最新的 {TRAIL_EXPORT_LIMIT} 条。"
        "请按日期、单位或环节缩小查询范围后分批导出。"
    )


def _text(ws, value) -> object:
    return text_cell(ws, value) if isinstance(value, str) else value


def _row(ws, row: dict) -> list:
    e = row["event"]
    state = (
        f"{row['from_state']} → {row['to_state']}"
        if row["from_state"] and row["to_state"] and row["from_state"] != row["to_state"]
        else row["to_state"]
    )
    content = [f"{label}：{value}" for label, value in row["details"]]
    content += [f"{label}：{before} → {after}" for label, before, after in row["changes"]]
    values = [
        e.seq,
        timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
        e.actor.get_full_name() if e.actor else "系统",
        e.acting_for.get_full_name() if e.acting_for else "",
        e.ip or "",
        e.organization.name if e.organization else "",
        row["role"],
        row["label"],
        e.asset.code if e.asset else "",
        e.asset.name if e.asset else "",
        e.case_id,
        state,
        "\n".join(str(c) for c in content),
        "\n".join(f"{d.title} {d.number}" for d in row["documents"]),
    ]
    return [_text(ws, v) for v in values]


def trail_workbook(events: QuerySet[AuditEvent], *, count: int, scope_label: str, filters: str) -> bytes:
    """The searched events (already scoped and ordered newest first) as one sheet with Chinese headers; a line above
    the table says what was searched and, past the limit, that the file holds only the newest events."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计轨迹")
    for index, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    title = WriteOnlyCell(ws, value="审计轨迹")
    title.font = Font(bold=True, size=14)
    ws.append([title])
    ws.append([text_cell(ws, f"范围：{scope_label}　查询条件：{filters or '全部'}　共 {count} 条")])
    if count > TRAIL_EXPORT_LIMIT:
        ws.append([text_cell(ws, trail_over_limit_message(count))])
    ws.append([])
    header = []
    for name in HEADERS:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    ids = list(events.values_list("pk", flat=True)[:TRAIL_EXPORT_LIMIT])
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for row in event_rows(events.filter(pk__in=chunk)):
            ws.append(_row(ws, row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
