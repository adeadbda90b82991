"""Issue 12: files staged across a failed submit (StagedUpload), and a deadline for the clerk's 补正申报 (the report
step, now a task of its own after a 退回补正). Execution's old second task (record_result) stays a node of the flow,
so tasks opened before it became one step need no migration."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import workflows.models


def report_deadline(apps, schema_editor):
    StepDeadline = apps.get_model("workflows", "StepDeadline")
    StepDeadline.objects.get_or_create(step="report", defaults={"working_days": 5})


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0011_policy_alert_windows"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StagedUpload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "scope",
                    models.CharField(help_text="task:<任务号> 或 report:<资产号>", max_length=60, verbose_name="表单"),
                ),
                ("field", models.CharField(max_length=60, verbose_name="字段")),
                (
                    "file",
                    models.FileField(
                        max_length=200, upload_to=workflows.models.staged_upload_path, verbose_name="文件"
                    ),
                ),
                ("original_name", models.CharField(max_length=255, verbose_name="原文件名")),
                ("content_type", models.CharField(max_length=100, verbose_name="文件类型")),
                ("size", models.PositiveBigIntegerField(verbose_name="大小（字节）")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("staged_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="暂存时间")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="上传人",
                    ),
                ),
            ],
            options={
                "verbose_name": "暂存文件",
                "verbose_name_plural": "暂存文件",
                "constraints": [
                    models.UniqueConstraint(fields=("user", "scope", "field"), name="one_staged_file_per_field")
                ],
            },
        ),
        migrations.RunPython(report_deadline, migrations.RunPython.noop),
    ]
