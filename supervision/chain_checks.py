"""The trail page's check of the audit hash chain, as a background job: asked for by a county supervisor, run once by
a Celery job (the walk of a long trail outlasts a page request), its result on its ChainCheck row."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from assets.models import User
from assets.selectors import supervision_scope
from audit.chain import audit_chain_verify
from audit.models import AuditChainHead
from core.jobs import enqueue_on_commit

from .models import ChainCheck, JobStatus

CHAIN_CHECK_REFUSED = "只有全县范围的监督人员可以校验审计链。"


def may_check_chain(user: User) -> bool:
    # The chain is the county's whole trail: a department or unit reads only part of it.
    scope = supervision_scope(user)
    return scope is not None and scope.level == "county"


def chain_check_request(*, user: User) -> ChainCheck:
    """Records the request and queues its job once the request commits; an unfinished check of the same user is
    returned instead of a second one (a double click starts one walk)."""
    if not may_check_chain(user):
        raise PermissionDenied(CHAIN_CHECK_REFUSED)
    running = ChainCheck.objects.filter(requested_by=user, status__in=[JobStatus.PENDING, JobStatus.RUNNING]).first()
    if running is not None:
        return running
    head = AuditChainHead.objects.filter(pk=1).first()
    check = ChainCheck.objects.create(requested_by=user, total=head.seq if head else 0)
    enqueue_on_commit("supervision.tasks.chain_check_run_task", str(check.pk))
    return check


def chain_check_run(*, check_id: str) -> ChainCheck | None:
    """Runs one check once: the job claims the pending row (a second delivery finds it taken and does nothing). A
    broken chain is a finished check with its break; an error is a failed one, raised again for the worker's log."""
    claimed = ChainCheck.objects.filter(pk=check_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, heartbeat_at=timezone.now()
    )
    if not claimed:
        return None
    check = ChainCheck.objects.get(pk=check_id)
    try:
        report = audit_chain_verify()
    except Exception:
        check.status, check.message, check.finished_at = JobStatus.FAILED, "校验未能完成，请稍后重试。", timezone.now()
        check.save(update_fields=["status", "message", "finished_at"])
        raise
    check.status, check.done, check.broken = JobStatus.DONE, report.verified, report.broken
    check.total = max(check.total, report.verified)
    check.finished_at = check.heartbeat_at = timezone.now()
    check.save(update_fields=["status", "done", "broken", "total", "finished_at", "heartbeat_at"])
    return check


def chain_check_result(check: ChainCheck) -> str:
    """The result in one Chinese sentence: 链完整 or where the chain breaks; "" while the check runs."""
    if check.status == JobStatus.FAILED:
        return check.message or "校验未能完成。"
    if check.status != JobStatus.DONE:
        return ""
    if not check.broken:
        return f"链完整：已校验全部 {check.done} 条记录，未发现改动、删除或插入。"
    return f"链不完整：{check.broken} 在此之前的 {check.done} 条记录完好。"
