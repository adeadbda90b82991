"""One function per step of the path. Each, in one transaction: lock the case, check who may act (role,
organization, segregation of duties), check the policy's conditions, fire exactly one FSM transition, move the
asset's ledger status, write the AuditEvent, notify, and hand the step's document to `documents`."""

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from assets.models import (
    Asset,
    AssetAttachment,
    AssetStatus,
    AttachmentKind,
    Organization,
    OrganizationKind,
    Role,
    User,
)
from audit.models import AuditEvent
from audit.services import audit_record
from core.data import jsonable
from core.errors import DomainError, NotAllowed
from core.formatting import cn_date
from core.fsm import ConcurrentTransition
from core.policy import cited
from documents.contexts import report_form_context
from documents.services import document_request

from . import methods
from .calendar import step_due_on
from .models import (
    APPROVED_TERMS,
    OPEN_STATES,
    OPEN_TASK_STATUSES,
    PLAN_PREFILLS,
    RECORD_COLUMNS,
    Basis,
    CaseAttachment,
    CaseState,
    DisposalCase,
    DisposalMethod,
    ExecutionRecord,
    Notification,
    Policy,
    ReallocationApplication,
    RoutingRule,
    SharingUse,
    Step,
    Substitution,
    execution_blank,
    execution_field_label,
    execution_refusals,
    idle_long_enough,
    methods_for_asset,
    term_text,
    unmet_conditions,
)
from .permissions import WITHDRAW_REFUSED, may_withdraw
from .signals import case_executed, remittance_confirmed
from .trail import event_label

FINANCE_KINDS = (OrganizationKind.FINANCE, OrganizationKind.ASSET_CENTER)
REPORT_EVIDENCE = (AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
# The steps a document lists in its opinion rows (claims, reminders and the like are left to the trail).
STEP_EVENTS = (
    "report", "revise", "submit", "verify", "return", "reject", "propose", "dept_review", "finance_approve",
    "finance_reject", "return_plan", "low_bid", "terms_changed", "start_execution", "record_execution",
    "confirm_remittance", "close",
)  # fmt: skip
# 不相容岗位分离 (DESIGN.md "Segregation of duties"): who may not hold a step of a case, because they did an earlier
# one. The step services refuse them, and no task is ever assigned to them (task_assign_on_create).
EXCLUDED_AT = {
    Step.SIGN_OFF: ("reported_by",),
    Step.VERIFY: ("reported_by", "submitted_by"),
    Step.DEPT_REVIEW: ("reported_by", "submitted_by", "plan_proposed_by"),
    Step.FINANCE_APPROVE: ("reported_by", "submitted_by", "plan_proposed_by", "dept_approved_by"),
    Step.CONFIRM_REMITTANCE: ("execution_recorded_by",),
    Step.CLOSE: ("execution_recorded_by", "receipt_confirmed_by"),
}


@dataclass(frozen=True)
class Actor:
    """Who acts: the logged-in user, and the colleague they stand in for when a substitution is in force."""

    user: User
    acting_for: User | None = None
    ip: str | None = None

    @property
    def principal(self) -> User:
        return self.acting_for or self.user


def actor_for(*, user: User, acting_for: User | None = None, ip: str | None = None, today: date | None = None) -> Actor:
    """An Actor, refusing a claim to act for someone without a substitution covering today."""
    if acting_for is not None and acting_for.pk != user.pk:
        today = today or timezone.localdate()
        covered = Substitution.objects.filter(
            user=acting_for, substitute=user, starts_on__lte=today, ends_on__gte=today
        ).exists()
        if not covered:
            raise NotAllowed(f"您当前不是{acting_for}的代理人。")
        return Actor(user=user, acting_for=acting_for, ip=ip)
    return Actor(user=user, ip=ip)


# -- checks ------------------------------------------------------------------------------------------------------


def _require(actor: Actor, role: str, organization_id: int | None, what: str) -> None:
    # A substitute acts only in a role they hold themselves, there (不相容岗位分离): both people must qualify.
    for person in {actor.principal, actor.user}:
        if not person.has_role(role) or (organization_id is not None and person.organization_id != organization_id):
            raise NotAllowed(f"您无权{what}。")


def _require_finance(actor: Actor, case: DisposalCase, what: str) -> None:
    for person in {actor.principal, actor.user}:
        org = person.organization
        if not person.has_role(Role.FINANCE_APPROVER) or org is None or org.kind not in FINANCE_KINDS:
            raise NotAllowed(f"只有财政审批人可以{what}。")
    org = actor.principal.organization
    if org.pk == case.holding_unit_id:
        raise NotAllowed("审批单位不能是资产持有单位本身。")


def excluded_ids(case: DisposalCase, step: str) -> set[int]:
    """The people who may not hold `step` of this case (EXCLUDED_AT)."""
    ids = (getattr(case, f"{name}_id") for name in EXCLUDED_AT.get(step, ()))
    return {pk for pk in ids if pk is not None}


def _not_the_same_person(actor: Actor, case: DisposalCase, step: str, message: str) -> None:
    # 不相容岗位分离: whoever did an earlier step of the same case may not do this one, nor stand in for it.
    ids = excluded_ids(case, step)
    if actor.user.pk in ids or actor.principal.pk in ids:
        raise NotAllowed(message)


def _locked(case: DisposalCase) -> DisposalCase:
    # Locks the case and its viewflow process row, the same row the flow's lock takes (PostgreSQL); on any backend
    # ConcurrentTransitionMixin refuses a stale save.
    return (
        DisposalCase.objects.select_for_update(of=("self", "process_ptr"))
        .select_related("asset", "holding_unit")
        .get(pk=case.pk)
    )


def _end_process(case: DisposalCase, status: str) -> None:
    """Withdrawal ends the case outside the flow's own path: its open tasks are cancelled with it."""
    now = timezone.now()
    for task in Task.objects.filter(process_id=case.pk, status__in=OPEN_TASK_STATUSES):
        task.status, task.finished = STATUS.CANCELED, now
        task.save(update_fields=["status", "finished"])
    case.status, case.finished = status, now


def _fire(case: DisposalCase, transition_name: str) -> tuple[str, str]:
    bound = getattr(case, transition_name)
    before = case.state
    if not bound._django_fsm.has_transition(before):
        raise DomainError(f"该事项当前为“{case.get_state_display()}”，不能进行此操作（可能已被他人处理，请刷新）。")
    unmet = unmet_conditions(case, bound)
    if unmet:
        raise DomainError(unmet)
    bound()
    return before, case.state


def _save(case: DisposalCase) -> None:
    try:
        with transaction.atomic():
            case.save()
    except ConcurrentTransition as exc:
        raise DomainError("该事项已被他人处理，请刷新页面查看最新状态。") from exc


def _set_step(case: DisposalCase, step: str | None, *, start: date | None = None) -> None:
    case.current_step = step or ""
    case.step_due_on = step_due_on(step, start or timezone.localdate()) if step else None
    case.reminded_at = case.escalated_at = None


def _audit(actor: Actor, case: DisposalCase, action: str, role: str, states: tuple[str, str], data: dict):
    return audit_record(
        user=actor.user,
        acting_for=actor.acting_for,
        role=role,
        action=action,
        case=case,
        states=states,
        data=data,
        ip=actor.ip,
    )


def _notify(users, case: DisposalCase, message: str) -> None:
    Notification.objects.bulk_create([Notification(user=u, case=case, message=message) for u in set(users)])


def _users(role: str, organization_ids) -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=role, organization_id__in=organization_ids))


def _finance_users() -> list[User]:
    return list(
        User.objects.filter(is_active=True, groups__name=Role.FINANCE_APPROVER, organization__kind__in=FINANCE_KINDS)
    )


def _document(case: DisposalCase, kind: str, step: str, signers: list[Organization]) -> None:
    """Asks `documents` for the step's signed PDF with a frozen context. The request is kept in the step's own
    transaction (so a step never commits without it) and the PDF is made by a job queued when it commits."""
    document_request(kind=kind, subject=case, step=step, context=document_context(case, step), signers=signers)


