"""`manage.py bench import` prints its figures and leaves nothing behind, on the trail included."""

import io

import pytest
from django.core.management import call_command

from assets.models import Asset, ImportBatch, Organization, User
from audit.chain import audit_chain_verify
from audit.models import AuditEvent

pytestmark = [pytest.mark.bench, pytest.mark.django_db]


@pytest.mark.parametrize("extra", [[], ["--no-dimension"]], ids=["as-excel-saves-it", "no-stored-dimension"])
def test_the_import_benchmark_runs_and_leaves_nothing_behind(extra):
    organizations, users = Organization.objects.count(), User.objects.count()
    out = io.StringIO()

    call_command("bench", "import", "--rows", "40", *extra, stdout=out)

    assert "validate + commit" in out.getvalue()
    assert "rows saved" in out.getvalue()
    assert (Organization.objects.count(), User.objects.count()) == (organizations, users)
    assert not Asset.objects.exists()
    assert not ImportBatch.objects.exists()
    assert not AuditEvent.objects.filter(action="import_commit").exists() and audit_chain_verify().ok
