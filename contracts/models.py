"""A contract that outlives its case (DESIGN.md "Contracts outlive the case"): its terms, its payment schedule, the
payments the unit records against it and finance's confirmation of their remittance (收支两条线)."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from assets.models import Asset, AssetAttachment, Organization, User
from assets.uscc import validate_uscc
from workflows.models import CaseState, DisposalCase

from . import kinds as _kinds  # noqa: F401  (the ending documents' kinds, registered once)
from . import schedule

MONEY = {"max_digits": 16, "decimal_places": 2}


class Cycle(models.TextChoices):
    MONTHLY = schedule.MONTHLY, "按月"
    QUARTERLY = schedule.QUARTERLY, "按季"
    HALF_YEARLY = schedule.HALF_YEARLY, "按半年"
    YEARLY = schedule.YEARLY, "按年"
    ONE_OFF = schedule.ONE_OFF, "一次性"


class ContractState(models.TextChoices):
    ACTIVE = "active", "履行中"
    TERMINATED = "terminated", "已终止"  # ended early (提前终止), the asset returned
    RETURNED = "returned", "已到期收回"  # ran its term, the asset returned
    RENEWED = "renewed", "已续签"  # its next version runs on (续租/续约)


class EndKind(models.TextChoices):
    RETURN = "return", "到期收回"
    TERMINATION = "termination", "提前终止"


class ReturnOutcome(models.TextChoices):
    """What the asset is once it is back on its unit's ledger (issue 14 §3: in use, or idle again)."""

    IN_USE = "in_use", "收回后自用"
    IDLE = "idle", "再度闲置"


class DepositOutcome(models.TextChoices):
    RETURNED = "returned", "退还"
    KEPT = "kept", "不予退还（抵扣或没收）"
    NONE = "none", "无保证金"


class RenewalState(models.TextChoices):
    DEPT_REVIEW = "dept_review", "待主管部门审核"
    FINANCE_REVIEW = "finance_review", "待财政审批"
    APPROVED = "approved", "已批准"
    RETURNED = "returned", "已退回"


# A renewal still to be decided: at most one per contract (renewal_one_open_per_contract).
OPEN_RENEWAL_STATES = (RenewalState.DEPT_REVIEW, RenewalState.FINANCE_REVIEW)


class Contract(models.Model):
    case = models.ForeignKey(DisposalCase, verbose_name="处置事项", on_delete=models.PROTECT, related_name="contracts")
    asset = models.ForeignKey(Asset, verbose_name="资产", on_delete=models.PROTECT, related_name="contracts")
    holding_unit = models.ForeignKey(
        Organization, verbose_name="持有单位", on_delete=models.PROTECT, related_name="contracts_held"
    )
    method = models.CharField("盘活方式", max_length=16)
    counterparty = models.CharField("合同相对方", max_length=200)
    counterparty_code = models.CharField(
        "对方统一社会信用代码", max_length=18, blank=True, validators=[validate_uscc], help_text="自然人留空"
    )
    starts_on = models.DateField("期限起")
    ends_on = models.DateField("期限止", null=True, blank=True, help_text="留空为不定期（开放共享）")
    cycle = models.CharField("付款周期", max_length=12, choices=Cycle.choices, default=Cycle.YEARLY)
    annual_amount = models.DecimalField(
        "年金额（元）", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    one_off_amount = models.DecimalField(
        "一次性金额（元）", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    step_percent = models.DecimalField(
        "年递增比例（%）", max_digits=6, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    deposit = models.DecimalField("保证金（元）", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)])
    number = models.CharField("合同编号", max_length=60, blank=True)
    version = models.PositiveSmallIntegerField("版本", default=1)
    state = models.CharField("状态", max_length=12, choices=ContractState.choices, default=ContractState.ACTIVE)
    created_at = models.DateTimeField("建立时间")

    class Meta:
        verbose_name = "合同"
        verbose_name_plural = "合同"
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="contract_one_version_per_case"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=F("starts_on")), name="contract_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"合同 #{self.pk}"

    @property
    def awaits_closing(self) -> bool:
        """Made when its case's execution was recorded, the case not yet 销号: rent is recorded against it and arrears
        run, but it ends (到期收回, 提前终止) or renews only once finance has closed the case."""
        return self.case.state != CaseState.CLOSED

    def terms(self) -> dict:
        """The terms the schedule is made from (contracts.schedule.payment_schedule)."""
        return {
            "starts_on": self.starts_on, "ends_on": self.ends_on, "cycle": self.cycle, "annual": self.annual_amount,
            "step_percent": self.step_percent, "one_off": self.one_off_amount,
        }  # fmt: skip


