"""The embedded default keeps production's promises. With no Redis there is no Celery beat, so each web process runs
the beat schedule's jobs itself (the documents sweep, the lost-import and lost-archive sweeps, the overdue reminders,
the stored-files check): in one background thread started with the process, each job at start-up and then at its
interval. The jobs are idempotent, so two web processes running them costs nothing but time."""

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# How often the thread looks for a job that is due.
TICK_SECONDS = 30.0


def _drop_stale_connections() -> None:
    """Between jobs the thread drops connections past their age or broken, as a request does. Not inside a
    transaction: a caller that runs the jobs in one (a test) keeps its connection, which Django would otherwise close
    for not being in autocommit."""
    if not connection.in_atomic_block:
        close_old_connections()


class EmbeddedBeat:
    """Runs the jobs of a Celery beat schedule ({name: {"task": dotted name, "schedule": seconds}}) in-process."""

    def __init__(self, schedule: dict, *, clock: Callable[[], float] = time.monotonic):
        self.schedule = schedule
        self.clock = clock
        self.last_run: dict[str, float] = {}
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def due(self) -> list[str]:
        now = self.clock()
        return [
            name
            for name, entry in self.schedule.items()
            if name not in self.last_run or now - self.last_run[name] >= float(entry["schedule"])
        ]

    def run_due(self) -> dict[str, object]:
        """Runs every job that is due, one after the other; returns what each returned (or the error it raised)."""
        results: dict[str, object] = {}
        for name in self.due():
            self.last_run[name] = self.clock()
            _drop_stale_connections()
            try:
                results[name] = import_string(self.schedule[name]["task"]).apply(throw=True).get()
            except Exception as exc:  # one failing job must not stop the others, nor the thread
                logger.exception("embedded beat: %s failed", name)
                results[name] = exc
            finally:
                _drop_stale_connections()
        return results

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="panhuo-embedded-beat", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            self._stop.wait(TICK_SECONDS)


_beat: EmbeddedBeat | None = None
_beat_lock = threading.Lock()


def embedded_beat_start() -> EmbeddedBeat | None:
    """Starts this process's beat once, when the deployment asks for it (PANHUO["EMBEDDED_BEAT"]: on without Redis)."""
    global _beat
    if not settings.PANHUO["EMBEDDED_BEAT"]:
        return None
    with _beat_lock:
        if _beat is None:
            _beat = EmbeddedBeat(settings.CELERY_BEAT_SCHEDULE)
            _beat.start()
            logger.info("embedded beat started: %s", ", ".join(settings.CELERY_BEAT_SCHEDULE))
        return _beat


class EmbeddedBeatMiddleware:
    """Starts the embedded beat when the web process loads its middleware (runserver, gunicorn), never in a
    management command; does nothing per request."""

    def __init__(self, get_response):
        self.get_response = get_response
        embedded_beat_start()

    def __call__(self, request):
        return self.get_response(request)
