"""Writing text into .xlsx cells so that no value can break the file or run as a formula."""

import re
from typing import Any

from openpyxl.cell import WriteOnlyCell

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
