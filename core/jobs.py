"""Background jobs: queued when the writing transaction commits (so a job never looks for rows it cannot see yet, nor
runs for a write that was rolled back), and reporting on their row through one status-and-progress model."""

import datetime
from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string


def enqueue_on_commit(job: str | Callable[..., Any], *args: Any) -> None:
    """Queues `job` after the commit: a Celery task by its dotted name (looked up then, so the apps' task modules need
    not be imported by their services), or a function that queues it."""

    def enqueue() -> None:
        if isinstance(job, str):
            import_string(job).delay(*args)
        else:
            job(*args)

    transaction.on_commit(enqueue)


# A job asked for this long ago and never started has lost its message (a restart before the worker took it).
NEVER_STARTED = datetime.timedelta(minutes=5)


class BackgroundJob(models.Model):
    """What a background job (an import batch, an archive batch) reports on its row: its status, its progress (the
    `PROGRESS` fields: done of total), a message, and its heartbeat. The job touches the heartbeat as it goes, so one
    whose worker died stops beating, and its sweep takes it back (`lost`, `take_back`)."""

    PROGRESS: tuple[str, str] = ("total", "done")  # the model's (total, done) counters
    DONE_STATUSES: tuple[str, ...] = ()  # finished: 100% even with nothing to count

    message = models.TextField("说明", blank=True)
    heartbeat_at = models.DateTimeField("最近进展", null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def progress_percent(self) -> int:
        total, done = (getattr(self, name) for name in self.PROGRESS)
        if not total:
            return 100 if self.status in self.DONE_STATUSES else 0
        return min(100, done * 100 // total)

    @classmethod
    def lost(cls, *, pending, running, stalled_after: datetime.timedelta) -> models.QuerySet:
        """The jobs whose work was lost: in a `pending` status and never started for NEVER_STARTED, or in a `running`
        status with no heartbeat for `stalled_after`."""
        now = timezone.now()
        never_started = now - NEVER_STARTED
        quiet = models.Q(heartbeat_at__isnull=True) | models.Q(heartbeat_at__lt=now - stalled_after)
        return cls.objects.filter(
            (models.Q(status__in=pending, created_at__lt=never_started)
             & (models.Q(heartbeat_at__isnull=True) | models.Q(heartbeat_at__lt=never_started)))
            | (models.Q(status__in=running) & quiet)
        ).only("pk", "status", "heartbeat_at")  # fmt: skip

    def take_back(self, **changes) -> bool:
        """Takes a lost job back, with `changes` (e.g. back to pending), if its row is still as the sweep saw it: a job
        that is in fact alive and beat meanwhile keeps it. Touches the heartbeat, so the next sweep leaves it."""
        seen = type(self).objects.filter(pk=self.pk, status=self.status, heartbeat_at=self.heartbeat_at)
        return bool(seen.update(heartbeat_at=timezone.now(), **changes))
