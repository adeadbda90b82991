"""Updating the register by import (issue 12 §5): rows matched by 资产编号 within the clerk's own ledger, a diff of
every changed field before anything is written, one transaction for the whole file, each asset's change on the
trail; what an update may not change, codes it does not know, and who may update."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from assets import imports
from assets.imports import DATA_SHEET, UPDATE_REFUSAL, XLSX_CONTENT_TYPE, import_batch_create
from assets.models import Asset, AssetStatus, ImportBatch, ImportMode, ImportStatus, UsageStatus
from audit.chain import audit_chain_verify
from audit.models import AuditEvent

from ..cases import two_years_ago, verified
from ..factories import UserFactory
from ..ledgers import import_ledger, ledger_row
from .test_hostile_input import with_excel_escapes

pytestmark = pytest.mark.django_db

SCHOOL = "茂县第一中学"


@pytest.fixture
def ledger(alice, school):
    """Three computers of the school, imported by its clerk."""
    return import_ledger(
        alice,
        ledger_row(资产编号="MX-YZ-PC-001", 资产名称="台式计算机", **{"净值（元）": 1200}),
        ledger_row(资产编号="MX-YZ-PC-002", 资产名称="笔记本电脑"),
        ledger_row(资产编号="MX-YZ-PC-003", 资产名称="激光打印机", 资产子类="其他办公设备"),
    )


def exported(client, user) -> Workbook:
    """The ledger as `user` exports it from the register's page."""
    client.force_login(user)
    response = client.get(reverse("register:export"))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def edit(wb: Workbook, code: str, **values) -> None:
    """Changes the cells of `code`'s row, by header."""
    ws = wb[DATA_SHEET]
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == code)
    for header, value in values.items():
        row[headers.index(header)].value = value


def as_upload(wb: Workbook, name="台账更新.xlsx") -> SimpleUploadedFile:
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX_CONTENT_TYPE)


def sheet(headers: list[str], *rows: list) -> SimpleUploadedFile:
    """A workbook of just these columns, as a clerk keeps one for a quick change."""
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append(headers)
    for row in rows:
        ws.append(row)
    return as_upload(wb)


def upload_update(client, user, upload):
    client.force_login(user)
    return client.post(reverse("register:import"), {"mode": ImportMode.UPDATE, "file": upload})


def batch_of(response) -> ImportBatch:
    assert response.status_code == 302, response.content.decode()[:3000]
    return ImportBatch.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def messages_of(batch: ImportBatch) -> list[str]:
    return [e["message"] for e in batch.errors]


def stored(code: str) -> Asset:
    return Asset.objects.get(code=code)


# -- the diff, then the commit ------------------------------------------------------------------------------------


def test_a_clerk_updates_her_ledger_from_its_export_seeing_each_change_before_it_is_written(client, alice, ledger):
    wb = exported(client, alice)
    edit(wb, "MX-YZ-PC-001", **{"净值（元）": 1000, "责任人": "李四"})
    edit(wb, "MX-YZ-PC-002", 使用状况="闲置", 停用日期=two_years_ago(), 闲置原因="教室改造后停用")

    batch = batch_of(upload_update(client, alice, as_upload(wb)))

    assert (batch.mode, batch.status) == (ImportMode.UPDATE, ImportStatus.VALID), batch.errors
    assert (batch.total_rows, batch.changed_rows, batch.unchanged_rows) == (3, 2, 1)
    assert batch.preview == [
        {"row": 2, "ok": True, "code": "MX-YZ-PC-001", "name": "台式计算机", "changes": [
            {"label": "净值（元）", "from": "1,200.00", "to": "1,000.00"},
            {"label": "责任人", "from": "张三", "to": "李四"},
        ]},
        {"row": 3, "ok": True, "code": "MX-YZ-PC-002", "name": "笔记本电脑", "changes": [
            {"label": "使用状况", "from": "正常使用", "to": "闲置"},
            {"label": "停用日期", "from": "", "to": two_years_ago().isoformat()},
            {"label": "闲置原因", "from": "", "to": "教室改造后停用"},
        ]},
    ]  # fmt: skip
    page = client.get(reverse("register:import_detail", args=[batch.pk])).content.decode()
    assert "修改明细" in page and "<del>1,200.00</del>" in page and "<b>1,000.00</b>" in page
    assert "MX-YZ-PC-003" not in page  # 无变化: counted, not listed
    assert 'id="import-unchanged">1<' in page and "确认更新（2 项）" in page
    assert stored("MX-YZ-PC-001").net_value == Decimal("1200.00")  # nothing written before the commit

    response = client.post(reverse("register:import_commit", args=[batch.pk]))

    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.message) == (ImportStatus.COMMITTED, "已更新 2 项资产，1 行无变化。")
    first, second, third = (stored(c) for c in ("MX-YZ-PC-001", "MX-YZ-PC-002", "MX-YZ-PC-003"))
    assert (first.net_value, first.responsible_person) == (Decimal("1000.00"), "李四")
    assert (second.usage_status, second.idle_since) == (UsageStatus.IDLE, two_years_ago())
    assert first.import_batch_id == ledger[0].import_batch_id  # still the batch that registered it
    # Audited per asset, as an edit on the asset's page is; the unchanged row leaves nothing.
    change = AuditEvent.objects.get(action="asset_change", asset=first)
    assert change.actor == alice and change.organization == alice.organization
    assert change.data["changes"] == {
        "net_value": {"label": "净值（元）", "from": "1200.00", "to": "1000.00"},
        "responsible_person": {"label": "责任人", "from": "张三", "to": "李四"},
    }
    assert change.data["batch"] == str(batch.pk)
    assert set(AuditEvent.objects.get(action="asset_change", asset=second).data["changes"]) == {
        "usage_status", "idle_since", "idle_reason",
    }  # fmt: skip
    assert not AuditEvent.objects.filter(action="asset_change", asset=third).exists()
    commit = AuditEvent.objects.get(action="import_commit", data__mode="更新")
    assert (commit.data["rows"], commit.data["unchanged"]) == (2, 1)
    assert audit_chain_verify().ok


