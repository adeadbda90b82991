"""An import reads its workbook once (issue 15 §4): the validation keeps the rows it read beside the batch, and the
commit checks those rows against the register again, as it is at the commit, without parsing the file a second time."""

import datetime
import gzip
import os
from decimal import Decimal

import pytest

from assets.imports import import_batch_commit, import_batch_create
from assets.models import Asset, ImportBatch, ImportStatus, Organization

from .test_excel import good_row, messages_of, rows_of, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_commit_writes_the_kept_rows_without_the_workbook(alice):
    row = good_row(**{"资产名称": "原实验楼𠀀", "面积（㎡）": None, "面积（亩）": "1.5", "原值（元）": "1,234,567.89",
                      "净值（元）": "１，０００", "取得日期": "2021年3月5日", "数量": None, "计量单位": None,
                      "纬度": 31.681, "经度": "103.853", "备注": "第一行\n第二行"})  # fmt: skip
    batch = import_batch_create(user=alice, upload=xlsx([row, *rows_of(2)[1:]]))
    assert batch.status == ImportStatus.VALID, batch.errors
    assert batch.checked_rows.name.endswith(".rows.jsonl.gz")
    os.remove(batch.file.path)  # the commit has no use for the workbook any more

    batch = import_batch_commit(batch=batch, user=alice)

    assert batch.status == ImportStatus.COMMITTED, batch.message
    asset = Asset.objects.get(code="MX1Z-001")
    assert (asset.name, asset.remarks) == ("原实验楼𠀀", "第一行\n第二行")
    assert (asset.original_value, asset.net_value) == (Decimal("1234567.89"), Decimal(1000))
    assert asset.area_m2 == Decimal("1000.00")  # 1.5 亩
    assert asset.acquired_on == datetime.date(2021, 3, 5)
    assert (asset.latitude, asset.longitude) == (Decimal("31.681000"), Decimal("103.853000"))
    assert (asset.quantity, asset.unit_of_measure, asset.holding_unit.name) == (1, "项", "茂县第一中学")
    assert Asset.objects.filter(import_batch=batch).count() == 2


def test_the_kept_rows_are_checked_again_against_the_register_at_the_commit(adam, town):
    batch = import_batch_create(user=adam, upload=xlsx(rows_of(2, **{"持有单位": town.name})))
    assert batch.status == ImportStatus.VALID, batch.errors
    Organization.objects.filter(pk=town.pk).update(is_active=False)  # the unit is closed meanwhile

    batch = import_batch_commit(batch=batch, user=adam)

    assert batch.status == ImportStatus.INVALID
    assert batch.message.startswith("确认导入时重新校验发现错误（台账在校验之后有变化），未导入任何数据。")
    assert messages_of(batch) == [f"第{n}行「持有单位」“{town.name}”已停用，不能导入其资产。" for n in (2, 3)]
    assert [item["ok"] for item in batch.preview] == [False, False]  # the validation's preview, marked again
    assert not Asset.objects.exists()


def test_a_batch_validated_before_rows_were_kept_is_read_again_from_its_workbook(alice):
    batch = import_batch_create(user=alice, upload=xlsx(rows_of(3)))
    ImportBatch.objects.filter(pk=batch.pk).update(checked_rows="")
    batch = ImportBatch.objects.get(pk=batch.pk)

    batch = import_batch_commit(batch=batch, user=alice)

    assert batch.status == ImportStatus.COMMITTED, batch.message
    assert Asset.objects.filter(import_batch=batch).count() == 3


def test_kept_rows_of_an_unknown_layout_are_not_trusted(alice):
    batch = import_batch_create(user=alice, upload=xlsx(rows_of(2)))
    with gzip.open(batch.checked_rows.path, "wt", encoding="utf-8") as kept:
        kept.write('{"version": 0}\n["nonsense"]\n')

    batch = import_batch_commit(batch=batch, user=alice)

    assert batch.status == ImportStatus.COMMITTED, batch.message  # read from the workbook instead
    assert Asset.objects.filter(import_batch=batch).count() == 2


def test_a_file_with_errors_keeps_no_rows(alice):
    batch = import_batch_create(user=alice, upload=xlsx([good_row(**{"净值（元）": "很多"})]))

    assert batch.status == ImportStatus.INVALID
    assert not batch.checked_rows
