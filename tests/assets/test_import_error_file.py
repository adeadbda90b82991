"""The error file (issue 12 §5): the uploaded sheet with a 错误说明 column and its wrong cells highlighted, for both
ways of importing, served to the one who uploaded it and to no one else; corrected, it imports as it is."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from assets.imports import DATA_SHEET, ERROR_HEADER, EXPORT_HEADERS, HEADERS, XLSX_CONTENT_TYPE
from assets.models import Asset, ImportStatus
from core.excel import CELL_MAX_CHARS, CUT_NOTE

from ..ledgers import filled_template, import_ledger, ledger_row
from .test_import_update import as_upload, batch_of, edit, exported, hostile_update, upload_update

pytestmark = pytest.mark.django_db

RED = "00FFCDD2"


def error_file(client, batch):
    response = client.get(reverse("register:import_error_file", args=[batch.pk]))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "no-store" in response["Cache-Control"]
    return load_workbook(io.BytesIO(response.content))[DATA_SHEET]


def by_header(ws, row: int, header_row: int = 1) -> dict:
    headers = [c.value for c in ws[header_row]]
    return dict(zip(headers, ws[row], strict=False))


def red(cell) -> bool:
    return cell.fill is not None and cell.fill.fgColor.rgb == RED


def upload(client, user, file):
    client.force_login(user)
    return client.post(reverse("register:import"), {"file": file})


def test_a_new_ledger_with_errors_comes_back_with_its_wrong_cells_red_and_a_column_saying_why(client, alice):
    client.force_login(alice)
    rows = [
        ledger_row(资产编号="MX-YZ-PC-001"),
        ledger_row(资产编号="MX-YZ-PC-002", **{"原值（元）": "三百万"}),
        ledger_row(资产编号="MX-YZ-PC-003", 资产名称=None, **{"净值（元）": "=1000*3"}),
    ]
    batch = batch_of(upload(client, alice, filled_template(client, [{"持有单位": "茂县第一中学", **r} for r in rows])))
    assert batch.status == ImportStatus.INVALID

    ws = error_file(client, batch)

    header = [c.value for c in ws[1]]
    assert [h.lstrip("*") for h in header[: len(HEADERS)]] == list(HEADERS)
    assert header[-1] == ERROR_HEADER
    good, bad_number, two_errors = (by_header(ws, r) for r in (2, 3, 4))
    assert good[ERROR_HEADER].value is None and not any(red(c) for c in good.values())
    assert bad_number[ERROR_HEADER].value.startswith("「原值（元）」应为数字，现为“三百万”")
    assert red(bad_number["*原值（元）"]) and not red(bad_number["*资产名称"])
    assert bad_number["*原值（元）"].value == "三百万"
    assert bad_number["*取得日期"].value == datetime.datetime(2012, 5, 1)  # kept as the date it was
    assert two_errors[ERROR_HEADER].value.split("\n") == [
        "「资产名称」必须填写。",
        "「净值（元）」是公式，请粘贴为数值。",
    ]
    assert red(two_errors["*资产名称"]) and red(two_errors["*净值（元）"])
    # The formula comes back as the text it was, never as a formula.
    assert (two_errors["*净值（元）"].value, two_errors["*净值（元）"].data_type) == ("=1000*3", "s")

    page = client.get(reverse("register:import_detail", args=[batch.pk])).content.decode()
    assert reverse("register:import_error_file", args=[batch.pk]) in page and "下载错误说明文件" in page


def test_the_error_file_corrected_imports_as_it_is(client, alice):
    client.force_login(alice)
    rows = [{"持有单位": "茂县第一中学", **ledger_row(**{"原值（元）": "三百万"})}]
    batch = batch_of(upload(client, alice, filled_template(client, rows)))
    response = client.get(reverse("register:import_error_file", args=[batch.pk]))
    wb = load_workbook(io.BytesIO(response.content))
    by_header(wb[DATA_SHEET], 2)["*原值（元）"].value = 6500
    out = io.BytesIO()
    wb.save(out)

    fixed = batch_of(upload(client, alice, SimpleUploadedFile("改正后.xlsx", out.getvalue())))

    assert fixed.status == ImportStatus.VALID, fixed.errors  # the 错误说明 column is not one of the ledger's


def test_rows_keep_their_numbers_below_a_title_line(client, alice):
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append(["茂县第一中学资产台账（2026年）"])
    ws.append(list(HEADERS))
    ws.append([{"持有单位": "茂县第一中学", **ledger_row(取得日期="去年九月")}.get(h) for h in HEADERS])
    out = io.BytesIO()
    wb.save(out)
    batch = batch_of(upload(client, alice, SimpleUploadedFile("台账.xlsx", out.getvalue())))
    assert batch.errors[0]["message"].startswith("第3行「取得日期」")

    ws = error_file(client, batch)

    assert ws["A1"].value == "茂县第一中学资产台账（2026年）"
    row = by_header(ws, 3, header_row=2)
    assert row[ERROR_HEADER].value.startswith("「取得日期」应为日期，现为“去年九月”")
    assert red(row["取得日期"])


def test_an_update_with_hostile_cells_comes_back_with_what_an_xlsx_may_hold(client, alice):
    import_ledger(
        alice,
        ledger_row(资产编号="MX-YZ-PC-001"),
        ledger_row(资产编号="MX-YZ-PC-002"),
        ledger_row(资产编号="MX-YZ-PC-003"),
    )
    batch = batch_of(upload_update(client, alice, hostile_update()))
    assert batch.status == ImportStatus.INVALID

    ws = error_file(client, batch)

    kept, bidi_and_control, long = (by_header(ws, r) for r in (2, 3, 4))
    assert kept[ERROR_HEADER].value is None
    assert kept["资产名称"].value == "𠀀号机房电脑" and kept["净值（元）"].value == "１，０００"
    assert red(bidi_and_control["资产位置"]) and red(bidi_and_control["备注"])
    # The refused characters are named in the explanation and left out of the cells (as every export leaves them).
    assert bidi_and_control["资产位置"].value == "凤仪镇CBA路" and bidi_and_control["备注"].value == "坏了"
    explanation = bidi_and_control[ERROR_HEADER].value.split("\n")
    assert explanation[0].startswith("「资产位置」含有改变文字方向的隐藏字符从右向左强制（U+202E）")
    assert explanation[1].startswith("「备注」含有不可见的控制字符 U+0001")
    assert long[ERROR_HEADER].value == "「备注」最多 2000 个字，现有 100000 个字。"
    assert len(long["备注"].value) == CELL_MAX_CHARS and long["备注"].value.endswith(CUT_NOTE)
    assert not any(red(c) for h, c in long.items() if h != "备注")


def test_the_error_file_is_the_uploaders_alone(client, alice, bob, henry, sam, school):
    client.force_login(alice)
    rows = [{"持有单位": "茂县第一中学", **ledger_row(**{"原值（元）": "三百万"})}]
    batch = batch_of(upload(client, alice, filled_template(client, rows)))
    url = reverse("register:import_error_file", args=[batch.pk])

    client.force_login(bob)  # another unit's clerk: the batch does not exist for him
    assert client.get(url).status_code == 404
    for user in (henry, sam):  # the unit's head and a supervisor import nothing
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_a_batch_without_row_errors_has_no_error_file(client, alice):
    client.force_login(alice)
    batch = batch_of(upload(client, alice, filled_template(client, [{"持有单位": "茂县第一中学", **ledger_row()}])))
    assert batch.status == ImportStatus.VALID
    assert client.get(reverse("register:import_error_file", args=[batch.pk])).status_code == 404
    assert "下载错误说明文件" not in client.get(reverse("register:import_detail", args=[batch.pk])).content.decode()
    assert not Asset.objects.exists()


def test_an_update_from_the_export_gets_its_explanation_after_the_exports_last_column(client, alice):
    import_ledger(alice, ledger_row(资产编号="MX-YZ-PC-001"))
    wb = exported(client, alice)
    edit(wb, "MX-YZ-PC-001", **{"净值（元）": 999_999})
    batch = batch_of(upload_update(client, alice, as_upload(wb)))
    assert batch.errors[0]["message"] == "第2行：净值不能大于原值。"

    ws = error_file(client, batch)

    assert [c.value for c in ws[1]] == [*EXPORT_HEADERS, ERROR_HEADER]
    row = by_header(ws, 2)
    assert row[ERROR_HEADER].value == "净值不能大于原值。" and red(row["净值（元）"])
    assert row["台账状态"].value == "在用" and not red(row["原值（元）"])
