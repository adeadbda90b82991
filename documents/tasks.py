"""The document jobs: each takes an id and calls one service."""

import gc

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings

from .models import Document, DocumentStatus
from .services import document_attempt, documents_sweep


@shared_task(bind=True, acks_late=True, max_retries=None)
def document_issue_task(self, document_id: int) -> None:
    """Issue one document; on failure retry with exponential backoff, up to the configured number of attempts."""
    try:
        document_attempt(document_id=document_id)
    except Exception as exc:
        attempts = Document.objects.filter(pk=document_id).values_list("attempts", flat=True).first() or 0
        if attempts >= settings.PANHUO["DOCUMENT_MAX_ATTEMPTS"]:
            Document.objects.filter(pk=document_id, status=DocumentStatus.PENDING).update(status=DocumentStatus.FAILED)
            return
        if self.request.is_eager:
            return  # in-process (no Redis): the step has committed; the sweep tries again later
        raise self.retry(exc=exc, countdown=min(600, 2**attempts)) from exc


@shared_task
def documents_sweep_task() -> int:
    """Run by beat: re-queue documents still missing some minutes after their step."""
    return documents_sweep()


@worker_process_init.connect
def _warm_up_renderer(**kwargs) -> None:
    """Each worker child builds its renderer (font subsets, templates) once, then freezes the ~150,000 objects that
    live as long as it does, so that the garbage collector stops walking them: a full collection otherwise adds
    ~80 ms to one document in ten (measured by `bench documents --gc-freeze`)."""
    from .render import renderer

    renderer()
    gc.collect()
    gc.freeze()


@shared_task
def stored_files_check_task() -> int:
    """Run daily by beat: how many stored files are missing or altered (each also on the trail and in the log)."""
    from .integrity import stored_files_check

    return len(stored_files_check()[1])
