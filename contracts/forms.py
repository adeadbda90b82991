"""The contract page's forms: a payment by the unit's clerk, the confirmation of its remittance by finance, and the
contract's end (到期收回, 提前终止, 续签 and each step's decision on it)."""

from django import forms

from core.forms import DateInput, Form

from .models import Cycle, DepositOutcome, ReturnOutcome


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


class ReturnForm(Form):
    """到期收回; the termination form adds its own fields before these. Lengths are checked by the service, which says
    how long the text is (contracts.endings)."""

    returned_on = forms.DateField(label="收回交接日期", widget=DateInput())
    condition = forms.CharField(label="资产状况", widget=forms.Textarea(attrs={"rows": 3}),
                                help_text="收回时资产的完好程度、损坏与维修情况等")  # fmt: skip
    outcome = forms.ChoiceField(label="收回后使用状况", choices=ReturnOutcome.choices, widget=forms.RadioSelect)
    idle_reason = forms.CharField(label="闲置原因", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text="再度闲置的须填写；停用日期记为收回交接日期")  # fmt: skip
    evidence = forms.FileField(
        label="交接材料（附件）", required=False, help_text="交接清单或照片，PDF、JPG 或 PNG，不超过20MB"
    )


class TerminateForm(ReturnForm):
    termination_reason = forms.CharField(label="终止原因", widget=forms.Textarea(attrs={"rows": 2}))
    settlement = forms.DecimalField(label="结算金额（元）", max_digits=16, decimal_places=2,
                                    help_text="双方约定的结算款、违约金等；没有的填0")  # fmt: skip
    deposit_outcome = forms.ChoiceField(label="保证金处理", choices=DepositOutcome.choices)
    field_order = ["returned_on", "termination_reason", "settlement", "deposit_outcome"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["returned_on"].label = "终止日期（收回交接日期）"


class RenewalForm(Form):
    ends_on = forms.DateField(label="续签期限止", widget=DateInput(), help_text="续签期限自原合同期限止的次日起算")
    cycle = forms.ChoiceField(label="付款周期", choices=[c for c in Cycle.choices if c[0] != Cycle.ONE_OFF])
    annual_amount = forms.DecimalField(label="年金额（元）", max_digits=16, decimal_places=2)
    step_percent = forms.DecimalField(label="年递增比例（%）", max_digits=6, decimal_places=2, required=False)
    deposit = forms.DecimalField(label="保证金（元）", max_digits=16, decimal_places=2, required=False)
    number = forms.CharField(label="续签合同编号", max_length=60)
    reason = forms.CharField(label="续签理由", widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.FileField(
        label="集体决策会议纪要", required=False, help_text="审批规则要求集体决策的须上传；PDF、JPG 或 PNG，不超过20MB"
    )

    def __init__(self, *args, route_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if route_text:
            self.fields["reason"].help_text = f"审批路径：{route_text}"


class RenewalDecisionForm(Form):
    """The step's decision on a renewal: 同意 or 退回 (a return says why; the service checks both, and the lengths)."""

    opinion = forms.CharField(
        label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="退回的须写明原因"
    )
