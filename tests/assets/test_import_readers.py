"""The import's two readers of a sheet (assets.imports: calamine for a plain sheet, openpyxl for any other) read every
workbook alike: the same rows, errors, preview and assets. And a sheet the quick reader must not take (a formula, an
error value, a cell it cannot place) goes to openpyxl, which refuses the formula and the error cell by cell."""

import datetime
import io
import re
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from assets import imports
from assets.imports import HEADERS, _check_workbook, _open_sheet, _quick_rows

from ..test_fuzz import FUZZ, HOSTILE, ODD_DATES, ODD_NUMBERS
from .test_excel import good_row

pytestmark = pytest.mark.django_db

# What XML 1.0 cannot hold (control characters, U+FFFE, U+FFFF): Excel writes each as an _xHHHH_ escape.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def excel_text(value):
    """A string as Excel stores it: the characters XML cannot hold as _xHHHH_ escapes, a literal "_x" escaped too."""
    if not isinstance(value, str):
        return value
    value = value.replace("_x", "_x005F_x")
    return NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


def workbook(rows: list[dict], *, title_rows: int = 0, first_column: int = 1, notes: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "资产台账"
    for line in range(title_rows):
        ws.cell(row=line + 1, column=first_column, value=f"茂县资产台账（第{line + 1}行标题）")
    headers = [*HEADERS, *(["备忘"] if notes else [])]
    top = title_rows + 1
    for index, header in enumerate(headers):
        ws.cell(row=top, column=first_column + index, value=header)
    for number, row in enumerate(rows, start=top + 1):
        for index, header in enumerate(headers):
            value = row.get(header)
            if value is not None:
                ws.cell(row=number, column=first_column + index, value=excel_text(value))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def outcome_of(data: bytes, user, *, quick: bool, monkeypatch):
    with monkeypatch.context() as patch:
        if not quick:
            patch.setattr(imports, "_quick_rows", lambda *args: None)
        outcome = _check_workbook(io.BytesIO(data), user=user, keep_assets=True)
    assets = [{f.attname: getattr(a, f.attname) for f in a._meta.concrete_fields} for a in outcome.assets]
    return outcome.total, outcome.errors, outcome.preview, assets, outcome.fatal


def takes_quick(data: bytes) -> bool:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        ws, sheet = _open_sheet(wb)
        return _quick_rows(io.BytesIO(data), ws, sheet) is not None
    finally:
        wb.close()


ODD = st.sampled_from(HOSTILE) | st.sampled_from(ODD_NUMBERS) | st.sampled_from(ODD_DATES) | st.text(max_size=8)
cell_value = st.one_of(
    st.none(), ODD, st.integers(-10, 10**16), st.floats(allow_nan=False, width=64),
    # Excel holds no date before 1 March 1900 as a date (its serial days are off by one before it, and none is
    # negative); only a program could write one, and the two readers differ on that nonsense.
    st.dates(datetime.date(1900, 3, 1), datetime.date(2100, 1, 1)), st.booleans(),
    st.lists(ODD, max_size=6).map("".join), st.just("_x005F_x0041_"), st.just("示例-0001"),
)  # fmt: skip


def test_both_readers_read_a_hostile_workbook_alike(alice, monkeypatch):
    @FUZZ
    @given(
        changes=st.lists(st.dictionaries(st.sampled_from(HEADERS), cell_value, max_size=6), min_size=1, max_size=5),
        title_rows=st.integers(0, 2), first_column=st.integers(1, 3), notes=st.booleans(),
    )  # fmt: skip
    def read(changes, title_rows, first_column, notes):
        rows = [good_row(**{"资产编号": f"MX1Z-{i:03d}", **change}) for i, change in enumerate(changes)]
        rows.insert(len(rows) // 2, {})  # a blank row
        data = workbook(rows, title_rows=title_rows, first_column=first_column, notes=notes)
        assert takes_quick(data)
        assert outcome_of(data, alice, quick=True, monkeypatch=monkeypatch) == outcome_of(
            data, alice, quick=False, monkeypatch=monkeypatch
        )

    read()


def test_a_good_workbook_is_read_by_the_quick_reader_into_the_same_assets(alice, monkeypatch):
    rows = [good_row(**{"资产编号": f"MX1Z-{i:03d}", "备注": "REMARK"}) for i in range(30)]
    # What Excel writes for a remark typed as “A 与 _x0041_”: an escape of A, and the typed _x escaped in turn.
    typed = "_x0041_ 与 _x005F_x0041_".encode()
    data = rewritten(workbook(rows), lambda xml: xml.replace(b"REMARK", typed))
    assert takes_quick(data)
    quick = outcome_of(data, alice, quick=True, monkeypatch=monkeypatch)
    assert quick == outcome_of(data, alice, quick=False, monkeypatch=monkeypatch)
    total, errors, _preview, assets, _fatal = quick
    assert (total, errors, len(assets)) == (30, [], 30)
    assert assets[0]["remarks"] == "A 与 _x0041_"  # each escape read once, as Excel means it


def rewritten(data: bytes, change) -> bytes:
    """The workbook with its sheet's XML changed by `change` (bytes -> bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            dst.writestr(info, change(content) if info.filename == "xl/worksheets/sheet1.xml" else content)
    return out.getvalue()


def test_a_formula_or_an_error_value_is_read_by_openpyxl_and_refused_in_its_cell(alice):
    wb = Workbook()
    ws = wb.active
    ws.title = "资产台账"
    ws.append(list(HEADERS))
    row = good_row()
    ws.append([row.get(h) for h in HEADERS])
    ws.cell(row=2, column=HEADERS.index("原值（元）") + 1, value="=1+1")
    ws.cell(row=2, column=HEADERS.index("资产名称") + 1, value="#N/A")
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()

    assert not takes_quick(data)
    outcome = _check_workbook(io.BytesIO(data), user=alice, keep_assets=False)
    assert [e["message"] for e in outcome.errors] == [
        "第2行「资产名称」是错误值 #N/A，请填写正确的内容。",
        "第2行「原值（元）」是公式，请粘贴为数值。",
    ]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda xml: xml.replace(b'r="B2"', b'r="BA2"', 1), id="a cell beyond column AZ"),
        pytest.param(lambda xml: re.sub(rb' r="C2"', b"", xml, count=1), id="a cell that does not say where it is"),
        pytest.param(lambda xml: xml.replace(b'r="A2"', b'r="A60000"', 1), id="a cell beyond row 59,999"),
        pytest.param(lambda xml: xml.replace(b'<c r="D2"', b'<c s="0" r="D2"', 1), id="a cell written another way"),
    ],
)
def test_a_sheet_whose_cells_the_scan_cannot_bound_goes_to_openpyxl(change):
    data = rewritten(workbook([good_row()]), change)
    assert not takes_quick(data)
