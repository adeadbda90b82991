"""The disposal case and its state machine, the rules that steer it (as data), the calendar, and the trail."""

import uuid
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from viewflow.workflow.models import Process
from viewflow.workflow.status import STATUS

from assets.models import (
    Asset,
    AssetAttachment,
    AttachmentKind,
    Category,
    CategorySubtype,
    MinimumServiceLife,
    Organization,
    OrganizationKind,
    User,
)
from core.formatting import cn_date
from core.fsm import ConcurrentTransitionMixin, FSMField, transition
from core.policy import cited

from . import methods
from .methods import condition

# -- rules as data ------------------------------------------------------------------------------------------------


class Policy(models.Model):
    """The county's thresholds and windows: one row, edited in the admin."""

    # 闲置: 连续停用超过6个月 (seed 000, 一(三)1)
    idle_months = models.PositiveSmallIntegerField("闲置认定期限（月）", default=6, validators=[MinValueValidator(1)])
    # 调剂优先 (seed 000, 二(八)2 and 三(三)): the internal board's publication window
    listing_window_days = models.PositiveSmallIntegerField("调剂公示期（天）", default=15)
    appraisal_validity_days = models.PositiveSmallIntegerField("评估报告有效期（天）", default=365)
    low_bid_floor_percent = models.PositiveSmallIntegerField(
        "成交价下限（评估值的%）", default=90, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    lease_max_years = models.PositiveSmallIntegerField(
        "出租期限上限（年）", default=5, validators=[MinValueValidator(1)]
    )
    batch_window_days = models.PositiveSmallIntegerField(
        "拆分合并计算期（天）", default=30, help_text="同一单位同一盘活方式在此期间内的申请按原值合并计算审批权限"
    )
    escalation_working_days = models.PositiveSmallIntegerField(
        "逾期后提醒部门负责人（工作日）",
        default=3,
        help_text="逾期先提醒承办人，再过这些工作日仍未办理的提醒单位负责人",
    )
    # The dashboard's alert windows (DESIGN.md "Dashboards"): how far ahead, or how long idle, before a row is raised.
    lease_alert_days = models.PositiveSmallIntegerField(
        "租期到期预警（天）", default=60, validators=[MinValueValidator(1)], help_text="租期在此天数内到期的列入预警"
    )
    appraisal_alert_days = models.PositiveSmallIntegerField(
        "评估报告失效预警（天）", default=30, validators=[MinValueValidator(1)],
        help_text="评估报告在此天数内失效（或已失效）且尚未执行的列入预警",
    )  # fmt: skip
    # 欠缴: a contract's installment unpaid this many working days after its due date (contracts.arrears).
    arrears_grace_working_days = models.PositiveSmallIntegerField(
        "租金欠缴宽限期（工作日）", default=10, validators=[MaxValueValidator(60)],
        help_text="合同应收款项到期后超过此工作日仍未付清的列入欠缴预警",
    )  # fmt: skip
    reminder_lead_working_days = models.PositiveSmallIntegerField(
        "收款到期提醒提前（工作日）", default=5, validators=[MaxValueValidator(60)],
        help_text="合同应收款项到期前此工作日数，提醒资产持有单位的经办人收取",
    )  # fmt: skip
    idle_alert_months = models.PositiveSmallIntegerField(
        "闲置未申报预警（月）", default=12, validators=[MinValueValidator(1)],
        help_text="闲置超过此月数仍未申报盘活的资产列入预警",
    )  # fmt: skip

    class Meta:
        verbose_name = "盘活规则参数"
        verbose_name_plural = "盘活规则参数"

    def __str__(self) -> str:
        return "盘活规则参数"

    @classmethod
    def current(cls) -> "Policy":
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


# The 盘活方式 are declared in workflows.methods, one module each; these are their codes as choices
# (DisposalMethod.LEASE …); the model fields take their choices from the registry: a new method needs no migration.
DisposalMethod = models.TextChoices(
    "DisposalMethod", [(m.code.upper(), (m.code, m.label)) for m in methods.all_methods()]
)

# Methods whose execution brings money in, so 销号 waits for finance to confirm the remittance (收支两条线).
EARNING_METHODS = tuple(m.code for m in methods.all_methods() if m.earns_money)


class MethodAvailability(models.Model):
    """Which 盘活方式 a category (or one of its sub-types) offers, as the county decides: a row overrides the method's
    declared categories (workflows.methods); a sub-type's row wins over its category's. A threshold on 原值 limits a
    method to the assets worth at least that much (e.g. 开放共享 of 科研仪器 from 20万, seed 000 二(六)1)."""

    method = models.CharField("盘活方式", max_length=16, choices=methods.choices)
    category = models.ForeignKey(Category, verbose_name="资产类别", on_delete=models.CASCADE, related_name="+")
    subtype = models.ForeignKey(
        CategorySubtype, verbose_name="子类", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="留空为该类别的全部子类",
    )  # fmt: skip
    enabled = models.BooleanField("启用", default=True)
    min_original_value = models.DecimalField(
        "原值下限（元）", max_digits=16, decimal_places=2, null=True, blank=True, help_text="留空为不限"
    )

    class Meta:
        verbose_name = "盘活方式适用范围"
        verbose_name_plural = "盘活方式适用范围"
        constraints = [
            models.UniqueConstraint(fields=["method", "category", "subtype"], name="uniq_method_availability"),
            models.UniqueConstraint(
                fields=["method", "category"], condition=Q(subtype__isnull=True), name="uniq_method_availability_cat"
            ),
        ]

    def __str__(self) -> str:
        where = f"{self.category}·{self.subtype.name}" if self.subtype_id else str(self.category)
        return f"{methods.get(self.method) or self.method}：{where}{'' if self.enabled else '（停用）'}"

    def clean(self) -> None:
        if self.subtype_id and self.category_id and self.subtype.category_id != self.category_id:
            raise ValidationError({"subtype": f"子类“{self.subtype.name}”不属于类别“{self.category}”。"})
        if self.min_original_value is not None and self.min_original_value < 0:
            raise ValidationError({"min_original_value": "原值下限不能为负数。"})


def methods_for_asset(asset: Asset) -> list["methods.Method"]:
    """The methods a plan for this asset may choose: each method's declared categories, as the county's
    MethodAvailability rows override them for the category or the asset's sub-type, and their 原值 thresholds."""
    rows = MethodAvailability.objects.filter(category_id=asset.category_id).filter(
        Q(subtype__isnull=True) | Q(subtype_id=asset.subtype_id)
    )
    decided = {}
    for row in sorted(rows, key=lambda r: r.subtype_id is not None):  # the sub-type's row last, so it wins
        decided[row.method] = row
    offered = []
    for method in methods.all_methods():
        row = decided.get(method.code)
        if row is None:
            if not method.categories or asset.category.code in method.categories:
                offered.append(method)
        elif row.enabled and (row.min_original_value is None or asset.original_value >= row.min_original_value):
            offered.append(method)
    return offered


class RoutingRule(models.Model):
    """Who approves a plan beyond the lead department: a rule matches on method × category × unit kind × 原值.

    Rules are never edited in place once they have routed a case: a change is a new version (the admin saves
    a copy), and each case keeps the versions that routed it."""

    name = models.CharField("规则名称", max_length=100)
    method = models.CharField("盘活方式", max_length=16, choices=methods.choices, blank=True, help_text="留空为任意")
    category = models.ForeignKey(
        Category, verbose_name="资产类别", null=True, blank=True, on_delete=models.PROTECT, help_text="留空为任意"
    )
    unit_kind = models.CharField(
        "持有单位类型", max_length=32, choices=OrganizationKind.choices, blank=True, help_text="留空为任意"
    )
    min_value = models.DecimalField(
        "原值下限（元）",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="单项原值或30天内同单位同方式合计原值达到此数即适用；留空为不限",
    )
    requires_finance = models.BooleanField("须财政审批", default=True)
    requires_collective_decision = models.BooleanField("须集体决策（附会议纪要）", default=False)
    version = models.PositiveIntegerField("版本", default=1)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "审批路由规则"
        verbose_name_plural = "审批路由规则"
        ordering = ["name", "-version"]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"

    def snapshot(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "version": self.version,
            "method": self.method,
            "category": self.category.code if self.category_id else "",
            "unit_kind": self.unit_kind,
            "min_value": str(self.min_value) if self.min_value is not None else None,
            "requires_finance": self.requires_finance,
            "requires_collective_decision": self.requires_collective_decision,
        }


class Step(models.TextChoices):
    """The human steps of the path; each has a deadline in working days."""

    REPORT = "report", "申报"
    SIGN_OFF = "sign_off", "单位负责人签发"
    VERIFY = "verify", "主管部门核查认定"
    PLAN = "plan", "拟定处置方案"
    DEPT_REVIEW = "dept_review", "主管部门审核方案"
    FINANCE_APPROVE = "finance_approve", "财政审批"
    EXECUTE = "execute", "执行处置"
    CONFIRM_RECEIPT = "confirm_receipt", "接收单位确认接收"  # 调剂: 调入单位; 划转: 划入单位; 收回: 收储单位
    CONFIRM_REMITTANCE = "confirm_remittance", "财政确认收入上缴"
    CLOSE = "close", "销号"


class StepDeadline(models.Model):
    step = models.CharField("环节", max_length=24, choices=Step.choices, unique=True)
    working_days = models.PositiveSmallIntegerField("办理时限（工作日）", validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = "环节办理时限"
        verbose_name_plural = "环节办理时限"
        ordering = ["step"]

    def __str__(self) -> str:
        return f"{self.get_step_display()}：{self.working_days}个工作日"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday on a weekday, or a 调休 working weekend day."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否上班", help_text="勾选：调休上班的周末；不勾选：法定节假日")
    name = models.CharField("说明", max_length=50)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}（{'上班' if self.is_workday else '休息'}）"


