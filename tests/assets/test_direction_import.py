"""The 盘活方向 column of the Excel ledger (issue 13 §3): it holds the direction of every 盘活方式, imports each label
(and its full-width, half-width or zero-width look-alikes), exports it back as the same label, and refuses any other
text naming the values it may hold."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from assets.imports import DATA_SHEET, HELP_SHEET, import_batch_create
from assets.models import Asset, Direction, ImportBatch, ImportMode, ImportStatus

from ..ledgers import filled_template, import_ledger, ledger_row

pytestmark = pytest.mark.django_db

SCHOOL = "茂县第一中学"
# Added with the seeds' further 盘活方式 (issue 13 §2).
NEW_DIRECTIONS = [
    Direction.FREE_TRANSFER,
    Direction.EQUITY,
    Direction.LAND_RECOVERY,
    Direction.CONCESSION,
    Direction.OPEN_SHARING,
]


def rows_with_each(directions) -> list[dict]:
    return [
        ledger_row(资产编号=f"MX-YZ-FX-{i:02d}", 盘活方向=d.label, 盘活思路=f"按{d.label}盘活")
        for i, d in enumerate(directions, start=1)
    ]


def exported_rows(client, user) -> list[dict]:
    client.force_login(user)
    response = client.get(reverse("register:export"))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content))[DATA_SHEET].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_each_new_direction_is_imported_stored_and_exported_back_as_its_label(client, alice):
    assets = import_ledger(alice, *rows_with_each(NEW_DIRECTIONS))

    assert [a.direction for a in assets] == NEW_DIRECTIONS
    assert [a.get_direction_display() for a in assets] == [
        "无偿划转",
        "作价入股",
        "协议有偿收回（政府收储）",
        "特许经营",
        "开放共享",
    ]
    client.force_login(alice)
    page = client.get(reverse("register:detail", args=[assets[2].pk]))
    assert "协议有偿收回（政府收储）" in page.content.decode()  # the asset's file names it as the ledger does

    exported = {r["资产编号"]: (r["盘活方向"], r["盘活思路"]) for r in exported_rows(client, alice)}
    assert exported == {a.code: (a.get_direction_display(), f"按{a.get_direction_display()}盘活") for a in assets}


def test_an_export_of_every_direction_reads_back_unchanged_in_update_mode(client, alice):
    import_ledger(alice, *rows_with_each(Direction))
    client.force_login(alice)
    upload = SimpleUploadedFile("台账.xlsx", client.get(reverse("register:export")).content)

    batch = import_batch_create(user=alice, upload=upload, mode=ImportMode.UPDATE, background=False)

    assert batch.status == ImportStatus.VALID, batch.errors
    assert (batch.unchanged_rows, batch.changed_rows) == (len(Direction), 0)


def test_the_template_offers_every_direction_in_its_drop_down_and_its_help(client, alice):
    client.force_login(alice)
    wb = load_workbook(io.BytesIO(client.get(reverse("register:import_template")).content))

    headers = [c.value.lstrip("*") for c in wb[DATA_SHEET][1]]
    letter = wb[DATA_SHEET].cell(row=1, column=headers.index("盘活方向") + 1).column_letter
    [listed] = [
        dv.formula1 for dv in wb[DATA_SHEET].data_validations.dataValidation if str(dv.sqref).startswith(f"{letter}2")
    ]
    assert listed == '"' + ",".join(Direction.labels) + '"'
    assert len(listed) <= 255  # Excel's limit for a list typed into its validation
    [help_row] = [r for r in wb[HELP_SHEET].iter_rows(values_only=True) if r[0] == "盘活方向"]
    assert all(label in help_row[2] for label in Direction.labels)


def test_a_direction_not_in_the_list_is_refused_naming_the_allowed_values_and_nothing_is_saved(client, alice):
    client.force_login(alice)
    rows = [
        ledger_row(资产编号="MX-YZ-FX-01", 盘活方向="无偿划转", 持有单位=SCHOOL),
        ledger_row(资产编号="MX-YZ-FX-02", 盘活方向="政府收购", 持有单位=SCHOOL),
    ]

    response = client.post(reverse("register:import"), {"file": filled_template(client, rows)})

    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID
    assert [e["message"] for e in batch.errors] == [
        "第3行「盘活方向」只能填写：调剂、出租出借、公开转让、拍卖、功能转型、委托运营、报废、无偿划转、作价入股、置换、"
        "协议有偿收回（政府收储）、延长动工期限、安排临时使用、特许经营、开放共享、其他，现为“政府收购”。"
    ]
    assert not Asset.objects.exists()  # the good row is not written either


@pytest.mark.parametrize(
    ("typed", "direction"),
    [
        ("协议有偿收回(政府收储)", Direction.LAND_RECOVERY),  # half-width brackets
        ("无偿\u200b划转", Direction.FREE_TRANSFER),  # a zero-width space pasted from a web page
        ("\ufeff特许经营", Direction.CONCESSION),  # a byte-order mark
        (" 开放 共享 ", Direction.OPEN_SHARING),  # blanks
        ("作价入股\u2060", Direction.EQUITY),  # a word joiner
    ],
)
def test_a_look_alike_of_a_direction_is_that_direction(alice, typed, direction):
    [asset] = import_ledger(alice, ledger_row(盘活方向=typed))

    assert asset.direction == direction