def reapproval_figures(case: DisposalCase) -> list[tuple[str, str]]:
    """A case back for approval: the figures the approvers decide on, as its method gives them (拍卖: the bid, the
    appraisal and the floor), for their form and the 审批表 (issue 12 §1.2)."""
    if case.spec is None or case.spec.reapproval_figures is None or not case.reapproval_reasons:
        return []
    return case.spec.reapproval_figures(case)


def document_context(case: DisposalCase, step: str) -> dict:
    """What was decided at a step, as plain data: the document prints this and nothing else."""
    asset = case.asset
    record = case.execution_or_none()
    context = {
        "case_id": case.pk,
        "step": step,
        "state": case.get_state_display(),
        "asset": {
            "code": asset.code,
            "name": asset.name,
            "category": asset.category.name,
            "subtype": asset.subtype.name if asset.subtype_id else "",
            "original_value": str(asset.original_value),
            "net_value": str(asset.net_value),
            "area_m2": str(asset.area_m2) if asset.area_m2 is not None else "",
            "area_unit": asset.category.area_unit,
            "address": asset.address,
            "acquired_on": str(asset.acquired_on),
            "idle_since": str(asset.idle_since) if asset.idle_since else "",
        },
        "holding_unit": case.holding_unit.name,
        "verifying_department": case.verifying_department.name,
        "basis": case.get_basis_display(),
        "statement": case.statement,
        "verification_opinion": case.verification_opinion,
        "method": case.get_method_display() if case.method else "",
        "plan_summary": case.plan_summary,
        "justification": case.justification,
        "receiving_unit": case.receiving_unit.name if case.receiving_unit_id else "",
        # The plan's key terms as approved, printed as the approvers read them (issue 12 §1.3).
        "plan_terms": [{"label": label, "text": text} for label, text in plan_term_rows(case)],
        "reapproval_reasons": list(case.reapproval_reasons or []) if record is not None else [],
        "reapproval_figures": [{"label": label, "text": text} for label, text in reapproval_figures(case)],
        "routing": case.routing,
        "amounts": {
            "due": str(case.amount_due) if case.amount_due is not None else "",
            "received": str(case.amount_received) if case.amount_received is not None else "",
            "fees": str(case.fees),
            "remitted": str(case.amount_remitted) if case.amount_remitted is not None else "",
            "receipt_no": case.remittance_receipt_no,
        },
    }
    context["events"] = [
        {
            "action": event.action,
            "label": event_label(event.action, method=case.method),
            "at": timezone.localtime(event.at).isoformat(timespec="seconds"),
            "actor": event.actor.get_full_name() or event.actor.username if event.actor else "",
            "acting_for": (event.acting_for.get_full_name() or event.acting_for.username) if event.acting_for else "",
            "organization": event.organization.name if event.organization else "",
            "opinion": event.data.get("opinion") or event.data.get("reason") or event.data.get("note") or "",
        }
        for event in AuditEvent.objects.filter(case=case, action__in=STEP_EVENTS)
        .select_related("actor", "acting_for", "organization")
        .order_by("at", "pk")
    ]
    if step == "submit":  # the 申报表: the asset's 数量 and the evidence attached at 申报
        attached = [link.attachment for link in case.evidence.filter(step=Step.REPORT).select_related("attachment")]
        context.update(report_form_context(asset, attached))
    if record is not None:
        columns = {
            f.name: getattr(record, f.name) for f in ExecutionRecord._meta.concrete_fields if f.name in RECORD_COLUMNS
        }
        context["execution"] = jsonable({**columns, **record.values()})
        # The method's fields as its document prints them, in its declaration's order and words; and the later
        # methods' own fields, which the 销号确认单 prints after the first methods' sentences.
        context["execution_rows"] = [{"label": label, "text": text} for label, text in record.rows()]
        context["execution_detail_rows"] = [{"label": label, "text": text} for label, text in record.detail_rows()]
    return context


def _link_evidence(case: DisposalCase, attachments: list[AssetAttachment], step: str) -> None:
    for attachment in attachments:
        if attachment.asset_id != case.asset_id:
            raise DomainError("所选材料不属于该资产。")
        CaseAttachment.objects.get_or_create(case=case, attachment=attachment, defaults={"step": step})


# -- 申报 and 签发 --------------------------------------------------------------------------------------------------


def _check_report_fields(basis: str, statement: str) -> None:
    # The report's own fields, at 申报 and at 补正申报 alike.
    if basis not in Basis.values:
        raise ValidationError({"basis": "请选择认定类型。"})
    if not statement.strip():
        raise ValidationError({"statement": "请填写申报说明。"})


# The report form's evidence fields, per kind (workflows.forms.ReportForm).
REPORT_EVIDENCE_FIELDS = (
    ("stop_statement", AttachmentKind.STOP_STATEMENT, "停用说明"),
    ("meeting_minutes", AttachmentKind.MEETING_MINUTES, "会议纪要"),
)


def _check_idle_evidence(asset: Asset, basis: str) -> None:
    # 闲置 rests on a 停用说明 and a 会议纪要 on the asset's file (seed 000, 一(三)1): asked at 申报 and 补正申报, so
    # the clerk fixes it before the head's sign-off (which checks it again, idle_evidence_attached).
    if basis != Basis.IDLE:
        return
    kinds = set(asset.attachments.filter(kind__in=REPORT_EVIDENCE).values_list("kind", flat=True))
    errors = {
        field: f"认定闲置须附{label}（依据{cited('一(三)1')}）：资产档案中尚无{label}，请上传。"
        for field, kind, label in REPORT_EVIDENCE_FIELDS
        if kind not in kinds
    }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_report(*, actor: Actor, asset: Asset, basis: str, statement: str) -> DisposalCase:
    """The unit clerk opens a case for one of the unit's assets; the head signs it off next."""
    asset = Asset.objects.select_for_update(of=("self",)).select_related("category", "subtype").get(pk=asset.pk)
    _require(actor, Role.UNIT_CLERK, asset.holding_unit_id, "申报该资产")
    _check_report_fields(basis, statement)
    if asset.status not in (AssetStatus.IN_USE, AssetStatus.REVITALIZED):
        raise DomainError(f"资产当前为“{asset.get_status_display()}”，不能申报。")
    department = asset.lead_department
    if department.pk == asset.holding_unit_id:
        # A verifying organization can never be the holding unit itself (DESIGN.md, segregation of duties).
        raise DomainError("本单位是该类资产的牵头核查部门，不能自行认定；请联系县财政局指定核查部门。")
    from .flows import DisposalFlow

    fields = {
        "asset": asset,
        "holding_unit_id": asset.holding_unit_id,
        "verifying_department": department,
        "basis": basis,
        "statement": statement.strip(),
        "reported_by": actor.principal,
    }
    probe = DisposalCase(**fields)
    # The idle period is checked now too: an "idle" report under the threshold is refused at once (DESIGN.md).
    if not idle_long_enough(probe):
        raise DomainError(idle_long_enough.message(probe))
    _check_idle_evidence(asset, basis)
    asset.open_case()
    asset.save()
    _set_step(probe, Step.SIGN_OFF)
    try:
        with transaction.atomic():
            # The flow's start saves the case (it is the viewflow process) and opens the head's sign-off task.
            case = DisposalFlow.start.run(**fields, current_step=probe.current_step, step_due_on=probe.step_due_on)
    except IntegrityError as exc:
        raise DomainError("该资产已有办理中的处置事项。") from exc
    # The evidence the report rests on (the latest 停用说明 and 会议纪要 on the asset's file) is linked to the case.
    latest = {a.kind: a for a in asset.attachments.filter(kind__in=REPORT_EVIDENCE).order_by("uploaded_at", "pk")}
    _link_evidence(case, list(latest.values()), Step.REPORT)
    _audit(actor, case, "report", Role.UNIT_CLERK, ("", case.state), {"basis": basis, "statement": statement})
    for task in Task.objects.filter(process_id=case.pk, flow_task_type="HUMAN", status=STATUS.NEW):
        task_assign_on_create(task=task, after=None)
    _notify(_users(Role.UNIT_HEAD, [case.holding_unit_id]), case, f"待签发：{asset.code} {asset.name}")
    return case


