"""Excel in and out of the register: the import template, row-by-row checks, the all-or-nothing commit, the export."""

from __future__ import annotations

import datetime
import functools
import gzip
import io
import json
import logging
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

import python_calamine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from audit.changes import changes_between, snapshot
from audit.services import audit_record
from core.errors import DomainError
from core.excel import text_cell
from core.formatting import mu_to_sqm, sqm_to_mu
from core.jobs import enqueue_on_commit
from core.text import INVISIBLE, clean_text, normalize_code, visible
from core.uploads import check_package, office_package_limits, sniff_upload

from .models import (
    DEFAULT_MEASURE_UNIT,
    HOLDING_KINDS,
    Asset,
    Category,
    CategorySubtype,
    Direction,
    ImportBatch,
    ImportMode,
    ImportStatus,
    MeasureUnit,
    Organization,
    Ownership,
    Role,
    UsageStatus,
    User,
    areas_agree,
)
from .selectors import asset_can_edit, units_user_may_register_for, user_can_import

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "资产台账"
HELP_SHEET = "填写说明"
LISTS_SHEET = "下拉选项"
SUBTYPE_CATEGORY_HEADER = "子类所属类别"
# The template's example row carries this code; an upload that still contains it skips that row.
EXAMPLE_CODE = "示例-0001"
# The header is looked for in the first rows, so a title line above it does no harm.
HEADER_SEARCH_ROWS = 10
MAX_ROWS = 50_000
# Rows read below the header, blank ones included: a sheet may end in some empty rows, never in a million.
MAX_READ_ROWS = MAX_ROWS + 5_000
MAX_STORED_ERRORS = 1000
PREVIEW_ROWS = 50
# An update's preview lists the changed rows field by field, up to this many rows.
MAX_DIFF_ROWS = 1000
# An update reads its rows in blocks of this many, and looks up the block's codes in one query.
UPDATE_BLOCK_ROWS = 500
PROGRESS_EVERY = 500
BULK_BATCH_SIZE = 1000
# Rows of the template that carry the drop-down lists.
TEMPLATE_VALIDATION_ROWS = 20_000
# Formula injection. On import a cell that IS a formula is refused (it is never evaluated, and its cached value
# cannot be trusted); a text cell that merely starts like one (typed as '=…) is kept as the text it is. On export
# every text is written by core.excel.text_cell, which never lets one be a formula.

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
IN_PROGRESS = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.COMMITTING)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str  # text | decimal | date | category | subtype | unit | choice
    required: bool = False
    help: str = ""
    width: int = 14
    choices: type[models.TextChoices] | None = None
    places: int = 2
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    number_format: str | None = None


