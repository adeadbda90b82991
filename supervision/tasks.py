"""The 监督 jobs: bulk archive packages and their sweep."""

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
