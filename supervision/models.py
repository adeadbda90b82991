"""监督: the campaign's yearly targets, bulk archive packages and the issued 月调度 / 季评估 reports."""

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from assets.models import Category, CategorySubtype, Organization, OrganizationKind, User
from core.jobs import BackgroundJob
from workflows.methods import Tally


class TargetMeasure(models.TextChoices):
    AREA_SQM = "area_sqm", "面积（平方米）"
    AREA_HA = "area_ha", "面积（公顷）"
    VALUE = "value", "资产原值（元）"
    COUNT = "count", "资产数量（项）"
    PROCEEDS = "proceeds", "处置收入（元）"


class Target(models.Model):
    """A yearly target of the campaign's 任务台账, as data (seed 004: 处置闲置产业用地20公顷，盘活工业园区闲置厂房
    10万平方米、国有企业闲置资产2.9万平方米). Progress counts the assets of the matching category (and sub-types, if
    any are named) and kind of holding unit whose case was closed (销号) in the year by a method the target counts
    (盘活, 处置, or both); a target with a lead department is that department's."""

    year = models.PositiveSmallIntegerField("年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    name = models.CharField("任务名称", max_length=100)
    category = models.ForeignKey(
        Category, verbose_name="资产类别", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="留空表示全部类别",
    )  # fmt: skip
    subtypes = models.ManyToManyField(
        CategorySubtype, verbose_name="资产子类", blank=True, related_name="+",
        help_text="只计入这些子类（如：标准厂房）；留空表示该类别的全部子类",
    )  # fmt: skip
    tally = models.CharField(
        "计入的盘活方式", max_length=8, blank=True, choices=[(t.value, f"仅{t.value}") for t in Tally],
        help_text="盘活：资产恢复使用（出租、委托运营、功能转型……）；处置：资产离开本单位（拍卖、报废、划转……）；留空两者都计入",
    )  # fmt: skip
    unit_kind = models.CharField(
        "持有单位类型", max_length=32, choices=OrganizationKind.choices, blank=True, help_text="留空表示全部单位"
    )
    lead_department = models.ForeignKey(
        Organization, verbose_name="牵头单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="留空表示全县目标",
    )  # fmt: skip
    measure = models.CharField("计量指标", max_length=16, choices=TargetMeasure.choices)
    amount = models.DecimalField(
        "年度目标值", max_digits=18, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        db_table = "workflows_target"  # moved from workflows state-only
        verbose_name = "年度目标"
        verbose_name_plural = "年度目标"
        ordering = ["year", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["year", "name", "lead_department"], name="uniq_target"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.name}"


class JobStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ArchiveScope(models.TextChoices):
    UNIT = "unit", "按单位"
    CATEGORY = "category", "按类别"
    QUARTER = "quarter", "按季度"


class ArchiveBatch(BackgroundJob):
    """Archive packages for many assets at once (a unit, a category, a quarter), built by a Celery job that
    reports its progress here (a background job: core.jobs); the result is one ZIP of the assets' packages under a
    signed manifest."""

    PROGRESS = ("total", "done")
    DONE_STATUSES = (JobStatus.DONE,)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(User, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField("范围", max_length=16, choices=ArchiveScope.choices)
    params = models.JSONField("条件", default=dict)
    title = models.CharField("名称", max_length=200)
    status = models.CharField("状态", max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING)
    total = models.PositiveIntegerField("资产数", default=0)
    done = models.PositiveIntegerField("已完成", default=0)
    file = models.FileField("文件", upload_to="archives/%Y/%m/", max_length=200, blank=True)
    sha256 = models.CharField("文件摘要（SHA-256）", max_length=64, blank=True)
    size = models.PositiveBigIntegerField("大小", default=0)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        db_table = "workflows_archivebatch"  # moved from workflows state-only
        verbose_name = "档案批量导出"
        verbose_name_plural = "档案批量导出"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_status_display()}）"


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", "月调度"
    QUARTERLY = "quarterly", "季评估"


class SupervisionReport(models.Model):
    """One issued 月调度 report or 季评估 evaluation: the subject its signed PDF hangs from. The figures are frozen
    in the document's context when it is requested."""

    kind = models.CharField("报告类型", max_length=12, choices=ReportKind.choices)
    year = models.PositiveSmallIntegerField("年度")
    period = models.PositiveSmallIntegerField("月份或季度", validators=[MinValueValidator(1), MaxValueValidator(12)])
    scope_organization = models.ForeignKey(
        Organization, verbose_name="统计范围", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="留空表示全县",
    )  # fmt: skip
    requested_by = models.ForeignKey(User, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("申请时间", auto_now_add=True)

    class Meta:
        db_table = "workflows_supervisionreport"  # moved from workflows state-only
        verbose_name = "调度评估报告"
        verbose_name_plural = "调度评估报告"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        scope = self.scope_organization or "全县"
        if self.kind == ReportKind.MONTHLY:
            return f"{scope} {self.year}年{self.period}月 月调度"
        return f"{scope} {self.year}年第{self.period}季度 季评估"


class ChainCheck(BackgroundJob):
    """One check of the audit trail's hash chain (audit.chain.audit_chain_verify), asked for on the trail page and run
    by a Celery job: on a long trail the walk takes longer than a page may wait. Its row says how far the chain held
    and, when it breaks, where."""

    PROGRESS = ("total", "done")
    DONE_STATUSES = (JobStatus.DONE,)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(User, verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING)
    total = models.PositiveIntegerField("链上记录数", default=0, help_text="申请时链头的序号")
    done = models.PositiveIntegerField("已校验", default=0)
    broken = models.TextField("断点", blank=True, help_text="链在何处断开；空表示链完整")
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "审计链校验"
        verbose_name_plural = "审计链校验"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"审计链校验（{self.get_status_display()}）"
