"""Organizations, people and roles, categories and their routing data, and the asset register."""

import uuid
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core import formatting
from core.formatting import mu_to_sqm, sqm_to_mu
from core.fsm import ConcurrentTransitionMixin, FSMField, transition
from core.jobs import BackgroundJob
from core.text import normalize_code

from .uscc import validate_uscc


# 1 亩 = 10000/15 m² (市制面积单位), kept exact so m² → 亩 → m² round-trips.
def areas_agree(area_m2: Decimal, area_mu: Decimal) -> bool:
    """Whether an area given in both units is the same area: within 1 ㎡, or the ㎡ figure rounded to 0.01 亩
    (one 0.01 亩 step is 6.67 ㎡, so a 亩 figure shown or exported to two places must still read back)."""
    if abs(mu_to_sqm(area_mu) - Decimal(area_m2)) <= Decimal(1):
        return True
    return sqm_to_mu(area_m2) == Decimal(area_mu).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class OrganizationKind(models.TextChoices):
    ADMINISTRATIVE = "administrative", "行政单位"
    INSTITUTION = "institution", "事业单位"
    STATE_ENTERPRISE = "state_enterprise", "县属国有企业"
    TOWNSHIP = "township", "乡镇人民政府"
    INDUSTRY_DEPARTMENT = "industry_department", "行业主管部门"
    FINANCE = "finance", "财政"
    ASSET_CENTER = "asset_center", "国资中心"
    AUDIT = "audit", "审计"
    COORDINATION_OFFICE = "coordination_office", "协调机制办"


# Organizations whose ledger can hold assets (and so report, or receive, one); the industry departments and the
# finance, audit and coordination side only review.
HOLDING_KINDS = (
    OrganizationKind.ADMINISTRATIVE,
    OrganizationKind.INSTITUTION,
    OrganizationKind.STATE_ENTERPRISE,
    OrganizationKind.TOWNSHIP,
)


