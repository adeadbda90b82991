"""Existing closed leases (and the other contract methods' closed cases) become contracts with their one receipt
booked on the schedule (contracts.backfill), so no closed case's figure changes."""

from django.db import migrations


def forwards(apps, schema_editor):
    from contracts.backfill import contracts_backfill

    contracts_backfill(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
        ("workflows", "0020_policy_arrears_grace"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