COLUMNS: tuple[Column, ...] = (
    Column("资产编号", "code", "code", True, "全县唯一，导入后不能修改；不能与台账中已有的编号或本文件其他行重复。"),
    Column("资产名称", "name", "text", True, "如“原凤仪镇第二小学教学楼”。", width=24),
    Column("资产类别", "category", "category", True, "从下拉列表选择 8 大类之一。", width=30),
    Column(
        "资产子类",
        "subtype",
        "subtype",
        False,
        "须属于所选类别；公益性资产必须填写（决定牵头核查部门），其他类别可留空。",
        width=16,
    ),
    Column(
        "持有单位",
        "holding_unit",
        "unit",
        True,
        "单位全称或简称，从下拉列表选择；经办人只能导入本单位的资产。",
        width=24,
    ),
    Column("规格型号", "specification", "text", False, "选填。"),
    Column("数量", "quantity", "decimal", False, "大于 0，不填默认为 1。", width=8, minimum=Decimal("0.01")),
    Column(
        "计量单位", "unit_of_measure", "measure", False, "从下拉列表选择，如 台、套、栋、宗；不填默认为“项”。", width=10
    ),
    Column(
        "面积（㎡）",
        "area_m2",
        "decimal",
        False,
        "土地、房屋必须填写面积（㎡ 或 亩填其一即可）；两者都填时须一致（相差不超过 1 ㎡）。",
        minimum=Decimal(0),
        number_format=MONEY_FORMAT,
    ),
    Column(
        "面积（亩）",
        "area_mu",
        "decimal",
        False,
        "按 1 亩 = 666.67 ㎡ 换算为平方米保存。",
        minimum=Decimal(0),
        number_format=MONEY_FORMAT,
    ),
    Column(
        "原值（元）",
        "original_value",
        "decimal",
        True,
        "数字，可带千分位，如 1,234,567.89。",
        width=16,
        minimum=Decimal(0),
        number_format=MONEY_FORMAT,
    ),
    Column(
        "净值（元）",
        "net_value",
        "decimal",
        True,
        "不能大于原值。",
        width=16,
        minimum=Decimal(0),
        number_format=MONEY_FORMAT,
    ),
    Column(
        "取得日期", "acquired_on", "date", True, "如 2021-03-05、2021/3/5 或 2021年3月5日；不能晚于今天。", width=12
    ),
    Column("资产位置", "address", "text", True, "详细地址，如“茂县凤仪镇XX路12号”。", width=28),
    Column(
        "纬度",
        "latitude",
        "decimal",
        False,
        "十进制度，如 31.681；经纬度须同时填写或同时留空。",
        width=11,
        places=6,
        minimum=Decimal(-90),
        maximum=Decimal(90),
    ),
    Column(
        "经度",
        "longitude",
        "decimal",
        False,
        "十进制度，如 103.853。",
        width=11,
        places=6,
        minimum=Decimal(-180),
        maximum=Decimal(180),
    ),
    Column("权属状况", "ownership", "choice", False, "不填默认为“已确权”。", width=10, choices=Ownership),
    Column("权属证书号", "certificate_no", "text", False, "不动产权证书号等。", width=20),
    Column(
        "使用状况",
        "usage_status",
        "choice",
        False,
        "不填默认为“正常使用”；闲置资产须填写停用日期。",
        width=12,
        choices=UsageStatus,
    ),
    Column("停用日期", "idle_since", "date", False, "闲置资产必须填写；不能早于取得日期，不能晚于今天。", width=12),
    Column("闲置原因", "idle_reason", "text", False, "如“学校撤并后停用”。", width=20),
    Column("盘活方向", "direction", "choice", False, "选填。", width=10, choices=Direction),
    Column("盘活思路", "direction_note", "text", False, "一资产一策：拟采取的盘活措施。", width=24),
    Column("责任人", "responsible_person", "text", False, "选填。", width=10),
    Column("完成时限", "deadline", "date", False, "日期；不能早于取得日期。", width=12),
    Column("备注", "remarks", "text", False, "选填。", width=20),
)
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
CODE_COLUMN, CATEGORY_COLUMN, SUBTYPE_COLUMN, UNIT_COLUMN, MEASURE_COLUMN = (
    COLUMNS[HEADERS.index(h)] for h in ("资产编号", "资产类别", "资产子类", "持有单位", "计量单位")
)
# What a row that leaves one of these blank stands for.
ROW_DEFAULTS: dict[str, Any] = {
    "quantity": Decimal(1),
    "unit_of_measure": DEFAULT_MEASURE_UNIT,
    "ownership": Ownership.CONFIRMED,
    "usage_status": UsageStatus.NORMAL,
}
REQUIRED_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.required)
# Our export's 台账状态 column: an update checks it against the register and never writes it.
STATUS_HEADER = "台账状态"
EXPORT_HEADERS: tuple[str, ...] = (*HEADERS, STATUS_HEADER, "闲置月数")
ERROR_HEADER = "错误说明"
FIELD_HEADERS = {c.field: c.header for c in COLUMNS}
PREVIEW_HEADERS: tuple[str, ...] = (
    "资产编号",
    "资产名称",
    "资产类别",
    "资产子类",
    "持有单位",
    "数量",
    "面积（㎡）",
    "原值（元）",
    "净值（元）",
    "取得日期",
    "使用状况",
)


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    """Folds full-width and half-width forms and drops blanks and the invisible characters free text drops (zero-width
    spaces pasted from web pages), so “（” matches “(”, “㎡” matches “m2” and a label matches its look-alike."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", "".join(c for c in text if c not in INVISIBLE)))


def _header_key(text: str) -> str:
    key = _key(text).strip("*")
    for suffix in ("(必填)", "(选填)"):
        key = key.removesuffix(suffix)
    return key


HEADER_ALIASES = {
    **{_header_key(c.header): c for c in COLUMNS},
    _header_key("面积（平方米）"): COLUMNS[HEADERS.index("面积（㎡）")],
    _header_key("面积（m²）"): COLUMNS[HEADERS.index("面积（㎡）")],
    _header_key("盘活思路（一资产一策）"): COLUMNS[HEADERS.index("盘活思路")],
}


# -- the template --------------------------------------------------------------------------------------------------


def _template_units(user: User | None) -> list[Organization]:
    if user is not None:
        return list(units_user_may_register_for(user=user).order_by("name"))
    return list(Organization.objects.filter(is_active=True, kind__in=HOLDING_KINDS).order_by("name"))


def _example_row(units: list[Organization]) -> list[Any]:
    category = Category.objects.filter(code="public_welfare").first() or Category.objects.first()
    subtype = category.subtypes.filter(code="school").first() if category else None
    values = {
        "资产编号": EXAMPLE_CODE,
        "资产名称": "原凤仪镇第二小学教学楼",
        "资产类别": category.name if category else "",
        "资产子类": subtype.name if subtype else "",
        "持有单位": units[0].name if units else "（本单位全称）",
        "规格型号": "砖混结构 4 层",
        "数量": 1,
        "计量单位": "栋",
        "面积（㎡）": 2400,
        "原值（元）": 3200000,
        "净值（元）": 1150000,
        "取得日期": datetime.date(2008, 9, 1),
        "资产位置": "茂县凤仪镇XX路12号",
        "纬度": 31.681,
        "经度": 103.853,
        "权属状况": Ownership.CONFIRMED.label,
        "权属证书号": "川（2019）茂县不动产权第0001234号",
        "使用状况": UsageStatus.IDLE.label,
        "停用日期": datetime.date(2022, 7, 1),
        "闲置原因": "学校撤并后停用",
        "盘活方向": Direction.REALLOCATE.label,
        "盘活思路": "拟调剂给县教育局作教师培训中心",
        "责任人": "张三",
        "完成时限": datetime.date(2027, 6, 30),
        "备注": "示例行：资产编号为“示例-0001”的行导入时自动忽略，可直接删除或改写。",
    }
    return [values.get(h) for h in HEADERS]


def import_template_workbook(*, user: User | None = None) -> bytes:
    """The blank ledger to fill in: Chinese headers (* = required), drop-down lists, an example row, instructions.

    With a user, the 持有单位 list holds the units that user may register for; without, every holding unit.
    """
    units = _template_units(user)
    categories = list(Category.objects.order_by("sort_order", "code"))
    subtypes = list(CategorySubtype.objects.select_related("category").order_by("category__sort_order", "sort_order"))
    measures = MeasureUnit.names()

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    required_font = Font(bold=True, color="C62828")
    header_fill = PatternFill("solid", fgColor="E3F2FD")
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index, value=f"*{column.header}" if column.required else column.header)
        cell.font = required_font if column.required else Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.comment = Comment(("必填。" if column.required else "") + column.help, "盘活")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
    ws.freeze_panes = "A2"

    example_font = Font(italic=True, color="757575")
    for index, value in enumerate(_example_row(units), start=1):
        cell = ws.cell(row=2, column=index, value=value)
        cell.font = example_font
        column = COLUMNS[index - 1]
        if column.kind == "date":
            cell.number_format = DATE_FORMAT
        elif column.number_format:
            cell.number_format = column.number_format

    lists = wb.create_sheet(LISTS_SHEET)
    # Column E names each sub-type's category beside it (B), so the 资产子类 drop-down can offer only the chosen
    # category's sub-types; they are listed category by category, so each category's run is contiguous.
    lists.append(["资产类别", "资产子类", "持有单位", "计量单位", SUBTYPE_CATEGORY_HEADER])
    for i in range(max(len(categories), len(subtypes), len(units), len(measures))):
        lists.append(
            [
                categories[i].name if i < len(categories) else None,
                subtypes[i].name if i < len(subtypes) else None,
                units[i].name if i < len(units) else None,
                measures[i] if i < len(measures) else None,
                subtypes[i].category.name if i < len(subtypes) else None,
            ]
        )
    lists.sheet_state = "hidden"

    def letter_of(header: str) -> str:
        return get_column_letter(HEADERS.index(header) + 1)

    def add_list(header: str, formula: str) -> None:
        dv = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="请从下拉列表中选择",
            error=f"「{header}」须从下拉列表中选择。",
        )
        dv.add(f"{letter_of(header)}2:{letter_of(header)}{TEMPLATE_VALIDATION_ROWS}")
        ws.add_data_validation(dv)

    sheet_ref = f"'{LISTS_SHEET}'"
    if categories:
        add_list("资产类别", f"{sheet_ref}!$A$2:$A${len(categories) + 1}")
    if subtypes:
        # The sub-types of the category chosen in the same row: the run of column B whose column E is that category.
        category_cell = f"${letter_of('资产类别')}2"
        add_list(
            "资产子类",
            f"OFFSET({sheet_ref}!$B$1,MATCH({category_cell},{sheet_ref}!$E:$E,0)-1,0,"
            f"COUNTIF({sheet_ref}!$E:$E,{category_cell}),1)",
        )
    if units:
        add_list("持有单位", f"{sheet_ref}!$C$2:$C${len(units) + 1}")
    if measures:
        add_list("计量单位", f"{sheet_ref}!$D$2:$D${len(measures) + 1}")
    for column in COLUMNS:
        if column.kind == "choice":
            add_list(column.header, '"' + ",".join(column.choices.labels) + '"')

    # Excel applies a column's style to what is typed into it, so dates and money show as they should.
    for column in COLUMNS:
        letter = letter_of(column.header)
        if column.kind == "date":
            ws.column_dimensions[letter].number_format = DATE_FORMAT
        elif column.number_format:
            ws.column_dimensions[letter].number_format = column.number_format

    _write_help_sheet(wb.create_sheet(HELP_SHEET, index=1), categories=categories, subtypes=subtypes)
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_help_sheet(ws, *, categories: list[Category], subtypes: list[CategorySubtype]) -> None:
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    notes = [
        "资产台账导入说明",
        "1. 在“资产台账”工作表中，第 1 行为表头，请勿修改或删除；从第 2 行起每行填写一项资产。",
        "2. 表头带 * 的列必须填写；其他列可留空。",
        f"3. 资产编号为“{EXAMPLE_CODE}”的示例行导入时自动忽略。",
        f"4. 请填写数值，不要使用公式；含公式的单元格会被拒绝（可“选择性粘贴 → 数值”）。每个文件最多 {MAX_ROWS:,} 行。",
        "5. 上传后系统逐行校验，并列出每处错误的行号和列名；全部通过并点击“确认导入”后才会写入台账，"
        "有任何一行出错都不会导入任何数据。有错误时可下载“错误说明”文件：即上传的表格，出错的单元格标红，"
        "最后一列写明每行的问题，改正后可直接重新上传。",
        "6. 资产子类的下拉列表只列出本行所选资产类别的子类，请先选择资产类别。",
        "7. 修改已登记的资产：在导入页面选择“更新”方式，系统按资产编号匹配本单位台账中的资产，只修改有变化的内容，"
        "确认前逐项列出每个项目修改前后的内容。表中只需保留「资产编号」和要修改的列（可直接使用导出的台账）；"
        "留空的单元格表示清空该项（数量、计量单位、权属状况、使用状况留空则取默认值，与新增时相同）。"
        "持有单位和台账状态不能通过导入修改，处置中和已处置的资产不能修改。",
        "",
    ]
    for line in notes:
        ws.append([line])
    ws["A1"].font = Font(bold=True, size=14)
    header_row = ws.max_row + 1
    ws.append(["列名", "是否必填", "填写要求"])
    for cell in ws[header_row]:
        cell.font = bold
    for column in COLUMNS:
        requirement = column.help
        if column.kind == "choice":
            requirement = f"可选：{'、'.join(column.choices.labels)}。{requirement}"
        elif column.kind == "measure":
            requirement = f"可选：{'、'.join(MeasureUnit.names())}。{requirement}"
        ws.append([column.header, "必填" if column.required else "", requirement])
    ws.append([])
    ws.append(["资产类别", "可选子类", ""])
    ws.cell(row=ws.max_row, column=1).font = bold
    ws.cell(row=ws.max_row, column=2).font = bold
    for category in categories:
        names = "、".join(s.name for s in subtypes if s.category_id == category.pk)
        note = "（必须填写子类）" if category.subtype_required else ""
        ws.append([category.name, names + note])
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 80
    for row in ws.iter_rows(min_row=header_row):
        for cell in row:
            cell.alignment = wrap


# -- reading an upload ---------------------------------------------------------------------------------------------


class _CellError(Exception):
    """A cell that cannot be read; the text completes “第N行「列」…”."""


def _short(value: Any, limit: int = 30) -> str:
    """A value quoted in a message: text as typed (its invisible characters named), anything else as the ledger
    writes it (3.0 as 3, a date as 2021-03-05)."""
    text = visible(value if isinstance(value, str) else _as_text(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Excel writes a character XML cannot hold (a control character pasted from Word) as _xHHHH_, and a literal "_x" as
# "_x005F_x" (ECMA-376 ST_Xstring); openpyxl hands these over as they are written.
_XSTRING_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescaped(text: str) -> str:
    """A cell's text as Excel meant it (its _xHHHH_ escapes turned back into the characters). An escape of no
    character (a lone surrogate, U+FFFE, U+FFFF) stays as it is written, as calamine leaves it."""
    if "_x" in text:
        text = _XSTRING_ESCAPE.sub(_escaped_char, text)
    return text


def _escaped_char(match: re.Match) -> str:
    code = int(match.group(1), 16)
    return match.group() if 0xD800 <= code <= 0xDFFF or code >= 0xFFFE else chr(code)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


_NUMBER_NOISE = re.compile(r"[,\s']")


def _as_decimal(value: Any, column: Column, max_digits: int) -> Decimal:
    if isinstance(value, bool) or isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        raise _CellError(f"应为数字，现为“{_short(_as_text(value))}”。")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # repr() is the shortest text that reads back as the same float: 0.1 stays 0.1.
        number = Decimal(repr(value))
    else:
        text = _NUMBER_NOISE.sub("", unicodedata.normalize("NFKC", str(value)))
        text = text.removeprefix("¥").removesuffix("元")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _CellError(f"应为数字，现为“{_short(value)}”；可带千分位，如 1,234.56。") from None
    if not number.is_finite():
        raise _CellError(f"应为数字，现为“{_short(value)}”。")
    # Checked before rounding: quantize() of a number this large raises instead of rounding.
    if abs(number) >= Decimal(10) ** (max_digits - column.places):
        raise _CellError(f"数值过大（整数部分最多 {max_digits - column.places} 位）。")
    number = number.quantize(Decimal(1).scaleb(-column.places), rounding=ROUND_HALF_UP)
    if column.minimum is not None and number < column.minimum:
        raise _CellError(f"不能小于 {column.minimum}。")
    if column.maximum is not None and number > column.maximum:
        raise _CellError(f"不能大于 {column.maximum}。")
    if abs(number) >= Decimal(10) ** (max_digits - column.places):
        raise _CellError(f"数值过大（整数部分最多 {max_digits - column.places} 位）。")
    return number


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DATE_HINT = "请填写如 2021-03-05、2021/3/5 或 2021年3月5日。"


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise _CellError(f"应为日期。{DATE_HINT}")
    if isinstance(value, int | float):
        # 20210305 typed without separators; otherwise an Excel serial day number that lost its date format.
        if isinstance(value, int) or value.is_integer():
            match = _DATE_COMPACT.match(str(int(value)))
            if match:
                return _date_of(*match.groups(), raw=value)
        if 10_000 <= value < 100_000:
            return from_excel(value).date()
        raise _CellError(f"应为日期，现为“{_short(_as_text(value))}”。{DATE_HINT}")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise _CellError(f"应为日期，现为“{_short(value)}”。{DATE_HINT}")
    return _date_of(*match.groups(), raw=value)


def _date_of(year: str, month: str, day: str, *, raw: Any) -> datetime.date:
    try:
        date = datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise _CellError(f"“{_short(raw)}”不是有效的日期。{DATE_HINT}") from None
    if date.year < 1900:
        raise _CellError(f"“{_short(raw)}”早于 1900 年，请检查。")
    return date


@dataclass
class _Lookups:
    """Everything a row is checked against, loaded once per file so that no row costs a query."""

    user: User
    categories: dict[str, Category]
    subtypes: dict[tuple[int, str], CategorySubtype]
    subtype_names: dict[int, list[str]]
    units: dict[str, Organization]
    allowed_unit_ids: set[int]
    scope_message: str
    max_length: dict[str, int]
    max_digits: dict[str, int]
    choices: dict[str, dict[str, str]]
    multiline: set[str]
    measure_units: list[str]
    measure_keys: dict[str, str]
    # Update mode: the fields a row may leave blank, and what such a blank stands for (as when a row is added).
    blanks: dict[str, Any]
    category_by_pk: dict[int, Category]
    subtype_by_pk: dict[int, CategorySubtype]

    @classmethod
    def load(cls, user: User) -> _Lookups:
        categories: dict[str, Category] = {}
        ambiguous: set[str] = set()
        for category in Category.objects.all():
            categories[_key(category.name)] = category
            # The short form before the bracket or colon, e.g. “房屋构筑物”, unless two categories share it.
            for alias in {re.split(r"[(:]", _key(category.name))[0], category.code}:
                if alias in categories and categories[alias] != category:
                    ambiguous.add(alias)
                categories.setdefault(alias, category)
        for alias in ambiguous:
            categories.pop(alias, None)
        subtypes: dict[tuple[int, str], CategorySubtype] = {}
        subtype_names: dict[int, list[str]] = {}
        for subtype in CategorySubtype.objects.order_by("sort_order"):
            subtypes[subtype.category_id, _key(subtype.name)] = subtype
            subtypes.setdefault((subtype.category_id, subtype.code), subtype)
            subtype_names.setdefault(subtype.category_id, []).append(subtype.name)
        units: dict[str, Organization] = {}
        for org in Organization.objects.only("pk", "name", "short_name", "is_active"):
            units[_key(org.name)] = org
            units.setdefault(_key(org.short_name), org)
        allowed = set(units_user_may_register_for(user=user).values_list("pk", flat=True))
        if user.organization_id and not user.has_role(Role.ADMIN):
            scope = f"只能导入本单位（{user.organization.name}）的资产"
        else:
            scope = "无权导入该单位的资产"
        meta = Asset._meta
        max_length = {c.field: meta.get_field(c.field).max_length for c in COLUMNS if c.kind in ("text", "code")}
        multiline = {
            c.field for c in COLUMNS if c.kind == "text" and isinstance(meta.get_field(c.field), models.TextField)
        }
        max_digits = {
            c.field: meta.get_field("area_m2" if c.field == "area_mu" else c.field).max_digits
            for c in COLUMNS
            if c.kind == "decimal"
        }
        choices = {}
        for column in COLUMNS:
            if column.kind == "choice":
                mapping = {_key(label): value for value, label in column.choices.choices}
                mapping.update({value: value for value in column.choices.values})
                choices[column.field] = mapping
        measure_units = MeasureUnit.names()
        measure_keys = {_key(name): name for name in measure_units}
        blanks = {
            c.field: ROW_DEFAULTS.get(c.field, None if meta.get_field(c.field).null else "")
            for c in COLUMNS
            if c.field not in ("code", "holding_unit", "area_mu")
        }
        return cls(
            user, categories, subtypes, subtype_names, units, allowed, scope, max_length, max_digits, choices,
            multiline, measure_units, measure_keys, blanks, {c.pk: c for c in categories.values()},
            {s.pk: s for s in subtypes.values()},
        )  # fmt: skip


@dataclass
class _Outcome:
    total: int = 0
    errors: list[dict] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    unchanged_rows: set[int] = field(default_factory=set)  # update mode: rows that match the register already
    preview: list[dict] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    skipped_example: bool = False
    fatal: bool = False

    def add(self, row: int | None, column: str, message: str) -> None:
        self.errors.append({"row": row, "column": column, "message": message})
        if row is not None:
            self.error_rows.add(row)

    def fail(self, message: str) -> _Outcome:
        self.add(None, "", message)
        self.fatal = True
        return self


NO_IMPORT_RIGHT = "您没有导入资产台账的权限（只有单位经办人或系统管理员可以导入）。"
UNREADABLE = "无法读取该文件：文件已损坏或不是有效的 Excel（.xlsx）文件。请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。"


@dataclass
class _Sheet:
    header_row: int
    positions: list[tuple[Column, int]]  # column and its 0-based position in a row
    width: int
    estimated_rows: int | None
    status_position: int | None = None  # our export's 台账状态 column, if the sheet has it
    # The columns the file has, ours or not: what it says it has, or as far as its header row goes.
    full_width: int = 0

    @functools.cached_property
    def code_position(self) -> int:
        return next(p for c, p in self.positions if c.field == "code")

    @functools.cached_property
    def update_fields(self) -> list[str]:
        """The asset fields an update of this sheet writes: those of its columns, 面积（亩） as the area it gives."""
        names = []
        for column, _ in self.positions:
            name = "area_m2" if column.field == "area_mu" else column.field
            if name not in ("code", "holding_unit") and name not in names:
                names.append(name)
        return names


def _open_sheet(wb, *, mode: str = ImportMode.ADD) -> tuple[Any, _Sheet]:
    """Finds the data sheet and its header row; raises ValidationError naming what is missing. An update needs only
    「资产编号」 and the columns it changes."""
    if DATA_SHEET in wb.sheetnames:
        ws = wb[DATA_SHEET]
    else:
        candidates = [s for s in wb.worksheets if s.title not in (HELP_SHEET, LISTS_SHEET)]
        if not candidates:
            raise ValidationError(f"文件中没有“{DATA_SHEET}”工作表，请使用导入模板。")
        ws = candidates[0]
    dimension_rows, dimension_columns = ws.max_row, ws.max_column
    # The stored dimension may be wrong (some programs write A1); read every row and cell the sheet really has.
    ws.reset_dimensions()
    header_row = None
    positions: list[tuple[Column, int]] = []
    status_position = None
    header_width = 0
    for number, values in enumerate(ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1):
        keys = [_header_key(v) if isinstance(v, str) else "" for v in values]
        if _header_key("资产编号") in keys:
            header_row = number
            header_width = max((i + 1 for i, v in enumerate(values) if v not in (None, "")), default=0)
            seen: dict[str, int] = {}
            for position, key in enumerate(keys):
                column = HEADER_ALIASES.get(key)
                if key == _header_key(STATUS_HEADER) and status_position is None:
                    status_position = position
                if column is None:
                    continue  # columns of our own export (台账状态, 闲置月数) or the user's notes: not written
                if column.header in seen:
                    raise ValidationError(
                        f"表头「{column.header}」出现了两次（第 {header_row} 行），请删除多余的一列。"
                    )
                seen[column.header] = position
                positions.append((column, position))
            break
    if header_row is None:
        raise ValidationError(
            f"在“{ws.title}”工作表的前 {HEADER_SEARCH_ROWS} 行中没有找到表头（应包含「资产编号」等列），"
            "请使用导入模板。"
        )
    found = {c.header for c, _ in positions}
    updating = mode == ImportMode.UPDATE
    missing = [h for h in (("资产编号",) if updating else REQUIRED_HEADERS) if h not in found]
    if missing:
        raise ValidationError(
            f"缺少必填列：{'、'.join(missing)}。请使用导入模板，不要删除或改写第 {header_row} 行的表头。"
        )
    used = [p for _, p in positions] + ([status_position] if status_position is not None else [])
    sheet = _Sheet(
        header_row,
        positions,
        max(used) + 1,
        max(dimension_rows - header_row, 0) if dimension_rows else None,
        status_position,
        max(dimension_columns or 0, header_width, max(used) + 1),
    )
    if updating and not sheet.update_fields:
        raise ValidationError("按“更新”方式导入时，表中除「资产编号」外至少要有一列要修改的内容（如「净值（元）」）。")
    return ws, sheet


@dataclass
class _Read:
    """A data row as its cells say, before the register is consulted: typed values for the fields a cell fixes alone
    (text, numbers, dates, choices), the cell's text for those the register resolves (category, sub-type, unit,
    measure). The validation keeps the rows of a file that passed, so the commit checks them against the register
    again without reading the workbook a second time."""

    row: int
    code: str  # as the register compares it (_code_key)
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)  # fields whose cell could not be read (reported)
    shown: dict[str, str] = field(default_factory=dict)  # the preview's cells, by header
    status: str = ""  # the 台账状态 cell's text, in a sheet with that column


# The fields the register resolves: the read keeps their cells' text.
RESOLVED_KINDS = ("category", "subtype", "unit", "measure")


class _RowChecker:
    def __init__(self, lookups: _Lookups, *, mode: str = ImportMode.ADD) -> None:
        self.lookups = lookups
        self.updating = mode == ImportMode.UPDATE

    def check(
        self,
        row: int,
        cells: tuple,
        sheet: _Sheet,
        outcome: _Outcome,
        *,
        display: bool,
        current: Asset | None = None,
    ) -> Asset | None:
        """The row as a new asset (新增), or as `current` with the row's values applied (更新: `current` is the
        importer's asset with the row's code, None when there is none). Errors go on `outcome`."""
        read = self.read(row, cells, sheet, outcome, display=display)
        return self.resolve(read, sheet, outcome, display=display, current=current)

    def read(self, row: int, cells: tuple, sheet: _Sheet, outcome: _Outcome, *, display: bool) -> _Read:
        """What the row's cells say, each cell checked on its own; nothing here depends on the register."""
        lk = self.lookups
        code_cell = cells[sheet.code_position]
        code = _as_text(code_cell.value) if code_cell.data_type not in ("f", "e") else ""
        read = _Read(row, _code_key(code), {})
        values, shown = read.values, read.shown

        def error(column: Column, text: str) -> None:
            read.bad.add(column.field)
            outcome.add(row, column.header, f"第{row}行「{column.header}」{text}")

        for column, position in sheet.positions:
            cell = cells[position]
            raw = cell.value
            if cell.data_type == "f":
                # Never evaluated and never trusted: the value a formula shows depends on the sheet around it.
                error(column, "是公式，请粘贴为数值。")
                continue
            if cell.data_type == "e":
                error(column, f"是错误值 {raw}，请填写正确的内容。")
                continue
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if column.required:
                    error(column, "必须填写。")
                continue
            if display:
                shown[column.header] = _short(_as_text(raw), 40)
            kind = column.kind
            try:
                if kind in ("text", "code"):
                    text = _as_text(raw)
                    limit = lk.max_length.get(column.field)
                    if limit and len(text) > limit:
                        raise _CellError(f"最多 {limit} 个字，现有 {len(text)} 个字。")
                    try:
                        if kind == "code":
                            text = normalize_code(text)
                        else:
                            text = clean_text(text, multiline=column.field in lk.multiline)
                    except ValidationError as exc:
                        raise _CellError(exc.messages[0]) from None
                    if not text and column.required:
                        raise _CellError("必须填写（只有空白或不可见字符）。")
                    values[column.field] = text
                elif kind in RESOLVED_KINDS:
                    values[column.field] = _as_text(raw)  # resolved against the register (resolve)
                elif kind == "decimal":
                    values[column.field] = _as_decimal(raw, column, lk.max_digits[column.field])
                    if display:
                        shown[column.header] = f"{values[column.field]:,}"
                elif kind == "date":
                    values[column.field] = _as_date(raw)
                    if display:
                        shown[column.header] = values[column.field].isoformat()
                elif kind == "choice":
                    choice = lk.choices[column.field].get(_key(_as_text(raw)))
                    if choice is None:
                        raise _CellError(f"只能填写：{'、'.join(column.choices.labels)}，现为“{_short(raw)}”。")
                    values[column.field] = choice
            except _CellError as exc:
                error(column, str(exc))
        if sheet.status_position is not None and sheet.status_position < len(cells):
            read.status = _as_text(cells[sheet.status_position].value)
        return read

    def resolve(
        self, read: _Read, sheet: _Sheet, outcome: _Outcome, *, display: bool, current: Asset | None = None
    ) -> Asset | None:
        """The row read against the register as it is now: its unit, category, sub-type and measure, the asset's
        rules, and for an update the asset it changes (`current`)."""
        lk = self.lookups
        row, bad, shown = read.row, set(read.bad), read.shown
        values = dict(read.values)

        def error(column: Column, text: str) -> None:
            bad.add(column.field)
            outcome.add(row, column.header, f"第{row}行「{column.header}」{text}")

        measure_text = values.pop("unit_of_measure", None)
        if measure_text is not None:
            measure = lk.measure_keys.get(_key(measure_text))
            if measure is None:
                error(
                    MEASURE_COLUMN,
                    f"“{_short(measure_text)}”不在计量单位列表中，可选：{'、'.join(lk.measure_units)}（从下拉列表选择）。",
                )
            else:
                values["unit_of_measure"] = measure
        category_text = values.pop("category", None)
        if category_text is not None:
            category = lk.categories.get(_key(category_text))
            if category is None:
                error(
                    CATEGORY_COLUMN, f"“{_short(category_text)}”不存在，请从下拉列表中选择（共 8 类，见“填写说明”）。"
                )
            else:
                values["category"] = category
                if display:
                    shown[CATEGORY_COLUMN.header] = category.name
        unit_text = values.pop("holding_unit", None)
        if unit_text is not None:
            unit = lk.units.get(_key(unit_text))
            if unit is None:
                error(UNIT_COLUMN, f"“{_short(unit_text)}”不在单位名录中，请填写单位全称或简称（可从下拉列表选择）。")
            elif not self.updating and not unit.is_active:  # an update compares the unit with the asset's own instead
                error(UNIT_COLUMN, f"“{unit.name}”已停用，不能导入其资产。")
            elif not self.updating and unit.pk not in lk.allowed_unit_ids:
                error(UNIT_COLUMN, f"{lk.scope_message}，本行为“{unit.name}”。")
            else:
                values["holding_unit"] = unit
                if display:
                    shown[UNIT_COLUMN.header] = unit.name

        if self.updating:
            if current is None:
                if "code" not in bad and values.get("code"):
                    # Another unit's code reads the same as one that does not exist: nothing about it is told.
                    error(
                        CODE_COLUMN,
                        f"“{_short(values['code'])}”不在本单位台账中，无法更新。新登记的资产请用“新增”方式导入。",
                    )
                return None
            self._check_fixed(row, read.status, sheet, outcome, values, current, error)

        subtype_name = values.pop("subtype", None)
        category = values.get("category")
        if category is None and current is not None and "category" not in sheet.update_fields:
            category = current.category  # an update of the sub-type alone: within the asset's category
        if subtype_name and category is not None:
            subtype = lk.subtypes.get((category.pk, _key(subtype_name)))
            if subtype is None:
                options = "、".join(lk.subtype_names.get(category.pk, [])) or "（该类别没有子类，请留空）"
                error(SUBTYPE_COLUMN, f"“{_short(subtype_name)}”不属于「{category.name}」，可选：{options}。")
            else:
                values["subtype"] = subtype
        elif subtype_name:
            bad.add("subtype")  # the category itself is wrong; one message for the row is enough

        area_mu = values.pop("area_mu", None)
        if area_mu is not None:
            converted = mu_to_sqm(area_mu)
            area_m2 = values.get("area_m2")
            if area_m2 is None and "area_m2" not in bad:
                if converted >= Decimal(10) ** 12:
                    error(COLUMNS[HEADERS.index("面积（亩）")], "数值过大。")
                else:
                    values["area_m2"] = converted
            elif area_m2 is not None and not areas_agree(area_m2, area_mu):
                error(
                    COLUMNS[HEADERS.index("面积（亩）")],
                    f"与「面积（㎡）」不一致：{area_m2:,}㎡ 约合 {sqm_to_mu(area_m2):,} 亩，"
                    f"这里填的是 {area_mu:,} 亩。",
                )
        if "area_mu" in bad:
            bad.add("area_m2")

        if current is None:
            for name, default in ROW_DEFAULTS.items():
                values.setdefault(name, default)
            asset = Asset(**values)
        else:
            asset = current
            changes = self._apply(asset, values, bad, sheet)
        try:
            asset.clean(measure_units=lk.measure_units)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                if field_name in bad:
                    continue  # already reported as unreadable; the rule's message would only repeat it
                header = FIELD_HEADERS.get(field_name, "")
                for message in messages:
                    outcome.add(row, header, f"第{row}行：{message}")
        if current is None:
            if display:
                outcome.preview.append(
                    {
                        "row": row,
                        "ok": row not in outcome.error_rows,
                        "cells": [shown.get(h, "") for h in PREVIEW_HEADERS],
                    }
                )
            return asset
        if not changes:
            outcome.unchanged_rows.add(row)
            return None
        if not asset_can_edit(user=lk.user, asset=asset):
            outcome.add(
                row,
                "资产编号",
                f"第{row}行：资产“{asset.code}”台账状态为“{asset.get_status_display()}”，处置中和已处置的资产"
                "台账信息只随盘活流程变化，不能通过导入修改。",
            )
        if len(outcome.preview) < MAX_DIFF_ROWS:
            outcome.preview.append(
                {"row": row, "ok": row not in outcome.error_rows, "code": asset.code, "name": _short(asset.name, 40),
                 "changes": [{"label": FIELD_HEADERS[name], "from": old, "to": new} for name, old, new in changes]}
            )  # fmt: skip
        asset._import_changes = [name for name, _, _ in changes]
        return asset

    def _check_fixed(self, row, text: str, sheet, outcome, values, current: Asset, error) -> None:
        """What an update may not change: the holding unit (a transfer is a 调剂) and the ledger status (it follows
        the disposal path)."""
        unit = values.pop("holding_unit", None)
        if unit is not None and unit.pk != current.holding_unit_id:
            error(
                UNIT_COLUMN,
                f"不能通过导入修改：本行资产属于“{current.holding_unit.name}”，表中填的是“{unit.name}”。"
                "资产调往其他单位须通过调剂办理。",
            )
        if sheet.status_position is None:
            return
        status = current.get_status_display()
        if text and _key(text) != _key(status):
            outcome.add(
                row,
                STATUS_HEADER,
                f"第{row}行「{STATUS_HEADER}」不能通过导入修改（现为“{status}”，表中填的是“{_short(text)}”）："
                "台账状态只随盘活流程变化。",
            )

    def _apply(self, asset: Asset, values: dict[str, Any], bad: set[str], sheet: _Sheet) -> list[tuple]:
        """Writes the row's values into `asset` for the sheet's columns (a blank cell clears its field, or gives the
        default a new row would get); returns (field, old, new) as shown, for the fields that differ."""
        changes = []
        for name in sheet.update_fields:
            if name in bad:
                continue  # unreadable: reported, and the asset keeps its value
            new = values.get(name, self.lookups.blanks[name])
            field_ = Asset._meta.get_field(name)
            old_key = getattr(asset, field_.attname)
            new_key = new.pk if isinstance(new, models.Model) else new
            if old_key == new_key or (old_key in (None, "") and new_key in (None, "")):
                continue
            changes.append((name, _shown_value(field_, getattr(asset, name)), _shown_value(field_, new)))
            setattr(asset, name, new)
        return changes