@transaction.atomic
def case_submit(*, actor: Actor, case: DisposalCase, opinion: str = "") -> DisposalCase:
    """The unit head signs the report off (or re-submits a returned one) to the lead department."""
    case = _locked(case)
    _require(actor, Role.UNIT_HEAD, case.holding_unit_id, "签发本单位的申报")
    _not_the_same_person(actor, case, Step.SIGN_OFF, "申报人不能签发自己的申报。")
    states = _fire(case, "resubmit" if case.returned_reason else "submit")
    case.submitted_by, case.submitted_at = actor.principal, timezone.now()
    _set_step(case, Step.VERIFY)
    _save(case)
    _audit(actor, case, "submit", Role.UNIT_HEAD, states, {"opinion": opinion.strip()})
    _notify(
        _users(Role.DEPT_REVIEWER, [case.verifying_department_id]),
        case,
        f"待核查认定：{case.asset.code} {case.asset.name}",
    )
    _document(case, "report_form", "submit", [case.holding_unit])
    return case


@transaction.atomic
def case_head_return(*, actor: Actor, case: DisposalCase, reason: str) -> DisposalCase:
    """退回补正 by the unit head: instead of signing the report off, the head sends it back to the clerk with a reason;
    the clerk corrects it (case_revise) and the head signs it off again."""
    case = _locked(case)
    _require(actor, Role.UNIT_HEAD, case.holding_unit_id, "退回本单位的申报")
    _not_the_same_person(actor, case, Step.SIGN_OFF, "申报人不能签发或退回自己的申报。")
    if not reason.strip():
        raise ValidationError({"opinion": "退回补正须写明原因。"})
    return _return_report(actor, case, reason, Role.UNIT_HEAD, "return_to_clerk", "申报被单位负责人退回")


def _return_report(actor: Actor, case: DisposalCase, reason: str, role: str, transition: str, notice: str):
    """A report goes back to the clerk who made it, for 补正申报, with the reason (from the head or the department)."""
    states = _fire(case, transition)
    case.returned_reason = reason.strip()
    _set_step(case, Step.REPORT)
    _save(case)
    _audit(actor, case, "return", role, states, {"reason": reason.strip()})
    _notify([case.reported_by], case, f"{notice}，请补正：{case.asset.code}，原因：{reason.strip()[:80]}")
    return case


def _require_reviewer(actor: Actor, case: DisposalCase, what: str) -> None:
    _require(actor, Role.DEPT_REVIEWER, case.verifying_department_id, what)
    _not_the_same_person(actor, case, Step.VERIFY, "申报人、签发人不能核查认定自己的申报。")


# -- 核查认定 -----------------------------------------------------------------------------------------------------


@transaction.atomic
def case_verify(*, actor: Actor, case: DisposalCase, opinion: str, records: list[AssetAttachment] = ()) -> DisposalCase:
    """认定: the lead department confirms, with its 核查记录; the asset goes on the 调剂 board for the window."""
    case = _locked(case)
    _require_reviewer(actor, case, "核查认定该事项")
    if not opinion.strip():
        raise ValidationError({"opinion": "请填写核查意见。"})
    _link_evidence(case, list(records), Step.VERIFY)
    states = _fire(case, "verify")
    today = timezone.localdate()
    case.verified_by, case.verified_at, case.verification_opinion = actor.principal, timezone.now(), opinion.strip()
    # 调剂优先: listed on the internal board for the window before any other method (seed 000, 三(三)).
    case.listed_until = today + timedelta(days=Policy.current().listing_window_days)
    _set_step(case, Step.PLAN, start=case.listed_until)
    _save(case)
    _audit(actor, case, "verify", Role.DEPT_REVIEWER, states, {"opinion": opinion, "records": [a.pk for a in records]})
    window = f"调剂公示期至{cn_date(case.listed_until)}，期满后请拟定处置方案（调剂给申请单位的可提前）"
    said = f"已认定，{window}：{case.asset.code}"
    _notify(_users(Role.UNIT_CLERK, [case.holding_unit_id]), case, said)
    _document(case, "verification_opinion", "verify", [case.verifying_department])
    return case


@transaction.atomic
def case_return(*, actor: Actor, case: DisposalCase, reason: str) -> DisposalCase:
    """退回补正: the department sends the report back with a reason, to the unit's clerk who corrects it
    (case_revise); the head then signs it off again."""
    case = _locked(case)
    _require_reviewer(actor, case, "退回该事项")
    if not reason.strip():
        raise ValidationError({"reason": "请填写退回原因。"})
    return _return_report(actor, case, reason, Role.DEPT_REVIEWER, "return_to_unit", "申报被退回")


@transaction.atomic
def case_revise(
    *, actor: Actor, case: DisposalCase, basis: str, statement: str, evidence: list[AssetAttachment] = ()
) -> DisposalCase:
    """补正申报: the unit clerk corrects a returned report (its basis, statement and evidence) for the head to sign
    off again. What the head's sign-off would refuse is refused here, while the clerk can still fix it."""
    case = _locked(case)
    _require(actor, Role.UNIT_CLERK, case.holding_unit_id, "补正该申报")
    _check_report_fields(basis, statement)
    before = {"basis": case.basis, "statement": case.statement}
    case.basis, case.statement = basis, statement.strip()
    _link_evidence(case, list(evidence), Step.REPORT)
    _check_idle_evidence(case.asset, basis)
    unmet = unmet_conditions(case, case.resubmit)
    if unmet:
        raise DomainError(unmet)
    states = _fire(case, "revise")
    _set_step(case, Step.SIGN_OFF)
    _save(case)
    data = {"basis": basis, "statement": statement, "before": before, "evidence": [a.pk for a in evidence]}
    _audit(actor, case, "revise", Role.UNIT_CLERK, states, data)
    _notify(_users(Role.UNIT_HEAD, [case.holding_unit_id]), case, f"申报已补正，待签发：{case.asset.code}")
    return case


@transaction.atomic
def case_reject(*, actor: Actor, case: DisposalCase, reason: str) -> DisposalCase:
    """不予认定: the case ends and the asset is back in normal use."""
    case = _locked(case)
    _require_reviewer(actor, case, "不予认定该事项")
    if not reason.strip():
        raise ValidationError({"reason": "请填写不予认定的理由。"})
    states = _fire(case, "reject")
    case.verification_opinion = reason.strip()
    case.verified_by, case.verified_at = actor.principal, timezone.now()
    _set_step(case, None)
    _save(case)
    _release_asset(case)
    _audit(actor, case, "reject", Role.DEPT_REVIEWER, states, {"reason": reason})
    _notify([case.reported_by], case, f"不予认定：{case.asset.code}")
    return case


@transaction.atomic
def case_withdraw(*, actor: Actor, case: DisposalCase, reason: str) -> DisposalCase:
    """The holding unit withdraws its case, at the latest before the plan is submitted."""
    case = _locked(case)
    principal = actor.principal
    if not may_withdraw(principal, case):
        raise NotAllowed(WITHDRAW_REFUSED)
    states = _fire(case, "withdraw")
    if not reason.strip():
        raise ValidationError({"reason": "请填写撤回原因。"})
    _set_step(case, None)
    _end_process(case, PROCESS.CANCELED)
    _save(case)
    _release_asset(case)
    _audit(actor, case, "withdraw", Role.UNIT_CLERK, states, {"reason": reason})
    return case


def _release_asset(case: DisposalCase) -> None:
    asset = Asset.objects.select_for_update().get(pk=case.asset_id)
    asset.return_to_use()
    asset.save()


# -- 调剂共享平台 ---------------------------------------------------------------------------------------------------


BOARD_CLOSED = "该资产已不在调剂公示期内。"


