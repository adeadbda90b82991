"""The contract page's forms: a payment by the unit's clerk, the confirmation of its remittance by finance."""

from django import forms

from core.forms import DateInput, Form


class PaymentForm(Form):
    installment = forms.TypedChoiceField(label="应收期次", coerce=int)
    amount = forms.DecimalField(label="收款金额（元）", max_digits=16, decimal_places=2)
    paid_on = forms.DateField(label="收款日期", widget=DateInput())
    receipt_no = forms.CharField(label="收款凭证号", max_length=60, help_text="缴款凭证或收据的编号")
    evidence = forms.FileField(label="收款凭证（附件）", required=False, help_text="PDF、JPG 或 PNG，不超过20MB")

    def __init__(self, *args, installments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["installment"].choices = [
            (i.pk, f"第{i.sequence}期（{i.due_on:%Y年%-m月%-d日}应付，尚欠{i.outstanding:,.2f}元）")
            for i in installments
        ]


class ConfirmForm(Form):
    nontax_receipt_no = forms.CharField(label="非税收入缴款书号", max_length=60)