def _shown_value(field_: models.Field, value: Any) -> str:
    """A value of an update's diff as the ledger shows it: names for relations and choices, 1,234.50 for money."""
    if value is None or value == "":
        return ""
    if isinstance(value, models.Model):
        return value.name
    if field_.choices:
        return str(dict(field_.flatchoices).get(value, value))
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _short(value, 40)


def _code_key(text: str) -> str:
    """The code as the register compares it; one it cannot read is compared as typed (its row has an error)."""
    try:
        return normalize_code(text)
    except ValidationError:
        return text


def _is_blank(cells: tuple) -> bool:
    for cell in cells:
        value = cell.value
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return False
    return True


def _blocks(items: Iterable, size: int = UPDATE_BLOCK_ROWS) -> Iterator[list]:
    block: list = []
    for item in items:
        block.append(item)
        if len(block) >= size:
            yield block
            block = []
    if block:
        yield block


def _existing_codes(codes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for block in _blocks(list(codes)):
        found.update(Asset.objects.filter(code__in=block).values_list("code", flat=True))
    return found


def _own_assets(lookups: _Lookups, codes: Iterable[str]) -> dict[str, Asset]:
    """The importer's own assets with these codes: an update matches rows within the importer's organization. Their
    category, sub-type and unit are the ones already loaded for the file (no join, no query per row)."""
    unit = lookups.user.organization
    assets = {}
    for asset in Asset.objects.filter(holding_unit_id=unit.pk, code__in=list(codes)):
        asset.holding_unit = unit
        asset.category = lookups.category_by_pk[asset.category_id]
        asset.subtype = lookups.subtype_by_pk[asset.subtype_id] if asset.subtype_id else None
        asset._import_seen = (asset.updated_at, asset.status)  # the commit refuses a row changed since
        assets[asset.code] = asset
    return assets


def _stored_for_trail(pks: list[int]) -> QuerySet[Asset]:
    """Rows with what the trail's snapshot names (audit.changes.snapshot) loaded alongside, not one query each; the
    batch that registered a row without its stored errors and preview."""
    related = ("category", "subtype", "holding_unit", "import_batch", "created_by")
    return (
        Asset.objects.filter(pk__in=pks).select_related(*related).defer("import_batch__errors", "import_batch__preview")
    )


class _Fatal(Exception):
    """The file as a whole cannot be imported; the message says why."""


def _check_workbook(
    fileobj: IO[bytes],
    *,
    user: User,
    keep_assets: bool,
    mode: str = ImportMode.ADD,
    progress: Callable[[int], None] | None = None,
    store: _RowStore | None = None,
) -> _Outcome:
    """Reads the ledger sheet and checks every row against the register as it is now; `store` keeps the rows read."""
    outcome = _Outcome()
    lookups = _Lookups.load(user)
    if not lookups.allowed_unit_ids:
        return outcome.fail(NO_IMPORT_RIGHT)
    try:
        check_package(fileobj, office_package_limits())
    except ValidationError as exc:
        return outcome.fail(exc.messages[0])
    try:
        # Not data_only: a formula must show up as one (and be refused), not as whatever value it last computed.
        wb = load_workbook(fileobj, read_only=True, data_only=False, keep_links=False)
    except Exception:
        return outcome.fail(UNREADABLE)
    try:
        try:
            ws, sheet = _open_sheet(wb, mode=mode)
        except ValidationError as exc:
            return outcome.fail(exc.messages[0])
        except Exception:
            return outcome.fail(UNREADABLE)
        checker = _RowChecker(lookups, mode=mode)
        if store is not None:
            store.begin(sheet)
        try:
            rows = _quick_rows(fileobj, ws, sheet) or _openpyxl_rows(ws, sheet)
            reads = _reads_of(rows, sheet, checker, outcome, store=store)
            _check_reads(reads, checker, sheet, outcome, keep_assets=keep_assets, progress=progress)
        except _Fatal as exc:
            outcome.errors.clear()
            outcome.error_rows.clear()
            return outcome.fail(str(exc))
        except Exception:
            logger.warning("Unreadable import workbook", exc_info=True)
            outcome.errors.clear()
            outcome.error_rows.clear()
            return outcome.fail(UNREADABLE)
    finally:
        wb.close()
    return outcome


# -- the quick reader ----------------------------------------------------------------------------------------------
# openpyxl reads a cell at a time in Python; calamine (Rust) reads a sheet 8–10 times faster, but says nothing of
# formulas and error values, which the import must refuse cell by cell, and holds the sheet as one dense block, which
# one far-off cell would make huge. So calamine reads only a sheet whose XML, scanned as it inflates, has neither and
# places every cell near (_sheet_is_plain), and only when both readers find the same header; any other sheet, and
# anything calamine stumbles on, is read by openpyxl as before, with the same checks and messages.
QUICK_MAX_COLUMNS = 52  # columns A to AZ
# What sends a sheet to openpyxl: a formula or an error value (with any namespace prefix), or a cell or row element
# written with a prefix, whose cells this scan would not count.
_NOT_QUICK = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]|\st\s*=\s*[\"']e[\"']|<[\w.-]+:(?:c|row)[\s>/]")
_CELL = re.compile(rb"<c[\s>/]")
# A cell that says where it is, as Excel, WPS, LibreOffice and openpyxl write it: within A1:AZ59999. When every cell
# does, the dense block calamine builds is at most 59,999 × 52 cells, whatever else the XML holds.
_PLACED_CELL = re.compile(rb'<c r="(?:A?[A-Z])(?:[1-9]\d{0,3}|[1-5]\d{4})"')


