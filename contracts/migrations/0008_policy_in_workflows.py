"""The reminders' lead time moves into the county's one rule table (workflows.Policy, beside the arrears grace), so a
contract setting has one home in the admin: the value set here is carried over, then ContractPolicy goes."""

from django.db import migrations


def carry_over(apps, schema_editor):
    ContractPolicy = apps.get_model("contracts", "ContractPolicy")
    Policy = apps.get_model("workflows", "Policy")
    old = ContractPolicy.objects.filter(pk=1).first()
    if old is not None:
        policy, _ = Policy.objects.get_or_create(pk=1)
        policy.reminder_lead_working_days = old.reminder_lead_working_days
        policy.save(update_fields=["reminder_lead_working_days"])


def carry_back(apps, schema_editor):
    ContractPolicy = apps.get_model("contracts", "ContractPolicy")
    Policy = apps.get_model("workflows", "Policy")
    policy = Policy.objects.filter(pk=1).first()
    if policy is not None:
        ContractPolicy.objects.update_or_create(
            pk=1, defaults={"reminder_lead_working_days": policy.reminder_lead_working_days}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0007_contracts_at_execution"),
        ("workflows", "0022_policy_reminder_lead"),
    ]

    operations = [
        migrations.RunPython(carry_over, carry_back),
        migrations.DeleteModel(name="ContractPolicy"),
    ]
