"""The forms of the path's steps. They check shape only; every rule of the policy is checked by the step's service,
whose refusals come back as errors on these forms."""

import copy
from decimal import Decimal

from django import forms
from django.conf import settings

from assets.models import HOLDING_KINDS, AttachmentKind, Organization
from core.forms import DateInput, Form
from core.uploads import sniff_upload

from . import methods
from .models import (
    APPROVED_TERMS,
    PLAN_PREFILLS,
    RECORD_COLUMNS,
    Basis,
    DisposalCase,
    ExecutionRecord,
    execution_field_label,
    methods_for_asset,
    record_refusals,
    term_text,
)
from .services import PLAN_TERM_FIELDS, collective_decision_needed, handed_over, proceeds_errors

TEXTAREA = forms.Textarea(attrs={"rows": 3})
MONEY = {"max_digits": 16, "decimal_places": 2, "min_value": 0, "required": False}


class OptionField(forms.ChoiceField):
    """A select of the case's own list; what it accepts is the method's rule on that field (one home: its message
    names the list), so the form takes any text and the rule refuses what is not in the list."""

    def valid_value(self, value) -> bool:
        return True


def case_field(case: DisposalCase, name: str) -> forms.Field:
    """The form field of one of the case's method's fields; one answered from the case's own list (its `options`)
    becomes a select of them, blank meaning unchanged."""
    declared = case.spec.get_field(name)
    if declared.options is None:
        return method_field(case.spec.code, name)
    choices = [("", "不变"), *((option, option) for option in declared.options(case))]
    label = execution_field_label(case.spec.code, name)
    return OptionField(label=label, required=False, help_text=declared.help, choices=choices)


def method_field(method: str, name: str) -> forms.Field:
    """The form field of one of a method's execution fields: its column's, or built from its declared kind."""
    if name in RECORD_COLUMNS:
        field = forms.fields_for_model(ExecutionRecord, fields=[name])[name]
        declared = methods.get(method).get_field(name) if methods.get(method) else None
        if declared is not None and declared.help:
            field.help_text = declared.help
    else:
        declared = methods.get(method).get_field(name)
        label = execution_field_label(method, name)
        if declared.kind == methods.MONEY:
            field = forms.DecimalField(label=label, max_digits=16, decimal_places=2, min_value=0)
        elif declared.kind == methods.PERCENT:
            field = forms.DecimalField(label=label, max_digits=5, decimal_places=2, min_value=0, max_value=100)
        elif declared.kind == methods.AREA:
            field = forms.DecimalField(label=label, max_digits=14, decimal_places=2, min_value=0)
        elif declared.kind == methods.DATE:
            field = forms.DateField(label=label)
        elif declared.kind == methods.LONG_TEXT:
            field = forms.CharField(label=label, max_length=2000, widget=forms.Textarea)
        elif declared.choices:
            field = forms.ChoiceField(
                label=label, choices=[("", "请选择"), *((c, c) for c in declared.choices)],
                error_messages={"invalid_choice": f"{label}须从列表中选择：{'、'.join(declared.choices)}。"},
            )  # fmt: skip
        else:
            field = forms.CharField(label=label, max_length=200)
        field.help_text = declared.help
    if isinstance(field, forms.DateField):
        field.widget = DateInput()
    if isinstance(field.widget, forms.Textarea):
        field.widget = copy.deepcopy(TEXTAREA)  # its own: a form marks its fields' widgets (data-for-methods)
    return field


class EvidenceField(forms.FileField):
    """An optional evidence upload, checked by content like every other attachment."""

    def __init__(self, *, label: str, kind: str, required: bool = False, help_text: str = ""):
        super().__init__(
            label=label, required=required, help_text=help_text or "PDF、JPG、PNG、XLSX、DOCX，不超过 20 MB"
        )
        self.kind = kind

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            sniff_upload(upload, max_bytes=settings.PANHUO["ATTACHMENT_MAX_BYTES"])
        return upload


class EvidenceMixin:
    """Lists the form's uploaded evidence as (kind, file), so the view can store it before calling the service."""

    def evidence(self) -> list[tuple[str, object]]:
        return [
            (field.kind, self.cleaned_data[name])
            for name, field in self.fields.items()
            if isinstance(field, EvidenceField) and self.cleaned_data.get(name)
        ]


