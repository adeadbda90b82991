"""Document numbers and the issuing job on PostgreSQL: numbers like 茂一中盘〔2026〕7号 stay gap-free and unique per
organization and year when many documents are issued at once, and a worker killed (SIGKILL) in the middle of a job
leaves nothing behind: started again and swept, it issues exactly one valid document with the number the killed
attempt had been about to take.

SQLite serializes writers anyway, so nothing is proven there: the tests are skipped. The worker test also needs Redis
(REDIS_URL); it runs its own worker on its own queue, which it kills and starts again without disturbing the session's
`celery_worker`."""

import datetime
import hashlib
import json
import os
import threading
import time
import traceback
from pathlib import Path

import psycopg
import pytest
from celery.result import allow_join_result
from django.conf import settings
from django.db import connection
from django.utils import timezone

from assets.models import Role, UsageStatus
from documents import services
from documents.models import Document, DocumentSequence, DocumentStatus
from documents.services import document_issue, documents_of, documents_sweep
from documents.signing import pki_init, verify_pdf
from workflows.services import case_report, case_submit

from ..cases import TWO_YEARS_AGO, as_, idle_evidence
from ..factories import AssetFactory, UserFactory
from .test_issue import read

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrency: PostgreSQL only"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def submitted_reports(unit, clerk, head, count: int, prefix: str):
    """`count` idle computers of the unit, each reported and signed off: one pending 申报表 each."""
    cases = []
    for i in range(count):
        asset = AssetFactory(
            code=f"MX-{prefix}-PC-{i:03d}", name=f"台式计算机{i + 1}号", holding_unit=unit,
            usage_status=UsageStatus.IDLE, idle_since=TWO_YEARS_AGO, acquired_on=datetime.date(2012, 5, 1),
        )  # fmt: skip
        idle_evidence(asset)
        case = case_report(actor=as_(clerk), asset=asset, basis="idle", statement="教学点撤并后闲置，拟盘活。")
        cases.append(case_submit(actor=as_(head), case=case))
    return [documents_of(case).get(step="submit") for case in cases]


def issue_at_once(document_ids: list[int]) -> dict[int, str]:
    """Calls document_issue for every id from its own thread (own connection), all released together."""
    barrier = threading.Barrier(len(document_ids))
    numbers: dict[int, str] = {}
    errors: list[str] = []

    def run(document_id: int) -> None:
        try:
            connection.ensure_connection()  # this thread's own connection, opened before the start
            barrier.wait(timeout=30)
            numbers[document_id] = document_issue(document_id=document_id).number
        except Exception:
            errors.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(pk,), daemon=True) for pk in document_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "an issue never came back"
    assert not errors, errors[0]
    return numbers