@transaction.atomic
def listing_apply(*, actor: Actor, case: DisposalCase, reason: str) -> ReallocationApplication:
    """Another unit's clerk applies for a listed asset, with a reason."""
    case = _locked(case)
    principal = actor.principal
    if not principal.has_role(Role.UNIT_CLERK) or principal.organization_id is None:
        raise NotAllowed("只有单位经办人可以申请调剂。")
    if principal.organization_id == case.holding_unit_id:
        raise DomainError("不能申请调剂本单位的资产。")
    if not case.on_board():
        raise DomainError(BOARD_CLOSED)
    if not reason.strip():
        raise ValidationError({"reason": "请填写申请理由。"})
    application, created = ReallocationApplication.objects.get_or_create(
        case=case, unit_id=principal.organization_id, defaults={"applicant": principal, "reason": reason.strip()}
    )
    if not created:
        if application.withdrawn_at is None:
            raise DomainError("本单位已申请过该资产。")
        # A unit that withdrew may apply again while the window runs: the one row per unit takes the new reason.
        application.applicant, application.reason, application.withdrawn_at = principal, reason.strip(), None
        application.applied_at = timezone.now()
        application.save(update_fields=["applicant", "reason", "withdrawn_at", "applied_at"])
    audit_record(
        user=actor.user,
        acting_for=actor.acting_for,
        role=Role.UNIT_CLERK,
        action="listing_apply",
        case=case,
        data={"reason": reason},
        ip=actor.ip,
    )
    _notify(
        _users(Role.UNIT_CLERK, [case.holding_unit_id]), case, f"{principal.organization}申请调剂：{case.asset.code}"
    )
    return application


@transaction.atomic
def listing_withdraw(*, actor: Actor, application: ReallocationApplication) -> ReallocationApplication:
    """The applying unit's clerk withdraws its application, while the window is open and before it was chosen."""
    application = (
        ReallocationApplication.objects.select_for_update().select_related("case__asset").get(pk=application.pk)
    )
    case = _locked(application.case)
    principal = actor.principal
    if not principal.has_role(Role.UNIT_CLERK) or principal.organization_id != application.unit_id:
        raise NotAllowed("只有申请单位的经办人可以撤回该调剂申请。")
    if application.withdrawn_at is not None:
        raise DomainError("该调剂申请已撤回。")
    if case.receiving_unit_id == application.unit_id:
        raise DomainError("持有单位已选定本单位为调入单位，不能撤回申请；如需放弃请联系持有单位。")
    if not case.on_board():
        raise DomainError(BOARD_CLOSED)
    application.withdrawn_at = timezone.now()
    application.save(update_fields=["withdrawn_at"])
    audit_record(
        user=actor.user,
        acting_for=actor.acting_for,
        role=Role.UNIT_CLERK,
        action="listing_withdraw",
        case=case,
        data={"application": application.pk, "unit": application.unit_id},
        ip=actor.ip,
    )
    _notify(
        _users(Role.UNIT_CLERK, [case.holding_unit_id]),
        case,
        f"{principal.organization}撤回调剂申请：{case.asset.code} {case.asset.name}",
    )
    return application


# -- 处置方案 and 审批 --------------------------------------------------------------------------------------------


def route_plan(case: DisposalCase, *, now=None) -> dict:
    """Which rules route this plan: method × category × unit kind × 原值, per item and per batch.

    The batch is the holding unit's plans of the same method submitted within the policy's window: splitting a
    batch to stay under a limit does not work (DESIGN.md)."""
    now = now or timezone.now()
    policy = Policy.current()
    item_value = case.asset.original_value
    since = now - timedelta(days=policy.batch_window_days)
    earlier = DisposalCase.objects.filter(
        holding_unit_id=case.holding_unit_id, method=case.method, plan_submitted_at__gte=since
    ).exclude(pk=case.pk).exclude(state=CaseState.WITHDRAWN).aggregate(total=Sum("asset__original_value"))[
        "total"
    ] or Decimal(0)
    batch_value = earlier + item_value
    rules = RoutingRule.objects.filter(is_active=True).filter(
        Q(method="") | Q(method=case.method),
        Q(category__isnull=True) | Q(category_id=case.asset.category_id),
        Q(unit_kind="") | Q(unit_kind=case.holding_unit.kind),
    )
    matched = [r for r in rules if r.min_value is None or item_value >= r.min_value or batch_value >= r.min_value]
    return {
        "item_value": str(item_value),
        "batch_value": str(batch_value),
        "batch_window_days": policy.batch_window_days,
        "rules": [r.snapshot() for r in matched],
        "needs_finance": any(r.requires_finance for r in matched),
        "needs_collective_decision": any(r.requires_collective_decision for r in matched),
    }


def collective_decision_needed(case: DisposalCase, method: str) -> bool:
    """Whether a plan of `method` for the case would need the 集体决策 minutes by the routing rules (the plan form says
    so before it is submitted; case_propose decides on the plan itself)."""
    probe = copy.copy(case)
    probe.method = method
    return route_plan(probe)["needs_collective_decision"]


@transaction.atomic
def case_propose(
    *,
    actor: Actor,
    case: DisposalCase,
    method: str,
    summary: str,
    justification: str = "",
    receiving_unit: Organization | None = None,
    minutes: list[AssetAttachment] = (),
    terms: dict | None = None,
) -> DisposalCase:
    """The unit clerk submits the disposal plan with the key terms of its method (APPROVED_TERMS: for 拍卖 the
    appraisal and the reserve, for 出租 the 底价 and the term; for an early 报废 its justification); the policy's
    rules on those terms are checked now, while the clerk can fix them. The routing rule that applies is kept on the
    case."""
    case = _locked(case)
    _require(actor, Role.UNIT_CLERK, case.holding_unit_id, "提交该资产的处置方案")
    errors = {}
    if method not in DisposalMethod.values:
        errors["method"] = "请选择盘活方式。"
    elif method not in {m.code for m in methods_for_asset(case.asset)}:
        # The county's choice of methods per category (MethodAvailability): no plan goes around it.
        errors["method"] = f"{case.asset.category}不适用{methods.get(method).label}，请选择本类资产适用的盘活方式。"
    if not summary.strip():
        errors["summary"] = "请填写处置方案。"
    terms = _plan_terms(method, terms or {})
    case.method = method
    _link_evidence(case, list(minutes), Step.PLAN)
    errors |= plan_term_errors(case, terms) if method in DisposalMethod.values else {}
    if errors:
        raise ValidationError(errors)
    case.method, case.plan_summary, case.justification = method, summary.strip(), justification.strip()
    case.receiving_unit = receiving_unit if case.spec.receiver else None
    for name in PLAN_TERM_FIELDS:
        if hasattr(case, f"plan_{name}"):
            setattr(case, f"plan_{name}", execution_blank("", name) if terms.get(name) is None else terms[name])
    case.plan_details = {}
    for name, value in terms.items():
        if not hasattr(case, f"plan_{name}"):
            case.set_plan_term(name, value)
    case.reapproval_reasons = []
    now = timezone.now()
    case.routing = route_plan(case, now=now)
    case.needs_finance = case.routing["needs_finance"]
    case.needs_collective_decision = case.routing["needs_collective_decision"]
    states = _fire(case, "propose")
    case.plan_submitted_at, case.plan_proposed_by = now, actor.principal
    case.dept_approved_by = case.finance_approved_by = None
    _set_step(case, Step.DEPT_REVIEW)
    _save(case)
    data = {
        "method": method, "summary": summary, "justification": justification, "receiving_unit": receiving_unit,
        **terms,
    }  # fmt: skip
    _audit(actor, case, "propose", Role.UNIT_CLERK, states, {**data, "routing": case.routing})
    _notify(_users(Role.DEPT_REVIEWER, [case.verifying_department_id]), case, f"待审核处置方案：{case.asset.code}")
    return case


# Every term a plan may carry, by ExecutionRecord field name (the case holds each as `plan_<name>`).
PLAN_TERM_FIELDS = (
    *dict.fromkeys(name for names in (*APPROVED_TERMS.values(), *PLAN_PREFILLS.values()) for name in names),
)


def _plan_terms(method: str, terms: dict) -> dict:
    """The terms that belong to the method (the others are dropped), text stripped."""
    names = methods.get(method).plan_terms if methods.get(method) else ()
    return {name: terms[name].strip() if isinstance(terms.get(name), str) else terms.get(name) for name in names}


