"""The step documents. `documents` knows nothing of cases: a step hands it a kind, a frozen context (plain data of
what was decided) and the organizations that sign; it keeps a row for that in the step's own transaction, and a job
queued on commit renders, numbers, signs and stores the PDF exactly once."""

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from assets.models import Organization
from audit.services import audit_record
from core.jobs import enqueue_on_commit
from core.storage import ALTERED, MISSING, StoredFileError, stored_bytes

from .models import KIND_TITLES, Document, DocumentSequence, DocumentStatus

logger = logging.getLogger(__name__)


def canonical_json(context: dict) -> bytes:
    return json.dumps(context, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_digest(context: dict) -> str:
    """The SHA-256 printed on the document: of what was decided (its frozen context), not of the PDF bytes."""
    return hashlib.sha256(canonical_json(context)).hexdigest()


def document_request(*, kind: str, subject: Any, step: str, context: dict, signers: list[Organization]) -> Document:
    """Records that a step's document is due, in the step's transaction, and queues its job once that commits.

    The document takes its issuer's next number here, in the step's own transaction: a step that rolls back gives its
    number back, a retried render reuses it, and the issuer's number lock is held while the step commits, never
    across a render (one issuer's burst renders in parallel, issue 15).

    A second request for the same subject and step is a new version superseding the last (e.g. a plan approved
    again after a low bid); the job itself is idempotent per version."""
    if kind not in KIND_TITLES:
        raise ValueError(f"unknown document kind: {kind}")
    if not signers:
        raise ValueError("a document needs at least one signing organization")
    subject_type = ContentType.objects.get_for_model(subject)
    previous = (
        Document.objects.filter(subject_type=subject_type, subject_id=subject.pk, step=step)
        .order_by("-version")
        .first()
    )
    document = Document.objects.create(
        subject_type=subject_type,
        subject_id=subject.pk,
        step=step,
        kind=kind,
        version=previous.version + 1 if previous else 1,
        supersedes=previous,
        issuer=signers[0],
        number=number_take(signers[0], timezone.localtime().year),
        signers=[{"id": org.pk, "name": org.name} for org in signers],
        context=context,
        content_sha256=content_digest(context),
    )
    enqueue_on_commit(document_enqueue, document.pk)
    return document


def document_enqueue(document_id: int) -> None:
    from .tasks import document_issue_task

    document_issue_task.delay(document_id)


def documents_of(subject: Any):
    subject_type = ContentType.objects.get_for_model(subject)
    return Document.objects.filter(subject_type=subject_type, subject_id=subject.pk).select_related("issuer")


# -- issuing ------------------------------------------------------------------------------------------------------


def number_take(organization: Organization, year: int) -> str:
    """The organization's next number for the year, e.g. 茂财盘〔2026〕15号. Call inside the requesting transaction:
    the sequence row stays locked until it commits, and a rollback gives the number back."""
    try:
        with transaction.atomic():
            DocumentSequence.objects.get_or_create(organization=organization, year=year)
    except IntegrityError:
        pass  # created by a concurrent issue a moment ago
    sequence = DocumentSequence.objects.select_for_update().get(organization=organization, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{organization.short_name}盘〔{year}〕{sequence.last}号"


def certificates_ensure(organizations) -> None:
    """An organization added (or renamed) after `init_pki` gets its signing certificate on its first document."""
    from .signing import PkiError, pki_init, signer_for

    missing = []
    for organization in organizations:
        try:
            signer = signer_for(organization)
        except PkiError:
            missing.append(organization)
            continue
        if signer.signing_cert.subject.native.get("organization_name") != organization.name:
            missing.append(organization)  # renamed since: the seal and certificate must carry today's name
    if missing:
        pki_init(organizations=missing)


def verify_url(document: Document) -> str:
    return settings.PANHUO["SITE_URL"].rstrip("/") + reverse("verify:document", args=[document.uuid])


def document_issue(*, document_id: int) -> Document:
    """Renders and signs one document with its number and stores it; a document already issued is left as it is.

    Everything happens in one transaction holding the document's row lock: two deliveries of the same job
    serialize here and the second finds it issued; a job killed half-way leaves the row pending with its number
    and pointing at no file."""
    from .render import render_document
    from .signing import sign_pdf

    with transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=document_id)
        if document.status == DocumentStatus.ISSUED:
            return document
        issued_at = timezone.localtime()
        # A row asked for before numbers were taken with the request has none yet: it takes one now.
        number = document.number or number_take(document.issuer, issued_at.year)
        rendered = render_document(
            kind=document.kind,
            context=document.context,
            number=number,
            verify_url=verify_url(document),
            content_sha256=document.content_sha256,
            issued_at=issued_at,
            signers=[s["name"] for s in document.signers],
        )
        pdf = rendered.pdf
        organizations = Organization.objects.in_bulk([s["id"] for s in document.signers])
        certificates_ensure(organizations.values())
        for index, signer in enumerate(document.signers, start=1):
            page, box = rendered.boxes.get(f"sig-{index}", (0, None))
            pdf = sign_pdf(
                pdf,
                organization=organizations[signer["id"]],
                field_name=f"sig{index}",
                page=page,
                box=box,
                reason=f"{document.title} {number}",
            )
        document.number = number
        document.file.save("document.pdf", ContentFile(pdf), save=False)
        document.sha256 = hashlib.sha256(pdf).hexdigest()
        document.size = len(pdf)
        document.status = DocumentStatus.ISSUED
        document.issued_at = issued_at
        document.last_error = ""
        document.save()
        # On the trail in the same transaction: the document exists exactly when its issue is recorded.
        audit_record(
            user=None,
            action="document_issued",
            organization=document.issuer,
            subject=document.subject,
            asset=getattr(document.subject, "asset", None),
            data={
                "document": str(document.uuid), "kind": document.kind, "title": document.title, "number": number,
                "version": document.version, "step": document.step, "sha256": document.sha256,
                "content_sha256": document.content_sha256,
            },
        )  # fmt: skip
    return document


def document_attempt(*, document_id: int) -> bool:
    """One try of the job: True when the document is issued; a failure is recorded on the row (the job retries
    with backoff, and the sweep re-queues whatever is still pending)."""
    Document.objects.filter(pk=document_id).exclude(status=DocumentStatus.ISSUED).update(attempts=F("attempts") + 1)
    try:
        document_issue(document_id=document_id)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # WeasyPrint's refused-URL error is a BaseException: record it like any failure
        message = f"{type(exc).__name__}: {exc}"[:2000]
        Document.objects.filter(pk=document_id).exclude(status=DocumentStatus.ISSUED).update(last_error=message)
        if isinstance(exc, Exception):
            raise
        raise RuntimeError(message) from exc
    return True


class DocumentError(Exception):
    """A refused request about a document, in Chinese."""


def document_regenerate(*, document_id: int, user, ip: str | None = None) -> Document:
    """An administrator asks again for a document whose generation failed (after mending its cause, e.g. storage):
    its attempts start over and the job is queued; the request is on the trail. An issued document is never made
    again (a correction is a new version)."""
    with transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).get(pk=document_id)
        if document.status == DocumentStatus.ISSUED:
            raise DocumentError(f"文书 {document.number} 已签发，不能重新生成。")
        Document.objects.filter(pk=document.pk).update(status=DocumentStatus.PENDING, attempts=0)
        audit_record(
            user=user, action="document_regenerate", ip=ip, organization=document.issuer, subject=document.subject,
            asset=getattr(document.subject, "asset", None),
            data={"document": str(document.uuid), "kind": document.kind, "title": document.title,
                  "version": document.version, "step": document.step, "last_error": document.last_error[:500]},
        )  # fmt: skip
        enqueue_on_commit(document_enqueue, document.pk)
    return Document.objects.get(pk=document.pk)


