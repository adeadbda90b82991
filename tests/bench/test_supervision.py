"""`bench supervision` with a tiny county: it seeds, times the dashboard, the rent ledger, the monthly report and
verify_audit, prints every figure, proves the seeded trail, and keeps nothing."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from assets.models import Asset
from audit.models import AuditEvent
from contracts.models import Contract, Installment, Payment
from workflows.models import DisposalCase

pytestmark = [pytest.mark.bench, pytest.mark.django_db]


def test_the_supervision_benchmark_prints_its_figures_and_leaves_nothing_behind():
    out = io.StringIO()
    call_command(
        "bench", "supervision", "--assets", "400", "--events", "5000", "--contracts", "50", "--repeats", "1",
        "--in-place", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    text = out.getvalue()
    # The seeded cases' few closed leases, and as many more closed leases as the 50 contracts need.
    header = r"4\d\d assets, 1\d\d cases, 5,0\d\d audit events, 50 contracts "
    header += r"\([1-9][\d,]* installments, [1-9][\d,]* payments\)"
    assert re.search(rf"bench supervision: {header}", text), text
    pages = ["dashboard, county (监督)", "dashboard, 茂县机关事务管理局", "租金台账, county, 12 months"]
    pages += ["租金台账, one contract (", "租金台账 xlsx, county, 12 months", "月调度 xlsx"]
    for label in pages:  # median, worst, queries
        assert re.search(rf"^  {re.escape(label)}.* +[\d.]+ +[\d.]+ +\d+$", text, re.M), label
    assert re.search(r"^  月调度 signed PDF.* +[\d.]+ +[\d.]+ *$", text, re.M), text
    assert re.search(r"verify_audit: 5,0\d\d events verified$", text, re.M), text
    assert "BROKEN" not in text and "target dashboard ≤ 1 s" in text
    assert re.search(
        r"target rent ledger ≤ 1 s \(worst of each page; the workbook not judged\): (met|MISSED)$", text, re.M
    )
    assert not Asset.objects.exists() and not DisposalCase.objects.exists() and not AuditEvent.objects.exists()
    assert not Contract.objects.exists() and not Installment.objects.exists() and not Payment.objects.exists()


def test_the_supervision_benchmark_refuses_sizes_that_measure_nothing():
    with pytest.raises(CommandError, match="--assets must be at least 100"):
        call_command("bench", "supervision", "--assets", "10", "--in-place", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--contracts at least 0"):
        call_command("bench", "supervision", "--contracts", "-1", "--in-place", stdout=io.StringIO())
