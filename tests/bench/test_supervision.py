"""`bench supervision` with a tiny county: it seeds, times the dashboard, the monthly report and verify_audit,
prints every figure, proves the seeded trail, and keeps nothing."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from assets.models import Asset
from audit.models import AuditEvent
from workflows.models import DisposalCase

pytestmark = [pytest.mark.bench, pytest.mark.django_db]


def test_the_supervision_benchmark_prints_its_figures_and_leaves_nothing_behind():
    out = io.StringIO()
    call_command(
        "bench", "supervision", "--assets", "400", "--events", "5000", "--repeats", "1", "--in-place",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    text = out.getvalue()
    assert re.search(r"bench supervision: 4\d\d assets, 120 cases, 5,0\d\d audit events", text), text
    for label in ("dashboard, county (监督)", "dashboard, 茂县机关事务管理局", "月调度 xlsx", "月调度 signed PDF"):
        assert re.search(rf"^  {re.escape(label)}.* +[\d.]+ +[\d.]+", text, re.M), label
    assert re.search(r"verify_audit: 5,0\d\d events verified$", text, re.M), text
    assert "BROKEN" not in text and "target dashboard ≤ 1 s" in text
    assert not Asset.objects.exists() and not DisposalCase.objects.exists() and not AuditEvent.objects.exists()


def test_the_supervision_benchmark_refuses_sizes_that_measure_nothing():
    with pytest.raises(CommandError, match="--assets must be at least 100"):
        call_command("bench", "supervision", "--assets", "10", "--in-place", stdout=io.StringIO())
