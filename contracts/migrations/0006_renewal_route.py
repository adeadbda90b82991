"""续签 goes through the routing rules' approval round (issue 14 §3): the renewal keeps its route, its lead department,
its 会议纪要 and the department's review; a renewal asked before this round was awaiting finance alone, and stays so
(待财政审批, routed to finance only)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def pending_to_finance(apps, schema_editor):
    ContractRenewal = apps.get_model("contracts", "ContractRenewal")
    ContractRenewal.objects.filter(state="pending").update(
        state="finance_review", routing={"needs_finance": True, "needs_collective_decision": False, "rules": []}
    )


def open_to_pending(apps, schema_editor):
    ContractRenewal = apps.get_model("contracts", "ContractRenewal")
    ContractRenewal.objects.filter(state__in=["dept_review", "finance_review"]).update(state="pending")


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0010_direction_further_methods"),
        ("contracts", "0005_payment_dates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="contractrenewal",
            name="renewal_one_pending_per_contract",
        ),
        migrations.AddField(
            model_name="contractrenewal",
            name="department",
            field=models.ForeignKey(
                blank=True,
                help_text="资产的牵头主管部门，申请时确定；早于主管部门审核环节提交的申请为空",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assets.organization",
                verbose_name="主管部门",
            ),
        ),
        migrations.AddField(
            model_name="contractrenewal",
            name="minutes",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assets.assetattachment",
                verbose_name="会议纪要",
            ),
        ),
        migrations.AddField(
            model_name="contractrenewal",
            name="review_opinion",
            field=models.TextField(blank=True, max_length=2000, verbose_name="主管部门审核意见"),
        ),
        migrations.AddField(
            model_name="contractrenewal",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="主管部门审核时间"),
        ),
        migrations.AddField(
            model_name="contractrenewal",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="主管部门审核人",
            ),
        ),
        migrations.AddField(
            model_name="contractrenewal",
            name="routing",
            field=models.JSONField(blank=True, default=dict, verbose_name="审批路径"),
        ),
        migrations.AlterField(
            model_name="contractrenewal",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="财政审批时间"),
        ),
        migrations.AlterField(
            model_name="contractrenewal",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="财政审批人",
            ),
        ),
        migrations.AlterField(
            model_name="contractrenewal",
            name="opinion",
            field=models.TextField(blank=True, max_length=2000, verbose_name="财政审批意见"),
        ),
        migrations.AlterField(
            model_name="contractrenewal",
            name="state",
            field=models.CharField(
                choices=[
                    ("dept_review", "待主管部门审核"),
                    ("finance_review", "待财政审批"),
                    ("approved", "已批准"),
                    ("returned", "已退回"),
                ],
                default="dept_review",
                max_length=16,
                verbose_name="状态",
            ),
        ),
        migrations.RunPython(pending_to_finance, open_to_pending),
        migrations.AddConstraint(
            model_name="contractrenewal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", ["dept_review", "finance_review"])),
                fields=("contract",),
                name="renewal_one_open_per_contract",
            ),
        ),
    ]
