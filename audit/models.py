"""The audit trail (DESIGN.md "Audit trail"): append-only, hash-chained events, written by `audit.services` alone.

It sits at the bottom of the house so that every app writes to it directly. Its relations name the models they point
at by label ("workflows.DisposalCase"), not by import: an event refers to a case without the trail depending on the
disposal path."""

import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("审计记录只能追加，不能修改。")

    def delete(self):
        raise PermissionError("审计记录只能追加，不能删除。")


class AuditEvent(models.Model):
    """Append-only and hash-chained: who did what to which case, acting for whom, from which state to which, with
    what input. Each event stores the previous event's hash and its own over a canonical JSON of its content, so
    `manage.py verify_audit` proves the trail was not changed, shortened or forged in the middle."""

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代理对象",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        "assets.Organization", verbose_name="单位", null=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField("角色", max_length=24, blank=True)
    action = models.CharField("操作", max_length=40)
    case = models.ForeignKey(
        "workflows.DisposalCase",
        verbose_name="处置事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    asset = models.ForeignKey(
        "assets.Asset", verbose_name="资产", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    from_state = models.CharField("原状态", max_length=20, blank=True)
    to_state = models.CharField("新状态", max_length=20, blank=True)
    data = models.JSONField("录入内容", default=dict, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    # The chain: a gap-free sequence, the previous event's hash, and this event's hash over its content.
    seq = models.BigIntegerField("序号", unique=True, null=True, editable=False)
    prev_hash = models.CharField("上一条摘要", max_length=64, blank=True, editable=False)
    hash = models.CharField("摘要", max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        db_table = "workflows_auditevent"  # moved from workflows state-only: its trigger and hashes stay
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计记录只能追加，不能修改。")
        with transaction.atomic():
            # Appending is serialized on the chain's head row (held until the caller's transaction commits), so two
            # writers can never link to the same predecessor and the chain never forks.
            head = AuditChainHead.objects.select_for_update().get_or_create(pk=1)[0]
            self.seq, self.prev_hash = head.seq + 1, head.hash
            self.hash = audit_hash(self.chained_content())
            super().save(*args, **kwargs)
            head.seq, head.hash = self.seq, self.hash
            head.save(update_fields=["seq", "hash"])

    def delete(self, *args, **kwargs):
        raise PermissionError("审计记录只能追加，不能删除。")

    def chained_content(self) -> dict:
        """What the hash covers: every field of the event, and the previous hash."""
        return audit_content(
            seq=self.seq, prev_hash=self.prev_hash, at=self.at, actor=self.actor_id, acting_for=self.acting_for_id,
            organization=self.organization_id, role=self.role, action=self.action, case=self.case_id,
            asset=self.asset_id, from_state=self.from_state, to_state=self.to_state, data=self.data, ip=self.ip,
        )  # fmt: skip


def audit_content(
    *, seq, prev_hash, at, actor, acting_for, organization, role, action, case, asset, from_state, to_state, data, ip
) -> dict:
    """An event's chained content from its field values (ids for relations). A plain function, so that checking a
    million events (`verify_audit`) or seeding them (the benchmarks) does not build a model instance per row."""
    return {
        "seq": seq, "prev_hash": prev_hash, "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor, "acting_for": acting_for, "organization": organization, "role": role, "action": action,
        "case": case, "asset": asset, "from_state": from_state, "to_state": to_state, "data": data, "ip": ip,
    }  # fmt: skip


# The fields an event's hash covers, in the order the archive prints them, and the one canonical JSON they are hashed
# in (one encoder, reused: json.dumps builds one per call).
CHAINED_FIELDS = (
    "seq", "prev_hash", "at", "actor", "acting_for", "organization", "role", "action", "case", "asset", "from_state",
    "to_state", "data", "ip",
)  # fmt: skip
CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def audit_hash(content: dict) -> str:
    return hashlib.sha256(CANONICAL_JSON.encode(content).encode()).hexdigest()


class AuditChainHead(models.Model):
    """The chain's last link (one row): the next event takes its sequence and hash from here, under a row lock."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "workflows_auditchainhead"
        verbose_name = "审计链"
        verbose_name_plural = "审计链"

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