class Substitution(models.Model):
    """A user away on leave names who acts for them; every action the substitute takes records both."""

    user = models.ForeignKey(User, verbose_name="请假人", on_delete=models.CASCADE, related_name="substitutions")
    substitute = models.ForeignKey(User, verbose_name="代理人", on_delete=models.CASCADE, related_name="acting_for")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    reason = models.CharField("事由", max_length=100, blank=True)
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        verbose_name = "代理设置"
        verbose_name_plural = "代理设置"
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.substitute} 代理 {self.user}（{self.starts_on}至{self.ends_on}）"

    def clean(self) -> None:
        if self.user_id and self.user_id == self.substitute_id:
            raise ValidationError({"substitute": "不能指定自己为代理人。"})
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "结束日期不能早于开始日期。"})
        if self.user_id and self.substitute_id and self.user.organization_id != self.substitute.organization_id:
            raise ValidationError({"substitute": "代理人须为本单位人员。"})


# -- the case -----------------------------------------------------------------------------------------------------


class CaseState(models.TextChoices):
    DRAFT = "draft", "待签发"
    SUBMITTED = "submitted", "待核查认定"
    VERIFIED = "verified", "已认定，待拟定方案"
    PLAN_SUBMITTED = "plan_submitted", "方案审批中"
    PLAN_APPROVED = "plan_approved", "方案已批准"
    EXECUTING = "executing", "执行中"
    EXECUTED = "executed", "已执行，待销号"
    CLOSED = "closed", "已销号"
    REJECTED = "rejected", "不予认定"
    WITHDRAWN = "withdrawn", "已撤回"


# Once a 调剂 plan is approved the asset is promised to its receiving unit; it leaves the board (seed 000 二(八)2).
_REALLOCATION_DECIDED = (CaseState.PLAN_APPROVED, CaseState.EXECUTING, CaseState.EXECUTED)
_OFF_BOARD_STATES = (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN)


