"""`bench workflow` with a tiny N: it seeds, times the pages and every step, prints its figures, keeps nothing."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from viewflow.workflow.models import Task

from assets.models import Asset, User
from bench.workflows import HUMAN_STEPS
from workflows.models import DisposalCase

pytestmark = [pytest.mark.bench, pytest.mark.django_db]


def test_the_workflow_benchmark_prints_its_figures_and_leaves_nothing_behind():
    users = User.objects.count()
    out = io.StringIO()

    call_command(
        "bench", "workflow", "--cases", "200", "--requests", "2", "--samples", "1", "--in-place",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip

    text = out.getvalue()
    assert "bench workflow: 200 cases" in text
    assert re.search(r"seeded 200 cases, [\d,]+ tasks \([\d,]+ human, [\d,]+ open\)", text)
    pages = re.findall(r"^  (reviewer|finance) (inbox|queue) +([\d,]+) .* (\d+) +([\d.]+) +([\d.]+)$", text, re.M)
    assert len(pages) == 8  # two users × two pages × (start, N)
    assert [p[2] for p in pages[4:]] == ["200"] * 4
    assert "query count the same at the start and at 200 cases: met" in text
    # The filtered inbox (search, 原值 band, deadline window, sort) costs the same queries at the start and at N.
    filtered = re.findall(r"^  reviewer inbox filtered +([\d,]+) .* (\d+) +([\d.]+) +([\d.]+)$", text, re.M)
    assert len(filtered) == 2 and filtered[0][1] == filtered[1][1] and filtered[1][0] == "200"
    assert re.search(r"reviewer filtered inbox: (\d+) queries at [\d,]+ cases, \1 at 200 \(constant: met\); p50 "
                     r"[\d.]+ ms, p95 [\d.]+ ms", text)  # fmt: skip
    for step in HUMAN_STEPS:
        assert re.search(rf"^  {step} .* +1 +[\d–]+ +[\d.]+ +[\d.]+  (met|MISSED)$", text, re.M), step
    assert "claim (认领), all steps" in text
    # Everything ran inside one transaction that was rolled back.
    assert not DisposalCase.objects.exists() and not Task.objects.exists() and not Asset.objects.exists()
    assert User.objects.count() == users


def test_it_refuses_a_database_that_holds_cases(alice, computer):
    from workflows.services import case_report

    from ..cases import as_

    case_report(actor=as_(alice), asset=computer, basis="idle", statement="闲置")
    with pytest.raises(CommandError, match="already holds cases"):
        call_command("bench", "workflow", "--cases", "20", "--in-place", stdout=io.StringIO(), stderr=io.StringIO())