def plan_term_errors(case: DisposalCase, terms: dict) -> dict[str, str]:
    """What the policy refuses in a plan's terms, by field, all at once: the rules of execution, asked where their facts
    are first known (issue 12 §1.4). Execution checks them again (DisposalCase.record_execution)."""
    policy, today, spec = Policy.current(), timezone.localdate(), case.spec
    required = [n for n in APPROVED_TERMS.get(case.method, ()) if terms.get(n) in (None, "")]
    errors = {name: f"{spec.label}方案须填写{execution_field_label(case.method, name)}。" for name in required}
    appraised_on = terms.get("appraisal_date") if spec.appraisal_valid_at else None
    if appraised_on and appraised_on > today:
        errors["appraisal_date"] = "评估基准日不能晚于今天。"
    elif appraised_on and (today - appraised_on).days > policy.appraisal_validity_days:
        expired = appraised_on + timedelta(days=policy.appraisal_validity_days)
        errors["appraisal_date"] = (
            f"评估报告已过有效期：评估基准日{cn_date(appraised_on)}起{policy.appraisal_validity_days}天内有效，"
            f"已于{cn_date(expired)}失效，请重新评估后再提交方案。"
        )
    if spec.procedure and terms.get(spec.procedure.field) in spec.procedure.other:
        if not (terms.get(methods.PROCEDURE_REASON) or "").strip():
            errors[methods.PROCEDURE_REASON] = methods.unjustified_procedure_message(spec)
    for check in spec.plan_checks:
        errors = check(case, terms) | errors
    return errors


def plan_hints(case: DisposalCase) -> list[str]:
    """提示 for the approvers: the plan's terms that stand near a limit of the policy, and what execution must keep."""
    policy, today, hints = Policy.current(), timezone.localdate(), []
    spec = case.spec
    if spec is None:
        return hints
    if spec.appraisal_valid_at and case.plan_term("appraisal_date"):
        expires = case.plan_term("appraisal_date") + timedelta(days=policy.appraisal_validity_days)
        left = (expires - today).days
        if left <= policy.appraisal_alert_days:
            hints.append(
                f"评估报告将于{cn_date(expires)}失效（尚余{max(left, 0)}天）：须在此前成交，逾期须重新评估并重新报批。"
            )
    if spec.procedure and case.plan_term(spec.procedure.field) in spec.procedure.other:
        hints.append(f"未采用公开方式：{case.plan_term(spec.procedure.field)}，理由见方案（{spec.citation}）。")
    for notes in spec.plan_notes:
        hints.extend(notes(case))
    return hints


def plan_term_rows(case: DisposalCase) -> list[tuple[str, str]]:
    """The plan's terms as (label, text), for the approvers' form and the 审批表."""
    names = case.spec.plan_terms if case.spec else ()
    return [
        (execution_field_label(case.method, n), term_text(case.plan_term(n)))
        for n in names
        if case.plan_term(n) not in (None, "")
    ]


@transaction.atomic
def case_review(*, actor: Actor, case: DisposalCase, approve: bool, opinion: str) -> DisposalCase:
    """The lead department reviews the plan: approve (to finance if the route asks) or return it to the unit."""
    case = _locked(case)
    _require(actor, Role.DEPT_REVIEWER, case.verifying_department_id, "审核该处置方案")
    _not_the_same_person(actor, case, Step.DEPT_REVIEW, "申报人不能审核自己的方案。")
    if case.state == CaseState.PLAN_SUBMITTED and case.dept_approved_by_id is not None:
        raise DomainError("主管部门已审核过该方案，待财政审批。")
    if not approve:
        return _return_plan(actor, case, opinion, Role.DEPT_REVIEWER)
    case.dept_approved_by = actor.principal
    if case.needs_finance:
        states = _fire(case, "review_partly")
        _set_step(case, Step.FINANCE_APPROVE)
        _save(case)
        _audit(actor, case, "dept_review", Role.DEPT_REVIEWER, states, {"approve": True, "opinion": opinion})
        _notify(_finance_users(), case, f"待财政审批：{case.asset.code} {case.asset.name}")
        return case
    return _approve(actor, case, opinion, Role.DEPT_REVIEWER, "dept_review")


@transaction.atomic
def case_finance_approve(*, actor: Actor, case: DisposalCase, approve: bool, opinion: str) -> DisposalCase:
    """县财政局 approves a plan the route sends to it, after the department, or returns it."""
    case = _locked(case)
    _require_finance(actor, case, "审批该处置方案")
    _not_the_same_person(actor, case, Step.FINANCE_APPROVE, "已参与该事项申报或审核的人员不能再审批。")
    if case.state != CaseState.PLAN_SUBMITTED or not case.needs_finance or case.dept_approved_by_id is None:
        raise DomainError("该方案当前不需要或尚不能由财政审批。")
    if not approve:
        return _return_plan(actor, case, opinion, Role.FINANCE_APPROVER)
    case.finance_approved_by = actor.principal
    return _approve(actor, case, opinion, Role.FINANCE_APPROVER, "finance_approve")


@transaction.atomic
def case_finance_reject(*, actor: Actor, case: DisposalCase, reason: str) -> DisposalCase:
    """不予批准: 县财政局 refuses the plan; the case ends in the refused state (as 不予认定) and the asset is back in
    normal use. The same people may not refuse as may not approve."""
    case = _locked(case)
    _require_finance(actor, case, "审批该处置方案")
    _not_the_same_person(actor, case, Step.FINANCE_APPROVE, "已参与该事项申报或审核的人员不能再审批。")
    if case.state != CaseState.PLAN_SUBMITTED or not case.needs_finance or case.dept_approved_by_id is None:
        raise DomainError("该方案当前不需要或尚不能由财政审批。")
    if not reason.strip():
        raise ValidationError({"opinion": "不予批准须写明理由。"})
    states = _fire(case, "finance_reject")
    _set_step(case, None)
    _save(case)
    _release_asset(case)
    _audit(actor, case, "finance_reject", Role.FINANCE_APPROVER, states, {"approve": False, "reason": reason})
    unit = _users(Role.UNIT_CLERK, [case.holding_unit_id])
    _notify([*unit, case.reported_by], case, f"处置方案不予批准：{case.asset.code}，理由：{reason.strip()[:80]}")
    return case


def _approve(actor: Actor, case: DisposalCase, opinion: str, role: str, action: str) -> DisposalCase:
    states = _fire(case, "approve")
    if case.reapproval_due():
        # A re-approval accepts the execution as recorded: its bid, and its terms become the plan's approved ones, so
        # recording it again does not loop back for approval.
        record = case.execution
        if case.method == DisposalMethod.AUCTION:
            case.approved_low_bid = record.winning_bid
        for name in APPROVED_TERMS.get(case.method, ()):
            case.set_plan_term(name, record.value(name))
    case.approved_at = timezone.now()
    _set_step(case, Step.EXECUTE)
    _save(case)
    _audit(actor, case, action, role, states, {"approve": True, "opinion": opinion})
    _notify(_users(Role.UNIT_CLERK, [case.holding_unit_id]), case, f"处置方案已批准，请组织执行：{case.asset.code}")
    signers = [case.verifying_department] + ([actor.principal.organization] if case.needs_finance else [])
    _document(case, "approval_form", "approve", signers)
    return case


def _return_plan(actor: Actor, case: DisposalCase, opinion: str, role: str) -> DisposalCase:
    if not opinion.strip():
        raise ValidationError({"opinion": "退回方案须写明原因。"})
    states = _fire(case, "return_plan")
    case.dept_approved_by = case.finance_approved_by = None
    case.returned_reason = opinion.strip()
    _set_step(case, Step.PLAN)
    _save(case)
    _audit(actor, case, "return_plan", role, states, {"approve": False, "opinion": opinion})
    _notify(
        [case.plan_proposed_by or case.reported_by], case, f"处置方案被退回：{case.asset.code}，原因：{opinion[:80]}"
    )
    return case


# -- 执行 ----------------------------------------------------------------------------------------------------------


def handed_over(case: DisposalCase) -> bool:
    """Whether the method hands the asset to another unit that confirms receipt (调剂, 划转): two execution steps."""
    return bool(case.spec and case.spec.receiver and case.spec.receiver.confirms)