class Installment(models.Model):
    contract = models.ForeignKey(Contract, verbose_name="合同", on_delete=models.CASCADE, related_name="installments")
    sequence = models.PositiveIntegerField("期次")
    due_on = models.DateField("应付日期")
    period_ends_on = models.DateField("所属期止")
    amount = models.DecimalField("应收（元）", **MONEY)
    # The sum of its payments, kept by payment_record under the installment's lock, so arrears are one query.
    paid = models.DecimalField("实收（元）", **MONEY, default=Decimal(0))
    # When the reminders sent its notices (contracts.reminders), each once: before it falls due, and once in arrears.
    reminded_at = models.DateTimeField("到期提醒时间", null=True, blank=True)
    arrears_notified_at = models.DateTimeField("欠缴通知时间", null=True, blank=True)
    # An early termination cancels what falls due from its date on: no longer owed, so never in arrears.
    cancelled_on = models.DateField("取消日期", null=True, blank=True)

    class Meta:
        verbose_name = "应收款项"
        verbose_name_plural = "应收款项"
        ordering = ["contract", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="installment_sequence_unique"),
            models.CheckConstraint(condition=Q(paid__lte=F("amount")), name="installment_not_overpaid"),
        ]
        indexes = [models.Index(fields=["due_on"], name="installment_due_on")]

    def __str__(self) -> str:
        return f"第{self.sequence}期"

    @property
    def outstanding(self) -> Decimal:
        return Decimal(0) if self.cancelled_on else self.amount - self.paid