def on_board(today: date) -> Q:
    """Cases whose asset is on the 调剂 board: for the whole publication window, whatever step the case is at, until
    the asset is 调剂'd or the case ends (调剂优先, seed 000 二(八)2, 三(三))."""
    return (
        Q(listed_until__gte=today)
        & ~Q(state__in=_OFF_BOARD_STATES)
        & ~Q(method=DisposalMethod.REALLOCATE, state__in=_REALLOCATION_DECIDED)
    )


# A human task still to be done: waiting in a queue, claimed, or open in someone's form.
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
OPEN_STATES = [s for s in CaseState.values if s not in (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN)]


class Basis(models.TextChoices):
    # The three identification standards (seed 000, 一(三)).
    IDLE = "idle", "闲置"
    LOW_EFFICIENCY = "low_efficiency", "低效"
    OVER_STANDARD = "over_standard", "超标准配置"


# The key terms a plan of each method carries for approval, by their execution field names (the case holds each as
# `plan_<name>`, or in `plan_details`). Execution opens with them, and changing one sends the plan back for approval
# (issue 12 §1.3). And what a plan may say beforehand without binding execution (an early scrap's justification).
APPROVED_TERMS = {m.code: m.approved_terms for m in methods.all_methods() if m.approved_terms}
PLAN_PREFILLS = {m.code: m.plan_prefills for m in methods.all_methods() if m.plan_prefills}


def term_text(value) -> str:
    """A term as the forms and messages print it: 2026年11月18日, 2,000,000.00 元."""
    from core.formatting import yuan

    if isinstance(value, date):
        return cn_date(value)
    if isinstance(value, Decimal):
        return yuan(value)
    return str(value) if value not in (None, "") else "（空）"


def field_text(kind: str, value) -> str:
    """A method field's value as documents and pages print it: by its kind, so a share reads 12.50% and an area
    1,200.00 ㎡ (not as money)."""
    if value not in (None, "") and kind == methods.PERCENT:
        return f"{value:,.2f}%"
    if value not in (None, "") and kind == methods.AREA:
        return f"{value:,.2f} ㎡"
    return term_text(value)


# -- conditions of the transitions: each says, in Chinese, what is missing when it does not hold --------------


def unmet_conditions(case: "DisposalCase", bound_transition) -> list[str]:
    """The messages of the conditions that stop this transition from the case's current state."""
    meta = bound_transition._django_fsm
    found = meta.get_transition(case.state)
    if found is None:
        return []
    return [c.message(case) if callable(c.message) else c.message for c in found.conditions if not c(case)]


def _attachment_kinds(case: "DisposalCase", *, step: str | None = None) -> set[str]:
    links = case.evidence.all() if step is None else case.evidence.filter(step=step)
    return set(links.values_list("attachment__kind", flat=True))


@condition(
    lambda case: (
        f"认定闲置须连续停用超过{Policy.current().idle_months}个月（停用日期须早于{cn_date(case.idle_cutoff())}）。"
    )
)
def idle_long_enough(case: "DisposalCase") -> bool:
    # 闲置: 连续停用超过6个月 (seed 000, 一(三)1); the period is data (Policy.idle_months).
    if case.basis != Basis.IDLE:
        return True
    return case.asset.idle_since is not None and case.asset.idle_since < case.idle_cutoff()


# seed 000, 一(三)1
@condition(f"认定闲置须在资产档案中上传停用说明和会议纪要（依据{cited('一(三)1')}）。")
def idle_evidence_attached(case: "DisposalCase") -> bool:
    if case.basis != Basis.IDLE:
        return True
    kinds = set(case.asset.attachments.values_list("kind", flat=True))
    return {AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES} <= kinds


# seed 000, 一(三)2
@condition(f"认定低效须由主管部门上传核查记录（依据{cited('一(三)2')}）。")
def verification_record_attached(case: "DisposalCase") -> bool:
    if case.basis != Basis.LOW_EFFICIENCY:
        return True
    return AttachmentKind.VERIFICATION_RECORD in _attachment_kinds(case, step=Step.VERIFY)


@condition("请选择盘活方式。")
def method_chosen(case: "DisposalCase") -> bool:
    return bool(case.method)


@condition(
    lambda case: (
        f"{case.spec.label}须从申请调剂的单位中选定{case.spec.receiver.label}，且不能是本单位。"
        if case.spec.receiver.from_applicants
        else f"{case.spec.label}须指定{case.spec.receiver.label}，且不能是本单位。"
    )
)
def receiving_unit_chosen(case: "DisposalCase") -> bool:
    receiver = case.spec.receiver if case.spec else None
    if receiver is None:
        return True
    if case.receiving_unit_id is None or case.receiving_unit_id == case.holding_unit_id:
        return False
    return not receiver.from_applicants or case.live_applications().filter(unit_id=case.receiving_unit_id).exists()


@condition(
    lambda case: (
        f"调剂优先：该资产的调剂公示期至{cn_date(case.listed_until)}截止，公示期满前只能调剂给在调剂平台申请的单位，"
        f"其他盘活方式须待公示期满后提出（依据{cited('二(八)2')}）。"
    )
)
def reallocation_window_respected(case: "DisposalCase") -> bool:
    # 调剂优先 (seed 000 二(八)2, 三(三); 条例 738 art. 11): a plan waits until the board's window closes, unless it is
    # 调剂 to a unit that applied on the board. "公示期内无单位申请调剂" can only be true once the window has ended.
    if not case.board_window_open():
        return True
    receiver = case.spec.receiver if case.spec else None
    return (
        receiver is not None
        and receiver.from_applicants
        and case.live_applications().filter(unit_id=case.receiving_unit_id).exists()
    )


@condition(lambda case: f"调剂优先：已有单位申请调剂时，选择{case.spec.label}须写明未调剂的理由。")
def reallocation_first(case: "DisposalCase") -> bool:
    # 调剂优先 (seed 000, 二(八)2; 三(三)): a method that yields to the board (出租, 拍卖, 划转, 委托运营 …) after the
    # window only with no applicant, or a reason.
    if case.spec is None or not case.spec.yields_to_board or case.justification.strip():
        return True
    return not case.board_window_open() and not case.live_applications().exists()