@transaction.atomic
def case_start_execution(
    *,
    actor: Actor,
    case: DisposalCase,
    record: dict | None = None,
    note: str = "",
    evidence: list[AssetAttachment] = (),
) -> DisposalCase:
    """The unit starts carrying out the approved plan (for 调剂: records the handover to the receiving unit)."""
    case = _locked(case)
    _require(actor, Role.UNIT_CLERK, case.holding_unit_id, "执行该处置方案")
    if handed_over(case):
        _store_execution(case, record or {}, required=True)
    _link_evidence(case, list(evidence), Step.EXECUTE)
    states = _fire(case, "start_execution")
    step = Step.CONFIRM_RECEIPT if handed_over(case) else Step.EXECUTE
    _set_step(case, step)
    _save(case)
    data = {**(record or {}), "note": note.strip(), "evidence": [a.pk for a in evidence]}
    _audit(actor, case, "start_execution", Role.UNIT_CLERK, states, data)
    if handed_over(case):
        _notify(
            _users(Role.UNIT_CLERK, [case.receiving_unit_id]),
            case,
            f"请确认接收{case.spec.label}资产：{case.asset.code}",
        )
    return case


def _store_execution(case: DisposalCase, values: dict, *, required: bool) -> ExecutionRecord:
    spec = case.spec
    fields = spec.field_names
    unknown = set(values) - set(fields)
    if unknown:
        raise ValidationError(f"不适用于该盘活方式的字段：{'、'.join(sorted(unknown))}")
    record, _ = ExecutionRecord.objects.get_or_create(case=case)
    record.case = case
    for name in fields:
        if name in values:
            record.put(name, values[name])
    if required:
        missing = [
            execution_field_label(case.method, n)
            for n in fields
            if n not in spec.optional_fields and record.value(n) in (None, "")
        ]
        if missing:
            raise ValidationError(f"请填写：{'、'.join(missing)}。")
    record.full_clean(exclude=["case"])
    record.save()
    case.execution = record
    return record


@transaction.atomic
def case_record_execution(
    *,
    actor: Actor,
    case: DisposalCase,
    record: dict | None = None,
    proceeds: dict | None = None,
    evidence: list[AssetAttachment] = (),
    note: str = "",
) -> DisposalCase:
    """The execution record is complete. 调剂: the receiving unit confirms receipt. Others: the unit records the
    result and, where it earns money, what was received and remitted net of fees (收支两条线); an auction bid
    below the floor sends the plan back for approval instead."""
    case = _locked(case)
    if handed_over(case):
        _require(actor, Role.UNIT_CLERK, case.receiving_unit_id, "确认接收该资产")
    else:
        _require(actor, Role.UNIT_CLERK, case.holding_unit_id, "登记执行结果")
        if case.state != CaseState.EXECUTING:
            _fire(case, "record_execution")  # refuses with the state message
        _store_execution(case, record or {}, required=True)
    _link_evidence(case, list(evidence), Step.EXECUTE)
    reasons = case.reapproval_due()
    if reasons and (refused := execution_refusals(case)):
        # A rule no re-approval lifts (no sale below the reserve, even under the floor): fixed first, not sent to the
        # approvers. Without a re-approval, the record's transition refuses the same rules with the money's errors.
        raise DomainError(refused)
    if reasons:
        # A bid under the floor, or a term the plan was approved with changed: not silently, back for approval.
        states = _fire(case, "reapprove")
        case.dept_approved_by = case.finance_approved_by = None
        case.reapproval_reasons = reasons
        _set_step(case, Step.DEPT_REVIEW)
        _save(case)
        action = "low_bid" if case.bid_below_floor() else "terms_changed"
        _audit(actor, case, action, Role.UNIT_CLERK, states, {**(record or {}), "reasons": reasons})
        _notify(
            _users(Role.DEPT_REVIEWER, [case.verifying_department_id]),
            case,
            f"须重新审批：{case.asset.code}，{'；'.join(reasons)}"[:200],
        )
        return case
    case.amount_due = _amount_due(case)
    errors: dict = {}
    if case.earns_money and case.amount_due:
        try:
            _store_proceeds(case, proceeds or {})
        except ValidationError as exc:
            errors = exc.message_dict
    if errors:
        # Every problem of the submit in one round: the money's errors with the rules the record breaks.
        unmet = unmet_conditions(case, case.record_execution)
        raise ValidationError({**errors, **({NON_FIELD_ERRORS: unmet} if unmet else {})})
    states = _fire(case, "record_execution")
    if handed_over(case):
        case.receipt_confirmed_by = actor.principal
    else:
        case.execution_recorded_by = actor.principal
    case.executed_at = timezone.now()
    earning = case.earns_money and case.amount_due
    _set_step(case, Step.CONFIRM_REMITTANCE if earning else Step.CLOSE)
    _save(case)
    role = Role.UNIT_CLERK
    data = {**(record or {}), **(proceeds or {}), "note": note.strip(), "evidence": [a.pk for a in evidence]}
    _audit(actor, case, "record_execution", role, states, data)
    # A method that runs over time goes on as a contract from here (its schedule, payments, arrears): `contracts`.
    case_executed.send(sender=DisposalCase, case=case, user=actor.principal)
    _notify(_finance_users(), case, f"待{'确认收入上缴' if earning else '销号'}：{case.asset.code}")
    signers = [case.holding_unit] + ([case.receiving_unit] if case.spec.receiver else [])
    _document(case, case.spec.document, "execute", signers)
    return case


@transaction.atomic
def case_execute(
    *,
    actor: Actor,
    case: DisposalCase,
    record: dict,
    proceeds: dict | None = None,
    evidence: list[AssetAttachment] = (),
    note: str = "",
) -> DisposalCase:
    """执行处置 in one step, for the methods no second party confirms (出租, 拍卖, 报废): the unit starts the approved
    plan and records its result together, so the trail and the execution document read as before (开始执行, then
    登记执行结果). 调剂 takes two: the handover (case_start_execution), then the receiving unit's receipt."""
    case = _locked(case)
    if handed_over(case):
        receiver = case.spec.receiver.label
        raise DomainError(f"{case.spec.label}须先登记交接，再由{receiver}确认接收。")
    if case.state == CaseState.PLAN_APPROVED:
        case = case_start_execution(actor=actor, case=case, note=note)
        note = ""  # said at the start, as before
    return case_record_execution(actor=actor, case=case, record=record, proceeds=proceeds, evidence=evidence, note=note)


def proceeds_errors(proceeds: dict) -> dict[str, str]:
    """What is wrong with the money of an execution (收支两条线), by field; the execution form lists these too."""
    received, fees = proceeds.get("received"), proceeds.get("fees") or Decimal(0)
    remitted, receipt_no = proceeds.get("remitted"), (proceeds.get("receipt_no") or "").strip()
    errors = {}
    if received is None or remitted is None:
        errors["received"] = "请填写实收金额和上缴金额。"
    elif min(received, fees, remitted) < 0:
        errors["received"] = "金额不能为负数。"
    elif remitted != received - fees:
        errors["remitted"] = f"上缴金额应为实收减去费用：{received - fees:,.2f} 元。"
    if not receipt_no:
        errors["receipt_no"] = "请填写缴款凭证号。"
    return errors


def _store_proceeds(case: DisposalCase, proceeds: dict) -> None:
    errors = proceeds_errors(proceeds)
    if errors:
        raise ValidationError(errors)
    received, fees = proceeds.get("received"), proceeds.get("fees") or Decimal(0)
    remitted, receipt_no = proceeds.get("remitted"), (proceeds.get("receipt_no") or "").strip()
    case.amount_received, case.fees, case.amount_remitted, case.remittance_receipt_no = (
        received,
        fees,
        remitted,
        receipt_no,
    )


def _amount_due(case: DisposalCase) -> Decimal | None:
    """The record's figure that is the money due, as the method declares it (收支两条线)."""
    record = case.execution_or_none()
    if record is None or case.spec is None or not case.spec.due_field:
        return None
    return record.value(case.spec.due_field)


# -- 收入上缴 and 销号 --------------------------------------------------------------------------------------------


@transaction.atomic
def case_confirm_remittance(*, actor: Actor, case: DisposalCase, note: str = "") -> DisposalCase:
    """Finance confirms the proceeds reached the treasury; never the person who recorded them."""
    case = _locked(case)
    _require_finance(actor, case, "确认收入上缴")
    _not_the_same_person(actor, case, Step.CONFIRM_REMITTANCE, "登记收入的人员不能确认上缴。")
    if case.remittance_confirmed_by_id:
        raise DomainError("已确认上缴。")
    states = _fire(case, "confirm_remittance")
    case.remittance_confirmed_by, case.remittance_confirmed_at = actor.principal, timezone.now()
    _set_step(case, Step.CLOSE)
    _save(case)
    data = {"receipt_no": case.remittance_receipt_no, "note": note.strip()}
    _audit(actor, case, "confirm_remittance", Role.FINANCE_APPROVER, states, data)
    remittance_confirmed.send(sender=DisposalCase, case=case, user=actor.principal)
    return case


