"""Checks an uploaded file by its content, not its name: only PDF, JPG, PNG, XLSX and DOCX get in, and no Office file
that would expand beyond reason (a decompression bomb)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# extension → (detected kind, MIME type, label for messages)
ALLOWED = {
    "pdf": ("pdf", "application/pdf", "PDF"),
    "jpg": ("jpeg", "image/jpeg", "JPG"),
    "jpeg": ("jpeg", "image/jpeg", "JPG"),
    "png": ("png", "image/png", "PNG"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX"),
}


@dataclass(frozen=True)
class Sniffed:
    extension: str
    content_type: str


def _detect(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(PNG_SIGNATURE):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        # An Office Open XML package is a ZIP whose parts name what it is.
        try:
            with zipfile.ZipFile(upload) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
    return None


def human_size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n, 1) // 1024 or 1} KB"


def sniff_upload(upload: UploadedFile, *, max_bytes: int, allowed: tuple[str, ...] = tuple(ALLOWED)) -> Sniffed:
    """Raises ValidationError with a message the user can act on, or says what the file really is."""
    if upload.size == 0:
        raise ValidationError("文件为空，请重新选择。", code="empty")
    if upload.size > max_bytes:
        raise ValidationError(
            "文件大小为 %(size)s，超过 %(limit)s 的上限。",
            params={"size": human_size(upload.size), "limit": human_size(max_bytes)},
            code="too_large",
        )
    name = upload.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    labels = "、".join(dict.fromkeys(ALLOWED[e][2] for e in allowed))
    if ext not in allowed:
        raise ValidationError("只接受 %(labels)s 文件。", params={"labels": labels}, code="extension")
    expected, content_type, label = ALLOWED[ext]
    detected = _detect(upload)
    if detected != expected:
        raise ValidationError(
            "文件内容与扩展名不符：扩展名为 .%(ext)s，但内容不是 %(label)s 文件（可能已损坏或被改名）。",
            params={"ext": ext, "label": label},
            code="content",
        )
    if expected in ("xlsx", "docx"):
        # Kept and handed out to be opened in Excel or Word: a bomb would hurt whoever opens it.
        check_package(upload, office_package_limits())
    return Sniffed(extension="jpg" if expected == "jpeg" else ext, content_type=content_type)


def office_package_limits() -> PackageLimits:
    limits = settings.PANHUO
    return PackageLimits(
        part_bytes=limits["IMPORT_PART_MAX_BYTES"], total_bytes=limits["IMPORT_UNPACKED_MAX_BYTES"],
        ratio=limits["IMPORT_MAX_RATIO"],
    )  # fmt: skip


@dataclass(frozen=True)
class PackageLimits:
    """What an Office Open XML package (a ZIP) may expand to before anything parses it."""

    part_bytes: int
    total_bytes: int
    # Uncompressed size over compressed size, for parts big enough to matter. Real sheets compress 10–20 times.
    ratio: int
    ratio_from_bytes: int = 1024 * 1024
    parts: int = 2000


def check_package(fileobj, limits: PackageLimits) -> None:
    """Refuses, before it is opened, a ZIP package that would expand beyond `limits` (a decompression bomb).

    The sizes a ZIP declares are binding: Python's zipfile never inflates a member past its declared size (it raises
    instead), so checking the declared sizes bounds what openpyxl can ever read."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ValidationError("文件已损坏或不是有效的 Excel（.xlsx）文件。", code="unreadable") from None
    finally:
        fileobj.seek(0)
    too_big = (
        "文件解压后过大（%(what)s），不像正常的台账，可能是恶意构造的压缩炸弹。"
        "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。"
    )
    if len(infos) > limits.parts:
        raise ValidationError(too_big, params={"what": f"包含 {len(infos)} 个部件"}, code="bomb")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.part_bytes:
            what = (
                f"其中“{info.filename[:60]}”解压后为 {human_size(info.file_size)}，上限 {human_size(limits.part_bytes)}"
            )
            raise ValidationError(too_big, params={"what": what}, code="bomb")
        if info.file_size > limits.ratio_from_bytes and info.file_size > limits.ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            what = f"其中“{info.filename[:60]}”压缩比为 {ratio}:1，上限 {limits.ratio}:1"
            raise ValidationError(too_big, params={"what": what}, code="bomb")
    if total > limits.total_bytes:
        what = f"共 {human_size(total)}，上限 {human_size(limits.total_bytes)}"
        raise ValidationError(too_big, params={"what": what}, code="bomb")
