"""The 监督 jobs: bulk archive packages and their sweep, and the audit chain check."""

from celery import shared_task


@shared_task
def archive_batch_build_task(batch_id: str) -> str:
    """Builds one bulk archive package; a second delivery of the same job finds the batch claimed and does nothing."""
    from .archive import archive_batch_build

    batch = archive_batch_build(batch_id=batch_id)
    return batch.status if batch is not None else "skipped"


@shared_task
def archive_batches_sweep_task() -> int:
    """Run by beat every 5 minutes: queues again the bulk packages whose job was lost."""
    from .archive import archive_batches_sweep

    return archive_batches_sweep()


@shared_task
def chain_check_run_task(check_id: str) -> str:
    """Walks the audit hash chain for one ChainCheck; a second delivery finds the check claimed and does nothing."""
    from .chain_checks import chain_check_run

    check = chain_check_run(check_id=check_id)
    return check.status if check is not None else "skipped"
