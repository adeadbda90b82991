"""What a hostile or careless user sends the register: decompression bombs, control characters, look-alike codes,
bidi overrides, endless text, units that are not units. Each is refused with a clear Chinese message and loses
nothing; what got into the database before the rules existed still exports."""

import io
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets.imports import DATA_SHEET, HEADERS, import_template_workbook
from assets.models import Asset, AssetAttachment, ImportBatch, ImportStatus, MeasureUnit, Organization

from ..clock import TODAY
from ..ledgers import filled_template, import_ledger, ledger_row
from .test_register_views import asset_form_data

pytestmark = pytest.mark.django_db

# The apps whose forms users fill in.
PRODUCT_APPS = ("accounts", "assets", "audit", "documents", "supervision", "workflows")

MIB = 1024 * 1024


# -- memory and time ------------------------------------------------------------------------------------------------


def _peak_rss_reset() -> None:
    # Linux: "5" resets the peak resident set size (VmHWM) of this process to its current size.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _rss(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/self/status")


class Bounded:
    """Times a block and measures how far the process's peak memory rose above where it stood."""

    def __enter__(self):
        _peak_rss_reset()
        self.rss_before = _rss("VmRSS")
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.started
        self.grown = _rss("VmHWM") - self.rss_before
        return False


def _deflated(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = 1  # fast to make; the bomb still expands 230 times
    return info


def stream_part(package: bytes, name: str, write) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info.filename))
        with dst.open(_deflated(zipfile.ZipInfo(name)), "w", force_zip64=True) as member:
            write(member)
    return out.getvalue()


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
    + "".join(f'<c t="inlineStr"><is><t>{header}</t></is></c>' for header in HEADERS).encode()
    + b"</row>"
)
SHEET_TAIL = b"</sheetData></worksheet>"


@pytest.fixture(scope="module")
def template_bytes(django_db_blocker):
    with django_db_blocker.unblock():
        return import_template_workbook()


@pytest.fixture(scope="module")
def text_node_bomb(template_bytes) -> bytes:
    """The app's own template whose sharedStrings.xml holds one text node of 1 GiB: a file of a few MB."""

    def write(member):
        member.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
        chunk = b"A" * MIB
        for _ in range(1024):
            member.write(chunk)
        member.write(b"</t></si></sst>")

    return stream_part(template_bytes, "xl/sharedStrings.xml", write)


@pytest.fixture(scope="module")
def blank_rows_bomb(template_bytes) -> bytes:
    """Ten million blank <row/> under a header: about 100 KB."""

    def write(member):
        member.write(SHEET_HEAD)
        chunk = b"<row/>" * 100_000
        for _ in range(100):
            member.write(chunk)
        member.write(SHEET_TAIL)

    return stream_part(template_bytes, "xl/worksheets/sheet1.xml", write)


