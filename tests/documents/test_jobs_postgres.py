"""Document numbers and the issuing job on PostgreSQL: numbers like 茂一中盘〔2026〕7号 stay gap-free and unique per
organization and year when many steps commit at once (each step takes its document's number in its own transaction,
issue 15) and when their documents are issued at once; and a worker killed (SIGKILL) in the middle of a job leaves
nothing behind: started again and swept, it issues exactly one valid document with the number its step took.

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


def reported_cases(unit, clerk, count: int, prefix: str):
    """`count` idle computers of the unit, each reported by its clerk: each waits for the head's 签发."""
    cases = []
    for i in range(count):
        asset = AssetFactory(
            code=f"MX-{prefix}-PC-{i:03d}", name=f"台式计算机{i + 1}号", holding_unit=unit,
            usage_status=UsageStatus.IDLE, idle_since=TWO_YEARS_AGO, acquired_on=datetime.date(2012, 5, 1),
        )  # fmt: skip
        idle_evidence(asset)
        cases.append(case_report(actor=as_(clerk), asset=asset, basis="idle", statement="教学点撤并后闲置，拟盘活。"))
    return cases


def at_once(calls: list) -> list:
    """Runs every call from its own thread (own connection), all released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: dict[int, object] = {}
    errors: list[str] = []

    def run(index: int, call) -> None:
        try:
            connection.ensure_connection()  # this thread's own connection, opened before the start
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception:
            errors.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a call never came back"
    assert not errors, errors[0]
    return [results[i] for i in range(len(calls))]


def test_numbers_of_steps_committed_and_issued_concurrently_have_no_gaps_and_no_duplicates(
    school, town, alice, henry, bob, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr(services, "document_enqueue", queued.append)  # keep them pending: the threads issue them
    tina = UserFactory(username="tina", full_name="马丽", organization=town, roles=[Role.UNIT_HEAD])
    school_cases = reported_cases(school, alice, 10, "YZ")
    town_cases = reported_cases(town, bob, 3, "FY")
    assert not DocumentSequence.objects.exists()  # the first numbers of the year: the steps race to create it too

    # Thirteen heads' 签发 at once: each step takes its 申报表's number in its own transaction.
    at_once([lambda c=c: case_submit(actor=as_(henry), case=c) for c in school_cases]
            + [lambda c=c: case_submit(actor=as_(tina), case=c) for c in town_cases])  # fmt: skip
    school_docs = [documents_of(c).get(step="submit") for c in school_cases]
    town_docs = [documents_of(c).get(step="submit") for c in town_cases]
    documents = school_docs + town_docs
    assert sorted(queued) == sorted(d.pk for d in documents)
    pki_init(organizations=[school, town])  # the keys exist before the race (creating them is not what is tested)

    issued_now = at_once([lambda pk=d.pk: document_issue(document_id=pk) for d in documents])
    numbers = {d.pk: d.number for d in issued_now}
    assert numbers == {d.pk: d.number for d in documents}  # the number its step took

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


def flock_waiters(path: Path) -> int:
    """How many processes wait for the flock on `path` (/proc/locks lists a waiter with "->")."""
    inode = os.stat(path).st_ino
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and "FLOCK" in line and line.split()[-3].endswith(f":{inode}"))


@pytest.mark.celery_worker
def test_a_worker_killed_mid_job_and_started_again_issues_the_document_once(
    kill_queue, computer, alice, henry, settings, tmp_path
):
    import fcntl

    from config.celery import app

    from ..worker import Worker

    school = computer.holding_unit
    year = timezone.localtime().year
    # Keys of this test's own, not yet made: the job makes the school's signing certificate after rendering, under
    # the PKI's file lock, which the test holds. The job then waits in the middle of its transaction.
    settings.PANHUO_PKI_DIR = tmp_path / "pki"
    settings.PANHUO_PKI_DIR.mkdir(mode=0o700)
    lock = settings.PANHUO_PKI_DIR / ".lock"
    holder = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    workers = [Worker(kill_queue)]
    try:
        workers[0].start()
        case = case_report(actor=as_(alice), asset=computer, basis="idle", statement="学校撤并后闲置，拟盘活。")
        case_submit(actor=as_(henry), case=case)  # on commit: the job goes to the worker through Redis
        document = documents_of(case).get(step="submit")
        assert document.number == f"茂一中盘〔{year}〕1号"  # taken by the step
        assert DocumentSequence.objects.get(organization=school, year=year).last == 1

        wait_until(lambda: flock_waiters(lock), "the worker's job waiting for the PKI after rendering")
        assert Document.objects.filter(pk=document.pk, status=DocumentStatus.PENDING, attempts=1).exists()
        workers[0].process.kill()  # SIGKILL in the middle of the job's transaction
        assert workers[0].process.wait(timeout=10) == -9
        fcntl.flock(holder, fcntl.LOCK_UN)
        with connection.cursor() as cursor:  # the killed worker's backend ends: its transaction rolled back
            cursor.execute("SELECT pid FROM pg_locks WHERE relation = 'documents_document'::regclass AND granted")
            pids = [pid for (pid,) in cursor.fetchall()]
        for pid in pids:
            wait_until(lambda pid=pid: not backend_alive(pid), "the killed worker's backend ending")
        assert DocumentSequence.objects.get(organization=school, year=year).last == 1  # no number taken twice
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
        os.close(holder)
        for worker in workers:
            worker.stop()
