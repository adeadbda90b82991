"""Covering partial indexes on viewflow's task table for the 待办 lists and the menu's counts (measured with
`manage.py bench workflow` at 50,000 cases).

Every list and count reads human tasks only (flow_task_type = HUMAN, workflows.selectors._task_rows), by owner and
status (我的待办, 已办) or by role key and status (待认领). The indexes of 0005 find those tasks, but each is then
read from the table for its process (to join its case) and, for a filtered list, its id: a reviewer's 2,400 queued
tasks lay on 2,000 pages of the table. With the process and the id in the index, the menu's counts and the filtered
inbox's own ids come from the index alone. The table belongs to viewflow, so the indexes are added here with the
schema editor rather than as model state; elsewhere than on PostgreSQL they are plain partial indexes (no INCLUDE)."""

from django.db import migrations, models

HUMAN = models.Q(flow_task_type="HUMAN")
INDEXES = [
    models.Index(fields=["owner", "status"], include=["process", "id"], condition=HUMAN, name="panhuo_task_inbox_rows"),
    models.Index(
        fields=["owner_permission", "status"], include=["process"], condition=HUMAN, name="panhuo_task_queue_rows"
    ),
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
        ("workflows", "0020_policy_arrears_grace"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(add_indexes, remove_indexes)]
