"""The 监督 pages' forms."""

from django import forms

from assets.models import Organization
from core.forms import DateInput, Form
from workflows.models import DisposalMethod


class TrailFilterForm(Form):
    """The supervisors' trail search: by asset, case, organization, person and time, and by step and method."""

    asset = forms.CharField(label="资产", required=False, max_length=100, help_text="资产编号或名称")
    case = forms.IntegerField(label="事项编号", required=False, min_value=1)
    organization = forms.ModelChoiceField(label="单位", required=False, queryset=Organization.objects.none())
    person = forms.CharField(label="人员", required=False, max_length=50, help_text="用户名或姓名")
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput())
    step = forms.ChoiceField(label="环节", required=False)
    method = forms.ChoiceField(label="盘活方式", required=False, choices=[("", "全部方式"), *DisposalMethod.choices])

    def __init__(self, *args, organizations, steps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["organization"].empty_label = "全部单位"
        self.fields["step"].choices = [("", "全部环节"), *steps]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "截止日期不能早于起始日期。")
        return data
