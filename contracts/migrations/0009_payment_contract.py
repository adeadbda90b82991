"""Each payment keeps its installment's contract beside it, so the rent ledger sums a year of payments by contract,
unit or method without joining the installments (issue 14 §4: the dashboard within its target at 20,000 contracts)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Payment = apps.get_model("contracts", "Payment")
    Installment = apps.get_model("contracts", "Installment")
    Payment.objects.update(
        contract_id=Subquery(Installment.objects.filter(pk=OuterRef("installment_id")).values("contract_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0008_policy_in_workflows"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="contract",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="contracts.contract",
                verbose_name="合同",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="payment",
            name="contract",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="contracts.contract",
                verbose_name="合同",
            ),
        ),
    ]