def test_numbers_issued_concurrently_have_no_gaps_and_no_duplicates(school, town, alice, henry, bob, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(services, "document_enqueue", queued.append)  # keep them pending: the threads issue them
    tina = UserFactory(username="tina", full_name="马丽", organization=town, roles=[Role.UNIT_HEAD])
    school_docs = submitted_reports(school, alice, henry, 10, "YZ")
    town_docs = submitted_reports(town, bob, tina, 3, "FY")
    documents = school_docs + town_docs
    assert sorted(queued) == sorted(d.pk for d in documents)
    assert not DocumentSequence.objects.exists()  # the first numbers of the year: the threads race to create it too
    pki_init(organizations=[school, town])  # the keys exist before the race (creating them is not what is tested)

    numbers = issue_at_once([d.pk for d in documents])

    year = timezone.localtime().year
    assert sorted(numbers[d.pk] for d in school_docs) == sorted(f"茂一中盘〔{year}〕{n}号" for n in range(1, 11))
    assert sorted(numbers[d.pk] for d in town_docs) == sorted(f"茂凤仪盘〔{year}〕{n}号" for n in range(1, 4))
    assert dict(DocumentSequence.objects.values_list("organization__short_name", "last")) == {"茂一中": 10, "茂凤仪": 3}
    issued = Document.objects.filter(pk__in=numbers)
    assert {(d.status, d.number) for d in issued} == {(DocumentStatus.ISSUED, numbers[d.pk]) for d in issued}
    files = set()
    for document in issued:
        data = read(document)
        assert document.sha256 == hashlib.sha256(data).hexdigest() and document.size == len(data)
        verdict = verify_pdf(data)
        assert verdict.valid, (document.number, verdict.message)
        assert [s["organization"] for s in verdict.signatures] == [document.issuer.name]
        files.add(document.file.name)
    assert len(files) == len(documents)


# -- a worker killed in the middle of a job ----------------------------------------------------------------------


def wait_until(predicate, what: str, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)  # another process: nothing to fast-forward
    raise AssertionError(f"{what}: not after {timeout} s")


def backends_waiting_on(holder: psycopg.Connection) -> list[int]:
    """The PostgreSQL backends blocked by a lock the holder connection has. Asked on the test's own connection (in
    autocommit): inside the holder's transaction pg_stat_activity would be a snapshot taken at its first read."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [holder.info.backend_pid]
        )
        return [pid for (pid,) in cursor.fetchall()]


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def unacked_deliveries(app, queue: str) -> list[tuple[str, str]]:
    """(delivery tag, task id) of the messages taken from the queue and never acknowledged: kombu keeps them in
    Redis until the visibility timeout (an hour) puts them back."""
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        entries = client.hgetall(conn.default_channel.unacked_key)
    deliveries = []
    for tag, raw in entries.items():
        payload, _exchange, routing_key = json.loads(raw)
        if routing_key == queue:
            deliveries.append((tag.decode() if isinstance(tag, bytes) else tag, payload["headers"]["id"]))
    return deliveries


@pytest.fixture
def kill_queue(transactional_db):
    """A queue of this test's own: its worker is started, killed and started again here; jobs go through Redis."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL) and a real worker")
    from config.celery import app

    queue = f"panhuo-test-kill-{os.getpid()}"
    saved = app.conf.task_default_queue, app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_default_queue, app.conf.task_always_eager, app.conf.task_eager_propagates = queue, False, False
    yield queue
    app.conf.task_default_queue, app.conf.task_always_eager, app.conf.task_eager_propagates = saved
    # Nothing of the queue stays in Redis, even when the test failed half-way (a message the killed worker held).
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for tag, _task_id in unacked_deliveries(app, queue):
            channel.client.pipeline().zrem(channel.unacked_index_key, tag).hdel(channel.unacked_key, tag).execute()
        channel.client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


@pytest.mark.celery_worker
def test_a_worker_killed_mid_job_and_started_again_issues_the_document_once(kill_queue, computer, alice, henry):
    from config.celery import app

    from ..worker import Worker

    school = computer.holding_unit
    year = timezone.localtime().year
    pki_init(organizations=[school])
    DocumentSequence.objects.create(organization=school, year=year)
    s = connection.settings_dict
    holder = psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None, host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
    )  # fmt: skip
    workers = [Worker(kill_queue)]
    try:
        workers[0].start()
        # The school's number sequence is held here: the job will lock its document, then wait for the number.
        holder.execute(
            "SELECT last FROM documents_documentsequence WHERE organization_id = %s AND year = %s FOR UPDATE",
            [school.pk, year],
        )
        case = case_report(actor=as_(alice), asset=computer, basis="idle", statement="学校撤并后闲置，拟盘活。")
        case_submit(actor=as_(henry), case=case)  # on commit: the job goes to the worker through Redis
        document = documents_of(case).get(step="submit")

        (blocked,) = wait_until(lambda: backends_waiting_on(holder), "the worker's job waiting for the number")
        assert Document.objects.filter(pk=document.pk, status=DocumentStatus.PENDING, attempts=1).exists()
        workers[0].process.kill()  # SIGKILL in the middle of the job's transaction
        assert workers[0].process.wait(timeout=10) == -9
        holder.rollback()  # the orphaned backend gets the row, finds its client gone and rolls back
        wait_until(lambda: not backend_alive(blocked), "the killed worker's backend ending")
        assert DocumentSequence.objects.get(organization=school, year=year).last == 0  # the number was given back
        assert Document.objects.get(pk=document.pk).status == DocumentStatus.PENDING
        (killed_delivery,) = unacked_deliveries(app, kill_queue)  # Redis would give it back only in an hour

        workers.append(Worker(kill_queue))
        workers[1].start()
        assert documents_sweep(older_than=datetime.timedelta(0)) == 1
        wait_until(
            lambda: Document.objects.filter(pk=document.pk, status=DocumentStatus.ISSUED).exists(),
            "the swept document issued",
        )

        issued = Document.objects.get(pk=document.pk)
        assert documents_of(case).filter(step="submit").count() == 1
        assert issued.number == f"茂一中盘〔{year}〕1号" and issued.attempts == 2 and not issued.last_error
        assert DocumentSequence.objects.get(organization=school, year=year).last == 1
        data = read(issued)
        assert issued.sha256 == hashlib.sha256(data).hexdigest()
        verdict = verify_pdf(data)
        assert verdict.valid, verdict.message
        # The killed attempt never wrote a file: the only one of this document is the one the row points at.
        folder = Path(settings.MEDIA_ROOT, "documents", issued.uuid.hex[:2])
        assert [p.name for p in folder.glob(f"{issued.uuid.hex}-*")] == [Path(issued.file.name).name]

        # The killed worker's message delivered again (as Redis would after its visibility timeout), and a sweep:
        # neither changes anything.
        tag, task_id = killed_delivery
        with app.connection_for_write() as conn:
            conn.default_channel.qos.restore_by_tag(tag)
        with allow_join_result():  # the test is not a task, whatever an earlier in-process job left flagged
            app.AsyncResult(task_id).get(timeout=30)
        assert documents_sweep(older_than=datetime.timedelta(0)) == 0
        again = Document.objects.get(pk=document.pk)
        assert (again.status, again.number, again.sha256, again.file.name, again.attempts) == (
            DocumentStatus.ISSUED, issued.number, issued.sha256, issued.file.name, 2
        )  # fmt: skip
        assert documents_of(case).count() == 1
        assert DocumentSequence.objects.get(organization=school, year=year).last == 1
        assert not unacked_deliveries(app, kill_queue)
    finally:
        holder.close()
        for worker in workers:
            worker.stop()