@transaction.atomic
def case_close(*, actor: Actor, case: DisposalCase, note: str = "") -> DisposalCase:
    """销号 by finance: the asset's ledger status follows the method (调剂 moves it to the receiving unit)."""
    case = _locked(case)
    _require_finance(actor, case, "销号")
    _not_the_same_person(actor, case, Step.CLOSE, "登记执行或收入的人员不能销号。")
    states = _fire(case, "close")
    case.closed_by, case.closed_at = actor.principal, timezone.now()
    _set_step(case, None)
    _save(case)
    asset = Asset.objects.select_for_update().get(pk=case.asset_id)
    outcome = case.spec.outcome
    if outcome == methods.Outcome.TRANSFERRED:
        asset.reallocate_to(case.receiving_unit)
    elif outcome == methods.Outcome.REVITALIZED:
        asset.mark_revitalized()
    elif outcome == methods.Outcome.NEW_USE:
        asset.return_to_new_use()
    else:
        asset.mark_disposed()
    asset.save()
    # What the method's 销号 adds beside the ledger outcome (置换: the received asset's new ledger row).
    added = case.spec.on_close(case=case, user=actor.principal) if case.spec.on_close else {}
    data = {"asset_status": asset.status, "note": note.strip(), **added}
    _audit(actor, case, "close", Role.FINANCE_APPROVER, states, data)
    _notify([case.reported_by, *([case.submitted_by] if case.submitted_by else [])], case, f"已销号：{case.asset.code}")
    _document(case, "closure", "close", [actor.principal.organization])
    return case


@transaction.atomic
def sharing_use_record(
    *, actor: Actor, case: DisposalCase, user_name: str, used_on: date, hours: Decimal, fee: Decimal, purpose: str = ""
) -> SharingUse:
    """The unit's clerk logs one use of an instrument it shares (开放共享, seed 000 二(六)): while the instrument is
    in the sharing scope, that is after 销号 and while its ledger row stays 已盘活, on a day since sharing began."""
    case = _locked(case)
    _require(actor, Role.UNIT_CLERK, case.holding_unit_id, "登记该仪器的共享使用")
    if not sharing_uses_open(case):
        raise DomainError("只有已销号、仍在开放共享中的仪器设备可以登记共享使用。")
    starts = case.execution.value("sharing_starts_on")
    if used_on > timezone.localdate():
        raise ValidationError({"used_on": "使用日期不能晚于今天。"})
    if starts and used_on < starts:
        raise ValidationError({"used_on": f"使用日期不能早于开放共享日期（{cn_date(starts)}）。"})
    use = SharingUse(
        case=case, user_name=user_name.strip(), used_on=used_on, hours=hours, fee=fee, purpose=purpose.strip(),
        recorded_by=actor.principal,
    )  # fmt: skip
    use.full_clean(exclude=["case", "recorded_by"])
    use.save()
    data = {"user_name": use.user_name, "used_on": used_on, "hours": hours, "fee": fee, "purpose": use.purpose}
    _audit(actor, case, "sharing_use", Role.UNIT_CLERK, (case.state, case.state), data)
    return use


def sharing_uses_open(case: DisposalCase) -> bool:
    """Whether uses of the case's asset may be logged now: its method records uses, it is closed, and the asset is
    still in the sharing scope (已盘活)."""
    spec = case.spec
    return bool(
        spec and spec.records_uses and case.state == CaseState.CLOSED and case.asset.status == AssetStatus.REVITALIZED
    )


@transaction.atomic
def case_follow_up(*, actor: Actor, case: DisposalCase, note: str) -> DisposalCase:
    """跟进核查 after a method that follows the land up (延长动工期限, 安排临时使用; seed 000 二(一)2): the lead
    department finds it in use (works started, or used on under a new arrangement), so the asset is back 在用 and leaves
    the dashboard's 跟进日期已过. Land found still idle is reported again instead: a new case ends the follow-up too."""
    from .selectors import follow_up_pending

    case = _locked(case)
    _require(actor, Role.DEPT_REVIEWER, case.verifying_department_id, "登记跟进核查")
    if not follow_up_pending(case):
        raise DomainError("该事项没有待跟进核查的内容：已核查过，或资产已另有处置事项。")
    if not note.strip():
        raise ValidationError({"note": "请填写核查情况，如：已于某日动工建设。"})
    asset = Asset.objects.select_for_update().get(pk=case.asset_id)
    asset.end_revitalization()
    asset.save()
    data = {"note": note.strip(), "asset_status": asset.status}
    _audit(actor, case, "follow_up", Role.DEPT_REVIEWER, (case.state, case.state), data)
    return case


@transaction.atomic
def routing_rule_revise(*, rule: RoutingRule, changed: dict) -> RoutingRule:
    """A change to a routing rule is a new version; the old one is retired, so cases keep what routed them."""
    old = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    old.is_active = False
    old.save(update_fields=["is_active"])
    latest = RoutingRule.objects.filter(name=old.name).order_by("-version").values_list("version", flat=True).first()
    new = RoutingRule.objects.get(pk=old.pk)
    new.pk = None
    for field, value in changed.items():
        setattr(new, field, value)
    new.version, new.is_active, new.created_at = (latest or old.version) + 1, True, timezone.now()
    new.save()
    return new


# -- claiming tasks -----------------------------------------------------------------------------------------------


def actor_for_task(*, user: User, task, ip: str | None = None) -> Actor:
    """The Actor for a task: the user, acting for the colleague who had claimed it when the user is their substitute
    (the trail then records both names)."""
    from .permissions import stands_in_for

    colleague = stands_in_for(user, task)
    return Actor(user=user, acting_for=colleague, ip=ip) if colleague is not None else Actor(user=user, ip=ip)


def _task_locked(task):
    # The task row itself, re-read under a lock: callers normally hold the flow's lock too, but a claim must never
    # depend on that (two claims of one task serialize here and the second sees the owner).
    return Task.objects.select_for_update(of=("self",)).select_related("process", "owner").get(pk=task.pk)


def _task_audit(actor: Actor, task, action: str, data: dict) -> None:
    case = DisposalCase.objects.only("pk", "asset_id", "state").get(pk=task.process_id)
    audit_record(
        user=actor.user,
        acting_for=actor.acting_for,
        role=task.flow_task.role,
        action=action,
        case=case,
        data={"task": task.pk, "step": task.flow_task.step, **data},
        ip=actor.ip,
    )


@transaction.atomic
def task_claim(*, actor: Actor, task) -> None:
    """认领: the task moves from the organization's queue to the user's inbox."""
    task = _task_locked(task)
    node = task.flow_task
    if not node.can_assign(actor.user, task):
        raise NotAllowed("该任务已被认领，或您无权认领。")
    node.activation_class(task).assign(actor.user)
    _task_audit(actor, task, "claim", {})


@transaction.atomic
def task_release(*, actor: Actor, task) -> None:
    """退回待办: the owner (or the organization's head) puts a claimed task back in the queue."""
    task = _task_locked(task)
    node = task.flow_task
    if not node.can_unassign(actor.user, task):
        raise NotAllowed("您无权释放该任务。")
    previous = task.owner
    node.activation_class(task).unassign()
    _task_audit(actor, task, "release", {"from": {"id": previous.pk, "name": str(previous)}})