@dataclass(frozen=True, slots=True)
class _Cell:
    """A cell as the checks read it: its value as Excel means it (text with its _xHHHH_ escapes undone), and its type
    as openpyxl names it ("f" a formula, "e" an error value)."""

    value: Any
    data_type: str = "n"


def _sheet_is_plain(fileobj: IO[bytes], part: str) -> bool:
    """Whether the sheet's XML holds no formula and no error value, and places every cell within A1:AZ59999 (read in
    1 MB pieces)."""
    fileobj.seek(0)
    cells = placed = 0
    with zipfile.ZipFile(fileobj) as package, package.open(part) as xml:
        tail = b""
        while chunk := xml.read(1 << 20):
            data = tail + chunk
            if _NOT_QUICK.search(data):
                return False
            # What lies whole in the tail was counted with the piece before: a match is far shorter than the tail.
            cells += len(_CELL.findall(data)) - len(_CELL.findall(tail))
            placed += len(_PLACED_CELL.findall(data)) - len(_PLACED_CELL.findall(tail))
            tail = data[-64:]
    return cells == placed


def _quick_value(value: Any) -> Any:
    # calamine has undone the _xHHHH_ escapes already, and gives an empty cell as "".
    return None if value == "" else value


def _openpyxl_rows(ws, sheet: _Sheet) -> Iterator[tuple[int, tuple]]:
    """The data rows (number, cells) as openpyxl reads them, their text unescaped as calamine gives it."""
    # Bounded blank or not: openpyxl yields an empty row for every number a sheet skips, so one cell in row 1,048,576
    # would otherwise cost a million rows.
    last_row = sheet.header_row + MAX_READ_ROWS
    rows = ws.iter_rows(min_row=sheet.header_row + 1, max_row=last_row + 1, max_col=sheet.width)
    for number, cells in enumerate(rows, start=sheet.header_row + 1):
        yield (
            number,
            tuple(_Cell(_unescaped(c.value) if isinstance(c.value, str) else c.value, c.data_type) for c in cells),
        )


