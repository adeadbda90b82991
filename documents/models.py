"""The step documents: one signed PDF per case, step and version, never overwritten; and the gap-free numbers."""

import uuid

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from assets.models import Organization

from .kinds import KIND_TITLES, kind_choices


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "生成中"
    ISSUED = "issued", "已签发"
    FAILED = "failed", "生成失败"


def document_path(instance: "Document", filename: str) -> str:
    # The name carries the document's uuid and version; a retried job writes a new file and only the committed
    # row points at one, so an interrupted job never leaves a row pointing at a half-written file.
    return f"documents/{instance.uuid.hex[:2]}/{instance.uuid.hex}-v{instance.version}-{uuid.uuid4().hex[:8]}.pdf"


class Document(models.Model):
    """A step's signed PDF. The row keeps the frozen context it was rendered from, so it prints exactly what was
    decided; a correction is a new version that points at the one it supersedes."""

    uuid = models.UUIDField("核验码", default=uuid.uuid4, unique=True, editable=False)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    step = models.CharField("环节", max_length=24)
    kind = models.CharField("文书类型", max_length=32, choices=kind_choices)
    version = models.PositiveSmallIntegerField("版本", default=1)
    supersedes = models.ForeignKey(
        "self", verbose_name="替代", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    issuer = models.ForeignKey(Organization, verbose_name="签发单位", on_delete=models.PROTECT, related_name="+")
    signers = models.JSONField("签署单位", default=list)  # [{"id": …, "name": …}] in signing order
    context = models.JSONField("文书内容", default=dict)
    content_sha256 = models.CharField("内容摘要（SHA-256）", max_length=64)
    number = models.CharField("文号", max_length=40, blank=True)
    status = models.CharField("状态", max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.PENDING)
    file = models.FileField("文件", upload_to=document_path, blank=True)
    sha256 = models.CharField("文件摘要（SHA-256）", max_length=64, blank=True)
    size = models.PositiveIntegerField("大小", default=0)
    attempts = models.PositiveSmallIntegerField("生成次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    issued_at = models.DateTimeField("签发时间", null=True, blank=True)

    class Meta:
        verbose_name = "文书"
        verbose_name_plural = "文书"
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id", "step", "version"], name="uniq_doc_version"),
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="uniq_doc_number"),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="doc_subject"),
            models.Index(fields=["status", "requested_at"], name="doc_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.number or '（生成中）'} {self.title}"

    def save(self, *args, **kwargs):
        if self.pk is not None and Document.objects.filter(pk=self.pk, status=DocumentStatus.ISSUED).exists():
            raise PermissionError("已签发的文书不能修改；更正请签发新版本。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("文书不能删除；更正请签发新版本。")

    @property
    def title(self) -> str:
        return KIND_TITLES.get(self.kind, self.kind)


class DocumentSequence(models.Model):
    """The last number an organization used in a year: numbers are taken under this row's lock, inside the
    transaction that stores the signed file, so a failed issue gives its number back (no gaps, no duplicates)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "文号序列"
        verbose_name_plural = "文号序列"
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="uniq_doc_sequence")]

    def __str__(self) -> str:
        return f"{self.organization} {self.year}：{self.last}"
