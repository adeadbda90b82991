"""Indexes on viewflow's task table for the 待办 pages (measured with `manage.py bench workflow`).

The queue filters on (owner_permission, status = NEW) and the inbox on (owner, status IN ASSIGNED/STARTED); viewflow
indexes status and owner only separately, so at 50,000 cases PostgreSQL read every NEW task of the county (19,000)
to keep a reviewer's 2,400, on every page (the menu counts the queue too). The table belongs to viewflow, so the
indexes are added here with the schema editor rather than as model state."""

from django.db import migrations, models

INDEXES = [
    models.Index(fields=["owner_permission", "status"], name="panhuo_task_queue"),
    models.Index(fields=["owner", "status"], name="panhuo_task_inbox"),
]


def add_indexes(apps, schema_editor):
    task = apps.get_model("viewflow", "Task")
    for index in INDEXES:
        schema_editor.add_index(task, index)


def remove_indexes(apps, schema_editor):
    task = apps.get_model("viewflow", "Task")
    for index in INDEXES:
        schema_editor.remove_index(task, index)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0004_approved_low_bid"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(add_indexes, remove_indexes)]
