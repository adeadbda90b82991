"""`manage.py bench documents` with tiny numbers: it prints every figure, checks what it signed, and leaves the
deployment's PKI folder, the media and the database alone."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from documents.kinds import SIGNER_ROLES, STEP_KIND_TITLES

pytestmark = [
    pytest.mark.bench,
    pytest.mark.skipif(
        not Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc").exists(), reason="needs fonts-noto-cjk"
    ),
]

NUMBER = r"\d+(?:\.\d+)?"


def test_bench_documents_prints_every_figure_and_touches_nothing_real():
    pki = Path(settings.PANHUO_PKI_DIR)
    pki.mkdir(parents=True, exist_ok=True)
    before = sorted(p.relative_to(pki) for p in pki.rglob("*"))
    media_before = sorted(Path(settings.MEDIA_ROOT).rglob("*"))
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "bench", "documents", "--samples", "2", "--warmup", "1", "--documents", "4", "--processes", "1", "2",
        stdout=out, stderr=err,
    )  # fmt: skip

    text = out.getvalue()
    lines = text.splitlines()
    assert lines[0] == (
        f"bench documents: {len(STEP_KIND_TITLES)} kinds × 2 documents rendered and signed in this process "
        "(after 1 warm-up each), then 4 documents per worker pool"
    )
    assert re.fullmatch(r"  WeasyPrint [\d.]+, pydyf [\d.]+, pyHanko [\d.]+, Python [\d.]+", lines[1]), lines[1]
    throwaway = re.search(r"throwaway CA and 8 organization certificates in (\S+) \(removed afterwards\)", text)
    assert throwaway, text
    assert not Path(throwaway.group(1)).exists()
    assert "nothing stored, 0 database queries" in text
    assert re.search(rf"first document in this process \(.*\) {NUMBER} ms, not counted", text), text
    assert re.search(rf"load average \(1 min\) while measuring {NUMBER}–{NUMBER} on \d+ CPUs", text), text

    for kind, title in STEP_KIND_TITLES.items():
        signatures = len(SIGNER_ROLES[kind])
        figures = rf"\s+{signatures}" + rf"\s+{NUMBER}" * 5 + rf"\s+1\s+{NUMBER}\s+valid\s+(met|MISSED)$"
        assert re.search(rf"^  {kind} {title}{figures}", text, re.MULTILINE), f"{kind}:\n{text}"

    assert re.search(
        rf"render \+ sign, all {2 * len(STEP_KIND_TITLES)} documents: median {NUMBER} ms, p95 {NUMBER} ms; "
        rf"slowest kind's median {NUMBER} ms "
        r"\(target ≤ 120 ms: (met|MISSED)\)",
        text,
    ), text
    assert re.search(
        rf"render alone, all {2 * len(STEP_KIND_TITLES)} documents: median CPU {NUMBER} ms "
        r"\(target ≤ 80 ms: (met|MISSED)\)",
        text,
    ), text
    assert re.search(
        rf"largest PDF {NUMBER} KB a page, every kind one page \(target ≤ 300 KB per one-page document: (met|MISSED)\)",
        text,
    ), text
    pool = rf"\s+4\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}"
    assert re.search(rf"^  1 worker process{pool}\s+{NUMBER}$", text, re.MULTILINE), text
    assert re.search(
        rf"^  2 worker processes{pool}\s+{NUMBER}, {NUMBER}\s+\(target ≥ 15 documents/s: (met|MISSED)\)$",
        text,
        re.MULTILINE,
    ), text

    # The deployment's CA, the media and the database were left alone (a database query would have failed the test:
    # it has no database access).
    assert sorted(p.relative_to(pki) for p in pki.rglob("*")) == before
    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == media_before
    assert "worker process" in err.getvalue()


def test_bench_documents_refuses_nonsense():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("bench", "documents", "--samples", "0", stdout=io.StringIO())


def test_the_contexts_are_realistic_for_every_kind():
    """What the benchmark renders has the shape of workflows.services.document_context at each kind's step."""
    import random

    from bench.documents import ORGANIZATIONS, document_context

    rng = random.Random(1)
    for kind in STEP_KIND_TITLES:
        context, signers = document_context(kind, rng, case_id=7)
        assert set(context) >= {"case_id", "step", "asset", "holding_unit", "routing", "amounts", "events"}
        assert context["events"] and all(e["organization"] in ORGANIZATIONS for e in context["events"])
        assert all(name in ORGANIZATIONS for name in signers)
        assert len(signers) == len(SIGNER_ROLES[kind])
        assert ("execution" in context) == (context["step"] in ("execute", "close"))
