"""`bench lifecycle` with a tiny N: cases walked from 申报 to 销号 through the task pages, every document signed, the
figures printed; with Redis, by a Celery worker of its own (that test runs on the PostgreSQL pass, which leaves the
other benchmarks' smoke tests to the SQLite pass)."""

import io
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from documents.models import Document, DocumentStatus
from workflows.models import CaseState, DisposalCase

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _bench(*args: str) -> str:
    out = io.StringIO()
    call_command("bench", "lifecycle", "--in-place", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _figures_printed(text: str, cases: int) -> None:
    assert f"bench lifecycle: {cases}/{cases} cases to 销号" in text
    assert re.search(r"lifecycles/s +\d+\.\d\d", text)
    assert re.search(r"documents/s +\d+\.\d\d", text)
    assert re.search(r"step commit → signed PDF +p50 [\d.]+ s, p95 [\d.]+ s, p99 [\d.]+ s", text)
    cpu = re.search(r"CPU-s per lifecycle +([\d.]+) .*: web ([\d.]+), worker ([\d.]+), database (.+)$", text, re.M)
    assert cpu and float(cpu[2]) > 0 and float(cpu[3]) > 0
    for step in ("report", "sign_off", "verify", "plan", "execute", "close"):
        assert re.search(rf"^  {step} +\d+ / \d+", text, re.M), step
    assert re.search(r"worst submit \d+ \(target ≤ 20\), worst claim \d+ \(target ≤ 8\)", text)


@pytest.mark.bench
def test_two_cases_walk_to_closing_with_every_document_signed_in_process():
    text = _bench("--cases", "2")

    _figures_printed(text, 2)
    assert "documents in the web process after each commit" in text
    assert DisposalCase.objects.filter(state=CaseState.CLOSED).count() == 2
    documents = Document.objects.all()
    assert documents.count() >= 8 and not documents.exclude(status=DocumentStatus.ISSUED).exists()
    assert re.search(rf"{documents.count()} documents signed \(0 not\)", text)


@pytest.mark.celery_worker
@pytest.mark.skipif(not settings.REDIS_URL, reason="a real worker needs Redis (the PostgreSQL pass)")
def test_with_redis_a_worker_of_its_own_signs_every_document(celery_worker):
    text = _bench("--cases", "2", "--workers", "1")

    _figures_printed(text, 2)
    assert "documents a celery worker -c 1" in text
    assert not Document.objects.exclude(status=DocumentStatus.ISSUED).exists()
    assert re.search(r"database [\d.]+$", text, re.M)  # PostgreSQL's own processes, read from /proc
    assert re.search(r"burst, one issuer +[\d.]+ documents/s \(\d+ documents of 1 issuer in", text)
    assert re.search(r"burst, many issuers +[\d.]+ documents/s \(\d+ documents of \d+ issuers in", text)
    # the worker's CPU per document and its busy share tell a costlier document from a wait
    assert len(re.findall(r"; worker \d+ CPU-ms a document, busy \d+% of 1 process\)$", text, re.M)) == 2, text
    assert re.search(r"one issuer's burst at \d+% of many issuers'", text)


@pytest.mark.bench
def test_a_paced_run_says_so_and_a_database_that_holds_cases_is_refused():
    text = _bench("--cases", "1", "--rate", "50")
    assert "paced at ≤ 50.0 lifecycles/s" in text and "bench lifecycle: 1/1 cases to 销号" in text
    with pytest.raises(CommandError, match="already holds cases"):
        _bench("--cases", "1")


@pytest.mark.bench
@pytest.mark.parametrize("args", [("--cases", "0"), ("--workers", "0"), ("--rate", "0"), ("--rate", "-1")])
def test_bad_arguments_are_refused_before_anything_is_made(args):
    with pytest.raises(CommandError, match="--cases and --workers must be at least 1, --rate above 0"):
        _bench(*args)
    assert not DisposalCase.objects.exists() and not Document.objects.exists()
