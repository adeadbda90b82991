"""`bench lifecycle`: N cases of every 盘活方式 walked from 申报 to 销号 through the task pages, each step by its own
user, with every step's document rendered, numbered and signed by real workers.

- With Redis (REDIS_URL), a `celery worker -c K` of its own takes the documents from a queue of its own, in a process
  of its own; without it, the jobs run in the web process after each step commits, as the embedded deployment does.
- The cases are the demo county's (`demo.cases`): its ledger, its users, and the forms its walk fills in. The clock
  moves from working day to working day as the walk does (a plan waits for the 调剂 window). The worker keeps the
  machine's clock: a document is signed when it is signed, which the figures are about.
- Figures: lifecycles/s and documents/s; step commit → signed PDF p50/p95/p99 (the task's publication to its end,
  both read on CLOCK_MONOTONIC); CPU-seconds per lifecycle split into web (this process, the test client's requests),
  worker (its processes, read from /proc) and database (PostgreSQL's processes, read from /proc; in-process on
  SQLite); and the queries of each step's submit and claim."""

import contextlib
import datetime
import itertools
import json
import os
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from math import ceil
from pathlib import Path

from celery import current_app as celery_app
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client, override_settings
from django.urls import get_resolver, resolve
from django.utils import timezone

from assets.models import Organization
from demo.cases import Walk, walks_run, walks_to_closing
from demo.county import demo_county_load
from documents.models import Document, DocumentStatus
from workflows.models import CaseState, DisposalCase

DOCUMENT_TASK = "documents.tasks.document_issue_task"
BURST = 30  # documents asked for at once, by one issuer and by as many issuers
TICKS = os.sysconf("SC_CLK_TCK")
TRAVELLING_CELERY = (
    "import os, sys, time_machine; from celery.__main__ import main; "
    "time_machine.travel(os.environ['PANHUO_BENCH_WORKER_NOW'], tick=True).start(); sys.argv[0] = 'celery'; main()"
)


# -- CPU from /proc ----------------------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command, parent pid, CPU seconds of the process and of its children it has reaped), or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    command = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is the state (field 3 of proc(5)); utime, stime, cutime, cstime are fields 14-17
    return command, int(fields[1]), sum(int(x) for x in fields[11:15]) / TICKS


def _all_stats() -> dict[int, tuple[str, int, float]]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            out[int(entry)] = stat
    return out


def tree_cpu(root: int) -> float:
    """CPU seconds of a process and all its descendants (alive, or reaped by one of them)."""
    stats = _all_stats()
    children = defaultdict(list)
    for pid, (_, parent, _) in stats.items():
        children[parent].append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][2]
            todo.extend(children[pid])
    return total


def postgres_cpu() -> float | None:
    """CPU seconds of the machine's PostgreSQL server processes (a backend that has exited is counted in the
    postmaster's reaped children); None when the database is not PostgreSQL on this machine."""
    if connection.vendor != "postgresql":
        return None
    stats = _all_stats().values()
    found = [cpu for command, _, cpu in stats if command == "postgres" or command.startswith("postgres:")]
    return sum(found) if found else None


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the figures -------------------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, ceil(p / 100 * len(s)) - 1)] if s else 0.0


@dataclass
class StepQueries:
    submit: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    claim: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def worst(self, kind: str) -> int:
        return max((max(v) for v in getattr(self, kind).values()), default=0)


@dataclass
class Result:
    vendor: str
    mode: str  # "worker" (a real Celery worker) or "in-process"
    workers: int
    cases: int
    closed: int
    by_method: dict[str, int]
    requests: int
    documents: int
    failed_documents: int
    wall_seconds: float  # first request → last document signed
    latencies: list[float]  # per document: step commit (task published) → signed (task ended), seconds
    cpu_web: float
    cpu_worker: float
    cpu_database: float | None  # None: in the web and worker processes (SQLite)
    queries: StepQueries
    rate: float | None
    load: list[float]
    bursts: list["Burst"] = field(default_factory=list)

    @property
    def lifecycles_per_second(self) -> float:
        return self.closed / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def documents_per_second(self) -> float:
        return self.documents / self.wall_seconds if self.wall_seconds else 0.0

    def per_lifecycle(self, cpu: float | None) -> float | None:
        return None if cpu is None else cpu / max(self.closed, 1)


