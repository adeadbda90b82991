"""A contract that outlives its case (DESIGN.md "Contracts outlive the case"): its terms, its payment schedule, the
payments the unit records against it and finance's confirmation of their remittance (收支两条线)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from assets.models import Asset, AssetAttachment, Organization, User
from assets.uscc import validate_uscc
from workflows.models import DisposalCase

from . import schedule

MONEY = {"max_digits": 16, "decimal_places": 2}


class Cycle(models.TextChoices):
    MONTHLY = schedule.MONTHLY, "按月"
    QUARTERLY = schedule.QUARTERLY, "按季"
    HALF_YEARLY = schedule.HALF_YEARLY, "按半年"
    YEARLY = schedule.YEARLY, "按年"
    ONE_OFF = schedule.ONE_OFF, "一次性"


class ContractPolicy(models.Model):
    """The contracts' own settings, edited in the admin (one row, like workflows.Policy, kept here so that contracts
    need no workflows migration): how early the holding unit hears of an installment falling due."""

    reminder_lead_working_days = models.PositiveSmallIntegerField(
        "到期提醒提前（工作日）", default=5, validators=[MaxValueValidator(60)],
        help_text="合同应收款项到期前此工作日数，提醒资产持有单位的经办人收取",
    )  # fmt: skip

    class Meta:
        verbose_name = "合同收款参数"
        verbose_name_plural = "合同收款参数"

    def __str__(self) -> str:
        return "合同收款参数"

    @classmethod
    def current(cls) -> "ContractPolicy":
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


class ContractState(models.TextChoices):
    ACTIVE = "active", "履行中"
    ENDED = "ended", "已到期"


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
        return self.amount - self.paid


class Payment(models.Model):
    installment = models.ForeignKey(
        Installment, verbose_name="应收款项", on_delete=models.PROTECT, related_name="payments"
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
        indexes = [models.Index(fields=["receipt_no"], name="payment_receipt_no")]

    def __str__(self) -> str:
        return self.receipt_no