def _quick_rows(fileobj: IO[bytes], ws, sheet: _Sheet) -> Iterator[tuple[int, tuple]] | None:
    """The data rows (number, cells) read by calamine, or None when openpyxl must read the sheet."""
    part = getattr(ws, "_worksheet_path", None)
    if not part or sheet.full_width > QUICK_MAX_COLUMNS:
        return None
    try:
        if not _sheet_is_plain(fileobj, part):
            return None
        fileobj.seek(0)
        quick = python_calamine.CalamineWorkbook.from_filelike(fileobj).get_sheet_by_name(ws.title)
        rows = quick.iter_rows()  # from row 1; each row from the sheet's first used column
        offset = quick.start[1] if quick.start else 0
        header = next(ws.iter_rows(min_row=sheet.header_row, max_row=sheet.header_row, values_only=True), ())
        seen = None
        for number, values in enumerate(rows, start=1):
            if number == sheet.header_row:
                seen = values
                break
    except Exception:
        logger.info("calamine could not read %s; openpyxl reads it", part, exc_info=True)
        return None
    width = sheet.width

    def padded(values: list) -> list:
        return ([None] * offset + [_quick_value(v) for v in values])[:width]

    # The two readers agree on where the header is and what it says, or the quick one is not used.
    expected = [_unescaped(v) or None if isinstance(v, str) else v for v in header][:width]
    expected += [None] * (width - len(expected))
    if seen is None or padded(seen) + [None] * (width - len(padded(seen))) != expected:
        return None

    def data_rows() -> Iterator[tuple[int, tuple]]:
        for number, values in enumerate(rows, start=sheet.header_row + 1):
            cells = [_Cell(v) for v in padded(values)]
            cells += [_Cell(None)] * (width - len(cells))
            yield number, tuple(cells)

    return data_rows()


