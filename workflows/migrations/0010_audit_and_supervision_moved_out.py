"""The trail (now `audit`) and 监督's targets, archive batches and reports (now `supervision`) leave the workflows
app's state; their tables stay and are taken over by those apps (their 0001 migrations)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0009_supervision"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="archivebatch",
                    name="requested_by",
                ),
                migrations.DeleteModel(
                    name="AuditChainHead",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="acting_for",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="actor",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="asset",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="case",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="organization",
                ),
                migrations.RemoveField(
                    model_name="supervisionreport",
                    name="requested_by",
                ),
                migrations.RemoveField(
                    model_name="supervisionreport",
                    name="scope_organization",
                ),
                migrations.RemoveField(
                    model_name="target",
                    name="category",
                ),
                migrations.RemoveField(
                    model_name="target",
                    name="lead_department",
                ),
                migrations.DeleteModel(
                    name="ArchiveBatch",
                ),
                migrations.DeleteModel(
                    name="AuditEvent",
                ),
                migrations.DeleteModel(
                    name="SupervisionReport",
                ),
                migrations.DeleteModel(
                    name="Target",
                ),
            ],
            database_operations=[],
        ),
    ]
