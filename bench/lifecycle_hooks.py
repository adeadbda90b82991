"""Loaded into the Celery worker that `bench lifecycle` starts (`celery worker --include bench.lifecycle_hooks`), and
nowhere else: when the worker is ready, and when each task ends, it appends a line to a Redis list the bench reads —
the task's id and name, the moment (CLOCK_MONOTONIC, which every process of the machine shares, so it compares with the
moment the web process published the task) and the CPU time the task's thread spent."""

import json
import os
import time

from celery.signals import task_postrun, task_prerun, worker_ready

KEY = os.environ.get("PANHUO_BENCH_LIFECYCLE_KEY", "")
_started: dict[str, float] = {}
_client = None


def _push(record: list) -> None:
    global _client
    if not KEY:
        return
    if _client is None:
        import redis

        _client = redis.Redis.from_url(os.environ["REDIS_URL"])
    _client.rpush(KEY, json.dumps(record))


@worker_ready.connect
def _ready(**kwargs) -> None:
    _push(["ready", "", time.monotonic(), 0.0])


@task_prerun.connect
def _start(task_id=None, **kwargs) -> None:
    _started[task_id] = time.thread_time()


@task_postrun.connect
def _end(task_id=None, task=None, state=None, **kwargs) -> None:
    cpu = time.thread_time() - _started.pop(task_id, time.thread_time())
    _push([task_id, getattr(task, "name", ""), time.monotonic(), cpu, state or ""])