class Organization(models.Model):
    name = models.CharField("单位名称", max_length=100, unique=True)
    # Used in document numbers such as 茂财盘〔2026〕15号, so it must tell organizations apart.
    short_name = models.CharField("简称", max_length=20, unique=True, help_text="用于文号，如“茂财”")
    kind = models.CharField("单位类型", max_length=32, choices=OrganizationKind.choices)
    credit_code = models.CharField(
        "统一社会信用代码", max_length=18, unique=True, null=True, blank=True, validators=[validate_uscc]
    )
    supervising_department = models.ForeignKey(
        "self",
        verbose_name="主管部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_units",
        # An industry department, or the 国资中心 for county enterprises.
        limit_choices_to={"kind__in": [OrganizationKind.INDUSTRY_DEPARTMENT, OrganizationKind.ASSET_CENTER]},
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.credit_code == "":
            self.credit_code = None
        if self.supervising_department_id and self.supervising_department_id == self.pk:
            raise ValidationError({"supervising_department": "主管部门不能是本单位。"})


class Role(models.TextChoices):
    """The roles of DESIGN.md; each is a Django group of the same name."""

    UNIT_CLERK = "unit_clerk", "经办人"
    UNIT_HEAD = "unit_head", "单位负责人"
    DEPT_REVIEWER = "dept_reviewer", "主管部门审核人"
    FINANCE_APPROVER = "finance_approver", "财政审批人"
    SUPERVISOR = "supervisor", "监督"
    ADMIN = "admin", "系统管理员"


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    organization = models.ForeignKey(
        Organization, verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    phone = models.CharField("联系电话", max_length=30, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        if not self.is_active:
            return frozenset()
        names = set(self.groups.values_list("name", flat=True))
        if self.is_superuser:
            names.add(Role.ADMIN)
        return frozenset(names & set(Role.values))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def role_labels(self) -> list[str]:
        return [Role(r).label for r in Role.values if r in self.roles]


class AreaUnit(models.TextChoices):
    SQM = formatting.SQM, "平方米"
    MU = formatting.MU, "亩"


class Category(models.Model):
    """A category of DESIGN.md and the lead department (牵头单位) that verifies it (seed 000, 二)."""

    code = models.SlugField("类别代码", max_length=40, unique=True)
    name = models.CharField("类别名称", max_length=100, unique=True)
    lead_department = models.ForeignKey(
        Organization, verbose_name="牵头核查部门", on_delete=models.PROTECT, related_name="led_categories"
    )
    subtype_required = models.BooleanField("须选择子类", default=False, help_text="按子类确定核查部门时勾选")
    area_required = models.BooleanField("须填面积", default=False)
    area_unit = models.CharField("面积显示单位", max_length=4, choices=AreaUnit.choices, default=AreaUnit.SQM)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "资产类别"
        verbose_name_plural = "资产类别"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class CategorySubtype(models.Model):
    category = models.ForeignKey(Category, verbose_name="类别", on_delete=models.CASCADE, related_name="subtypes")
    code = models.SlugField("子类代码", max_length=40)
    name = models.CharField("子类名称", max_length=100)
    # Overrides the category's lead department, e.g. 公益性资产: 校舍 → 教育局, 养老 → 民政局 (seed 000, 二(七)).
    lead_department = models.ForeignKey(
        Organization,
        verbose_name="牵头核查部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_subtypes",
        help_text="留空则沿用类别的牵头部门",
    )
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "资产子类"
        verbose_name_plural = "资产子类"
        ordering = ["category__sort_order", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="uniq_subtype_code")]

    def __str__(self) -> str:
        return f"{self.category.name} / {self.name}"

    @property
    def effective_lead_department(self) -> Organization:
        return self.lead_department or self.category.lead_department


class MinimumServiceLife(models.Model):
    """最低使用年限, the floor below which scrapping needs a technical appraisal and an explanation."""

    category = models.ForeignKey(Category, verbose_name="类别", on_delete=models.CASCADE, related_name="service_lives")
    subtype = models.ForeignKey(
        CategorySubtype, verbose_name="子类", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField("名称", max_length=100)
    years = models.PositiveSmallIntegerField("最低使用年限（年）", validators=[MinValueValidator(1)])
    basis = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "最低使用年限"
        verbose_name_plural = "最低使用年限"
        ordering = ["category__sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["category", "subtype"], name="uniq_service_life"),
            models.UniqueConstraint(
                fields=["category"], condition=Q(subtype__isnull=True), name="uniq_service_life_category"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}：{self.years}年"

    def clean(self) -> None:
        if self.subtype_id and self.subtype.category_id != self.category_id:
            raise ValidationError({"subtype": "子类不属于所选类别。"})


class MeasureUnit(models.Model):
    """A 计量单位 the ledger may use: a list kept by administrators, so that “台”, “ 台” and “台。” are one unit."""

    name = models.CharField("计量单位", max_length=10, unique=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "计量单位"
        verbose_name_plural = "计量单位"
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def names(cls) -> list[str]:
        return list(cls.objects.filter(is_active=True).values_list("name", flat=True))


DEFAULT_MEASURE_UNIT = "项"


class AssetStatus(models.TextChoices):
    """The ledger's coarse status; only a disposal case's transitions move it (DESIGN.md)."""

    IN_USE = "in_use", "在用"
    IN_CASE = "in_case", "处置中"
    REVITALIZED = "revitalized", "已盘活"
    DISPOSED = "disposed", "已处置"


class UsageStatus(models.TextChoices):
    # The three identification standards of seed 000, 一(三), beside normal use.
    NORMAL = "normal", "正常使用"
    IDLE = "idle", "闲置"
    LOW_EFFICIENCY = "low_efficiency", "低效运转"
    OVER_STANDARD = "over_standard", "超标准配置"


class Ownership(models.TextChoices):
    CONFIRMED = "confirmed", "已确权"
    UNCONFIRMED = "unconfirmed", "未确权"
    UNCLEAR = "unclear", "权属不清"


class Direction(models.TextChoices):
    # 盘活方向 (seed 000, 二(一)–(八) and 三(三)); 调剂 comes first (调剂优先). Every 盘活方式 names the direction it
    # carries out (workflows.methods: Method.direction), so the ledger can hold the direction of each of them.
    REALLOCATE = "reallocate", "调剂"
    LEASE = "lease", "出租出借"
    TRANSFER = "transfer", "公开转让"
    AUCTION = "auction", "拍卖"
    REPURPOSE = "repurpose", "功能转型"
    OPERATE = "operate", "委托运营"
    SCRAP = "scrap", "报废"
    FREE_TRANSFER = "free_transfer", "无偿划转"
    EQUITY = "equity_invest", "作价入股"
    EXCHANGE = "exchange", "置换"
    LAND_RECOVERY = "land_recovery", "协议有偿收回（政府收储）"
    EXTEND_START = "extend_start", "延长动工期限"
    TEMPORARY_USE = "temporary_use", "安排临时使用"
    CONCESSION = "concession", "特许经营"
    OPEN_SHARING = "open_sharing", "开放共享"
    OTHER = "other", "其他"


class AssetQuerySet(models.QuerySet):
    def led_by(self, department: Organization) -> "AssetQuerySet":
        """Assets whose verification the department leads: by sub-type where it names one, else by category."""
        return self.filter(led_by_q(department.pk))


def led_by_q(department_id: int, *, prefix: str = "") -> Q:
    """The assets (under `prefix`, e.g. "asset__") whose lead department is this one: by sub-type where the
    sub-type names one, else by category (DESIGN.md's 责任单位 table; 公益性资产 by sub-type)."""
    return Q(**{f"{prefix}subtype__lead_department_id": department_id}) | (
        Q(**{f"{prefix}subtype__lead_department__isnull": True})
        & Q(**{f"{prefix}category__lead_department_id": department_id})
    )


class Asset(ConcurrentTransitionMixin, models.Model):
    """One ledger row and its whole history (一资产一档案)."""

    code = models.CharField("资产编号", max_length=64, unique=True)
    name = models.CharField("资产名称", max_length=200)
    category = models.ForeignKey(Category, verbose_name="资产类别", on_delete=models.PROTECT, related_name="assets")
    subtype = models.ForeignKey(
        CategorySubtype, verbose_name="资产子类", null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    holding_unit = models.ForeignKey(
        Organization, verbose_name="持有单位", on_delete=models.PROTECT, related_name="assets"
    )
    specification = models.CharField("规格型号", max_length=200, blank=True)
    quantity = models.DecimalField(
        "数量", max_digits=12, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit_of_measure = models.CharField("计量单位", max_length=20, default=DEFAULT_MEASURE_UNIT)
    area_m2 = models.DecimalField(
        "面积（㎡）", max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    original_value = models.DecimalField(
        "原值（元）", max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    net_value = models.DecimalField("净值（元）", max_digits=16, decimal_places=2, validators=[MinValueValidator(0)])
    acquired_on = models.DateField("取得日期")
    address = models.CharField("资产位置", max_length=255)
    latitude = models.DecimalField(
        "纬度",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        "经度",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    ownership = models.CharField("权属状况", max_length=16, choices=Ownership.choices, default=Ownership.CONFIRMED)
    certificate_no = models.CharField("权属证书号", max_length=100, blank=True)
    usage_status = models.CharField("使用状况", max_length=20, choices=UsageStatus.choices, default=UsageStatus.NORMAL)
    idle_since = models.DateField("停用日期", null=True, blank=True, help_text="闲置资产须填写，用于计算闲置时长")
    idle_reason = models.TextField("闲置原因", max_length=1000, blank=True)
    direction = models.CharField("盘活方向", max_length=16, choices=Direction.choices, blank=True)
    direction_note = models.TextField("盘活思路（一资产一策）", max_length=2000, blank=True)
    responsible_person = models.CharField("责任人", max_length=50, blank=True)
    deadline = models.DateField("完成时限", null=True, blank=True)
    remarks = models.TextField("备注", max_length=2000, blank=True)
    status = FSMField(
        "台账状态", max_length=16, choices=AssetStatus.choices, default=AssetStatus.IN_USE, protected=True
    )

    import_batch = models.ForeignKey(
        "ImportBatch", verbose_name="导入批次", null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    created_by = models.ForeignKey(
        User, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        verbose_name = "资产"
        verbose_name_plural = "资产"
        ordering = ["code"]
        indexes = [
            models.Index(fields=["holding_unit", "status"]),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["idle_since"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(net_value__lte=models.F("original_value")), name="net_le_original"),
            models.CheckConstraint(condition=Q(net_value__gte=0), name="net_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    # -- derived -------------------------------------------------------------------------------

    @property
    def lead_department(self) -> Organization:
        """Who verifies and reviews this asset (DESIGN.md's 责任单位 table): its sub-type's department where the
        sub-type names one, else its category's (as in led_by_q)."""
        return self.subtype.effective_lead_department if self.subtype_id else self.category.lead_department

    @property
    def area_mu(self) -> Decimal | None:
        return sqm_to_mu(self.area_m2)

    def idle_months(self, today=None) -> int | None:
        if not self.idle_since:
            return None
        today = today or timezone.localdate()
        months = (today.year - self.idle_since.year) * 12 + today.month - self.idle_since.month
        if today.day < self.idle_since.day:
            months -= 1
        return max(months, 0)

    @property
    def is_editable(self) -> bool:
        # While a case is open or after disposal the ledger row is evidence; it changes only through the case.
        return self.status in (AssetStatus.IN_USE, AssetStatus.REVITALIZED)

    # -- validation shared by the form, the import and the admin ------------------------------

    def clean(self, *, measure_units: list[str] | None = None) -> None:
        """The ledger's rules; `measure_units` saves the query when many rows are checked (the import)."""
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.code:
            # Compared and stored in one form, so look-alike codes (full-width, zero-width, lower case) are one code.
            try:
                self.code = normalize_code(self.code)
            except ValidationError as exc:
                add("code", exc.messages[0])
            if not self.code and "code" not in errors:
                add("code", "资产编号不能只由空白或不可见字符组成。")
        if self.unit_of_measure:
            units = measure_units if measure_units is not None else MeasureUnit.names()
            if self.unit_of_measure not in units:
                add(
                    "unit_of_measure",
                    f"计量单位“{self.unit_of_measure[:20]}”不在单位列表中，可选：{'、'.join(units)}。",
                )
        today = timezone.localdate()
        if self.original_value is not None and self.net_value is not None and self.net_value > self.original_value:
            add("net_value", "净值不能大于原值。")
        if self.acquired_on and self.acquired_on > today:
            add("acquired_on", "取得日期不能晚于今天。")
        if self.category_id:
            category = self.category
            if self.subtype_id and self.subtype.category_id != category.pk:
                # Checked wherever category and sub-type meet (the form, the import, the admin): the sub-type decides
                # the verifying department only within its own category.
                options = "、".join(category.subtypes.values_list("name", flat=True)) or "无，请留空"
                add("subtype", f"子类“{self.subtype.name}”不属于“{category.name}”，可选：{options}。")
            elif category.subtype_required and not self.subtype_id:
                add("subtype", f"“{category.name}”须选择子类，以确定牵头核查部门。")
            if category.area_required and self.area_m2 is None:
                add("area_m2", f"“{category.name}”须填写面积。")
        if self.usage_status == UsageStatus.IDLE and not self.idle_since:
            add("idle_since", "闲置资产须填写停用日期。")
        if self.usage_status == UsageStatus.NORMAL and self.idle_since:
            add("idle_since", "正常使用的资产不应填写停用日期；如已停用，请将使用状况改为“闲置”。")
        if self.idle_since:
            if self.idle_since > today:
                add("idle_since", "停用日期不能晚于今天。")
            elif self.acquired_on and self.idle_since < self.acquired_on:
                add("idle_since", "停用日期不能早于取得日期。")
        if (self.latitude is None) != (self.longitude is None):
            add("longitude" if self.longitude is None else "latitude", "经度和纬度须同时填写或同时留空。")
        if self.deadline and self.acquired_on and self.deadline < self.acquired_on:
            add("deadline", "完成时限不能早于取得日期。")
        if errors:
            raise ValidationError(errors)

    # -- ledger transitions: fired only by a disposal case's services (workflows) ---------------

    @transition(field=status, source=[AssetStatus.IN_USE, AssetStatus.REVITALIZED], target=AssetStatus.IN_CASE)
    def open_case(self) -> None:
        """A disposal case starts: the row is locked for edits until the case ends."""

    @transition(field=status, source=AssetStatus.IN_CASE, target=AssetStatus.IN_USE)
    def return_to_use(self) -> None:
        """The case was rejected or withdrawn."""

    @transition(field=status, source=AssetStatus.IN_CASE, target=AssetStatus.IN_USE)
    def reallocate_to(self, unit: Organization) -> None:
        """调剂 closed: the asset moves to the receiving unit's ledger."""
        if unit.pk == self.holding_unit_id:
            raise ValidationError("调入单位不能是原持有单位。")
        self.holding_unit = unit
        self._back_in_use()
        self.responsible_person = ""  # the old unit's person; the receiving unit names its own

    @transition(field=status, source=AssetStatus.IN_CASE, target=AssetStatus.IN_USE)
    def return_to_new_use(self) -> None:
        """功能转型 closed: back in use by its unit, for its new use."""
        self._back_in_use()

    @transition(field=status, source=AssetStatus.IN_CASE, target=AssetStatus.REVITALIZED)
    def mark_revitalized(self) -> None:
        """出租/出借, 委托运营 closed: in use again, earning for the state."""
        self._back_in_use()

    def _back_in_use(self) -> None:
        # Revitalized: no longer idle, so the idle period and its plan (方向, 思路, 完成时限) are history, kept in the
        # case's trail.
        self.usage_status = UsageStatus.NORMAL
        self.idle_since = None
        self.idle_reason = ""
        self.direction = ""
        self.direction_note = ""
        self.deadline = None

    @transition(field=status, source=AssetStatus.REVITALIZED, target=AssetStatus.IN_USE)
    def end_revitalization(self) -> None:
        """The lease ended and the asset is back with its unit."""

    @transition(field=status, source=AssetStatus.IN_CASE, target=AssetStatus.DISPOSED)
    def mark_disposed(self) -> None:
        """拍卖 or 报废 closed: kept on file, off the active ledger."""


class AttachmentKind(models.TextChoices):
    STOP_STATEMENT = "stop_statement", "停用说明"
    MEETING_MINUTES = "meeting_minutes", "会议纪要"
    PHOTO = "photo", "照片"
    CERTIFICATE = "certificate", "权属证书"
    VERIFICATION_RECORD = "verification_record", "核查记录"
    APPRAISAL_REPORT = "appraisal_report", "评估报告"
    TECHNICAL_APPRAISAL = "technical_appraisal", "技术鉴定意见"
    CONTRACT = "contract", "合同"
    HANDOVER_LIST = "handover_list", "交接清单"
    REMITTANCE_RECEIPT = "remittance_receipt", "缴款凭证"
    APPROVAL_DOCUMENT = "approval_document", "批复文件"
    ACCEPTANCE_RECORD = "acceptance_record", "验收记录"
    OTHER = "other", "其他材料"


def attachment_path(instance: "AssetAttachment", filename: str) -> str:
    # The stored name is random; the user's file name is kept only for display.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class AssetAttachment(models.Model):
    asset = models.ForeignKey(Asset, verbose_name="资产", on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField("材料类型", max_length=20, choices=AttachmentKind.choices)
    file = models.FileField("文件", upload_to=attachment_path, max_length=200)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    description = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(User, verbose_name="上传人", null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ImportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    VALIDATING = "validating", "校验中"
    VALID = "valid", "校验通过，待确认"
    INVALID = "invalid", "存在错误"
    COMMITTING = "committing", "导入中"
    COMMITTED = "committed", "已导入"
    FAILED = "failed", "失败"


class ImportMode(models.TextChoices):
    ADD = "add", "新增"
    # Rows matched by 资产编号 within the importer's own ledger; only the fields that differ are written.
    UPDATE = "update", "更新"


class ImportBatch(BackgroundJob):
    """One uploaded ledger workbook: checked row by row, previewed, then committed all-or-nothing (a background job:
    core.jobs)."""

    PROGRESS = ("total_rows", "processed_rows")
    DONE_STATUSES = (ImportStatus.COMMITTED,)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, verbose_name="导入单位", null=True, on_delete=models.PROTECT, related_name="import_batches"
    )
    created_by = models.ForeignKey(User, verbose_name="导入人", on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField("文件名", max_length=255)
    file = models.FileField("文件", upload_to="imports/%Y/%m/", max_length=200)
    # The rows as the validation read them (assets.imports._RowStore): the commit checks them again without the file.
    checked_rows = models.FileField("校验结果", upload_to="imports/%Y/%m/", max_length=200, blank=True)
    mode = models.CharField("导入方式", max_length=8, choices=ImportMode.choices, default=ImportMode.ADD)
    status = models.CharField("状态", max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    processed_rows = models.PositiveIntegerField("已处理行数", default=0)
    error_rows = models.PositiveIntegerField("错误行数", default=0)
    unchanged_rows = models.PositiveIntegerField("无变化行数", default=0)
    errors = models.JSONField("错误明细", default=list, blank=True)
    preview = models.JSONField("预览", default=list, blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    committed_at = models.DateTimeField("导入时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def changed_rows(self) -> int:
        """An update's rows that differ from the register (the others have errors or are 无变化)."""
        if self.mode != ImportMode.UPDATE:
            return 0
        return max(self.total_rows - self.error_rows - self.unchanged_rows, 0)