@pytest.fixture(scope="module")
def far_row_sheet(template_bytes) -> bytes:
    """A header, then one cell in the sheet's last row: small and not compressible, yet a million rows to read."""

    def write(member):
        member.write(SHEET_HEAD)
        member.write(b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>X</t></is></c></row>')
        member.write(SHEET_TAIL)

    return stream_part(template_bytes, "xl/worksheets/sheet1.xml", write)


def upload(client, user, data: bytes, name="台账.xlsx", mode="add"):
    client.force_login(user)
    return client.post(reverse("register:import"), {"file": SimpleUploadedFile(name, data), "mode": mode})


@pytest.mark.parametrize("mode", ["add", "update"])
@pytest.mark.parametrize("bomb", ["text_node_bomb", "blank_rows_bomb"])
def test_a_decompression_bomb_is_refused_within_2_s_with_bounded_memory(client, alice, bomb, mode, request):
    data = request.getfixturevalue(bomb)
    assert len(data) < 5 * MIB

    with Bounded() as bounded:
        response = upload(client, alice, data, mode=mode)

    assert response.status_code == 422
    page = response.content.decode()
    assert "文件解压后过大" in page and "压缩炸弹" in page
    assert bounded.seconds < 2, bounded.seconds
    assert bounded.grown < 150 * MIB, bounded.grown
    assert not ImportBatch.objects.exists() and not Asset.objects.exists()


def test_a_sheet_reaching_its_last_row_is_refused_after_a_bounded_read(
    client, alice, far_row_sheet, django_capture_on_commit_callbacks
):
    # A sheet that does not state its size is checked as a background job (in-process here).
    with Bounded() as bounded, django_capture_on_commit_callbacks(execute=True):
        response = upload(client, alice, far_row_sheet)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.status == ImportStatus.INVALID
    assert "工作表超过 55,000 行（含空白行）" in batch.message
    assert bounded.seconds < 2, bounded.seconds
    assert bounded.grown < 150 * MIB, bounded.grown
    assert not Asset.objects.exists()


def test_an_office_file_bomb_is_refused_as_evidence_too(client, alice, text_node_bomb):
    [asset] = import_ledger(alice, ledger_row())
    client.force_login(alice)
    upload = SimpleUploadedFile("说明.xlsx", text_node_bomb)

    response = client.post(reverse("register:attachment_upload", args=[asset.pk]), {"kind": "other", "file": upload})

    assert response.status_code == 422 and "压缩炸弹" in response.content.decode()
    assert not AssetAttachment.objects.exists()


def test_a_real_50_000_row_sheet_passes_the_package_check(alice):
    """The limits leave room for the largest ledger the import takes (its ratio is about 17:1)."""
    from core.uploads import check_package, office_package_limits

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    for i in range(50_000):
        ws.append([f"MX-T-{i:06d}", "办公椅", "其他：办公设备、专用设备、通用设备", "茂县第一中学", 350.0, 35.0])
    out = io.BytesIO()
    wb.save(out)
    check_package(io.BytesIO(out.getvalue()), office_package_limits())


# -- control characters, bidi overrides, look-alikes, length --------------------------------------------------------


def post_asset(client, user, **overrides):
    client.force_login(user)
    return client.post(reverse("register:add"), asset_form_data(**overrides))


def test_a_control_character_pasted_into_a_name_is_refused_and_a_vertical_tab_becomes_a_blank(client, alice):
    refused = post_asset(client, alice, name="控制字符\x0b测试\x01资产")
    assert refused.status_code == 422
    assert "不可见的控制字符 U+0001（第 8 个字符）" in refused.content.decode()
    assert not Asset.objects.exists()

    kept = post_asset(client, alice, name="控制字符\x0b测试资产", remarks="第一行\x0b第二行\r\n第三行")
    assert kept.status_code == 302
    asset = Asset.objects.get()
    assert asset.name == "控制字符 测试资产" and asset.remarks == "第一行\n第二行\n第三行"


@pytest.mark.parametrize("override", ["\u202e", "\u2066", "\u200f"])
def test_a_bidi_control_in_free_text_is_refused_naming_what_it_does(client, alice, override):
    response = post_asset(client, alice, address=f"凤仪镇{override}CBA路")
    assert response.status_code == 422 and "改变文字方向的隐藏字符" in response.content.decode()
    assert not Asset.objects.exists()


def test_zero_width_characters_are_dropped_from_free_text(client, alice):
    assert post_asset(client, alice, name="激光\u200b打印\ufeff机").status_code == 302
    assert Asset.objects.get().name == "激光打印机"


@pytest.mark.parametrize(
    "lookalike",
    [
        "MX-ZHONGXUE-SB-\u200b0001",  # a zero-width space
        "\u200eMX-ZHONGXUE-SB-0001\u200f",  # bidi marks
        "ＭＸ－ＺＨＯＮＧＸＵＥ－ＳＢ－０００１",  # full-width letters, digits and hyphens
        "mx-zhongxue-sb-0001",  # lower case
        " MX-ZHONGXUE-SB-0001 ",
    ],
)
def test_an_asset_code_that_looks_like_a_registered_one_is_the_same_code(client, alice, lookalike):
    assert post_asset(client, alice, code="MX-ZHONGXUE-SB-0001").status_code == 302

    in_form = post_asset(client, alice, code=lookalike)
    assert in_form.status_code == 422 and "资产编号" in in_form.content.decode()

    client.force_login(alice)
    response = client.post(reverse("register:import"), {"file": filled_template(client, [
        ledger_row(资产编号=lookalike, 持有单位="茂县第一中学"),
    ])})  # fmt: skip
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.status == ImportStatus.INVALID
    assert "“MX-ZHONGXUE-SB-0001”已在台账中登记" in batch.errors[0]["message"]
    assert list(Asset.objects.values_list("code", flat=True)) == ["MX-ZHONGXUE-SB-0001"]


def test_two_look_alike_codes_in_one_file_are_a_duplicate(alice, client):
    client.force_login(alice)
    rows = [
        ledger_row(资产编号="mx-t-0001", 持有单位="茂县第一中学"),
        ledger_row(资产编号="ＭＸ-T-0001", 持有单位="茂县第一中学"),
    ]
    client.post(reverse("register:import"), {"file": filled_template(client, rows)})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID
    assert "第3行「资产编号」“MX-T-0001”与第2行重复。" in [e["message"] for e in batch.errors]


def test_an_imported_code_is_stored_in_its_normal_form(alice):
    [asset] = import_ledger(alice, ledger_row(资产编号="ｍｘ-yz-\u200bpc-7"))
    assert asset.code == "MX-YZ-PC-7"


def test_100_000_characters_are_refused_with_the_fields_limit_in_the_form_and_the_import(client, alice):
    response = post_asset(client, alice, remarks="长" * 100_000)
    assert response.status_code == 422 and "2000" in response.content.decode()

    client.force_login(alice)  # an Excel cell holds at most 32,767 characters
    rows = [ledger_row(备注="长" * 32_767, 持有单位="茂县第一中学")]
    client.post(reverse("register:import"), {"file": filled_template(client, rows)})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID
    assert "第2行「备注」最多 2000 个字，现有 32767 个字。" in [e["message"] for e in batch.errors]
    assert not Asset.objects.exists()


def with_excel_escapes(upload: SimpleUploadedFile, **texts: str) -> SimpleUploadedFile:
    """The workbook with placeholders replaced by raw XML text, as Excel writes a pasted control character."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(upload.read())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            for placeholder, xml in texts.items():
                data = data.replace(placeholder.encode(), xml.encode())
            dst.writestr(info, data)
    return SimpleUploadedFile(upload.name, out.getvalue())


def test_a_control_character_in_an_import_row_names_its_row_and_column_and_a_vertical_tab_is_a_blank(client, alice):
    client.force_login(alice)
    rows = [
        ledger_row(资产名称="NAME1", 持有单位="茂县第一中学"),
        ledger_row(资产编号="MX-T-2", 资产名称="NAME2", 持有单位="茂县第一中学"),
    ]
    upload = with_excel_escapes(filled_template(client, rows), NAME1="打印机_x0001_", NAME2="𠀀号_x000B_库房")
    client.post(reverse("register:import"), {"file": upload})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID
    [error] = batch.errors
    assert error["message"].startswith("第2行「资产名称」含有不可见的控制字符 U+0001"), error

    rows = [ledger_row(资产编号="MX-T-3", 资产名称="NAME3", 持有单位="茂县第一中学")]
    response = client.post(reverse("register:import"), {
        "file": with_excel_escapes(filled_template(client, rows), NAME3="𠀀号_x000B_库房"),
    })  # fmt: skip
    batch = ImportBatch.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])
    client.post(reverse("register:import_commit", args=[batch.pk]))
    assert Asset.objects.get(code="MX-T-3").name == "𠀀号 库房"


def test_every_text_field_of_every_form_has_a_maximum_length():
    """So that no field takes 100,000 characters and an export silently cuts them at 32,767."""
    from django import forms

    import accounts.views  # noqa: F401
    import supervision.archive_views
    import supervision.dashboard_views
    import supervision.forms  # noqa: F401
    import workflows.forms  # noqa: F401

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [f for f in subclasses(forms.BaseForm) if f.__module__.split(".")[0] in PRODUCT_APPS]
    assert len(ours) > 15
    unbounded = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in ours
        for name, field in form.base_fields.items()
        if isinstance(field, forms.CharField) and field.max_length is None
    ]
    assert unbounded == []


# -- units of measure -----------------------------------------------------------------------------------------------


def test_the_unit_of_measure_is_one_of_the_list_in_the_form_and_the_import(client, alice):
    assert "台" in MeasureUnit.names() and "亩" in MeasureUnit.names()
    response = post_asset(client, alice, unit_of_measure="台。")
    assert response.status_code == 422 and "计量单位" in response.content.decode()

    client.force_login(alice)
    client.post(
        reverse("register:import"),
        {"file": filled_template(client, [ledger_row(计量单位="台。", 持有单位="茂县第一中学")])},
    )
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.INVALID and "不在计量单位列表中" in batch.errors[0]["message"]

    [asset] = import_ledger(alice, ledger_row(资产编号="MX-T-9", 计量单位="套"))
    assert asset.unit_of_measure == "套"


def test_a_unit_the_administrator_retires_is_refused_for_new_rows(client, alice):
    MeasureUnit.objects.filter(name="台").update(is_active=False)
    response = post_asset(client, alice, unit_of_measure="台")
    assert response.status_code == 422


def test_the_templates_unit_column_has_the_list_as_a_drop_down(client, alice):
    client.force_login(alice)
    wb = openpyxl.load_workbook(io.BytesIO(client.get(reverse("register:import_template")).content))
    lists = wb["下拉选项"]
    assert [c.value for c in lists[1]][:4] == ["资产类别", "资产子类", "持有单位", "计量单位"]
    units = [row[3].value for row in lists.iter_rows(min_row=2) if row[3].value]
    assert units == MeasureUnit.names()
    ranges = [str(v.sqref) for v in wb[DATA_SHEET].data_validations.dataValidation]
    assert any(r.startswith("H2:") for r in ranges)  # 计量单位 is the 8th column


# -- what was stored before the rules still exports -----------------------------------------------------------------


def test_rows_stored_before_the_rules_with_control_characters_still_export(client, alice, sam):
    [asset] = import_ledger(alice, ledger_row())
    # As a database from before this release may hold them: written past every form.
    Asset.objects.filter(pk=asset.pk).update(name="控制字符\x0b测试\x01资产", remarks="长" * 40_000)
    Organization.objects.filter(pk=alice.organization_id).update(name="茂县第一中学\x02")

    for user in (alice, sam):
        client.force_login(user)
        response = client.get(reverse("register:export"))
        assert response.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(response.content))[DATA_SHEET]
        row = [c.value for c in ws[2]]
        assert row[1] == "控制字符\n测试资产" and row[4] == "茂县第一中学"
        assert len(row[25]) == 32_767 and row[25].endswith("（超出 Excel 单元格上限，已截断）")

    client.force_login(sam)
    for kind, period in (("monthly", TODAY.month), ("quarterly", (TODAY.month - 1) // 3 + 1)):
        response = client.get(reverse("supervision:report_xlsx"), {"kind": kind, "year": TODAY.year, "period": period})
        assert response.status_code == 200
        openpyxl.load_workbook(io.BytesIO(response.content))


def test_the_admin_refuses_a_control_character_and_a_bidi_override_too(client, adam, school):
    adam.is_staff = True
    adam.save()
    client.force_login(adam)
    url = reverse("admin:assets_organization_change", args=[school.pk])
    data = {"name": "茂县第一中学\x01", "short_name": "茂一中\u202e", "kind": school.kind, "is_active": "on"}

    response = client.post(url, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "不可见的控制字符 U+0001" in page and "改变文字方向的隐藏字符" in page
    assert Organization.objects.get(pk=school.pk).name == "茂县第一中学"