@dataclass
class Burst:
    label: str
    documents: int
    issuers: int
    seconds: float  # the first publication → the last PDF signed
    worker_cpu: float = 0.0  # the worker's CPU-seconds over the burst
    workers: int = 1

    @property
    def rate(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_document(self) -> float:
        return self.worker_cpu / self.documents if self.documents else 0.0

    @property
    def busy(self) -> float:
        """The share of the workers' time they computed: below 1 they waited (a lock, the database, the queue)."""
        return self.worker_cpu / (self.seconds * self.workers) if self.seconds else 0.0


# -- the walk, counted -------------------------------------------------------------------------------------------------


class _Meter:
    """What the web side sees: each request's queries (not those of a job run in-process after its commit), the moment
    each job is published, and the in-process jobs' own time."""

    def __init__(self, pace: Callable[["_Meter"], None]):
        self.pace = pace
        self.finished: list[int] = []  # requests of each walk that reached 销号
        self.queries = StepQueries()
        self.requests = 0
        self.published: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.names: dict[str, str] = {}
        self.task_cpu = 0.0
        self.first_request: float | None = None
        self._in_task = threading.local()
        self._task_started: dict[str, tuple[float, float]] = {}

    # Celery's signals: in this process, publication (a worker) or the job itself (in-process).
    def on_publish(self, sender=None, headers=None, **kwargs) -> None:
        task_id = (headers or {}).get("id")
        if task_id:
            self.published[task_id] = time.monotonic()
            self.names[task_id] = sender or ""

    def on_prerun(self, task_id=None, task=None, **kwargs) -> None:
        self._in_task.on = True
        self._task_started[task_id] = (time.monotonic(), time.thread_time())
        self.names[task_id] = getattr(task, "name", "")

    def on_postrun(self, task_id=None, **kwargs) -> None:
        self._in_task.on = False
        started, cpu = self._task_started.pop(task_id, (time.monotonic(), time.thread_time()))
        self.task_cpu += time.thread_time() - cpu
        self.published.setdefault(task_id, started)  # in-process: it runs as its step commits
        self.ended[task_id] = time.monotonic()

    def counter(self, into: list[int]):
        def count(execute, sql, params, many, context):
            if not getattr(self._in_task, "on", False):
                into[0] += 1
            return execute(sql, params, many, context)

        return count


class MeteredWalk(Walk):
    """A demo walk whose every request is paced and has its queries counted, by step, as a claim or a submit."""

    meter: _Meter
    sent: int = 0

    def steps(self) -> Iterator[int]:
        yield from super().steps()
        self.meter.finished.append(self.sent)

    def post(self, user, path, data) -> None:
        self.meter.pace(self.meter)
        if self.meter.first_request is None:
            self.meter.first_request = time.monotonic()
        match = resolve(path)
        if match.namespace == "cases" and match.url_name == "report":
            step, kind = "report", "submit"
        elif match.url_name in ("assign", "execute"):
            step, kind = self.open_task().flow_task.name, "claim" if match.url_name == "assign" else "submit"
        else:
            step, kind = f"{match.namespace}:{match.url_name}", "submit"
        self.client.force_login(user)  # not counted: signing in is not the step's
        count = [0]
        with connection.execute_wrapper(self.meter.counter(count)):
            self.submit(path, data)
        self.meter.requests += 1
        self.sent += 1
        getattr(self.meter.queries, kind)[step].append(count[0])


class _Pacer:
    """At most `rate` lifecycles a second: requests spaced at `rate` × the requests a closed lifecycle took so far
    (12 until one has closed). No rate: as fast as the web process goes."""

    def __init__(self, rate: float | None):
        self.rate = rate
        self.started: float | None = None
        self.sent = 0

    def __call__(self, meter: "_Meter") -> None:
        if not self.rate:
            return
        now = time.monotonic()
        if self.started is None:
            self.started = now
        done = meter.finished
        per_lifecycle = sum(done) / len(done) if done else 12
        due = self.started + self.sent / (self.rate * per_lifecycle)
        if due > now:
            time.sleep(due - now)
        self.sent += 1


# -- the worker --------------------------------------------------------------------------------------------------------


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{s['USER']}{password}@{host}{port}/{s['NAME']}"


class Worker:
    """`celery -A config worker -c K` on a queue of its own, against this run's database, media and keys."""

    def __init__(self, *, concurrency: int, queue: str, key: str, media: str, pki: str):
        self.concurrency = concurrency
        self.key = key
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "PANHUO_CELERY_QUEUE": queue,
            "PANHUO_BENCH_LIFECYCLE_KEY": key,
            "PANHUO_MEDIA_ROOT": media,
            "PANHUO_PKI_DIR": pki,
            "PANHUO_EMBEDDED_BEAT": "false",
        }
        # The worker starts at this process's instant and runs on from there: the machine's clock in a real run, the
        # suite's clock in a test.
        env["PANHUO_BENCH_WORKER_NOW"] = timezone.now().isoformat()
        command = [
            sys.executable, "-c", TRAVELLING_CELERY, "-A", "config", "worker", "--include", "bench.lifecycle_hooks",
            "-Q", queue, "-c", str(concurrency), "--pool", "prefork", "-l", "warning", "-n", f"{queue}@localhost",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.log = tempfile.NamedTemporaryFile(prefix="panhuo-bench-worker-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.redis = __import__("redis").Redis.from_url(settings.REDIS_URL)

    def records(self) -> list[list]:
        return [json.loads(x) for x in self.redis.lrange(self.key, 0, -1)]

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(r[0] == "ready" for r in self.records()):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"bench lifecycle: the worker did not start; see {self.log.name}")

    def cpu(self) -> float:
        return tree_cpu(self.process.pid)

    def ended(self) -> dict[str, float]:
        return {r[0]: r[2] for r in self.records() if r[0] != "ready"}

    def wait_for(self, tasks, timeout: float = 900) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            ended = self.ended()
            if all(t in ended for t in tasks):
                return ended
            if time.monotonic() > deadline:
                raise RuntimeError(f"bench lifecycle: the worker did not finish its jobs in {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.redis.delete(self.key)
        self.log.close()


@contextlib.contextmanager
def _signals(meter: _Meter) -> Iterator[None]:
    before_task_publish.connect(meter.on_publish, weak=False)
    task_prerun.connect(meter.on_prerun, weak=False)
    task_postrun.connect(meter.on_postrun, weak=False)
    try:
        yield
    finally:
        before_task_publish.disconnect(meter.on_publish)
        task_prerun.disconnect(meter.on_prerun)
        task_postrun.disconnect(meter.on_postrun)


@contextlib.contextmanager
def _queue(name: str) -> Iterator[None]:
    """This process publishes to the worker's own queue, so no other worker of the machine takes its documents."""
    saved = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    celery_app.amqp.__dict__.pop("queues", None)  # built from the default queue on first use
    try:
        yield
    finally:
        celery_app.conf.task_default_queue = saved
        celery_app.amqp.__dict__.pop("queues", None)


@contextlib.contextmanager
def _in_process() -> Iterator[None]:
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


def measure_burst(worker: "Worker", meter: _Meter, *, label: str, one_issuer: bool, size: int = BURST) -> Burst:
    """`size` documents asked for in one transaction, as a burst of steps would: again each of `size` signed documents
    (a new version of each, with its frozen context), either all of the busiest issuer (every 销号确认单 is
    县财政局's) or one per issuer in turn; timed until the worker has signed the last."""
    from documents.services import document_request

    issued = Document.objects.filter(status=DocumentStatus.ISSUED, supersedes=None).select_related("issuer")
    if one_issuer:
        busiest = issued.values("issuer").annotate(n=Count("pk")).order_by("-n").first()
        chosen = list(issued.filter(issuer=busiest["issuer"]).order_by("pk")[:size])
    else:  # each issuer's documents in turn, as many as the one issuer's burst
        by_issuer: dict[int, list[Document]] = defaultdict(list)
        for document in issued.order_by("pk"):
            by_issuer[document.issuer_id].append(document)
        rounds = itertools.zip_longest(*by_issuer.values())
        chosen = [d for row in rounds for d in row if d is not None][:size]
    organizations = Organization.objects.in_bulk([s["id"] for d in chosen for s in d.signers])
    before, cpu_before = set(meter.published), worker.cpu()
    with transaction.atomic():
        for document in chosen:
            document_request(
                kind=document.kind, subject=document.subject, step=document.step, context=document.context,
                signers=[organizations[s["id"]] for s in document.signers],
            )  # fmt: skip
    tasks = [t for t in meter.published if t not in before]
    ended = worker.wait_for(tasks)
    start = min(meter.published[t] for t in tasks)
    seconds, cpu = max(ended[t] for t in tasks) - start, worker.cpu() - cpu_before
    return Burst(label, len(tasks), len({d.issuer_id for d in chosen}), seconds, cpu, worker.concurrency)


# -- the run -----------------------------------------------------------------------------------------------------------


def run(
    *, cases: int, workers: int, rate: float | None, log: Callable[[str], None], drain_timeout: float = 900
) -> Result:
    from documents.signing import pki_init

    get_resolver().url_patterns  # noqa: B018 - viewflow's viewsets learn their namespace when the URLconf is built
    if DisposalCase.objects.exists():
        raise RuntimeError("bench lifecycle: this database already holds cases.")
    real_worker = bool(settings.REDIS_URL) and not celery_app.conf.task_always_eager
    token = secrets.token_hex(4)
    media = tempfile.mkdtemp(prefix="panhuo-bench-media-")
    pki = tempfile.mkdtemp(prefix="panhuo-bench-pki-")
    load = [os.getloadavg()[0]]
    worker = None
    try:
        with override_settings(MEDIA_ROOT=media, PANHUO_PKI_DIR=Path(pki), DEBUG=False, ALLOWED_HOSTS=["testserver"]):
            log("loading the demo county…")
            with transaction.atomic():
                demo_county_load()
            pki_init(organizations=Organization.objects.all())
            client = Client()
            first_day = timezone.localdate() + datetime.timedelta(days=1)
            walks = walks_to_closing(cases, first_day=first_day, client=client, walk=MeteredWalk)
            meter = _Meter(_Pacer(rate))
            for walk in walks:
                walk.meter = meter
            if real_worker:
                queue = f"bench-lifecycle-{token}"
                log(f"starting celery worker -c {workers} on queue {queue}…")
                worker = Worker(concurrency=workers, queue=queue, key=f"panhuo:bench:{token}", media=media, pki=pki)
                worker.wait_ready()
                time.sleep(1.0)  # the pool's children warm their renderer after "ready"

            def jobs():
                return _queue(f"bench-lifecycle-{token}") if real_worker else _in_process()

            worker_cpu0 = worker.cpu() if worker else 0.0
            db_cpu0, web_cpu0 = postgres_cpu(), process_cpu()
            log(f"walking {len(walks)} cases to 销号{'' if not rate else f' at ≤ {rate} lifecycles/s'}…")
            with _signals(meter), jobs(), override_settings(PANHUO={**settings.PANHUO, "EMBEDDED_BEAT": False}):
                walks_run(walks, until=timezone.now() + datetime.timedelta(days=3650))
            web_cpu = process_cpu() - web_cpu0
            load.append(os.getloadavg()[0])
            ended = dict(meter.ended)
            if worker:
                log("waiting for the worker to sign the last documents…")
                ended = worker.wait_for(list(meter.published), timeout=drain_timeout)
                worker_cpu = worker.cpu() - worker_cpu0
            else:
                worker_cpu = meter.task_cpu
                web_cpu -= meter.task_cpu
            db_cpu1 = postgres_cpu()
            load.append(os.getloadavg()[0])
            documents = [t for t, name in meter.names.items() if name == DOCUMENT_TASK and t in meter.published]
            latencies = [ended[t] - meter.published[t] for t in documents if t in ended]
            last = max((ended[t] for t in documents if t in ended), default=time.monotonic())
            start = meter.first_request or last
            issued = Document.objects.filter(status=DocumentStatus.ISSUED).count()
            failed = Document.objects.exclude(status=DocumentStatus.ISSUED).count()
            bursts = []
            if worker:
                log(f"timing a burst of {BURST} documents of one issuer, then of {BURST} issuers…")
                with _signals(meter), jobs():
                    bursts = [
                        measure_burst(worker, meter, label="one issuer", one_issuer=True),
                        measure_burst(worker, meter, label="many issuers", one_issuer=False),
                    ]
            closed = DisposalCase.objects.filter(state=CaseState.CLOSED)
            by_method: dict[str, int] = defaultdict(int)
            for method in closed.values_list("method", flat=True):
                by_method[method] += 1
            if closed.count() != len(walks):
                stuck = [f"{w.asset.code} {w.method.label}: {' → '.join(w.log)}" for w in walks if w.open_task()]
                raise RuntimeError("bench lifecycle: cases did not reach 销号: " + "; ".join(stuck[:5]))
            return Result(
                vendor=connection.vendor,
                mode="worker" if real_worker else "in-process",
                workers=workers if real_worker else 0,
                cases=len(walks),
                closed=closed.count(),
                by_method=dict(by_method),
                requests=meter.requests,
                documents=issued,
                failed_documents=failed,
                wall_seconds=last - start,
                latencies=latencies,
                cpu_web=web_cpu,
                cpu_worker=worker_cpu,
                cpu_database=None if db_cpu0 is None or db_cpu1 is None else db_cpu1 - db_cpu0,
                queries=meter.queries,
                rate=rate,
                load=load,
                bursts=bursts,
            )
    finally:
        if worker:
            worker.stop()
        shutil.rmtree(media, ignore_errors=True)
        shutil.rmtree(pki, ignore_errors=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
