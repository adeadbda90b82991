"""Seeds DESIGN.md's defaults: the policy row, the routing rules and the step deadlines (all admin-editable)."""

from decimal import Decimal

from django.db import migrations

# The lead department reviews every plan; 县财政局 also approves land, buildings, any auction and anything
# with 原值 ≥ 500,000 (per item, or summed over the unit's plans of one method within 30 days).
ROUTING_RULES = [
    ("土地资源处置须财政审批", "", "land", None, False),
    ("房屋构筑物处置须财政审批", "", "building", None, False),
    ("拍卖（公开转让）须财政审批", "auction", None, None, False),
    ("原值50万元及以上须财政审批并集体决策", "", None, Decimal("500000"), True),
]

STEP_DEADLINES = {
    "sign_off": 3,
    "verify": 10,
    "plan": 10,
    "dept_review": 5,
    "finance_approve": 5,
    "execute": 30,
    "confirm_receipt": 5,
    "confirm_remittance": 5,
    "close": 5,
}


def seed(apps, schema_editor):
    Policy = apps.get_model("workflows", "Policy")
    RoutingRule = apps.get_model("workflows", "RoutingRule")
    StepDeadline = apps.get_model("workflows", "StepDeadline")
    Category = apps.get_model("assets", "Category")

    Policy.objects.get_or_create(pk=1)
    for name, method, category, min_value, collective in ROUTING_RULES:
        RoutingRule.objects.get_or_create(
            name=name,
            version=1,
            defaults={
                "method": method,
                "category": Category.objects.get(code=category) if category else None,
                "min_value": min_value,
                "requires_finance": True,
                "requires_collective_decision": collective,
            },
        )
    for step, days in STEP_DEADLINES.items():
        StepDeadline.objects.get_or_create(step=step, defaults={"working_days": days})


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial"), ("assets", "0004_more_evidence_kinds")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