@condition("按审批规则须集体决策：请上传会议纪要。")
def collective_minutes_attached(case: "DisposalCase") -> bool:
    if not case.needs_collective_decision:
        return True
    return AttachmentKind.MEETING_MINUTES in _attachment_kinds(case, step=Step.PLAN)


@condition("方案须经主管部门审核，按规则还须财政审批后方能批准。")
def every_required_approval_given(case: "DisposalCase") -> bool:
    return case.dept_approved_by_id is not None and (not case.needs_finance or case.finance_approved_by_id is not None)


@condition(
    lambda case: (
        f"{case.spec.label}须有有效的评估报告：评估基准日距"
        f"{execution_field_label(case.method, case.spec.appraisal_valid_at)}不超过"
        f"{Policy.current().appraisal_validity_days}天，且须上传评估报告。"
    )
)
def appraisal_valid(case: "DisposalCase") -> bool:
    # 转让、置换、入股 on an appraisal valid one year (条例 738 art. 36): each method that needs one says at which date.
    record = case.execution_or_none()
    if case.spec is None or not case.spec.appraisal_valid_at or record is None:
        return True
    deal_on = record.value(case.spec.appraisal_valid_at)
    if not (record.appraisal_date and deal_on and record.appraisal_value):
        return False
    age = (deal_on - record.appraisal_date).days
    attached = AttachmentKind.APPRAISAL_REPORT in _attachment_kinds(case)
    return 0 <= age <= Policy.current().appraisal_validity_days and attached


def _outright_refusals(case: "DisposalCase") -> list[str]:
    rules = case.spec.conditions if case.spec else ()
    return [r.message(case) if callable(r.message) else r.message for r in rules if not r.reapprovable and not r(case)]


@condition(lambda case: "；".join(_outright_refusals(case)))
def method_rules_kept(case: "DisposalCase") -> bool:
    # A re-approval lifts only what it may (a bid under the floor, a changed term): a bid under the reserve is no sale.
    return not _outright_refusals(case)


@condition("成交价不低于下限，且执行与批准的方案条件一致，无须重新报批。")
def reapproval_needed(case: "DisposalCase") -> bool:
    # A bid under the floor, or an approved term changed (DisposalCase.reapproval_due). Not named bid_below_floor:
    # inside the class body that name is the case's own method, which is not this condition.
    return bool(case.reapproval_due())


@condition(lambda case: f"执行改变了方案批准的条件（{'；'.join(case.changed_term_labels())}），须重新报批。")
def approved_terms_kept(case: "DisposalCase") -> bool:
    return not case.changed_terms()


@condition(lambda case: f"{case.spec.label}须登记交接日期和交接清单。")
def handover_recorded(case: "DisposalCase") -> bool:
    # A method another unit confirms (调剂, 划转) hands the asset over first: when, and what was handed over.
    record = case.execution_or_none()
    if case.spec is None or case.spec.receiver is None or not case.spec.receiver.confirms:
        return True
    return record is not None and record.handover_on is not None and bool(record.handover_list.strip())


@condition("须登记实收、上缴金额和缴款凭证号。")
def proceeds_recorded(case: "DisposalCase") -> bool:
    return (
        case.amount_received is not None
        and case.amount_remitted is not None
        and bool(case.remittance_receipt_no.strip())
    )


@condition("收支两条线：处置收入须经财政确认已上缴国库后方能销号。")
def remittance_confirmed_if_earning(case: "DisposalCase") -> bool:
    if not case.earns_money or not case.amount_received:
        return True
    return case.remittance_confirmed_by_id is not None


# The execution's conditions a re-approval may lift: a changed approved term, and each method's rules marked so (an
# auction's bid under the floor, its reserve lowered after 流拍). Every other rule refuses the record outright.
REAPPROVABLE = (
    approved_terms_kept,
    *(rule for m in methods.all_methods() for rule in m.conditions if rule.reapprovable),
)


def execution_refusals(case: "DisposalCase") -> list[str]:
    """The messages of the execution rules no re-approval can lift, so they are refused before a plan goes back."""
    found = DisposalCase.record_execution._django_fsm.get_transition(CaseState.EXECUTING)
    return [
        c.message(case) if callable(c.message) else c.message
        for c in found.conditions
        if c not in REAPPROVABLE and not c(case)
    ]


def record_refusals(case: "DisposalCase", values: dict) -> list[str]:
    """The messages of the method's rules that `values` (an execution form's cleaned data) break; a rule whose fields
    are not all given is left to the missing-field errors."""
    import copy

    record = copy.copy(case.execution_or_none()) or ExecutionRecord(case_id=case.pk)
    record.case = case
    record.details = dict(record.details or {})
    names = set(case.spec.field_names) if case.spec else set()
    for name, value in values.items():
        if name in names:
            record.put(name, value)
    probe = copy.copy(case)
    probe.execution = record
    messages = []
    # The method's rules the form can check from its own values (those that say what they read and that no
    # re-approval lifts), each once the fields it reads are all given (a missing one is the field's own error).
    rules = [r for r in (case.spec.conditions if case.spec else ()) if r.reads is not None and not r.reapprovable]
    for rule in rules:
        if all(values.get(name) not in (None, "") for name in rule.reads) and not rule(probe):
            messages.append(rule.message(probe) if callable(rule.message) else rule.message)
    return messages