def test_a_sheet_of_the_code_and_one_column_changes_that_field_only(client, alice, ledger):
    batch = batch_of(upload_update(client, alice, sheet(["资产编号", "净值（元）"], ["MX-YZ-PC-002", "900"])))
    assert batch.status == ImportStatus.VALID, batch.errors
    assert batch.preview[0]["changes"] == [{"label": "净值（元）", "from": "1,200.00", "to": "900.00"}]

    client.post(reverse("register:import_commit", args=[batch.pk]))

    asset = stored("MX-YZ-PC-002")
    assert (asset.net_value, asset.name, asset.responsible_person) == (Decimal("900.00"), "笔记本电脑", "张三")


def test_a_blank_cell_clears_its_field_and_a_blank_quantity_is_one_again(client, alice, ledger):
    batch = batch_of(upload_update(client, alice, sheet(
        ["资产编号", "责任人", "数量"], ["MX-YZ-PC-001", None, None], ["MX-YZ-PC-002", "王五", 3],
    )))  # fmt: skip
    assert batch.status == ImportStatus.VALID, batch.errors
    client.post(reverse("register:import_commit", args=[batch.pk]))
    first, second = stored("MX-YZ-PC-001"), stored("MX-YZ-PC-002")
    assert (first.responsible_person, first.quantity) == ("", 1)
    assert (second.responsible_person, second.quantity) == ("王五", 3)


def test_the_category_and_its_sub_type_change_together_and_a_sub_type_of_another_category_is_refused(
    client, alice, ledger
):
    headers = ["资产编号", "资产类别", "资产子类", "面积（㎡）"]
    building = "房屋构筑物（含标准厂房、存量商品房）"
    refused = batch_of(upload_update(client, alice, sheet(headers, ["MX-YZ-PC-001", building, "计算机", 20])))
    assert refused.status == ImportStatus.INVALID
    assert messages_of(refused) == [
        f"第2行「资产子类」“计算机”不属于「{building}」，可选：标准厂房、存量商品房、办公用房、经营性用房。"
    ]
    # The sub-type alone is looked up within the asset's own category.
    alone = batch_of(upload_update(client, alice, sheet(["资产编号", "资产子类"], ["MX-YZ-PC-001", "办公用房"])))
    assert "“办公用房”不属于「其他：办公设备、专用设备、通用设备」" in messages_of(alone)[0]

    batch = batch_of(upload_update(client, alice, sheet(headers, ["MX-YZ-PC-001", building, "办公用房", 20])))
    assert batch.status == ImportStatus.VALID, batch.errors
    client.post(reverse("register:import_commit", args=[batch.pk]))
    asset = stored("MX-YZ-PC-001")
    assert (asset.category.code, asset.subtype.code, asset.area_m2) == ("building", "office_building", 20)


