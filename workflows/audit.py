"""Proof of the trail: walks the hash chain of AuditEvent and reports the first broken link."""

from dataclasses import dataclass

from .models import AuditChainHead, AuditEvent, audit_content, audit_hash

FIELDS = [
    "pk", "seq", "prev_hash", "hash", "at", "actor_id", "acting_for_id", "organization_id", "role", "action",
    "case_id", "asset_id", "from_state", "to_state", "data", "ip",
]  # fmt: skip


@dataclass(frozen=True)
class ChainReport:
    verified: int
    broken: str = ""  # the first broken link, in Chinese, or "" when the chain holds

    @property
    def ok(self) -> bool:
        return not self.broken


def audit_chain_verify(*, chunk_size: int = 5000) -> ChainReport:
    """Recomputes every event's hash in sequence order, checks each links to its predecessor with no number
    missing, and that the last one is the head the writers recorded (nothing cut off or appended outside)."""
    unchained = AuditEvent.objects.filter(seq__isnull=True).values_list("pk", flat=True).first()
    if unchained is not None:
        return ChainReport(0, f"记录 id={unchained} 不在审计链上（未经系统写入的记录）。")
    expected_seq, previous, verified = 1, "", 0
    rows = AuditEvent.objects.order_by("seq").values_list(*FIELDS)
    for (
        pk,
        seq,
        prev_hash,
        digest,
        at,
        actor,
        acting_for,
        org,
        role,
        action,
        case,
        asset,
        from_state,
        to_state,
        data,
        ip,
    ) in rows.iterator(chunk_size=chunk_size):
        if seq != expected_seq:
            return ChainReport(
                verified, f"第 {expected_seq} 条记录缺失（序号 {expected_seq - 1} 之后是 {seq}）：记录被删除。"
            )
        if prev_hash != previous:
            return ChainReport(verified, f"第 {seq} 条记录（id={pk}）的上一条摘要与第 {seq - 1} 条不符：链被改接。")
        content = audit_content(
            seq=seq, prev_hash=previous, at=at, actor=actor, acting_for=acting_for, organization=org, role=role,
            action=action, case=case, asset=asset, from_state=from_state, to_state=to_state, data=data, ip=ip,
        )  # fmt: skip
        if audit_hash(content) != digest:
            return ChainReport(verified, f"第 {seq} 条记录（id={pk}，{action}）的内容与其摘要不符：记录被改动。")
        previous, expected_seq, verified = digest, seq + 1, verified + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, "")
    if (head_seq, head_hash) != (verified, previous):
        return ChainReport(
            verified, f"链尾（第 {verified} 条）与系统记录的链头（第 {head_seq} 条）不符：记录被删除或在系统外追加。"
        )
    return ChainReport(verified)