def _reads_of(
    rows: Iterable[tuple[int, tuple]],
    sheet: _Sheet,
    checker: _RowChecker,
    outcome: _Outcome,
    *,
    store: _RowStore | None,
) -> Iterator[_Read]:
    """The sheet's data rows (number, cells) as read (blank rows and the template's example skipped), counted on
    `outcome`."""
    display = not checker.updating
    last_row = sheet.header_row + MAX_READ_ROWS
    code_position = sheet.code_position
    for row, cells in rows:
        if row > last_row:
            raise _Fatal(
                f"工作表超过 {MAX_READ_ROWS:,} 行（含空白行）。每个文件最多 {MAX_ROWS:,} 行数据："
                "请删除末尾多余的空白行，或分成几个文件分别导入。"
            )
        if _is_blank(cells):
            continue
        code_cell = cells[code_position]
        if code_cell.data_type not in ("f", "e") and _as_text(code_cell.value) == EXAMPLE_CODE:
            outcome.skipped_example = True
            continue
        outcome.total += 1
        if outcome.total > MAX_ROWS:
            raise _Fatal(f"数据超过 {MAX_ROWS:,} 行，请分成几个文件分别导入。")
        read = checker.read(row, cells, sheet, outcome, display=display and outcome.total <= PREVIEW_ROWS)
        if store is not None:
            store.add(read)
        yield read


def _check_reads(
    reads: Iterable[_Read],
    checker: _RowChecker,
    sheet: _Sheet,
    outcome: _Outcome,
    *,
    keep_assets: bool,
    progress: Callable[[int], None] | None,
    display: bool = True,
) -> None:
    """Checks the rows read against the register: in blocks, so that an update finds a block's assets in one query;
    then the file as a whole (codes repeated within it, or already registered)."""
    updating = checker.updating
    first_row: dict[str, int] = {}
    duplicates: list[tuple[int, str, int]] = []
    checked = 0
    for block in _blocks(reads):
        own = _own_assets(checker.lookups, {read.code for read in block}) if updating else {}
        for read in block:
            shown = display and not updating and len(outcome.preview) < PREVIEW_ROWS
            asset = checker.resolve(read, sheet, outcome, display=shown, current=own.get(read.code))
            if read.code:
                if read.code in first_row:
                    duplicates.append((read.row, read.code, first_row[read.code]))
                else:
                    first_row[read.code] = read.row
            if keep_assets and not outcome.errors:
                if asset is not None:
                    asset._import_row = read.row
                    outcome.assets.append(asset)
            elif outcome.assets:
                outcome.assets = []  # one bad row and nothing will be saved: stop holding the others
            checked += 1
            if progress and checked % PROGRESS_EVERY == 0:
                progress(checked)

    if outcome.total == 0:
        raise _Fatal("文件中没有资产数据（表头下面是空的）。")
    code_header = "资产编号"
    for row, code, first in duplicates:
        outcome.add(row, code_header, f"第{row}行「资产编号」“{_short(code)}”与第{first}行重复。")
    if not updating:
        for code in sorted(_existing_codes(first_row), key=first_row.get):
            row = first_row[code]
            outcome.add(row, code_header, f"第{row}行「资产编号」“{_short(code)}”已在台账中登记，不能重复导入。")
    if outcome.errors:
        order = {h: i for i, h in enumerate(HEADERS)}
        outcome.errors.sort(key=lambda e: (e["row"] or 0, order.get(e["column"], -1)))
        outcome.assets = []
        for item in outcome.preview:
            item["ok"] = item["row"] not in outcome.error_rows


class _RowStore:
    """The rows of a file as its validation read them, kept beside the batch (gzip'd JSON lines: one line for the
    sheet's columns, then one per row), so that the commit parses the workbook no more. A value is stored as text:
    money and quantities as their decimal digits, dates as ISO dates."""

    VERSION = 1

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        self.gzip = gzip.GzipFile(fileobj=self.file, mode="wb", compresslevel=1)
        self.text = io.TextIOWrapper(self.gzip, encoding="utf-8")

    def begin(self, sheet: _Sheet) -> None:
        headers = [c.header for c, _ in sheet.positions]
        self._line(
            {"version": self.VERSION, "header_row": sheet.header_row, "headers": headers,
             "status": sheet.status_position is not None}
        )  # fmt: skip

    def add(self, read: _Read) -> None:
        values = {name: value if isinstance(value, str) else str(value) for name, value in read.values.items()}
        self._line([read.row, read.code, values, read.status])

    def _line(self, item) -> None:
        self.text.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        self.text.write("\n")

    def keep(self, batch: ImportBatch) -> None:
        """Saves the rows onto the batch (the file is closed either way)."""
        self.text.close()  # closes the gzip stream, not the file beneath it
        self.file.seek(0)
        batch.checked_rows.save(f"{batch.pk.hex}.rows.jsonl.gz", File(self.file), save=False)
        self.file.close()

    def discard(self) -> None:
        self.text.close()
        self.file.close()


_DECODE: dict[str, Callable[[str], Any]] = {"decimal": Decimal, "date": datetime.date.fromisoformat}
_FIELD_DECODE = {c.field: _DECODE[c.kind] for c in COLUMNS if c.kind in _DECODE}


def _stored_reads(batch: ImportBatch, outcome: _Outcome) -> tuple[_Sheet, Iterator[_Read]] | None:
    """The sheet and rows the batch's validation read, or None when it kept none (validated by an earlier release):
    the caller reads the workbook again."""
    if not batch.checked_rows:
        return None
    text = io.TextIOWrapper(gzip.GzipFile(fileobj=batch.checked_rows.open("rb")), encoding="utf-8")
    header = json.loads(text.readline())
    if header.get("version") != _RowStore.VERSION:
        text.close()
        return None
    by_header = {c.header: c for c in COLUMNS}
    if not set(header["headers"]) <= set(by_header):
        text.close()
        return None
    positions = [(by_header[h], i) for i, h in enumerate(header["headers"])]
    status = len(positions) if header["status"] else None
    sheet = _Sheet(header["header_row"], positions, len(positions) + 1, None, status, len(positions) + 1)

    def reads() -> Iterator[_Read]:
        with text:
            for line in text:
                row, code, values, status_text = json.loads(line)
                for name, value in values.items():
                    decode = _FIELD_DECODE.get(name)
                    if decode is not None:
                        values[name] = decode(value)
                outcome.total += 1
                yield _Read(row, code, values, status=status_text)

    return sheet, reads()


def _check_stored_file(batch: ImportBatch, *, keep_assets: bool) -> _Outcome:
    """The batch's rows checked against the register as it is now: at validation read from its workbook (and kept),
    at the commit from what the validation kept."""

    def progress(done: int) -> None:
        _report_progress(batch.pk, done)

    user, mode = batch.created_by, batch.mode
    if keep_assets:
        outcome = _Outcome()
        stored = _stored_reads(batch, outcome)
        if stored is not None:
            sheet, reads = stored
            checker = _RowChecker(_Lookups.load(user), mode=mode)
            if not checker.lookups.allowed_unit_ids:
                return outcome.fail(NO_IMPORT_RIGHT)
            try:
                _check_reads(reads, checker, sheet, outcome, keep_assets=True, progress=progress, display=False)
            except _Fatal as exc:
                return outcome.fail(str(exc))
            if mode == ImportMode.ADD:
                outcome.preview = batch.preview  # kept from the validation; its rows marked again
                for item in outcome.preview:
                    item["ok"] = item["row"] not in outcome.error_rows
            return outcome
    store = None if keep_assets else _RowStore()
    try:
        with batch.file.open("rb") as fileobj:
            outcome = _check_workbook(
                fileobj, user=user, keep_assets=keep_assets, mode=mode, progress=progress, store=store
            )
    except BaseException:
        if store is not None:
            store.discard()
        raise
    if store is not None:
        if outcome.errors:
            store.discard()
        else:
            store.keep(batch)
    return outcome


def _report_progress(batch_id, done: int) -> None:
    # Written outside any transaction, so that the page polling import_progress sees it at once.
    ImportBatch.objects.filter(pk=batch_id).update(processed_rows=done, heartbeat_at=timezone.now())


def _inspect_upload(upload: UploadedFile, *, mode: str) -> int | None:
    """Opens the workbook far enough to find its header; returns the number of data rows it claims to have.

    None when the file does not say (no stored dimension): counting would cost a full read, so the caller treats
    such a file as a large one.
    """
    upload.seek(0)  # sniff_upload has checked what the package expands to
    try:
        wb = load_workbook(upload, read_only=True, data_only=False, keep_links=False)
    except Exception:
        raise ValidationError(UNREADABLE, code="unreadable") from None
    try:
        try:
            _ws, sheet = _open_sheet(wb, mode=mode)
        except ValidationError:
            raise
        except Exception:
            raise ValidationError(UNREADABLE, code="unreadable") from None
        return sheet.estimated_rows
    finally:
        wb.close()
        upload.seek(0)


# -- the batch: upload, validate, commit ---------------------------------------------------------------------------


def _runs_in_background(rows: int) -> bool:
    return rows > settings.PANHUO["IMPORT_ASYNC_ROWS"]


UPDATE_REFUSAL = "“更新”方式按资产编号修改本单位台账中的资产，只有单位经办人可以使用；系统管理员请用“新增”方式导入。"


def user_may_import_updates(*, user: User) -> bool:
    """Updating by import edits rows of the importer's own ledger, as the asset form does: a unit's clerk."""
    return user.is_active and user.has_role(Role.UNIT_CLERK) and user.organization_id is not None