class DisposalCase(ConcurrentTransitionMixin, Process):
    """One asset's round of revitalization, from report to 销号. Only its transitions move `state`."""

    asset = models.ForeignKey(Asset, verbose_name="资产", on_delete=models.PROTECT, related_name="cases")
    holding_unit = models.ForeignKey(
        Organization, verbose_name="持有单位", on_delete=models.PROTECT, related_name="cases_held"
    )
    verifying_department = models.ForeignKey(
        Organization, verbose_name="核查认定部门", on_delete=models.PROTECT, related_name="cases_verified"
    )
    state = FSMField("办理状态", max_length=20, choices=CaseState.choices, default=CaseState.DRAFT, protected=True)
    basis = models.CharField("认定类型", max_length=20, choices=Basis.choices)
    statement = models.TextField("申报说明")
    reported_by = models.ForeignKey(User, verbose_name="申报人", on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        User, verbose_name="签发人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("签发时间", null=True, blank=True)
    returned_reason = models.TextField("退回原因", blank=True)
    verified_by = models.ForeignKey(
        User, verbose_name="认定人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField("认定时间", null=True, blank=True)
    verification_opinion = models.TextField("核查意见", blank=True)
    listed_until = models.DateField("调剂公示截止", null=True, blank=True)

    method = models.CharField("盘活方式", max_length=16, choices=methods.choices, blank=True)
    plan_summary = models.TextField("处置方案", blank=True)
    justification = models.TextField("未选调剂的理由", blank=True)
    receiving_unit = models.ForeignKey(
        Organization,
        verbose_name="调入单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_received",
    )
    plan_submitted_at = models.DateTimeField("方案提交时间", null=True, blank=True)
    # The key terms the plan asks approval for (APPROVED_TERMS): execution may not change them without a new approval.
    plan_appraisal_report_no = models.CharField("方案评估报告编号", max_length=60, blank=True)
    plan_appraisal_value = models.DecimalField(
        "方案评估值（元）", max_digits=16, decimal_places=2, null=True, blank=True
    )
    plan_appraisal_date = models.DateField("方案评估基准日", null=True, blank=True)
    plan_reserve_price = models.DecimalField("方案保留价（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    plan_reserve_rent = models.DecimalField(
        "方案底价（年租金，元）", max_digits=16, decimal_places=2, null=True, blank=True
    )
    plan_lease_starts_on = models.DateField("方案租期起", null=True, blank=True)
    plan_lease_ends_on = models.DateField("方案租期止", null=True, blank=True)
    plan_technical_appraisal = models.TextField("方案技术鉴定意见", blank=True)
    plan_early_scrap_explanation = models.TextField("方案提前报废说明", blank=True)
    # The approved terms of the later methods, typed by each declaration (no method adds a column to the case).
    plan_details = models.JSONField("方案其他批准事项", default=dict, blank=True)
    reapproval_reasons = models.JSONField("重新报批原因", default=list, blank=True)
    routing = models.JSONField("适用的审批规则", default=dict, blank=True)
    needs_finance = models.BooleanField("须财政审批", default=False)
    needs_collective_decision = models.BooleanField("须集体决策", default=False)
    dept_approved_by = models.ForeignKey(
        User, verbose_name="部门审核人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finance_approved_by = models.ForeignKey(
        User, verbose_name="财政审批人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)

    # 收支两条线: what is due, received and remitted to the treasury, net of fees.
    approved_low_bid = models.DecimalField(
        "经重新审批的低价成交价（元）", max_digits=16, decimal_places=2, null=True, blank=True
    )
    amount_due = models.DecimalField("应收（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    amount_received = models.DecimalField("实收（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    fees = models.DecimalField("费用（元）", max_digits=16, decimal_places=2, default=Decimal(0))
    amount_remitted = models.DecimalField("上缴（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    remittance_receipt_no = models.CharField("缴款凭证号", max_length=60, blank=True)
    execution_recorded_by = models.ForeignKey(
        User, verbose_name="执行登记人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    executed_at = models.DateTimeField("执行完成时间", null=True, blank=True)
    receipt_confirmed_by = models.ForeignKey(
        User, verbose_name="接收确认人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    remittance_confirmed_by = models.ForeignKey(
        User, verbose_name="上缴确认人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    remittance_confirmed_at = models.DateTimeField("上缴确认时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        User, verbose_name="销号人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    plan_proposed_by = models.ForeignKey(
        User, verbose_name="方案提交人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    current_step = models.CharField("当前环节", max_length=24, choices=Step.choices, blank=True)
    step_due_on = models.DateField("当前环节办理期限", null=True, blank=True, db_index=True)  # inbox order
    reminded_at = models.DateTimeField("已提醒承办人", null=True, blank=True)
    escalated_at = models.DateTimeField("已提醒负责人", null=True, blank=True)

    class Meta:
        verbose_name = "处置事项"
        verbose_name_plural = "处置事项"
        constraints = [
            # At most one open case per asset (an asset may go round again once a case has ended).
            models.UniqueConstraint(
                fields=["asset"], condition=Q(state__in=OPEN_STATES), name="one_open_case_per_asset"
            )
        ]
        indexes = [
            models.Index(fields=["state", "verifying_department"]),
            models.Index(fields=["holding_unit", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.asset.code} {self.asset.name}（{self.get_state_display()}）"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_overdue(self) -> bool:
        """The current step's deadline has passed (the same cut as workflows.services.overdue_sweep)."""
        return self.step_due_on is not None and self.step_due_on < timezone.localdate()

    @property
    def spec(self) -> "methods.Method | None":
        """The declaration of the case's method (workflows.methods), or None before one is chosen."""
        return methods.get(self.method)

    @property
    def earns_money(self) -> bool:
        return self.method in EARNING_METHODS

    def plan_term(self, name: str):
        """A term of the plan: its own column `plan_<name>` for the first methods' terms, else typed from
        `plan_details` by the method's declaration."""
        if hasattr(self, f"plan_{name}"):
            return getattr(self, f"plan_{name}")
        return methods.decode(execution_field_kind(self.method, name), (self.plan_details or {}).get(name))

    def set_plan_term(self, name: str, value) -> None:
        if hasattr(self, f"plan_{name}"):
            setattr(self, f"plan_{name}", value if value is not None else execution_blank(self.method, name))
        else:
            self.plan_details = {
                **(self.plan_details or {}),
                name: methods.encode(execution_field_kind(self.method, name), value),
            }

    def board_window_open(self) -> bool:
        """The 调剂 board's publication window is still running (it ends with the day listed_until)."""
        return self.listed_until is not None and timezone.localdate() <= self.listed_until

    def live_applications(self) -> models.QuerySet["ReallocationApplication"]:
        """The board's applications for this case that their units have not withdrawn."""
        return self.applications.filter(withdrawn_at__isnull=True)

    def on_board(self) -> bool:
        return DisposalCase.objects.filter(on_board(timezone.localdate()), pk=self.pk).exists()

    def idle_cutoff(self) -> date:
        return timezone.localdate() - relativedelta(months=Policy.current().idle_months)

    def execution_or_none(self) -> "ExecutionRecord | None":
        try:
            return self.execution
        except ExecutionRecord.DoesNotExist:
            return None

    def bid_below_floor(self) -> bool:
        record = self.execution_or_none()
        if record is None or record.winning_bid is None or not record.appraisal_value:
            return False
        if self.approved_low_bid is not None and record.winning_bid == self.approved_low_bid:
            return False  # this very bid was approved again after it fell below the floor
        floor = record.appraisal_value * Policy.current().low_bid_floor_percent / 100
        return record.winning_bid < floor

    def approved_terms(self) -> dict:
        """The terms the plan was approved with, by ExecutionRecord field name (empty for a method without any)."""
        return {name: self.plan_term(name) for name in APPROVED_TERMS.get(self.method, ())}

    def changed_terms(self) -> list[str]:
        """The approved terms the execution record departs from (a term the plan left empty binds nothing)."""
        record = self.execution_or_none()
        if record is None:
            return []
        return [
            name
            for name, approved in self.approved_terms().items()
            if approved not in (None, "") and record.value(name) != approved
        ]

    def changed_term_labels(self) -> list[str]:
        record, approved = self.execution_or_none(), self.approved_terms()
        return [
            f"{execution_field_label(self.method, name)}批准为{term_text(approved[name])}，"
            f"执行为{term_text(record.value(name))}"
            for name in self.changed_terms()
        ]

    def reapproval_due(self) -> list[str]:
        """Why the execution must go back for approval: a bid under the floor, approved terms changed (or nothing)."""
        reasons = []
        if self.method == DisposalMethod.AUCTION and self.bid_below_floor():
            percent = Policy.current().low_bid_floor_percent
            reasons.append(f"成交价低于评估值的{percent}%（下限{term_text(self.bid_floor())}）")
        if self.changed_terms():
            reasons.append(f"执行改变了方案批准的条件：{'；'.join(self.changed_term_labels())}")
        return reasons

    def bid_floor(self) -> Decimal | None:
        """评估值 × Policy.low_bid_floor_percent: a bid under it goes back for approval."""
        record = self.execution_or_none()
        if record is None or not record.appraisal_value:
            return None
        return (record.appraisal_value * Policy.current().low_bid_floor_percent / 100).quantize(Decimal("0.01"))

    def minimum_service_life(self) -> int | None:
        """The asset's minimum service life in years (MinimumServiceLife), if its category has one."""
        life = (
            MinimumServiceLife.objects.filter(category_id=self.asset.category_id)
            .filter(Q(subtype_id=self.asset.subtype_id) | Q(subtype__isnull=True))
            .order_by("subtype_id")  # a sub-type's own row wins over the category's
            .first()
        )
        return life.years if life is not None else None

    def scrapped_early(self) -> bool:
        """Whether the asset is scrapped before its category's minimum service life."""
        years = self.minimum_service_life()
        if years is None:
            return False
        return self.asset.acquired_on + relativedelta(years=years) > timezone.localdate()

    # -- transitions: each completed task fires exactly one of these, through workflows.services ---------------

    @transition(
        field=state,
        source=CaseState.DRAFT,
        target=CaseState.SUBMITTED,
        conditions=[lambda c: not c.returned_reason, idle_long_enough, idle_evidence_attached],
    )
    def submit(self) -> None:
        """The unit head signs the report off to the lead department."""

    @transition(field=state, source=CaseState.DRAFT, target=CaseState.DRAFT)
    def return_to_clerk(self) -> None:
        """The unit head sends the report back to the clerk with a reason instead of signing it off (补正申报 next)."""

    @transition(field=state, source=CaseState.SUBMITTED, target=CaseState.DRAFT)
    def return_to_unit(self) -> None:
        """The department sends the report back with a reason."""

    @transition(
        field=state,
        source=CaseState.DRAFT,
        target=CaseState.SUBMITTED,
        conditions=[lambda c: bool(c.returned_reason), idle_long_enough, idle_evidence_attached],
    )
    def resubmit(self) -> None:
        """A returned report, corrected, goes back to the department."""

    @transition(
        field=state, source=CaseState.DRAFT, target=CaseState.DRAFT, conditions=[lambda c: bool(c.returned_reason)]
    )
    def revise(self) -> None:
        """The unit clerk corrects a returned report; the head signs it off again (workflows.services.case_revise also
        asks the conditions of `resubmit`, so the clerk hears now what the head's sign-off would refuse)."""

    @transition(
        field=state, source=CaseState.SUBMITTED, target=CaseState.VERIFIED, conditions=[verification_record_attached]
    )
    def verify(self) -> None:
        """认定: the department confirms the asset idle / low-efficiency / over-standard."""

    @transition(field=state, source=CaseState.SUBMITTED, target=CaseState.REJECTED)
    def reject(self) -> None:
        """不予认定: the case ends and the asset returns to normal use."""

    @transition(field=state, source=CaseState.PLAN_SUBMITTED, target=CaseState.REJECTED)
    def finance_reject(self) -> None:
        """不予批准 by finance: the case ends as a refused one and the asset returns to normal use."""

    @transition(
        field=state, source=[CaseState.DRAFT, CaseState.SUBMITTED, CaseState.VERIFIED], target=CaseState.WITHDRAWN
    )
    def withdraw(self) -> None:
        """The holding unit withdraws the case before a plan is submitted."""

    @transition(
        field=state,
        source=CaseState.VERIFIED,
        target=CaseState.PLAN_SUBMITTED,
        conditions=[
            method_chosen,
            receiving_unit_chosen,
            reallocation_window_respected,
            reallocation_first,
            collective_minutes_attached,
            # Each method's own rules on what the plan knows (workflows.methods).
            *(rule for m in methods.all_methods() for rule in m.plan_conditions),
        ],
    )
    def propose(self) -> None:
        """The unit submits its disposal plan."""

    @transition(field=state, source=CaseState.PLAN_SUBMITTED, target=CaseState.PLAN_SUBMITTED)
    def review_partly(self) -> None:
        """The department approves a plan that finance must still approve."""

    @transition(
        field=state,
        source=CaseState.PLAN_SUBMITTED,
        target=CaseState.PLAN_APPROVED,
        conditions=[every_required_approval_given],
    )
    def approve(self) -> None:
        """The last approver the route asks for approves the plan."""

    @transition(field=state, source=CaseState.PLAN_SUBMITTED, target=CaseState.VERIFIED)
    def return_plan(self) -> None:
        """A reviewer sends the plan back to the unit with a reason."""

    @transition(field=state, source=CaseState.PLAN_APPROVED, target=CaseState.EXECUTING)
    def start_execution(self) -> None:
        """The unit starts carrying out the approved plan."""

    @transition(
        field=state,
        source=CaseState.EXECUTING,
        target=CaseState.EXECUTED,
        conditions=[
            handover_recorded,
            appraisal_valid,
            approved_terms_kept,
            # Each method's own rules, from its declaration (workflows.methods).
            *(rule for m in methods.all_methods() for rule in m.conditions),
        ],
    )
    def record_execution(self) -> None:
        """The execution record is complete (for 调剂: the receiving unit confirmed receipt)."""

    @transition(
        field=state,
        source=CaseState.EXECUTING,
        target=CaseState.PLAN_SUBMITTED,
        conditions=[method_rules_kept, reapproval_needed],
    )
    def reapprove(self) -> None:
        """A winning bid below the floor, or an approved term changed, pauses the case: the plan goes back for
        approval."""

    @transition(field=state, source=CaseState.EXECUTED, target=CaseState.EXECUTED, conditions=[proceeds_recorded])
    def confirm_remittance(self) -> None:
        """Finance confirms the proceeds reached the treasury (收支两条线)."""

    @transition(
        field=state, source=CaseState.EXECUTED, target=CaseState.CLOSED, conditions=[remittance_confirmed_if_earning]
    )
    def close(self) -> None:
        """销号."""


class CaseAttachment(models.Model):
    """Evidence a step relied on (核查记录, 评估报告, 会议纪要 …), kept on the asset's file and linked here."""

    case = models.ForeignKey(DisposalCase, verbose_name="处置事项", on_delete=models.PROTECT, related_name="evidence")
    attachment = models.ForeignKey(AssetAttachment, verbose_name="材料", on_delete=models.PROTECT, related_name="+")
    step = models.CharField("环节", max_length=24, choices=Step.choices)

    class Meta:
        verbose_name = "事项材料"
        verbose_name_plural = "事项材料"
        constraints = [models.UniqueConstraint(fields=["case", "attachment"], name="uniq_case_attachment")]

    def __str__(self) -> str:
        return f"{self.get_step_display()}：{self.attachment}"


class ExecutionRecord(models.Model):
    """What was done, per method: one row per case, the method's fields filled (DESIGN.md's method table)."""

    case = models.OneToOneField(
        DisposalCase, verbose_name="处置事项", on_delete=models.PROTECT, related_name="execution"
    )
    # 调剂
    handover_on = models.DateField("交接日期", null=True, blank=True)
    handover_list = models.TextField("交接清单", blank=True)
    # 出租
    reserve_rent = models.DecimalField("底价（年租金，元）", max_digits=16, decimal_places=2, null=True, blank=True)
    tender_result = models.TextField("公开招租结果", blank=True)
    lessee = models.CharField("承租方", max_length=200, blank=True)
    lease_starts_on = models.DateField("租期起", null=True, blank=True)
    lease_ends_on = models.DateField("租期止", null=True, blank=True)
    annual_rent = models.DecimalField("年租金（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    deposit = models.DecimalField("保证金（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    contract_no = models.CharField("合同编号", max_length=60, blank=True)
    # 拍卖
    appraisal_report_no = models.CharField("评估报告编号", max_length=60, blank=True)
    appraisal_value = models.DecimalField("评估值（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    appraisal_date = models.DateField("评估基准日", null=True, blank=True)
    venue = models.CharField("交易场所", max_length=100, blank=True)
    reserve_price = models.DecimalField("保留价（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    winning_bid = models.DecimalField("成交价（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    buyer = models.CharField("买受人", max_length=200, blank=True)
    deal_on = models.DateField("成交日期", null=True, blank=True)
    # 报废
    technical_appraisal = models.TextField("技术鉴定意见", blank=True)
    early_scrap_explanation = models.TextField("提前报废说明", blank=True)
    recycler = models.CharField("回收单位", max_length=200, blank=True)
    residual_value = models.DecimalField("残值回收（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    # Every later method's fields, typed by its declaration (workflows.methods): no method adds a column here.
    details = models.JSONField("其他执行事项", default=dict, blank=True)

    class Meta:
        verbose_name = "执行记录"
        verbose_name_plural = "执行记录"

    def __str__(self) -> str:
        return f"执行记录 #{self.case_id}"

    def value(self, name: str):
        """A field of the method's execution, typed: its column, or decoded from `details`."""
        if name in RECORD_COLUMNS:
            return getattr(self, name)
        return methods.decode(execution_field_kind(self.case.method, name), (self.details or {}).get(name))

    def put(self, name: str, value) -> None:
        if name in RECORD_COLUMNS:
            setattr(self, name, value if value is not None else execution_blank("", name))
        else:
            self.details = {
                **(self.details or {}),
                name: methods.encode(execution_field_kind(self.case.method, name), value),
            }

    def values(self) -> dict:
        """The method's fields, typed, by name."""
        spec = methods.get(self.case.method)
        return {name: self.value(name) for name in spec.field_names} if spec else {}

    def rows(self, *, details_only: bool = False) -> list[tuple[str, str]]:
        """The method's recorded fields as (label, text), in its declaration's order; `details_only`: the later
        methods' own fields (the first four's have their own lines on the case page and the 销号确认单)."""
        method = self.case.method
        return [
            (execution_field_label(method, name), field_text(execution_field_kind(method, name), value))
            for name, value in self.values().items()
            if value not in (None, "") and not (details_only and name in RECORD_COLUMNS)
        ]

    def detail_rows(self) -> list[tuple[str, str]]:
        return self.rows(details_only=True)


# The ExecutionRecord columns the first four methods keep; any other method field lives in `details`.
RECORD_COLUMNS = frozenset(
    f.name for f in ExecutionRecord._meta.concrete_fields if f.name not in ("id", "case", "details")
)


def _column_kind(field: models.Field) -> str:
    if isinstance(field, models.DecimalField):
        return methods.MONEY
    if isinstance(field, models.DateField):
        return methods.DATE
    return methods.LONG_TEXT if isinstance(field, models.TextField) else methods.TEXT


def _declared(method: str, name: str) -> "methods.Field | None":
    spec = methods.get(method)
    return spec.get_field(name) if spec and name in spec.field_names else None


def execution_field_kind(method: str, name: str) -> str:
    """A method field's kind: as declared, or its column's."""
    if name in RECORD_COLUMNS:
        return _column_kind(ExecutionRecord._meta.get_field(name))
    declared = _declared(method, name)
    if declared is None or not declared.kind:
        raise KeyError(f"{name} is not a field of the method {method!r}")
    return declared.kind


# A method field's label: as declared, or its column's verbose name.
execution_field_label = methods.field_label


def execution_blank(method: str, name: str):
    """The empty value of a field: "" for text, None for the rest."""
    return "" if execution_field_kind(method, name) in (methods.TEXT, methods.LONG_TEXT) else None


class SharingUse(models.Model):
    """One use of an instrument in the sharing scope (开放共享, seed 000 二(六)): who used it, on which day, how many
    机时, and the fee charged. Recorded by its unit's clerk while the instrument is shared (a method whose declaration
    says `records_uses`)."""

    case = models.ForeignKey(
        DisposalCase, verbose_name="处置事项", on_delete=models.PROTECT, related_name="sharing_uses"
    )
    user_name = models.CharField("使用单位（人）", max_length=100)
    used_on = models.DateField("使用日期")
    hours = models.DecimalField(
        "使用机时（小时）", max_digits=5, decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("24"))],
    )  # fmt: skip
    fee = models.DecimalField(
        "收费（元）", max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    purpose = models.CharField("用途", max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "共享使用记录"
        verbose_name_plural = "共享使用记录"
        ordering = ["-used_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_name} {self.used_on} {self.hours}小时"


class ReallocationApplication(models.Model):
    """A unit's application for an asset listed on the 调剂 board."""

    case = models.ForeignKey(
        DisposalCase, verbose_name="处置事项", on_delete=models.PROTECT, related_name="applications"
    )
    unit = models.ForeignKey(Organization, verbose_name="申请单位", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(User, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("申请理由")
    applied_at = models.DateTimeField("申请时间", auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)

    class Meta:
        verbose_name = "调剂申请"
        verbose_name_plural = "调剂申请"
        ordering = ["applied_at"]
        constraints = [models.UniqueConstraint(fields=["case", "unit"], name="one_application_per_unit")]

    # -- the trail ----------------------------------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.unit} 申请调剂 #{self.case_id}"


class Notification(models.Model):
    user = models.ForeignKey(User, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(
        DisposalCase, verbose_name="处置事项", null=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.CharField("内容", max_length=200)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at"]
        # The menu counts a user's unread notifications on every page.
        indexes = [models.Index(fields=["user"], condition=models.Q(read_at__isnull=True), name="notification_unread")]

    def __str__(self) -> str:
        return self.message


def staged_upload_path(instance: "StagedUpload", filename: str) -> str:
    # Random, like the evidence files: the user's file name is kept only for display.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"staging/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class StagedUpload(models.Model):
    """A file chosen on a form that failed to submit, kept for that user and that form until it is submitted (and the
    file becomes evidence on the asset's file), removed, or given up (workflows.staging)."""

    user = models.ForeignKey(User, verbose_name="上传人", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField("表单", max_length=60, help_text="task:<任务号> 或 report:<资产号>")
    field = models.CharField("字段", max_length=60)
    file = models.FileField("文件", upload_to=staged_upload_path, max_length=200)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    staged_at = models.DateTimeField("暂存时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "暂存文件"
        verbose_name_plural = "暂存文件"
        constraints = [models.UniqueConstraint(fields=["user", "scope", "field"], name="one_staged_file_per_field")]

    def __str__(self) -> str:
        return self.original_name


class SavedTaskView(models.Model):
    """A task list's filters saved under a name (Camunda Tasklist's saved filters): the owner's, and when shared,
    visible to the colleagues of the owner's organization; only the owner deletes it."""

    class Page(models.TextChoices):
        INBOX = "inbox", "我的待办"
        QUEUE = "queue", "待认领"
        ARCHIVE = "archive", "已办"
        TEAM = "team", "本单位在办"

    owner = models.ForeignKey(User, verbose_name="创建人", on_delete=models.CASCADE, related_name="saved_task_views")
    organization = models.ForeignKey(
        Organization, verbose_name="所属单位", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    page = models.CharField("列表", max_length=10, choices=Page.choices)
    name = models.CharField("名称", max_length=40)
    query = models.CharField("筛选条件", max_length=500, blank=True)
    shared = models.BooleanField("共享给本单位同事", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "已保存的筛选"
        verbose_name_plural = "已保存的筛选"
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["organization", "page", "shared"])]

    def __str__(self) -> str:
        return self.name
