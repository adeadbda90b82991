"""Excel in and out of the register: the import template, row-by-row checks, the all-or-nothing commit, the export."""

from __future__ import annotations

import datetime
import functools
import io
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from audit.services import audit_record
from core.errors import DomainError
from core.excel import text_cell
from core.formatting import mu_to_sqm, sqm_to_mu
from core.jobs import enqueue_on_commit
from core.text import clean_text, normalize_code
from core.uploads import check_package, office_package_limits, sniff_upload

from .models import (
    DEFAULT_MEASURE_UNIT,
    Asset,
    Category,
    CategorySubtype,
    Direction,
    ImportBatch,
    ImportStatus,
    MeasureUnit,
    Organization,
    OrganizationKind,
    Ownership,
    Role,
    UsageStatus,
    User,
    areas_agree,
)
from .selectors import units_user_may_register_for, user_can_import

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "资产台账"
HELP_SHEET = "填写说明"
LISTS_SHEET = "下拉选项"
# The template's example row carries this code; an upload that still contains it skips that row.
EXAMPLE_CODE = "示例-0001"
# The header is looked for in the first rows, so a title line above it does no harm.
HEADER_SEARCH_ROWS = 10
MAX_ROWS = 50_000
# Rows read below the header, blank ones included: a sheet may end in some empty rows, never in a million.
MAX_READ_ROWS = MAX_ROWS + 5_000
MAX_STORED_ERRORS = 1000
PREVIEW_ROWS = 50
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
REQUIRED_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.required)
EXPORT_HEADERS: tuple[str, ...] = (*HEADERS, "台账状态", "闲置月数")
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
# Organizations whose ledger can hold assets; the industry departments and the finance side only review.
HOLDING_KINDS = (
    OrganizationKind.ADMINISTRATIVE,
    OrganizationKind.INSTITUTION,
    OrganizationKind.STATE_ENTERPRISE,
    OrganizationKind.TOWNSHIP,
)


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    """Folds full-width and half-width forms and drops blanks, so “（” matches “(” and “㎡” matches “m2”."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


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
    lists.append(["资产类别", "资产子类", "持有单位", "计量单位"])
    for i in range(max(len(categories), len(subtypes), len(units), len(measures))):
        lists.append(
            [
                categories[i].name if i < len(categories) else None,
                subtypes[i].name if i < len(subtypes) else None,
                units[i].name if i < len(units) else None,
                measures[i] if i < len(measures) else None,
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
        add_list("资产子类", f"{sheet_ref}!$B$2:$B${len(subtypes) + 1}")
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
        "有任何一行出错都不会导入任何数据。",
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
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Excel writes a character XML cannot hold (a control character pasted from Word) as _xHHHH_, and a literal "_x" as
# "_x005F_x" (ECMA-376 ST_Xstring); openpyxl hands these over as they are written.
_XSTRING_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        if "_x" in value:
            value = _XSTRING_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
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
        return cls(
            user, categories, subtypes, subtype_names, units, allowed, scope, max_length, max_digits, choices,
            multiline, measure_units, measure_keys,
        )  # fmt: skip


@dataclass
class _Outcome:
    total: int = 0
    errors: list[dict] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
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


UNREADABLE = "无法读取该文件：文件已损坏或不是有效的 Excel（.xlsx）文件。请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。"


@dataclass
class _Sheet:
    header_row: int
    positions: list[tuple[Column, int]]  # column and its 0-based position in a row
    width: int
    estimated_rows: int | None


def _open_sheet(wb) -> tuple[Any, _Sheet]:
    """Finds the data sheet and its header row; raises ValidationError naming what is missing."""
    if DATA_SHEET in wb.sheetnames:
        ws = wb[DATA_SHEET]
    else:
        candidates = [s for s in wb.worksheets if s.title not in (HELP_SHEET, LISTS_SHEET)]
        if not candidates:
            raise ValidationError(f"文件中没有“{DATA_SHEET}”工作表，请使用导入模板。")
        ws = candidates[0]
    dimension_rows = ws.max_row
    # The stored dimension may be wrong (some programs write A1); read every row and cell the sheet really has.
    ws.reset_dimensions()
    header_row = None
    positions: list[tuple[Column, int]] = []
    for number, values in enumerate(ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1):
        keys = [_header_key(v) if isinstance(v, str) else "" for v in values]
        if _header_key("资产编号") in keys:
            header_row = number
            seen: dict[str, int] = {}
            for position, key in enumerate(keys):
                column = HEADER_ALIASES.get(key)
                if column is None:
                    continue  # columns of our own export (台账状态…) or the user's notes: ignored
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
    missing = [h for h in REQUIRED_HEADERS if h not in found]
    if missing:
        raise ValidationError(
            f"缺少必填列：{'、'.join(missing)}。请使用导入模板，不要删除或改写第 {header_row} 行的表头。"
        )
    estimated = max(dimension_rows - header_row, 0) if dimension_rows else None
    return ws, _Sheet(header_row, positions, max(p for _, p in positions) + 1, estimated)


class _RowChecker:
    def __init__(self, lookups: _Lookups) -> None:
        self.lookups = lookups

    def check(self, row: int, cells: tuple, sheet: _Sheet, outcome: _Outcome, *, display: bool) -> Asset | None:
        lk = self.lookups
        values: dict[str, Any] = {}
        bad: set[str] = set()
        shown: dict[str, str] = {}

        def error(column: Column, text: str) -> None:
            bad.add(column.field)
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
                elif kind == "measure":
                    measure = lk.measure_keys.get(_key(_as_text(raw)))
                    if measure is None:
                        raise _CellError(
                            f"“{_short(raw)}”不在计量单位列表中，可选：{'、'.join(lk.measure_units)}（从下拉列表选择）。"
                        )
                    values[column.field] = measure
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
                elif kind == "category":
                    category = lk.categories.get(_key(_as_text(raw)))
                    if category is None:
                        raise _CellError(f"“{_short(raw)}”不存在，请从下拉列表中选择（共 8 类，见“填写说明”）。")
                    values["category"] = category
                    if display:
                        shown[column.header] = category.name
                elif kind == "unit":
                    unit = lk.units.get(_key(_as_text(raw)))
                    if unit is None:
                        raise _CellError(f"“{_short(raw)}”不在单位名录中，请填写单位全称或简称（可从下拉列表选择）。")
                    if not unit.is_active:
                        raise _CellError(f"“{unit.name}”已停用，不能导入其资产。")
                    if unit.pk not in lk.allowed_unit_ids:
                        raise _CellError(f"{lk.scope_message}，本行为“{unit.name}”。")
                    values["holding_unit"] = unit
                    if display:
                        shown[column.header] = unit.name
                elif kind == "subtype":
                    values["subtype"] = _as_text(raw)  # resolved below, once the category is known
            except _CellError as exc:
                error(column, str(exc))

        subtype_name = values.pop("subtype", None)
        category = values.get("category")
        if subtype_name and category is not None:
            subtype = lk.subtypes.get((category.pk, _key(subtype_name)))
            if subtype is None:
                options = "、".join(lk.subtype_names.get(category.pk, [])) or "（该类别没有子类，请留空）"
                column = COLUMNS[HEADERS.index("资产子类")]
                error(column, f"“{_short(subtype_name)}”不属于「{category.name}」，可选：{options}。")
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

        values.setdefault("quantity", Decimal(1))
        values.setdefault("unit_of_measure", DEFAULT_MEASURE_UNIT)
        values.setdefault("ownership", Ownership.CONFIRMED)
        values.setdefault("usage_status", UsageStatus.NORMAL)
        asset = Asset(**values)
        try:
            asset.clean(measure_units=lk.measure_units)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                if field_name in bad:
                    continue  # already reported as unreadable; the rule's message would only repeat it
                header = FIELD_HEADERS.get(field_name, "")
                for message in messages:
                    outcome.add(row, header, f"第{row}行：{message}")
        if display:
            outcome.preview.append(
                {"row": row, "ok": row not in outcome.error_rows, "cells": [shown.get(h, "") for h in PREVIEW_HEADERS]}
            )
        return asset


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


def _existing_codes(codes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    codes = list(codes)
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        found.update(Asset.objects.filter(code__in=chunk).values_list("code", flat=True))
    return found


def _check_workbook(
    fileobj: IO[bytes],
    *,
    user: User,
    keep_assets: bool,
    progress: Callable[[int], None] | None = None,
) -> _Outcome:
    """Reads the ledger sheet and checks every row against the register as it is now."""
    outcome = _Outcome()
    lookups = _Lookups.load(user)
    if not lookups.allowed_unit_ids:
        return outcome.fail("您没有导入资产台账的权限（只有单位经办人或系统管理员可以导入）。")
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
            ws, sheet = _open_sheet(wb)
        except ValidationError as exc:
            return outcome.fail(exc.messages[0])
        except Exception:
            return outcome.fail(UNREADABLE)
        checker = _RowChecker(lookups)
        first_row: dict[str, int] = {}
        duplicates: list[tuple[int, str, int]] = []
        code_position = next(p for c, p in sheet.positions if c.field == "code")
        try:
            last_row = sheet.header_row + MAX_READ_ROWS
            # Bounded blank or not: openpyxl yields an empty row for every number a sheet skips, so one cell in row
            # 1,048,576 would otherwise cost a million rows.
            rows = ws.iter_rows(min_row=sheet.header_row + 1, max_row=last_row + 1, max_col=sheet.width)
            for row, cells in enumerate(rows, start=sheet.header_row + 1):
                if row > last_row:
                    outcome.errors.clear()
                    outcome.error_rows.clear()
                    return outcome.fail(
                        f"工作表超过 {MAX_READ_ROWS:,} 行（含空白行）。每个文件最多 {MAX_ROWS:,} 行数据："
                        "请删除末尾多余的空白行，或分成几个文件分别导入。"
                    )
                if _is_blank(cells):
                    continue
                code_cell = cells[code_position]
                code = _as_text(code_cell.value) if code_cell.data_type not in ("f", "e") else ""
                if code == EXAMPLE_CODE:
                    outcome.skipped_example = True
                    continue
                outcome.total += 1
                if outcome.total > MAX_ROWS:
                    outcome.errors.clear()
                    outcome.error_rows.clear()
                    return outcome.fail(f"数据超过 {MAX_ROWS:,} 行，请分成几个文件分别导入。")
                asset = checker.check(row, cells, sheet, outcome, display=len(outcome.preview) < PREVIEW_ROWS)
                code = _code_key(code)
                if code:
                    if code in first_row:
                        duplicates.append((row, code, first_row[code]))
                    else:
                        first_row[code] = row
                if keep_assets and not outcome.errors:
                    asset._import_row = row
                    outcome.assets.append(asset)
                elif outcome.assets:
                    outcome.assets = []  # one bad row and nothing will be saved: stop holding the others
                if progress and outcome.total % PROGRESS_EVERY == 0:
                    progress(outcome.total)
        except Exception:
            logger.warning("Unreadable import workbook", exc_info=True)
            outcome.errors.clear()
            outcome.error_rows.clear()
            return outcome.fail(UNREADABLE)
    finally:
        wb.close()

    if outcome.total == 0:
        return outcome.fail("文件中没有资产数据（表头下面是空的）。")
    code_header = "资产编号"
    for row, code, first in duplicates:
        outcome.add(row, code_header, f"第{row}行「资产编号」“{_short(code)}”与第{first}行重复。")
    for code in sorted(_existing_codes(first_row), key=first_row.get):
        row = first_row[code]
        outcome.add(row, code_header, f"第{row}行「资产编号」“{_short(code)}”已在台账中登记，不能重复导入。")
    if outcome.errors:
        order = {h: i for i, h in enumerate(HEADERS)}
        outcome.errors.sort(key=lambda e: (e["row"] or 0, order.get(e["column"], -1)))
        outcome.assets = []
        for item in outcome.preview:
            item["ok"] = item["row"] not in outcome.error_rows
    return outcome


def _check_stored_file(batch: ImportBatch, *, keep_assets: bool) -> _Outcome:
    def progress(done: int) -> None:
        _report_progress(batch.pk, done)

    with batch.file.open("rb") as fileobj:
        return _check_workbook(fileobj, user=batch.created_by, keep_assets=keep_assets, progress=progress)


def _report_progress(batch_id, done: int) -> None:
    # Written outside any transaction, so that the page polling import_progress sees it at once.
    ImportBatch.objects.filter(pk=batch_id).update(processed_rows=done, heartbeat_at=timezone.now())


def _inspect_upload(upload: UploadedFile) -> int | None:
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
            _ws, sheet = _open_sheet(wb)
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


def import_batch_create(*, user: User, upload: UploadedFile, background: bool | None = None) -> ImportBatch:
    """Keeps the uploaded ledger and checks it: at once when small, as a background job when large (`background`
    decides instead when given: the demo loads its ledgers in-process, inside its transaction).

    Raises PermissionDenied for a user who may not import, ValidationError for a file that is not a readable ledger
    (wrong type, corrupt, too large, header missing); row errors end up on the batch instead.
    """
    if not user_can_import(user=user) or not units_user_may_register_for(user=user).exists():
        raise PermissionDenied("只有单位经办人或系统管理员可以导入资产台账。")
    sniff_upload(upload, max_bytes=settings.PANHUO["IMPORT_MAX_BYTES"], allowed=("xlsx",))
    rows = _inspect_upload(upload)
    batch = ImportBatch(
        organization_id=user.organization_id,
        created_by=user,
        original_name=(upload.name or "import.xlsx")[-255:],
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
    else:
        batch.status = ImportStatus.VALID
        batch.message = f"共 {outcome.total} 行，全部通过校验。请核对预览，确认无误后点击“确认导入”。"
    if outcome.skipped_example:
        batch.message += f"（已忽略资产编号为“{EXAMPLE_CODE}”的示例行。）"
    batch.save(update_fields=["total_rows", "processed_rows", "error_rows", "errors", "preview", "status", "message"])


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


def import_batch_commit_run(*, batch_id) -> None:
    """The commit itself, for a batch already claimed (COMMITTING): re-check, then insert in one transaction."""
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
        assets = outcome.assets
        for asset in assets:
            asset.import_batch_id = batch.pk
            asset.created_by_id = batch.created_by_id
        with transaction.atomic():
            # Taking the batch row first makes a second run wait here and then find it committed.
            if not committing.update(
                status=ImportStatus.COMMITTED,
                committed_at=timezone.now(),
                processed_rows=len(assets),
                message=f"已导入 {len(assets)} 项资产。",
            ):
                return
            Asset.objects.bulk_create(assets, batch_size=BULK_BATCH_SIZE)
            audit_record(
                user=batch.created_by, action="import_commit", organization=batch.organization,
                data={"batch": batch.pk, "file": batch.original_name, "rows": len(assets),
                      "codes": [assets[0].code, assets[-1].code] if assets else []},
            )  # fmt: skip
    except IntegrityError:
        # Someone registered one of these codes between the re-check and the insert; the transaction rolled back.
        codes = {a.code: a._import_row for a in outcome.assets}
        taken = _existing_codes(codes)
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
