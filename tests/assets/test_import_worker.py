"""The background import path end to end: on the PostgreSQL pass through Redis and a real Celery worker."""

import time
from decimal import Decimal

import pytest
from django.urls import reverse

from assets.models import Asset, ImportBatch, ImportMode, ImportStatus

from .test_excel import rows_of, xlsx
from .test_import_update import sheet

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


def test_a_large_update_is_checked_and_written_by_the_worker(client, alice, settings, celery_worker):
    settings.PANHUO = {**settings.PANHUO, "IMPORT_ASYNC_ROWS": 1000}
    client.force_login(alice)
    assert client.post(reverse("register:import"), {"file": xlsx(rows_of(3))}).status_code == 302
    added = wait_for(ImportBatch.objects.get().pk, ImportStatus.VALID)
    assert client.post(reverse("register:import_commit", args=[added.pk])).status_code == 302
    wait_for(added.pk, ImportStatus.COMMITTED)
    settings.PANHUO = {**settings.PANHUO, "IMPORT_ASYNC_ROWS": 2}

    rows = [[f"MX1Z-{i:03d}", 1000 + i] for i in (1, 2, 3)]
    response = client.post(
        reverse("register:import"), {"mode": ImportMode.UPDATE, "file": sheet(["资产编号", "净值（元）"], *rows)}
    )
    assert response.status_code == 302
    batch = wait_for(ImportBatch.objects.get(mode=ImportMode.UPDATE).pk, ImportStatus.VALID, ImportStatus.INVALID)
    assert (batch.status, batch.changed_rows, batch.processed_rows) == (ImportStatus.VALID, 3, 3), batch.errors

    assert client.post(reverse("register:import_commit", args=[batch.pk])).status_code == 302
    batch = wait_for(batch.pk, ImportStatus.COMMITTED, ImportStatus.FAILED, ImportStatus.INVALID)
    assert batch.status == ImportStatus.COMMITTED, batch.message
    assert sorted(Asset.objects.values_list("net_value", flat=True)) == [Decimal(1001), Decimal(1002), Decimal(1003)]
