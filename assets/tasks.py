"""Background jobs of the register: each takes an id, re-fetches, and calls one service of assets.imports."""

from celery import shared_task

from .imports import import_batch_commit_run, import_batch_validate, import_batches_sweep


@shared_task(acks_late=True)
def import_batch_validate_task(batch_id: str) -> None:
    """Checks a large uploaded ledger row by row; the batch records its own progress."""
    import_batch_validate(batch_id=batch_id)


@shared_task(acks_late=True)
def import_batch_commit_task(batch_id: str) -> None:
    """Writes a claimed (COMMITTING) batch into the register; a second delivery finds nothing left to do."""
    import_batch_commit_run(batch_id=batch_id)


@shared_task
def import_batches_sweep_task() -> int:
    """Run by beat (or the embedded beat): batches whose job was lost are queued again."""
    return import_batches_sweep()
