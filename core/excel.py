"""Writing text into .xlsx cells so that no value can break the file or run as a formula."""

import datetime as dt
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from .text import printable

# Formula injection: a text starting with one of these is written as a string cell with Excel's quote prefix, so that
# no spreadsheet program ever evaluates it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit for one cell; longer text is cut with a note rather than refused by the program that opens it.
CELL_MAX_CHARS = 32_767
CUT_NOTE = "…（超出 Excel 单元格上限，已截断）"
# Text that reads like Excel's own escape for a character (_xHHHH_, ECMA-376 ST_Xstring) is escaped in turn, so the
# cell shows it as written and an import of the file reads it back unchanged.
_LOOKS_ESCAPED = re.compile(r"_x[0-9A-Fa-f]{4}_")


def text_cell(ws, value: str) -> Any:
    """`value` as a write-only cell of `ws`: characters XML cannot carry left out (a control character pasted before
    the input rules existed would otherwise fail the whole export), cut at Excel's limit, never a formula."""
    text = _LOOKS_ESCAPED.sub(lambda m: "_x005F" + m.group(0), printable(value))
    if len(text) > CELL_MAX_CHARS:
        text = text[: CELL_MAX_CHARS - len(CUT_NOTE)] + CUT_NOTE
    if not text.startswith(FORMULA_PREFIXES):
        return text
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


# -- report workbooks (the supervision reports, the rent ledger): a title line, then tables of numbers as numbers --

MONEY = "#,##0.00"
COUNT = "#,##0"
ONE_DECIMAL = "0.0"
TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)


def workbook_cell(ws, value, number_format: str | None = None):
    """A value as a write-only cell: a date in Chinese, None as a dash, text never a formula, numbers formatted."""
    if isinstance(value, dt.date):
        value = f"{value.year}年{value.month}月{value.day}日"
    elif value is None:
        value = "—"
    if isinstance(value, str):
        # A name such as “=HYPERLINK(…)” stays text that no spreadsheet evaluates; a control character is left out.
        return text_cell(ws, value)
    cell = WriteOnlyCell(ws, value=value)
    if number_format:
        cell.number_format = number_format
    return cell


class Sheet:
    """A write-only sheet: a title line, then tables of (header, format) columns."""

    def __init__(self, wb: Workbook, title: str, heading: str, widths: list[int]):
        self.ws = wb.create_sheet(title)
        for index, width in enumerate(widths):
            self.ws.column_dimensions[chr(ord("A") + index)].width = width
        self.line(heading, font=TITLE_FONT)

    def line(self, text: str = "", font: Font | None = None) -> None:
        if not text:
            self.ws.append([])
            return
        cell = workbook_cell(self.ws, text)
        if font:
            if isinstance(cell, str):
                cell = WriteOnlyCell(self.ws, value=cell)
            cell.font = font
        self.ws.append([cell])

    def table(self, columns: list[tuple[str, str | None]], rows: list[list]) -> None:
        header = []
        for name, _ in columns:
            cell = WriteOnlyCell(self.ws, value=name)
            cell.font = HEADER_FONT
            cell.alignment = Alignment(horizontal="center")
            header.append(cell)
        self.ws.append(header)
        for row in rows:
            self.ws.append([workbook_cell(self.ws, value, fmt) for value, (_, fmt) in zip(row, columns, strict=True)])