class Payment(models.Model):
    installment = models.ForeignKey(
        Installment, verbose_name="应收款项", on_delete=models.PROTECT, related_name="payments"
    )
    # The installment's contract, kept beside it (save() sets it; so do the bulk writers, contracts.booking and the
    # bench) so the rent ledger sums a year of payments by contract, unit or method without the installments table.
    contract = models.ForeignKey(
        Contract, verbose_name="合同", on_delete=models.PROTECT, related_name="payments", editable=False
    )
    amount = models.DecimalField("实收金额（元）", **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    paid_on = models.DateField("收款日期")
    receipt_no = models.CharField("收款凭证号", max_length=60)
    evidence = models.ForeignKey(
        AssetAttachment, verbose_name="收款凭证（附件）", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    recorded_by = models.ForeignKey(
        User, verbose_name="登记人", null=True, on_delete=models.PROTECT, related_name="payments_recorded"
    )
    recorded_at = models.DateTimeField("登记时间")
    confirmed_by = models.ForeignKey(
        User, verbose_name="上缴确认人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="payments_confirmed",
    )  # fmt: skip
    confirmed_at = models.DateTimeField("上缴确认时间", null=True, blank=True)
    nontax_receipt_no = models.CharField("非税收入缴款书号", max_length=60, blank=True)

    class Meta:
        verbose_name = "收款"
        verbose_name_plural = "收款"
        ordering = ["paid_on", "pk"]
        constraints = [
            # One receipt may pay several installments (the receipt booked at execution, a year in advance), once each.
            models.UniqueConstraint(fields=["installment", "receipt_no"], name="payment_receipt_once_per_installment"),
        ]
        indexes = [
            models.Index(fields=["receipt_no"], name="payment_receipt_no"),
            # The rent ledger's 实收 and 上缴 by month (contracts.ledger): a month of payments, not the whole table.
            models.Index(fields=["paid_on"], name="payment_paid_on"),
            models.Index(fields=["confirmed_at"], name="payment_confirmed_at"),
        ]

    def __str__(self) -> str:
        return self.receipt_no

    def save(self, *args, **kwargs):
        self.contract_id = self.installment.contract_id
        super().save(*args, **kwargs)


class ContractEnd(models.Model):
    """How a contract ended: 到期收回, or 提前终止 with its settlement; either way the asset came back to its unit on
    `returned_on`, in the condition the clerk wrote, and is in use or idle again (再度闲置)."""

    contract = models.OneToOneField(Contract, verbose_name="合同", on_delete=models.PROTECT, related_name="end")
    kind = models.CharField("终止方式", max_length=12, choices=EndKind.choices)
    returned_on = models.DateField("收回交接日期")
    condition = models.TextField("资产状况", max_length=2000)
    evidence = models.ForeignKey(
        AssetAttachment, verbose_name="交接材料（附件）", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    outcome = models.CharField("收回后使用状况", max_length=8, choices=ReturnOutcome.choices)
    idle_reason = models.TextField("闲置原因", max_length=1000, blank=True)
    termination_reason = models.TextField("终止原因", max_length=2000, blank=True)
    settlement = models.DecimalField(
        "结算金额（元）", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    deposit_outcome = models.CharField("保证金处理", max_length=8, choices=DepositOutcome.choices, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "合同终止与收回"
        verbose_name_plural = "合同终止与收回"

    def __str__(self) -> str:
        return f"{self.contract} {self.get_kind_display()}"


class ContractRenewal(models.Model):
    """续租/续约 (issue 14 §3: a new approval round through the routing rules): the new terms the holding unit's
    clerk asks for, routed as a plan of the contract's method would be (its route kept here, as DisposalCase.routing),
    reviewed by the asset's lead department and then, when the route says so, approved by finance; either step may
    return it with a reason, and the clerk may ask again. Never decided by whoever asked. The approval makes the
    contract's next version, with its own schedule, running on from the day the old one ends."""

    contract = models.ForeignKey(Contract, verbose_name="原合同", on_delete=models.PROTECT, related_name="renewals")
    state = models.CharField("状态", max_length=16, choices=RenewalState.choices, default=RenewalState.DEPT_REVIEW)
    ends_on = models.DateField("续签期限止")
    cycle = models.CharField("付款周期", max_length=12, choices=Cycle.choices)
    annual_amount = models.DecimalField("年金额（元）", **MONEY, validators=[MinValueValidator(0)])
    step_percent = models.DecimalField(
        "年递增比例（%）", max_digits=6, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    deposit = models.DecimalField("保证金（元）", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)])
    number = models.CharField("续签合同编号", max_length=60)
    reason = models.TextField("续签理由", max_length=2000)
    department = models.ForeignKey(
        Organization, verbose_name="主管部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="资产的牵头主管部门，申请时确定；早于主管部门审核环节提交的申请为空",
    )  # fmt: skip
    routing = models.JSONField("审批路径", default=dict, blank=True)
    minutes = models.ForeignKey(
        AssetAttachment, verbose_name="会议纪要", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(User, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间")
    reviewed_by = models.ForeignKey(
        User, verbose_name="主管部门审核人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField("主管部门审核时间", null=True, blank=True)
    review_opinion = models.TextField("主管部门审核意见", max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        User, verbose_name="财政审批人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("财政审批时间", null=True, blank=True)
    opinion = models.TextField("财政审批意见", max_length=2000, blank=True)
    renewed = models.OneToOneField(
        Contract, verbose_name="续签合同", null=True, blank=True, on_delete=models.PROTECT, related_name="renewed_from"
    )

    class Meta:
        verbose_name = "续签申请"
        verbose_name_plural = "续签申请"
        constraints = [
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(state__in=["dept_review", "finance_review"]),
                name="renewal_one_open_per_contract",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} 续签"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_RENEWAL_STATES

    @property
    def needs_finance(self) -> bool:
        return bool(self.routing.get("needs_finance"))

    @property
    def route_text(self) -> str:
        """The route in words, for its approvers, its page and its 备案表: the steps, and the rules that made them."""
        steps = [f"{self.department.name}审核"] if self.department_id else []
        if self.needs_finance:
            steps.append("财政审批")
        text = " → ".join(steps)
        if self.routing.get("needs_collective_decision"):
            text += "，须集体决策（附会议纪要）"
        rules = [r["name"] for r in self.routing.get("rules", ())]
        if rules:
            text += f"（审批规则：{'、'.join(rules)}）"
        elif self.department_id and not self.needs_finance:
            text += "（未触发须财政审批的审批规则）"
        return text

    @property
    def returned_by_finance(self) -> bool:
        return self.state == RenewalState.RETURNED and self.decided_by_id is not None

    @property
    def return_reason(self) -> str:
        if self.state != RenewalState.RETURNED:
            return ""
        return self.opinion if self.returned_by_finance else self.review_opinion
