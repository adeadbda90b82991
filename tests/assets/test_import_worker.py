"""The background import path end to end: on the PostgreSQL pass through Redis and a real Celery worker."""

import time

import pytest
from django.urls import reverse

from assets.models import Asset, ImportBatch, ImportStatus

from .test_excel import rows_of, xlsx

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def wait_for(batch_id, *statuses, timeout=60.0) -> ImportBatch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = ImportBatch.objects.get(pk=batch_id)
        if batch.status in statuses:
            return batch
        time.sleep(0.2)  # a real worker in another process: nothing to fast-forward
    raise AssertionError(f"batch still {batch.status} after {timeout} s")


def test_a_large_import_is_checked_and_committed_by_the_worker(client, alice, settings, celery_worker):
    settings.PANHUO = {**settings.PANHUO, "IMPORT_ASYNC_ROWS": 3}
    client.force_login(alice)

    response = client.post(reverse("register:import"), {"file": xlsx(rows_of(8))})
    assert response.status_code == 302
    batch = wait_for(ImportBatch.objects.get().pk, ImportStatus.VALID, ImportStatus.INVALID)
    assert (batch.status, batch.total_rows, batch.processed_rows) == (ImportStatus.VALID, 8, 8)

    assert client.post(reverse("register:import_commit", args=[batch.pk])).status_code == 302
    batch = wait_for(batch.pk, ImportStatus.COMMITTED, ImportStatus.FAILED, ImportStatus.INVALID)
    assert batch.status == ImportStatus.COMMITTED
    assert Asset.objects.filter(import_batch=batch, holding_unit=alice.organization).count() == 8
    progress = client.get(reverse("register:import_progress", args=[batch.pk])).json()
    assert (progress["percent"], progress["done"]) == (100, True)
