"""Every stored file whose SHA-256 was recorded (issued documents, evidence) still matches it: the check behind
`manage.py check_stored_files` and the daily job."""

import logging

from assets.models import AssetAttachment
from audit.services import audit_record
from core.storage import StoredFileError, stored_check

from .models import Document, DocumentStatus

logger = logging.getLogger(__name__)


def stored_files_problems() -> tuple[int, list[dict]]:
    """(files checked, one row per file that is missing or no longer matches its recorded hash)."""
    checked, problems = 0, []
    documents = Document.objects.filter(status=DocumentStatus.ISSUED).only("pk", "uuid", "number", "kind", "file",
                                                                             "sha256")  # fmt: skip
    for document in documents.iterator(chunk_size=500):
        checked += 1
        try:
            stored_check(document.file, document.sha256)
        except StoredFileError as exc:
            problems.append({"what": "文书", "id": document.pk, "name": f"{document.number} {document.title}",
                             "file": exc.name, "problem": exc.problem, "label": exc.label})  # fmt: skip
    attachments = AssetAttachment.objects.select_related("asset").only("pk", "file", "sha256", "original_name",
                                                                        "asset__code")  # fmt: skip
    for attachment in attachments.iterator(chunk_size=500):
        checked += 1
        try:
            stored_check(attachment.file, attachment.sha256)
        except StoredFileError as exc:
            problems.append({"what": "佐证材料", "id": attachment.pk,
                             "name": f"{attachment.asset.code} {attachment.original_name}", "file": exc.name,
                             "problem": exc.problem, "label": exc.label})  # fmt: skip
    return checked, problems


def stored_files_check() -> tuple[int, list[dict]]:
    """Runs the check and, when a file is wrong, says so where an administrator and the auditors look: the error log
    and the audit trail (the rows, at most 200 of them)."""
    checked, problems = stored_files_problems()
    if problems:
        for row in problems:
            logger.error("stored file check: %s %s: %s (%s)", row["what"], row["name"], row["label"], row["file"])
        audit_record(
            user=None, action="stored_files_check",
            data={"checked": checked, "count": len(problems), "problems": problems[:200]},
        )  # fmt: skip
    return checked, problems
