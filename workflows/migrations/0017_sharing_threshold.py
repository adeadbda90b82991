"""开放共享's scope as the county's data: 原值20万元及以上科研仪器 (seed 000 二(六)1)."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    Category = apps.get_model("assets", "Category")
    MethodAvailability = apps.get_model("workflows", "MethodAvailability")
    category = Category.objects.filter(code="research_equipment").first()
    if category is not None:
        MethodAvailability.objects.get_or_create(
            method="open_sharing", category=category, subtype=None,
            defaults={"enabled": True, "min_original_value": Decimal("200000")},
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("workflows", "MethodAvailability").objects.filter(method="open_sharing", subtype=None).delete()


class Migration(migrations.Migration):
    dependencies = [("workflows", "0016_method_registry"), ("assets", "0008_attachment_kinds_for_methods")]

    operations = [migrations.RunPython(seed, unseed)]