# -- all or nothing -----------------------------------------------------------------------------------------------


def test_one_bad_row_stops_the_whole_update(client, alice, ledger):
    rows = [["MX-YZ-PC-001", 1000], ["MX-YZ-PC-002", 999_999]]  # 净值 above 原值 (6,500)
    batch = batch_of(upload_update(client, alice, sheet(["资产编号", "净值（元）"], *rows)))

    assert batch.status == ImportStatus.INVALID
    assert messages_of(batch) == ["第3行：净值不能大于原值。"]
    assert [p["ok"] for p in batch.preview] == [True, False]
    response = client.post(reverse("register:import_commit", args=[batch.pk]))
    assert response.status_code == 422 and "该批次存在错误，不能导入。" in response.content.decode()
    assert stored("MX-YZ-PC-001").net_value == Decimal("1200.00")
    assert not AuditEvent.objects.filter(action="asset_change").exists()


def test_a_row_changed_between_the_check_and_the_write_rolls_back_every_row(client, alice, ledger, monkeypatch):
    batch = batch_of(upload_update(client, alice, sheet(
        ["资产编号", "净值（元）"], ["MX-YZ-PC-001", 1000], ["MX-YZ-PC-002", 1100],
    )))  # fmt: skip
    assert batch.status == ImportStatus.VALID, batch.errors
    real_check = imports._check_stored_file

    def check_then_someone_edits_a_row(batch, *, keep_assets):
        outcome = real_check(batch, keep_assets=keep_assets)
        # The clerk's colleague saves the second computer on its page meanwhile.
        Asset.objects.filter(code="MX-YZ-PC-002").update(
            responsible_person="赵六", updated_at=timezone.now() + datetime.timedelta(seconds=1)
        )
        return outcome

    monkeypatch.setattr(imports, "_check_stored_file", check_then_someone_edits_a_row)

    client.post(reverse("register:import_commit", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.status == ImportStatus.INVALID
    assert batch.message.startswith("写入时发现台账已有变化，未更新任何资产。")
    assert messages_of(batch) == [
        "第3行：资产“MX-YZ-PC-002”在校验之后被修改或进入了处置流程，请导出最新台账后重新填写。"
    ]
    assert stored("MX-YZ-PC-001").net_value == Decimal("1200.00")  # the first row was rolled back with it
    assert not AuditEvent.objects.filter(action__in=["asset_change", "import_commit"], data__mode="更新").exists()


def test_a_file_with_no_change_has_nothing_to_commit(client, alice, ledger):
    batch = batch_of(upload_update(client, alice, as_upload(exported(client, alice))))

    assert (batch.status, batch.unchanged_rows, batch.changed_rows) == (ImportStatus.VALID, 3, 0)
    assert "与台账完全一致（无变化），无需更新" in batch.message
    page = client.get(reverse("register:import_detail", args=[batch.pk])).content.decode()
    assert "确认更新" not in page
    response = client.post(reverse("register:import_commit", args=[batch.pk]))
    assert response.status_code == 422 and "没有需要更新的内容" in response.content.decode()


# -- codes it does not know ---------------------------------------------------------------------------------------


def test_an_unknown_code_and_another_units_code_are_refused_alike_and_tell_nothing(client, alice, bob, ledger):
    [theirs] = import_ledger(bob, ledger_row(资产编号="MX-FY-PC-001", 资产名称="凤仪镇的投影仪"))
    rows = [["MX-YZ-PC-001", 1000], ["MX-FY-PC-001", 1], ["MX-NONE-404", 1]]

    batch = batch_of(upload_update(client, alice, sheet(["资产编号", "净值（元）"], *rows)))

    assert batch.status == ImportStatus.INVALID
    assert messages_of(batch) == [
        "第3行「资产编号」“MX-FY-PC-001”不在本单位台账中，无法更新。新登记的资产请用“新增”方式导入。",
        "第4行「资产编号」“MX-NONE-404”不在本单位台账中，无法更新。新登记的资产请用“新增”方式导入。",
    ]
    page = client.get(reverse("register:import_detail", args=[batch.pk])).content.decode()
    assert "凤仪镇" not in page and "投影仪" not in page
    assert Asset.objects.get(pk=theirs.pk).net_value == Decimal("1200.00")


def test_a_look_alike_code_finds_the_asset_it_stands_for(client, alice, ledger):
    batch = batch_of(upload_update(client, alice, sheet(["资产编号", "净值（元）"], ["ｍｘ-yz-\u200bpc-００１", 800])))
    assert batch.status == ImportStatus.VALID, batch.errors
    client.post(reverse("register:import_commit", args=[batch.pk]))
    assert stored("MX-YZ-PC-001").net_value == Decimal("800.00")


# -- what an update may not change --------------------------------------------------------------------------------


def test_the_holding_unit_and_the_ledger_status_are_refused_with_the_reason(client, alice, ledger, town):
    wb = exported(client, alice)
    edit(wb, "MX-YZ-PC-001", 持有单位=town.name)
    edit(wb, "MX-YZ-PC-002", 台账状态="已处置")

    batch = batch_of(upload_update(client, alice, as_upload(wb)))

    assert batch.status == ImportStatus.INVALID
    assert messages_of(batch) == [
        "第2行「持有单位」不能通过导入修改：本行资产属于“茂县第一中学”，表中填的是“茂县凤仪镇人民政府”。"
        "资产调往其他单位须通过调剂办理。",
        "第3行「台账状态」不能通过导入修改（现为“在用”，表中填的是“已处置”）：台账状态只随盘活流程变化。",
    ]
    assert set(Asset.objects.values_list("holding_unit__name", "status").distinct()) == {(SCHOOL, AssetStatus.IN_USE)}


def test_an_asset_in_a_case_is_not_changed_by_an_update_but_may_be_listed_unchanged(
    client, alice, henry, rita, computer
):
    verified(computer, alice, henry, rita)
    unchanged = batch_of(upload_update(client, alice, as_upload(exported(client, alice))))
    assert (unchanged.status, unchanged.unchanged_rows) == (ImportStatus.VALID, 1), unchanged.errors

    batch = batch_of(upload_update(client, alice, sheet(["资产编号", "净值（元）"], [computer.code, 100])))

    assert batch.status == ImportStatus.INVALID
    assert messages_of(batch) == [
        f"第2行：资产“{computer.code}”台账状态为“处置中”，处置中和已处置的资产台账信息只随盘活流程变化，"
        "不能通过导入修改。"
    ]
    assert stored(computer.code).net_value == Decimal("1200.00")


def test_an_update_needs_the_code_column_and_something_to_change(client, alice, ledger):
    response = upload_update(client, alice, sheet(["资产名称", "净值（元）"], ["台式计算机", 1]))
    assert response.status_code == 422 and "没有找到表头（应包含「资产编号」等列）" in response.content.decode()

    response = upload_update(client, alice, sheet(["资产编号", "备忘"], ["MX-YZ-PC-001", "x"]))
    assert response.status_code == 422
    page = response.content.decode()
    assert "至少要有一列要修改的内容" in page
    assert 'value="update" id="id_mode_1" checked' in page  # the choice made is kept for the next try
    assert not ImportBatch.objects.filter(mode=ImportMode.UPDATE).exists()


# -- hostile cells ------------------------------------------------------------------------------------------------


HOSTILE_HEADERS = ["资产编号", "资产名称", "资产位置", "净值（元）", "备注"]


def hostile_update() -> SimpleUploadedFile:
    """𠀀 (CJK Ext-B) with a zero-width space, a full-width amount, a bidi override, a control character as Excel
    writes one (_x0001_), and 100,000 characters in one cell (put into the XML: openpyxl stops at Excel's 32,767)."""
    upload = sheet(
        HOSTILE_HEADERS,
        ["MX-YZ-PC-001", "𠀀号\u200b机房电脑", "茂县凤仪镇", "１，０００", None],
        ["MX-YZ-PC-002", "笔记本电脑", "凤仪镇\u202eCBA路", 1200, "CONTROL"],
        ["MX-YZ-PC-003", "激光打印机", "茂县凤仪镇", 1200, "LONGTEXT"],
    )
    return with_excel_escapes(upload, CONTROL="坏_x0001_了", LONGTEXT="长" * 100_000)


def test_hostile_cells_in_an_update_are_refused_or_cleaned_as_in_a_new_row(client, alice, ledger):
    batch = batch_of(upload_update(client, alice, hostile_update()))

    assert batch.status == ImportStatus.INVALID
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "资产位置"), (3, "备注"), (4, "备注")]
    first, second, third = messages_of(batch)
    assert first.startswith("第3行「资产位置」含有改变文字方向的隐藏字符从右向左强制（U+202E）（第 4 个字符）")
    assert second.startswith("第3行「备注」含有不可见的控制字符 U+0001（第 2 个字符）")
    assert third == "第4行「备注」最多 2000 个字，现有 100000 个字。"
    assert batch.preview[0]["changes"] == [
        {"label": "资产名称", "from": "台式计算机", "to": "𠀀号机房电脑"},
        {"label": "净值（元）", "from": "1,200.00", "to": "1,000.00"},
    ]
    assert not AuditEvent.objects.filter(action="asset_change").exists()

    fixed = sheet(HOSTILE_HEADERS[:4], ["MX-YZ-PC-001", "𠀀号\u200b机房电脑", "茂县凤仪镇", "１，０００"])
    client.post(reverse("register:import_commit", args=[batch_of(upload_update(client, alice, fixed)).pk]))
    assert (stored("MX-YZ-PC-001").name, stored("MX-YZ-PC-001").net_value) == ("𠀀号机房电脑", Decimal("1000.00"))


