"""Proof of the trail: walks the hash chain of AuditEvent and reports the first broken link."""

import multiprocessing
import os
from dataclasses import dataclass

from django.db import connection, connections

from .models import CHAINED_FIELDS, AuditChainHead, AuditEvent, audit_content, audit_hash

# The columns read per event: its id and hash, and what the hash covers (relations by their id column).
RELATIONS = {"actor", "acting_for", "organization", "case", "asset"}
FIELDS = ["pk", "hash", *(f"{name}_id" if name in RELATIONS else name for name in CHAINED_FIELDS)]


@dataclass(frozen=True)
class ChainReport:
    verified: int
    broken: str = ""  # the first broken link, in Chinese, or "" when the chain holds

    @property
    def ok(self) -> bool:
        return not self.broken


@dataclass(frozen=True)
class _Stretch:
    """One range of sequence numbers, checked on its own: its links inside, and what joins it to its neighbours."""

    first_prev_hash: str  # what its first event says came before it
    last_hash: str  # the hash of its last event, recomputed
    verified: int
    broken: str = ""
    broken_seq: int = 0


def _check_stretch(lo: int, hi: int | None, chunk_size: int) -> _Stretch:
    rows = AuditEvent.objects.filter(seq__gte=lo).order_by("seq")
    if hi is not None:
        rows = rows.filter(seq__lte=hi)
    expected_seq, previous, first_prev, verified = lo, None, None, 0
    for pk, digest, seq, prev_hash, at, actor, acting_for, org, role, action, case, asset, from_state, to_state, \
            data, ip in rows.values_list(*FIELDS).iterator(chunk_size=chunk_size):  # fmt: skip
        if first_prev is None:
            first_prev, previous = prev_hash, prev_hash
        if seq != expected_seq:
            message = f"第 {expected_seq} 条记录缺失（序号 {expected_seq - 1} 之后是 {seq}）：记录被删除。"
            return _Stretch(first_prev, previous, verified, message, expected_seq)
        if prev_hash != previous:
            message = f"第 {seq} 条记录（id={pk}）的上一条摘要与第 {seq - 1} 条不符：链被改接。"
            return _Stretch(first_prev, previous, verified, message, seq)
        content = audit_content(
            seq=seq, prev_hash=previous, at=at, actor=actor, acting_for=acting_for, organization=org, role=role,
            action=action, case=case, asset=asset, from_state=from_state, to_state=to_state, data=data, ip=ip,
        )  # fmt: skip
        if audit_hash(content) != digest:
            message = f"第 {seq} 条记录（id={pk}，{action}）的内容与其摘要不符：记录被改动。"
            return _Stretch(first_prev, previous, verified, message, seq)
        previous, expected_seq, verified = digest, seq + 1, verified + 1
    return _Stretch(first_prev or "", previous or "", verified)


def _check_stretch_in_child(args) -> _Stretch:
    return _check_stretch(*args)


def _default_workers() -> int:
    # Several processes only where they can see the rows: PostgreSQL, outside a transaction (whose uncommitted rows
    # another connection would not see, as in the tests).
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def audit_chain_verify(
    *, chunk_size: int = 5000, workers: int | None = None, min_parallel: int = 100_000
) -> ChainReport:
    """Recomputes every event's hash in sequence order, checks each links to its predecessor with no number
    missing, and that the last one is the head the writers recorded (nothing cut off or appended outside).

    On PostgreSQL the sequence is cut into one stretch per worker process, each checked on its own; the stretches
    must then join (each one's first event names the previous stretch's last recomputed hash), so the result is
    the same as one walk: the first broken link, or the count."""
    unchained = AuditEvent.objects.filter(seq__isnull=True).values_list("pk", flat=True).first()
    if unchained is not None:
        return ChainReport(0, f"记录 id={unchained} 不在审计链上（未经系统写入的记录）。")
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, "")
    workers = _default_workers() if workers is None else workers
    if workers <= 1 or head_seq < max(min_parallel, workers):
        stretches = [_check_stretch(1, None, chunk_size)]
    else:
        size = -(-head_seq // workers)
        bounds = [(1 + i * size, (i + 1) * size if i < workers - 1 else None, chunk_size) for i in range(workers)]
        connections.close_all()  # each child opens its own connection
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            stretches = pool.map(_check_stretch_in_child, bounds)
    verified, previous = 0, ""
    for index, stretch in enumerate(stretches):
        if not stretch.verified and not stretch.broken and index < len(stretches) - 1:
            seq = verified + 1
            return ChainReport(verified, f"第 {seq} 条记录缺失（序号 {seq - 1} 之后的一段都不在了）：记录被删除。")
        if stretch.verified and stretch.first_prev_hash != previous:
            seq = verified + 1
            return ChainReport(verified, f"第 {seq} 条记录的上一条摘要与第 {seq - 1} 条不符：链被改接。")
        verified += stretch.verified
        if stretch.broken:
            return ChainReport(verified, stretch.broken)
        previous = stretch.last_hash if stretch.verified else previous
    if (head_seq, head_hash) != (verified, previous):
        return ChainReport(
            verified, f"链尾（第 {verified} 条）与系统记录的链头（第 {head_seq} 条）不符：记录被删除或在系统外追加。"
        )
    return ChainReport(verified)