def import_batch_create(
    *, user: User, upload: UploadedFile, mode: str = ImportMode.ADD, background: bool | None = None
) -> ImportBatch:
    """Keeps the uploaded ledger and checks it: at once when small, as a background job when large (`background`
    decides instead when given: the demo loads its ledgers in-process, inside its transaction). `mode` 新增 adds
    every row; 更新 matches each row by 资产编号 within the importer's own ledger and changes what differs.

    Raises PermissionDenied for a user who may not import (or update), ValidationError for a file that is not a
    readable ledger (wrong type, corrupt, too large, header missing); row errors end up on the batch instead.
    """
    if not user_can_import(user=user) or not units_user_may_register_for(user=user).exists():
        raise PermissionDenied("只有单位经办人或系统管理员可以导入资产台账。")
    if mode == ImportMode.UPDATE and not user_may_import_updates(user=user):
        raise PermissionDenied(UPDATE_REFUSAL)
    sniff_upload(upload, max_bytes=settings.PANHUO["IMPORT_MAX_BYTES"], allowed=("xlsx",))
    rows = _inspect_upload(upload, mode=mode)
    batch = ImportBatch(
        organization_id=user.organization_id,
        created_by=user,
        original_name=(upload.name or "import.xlsx")[-255:],
        mode=mode,
        total_rows=rows or 0,
        status=ImportStatus.PENDING,
    )
    # The stored name is random; the user's file name is kept only for display.
    batch.file.save(f"{batch.pk.hex}.xlsx", upload, save=False)
    batch.save()
    if background is None:
        background = rows is None or _runs_in_background(rows)
    if background:
        batch_id = str(batch.pk)
        enqueue_on_commit("assets.tasks.import_batch_validate_task", batch_id)
    else:
        import_batch_validate(batch_id=batch.pk)
    # Outside a transaction the job may already have run (in-process mode): report what it found.
    batch.refresh_from_db()
    return batch


def import_batch_validate(*, batch_id) -> None:
    """Checks every row of a pending batch and records the errors and a preview; runs once per batch."""
    # The conditional UPDATE claims the batch: a second delivery of the same job finds nothing to do.
    claimed = ImportBatch.objects.filter(
        pk=batch_id, status__in=(ImportStatus.PENDING, ImportStatus.VALIDATING)
    ).update(status=ImportStatus.VALIDATING, processed_rows=0, heartbeat_at=timezone.now())
    if not claimed:
        return
    batch = ImportBatch.objects.select_related("created_by__organization").get(pk=batch_id)
    try:
        outcome = _check_stored_file(batch, keep_assets=False)
    except Exception:
        logger.exception("Import batch %s could not be validated", batch_id)
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportStatus.FAILED, message="校验时发生系统错误，请稍后重新上传；如仍失败请联系管理员。"
        )
        return
    _record_outcome(batch, outcome)


def _record_outcome(batch: ImportBatch, outcome: _Outcome, *, prefix: str = "") -> None:
    batch.total_rows = outcome.total
    batch.processed_rows = outcome.total
    batch.error_rows = len(outcome.error_rows)
    batch.unchanged_rows = len(outcome.unchanged_rows - outcome.error_rows)
    batch.errors = outcome.errors[:MAX_STORED_ERRORS]
    batch.preview = outcome.preview
    if outcome.fatal:
        batch.status = ImportStatus.INVALID
        batch.message = prefix + outcome.errors[0]["message"]
    elif outcome.errors:
        batch.status = ImportStatus.INVALID
        shown = f"（仅列出前 {MAX_STORED_ERRORS} 处）" if len(outcome.errors) > MAX_STORED_ERRORS else ""
        batch.message = (
            f"{prefix}共 {outcome.total} 行，其中 {batch.error_rows} 行有错误，共 {len(outcome.errors)} 处{shown}。"
            "请在 Excel 中改正后重新上传；改正前不会导入任何数据。"
        )
    elif batch.mode == ImportMode.UPDATE:
        batch.status = ImportStatus.VALID
        if batch.changed_rows:
            shown = f"（明细列出前 {MAX_DIFF_ROWS} 行）" if batch.changed_rows > MAX_DIFF_ROWS else ""
            batch.message = (
                f"共 {outcome.total} 行，全部通过校验：{batch.changed_rows} 行有修改{shown}，"
                f"{batch.unchanged_rows} 行无变化。"
                "请逐项核对修改明细，确认无误后点击“确认更新”。"
            )
        else:
            batch.message = f"共 {outcome.total} 行，与台账完全一致（无变化），无需更新。"
    else:
        batch.status = ImportStatus.VALID
        batch.message = f"共 {outcome.total} 行，全部通过校验。请核对预览，确认无误后点击“确认导入”。"
    if outcome.skipped_example:
        batch.message += f"（已忽略资产编号为“{EXAMPLE_CODE}”的示例行。）"
    batch.save(
        update_fields=[
            "total_rows", "processed_rows", "error_rows", "unchanged_rows", "errors", "preview", "status", "message",
            "checked_rows",
        ]
    )  # fmt: skip


REFUSALS = {
    ImportStatus.PENDING: "该批次还在排队校验，请稍候。",
    ImportStatus.VALIDATING: "该批次正在校验，请等校验完成后再确认导入。",
    ImportStatus.INVALID: "该批次存在错误，不能导入。请改正后重新上传。",
    ImportStatus.COMMITTING: "该批次正在导入，请勿重复提交。",
    ImportStatus.COMMITTED: "该批次已经导入，不能重复导入。",
    ImportStatus.FAILED: "该批次导入失败，请重新上传。",
}


def import_batch_commit(*, batch: ImportBatch, user: User, background: bool | None = None) -> ImportBatch:
    """Writes a checked batch into the register, all rows or none; refuses anyone but the uploader, and twice."""
    if batch.created_by_id != user.pk:
        raise DomainError("只能确认本人上传的导入批次。")
    if not user_can_import(user=user):
        raise PermissionDenied("只有单位经办人或系统管理员可以导入资产台账。")
    if batch.mode == ImportMode.UPDATE:
        if not user_may_import_updates(user=user):
            raise PermissionDenied(UPDATE_REFUSAL)
        if batch.status == ImportStatus.VALID and not batch.changed_rows:
            raise DomainError("该批次与台账完全一致，没有需要更新的内容。")
    # Claimed with a conditional UPDATE, so a double click or two tabs commit the batch once.
    claimed = ImportBatch.objects.filter(pk=batch.pk, created_by=user, status=ImportStatus.VALID).update(
        status=ImportStatus.COMMITTING, processed_rows=0, message="正在复核并写入台账……", heartbeat_at=timezone.now()
    )
    if not claimed:
        batch.refresh_from_db()
        raise DomainError(REFUSALS.get(batch.status, "该批次当前不能导入。"))
    if background if background is not None else _runs_in_background(batch.total_rows):
        batch_id = str(batch.pk)
        enqueue_on_commit("assets.tasks.import_batch_commit_task", batch_id)
    else:
        import_batch_commit_run(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


class _ChangedMeanwhile(Exception):
    """Rows an update found changed (edited, or taken into a case) between its re-check and its write."""

    def __init__(self, assets: list[Asset]):
        self.assets = assets


def import_batch_commit_run(*, batch_id) -> None:
    """The commit itself, for a batch already claimed (COMMITTING): re-check, then write in one transaction."""
    batch = ImportBatch.objects.select_related("created_by__organization").get(pk=batch_id)
    if batch.status != ImportStatus.COMMITTING:
        return
    committing = ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.COMMITTING)
    outcome = _Outcome()
    try:
        # The register may have changed since validation (a code taken, a unit deactivated): check again.
        outcome = _check_stored_file(batch, keep_assets=True)
        if outcome.errors:
            if committing.exists():
                _record_outcome(
                    batch, outcome, prefix="确认导入时重新校验发现错误（台账在校验之后有变化），未导入任何数据。"
                )
            return
        assets, updating = outcome.assets, batch.mode == ImportMode.UPDATE
        if updating:
            done = f"已更新 {len(assets)} 项资产，{len(outcome.unchanged_rows)} 行无变化。"
        else:
            done = f"已导入 {len(assets)} 项资产。"
        with transaction.atomic():
            # Taking the batch row first makes a second run wait here and then find it committed.
            claimed = committing.update(
                status=ImportStatus.COMMITTED, committed_at=timezone.now(), processed_rows=len(assets), message=done
            )
            if claimed:
                (_write_updates if updating else _write_additions)(batch, outcome)
    except _ChangedMeanwhile as exc:
        # The transaction rolled back: nothing of the batch was written.
        retry = _Outcome(total=outcome.total, preview=outcome.preview)
        for asset in exc.assets:
            retry.add(
                asset._import_row,
                "资产编号",
                f"第{asset._import_row}行：资产“{asset.code}”在校验之后被修改或进入了处置流程，请导出最新台账后重新填写。",
            )
        if committing.exists():
            _record_outcome(batch, retry, prefix="写入时发现台账已有变化，未更新任何资产。")
    except IntegrityError:
        # Someone registered one of these codes between the re-check and the insert; the transaction rolled back.
        codes = {a.code: a._import_row for a in outcome.assets}
        taken = _existing_codes(codes) if batch.mode == ImportMode.ADD else set()
        retry = _Outcome(total=outcome.total, preview=outcome.preview)
        for code in sorted(taken, key=codes.get):
            row = codes[code]
            retry.add(row, "资产编号", f"第{row}行「资产编号」“{_short(code)}”已在台账中登记，不能重复导入。")
        if retry.errors and committing.exists():
            _record_outcome(batch, retry, prefix="写入时发现资产编号已被占用，未导入任何数据。")
        else:
            logger.exception("Import batch %s failed on insert", batch_id)
            committing.update(status=ImportStatus.FAILED, message="写入台账时失败，未导入任何数据。请重新上传。")
    except Exception:
        logger.exception("Import batch %s failed", batch_id)
        committing.update(
            status=ImportStatus.FAILED,
            message="导入时发生系统错误，未导入任何数据。请稍后重新上传；如仍失败请联系管理员。",
        )