# -- who may update -----------------------------------------------------------------------------------------------


def test_an_administrator_is_told_to_add_not_update(client, adam, alice, ledger):
    response = upload_update(client, adam, sheet(["资产编号", "净值（元）"], ["MX-YZ-PC-001", 1]))

    assert response.status_code == 422 and UPDATE_REFUSAL in response.content.decode()
    with pytest.raises(PermissionDenied):
        import_batch_create(
            user=adam, upload=sheet(["资产编号", "净值（元）"], ["MX-YZ-PC-001", 1]), mode=ImportMode.UPDATE
        )
    assert not ImportBatch.objects.filter(mode=ImportMode.UPDATE).exists()


@pytest.mark.parametrize("persona", ["henry", "sam", "rita", "fiona"])
def test_no_other_role_may_update(client, request, persona, ledger):
    response = upload_update(
        client, request.getfixturevalue(persona), sheet(["资产编号", "净值（元）"], ["MX-YZ-PC-001", 1])
    )
    assert response.status_code == 403
    assert stored("MX-YZ-PC-001").net_value == Decimal("1200.00")


def test_only_the_uploader_commits_an_update(client, alice, ledger, school):
    colleague = UserFactory(username="alice2", organization=school, roles=["unit_clerk"])
    batch = batch_of(upload_update(client, alice, sheet(["资产编号", "净值（元）"], ["MX-YZ-PC-001", 1])))
    client.force_login(colleague)
    assert client.post(reverse("register:import_commit", args=[batch.pk])).status_code == 404
    assert stored("MX-YZ-PC-001").net_value == Decimal("1200.00")


