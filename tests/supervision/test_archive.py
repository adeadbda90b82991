"""The archive package (一资产一档案): what one asset's package holds, that it verifies and that any change to it is
named; who may download which package; bulk packages built by the job (in-process, and through a real worker on the
PostgreSQL pass)."""

import asyncio
import csv
import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from assets.models import AttachmentKind
from audit.models import CHAINED_FIELDS, AuditEvent, audit_hash
from documents import signing
from documents.models import DocumentStatus
from documents.services import documents_of
from documents.signing import verify_pdf
from supervision.archive import (
    TRAIL_HEADERS,
    ArchiveError,
    archive_batch_build,
    archive_build,
    archive_verify,
)
from supervision.models import ArchiveBatch, ArchiveScope, JobStatus

from ..cases import attach, issue_all, verified
from ..clock import CLOCK, TODAY, on_the_clock
from ..factories import AssetFactory, UserFactory, category

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


def url(path: str = "") -> str:
    from django.urls import reverse

    return reverse("supervision:archives") + path


@pytest.fixture
def case(computer, alice, henry, rita):
    """The computer reported, signed off and verified, with its two documents issued."""
    case = verified(computer, alice, henry, rita)
    issued = issue_all(case)
    assert [d.status for d in issued] == [DocumentStatus.ISSUED, DocumentStatus.ISSUED]
    return case


@pytest.fixture
def package(case, computer, sam) -> bytes:
    return archive_build(computer, generated_by=sam)