class StepForm(EvidenceMixin, Form):
    """Base of the task forms: knows the case."""

    def __init__(self, *args, case: DisposalCase, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)


class ReportForm(EvidenceMixin, Form):
    basis = forms.ChoiceField(label="认定类型", choices=Basis.choices, initial=Basis.IDLE)
    statement = forms.CharField(
        label="申报说明", widget=TEXTAREA, max_length=2000, help_text="停用时间、原因、现状，以及无后续使用计划的说明"
    )
    stop_statement = EvidenceField(label="停用说明", kind=AttachmentKind.STOP_STATEMENT)
    meeting_minutes = EvidenceField(label="会议纪要", kind=AttachmentKind.MEETING_MINUTES)

    def __init__(self, *args, asset=None, **kwargs):
        super().__init__(*args, **kwargs)
        asset = asset or (self.case.asset if getattr(self, "case", None) else None)
        if asset is not None and asset.usage_status in Basis.values:
            self.fields["basis"].initial = asset.usage_status  # the ledger's 使用状况 says which standard it meets
        on_file = {}
        if asset is not None:
            for a in asset.attachments.filter(kind__in=[f.kind for f in self.evidence_fields()]).order_by(
                "uploaded_at"
            ):
                on_file[a.kind] = a
        # 闲置 needs both (seed 000, 一(三)1): the form says which the asset's file already holds.
        for field in self.evidence_fields():
            held = on_file.get(field.kind)
            field.help_text = (
                f"认定为闲置时须提供；资产档案中已有“{held.original_name}”，可不再上传"
                if held
                else "认定为闲置时须提供：资产档案中尚无，请上传（PDF、JPG、PNG、XLSX、DOCX，不超过 20 MB）"
            )

    def evidence_fields(self) -> list[EvidenceField]:
        return [self.fields["stop_statement"], self.fields["meeting_minutes"]]


class ReviseForm(StepForm, ReportForm):
    """补正申报: the report's own form, on the returned case."""


class SignOffForm(StepForm):
    decision = forms.ChoiceField(
        label="办理意见", widget=forms.RadioSelect, choices=[("submit", "签发报送"), ("return", "退回补正")],
        initial="submit", required=False,
    )  # fmt: skip
    opinion = forms.CharField(
        label="签发意见", widget=TEXTAREA, max_length=1000, required=False, help_text="退回补正时须写明原因"
    )

    def clean(self):
        data = super().clean()
        data["decision"] = data.get("decision") or "submit"
        if data["decision"] == "return" and not data.get("opinion", "").strip():
            self.add_error("opinion", "退回补正须写明原因，经办人据此补正。")
        return data