# -- the caps and the background path -----------------------------------------------------------------------------


def test_an_update_over_the_row_limit_is_refused_as_a_whole(client, alice, ledger, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    rows = [["MX-YZ-PC-001", 1], ["MX-YZ-PC-002", 1], ["MX-YZ-PC-003", 1]]
    batch = batch_of(upload_update(client, alice, sheet(["资产编号", "净值（元）"], *rows)))
    assert (batch.status, messages_of(batch)) == (ImportStatus.INVALID, ["数据超过 2 行，请分成几个文件分别导入。"])


def test_a_large_update_is_checked_and_written_as_background_jobs_with_progress(
    client, alice, ledger, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PANHUO = {**settings.PANHUO, "IMPORT_ASYNC_ROWS": 2}
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    rows = [["MX-YZ-PC-001", 1001], ["MX-YZ-PC-002", 1002], ["MX-YZ-PC-003", 1003]]

    with django_capture_on_commit_callbacks() as callbacks:
        batch = batch_of(upload_update(client, alice, sheet(["资产编号", "净值（元）"], *rows)))
    assert (batch.status, batch.mode) == (ImportStatus.PENDING, ImportMode.UPDATE)
    for callback in callbacks:
        callback()
    progress = client.get(reverse("register:import_progress", args=[batch.pk])).json()
    assert (progress["status"], progress["processed_rows"], progress["done"]) == ("valid", 3, True)
    batch.refresh_from_db()
    assert batch.heartbeat_at is not None

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(reverse("register:import_commit", args=[batch.pk])).status_code == 302
    assert len(callbacks) == 1
    assert [stored(c).net_value for c, _ in rows] == [Decimal(1001), Decimal(1002), Decimal(1003)]
    assert AuditEvent.objects.filter(action="asset_change").count() == 3
