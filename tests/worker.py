"""A real Celery worker for the PostgreSQL + Redis pass: its own process, its own queue, the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app

BASE_DIR = Path(__file__).resolve().parent.parent
# The worker keeps the suite's clock (tests/clock.py): it starts at the instant the test process is at, and runs on.
TRAVELLING_CELERY = (
    "import os, sys, time_machine; from celery.__main__ import main; "
    "time_machine.travel(os.environ['PANHUO_TEST_WORKER_NOW'], tick=True).start(); sys.argv[0] = 'celery'; main()"
)


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    def __init__(self, queue: str):
        self.queue = queue
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "PANHUO_CELERY_QUEUE": self.queue,
            "PANHUO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PANHUO_PKI_DIR": str(settings.PANHUO_PKI_DIR),
            "PANHUO_TEST_WORKER_NOW": timezone.now().isoformat(),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                TRAVELLING_CELERY,
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=warning",
            ],
            cwd=BASE_DIR,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited with {self.process.returncode}")
            if app.control.ping(destination=[f"{self.queue}@{os.uname().nodename}"], timeout=0.5):
                return
        raise RuntimeError("Celery worker did not answer within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
