import hashlib
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets.models import AssetAttachment

from ..factories import AssetFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def office_file(kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "xlsx":
        openpyxl.Workbook().save(buffer)
    else:
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def asset(school):
    return AssetFactory(holding_unit=school)


def upload(client, asset, name: str, content: bytes, kind="stop_statement"):
    url = reverse("register:attachment_upload", args=[asset.pk])
    return client.post(url, {"kind": kind, "file": SimpleUploadedFile(name, content), "description": "说明"})


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("停用说明.pdf", PDF, "application/pdf"),
        ("现场照片.PNG", PNG, "image/png"),
        ("现场照片.jpeg", JPG, "image/jpeg"),
        (
            "会议纪要.docx",
            office_file("docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("清单.xlsx", office_file("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_a_clerk_attaches_evidence_of_each_allowed_type(client, alice, asset, name, content, content_type):
    client.force_login(alice)
    response = upload(client, asset, name, content)
    assert response.status_code == 302
    attachment = AssetAttachment.objects.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == (name, content_type, len(content))
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == content
    assert name.rsplit(".", 1)[0] not in stored.name  # stored under a random name
    assert stored.stem != "upload" and len(stored.stem) == 32


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("停用说明.pdf", EXE, "文件内容与扩展名不符"),
        ("setup.exe", EXE, "只接受 PDF、JPG、PNG、XLSX、DOCX 文件。"),
        ("会议纪要.docx", b"PK\x03\x04" + b"\x00" * 40, "文件内容与扩展名不符"),
        ("清单.xlsx", office_file("docx"), "文件内容与扩展名不符"),
        ("照片.png", JPG, "文件内容与扩展名不符"),
        ("空.pdf", b"", "所提交的是空文件。"),
        ("无扩展名", PDF, "只接受"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_stored(
    client, alice, asset, settings, name, content, message
):
    client.force_login(alice)
    before = set(Path(settings.MEDIA_ROOT).rglob("*"))
    response = upload(client, asset, name, content)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not AssetAttachment.objects.exists()
    assert set(Path(settings.MEDIA_ROOT).rglob("*")) == before


def test_a_file_over_20_mb_is_refused(client, alice, asset):
    client.force_login(alice)
    response = upload(client, asset, "扫描件.pdf", PDF + b"0" * (21 * 1024 * 1024))
    assert response.status_code == 422
    assert "超过 20.0 MB 的上限" in response.content.decode()
    assert not AssetAttachment.objects.exists()


def test_another_unit_cannot_attach_or_even_find_the_asset(client, bob, asset):
    client.force_login(bob)
    assert upload(client, asset, "x.pdf", PDF).status_code == 404


@pytest.mark.parametrize("persona", ["henry", "rita", "fiona", "sam"])
def test_roles_other_than_the_units_clerk_may_not_attach(request, client, asset, persona):
    client.force_login(request.getfixturevalue(persona))
    assert upload(client, asset, "x.pdf", PDF).status_code == 403
    assert not AssetAttachment.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("alice", 200), ("rita", 200), ("sam", 200), ("bob", 404)])
def test_downloads_follow_the_assets_visibility(request, client, alice, asset, persona, status):
    client.force_login(alice)
    upload(client, asset, "停用说明.pdf", PDF)
    attachment = AssetAttachment.objects.get()
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("register:attachment_download", args=[attachment.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
        assert "attachment" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