class DecisionForm(StepForm):
    """A reviewer's decision with its written opinion (a return or a refusal must say why)."""

    CHOICES: list[tuple[str, str]] = []
    decision = forms.ChoiceField(label="办理意见", widget=forms.RadioSelect)
    opinion = forms.CharField(label="意见", widget=TEXTAREA, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = self.CHOICES
        self.fields["decision"].initial = self.CHOICES[0][0]


class VerifyForm(DecisionForm):
    CHOICES = [("verify", "认定属实"), ("return", "退回补正"), ("reject", "不予认定")]
    record = EvidenceField(label="核查记录", kind=AttachmentKind.VERIFICATION_RECORD, help_text="认定属实时必须提供")

    def clean(self):
        data = super().clean()
        # The department verifies with its own 核查记录 (DESIGN.md roles); the service insists for 低效 (seed 000).
        if data.get("decision") == "verify" and not data.get("record"):
            self.add_error("record", "认定属实须上传本部门的核查记录。")
        return data


class ReviewForm(DecisionForm):
    CHOICES = [("approve", "同意"), ("return", "退回修改")]


class FinanceForm(DecisionForm):
    CHOICES = [("approve", "同意"), ("return", "退回修改"), ("reject", "不予批准")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opinion"].required = False

    def clean(self):
        data = super().clean()
        if not data.get("opinion", "").strip():
            refused = data.get("decision") in ("return", "reject")
            self.add_error("opinion", "退回修改或不予批准须写明理由。" if refused else "请填写审批意见。")
        return data


class PlanForm(StepForm):
    method = forms.ChoiceField(
        label="盘活方式", choices=[("", "请选择")],
        error_messages={"invalid_choice": "本类资产不适用所选的盘活方式，请从列表中选择。"},
    )  # fmt: skip
    summary = forms.CharField(label="处置方案", widget=TEXTAREA, max_length=2000)
    receiving_unit = forms.ModelChoiceField(
        label="调入单位", queryset=Organization.objects.none(), required=False, help_text="调剂时从申请单位中选择"
    )
    named_unit = forms.ModelChoiceField(
        label="划入单位", queryset=Organization.objects.none(), required=False, help_text="无偿划转时指定接收资产的单位"
    )
    justification = forms.CharField(
        label="未选调剂的理由", widget=TEXTAREA, max_length=2000, required=False,
        help_text="已有单位申请调剂而选择调剂以外的盘活方式时必须填写",
    )  # fmt: skip
    minutes = EvidenceField(label="会议纪要（集体决策）", kind=AttachmentKind.MEETING_MINUTES)
    technical_file = EvidenceField(
        label="技术鉴定意见（附件，提前报废）", kind=AttachmentKind.TECHNICAL_APPRAISAL,
        help_text="未达最低使用年限报废时必须上传",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the methods the asset's category and sub-type offer, each with what it requires (issue 13 §3).
        offered = methods_for_asset(self.case.asset)
        self.fields["method"].choices = [("", "请选择"), *((m.code, m.label) for m in offered)]
        self.method_hints = [(m.label, m.hint) for m in offered]
        # 调剂优先 (seed 000, 二(八)2): which of the methods offered need the reason, as their declarations say.
        yielding = "、".join(m.label for m in offered if m.yields_to_board)
        if yielding:
            self.fields["justification"].help_text = f"已有单位申请调剂而选择{yielding}时必须填写"
        # The ledger's 盘活方向 (一资产一策) is the unit's plan for the asset: the form opens with its method chosen.
        planned = next((m for m in offered if m.direction == self.case.asset.direction), None)
        if planned:
            self.fields["method"].initial = planned.code
            self.fields["method"].help_text = f"按台账中的盘活方向“{self.case.asset.get_direction_display()}”预选"
        # 集体决策 (the routing rules): which of the methods offered need the minutes for this asset, said up front.
        deciding = [m.label for m in offered if collective_decision_needed(self.case, m.code)]
        if deciding:
            minutes = self.fields["minutes"]
            said = f"按审批规则，本资产{'、'.join(deciding)}须集体决策，请上传会议纪要"
            minutes.help_text = f"{said}；{minutes.help_text}"
        applicants = self.case.live_applications().values("unit")
        self.fields["receiving_unit"].queryset = Organization.objects.filter(pk__in=applicants).order_by("name")
        # A unit whose ledger can take the asset: not the review, finance or coordination side.
        named = Organization.objects.filter(is_active=True, kind__in=HOLDING_KINDS)
        self.fields["named_unit"].queryset = named.exclude(pk=self.case.holding_unit_id).order_by("name")
        named_by = [m for m in offered if m.receiver and not m.receiver.from_applicants]
        if not named_by:
            del self.fields["named_unit"]
        else:
            self.fields["named_unit"].label = "／".join(dict.fromkeys(m.receiver.label for m in named_by))
            self.fields["named_unit"].help_text = f"{'、'.join(m.label for m in named_by)}时指定接收资产的单位"
        # The key terms of each method offered, asked with the plan so approvers see what they approve (issue 12
        # §1.3); which are required, and the policy's rules on them, the service checks (case_propose).
        terms = {}
        codes = {m.code for m in offered}
        for method, names in (*APPROVED_TERMS.items(), *PLAN_PREFILLS.items()):
            if method not in codes:
                continue
            label = methods.get(method).label.split("（")[0]
            for name in names:
                if name in terms:  # a term several methods share (未采用公开方式的理由): one field, for them all
                    terms[name].label = execution_field_label(method, name)
                    continue
                field = terms[name] = method_field(method, name)
                field.required = False
                field.label = f"{field.label}（{label}）"
                if name in APPROVED_TERMS.get(method, ()):
                    field.help_text = f"{label}方案必填；经批准后执行时改变须重新报批"
        technical = self.fields.pop("technical_file")
        self.fields = {**self.fields, **terms, "technical_file": technical}
        self._mark_methods(offered)

    def _mark_methods(self, offered) -> None:
        """Which methods each method-specific field is for (static/panhuo/method-fields.js hides the others)."""
        wanted: dict[str, list[str]] = {"technical_file": [], "justification": []}
        for spec in offered:
            for name in spec.plan_terms:
                wanted.setdefault(name, []).append(spec.code)
            if spec.receiver:
                wanted.setdefault("receiving_unit" if spec.receiver.from_applicants else "named_unit", []).append(
                    spec.code
                )
            if spec.yields_to_board:
                wanted["justification"].append(spec.code)
            if any(e.kind == AttachmentKind.TECHNICAL_APPRAISAL for e in spec.evidence):
                wanted["technical_file"].append(spec.code)
        for name, codes in wanted.items():
            if name in self.fields:
                self.fields[name].widget.attrs["data-for-methods"] = " ".join(codes)

    def terms(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in PLAN_TERM_FIELDS if name in self.fields}

    def receiver(self):
        """The unit the method hands the asset to: an applicant (调剂) or one named directly (划转)."""
        spec = methods.get(self.cleaned_data.get("method") or "")
        if spec is None or spec.receiver is None:
            return None
        return self.cleaned_data.get("receiving_unit" if spec.receiver.from_applicants else "named_unit")

    def clean(self):
        data = super().clean()
        spec = methods.get(data.get("method") or "")
        if spec is not None and spec.receiver is not None and not self.receiver():
            if spec.receiver.from_applicants:
                self.add_error("receiving_unit", f"{spec.label}须从申请单位中选择{spec.receiver.label}。")
            else:
                self.add_error("named_unit", f"{spec.label}须指定{spec.receiver.label}。")
        return data


class HandoverForm(StepForm):
    """A method another unit confirms (调剂, 划转): the holding unit records the handover and the method's fields, which
    open with the approved terms."""

    note = forms.CharField(label="说明", widget=TEXTAREA, max_length=1000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        spec = self.case.spec
        if handed_over(self.case):
            approved = {n: v for n, v in self.case.approved_terms().items() if v not in (None, "")}
            for name in spec.field_names:
                field = case_field(self.case, name)
                field.required = name not in spec.optional_fields
                if name in approved:
                    field.initial = approved[name]
                    field.help_text = f"方案批准为{term_text(approved[name])}；改变须重新报批"
                self.fields[name] = field
            for evidence in spec.evidence:
                self.fields[evidence.name] = EvidenceField(
                    label=evidence.label, kind=evidence.kind, required=evidence.required
                )

    def record(self) -> dict:
        names = self.case.spec.field_names if handed_over(self.case) else ()
        return {name: self.cleaned_data[name] for name in names}


class ConfirmForm(StepForm):
    confirm = forms.BooleanField(label="确认", required=True)
    note = forms.CharField(label="说明", widget=TEXTAREA, max_length=1000, required=False)


MONEY_FIELDS = ("received", "fees", "remitted", "receipt_no", "receipt_file")  # 收支两条线, on ResultForm


class ResultForm(StepForm):
    """A method no other unit confirms (出租, 拍卖, 报废, 委托运营 …): its execution record as declared, the money
    (收支两条线) and its evidence."""

    received = forms.DecimalField(label="实收金额（元）", **MONEY)
    fees = forms.DecimalField(label="费用（元）", **MONEY)
    remitted = forms.DecimalField(label="上缴国库金额（元）", **MONEY)
    receipt_no = forms.CharField(label="缴款凭证号", max_length=60, required=False)
    receipt_file = EvidenceField(label="缴款凭证", kind=AttachmentKind.REMITTANCE_RECEIPT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        spec = self.case.spec
        record = self.case.execution_or_none()
        approved = {n: v for n, v in self.case.approved_terms().items() if v not in (None, "")}
        prefills = PLAN_PREFILLS.get(spec.code, ())
        planned = approved | {n: self.case.plan_term(n) for n in prefills if self.case.plan_term(n)}
        fields = {}
        for name in spec.field_names:
            field = case_field(self.case, name)
            field.required = name not in spec.optional_fields
            if record is not None and record.value(name) not in (None, ""):
                field.initial = record.value(name)
            elif name in planned:
                field.initial = planned[name]  # opens with what the plan says (the approved terms)
            if name in approved:
                field.help_text = f"方案批准为{term_text(approved[name])}；改变须重新报批"
            fields[name] = field
        for evidence in spec.evidence:
            fields[evidence.name] = EvidenceField(label=evidence.label, kind=evidence.kind, required=evidence.required)
        if not spec.earns_money:  # 功能转型, 开放共享 …: nothing is received, so no money is asked
            for name in MONEY_FIELDS:
                del self.fields[name]
        # The method's own fields first, then the money.
        self.fields = {**fields, **self.fields}

    def clean(self):
        data = super().clean()
        # The policy's rules on the record's own figures, listed with the field errors (all problems in one round);
        # the service checks them again, with those that need the stored evidence.
        values = {name: data.get(name) for name in self.case.spec.field_names}
        for message in record_refusals(self.case, values):
            self.add_error(None, message)
        due = self.case.spec.due_field
        if due and data.get(due):
            for name, message in proceeds_errors(self.proceeds()).items():
                if name not in self.errors:
                    self.add_error(name, message)
        return data

    def record(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.case.spec.field_names}

    def proceeds(self) -> dict:
        data = self.cleaned_data
        return {key: data.get(key) for key in MONEY_FIELDS if key != "receipt_file"}


class ExecutionForm(ResultForm):
    """执行处置 in one step (出租 / 拍卖 / 报废): the result form, with what the start of execution used to ask."""

    note = forms.CharField(label="说明", widget=TEXTAREA, max_length=1000, required=False)


class WithdrawForm(Form):
    reason = forms.CharField(label="撤回原因", widget=TEXTAREA, max_length=1000)


class SharingUseForm(Form):
    user_name = forms.CharField(label="使用单位（人）", max_length=100)
    used_on = forms.DateField(label="使用日期", widget=DateInput())
    hours = forms.DecimalField(
        label="使用机时（小时）", max_digits=5, decimal_places=1, min_value=Decimal("0.1"), max_value=24
    )
    fee = forms.DecimalField(label="收费（元）", max_digits=12, decimal_places=2, min_value=0, initial=0)
    purpose = forms.CharField(label="用途", max_length=200, required=False, help_text="如：样品检测、教学实验")


class FollowUpForm(Form):
    note = forms.CharField(
        label="核查情况", widget=TEXTAREA, max_length=1000, help_text="如：经现场核查，已于某日动工建设；土地已恢复使用"
    )


class ApplyForm(Form):
    reason = forms.CharField(label="申请理由", widget=TEXTAREA, max_length=1000, help_text="本单位的用途和需求")


class ReassignForm(Form):
    to = forms.ModelChoiceField(label="转办给", queryset=None, empty_label="请选择")
    reason = forms.CharField(
        label="转办理由", widget=TEXTAREA, max_length=1000, help_text="如：原办理人出差、工作量调整"
    )

    def __init__(self, *args, candidates, holder=None, **kwargs):
        super().__init__(*args, **kwargs)
        from assets.models import User

        # The current holder is not offered: a task is given to someone else (task_reassign refuses it too).
        ids = [u.pk for u in candidates if holder is None or u.pk != holder.pk]
        self.fields["to"].queryset = User.objects.filter(pk__in=ids).order_by("username")


class BoardWithdrawForm(Form):
    confirm = forms.BooleanField(label="确认撤回本单位的调剂申请", error_messages={"required": "请勾选确认后再撤回。"})


class BoardFilterForm(Form):
    q = forms.CharField(label="搜索", required=False, max_length=100)
    category = forms.ModelChoiceField(label="资产类别", queryset=None, required=False, empty_label="全部类别")
    min_area = forms.DecimalField(label="面积不小于（㎡）", required=False, min_value=0)
    max_value = forms.DecimalField(label="原值不超过（元）", required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from assets.models import Category

        self.fields["category"].queryset = Category.objects.order_by("pk")


class SubstitutionForm(Form):
    substitute = forms.ModelChoiceField(label="代理人", queryset=None, empty_label="请选择本单位同事")
    starts_on = forms.DateField(label="开始日期", widget=DateInput())
    ends_on = forms.DateField(label="结束日期", widget=DateInput())
    reason = forms.CharField(label="事由", max_length=100, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from assets.models import User

        from .permissions import substitute_roles

        # Only colleagues who hold one of the user's task roles (不相容岗位分离; substitution_set checks it too).
        colleagues = User.objects.filter(is_active=True, organization_id=user.organization_id).exclude(pk=user.pk)
        ids = [c.pk for c in colleagues.prefetch_related("groups") if substitute_roles(user, c)]
        self.fields["substitute"].queryset = User.objects.filter(pk__in=ids).order_by("username")
