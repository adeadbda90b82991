"""Checks an uploaded file by its content, not its name: only PDF, JPG, PNG, XLSX and DOCX get in."""

import zipfile
from dataclasses import dataclass

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
    return Sniffed(extension="jpg" if expected == "jpeg" else ext, content_type=content_type)
