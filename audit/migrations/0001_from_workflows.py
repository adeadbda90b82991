"""The audit trail moves out of workflows into its own app, state only: the tables, their PostgreSQL trigger and
every stored hash stay as they are (workflows_auditevent, workflows_auditchainhead)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.model_moves import content_types_follow


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("assets", "0006_import_batch_heartbeat"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("workflows", "0010_audit_and_supervision_moved_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditChainHead",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("seq", models.BigIntegerField(default=0)),
                        ("hash", models.CharField(blank=True, max_length=64)),
                    ],
                    options={
                        "verbose_name": "审计链",
                        "verbose_name_plural": "审计链",
                        "db_table": "workflows_auditchainhead",
                    },
                ),
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="时间"),
                        ),
                        ("role", models.CharField(blank=True, max_length=24, verbose_name="角色")),
                        ("action", models.CharField(max_length=40, verbose_name="操作")),
                        ("from_state", models.CharField(blank=True, max_length=20, verbose_name="原状态")),
                        ("to_state", models.CharField(blank=True, max_length=20, verbose_name="新状态")),
                        ("data", models.JSONField(blank=True, default=dict, verbose_name="录入内容")),
                        ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP")),
                        ("seq", models.BigIntegerField(editable=False, null=True, unique=True, verbose_name="序号")),
                        (
                            "prev_hash",
                            models.CharField(blank=True, editable=False, max_length=64, verbose_name="上一条摘要"),
                        ),
                        ("hash", models.CharField(blank=True, editable=False, max_length=64, verbose_name="摘要")),
                        (
                            "acting_for",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="代理对象",
                            ),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="操作人",
                            ),
                        ),
                        (
                            "asset",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="events",
                                to="assets.asset",
                                verbose_name="资产",
                            ),
                        ),
                        (
                            "case",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="events",
                                to="workflows.disposalcase",
                                verbose_name="处置事项",
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="assets.organization",
                                verbose_name="单位",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "审计记录",
                        "verbose_name_plural": "审计记录",
                        "db_table": "workflows_auditevent",
                        "ordering": ["at", "pk"],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_follow(from_app="workflows", to_app="audit", models=("auditevent", "auditchainhead")),
    ]
