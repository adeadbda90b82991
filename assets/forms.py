"""Forms of the register: the ledger filter, the asset form, the evidence upload."""

from django import forms
from django.conf import settings

from core.formatting import mu_to_sqm, sqm_to_mu
from core.forms import DateInput, Form, ModelForm
from core.uploads import sniff_upload

from .models import (
    Asset,
    AssetStatus,
    AttachmentKind,
    Category,
    CategorySubtype,
    MeasureUnit,
    Organization,
    UsageStatus,
    areas_agree,
)

SORTS = {
    "code": "code",
    "-code": "-code",
    "name": "name",
    "-name": "-name",
    "original_value": "original_value",
    "-original_value": "-original_value",
    "area": "area_m2",
    "-area": "-area_m2",
    "acquired_on": "acquired_on",
    "-acquired_on": "-acquired_on",
    "idle_since": "idle_since",
    "-idle_since": "-idle_since",
    "unit": "holding_unit__name",
    "-unit": "-holding_unit__name",
}


class LedgerFilterForm(Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "资产编号、名称或位置"}),
    )
    category = forms.ModelChoiceField(
        label="类别", queryset=Category.objects.all(), required=False, empty_label="全部类别"
    )
    unit = forms.ModelChoiceField(
        label="持有单位", queryset=Organization.objects.all(), required=False, empty_label="全部单位"
    )
    status = forms.ChoiceField(label="台账状态", choices=[("", "全部状态"), *AssetStatus.choices], required=False)
    usage = forms.ChoiceField(label="使用状况", choices=[("", "全部"), *UsageStatus.choices], required=False)
    idle_months = forms.IntegerField(
        label="闲置超过（月）",
        required=False,
        min_value=0,
        max_value=600,
        widget=forms.NumberInput(attrs={"style": "width:6em"}),
    )
    sort = forms.ChoiceField(label="排序", choices=[(k, k) for k in SORTS], required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units


class SubtypeSelect(forms.Select):
    """The sub-type list: each option names its category (data-category), and static/panhuo/subtype-filter.js shows
    only the sub-types of the category chosen in the form's field named by data-subtype-of."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-category"] = instance.category_id
        return option


class AssetForm(ModelForm):
    area_mu = forms.DecimalField(
        label="面积（亩）",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="土地可按亩填写，系统按 1亩=666.67㎡ 换算",
    )

    class Meta:
        model = Asset
        fields = [
            "code",
            "name",
            "category",
            "subtype",
            "holding_unit",
            "specification",
            "quantity",
            "unit_of_measure",
            "area_m2",
            "area_mu",
            "original_value",
            "net_value",
            "acquired_on",
            "address",
            "latitude",
            "longitude",
            "ownership",
            "certificate_no",
            "usage_status",
            "idle_since",
            "idle_reason",
            "direction",
            "direction_note",
            "responsible_person",
            "deadline",
            "remarks",
        ]
        widgets = {
            "acquired_on": DateInput(),
            "idle_since": DateInput(),
            "deadline": DateInput(),
            "idle_reason": forms.Textarea(attrs={"rows": 2}),
            "direction_note": forms.Textarea(attrs={"rows": 2}),
            "remarks": forms.Textarea(attrs={"rows": 2}),
            "subtype": SubtypeSelect(attrs={"data-subtype-of": "category"}),
        }

    fieldsets = [
        (
            "基本信息",
            ["code", "name", "category", "subtype", "holding_unit", "specification", "quantity", "unit_of_measure"],
        ),
        ("价值与面积", ["original_value", "net_value", "acquired_on", "area_m2", "area_mu"]),
        ("位置与权属", ["address", "latitude", "longitude", "ownership", "certificate_no"]),
        (
            "使用与盘活（一资产一策）",
            [
                "usage_status",
                "idle_since",
                "idle_reason",
                "direction",
                "direction_note",
                "responsible_person",
                "deadline",
                "remarks",
            ],
        ),
    ]
    wide_fields = {"idle_reason", "direction_note", "remarks", "address"}

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holding_unit"].queryset = units
        only_units = list(units[:2])
        if len(only_units) == 1 and not self.instance.pk:
            # A clerk keeps one unit's ledger: the unit is not a choice, and a posted other unit is ignored.
            self.fields["holding_unit"].initial = only_units[0]
            self.fields["holding_unit"].disabled = True
        units_of_measure = MeasureUnit.names()
        if self.instance.unit_of_measure and self.instance.unit_of_measure not in units_of_measure:
            units_of_measure.append(self.instance.unit_of_measure)  # a unit since retired: shown, refused on save
        self.fields["unit_of_measure"] = forms.ChoiceField(
            label="计量单位", choices=[(name, name) for name in units_of_measure], initial=self.instance.unit_of_measure
        )
        # Offered by category in the page; a pair that does not fit is refused by Asset.clean.
        self.fields["subtype"].queryset = CategorySubtype.objects.all()
        self.fields["subtype"].label_from_instance = lambda s: s.name
        if self.instance.pk:
            # The code identifies the row everywhere (documents, imports); it is fixed once registered.
            self.fields["code"].disabled = True
            # Moving an asset to another unit is a 调剂, done by a disposal case, never by an edit.
            self.fields["holding_unit"].disabled = True
            self.fields["area_mu"].initial = sqm_to_mu(self.instance.area_m2)

    @property
    def bound_fieldsets(self):
        return [(title, [(self[n], n in self.wide_fields) for n in names]) for title, names in self.fieldsets]

    def clean(self):
        data = super().clean()
        m2, mu = data.get("area_m2"), data.get("area_mu")
        if mu is not None and m2 is None:
            data["area_m2"] = mu_to_sqm(mu)
            self.instance.area_m2 = data["area_m2"]
        elif mu is not None and m2 is not None and not areas_agree(m2, mu):
            self.add_error("area_mu", f"面积（亩）与面积（㎡）不一致：{m2}㎡ 约合 {sqm_to_mu(m2)} 亩。")
        return data

    def _post_clean(self):
        super()._post_clean()
        if "area_m2" in self.cleaned_data:
            self.instance.area_m2 = self.cleaned_data["area_m2"]


class AttachmentForm(Form):
    kind = forms.ChoiceField(label="材料类型", choices=AttachmentKind.choices)
    file = forms.FileField(label="文件", help_text="PDF、JPG、PNG、XLSX、DOCX，不超过 20 MB")
    description = forms.CharField(label="说明", max_length=200, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.sniffed = sniff_upload(upload, max_bytes=settings.PANHUO["ATTACHMENT_MAX_BYTES"])
        return upload