def documents_sweep(*, older_than: timedelta | None = None) -> int:
    """Re-queues the documents still not issued some minutes after they were asked for (a lost job, a worker
    killed mid-way); issuing is idempotent, so a duplicate delivery costs nothing."""
    if older_than is None:
        older_than = timedelta(minutes=settings.PANHUO["DOCUMENT_SWEEP_MINUTES"])
    cutoff = timezone.now() - older_than
    stuck = Document.objects.filter(
        status__in=[DocumentStatus.PENDING, DocumentStatus.FAILED],
        requested_at__lte=cutoff,
        attempts__lt=settings.PANHUO["DOCUMENT_MAX_ATTEMPTS"],
    ).values_list("pk", flat=True)
    count = 0
    for document_id in stuck:
        document_enqueue(document_id)
        count += 1
    return count


# -- checking ------------------------------------------------------------------------------------------------------


STORED_PROBLEMS = {
    MISSING: "存档文件缺失：文书已登记签发，但存储中找不到它的文件。已记录，请联系系统管理员从备份恢复。",
    ALTERED: "存档文件与签发时的摘要不一致，可能已损坏或被改动。已记录，请联系系统管理员从备份恢复。",
}


def document_pdf(document: Document) -> bytes:
    """The issued PDF as stored, only if it still hashes to what was recorded at issue; StoredFileError otherwise
    (logged: an administrator restores it from the backup)."""
    try:
        return stored_bytes(document.file, document.sha256)
    except StoredFileError as exc:
        logger.error("document %s (%s): %s", document.number, document.uuid, exc)
        raise


def document_check_stored(document: Document) -> dict:
    """Re-checks the stored file: its bytes still hash to what was recorded at issue, and its signatures hold."""
    if document.status == DocumentStatus.FAILED:
        return {"valid": False, "message": "文书生成失败，系统管理员处理后将重新生成。"}
    if document.status != DocumentStatus.ISSUED:
        return {"valid": False, "message": "文书正在生成中，请稍后再查。"}
    try:
        data = document_pdf(document)
    except StoredFileError as exc:
        return {"valid": False, "message": STORED_PROBLEMS[exc.problem]}
    from .signing import verify_pdf

    verdict = verify_pdf(data)
    return {"valid": verdict.valid, "message": verdict.message, "signatures": verdict.signatures}


def pdf_check_issued(data: bytes) -> dict:
    """A PDF someone holds: our signatures must hold, and it must be a file this system issued, byte for byte."""
    from .signing import verify_pdf

    verdict = verify_pdf(data)
    digest = hashlib.sha256(data).hexdigest()
    document = Document.objects.filter(sha256=digest, status=DocumentStatus.ISSUED).first()
    if verdict.valid and document is None:
        return {"valid": False, "message": "签名有效，但本系统没有签发过这份文件（可能是其他版本或他处生成）。"}
    return {"valid": verdict.valid, "message": verdict.message, "signatures": verdict.signatures, "document": document}
