"""监督's models move out of workflows into their own app, state only: the tables stay as they are."""

import uuid
from decimal import Decimal

import django.core.validators
import django.db.models.deletion
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
                    name="ArchiveBatch",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        (
                            "scope",
                            models.CharField(
                                choices=[("unit", "按单位"), ("category", "按类别"), ("quarter", "按季度")],
                                max_length=16,
                                verbose_name="范围",
                            ),
                        ),
                        ("params", models.JSONField(default=dict, verbose_name="条件")),
                        ("title", models.CharField(max_length=200, verbose_name="名称")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "排队中"),
                                    ("running", "生成中"),
                                    ("done", "已完成"),
                                    ("failed", "失败"),
                                ],
                                default="pending",
                                max_length=12,
                                verbose_name="状态",
                            ),
                        ),
                        ("total", models.PositiveIntegerField(default=0, verbose_name="资产数")),
                        ("done", models.PositiveIntegerField(default=0, verbose_name="已完成")),
                        (
                            "file",
                            models.FileField(
                                blank=True, max_length=200, upload_to="archives/%Y/%m/", verbose_name="文件"
                            ),
                        ),
                        ("sha256", models.CharField(blank=True, max_length=64, verbose_name="文件摘要（SHA-256）")),
                        ("size", models.PositiveBigIntegerField(default=0, verbose_name="大小")),
                        ("message", models.TextField(blank=True, verbose_name="说明")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="申请时间")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                        ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="最近进度时间")),
                        (
                            "requested_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="申请人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "档案批量导出",
                        "verbose_name_plural": "档案批量导出",
                        "db_table": "workflows_archivebatch",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="SupervisionReport",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("monthly", "月调度"), ("quarterly", "季评估")],
                                max_length=12,
                                verbose_name="报告类型",
                            ),
                        ),
                        ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                        (
                            "period",
                            models.PositiveSmallIntegerField(
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(12),
                                ],
                                verbose_name="月份或季度",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="申请时间")),
                        (
                            "requested_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="申请人",
                            ),
                        ),
                        (
                            "scope_organization",
                            models.ForeignKey(
                                blank=True,
                                help_text="留空表示全县",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="assets.organization",
                                verbose_name="统计范围",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "调度评估报告",
                        "verbose_name_plural": "调度评估报告",
                        "db_table": "workflows_supervisionreport",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="Target",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "year",
                            models.PositiveSmallIntegerField(
                                validators=[
                                    django.core.validators.MinValueValidator(2000),
                                    django.core.validators.MaxValueValidator(2100),
                                ],
                                verbose_name="年度",
                            ),
                        ),
                        ("name", models.CharField(max_length=100, verbose_name="任务名称")),
                        (
                            "unit_kind",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("administrative", "行政单位"),
                                    ("institution", "事业单位"),
                                    ("state_enterprise", "县属国有企业"),
                                    ("township", "乡镇人民政府"),
                                    ("industry_department", "行业主管部门"),
                                    ("finance", "财政"),
                                    ("asset_center", "国资中心"),
                                    ("audit", "审计"),
                                    ("coordination_office", "协调机制办"),
                                ],
                                help_text="留空表示全部单位",
                                max_length=32,
                                verbose_name="持有单位类型",
                            ),
                        ),
                        (
                            "measure",
                            models.CharField(
                                choices=[
                                    ("area_sqm", "面积（平方米）"),
                                    ("area_ha", "面积（公顷）"),
                                    ("value", "资产原值（元）"),
                                    ("count", "资产数量（项）"),
                                    ("proceeds", "处置收入（元）"),
                                ],
                                max_length=16,
                                verbose_name="计量指标",
                            ),
                        ),
                        (
                            "amount",
                            models.DecimalField(
                                decimal_places=2,
                                max_digits=18,
                                validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
                                verbose_name="年度目标值",
                            ),
                        ),
                        ("sort_order", models.PositiveSmallIntegerField(default=0, verbose_name="排序")),
                        (
                            "category",
                            models.ForeignKey(
                                blank=True,
                                help_text="留空表示全部类别",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="assets.category",
                                verbose_name="资产类别",
                            ),
                        ),
                        (
                            "lead_department",
                            models.ForeignKey(
                                blank=True,
                                help_text="留空表示全县目标",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="assets.organization",
                                verbose_name="牵头单位",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "年度目标",
                        "verbose_name_plural": "年度目标",
                        "db_table": "workflows_target",
                        "ordering": ["year", "sort_order", "pk"],
                        "constraints": [
                            models.UniqueConstraint(fields=("year", "name", "lead_department"), name="uniq_target")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_follow(
            from_app="workflows", to_app="supervision", models=("target", "archivebatch", "supervisionreport")
        ),
    ]
