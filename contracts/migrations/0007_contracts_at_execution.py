"""Contracts are now made when a case's execution is recorded, not at its 销号: the cases executed and still waiting for
销号 get theirs now (contracts.backfill), with their one receipt booked on the schedule, so rent can be recorded
against them and no figure changes."""

from django.db import migrations


def forwards(apps, schema_editor):
    from contracts.backfill import contracts_backfill

    contracts_backfill(apps, state="executed")


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0006_renewal_route"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