@pytest.fixture
def town_asset(town):
    asset = AssetFactory(code="MX-FY-PC-007", name="镇政府笔记本电脑", holding_unit=town)
    attach(asset, AttachmentKind.PHOTO, name="照片.jpg")
    return asset


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite(data: bytes, *, change: dict | None = None, drop=(), add: dict | None = None) -> bytes:
    """The ZIP written again entry by entry, with some entries altered, left out or added (CRCs recomputed, as
    anyone repacking a ZIP would)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            content = src.read(info.filename)
            if change and info.filename in change:
                content = change[info.filename](content)
            dst.writestr(info.filename, content)
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def flip(offset: int):
    return lambda b: b[:offset] + bytes([b[offset] ^ 0x01]) + b[offset + 1 :]


def verify_command(path) -> str:
    out = io.StringIO()
    call_command("verify_archive", str(path), stdout=out)
    return out.getvalue()


# -- what the package holds -----------------------------------------------------------------------------------------


def test_an_assets_package_holds_its_documents_materials_trail_ledger_and_a_signed_manifest(package, case, computer):
    files = entries(package)
    names = list(files)
    documents = list(documents_of(case).order_by("pk"))
    expected_docs = [f"documents/{d.number}-{d.title}-v{d.version}.pdf" for d in documents]
    assert [n for n in names if n.startswith("documents/")] == expected_docs
    assert expected_docs[0].endswith("-闲置低效资产认定申报表-v1.pdf") and "核查认定意见书" in expected_docs[1]
    for name, document in zip(expected_docs, documents, strict=True):
        assert hashlib.sha256(files[name]).hexdigest() == document.sha256
        assert verify_pdf(files[name]).valid
    materials = [n for n in names if n.startswith("materials/")]
    assert materials == [f"materials/{a.pk}-{a.original_name}" for a in computer.attachments.order_by("pk")]
    for name, attachment in zip(materials, computer.attachments.order_by("pk"), strict=True):
        with attachment.file.open("rb") as stored:
            assert files[name] == stored.read()
    assert names[-6:] == ["trail.json", "trail.csv", "ledger.json", "ledger.csv", "manifest.json", "manifest.p7s"]

    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "panhuo-archive/1" and manifest["kind"] == "asset"
    assert manifest["asset"]["code"] == "MX-YZ-PC-100" and manifest["generated_by"]["name"] == "周明"
    assert [f["path"] for f in manifest["files"]] == names[:-2]  # every entry but the manifest and its signature
    for f in manifest["files"]:
        assert (f["sha256"], f["size"]) == (hashlib.sha256(files[f["path"]]).hexdigest(), len(files[f["path"]]))
    assert [d["number"] for d in manifest["documents"]] == [d.number for d in documents]
    verdict = signing.verify_detached(files["manifest.json"], files["manifest.p7s"])
    assert verdict.valid and verdict.signer == "盘活系统 档案签章"


def test_the_trail_carries_every_chained_field_so_each_event_ties_back_to_the_chain(package, case, computer):
    files = entries(package)
    trail = json.loads(files["trail.json"])
    events = list(AuditEvent.objects.filter(asset=computer).order_by("seq"))
    assert [e["seq"] for e in trail["events"]] == [e.seq for e in events]
    assert {"report", "submit", "verify"} <= {e["action"] for e in trail["events"]}
    for exported, event in zip(trail["events"], events, strict=True):
        assert audit_hash({key: exported[key] for key in CHAINED_FIELDS}) == exported["hash"] == event.hash
        assert exported["prev_hash"] == event.prev_hash
    report = next(e for e in trail["events"] if e["action"] == "report")
    assert (report["actor_name"], report["organization_name"], report["role_label"]) == (
        "李晓红",
        "茂县第一中学",
        "经办人",
    )
    assert (report["case"], report["to_state"], report["to_state_label"], report["ip"]) == (
        case.pk, "draft", "待签发", "10.0.0.8"
    )  # fmt: skip

    raw = files["trail.csv"]
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == TRAIL_HEADERS == [
        "序号", "时间", "操作人", "代理对象", "单位", "角色", "操作", "处置事项", "原状态", "新状态", "录入内容", "IP",
        "摘要",
    ]  # fmt: skip
    assert len(rows) == len(events) + 1
    verify_row = next(r for r in rows[1:] if r[6] == "认定属实")
    assert verify_row[2:6] == ["陈丽", "", "茂县机关事务管理局", "主管部门审核人"]
    assert verify_row[7:10] == [f"#{case.pk}", "待核查认定", "已认定，待拟定方案"]
    assert "情况属实" in verify_row[10] and verify_row[12] == events[[e.action for e in events].index("verify")].hash


def test_the_ledger_lists_every_field_of_the_asset_with_its_label_and_shown_value(package, computer):
    files = entries(package)
    ledger = json.loads(files["ledger.json"])
    fields = {f["name"]: f for f in ledger["fields"]}
    assert set(fields) == {f.name for f in type(computer)._meta.concrete_fields}
    assert (fields["code"]["label"], fields["code"]["display"]) == ("资产编号", "MX-YZ-PC-100")
    assert (fields["usage_status"]["value"], fields["usage_status"]["display"]) == ("idle", "闲置")
    assert fields["holding_unit"]["display"] == "茂县第一中学"
    assert (fields["original_value"]["value"], fields["original_value"]["display"]) == ("6500.00", "6,500.00")
    assert fields["acquired_on"]["display"] == "2012年5月1日"
    raw = files["ledger.csv"]
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["项目", "内容"] and ["资产类别", "其他：办公设备、专用设备、通用设备"] in rows


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_quoted_in_the_csv_only(school, sam):
    asset = AssetFactory(code="MX-YZ-X-1", name='=HYPERLINK("http://evil","点我")', holding_unit=school)
    files = entries(archive_build(asset, generated_by=sam))
    rows = list(csv.reader(io.StringIO(files["ledger.csv"].decode("utf-8-sig"))))
    assert ["资产名称", "'" + asset.name] in rows
    assert {f["name"]: f for f in json.loads(files["ledger.json"])["fields"]}["name"]["value"] == asset.name


def test_odd_material_names_become_safe_unique_paths(school, sam):
    asset = AssetFactory(code="MX-YZ-X-2", holding_unit=school)
    first = attach(asset, AttachmentKind.OTHER, name="../../etc/passwd")
    second = attach(asset, AttachmentKind.OTHER, name='会议纪要:第"1"次?.pdf')
    names = list(entries(archive_build(asset, generated_by=sam)))
    assert f"materials/{first.pk}-.._.._etc_passwd" in names
    assert f"materials/{second.pk}-会议纪要_第_1_次_.pdf" in names
    assert not any(".." in n.split("/") or n.startswith("/") for n in names)


def test_a_document_whose_stored_file_no_longer_matches_its_issue_is_not_packed(client, case, computer, sam):
    document = documents_of(case).first()
    with open(document.file.path, "r+b") as f:
        f.seek(200)
        byte = f.read(1)
        f.seek(200)
        f.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(ArchiveError, match=f"文书“{document.number}”的存档文件与签发时的摘要不一致"):
        archive_build(computer, generated_by=sam)
    client.force_login(sam)
    response = client.get(url(f"asset/{computer.pk}/"), follow=True)
    assert response.redirect_chain == [(url(), 302)]
    assert f"资产 MX-YZ-PC-100 的档案包未能生成：文书“{document.number}”的存档文件与签发时的摘要不一致" in response.text
    assert not AuditEvent.objects.filter(action="export").exists()


# -- verifying -----------------------------------------------------------------------------------------------------


def test_an_untouched_package_verifies_and_the_command_says_how_many_files(package, tmp_path):
    result = archive_verify(package)
    count = len(json.loads(entries(package)["manifest.json"])["files"])
    assert result.valid and result.kind == "asset" and result.files == count == 8, result.message
    assert f"{count} 个文件" in result.message
    path = tmp_path / "MX-YZ-PC-100-档案包.zip"
    path.write_bytes(package)
    out = verify_command(path)
    assert "校验通过" in out and f"清单所列 {count} 个文件齐全" in out


def test_one_changed_byte_in_one_file_fails_naming_that_file(package, tmp_path):
    pdf = next(n for n in entries(package) if n.startswith("documents/"))
    tampered = rewrite(package, change={pdf: flip(1000)})
    result = archive_verify(tampered)
    assert not result.valid and result.path == pdf
    assert result.message == f"文件 {pdf} 的 SHA-256 与清单不符：已被改动。"
    path = tmp_path / "tampered.zip"
    path.write_bytes(tampered)
    with pytest.raises(CommandError, match=f"校验未通过：文件 {pdf} 的 SHA-256"):
        verify_command(path)


def test_a_file_grown_by_a_byte_is_named_with_its_sizes(package):
    result = archive_verify(rewrite(package, change={"trail.csv": lambda b: b + b"\n"}))
    assert not result.valid and result.path == "trail.csv"
    assert result.message.startswith("文件 trail.csv 的大小与清单不符（清单 ") and "实际超过此数" in result.message


def test_a_removed_file_an_added_file_and_an_edited_manifest_are_each_detected(package):
    material = next(n for n in entries(package) if n.startswith("materials/"))
    removed = archive_verify(rewrite(package, drop=[material]))
    assert not removed.valid and removed.message == f"文件 {material} 缺失：清单中列出，档案包中没有。"

    added = archive_verify(rewrite(package, add={"materials/补充说明.txt": "后补的材料".encode()}))
    assert not added.valid and added.message == "文件 materials/补充说明.txt 不在清单中：签署后被添加。"

    def hide_the_change(manifest: bytes) -> bytes:
        data = json.loads(manifest)
        data["files"] = [f for f in data["files"] if f["path"] != material]
        return json.dumps(data, ensure_ascii=False, indent=2).encode()

    edited = archive_verify(rewrite(package, drop=[material], change={"manifest.json": hide_the_change}))
    assert not edited.valid and edited.path == "manifest.json"
    assert edited.message == "清单 manifest.json 的签名无效：签名与所签内容不符：内容在签署后被改动过。"

    unsigned = archive_verify(rewrite(package, drop=["manifest.p7s"]))
    assert not unsigned.valid and "缺少清单签名文件 manifest.p7s" in unsigned.message

    with pytest.warns(UserWarning, match="Duplicate name"):
        appended = rewrite(package, add={"trail.csv": b"forged"})
    twice = archive_verify(appended)
    assert not twice.valid and "两个同名的文件 trail.csv" in twice.message


def forged_signature(data: bytes, *, issuer: x509.Name) -> bytes:
    """A detached CMS over `data` by a certificate made outside the deployment: it names itself like our archive
    certificate and names our root as its issuer, but no key of ours signed it."""
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = ec.generate_private_key(ec.SECP256R1())
    now = CLOCK
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, signing.SYSTEM_COMMON_NAME),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, signing.SYSTEM_SERIAL),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    signer = SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([]),
    )
    return asyncio.run(signer.async_sign_general_data(data, "sha256", detached=True)).dump()


def test_a_manifest_re_signed_with_a_self_made_certificate_fails_as_not_from_our_root(package):
    pdf = next(n for n in entries(package) if n.startswith("documents/"))
    altered = flip(1000)(entries(package)[pdf])

    def cover_the_change(manifest: bytes) -> bytes:
        data = json.loads(manifest)
        for f in data["files"]:
            if f["path"] == pdf:
                f["sha256"] = hashlib.sha256(altered).hexdigest()
        return json.dumps(data, ensure_ascii=False, indent=2).encode()

    manifest = cover_the_change(entries(package)["manifest.json"])
    root = x509.load_pem_x509_certificate(signing.root_certificate_pem())
    signature = forged_signature(manifest, issuer=root.subject)
    forged = rewrite(
        package,
        change={pdf: lambda b: altered, "manifest.json": lambda b: manifest, "manifest.p7s": lambda b: signature},
    )
    result = archive_verify(forged)
    assert not result.valid and result.path == "manifest.json"
    assert result.message == "清单 manifest.json 的签名无效：签名证书不是本系统根证书签发的，不可信。"


def test_a_manifest_signed_with_an_organizations_document_certificate_is_refused(package, school):
    """Issued by our root, but an organization's document key does not vouch for packages."""
    from documents.signing import signer_for

    manifest = entries(package)["manifest.json"]
    signature = asyncio.run(signer_for(school).async_sign_general_data(manifest, "sha256", detached=True)).dump()
    result = archive_verify(rewrite(package, change={"manifest.p7s": lambda b: signature}))
    assert not result.valid and result.message.endswith("签名证书不是本系统的档案签章证书。")