def _write_additions(batch: ImportBatch, outcome: _Outcome) -> None:
    """Inserts the new rows, inside the commit's transaction."""
    assets = outcome.assets
    for asset in assets:
        asset.import_batch_id = batch.pk
        asset.created_by_id = batch.created_by_id
    Asset.objects.bulk_create(assets, batch_size=BULK_BATCH_SIZE)
    audit_record(
        user=batch.created_by, action="import_commit", organization=batch.organization,
        data={"batch": batch.pk, "file": batch.original_name, "rows": len(assets),
              "codes": [assets[0].code, assets[-1].code] if assets else []},
    )  # fmt: skip


def _write_updates(batch: ImportBatch, outcome: _Outcome) -> None:
    """Writes the changed rows, inside the commit's transaction, each row locked and compared with what the re-check
    saw; the trail gets each asset's change (before and after, as stored), as an edit on the asset's form leaves it."""
    assets = outcome.assets
    by_pk = {a.pk: a for a in assets}
    unchanged = len(outcome.unchanged_rows)
    before: dict[int, dict] = {}
    for block in _blocks(list(by_pk)):
        # of=self: PostgreSQL locks no row of the joined tables (nor may it, on the nullable side of a join).
        for stored in _stored_for_trail(block).select_for_update(of=("self",)):
            if (stored.updated_at, stored.status) == by_pk[stored.pk]._import_seen:
                before[stored.pk] = snapshot(stored)
    if len(before) < len(by_pk):
        raise _ChangedMeanwhile([a for a in assets if a.pk not in before])
    now = timezone.now()
    fields = sorted({name for a in assets for name in a._import_changes})
    for asset in assets:
        asset.updated_at = now
    Asset.objects.bulk_update(assets, [*fields, "updated_at"], batch_size=BULK_BATCH_SIZE)
    for block in _blocks(list(by_pk)):
        for stored in _stored_for_trail(block):
            audit_record(
                user=batch.created_by, action="asset_change", asset=stored, organization=stored.holding_unit,
                data={"code": stored.code, "name": stored.name, "batch": batch.pk,
                      "changes": changes_between(Asset, before[stored.pk], snapshot(stored))},
            )  # fmt: skip
    audit_record(
        user=batch.created_by, action="import_commit", organization=batch.organization,
        data={"batch": batch.pk, "file": batch.original_name, "mode": ImportMode.UPDATE.label,
              "rows": len(assets), "unchanged": unchanged, "codes": [assets[0].code, assets[-1].code]},
    )  # fmt: skip


def import_batches_sweep(*, stalled_after: datetime.timedelta = datetime.timedelta(minutes=10)) -> int:
    """Queues again the batches whose job was lost (a restart, a worker killed): asked for some minutes ago and never
    started, or in progress with no heartbeat for `stalled_after`. A check starts over; a commit re-checks and
    inserts in one transaction, so running it again writes the rows once. Taking a batch back is a conditional
    update on the heartbeat it was seen with: a job that is in fact alive keeps its batch."""
    from .tasks import import_batch_commit_task, import_batch_validate_task

    requeued = 0
    lost = ImportBatch.lost(
        pending=[ImportStatus.PENDING], running=[ImportStatus.VALIDATING, ImportStatus.COMMITTING],
        stalled_after=stalled_after,
    )  # fmt: skip
    for batch in lost:
        if batch.status == ImportStatus.COMMITTING:
            if not batch.take_back():
                continue
            import_batch_commit_task.delay(str(batch.pk))
        else:
            if not batch.take_back(status=ImportStatus.PENDING):
                continue
            import_batch_validate_task.delay(str(batch.pk))
        logger.warning("Import batch %s (%s) had lost its job: queued again", batch.pk, batch.status)
        requeued += 1
    return requeued


def import_batch_progress(batch: ImportBatch) -> dict[str, Any]:
    """What the detail page polls while a batch is checked or written."""
    return {
        "status": batch.status,
        "status_label": batch.get_status_display(),
        "total_rows": batch.total_rows,
        "processed_rows": batch.processed_rows,
        "error_rows": batch.error_rows,
        "percent": batch.progress_percent,
        "done": batch.status not in IN_PROGRESS,
        "message": batch.message,
    }


# -- the error file ------------------------------------------------------------------------------------------------

ERROR_FILL = PatternFill("solid", fgColor="FFCDD2")


def import_error_workbook(batch: ImportBatch) -> bytes:
    """The uploaded data sheet as it came, with a 错误说明 column after its last one and every cell with an error
    highlighted: the importer corrects it and uploads it again. Rows keep their numbers, so “第N行” still points at
    them. Read and written as streams, so a 50,000-row sheet costs little memory; text is written by
    core.excel.text_cell (never a formula, nothing an .xlsx cannot hold, cut at Excel's limit)."""
    by_row: dict[int, list[dict]] = {}
    for error in batch.errors:
        if error.get("row") is not None:
            by_row.setdefault(error["row"], []).append(error)
    out = Workbook(write_only=True)
    with batch.file.open("rb") as fileobj:
        wb = load_workbook(fileobj, read_only=True, data_only=False, keep_links=False)
        try:
            ws, sheet = _open_sheet(wb, mode=batch.mode)
            target = out.create_sheet(ws.title)
            positions = {c.header: p for c, p in sheet.positions}
            if sheet.status_position is not None:
                positions[STATUS_HEADER] = sheet.status_position
            # After the last column the file has; a row's cells beyond it (under no header, in a file that understates
            # its width) follow the explanation rather than being lost.
            width = sheet.full_width
            for position in range(width):
                target.column_dimensions[get_column_letter(position + 1)].width = 14
            target.column_dimensions[get_column_letter(width + 1)].width = 60
            truncated = len(batch.errors) >= MAX_STORED_ERRORS
            rows = ws.iter_rows(max_row=sheet.header_row + MAX_READ_ROWS)
            for number, cells in enumerate(rows, start=1):
                errors = by_row.get(number, [])
                marked = {positions[e["column"]] for e in errors if e["column"] in positions}
                line = [
                    _copied_cell(target, cells[p] if p < len(cells) else None, marked=p in marked) for p in range(width)
                ]
                if number == sheet.header_row:
                    title = ERROR_HEADER + (f"（仅标出前 {MAX_STORED_ERRORS} 处错误）" if truncated else "")
                    header = WriteOnlyCell(target, value=title)
                    header.font = Font(bold=True, color="C62828")
                    line.append(header)
                elif errors:
                    prefix = f"第{number}行"
                    text = "\n".join(e["message"].removeprefix(prefix).removeprefix("：") for e in errors)
                    explanation = _as_cell(target, text_cell(target, text))
                    explanation.alignment = Alignment(wrap_text=True, vertical="top")
                    explanation.font = Font(color="C62828")
                    line.append(explanation)
                else:
                    line.append(None)
                line.extend(_copied_cell(target, cell, marked=False) for cell in cells[width:])
                target.append(line)
        finally:
            wb.close()
    result = io.BytesIO()
    out.save(result)
    return result.getvalue()


def _copied_cell(target, cell, *, marked: bool) -> Any:
    """One uploaded cell for the error file: its value as the import read it (a formula as its text), its number
    format, and the highlight if it has an error."""
    value = getattr(cell, "value", None)
    number_format = getattr(cell, "number_format", None) or "General"
    if isinstance(value, str):
        value, number_format = text_cell(target, _unescaped(value)), "General"
    if not marked and number_format == "General":
        return value
    copied = _as_cell(target, value)
    if number_format != "General":
        copied.number_format = number_format
    if marked:
        copied.fill = ERROR_FILL
    return copied


def _as_cell(target, value: Any) -> Cell:
    return value if isinstance(value, Cell) else WriteOnlyCell(target, value=value)


# -- export --------------------------------------------------------------------------------------------------------


def ledger_export_workbook(assets: QuerySet[Asset] | list[Asset], *, today: datetime.date | None = None) -> bytes:
    """The ledger as shown (already scoped and filtered by the caller) as an .xlsx with the import's headers; it
    imports again as it is. `assets` may also be rows not yet saved (the demo writes its ledgers this way)."""
    today = today or timezone.localdate()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    widths = [c.width for c in COLUMNS] + [10, 10]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in EXPORT_HEADERS:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        header.append(cell)
    ws.append(header)

    def number(value, fmt: str) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = fmt
        return cell

    def date(value) -> Any:
        return number(value, DATE_FORMAT)

    text = text_cell
    ownership = dict(Ownership.choices)
    usage = dict(UsageStatus.choices)
    direction = dict(Direction.choices)
    if isinstance(assets, QuerySet):
        assets = assets.select_related("category", "subtype", "holding_unit").iterator(chunk_size=2000)
    for a in assets:
        ws.append(
            [
                text(ws, a.code),
                text(ws, a.name),
                text(ws, a.category.name),
                text(ws, a.subtype.name) if a.subtype_id else None,
                text(ws, a.holding_unit.name),
                text(ws, a.specification),
                a.quantity,
                text(ws, a.unit_of_measure),
                number(a.area_m2, MONEY_FORMAT),
                number(sqm_to_mu(a.area_m2), MONEY_FORMAT),
                number(a.original_value, MONEY_FORMAT),
                number(a.net_value, MONEY_FORMAT),
                date(a.acquired_on),
                text(ws, a.address),
                a.latitude,
                a.longitude,
                ownership.get(a.ownership, a.ownership),
                text(ws, a.certificate_no),
                usage.get(a.usage_status, a.usage_status),
                date(a.idle_since),
                text(ws, a.idle_reason),
                direction.get(a.direction, a.direction) or None,
                text(ws, a.direction_note),
                text(ws, a.responsible_person),
                date(a.deadline),
                text(ws, a.remarks),
                a.get_status_display(),
                a.idle_months(today),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