@transaction.atomic
def task_reassign(*, actor: Actor, task, to: User, reason: str) -> None:
    """转办: the organization's head gives a task to a colleague who holds the same role there, saying why; the
    colleague's notification names the asset and the case."""
    task = _task_locked(task)
    node = task.flow_task
    if not node.can_reassign(actor.user, task):
        raise NotAllowed("只有本单位负责人可以转办任务。")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "请填写转办理由。"})
    previous = task.owner
    if previous is not None and previous.pk == to.pk:
        raise ValidationError({"to": f"该任务已由{to}办理，请选择其他同事。"})
    if to.pk not in {u.pk for u in node.candidates(task)}:
        raise DomainError(f"{to}不能办理该任务（须为本单位的{Role(node.role).label}）。")
    activation = node.activation_class(task)
    if task.status == STATUS.NEW:
        activation.assign(to)
    else:
        activation.reassign(user=to)
    data = {"to": {"id": to.pk, "name": str(to)}, "reason": reason}
    if previous is not None:
        data["from"] = {"id": previous.pk, "name": str(previous)}
    _task_audit(actor, task, "reassign", data)
    case = DisposalCase.objects.select_related("asset").get(pk=task.process_id)
    _notify(
        [to], case,
        f"{actor.user}将任务“{node.task_title}”转给您：{case.asset.code} {case.asset.name}（处置事项 #{case.pk}）。"
        f"转办理由：{reason}",
    )  # fmt: skip


def _completed_by(task) -> User | None:
    """Who completed the human task a new task follows (through the gateways between them), if anyone did."""
    while task is not None and task.flow_task_type != "HUMAN":
        task = task.previous.select_related("owner").first()
    return task.owner if task is not None and task.status == STATUS.DONE else None


def task_assign_on_create(*, task, after) -> User | None:
    """A new task goes straight to someone's 我的待办 instead of the queue when the choice is plain: to whoever just
    completed the case's previous step, if they may hold this one too; else to the one person who can hold it. Never
    to someone the step's segregation of duties excludes (EXCLUDED_AT), who then does not count as a candidate."""
    from .permissions import role_keys

    case = DisposalCase.objects.get(pk=task.process_id)
    excluded = excluded_ids(case, task.flow_task.step)
    owner, why = None, ""
    previous = _completed_by(after)
    if previous is not None and previous.is_active and task.owner_permission in role_keys(previous):
        if previous.pk not in excluded:
            owner, why = previous, "下一环节由本人继续办理"
    if owner is None:
        candidates = [u for u in task.flow_task.candidates(task) if u.pk not in excluded]
        if len(candidates) == 1:
            owner, why = candidates[0], "仅一人可办理该环节"
    if owner is None:
        return None
    task.owner, task.status = owner, STATUS.ASSIGNED
    task.save(update_fields=["owner", "status"])
    data = {"task": task.pk, "step": task.flow_task.step, "to": {"id": owner.pk, "name": str(owner)}, "reason": why}
    audit_record(user=None, role="system", action="assign", case=case, data=data)
    return owner


# -- deadlines ----------------------------------------------------------------------------------------------------


def _task_people(task) -> tuple[list[User], list[User]]:
    """Who answers for an open task: its owner (or, unclaimed, everyone who may claim it), and the heads of its
    organization."""
    from .nodes import task_organization_id

    org_id = task_organization_id(task)
    assignees = [task.owner] if task.owner_id else task.flow_task.candidates(task)
    heads = _users(Role.UNIT_HEAD, [org_id]) if org_id is not None else []
    return assignees, heads


def overdue_sweep(*, today: date | None = None) -> dict:
    """Marks overdue steps: reminds whoever holds the task once, then, a further `Policy.escalation_working_days`
    working days later, reports it to the head of that organization (DESIGN.md "Time"). Idempotent: each case is
    reminded and escalated at most once per step (`_set_step` clears both marks)."""
    from .calendar import add_working_days
    from .selectors import tasks_open_of_case

    today = today or timezone.localdate()
    now = timezone.now()
    escalate_after = Policy.current().escalation_working_days
    counts = {"reminded": 0, "escalated": 0}
    overdue = DisposalCase.objects.filter(state__in=OPEN_STATES, step_due_on__lt=today).filter(
        Q(reminded_at__isnull=True) | Q(escalated_at__isnull=True)
    )
    for case_id in overdue.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            case = DisposalCase.objects.select_for_update(of=("self",)).select_related("asset").get(pk=case_id)
            if case.step_due_on is None or case.step_due_on >= today or case.state not in OPEN_STATES:
                continue  # the step moved on meanwhile
            task = tasks_open_of_case(case).first()
            if task is None:
                continue
            assignees, heads = _task_people(task)
            step = task.flow_task.task_title
            due = cn_date(case.step_due_on)
            if case.reminded_at is None:
                _notify(assignees, case, f"已超期：{case.asset.code}“{step}”应于{due}前办理")
                case.reminded_at = now
                _system_audit(case, "overdue", {"step": step, "due": str(case.step_due_on)})
                counts["reminded"] += 1
            if case.escalated_at is None and today > add_working_days(case.step_due_on, escalate_after):
                _notify(heads, case, f"超期未办，请督促：{case.asset.code}“{step}”应于{due}前办理")
                case.escalated_at = now
                _system_audit(case, "escalate", {"step": step, "due": str(case.step_due_on)})
                counts["escalated"] += 1
            DisposalCase.objects.filter(pk=case.pk).update(reminded_at=case.reminded_at, escalated_at=case.escalated_at)
    return counts


WINDOW_CLOSED = "调剂公示期已满，请拟定处置方案"


def window_closed_sweep(*, today: date | None = None) -> int:
    """Tells the holding unit's clerks, once, that a verified asset's 调剂 window has closed and its plan may now name
    any method offered (调剂优先, seed 000 二(八)2). Idempotent: a case already told is not told again."""
    today = today or timezone.localdate()
    told = Notification.objects.filter(message__startswith=WINDOW_CLOSED).values("case_id")
    waiting = (
        DisposalCase.objects.filter(state=CaseState.VERIFIED, listed_until__lt=today)
        .exclude(pk__in=told)
        .select_related("asset")
    )
    count = 0
    for case in waiting.iterator():
        _notify(_users(Role.UNIT_CLERK, [case.holding_unit_id]), case, f"{WINDOW_CLOSED}：{case.asset.code}")
        count += 1
    return count


def _system_audit(case: DisposalCase, action: str, data: dict) -> None:
    audit_record(user=None, role="system", action=action, case=case, data=data)


# -- substitution -------------------------------------------------------------------------------------------------


@transaction.atomic
def substitution_set(
    *, actor: Actor, substitute: User, starts_on: date, ends_on: date, reason: str = ""
) -> Substitution:
    """A user names a colleague who acts for them from `starts_on` to `ends_on` (leave); the trail records both. The
    colleague must hold one of the user's task roles, in the user's organization (不相容岗位分离)."""
    from .permissions import substitute_roles

    if substitute.organization_id == actor.user.organization_id and not substitute_roles(actor.user, substitute):
        raise ValidationError({"substitute": substitute_role_refusal(actor.user, substitute)})
    substitution = Substitution(
        user=actor.user, substitute=substitute, starts_on=starts_on, ends_on=ends_on, reason=reason.strip()
    )
    if starts_on < timezone.localdate():
        raise ValidationError({"starts_on": "开始日期不能早于今天。"})
    substitution.full_clean()
    substitution.save()
    audit_record(
        user=actor.user,
        action="substitution",
        ip=actor.ip,
        data={"substitute": substitute, "starts_on": starts_on, "ends_on": ends_on, "reason": reason.strip()},
    )
    return substitution


def substitute_role_refusal(user: User, substitute: User) -> str:
    from .permissions import TASK_ROLES

    roles = "、".join(Role(r).label for r in TASK_ROLES if r in user.roles) or "办理任务的角色"
    return f"{substitute}不是本单位的{roles}，不能代理您办理任务：代理人须担任与您相同的角色（不相容岗位分离）。"


@transaction.atomic
def substitution_end(*, actor: Actor, substitution: Substitution) -> None:
    """Ends a substitution early (the user is back); only the user who named it may."""
    if substitution.user_id != actor.user.pk:
        raise NotAllowed("只能取消本人设置的代理。")
    today = timezone.localdate()
    substitution.ends_on = max(substitution.starts_on, today - timedelta(days=1))
    if substitution.starts_on >= today:
        substitution.delete()
    else:
        substitution.save(update_fields=["ends_on"])
    audit_record(user=actor.user, action="substitution_end", data={"substitute": substitution.substitute}, ip=actor.ip)