def test_the_manifest_signature_holds_for_openssl_trusting_only_our_root(package, tmp_path):
    files = entries(package)
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"])
    (tmp_path / "manifest.p7s").write_bytes(files["manifest.p7s"])
    root = Path(settings.PANHUO_PKI_DIR) / "root.cert.pem"
    args = on_the_clock(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "manifest.p7s",
                         "-CAfile", str(root), "-purpose", "any", "-out", os.devnull])  # fmt: skip
    ok = subprocess.run([*args, "-content", "manifest.json"], cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "edited.json").write_bytes(files["manifest.json"].replace(b'"asset"', b'"Asset"', 1))
    bad = subprocess.run([*args, "-content", "edited.json"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0


def test_the_command_exits_non_zero_on_a_bad_package_and_explains_a_missing_or_non_zip_file(package, tmp_path):
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    good.write_bytes(package)
    bad.write_bytes(rewrite(package, drop=["ledger.csv"]))
    env = {**os.environ, "PANHUO_PKI_DIR": str(settings.PANHUO_PKI_DIR)}
    env.pop("DATABASE_URL", None)  # the check needs the root certificate only, no database

    def run(path) -> subprocess.CompletedProcess:
        command = on_the_clock([sys.executable, "manage.py", "verify_archive", str(path)])
        return subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)

    passed, failed = run(good), run(bad)
    assert passed.returncode == 0 and "8 个文件" in passed.stdout, passed.stderr
    assert failed.returncode == 1 and "文件 ledger.csv 缺失" in failed.stderr

    with pytest.raises(CommandError, match="找不到文件"):
        verify_command(tmp_path / "nowhere.zip")
    (tmp_path / "notes.txt").write_text("不是压缩包")
    with pytest.raises(CommandError, match="不是 ZIP 文件"):
        verify_command(tmp_path / "notes.txt")
    assert not archive_verify(b"PK\x03\x04 truncated").valid


# -- who may download ------------------------------------------------------------------------------------------------


def test_the_supervisor_downloads_any_assets_package_and_the_download_is_on_the_trail(
    client, sam, town_asset, computer
):
    client.force_login(sam)
    response = client.get(url(f"asset/{town_asset.pk}/"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    filename = "MX-FY-PC-007-档案包.zip"
    assert f"filename*=UTF-8''{quote(filename)}" in response["Content-Disposition"]
    assert 'filename="MX-FY-PC-007-archive.zip"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert archive_verify(body).valid
    assert "materials/" + f"{town_asset.attachments.get().pk}-照片.jpg" in entries(body)

    event = AuditEvent.objects.filter(action="export").order_by("-seq").first()
    assert (event.actor, event.organization, event.asset, event.ip) == (sam, sam.organization, town_asset, "127.0.0.1")
    assert event.data == {"what": "archive", "file": filename, "sha256": hashlib.sha256(body).hexdigest(),
                          "size": len(body)}  # fmt: skip
    assert client.get(url(f"asset/{computer.pk}/")).status_code == 200


def test_a_unit_user_gets_its_own_assets_package_and_404_for_another_units(client, alice, computer, town_asset):
    client.force_login(alice)
    assert client.get(url(f"asset/{town_asset.pk}/")).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
    response = client.get(url(f"asset/{computer.pk}/"))
    assert response.status_code == 200
    assert archive_verify(b"".join(response.streaming_content)).valid


def test_a_department_reviewer_sees_only_the_assets_of_the_categories_it_leads(client, rita, computer, building):
    client.force_login(rita)  # 机关事务管理局 leads general equipment, not buildings
    assert client.get(url(f"asset/{computer.pk}/")).status_code == 200
    assert client.get(url(f"asset/{building.pk}/")).status_code == 404
    page = client.get(url())
    assert computer.code in page.text and building.code not in page.text


def test_a_user_with_no_supervision_scope_gets_403_everywhere(client, school, computer, sam):
    nobody = UserFactory(username="nina", full_name="无角色", organization=school, roles=[])
    batch = ArchiveBatch.objects.create(requested_by=nobody, scope=ArchiveScope.UNIT, params={}, title="x")
    client.force_login(nobody)
    for path in ("", f"asset/{computer.pk}/", f"batch/{batch.pk}/", f"batch/{batch.pk}/progress/",
                 f"batch/{batch.pk}/download/"):  # fmt: skip
        assert client.get(url(path)).status_code == 403, path
    assert client.post(url(), {"scope": "unit", "unit": school.pk}).status_code == 403


def test_the_page_lists_the_assets_in_scope_searchable_and_20_to_a_page(client, alice, school, computer):
    for i in range(25):
        AssetFactory(code=f"MX-YZ-ZY-{i:03d}", name=f"课桌椅{i}", holding_unit=school)
    client.force_login(alice)
    page = client.get(url())
    assert page.status_code == 200 and "资产档案" in page.text
    assert page.context["page"].paginator.count == 26 and len(page.context["page"].object_list) == 20
    found = client.get(url(), {"q": "台式"})
    assert [a.code for a in found.context["page"].object_list] == ["MX-YZ-PC-100"]
    assert url(f"asset/{computer.pk}/") in found.text and "下载档案包" in found.text
    assert client.get(url(), {"page": 2}).context["page"].object_list[0].code == "MX-YZ-ZY-019"


# -- bulk packages -------------------------------------------------------------------------------------------------


def request_batch(client, django_capture_on_commit_callbacks, data: dict):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url(), data)


def test_a_batch_by_unit_runs_to_done_and_its_zip_verifies_with_every_inner_package(
    client, sam, school, case, building, town_asset, django_capture_on_commit_callbacks
):
    client.force_login(sam)
    response = request_batch(client, django_capture_on_commit_callbacks, {"scope": "unit", "unit": school.pk})
    batch = ArchiveBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == url(f"batch/{batch.pk}/")
    assert (batch.status, batch.done, batch.total, batch.requested_by) == (JobStatus.DONE, 2, 2, sam)
    assert batch.title == "茂县第一中学 资产档案" and batch.params["unit"] == school.pk
    requested = AuditEvent.objects.filter(action="export").get()
    assert requested.data == {"what": "archive_batch", "scope": "unit", "title": batch.title, "batch": str(batch.pk)}

    progress = client.get(url(f"batch/{batch.pk}/progress/")).json()
    assert progress | {"download_url": None} == {
        "status": "done", "status_label": "已完成", "done": 2, "total": 2, "percent": 100, "finished": True,
        "message": "", "download_url": None,
    }  # fmt: skip
    assert progress["download_url"] == url(f"batch/{batch.pk}/download/")
    page = client.get(url(f"batch/{batch.pk}/"))
    assert page.status_code == 200 and progress["download_url"] in page.text

    response = client.get(progress["download_url"])
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and hashlib.sha256(body).hexdigest() == batch.sha256 and len(body) == batch.size
    result = archive_verify(body)
    assert result.valid and result.kind == "batch" and result.packages == 2, result.message
    outer = entries(body)
    assert list(outer) == ["MX-YZ-FW-001.zip", "MX-YZ-PC-100.zip", "manifest.json", "manifest.p7s"]
    assert result.files == 2 + sum(
        len(json.loads(entries(outer[n])["manifest.json"])["files"]) for n in list(outer)[:2]
    )
    assert outer["MX-YZ-PC-100.zip"] and archive_verify(outer["MX-YZ-PC-100.zip"]).valid
    downloaded = AuditEvent.objects.filter(action="export").order_by("-seq").first()
    assert downloaded.data["what"] == "archive_batch_download" and downloaded.data["sha256"] == batch.sha256

    # A byte changed inside one inner package is named, with the package it is in.
    inner = rewrite(outer["MX-YZ-PC-100.zip"], change={"ledger.json": flip(10)})
    repacked = rewrite(body, change={"MX-YZ-PC-100.zip": lambda b: inner})
    manifest = json.loads(outer["manifest.json"])
    assert manifest["kind"] == "batch" and [f["path"] for f in manifest["files"]] == list(outer)[:2]
    tampered = archive_verify(repacked)
    assert not tampered.valid and tampered.path == "MX-YZ-PC-100.zip"
    # The repacked inner ZIP may differ in size or only in content: either way the package is named.
    assert tampered.message.startswith("文件 MX-YZ-PC-100.zip 的") and "与清单不符" in tampered.message


def test_a_batch_by_category_for_a_department_and_by_quarter_for_a_unit_stay_in_scope(
    client, rita, alice, henry, computer, building, town_asset, django_capture_on_commit_callbacks
):
    client.force_login(rita)
    general = category("general_equipment")
    request_batch(client, django_capture_on_commit_callbacks, {"scope": "category", "category": general.pk})
    batch = ArchiveBatch.objects.get(requested_by=rita)
    assert batch.status == JobStatus.DONE and batch.total == 2  # the school's computer and the town's laptop
    assert batch.title == "其他：办公设备、专用设备、通用设备 资产档案（茂县机关事务管理局可查看的范围）"

    client.force_login(alice)
    verified(computer, alice, henry, rita)  # this quarter's events: of the computer only
    today = TODAY
    request_batch(
        client,
        django_capture_on_commit_callbacks,
        {"scope": "quarter", "year": today.year, "quarter": (today.month - 1) // 3 + 1},
    )
    batch = ArchiveBatch.objects.get(requested_by=alice)
    assert batch.status == JobStatus.DONE and batch.total == 1
    with batch.file.open("rb") as f:
        assert list(entries(f.read()))[:1] == ["MX-YZ-PC-100.zip"]


@pytest.mark.parametrize(
    ("who", "data", "field", "message"),
    [
        ("sam", {}, "scope", "请选择导出范围：按单位、按类别或按季度。"),
        ("sam", {"scope": "unit"}, "unit", "按单位导出时，请选择持有单位。"),
        ("sam", {"scope": "category"}, "category", "按类别导出时，请选择资产类别。"),
        ("sam", {"scope": "quarter", "year": "2026", "quarter": "5"}, "quarter", "季度只能是第一至第四季度。"),
        (
            "sam",
            {"scope": "quarter", "year": "2001", "quarter": "1"},
            None,
            "所选范围内没有您可查看的资产，未生成档案包。",
        ),
        ("alice", {"scope": "unit", "unit": "town"}, "unit", "所选单位不在您的查看范围内。"),
        ("rita", {"scope": "category", "category": "building"}, "category", "所选类别不在您的查看范围内。"),
    ],
)
def test_bad_batch_requests_say_what_is_wrong_and_create_nothing(
    client, request, computer, building, town_asset, django_capture_on_commit_callbacks, who, data, field, message
):
    user = request.getfixturevalue(who)
    if data.get("unit") == "town":
        data = {**data, "unit": town_asset.holding_unit.pk}
    if data.get("category") == "building":
        data = {**data, "category": category("building").pk}
    client.force_login(user)
    response = request_batch(client, django_capture_on_commit_callbacks, data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert message in errors[field or "__all__"]
    assert message in response.text
    assert not ArchiveBatch.objects.exists()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_another_user_cannot_see_someones_batch_but_a_county_supervisor_can(
    client, alice, henry, bob, sam, school, computer, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    request_batch(client, django_capture_on_commit_callbacks, {"scope": "unit", "unit": school.pk})
    batch = ArchiveBatch.objects.get()
    assert batch.status == JobStatus.DONE
    for user in (henry, bob):  # a colleague of the same unit too: batches are the requester's
        client.force_login(user)
        for path in (f"batch/{batch.pk}/", f"batch/{batch.pk}/progress/", f"batch/{batch.pk}/download/"):
            assert client.get(url(path)).status_code == 404, (user, path)
        assert batch.title not in client.get(url()).text
    client.force_login(sam)
    assert client.get(url(f"batch/{batch.pk}/")).status_code == 200
    assert client.get(url(f"batch/{batch.pk}/download/")).status_code == 200


def test_the_job_claims_a_batch_once_and_a_failure_is_recorded_in_chinese(alice, school, computer, monkeypatch):
    params = {"within": {"level": "unit", "organization": school.pk}, "unit": school.pk}
    batch = ArchiveBatch.objects.create(requested_by=alice, scope=ArchiveScope.UNIT, params=params, title="t")
    assert archive_batch_build(batch_id=str(batch.pk)).status == JobStatus.DONE
    assert archive_batch_build(batch_id=str(batch.pk)) is None  # delivered again: nothing happens
    assert ArchiveBatch.objects.get(pk=batch.pk).status == JobStatus.DONE

    def broken(*args, **kwargs):
        raise ArchiveError("材料“停用说明”的存档文件不在存储中")

    monkeypatch.setattr("supervision.archive.archive_write", broken)
    failing = ArchiveBatch.objects.create(requested_by=alice, scope=ArchiveScope.UNIT, params=params, title="t2")
    with pytest.raises(ArchiveError):
        archive_batch_build(batch_id=str(failing.pk))
    failing.refresh_from_db()
    assert failing.status == JobStatus.FAILED and failing.finished_at is not None and not failing.file
    assert failing.message == "生成失败：材料“停用说明”的存档文件不在存储中"


def test_the_sweep_takes_back_a_batch_whose_worker_died_and_leaves_a_live_one_alone(alice, school, computer):
    from datetime import timedelta

    from django.utils import timezone

    from supervision.archive import archive_batches_sweep

    params = {"within": {"level": "unit", "organization": school.pk}, "unit": school.pk}
    long_ago = timezone.now() - timedelta(minutes=30)
    dead = ArchiveBatch.objects.create(requested_by=alice, scope=ArchiveScope.UNIT, params=params, title="中断")
    live = ArchiveBatch.objects.create(requested_by=alice, scope=ArchiveScope.UNIT, params=params, title="进行中")
    ArchiveBatch.objects.filter(pk=dead.pk).update(status=JobStatus.RUNNING, heartbeat_at=long_ago, done=3)
    ArchiveBatch.objects.filter(pk=live.pk).update(status=JobStatus.RUNNING, heartbeat_at=timezone.now())

    assert archive_batches_sweep() == 1  # jobs run in-process here: the dead batch is rebuilt at once
    dead, live = ArchiveBatch.objects.get(pk=dead.pk), ArchiveBatch.objects.get(pk=live.pk)
    assert dead.status == JobStatus.DONE and dead.done == dead.total == 1 and archive_verify(dead.file.read()).valid
    assert live.status == JobStatus.RUNNING and live.heartbeat_at > long_ago


def test_the_progress_page_polls_while_the_batch_is_pending(client, alice, school, computer):
    params = {"within": {"level": "unit", "organization": school.pk}, "unit": school.pk}
    batch = ArchiveBatch.objects.create(requested_by=alice, scope=ArchiveScope.UNIT, params=params, title="排队")
    client.force_login(alice)
    page = client.get(url(f"batch/{batch.pk}/"))
    assert 'id="archive-progress"' in page.text and url(f"batch/{batch.pk}/progress/") in page.text
    assert client.get(url(f"batch/{batch.pk}/progress/")).json()["download_url"] is None
    assert client.get(url(f"batch/{batch.pk}/download/")).status_code == 404


# -- through a real worker (PostgreSQL + Redis) ------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_requested_in_the_page_is_built_by_the_real_worker(
    celery_worker, transactional_db, client, sam, school, computer
):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL, Redis (REDIS_URL) and a real worker")
    client.force_login(sam)
    response = client.post(url(), {"scope": "unit", "unit": school.pk})
    assert response.status_code == 302
    batch_id = ArchiveBatch.objects.get().pk
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch = ArchiveBatch.objects.get(pk=batch_id)
        if batch.status in (JobStatus.DONE, JobStatus.FAILED):
            break
        time.sleep(0.2)  # another process: nothing to fast-forward
    assert batch.status == JobStatus.DONE, (batch.status, batch.message)
    assert batch.done == batch.total == 1
    with batch.file.open("rb") as f:
        result = archive_verify(f.read())
    assert result.valid and result.packages == 1, result.message


def test_documents_not_yet_issued_are_left_out(computer, alice, henry, rita, sam):
    case = verified(computer, alice, henry, rita)  # its documents are queued, not issued yet
    assert documents_of(case).filter(status=DocumentStatus.PENDING).count() == 2
    files = entries(archive_build(computer, generated_by=sam))
    assert not [n for n in files if n.startswith("documents/")]
    assert json.loads(files["manifest.json"])["documents"] == []


def test_every_asset_of_the_demo_county_packs_and_verifies(client, sam):
    """The demo's ledgers come in as each unit's clerk imports them; every one of its assets has a package."""
    from assets.models import Asset
    from demo.county import demo_county_load

    demo_county_load()
    assets = list(Asset.objects.select_related("category", "subtype", "holding_unit"))
    assert len(assets) > 250 and all(a.import_batch_id for a in assets)
    client.force_login(sam)
    first = client.get(url(f"asset/{assets[0].pk}/"))
    assert first.status_code == 200 and archive_verify(b"".join(first.streaming_content)).valid
    for asset in assets:
        result = archive_verify(archive_build(asset, generated_by=sam))
        assert result.valid, (asset.code, result.message)
