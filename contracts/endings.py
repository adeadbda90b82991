"""The end of a contract (issue 14 §3): 到期收回 and 提前终止 by the holding unit's clerk, each returning the asset to
its unit's ledger (Asset.end_revitalization), in use or idle again (再度闲置); and 续租/续约, asked by the clerk and
routed by the routing rules as a plan would be (the lead department, then finance when the route says so), returned
or approved at each step, never by whoever asked, making the contract's next version with its own schedule. Each
ending issues its own signed document (contracts.kinds). One transaction each: lock, check who may act, check all the
input at once (nothing written on any problem), write, append the AuditEvent, ask for the document."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from assets.models import Asset, AssetStatus, AttachmentKind, Role, UsageStatus, User
from assets.services import attachment_add
from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import DomainError, NotAllowed
from core.formatting import cn_date, yuan
from documents.services import document_request
from workflows.models import Notification, Policy
from workflows.services import FINANCE_KINDS, Actor, route_plan
from workflows.trail import event_label

from . import booking
from .kinds import RENEWAL_KIND, RETURN_KIND, TERMINATION_KIND
from .models import (
    OPEN_RENEWAL_STATES,
    Contract,
    ContractEnd,
    ContractRenewal,
    ContractState,
    Cycle,
    DepositOutcome,
    EndKind,
    Installment,
    RenewalState,
    ReturnOutcome,
)
from .schedule import ScheduleError

CONDITION_MAX = ContractEnd._meta.get_field("condition").max_length
IDLE_REASON_MAX = ContractEnd._meta.get_field("idle_reason").max_length
REASON_MAX = ContractEnd._meta.get_field("termination_reason").max_length
OPINION_MAX = ContractRenewal._meta.get_field("opinion").max_length
# A renewal's decisions on the trail, each with its renewal's id (the 合同续签备案表 lists them).
RENEWAL_STEPS = ("renewal_request", "renewal_dept_review", "renewal_approve", "renewal_return")


def _clerk_of(actor: Actor, contract: Contract, what: str) -> None:
    for person in {actor.principal, actor.user}:
        if not person.has_role(Role.UNIT_CLERK) or person.organization_id != contract.holding_unit_id:
            raise NotAllowed(f"只有资产持有单位的经办人可以{what}。")


def _finance(actor: Actor, what: str) -> None:
    for person in {actor.principal, actor.user}:
        org = person.organization
        if not person.has_role(Role.FINANCE_APPROVER) or org is None or org.kind not in FINANCE_KINDS:
            raise NotAllowed(f"只有财政审批人可以{what}。")


def _locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().select_related("asset", "case", "holding_unit").get(pk=contract.pk)


def _active(contract: Contract) -> None:
    if contract.state != ContractState.ACTIVE:
        raise DomainError(f"该合同{contract.get_state_display()}，不能再办理终止、收回或续签。")
    if contract.awaits_closing:
        raise DomainError("该事项尚未销号：合同的收回、终止和续签在县财政局销号后办理，其间可照常登记收款。")


def _text(errors: dict, field: str, value: str, label: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = f"请填写{label}。"
    elif len(value) > limit:
        errors[field] = f"{label}不能超过{limit}字（现为{len(value):,}字），请精简后再提交。"
    return value


def _return_errors(contract: Contract, *, returned_on, condition, outcome, idle_reason, today) -> dict[str, str]:
    errors: dict[str, str] = {}
    if returned_on is None:
        errors["returned_on"] = "请填写收回交接日期。"
    elif returned_on < contract.starts_on:
        errors["returned_on"] = f"收回交接日期不能早于合同期限起（{cn_date(contract.starts_on)}）。"
    elif returned_on > today:
        errors["returned_on"] = "收回交接日期不能晚于今天。"
    _text(errors, "condition", condition, "收回时的资产状况", CONDITION_MAX)
    if outcome not in ReturnOutcome.values:
        errors["outcome"] = "请选择收回后的使用状况（自用或再度闲置）。"
    elif outcome == ReturnOutcome.IDLE:
        _text(errors, "idle_reason", idle_reason, "闲置原因", IDLE_REASON_MAX)
    else:
        _text(errors, "idle_reason", idle_reason, "闲置原因", IDLE_REASON_MAX, required=False)
    return errors


def _evidence(actor: Actor, contract: Contract, upload: UploadedFile | None, what: str):
    if upload is None:
        return None
    return attachment_add(
        user=actor.user, on_behalf_of=actor.acting_for, asset=contract.asset, upload=upload,
        kind=AttachmentKind.HANDOVER_LIST, description=f"合同{contract}{what}交接材料", ip=actor.ip,
    )  # fmt: skip


def _asset_back(contract: Contract, *, returned_on: dt.date, outcome: str, idle_reason: str) -> Asset:
    """The asset back on its unit's ledger (已盘活 → 在用); idle again from the handover day, with its reason."""
    asset = Asset.objects.select_for_update().get(pk=contract.asset_id)
    if asset.status != AssetStatus.REVITALIZED:
        raise DomainError(f"资产当前为“{asset.get_status_display()}”，不在出租、运营等盘活状态，不能办理收回。")
    asset.end_revitalization()
    if outcome == ReturnOutcome.IDLE:
        # 再度闲置 (seed 004: 避免盘活厂房再度闲置): idle again from the day it came back, so it can be reported anew
        # once idle long enough (the 6 months of seed 000 一(三)1 count from here).
        asset.usage_status, asset.idle_since, asset.idle_reason = UsageStatus.IDLE, returned_on, idle_reason
    asset.save()
    return asset


def _audit(actor: Actor, contract: Contract, action: str, role: str, data: dict) -> AuditEvent:
    return audit_record(
        user=actor.user, acting_for=actor.acting_for, role=role, action=action, case=contract.case, data=data,
        ip=actor.ip,
    )  # fmt: skip


@transaction.atomic
def contract_return(
    *,
    actor: Actor,
    contract: Contract,
    returned_on: dt.date | None,
    condition: str,
    outcome: str,
    idle_reason: str = "",
    evidence: UploadedFile | None = None,
) -> ContractEnd:
    """到期收回: the term has run (its last day or later) and the asset comes back, in the condition the clerk
    writes; before the last day it is an early termination (contract_terminate)."""
    contract = _locked(contract)
    _clerk_of(actor, contract, "办理资产收回")
    _active(contract)
    errors = _return_errors(
        contract, returned_on=returned_on, condition=condition, outcome=outcome, idle_reason=idle_reason,
        today=timezone.localdate(),
    )  # fmt: skip
    last_day = contract.ends_on  # the term's last day (期限止)
    if "returned_on" not in errors and last_day and returned_on < last_day:
        errors["returned_on"] = f"合同期限至{cn_date(last_day)}，尚未到期；期满前收回请办理提前终止。"
    if errors:
        raise ValidationError(errors)
    attachment = _evidence(actor, contract, evidence, "到期收回")
    end = ContractEnd.objects.create(
        contract=contract, kind=EndKind.RETURN, returned_on=returned_on, condition=condition.strip(),
        evidence=attachment, outcome=outcome, idle_reason=idle_reason.strip(), recorded_by=actor.principal,
        recorded_at=timezone.now(),
    )  # fmt: skip
    contract.state = ContractState.RETURNED
    contract.save(update_fields=["state"])
    _asset_back(contract, returned_on=returned_on, outcome=outcome, idle_reason=end.idle_reason)
    event = _audit(actor, contract, "contract_return", Role.UNIT_CLERK, {
        "contract": contract.pk, "returned_on": returned_on, "outcome": outcome, "condition": end.condition,
        "idle_reason": end.idle_reason, "evidence": attachment.pk if attachment else None,
    })  # fmt: skip
    _document(contract, RETURN_KIND, "return", _end_rows(end), event, [contract.holding_unit])
    return end


def termination_errors(contract: Contract, *, terminated_on, reason, settlement, deposit_outcome) -> dict[str, str]:
    """What is wrong with a termination's own fields, by field, all at once."""
    errors: dict[str, str] = {}
    if terminated_on is not None and contract.ends_on and terminated_on >= contract.ends_on:
        errors["returned_on"] = f"合同已于{cn_date(contract.ends_on)}期满，请办理到期收回。"
    _text(errors, "termination_reason", reason, "终止原因", REASON_MAX)
    # Plausible: at most what the whole term owes (the schedule), or the deposit where that is larger.
    due = contract.installments.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    ceiling = max(due, contract.deposit or Decimal(0))
    if settlement is None:
        errors["settlement"] = "请填写结算金额（没有结算款的填0）。"
    elif settlement < 0:
        errors["settlement"] = "结算金额不能为负数。"
    elif settlement > ceiling:
        errors["settlement"] = f"结算金额{yuan(settlement)}超过合同全期应收{yuan(ceiling)}，请核对金额。"
    if contract.deposit:
        if deposit_outcome not in (DepositOutcome.RETURNED, DepositOutcome.KEPT):
            errors["deposit_outcome"] = f"请选择保证金{yuan(contract.deposit)}退还或不予退还。"
    elif deposit_outcome not in ("", DepositOutcome.NONE):
        errors["deposit_outcome"] = "该合同未收取保证金。"
    return errors


@transaction.atomic
def contract_terminate(
    *,
    actor: Actor,
    contract: Contract,
    terminated_on: dt.date | None,
    reason: str,
    settlement: Decimal | None,
    deposit_outcome: str,
    condition: str,
    outcome: str,
    idle_reason: str = "",
    evidence: UploadedFile | None = None,
) -> ContractEnd:
    """提前终止: the parties end the contract before its term, with its reason, the settlement agreed and the
    deposit returned or kept; what would fall due from that day on is cancelled (no longer owed, never arrears), and
    the asset comes back that day as on 到期收回."""
    contract = _locked(contract)
    _clerk_of(actor, contract, "办理合同提前终止")
    _active(contract)
    errors = _return_errors(
        contract, returned_on=terminated_on, condition=condition, outcome=outcome, idle_reason=idle_reason,
        today=timezone.localdate(),
    )  # fmt: skip
    for field, message in termination_errors(
        contract, terminated_on=terminated_on, reason=reason, settlement=settlement, deposit_outcome=deposit_outcome
    ).items():
        errors.setdefault(field, message)
    if errors:
        raise ValidationError(errors)
    attachment = _evidence(actor, contract, evidence, "提前终止")
    end = ContractEnd.objects.create(
        contract=contract, kind=EndKind.TERMINATION, returned_on=terminated_on, condition=condition.strip(),
        evidence=attachment, outcome=outcome, idle_reason=idle_reason.strip(), termination_reason=reason.strip(),
        settlement=settlement, deposit_outcome=deposit_outcome if contract.deposit else DepositOutcome.NONE,
        recorded_by=actor.principal, recorded_at=timezone.now(),
    )  # fmt: skip
    cancelled = Installment.objects.filter(contract=contract, due_on__gte=terminated_on, paid__lt=F("amount"))
    cancelled_sequences = list(cancelled.values_list("sequence", flat=True))
    cancelled.update(cancelled_on=terminated_on)
    contract.state = ContractState.TERMINATED
    contract.save(update_fields=["state"])
    _asset_back(contract, returned_on=terminated_on, outcome=outcome, idle_reason=end.idle_reason)
    event = _audit(actor, contract, "contract_terminate", Role.UNIT_CLERK, {
        "contract": contract.pk, "terminated_on": terminated_on, "reason": end.termination_reason,
        "settlement": settlement, "deposit": end.deposit_outcome, "cancelled_installments": cancelled_sequences,
        "outcome": outcome, "condition": end.condition, "idle_reason": end.idle_reason,
        "evidence": attachment.pk if attachment else None,
    })  # fmt: skip
    _document(contract, TERMINATION_KIND, "termination", _end_rows(end, cancelled_sequences), event,
              [contract.holding_unit])  # fmt: skip
    return end


# -- 续租/续约 ------------------------------------------------------------------------------------------------------


def renewal_errors(contract: Contract, *, ends_on, cycle, annual_amount, step_percent, number, reason) -> dict:
    errors: dict[str, str] = {}
    if contract.ends_on is None:
        errors["__all__"] = "不定期合同无需续签。"
        return errors
    if ends_on is None:
        errors["ends_on"] = "请填写续签期限止。"
    elif ends_on <= contract.ends_on:
        errors["ends_on"] = f"续签期限止须晚于原合同期限止（{cn_date(contract.ends_on)}）。"
    elif ends_on > contract.ends_on + relativedelta(years=(cap := Policy.current().lease_max_years)):
        # The lease term's cap (Policy.lease_max_years, DESIGN.md: ≤ 5 years by default) holds for the renewed term.
        errors["ends_on"] = f"续签期限不能超过{cap}年。"
    if cycle not in Cycle.values or cycle == Cycle.ONE_OFF:
        errors["cycle"] = "请选择按月、按季、按半年或按年付款。"
    if annual_amount is None or annual_amount <= 0:
        errors["annual_amount"] = "续签年金额须大于0。"
    if step_percent is not None and step_percent < 0:
        errors["step_percent"] = "年递增比例不能为负数。"
    _text(errors, "number", number, "续签合同编号", 60)
    _text(errors, "reason", reason, "续签理由", 2000)
    return errors


def renewal_route(contract: Contract) -> dict:
    """The route a renewal of this contract takes (issue 14 §3: a new approval round through the routing rules): the
    one a plan of the contract's method for its asset, its unit's kind and its 原值 would take, by route_plan itself
    on a probe case (as workflows.services.collective_decision_needed asks it)."""
    probe = copy.copy(contract.case)
    probe.method, probe.asset, probe.holding_unit = contract.method, contract.asset, contract.holding_unit
    return route_plan(probe)


def _minutes(actor: Actor, contract: Contract, upload: UploadedFile | None):
    try:
        return attachment_add(
            user=actor.user, on_behalf_of=actor.acting_for, asset=contract.asset, upload=upload,
            kind=AttachmentKind.MEETING_MINUTES, description=f"合同{contract}续签集体决策会议纪要", ip=actor.ip,
        )  # fmt: skip
    except ValidationError as exc:
        raise ValidationError({"minutes": exc.messages}) from exc


@transaction.atomic
def renewal_request(
    *,
    actor: Actor,
    contract: Contract,
    ends_on: dt.date | None,
    cycle: str,
    annual_amount: Decimal | None,
    step_percent: Decimal | None,
    deposit: Decimal | None,
    number: str,
    reason: str,
    minutes: UploadedFile | None = None,
) -> ContractRenewal:
    """The holding unit's clerk asks to renew on new terms, from the day the contract ends. The renewal takes its route
    now and keeps it: the asset's lead department reviews it, then finance approves it when the route says so; the
    会议纪要 comes with the request when the route needs a collective decision."""
    contract = _locked(contract)
    _clerk_of(actor, contract, "申请续签")
    _active(contract)
    if contract.renewals.filter(state__in=OPEN_RENEWAL_STATES).exists():
        raise DomainError("该合同已有待审批的续签申请。")
    department = contract.asset.lead_department
    if department.pk == contract.holding_unit_id:
        # A reviewing organization is never the holding unit itself (DESIGN.md, segregation of duties).
        raise DomainError("本单位是该类资产的主管部门，不能自行审核续签；请联系县财政局指定审核部门。")
    errors = renewal_errors(
        contract, ends_on=ends_on, cycle=cycle, annual_amount=annual_amount, step_percent=step_percent,
        number=number, reason=reason,
    )  # fmt: skip
    if deposit is not None and deposit < 0:
        errors["deposit"] = "保证金不能为负数。"
    routing = renewal_route(contract)
    if routing["needs_collective_decision"] and minutes is None:
        rules = "、".join(r["name"] for r in routing["rules"] if r["requires_collective_decision"])
        errors["minutes"] = f"按审批规则（{rules}），续签须经集体决策：请上传会议纪要。"
    if errors:
        raise ValidationError(errors)
    attachment = _minutes(actor, contract, minutes) if minutes is not None else None
    renewal = ContractRenewal.objects.create(
        contract=contract, ends_on=ends_on, cycle=cycle, annual_amount=annual_amount,
        step_percent=step_percent or Decimal(0), deposit=deposit, number=number.strip(), reason=reason.strip(),
        department=department, routing=routing, minutes=attachment, state=RenewalState.DEPT_REVIEW,
        requested_by=actor.principal, requested_at=timezone.now(),
    )  # fmt: skip
    _audit(actor, contract, "renewal_request", Role.UNIT_CLERK, {
        "contract": contract.pk, "renewal": renewal.pk, "ends_on": ends_on, "cycle": cycle,
        "annual_amount": annual_amount, "step_percent": renewal.step_percent, "number": renewal.number,
        "reason": renewal.reason, "department": department.pk, "routing": routing,
        "minutes": attachment.pk if attachment else None,
    })  # fmt: skip
    _notify(_reviewers(renewal), contract, f"待审核续签申请：合同{contract}（{contract.asset.code}）")
    return renewal


def _reviewers(renewal: ContractRenewal):
    return User.objects.filter(is_active=True, groups__name=Role.DEPT_REVIEWER, organization=renewal.department_id)


def _finance_users():
    return User.objects.filter(is_active=True, groups__name=Role.FINANCE_APPROVER, organization__kind__in=FINANCE_KINDS)


def _notify(users, contract: Contract, message: str) -> None:
    Notification.objects.bulk_create(
        [Notification(user=u, case_id=contract.case_id, message=message[:200]) for u in set(users)]
    )


def _department_reviewer(actor: Actor, renewal: ContractRenewal, what: str) -> None:
    for person in {actor.principal, actor.user}:
        if not person.has_role(Role.DEPT_REVIEWER) or person.organization_id != renewal.department_id:
            raise NotAllowed(f"只有{renewal.department}的主管部门审核人可以{what}。")


def _decider(actor: Actor, renewal: ContractRenewal, what: str) -> str:
    """Who may decide the renewal's current step, as the role they decide in: the department's reviewer while it
    waits for the department (finance may not decide before it), finance once it has passed there; never the
    requester, nor (at finance) the department's reviewer, nor the holding unit itself (不相容岗位分离)."""
    if renewal.state == RenewalState.DEPT_REVIEW:
        _department_reviewer(actor, renewal, what)
        role = Role.DEPT_REVIEWER
    elif renewal.state == RenewalState.FINANCE_REVIEW:
        _finance(actor, what)
        if actor.principal.organization_id == renewal.contract.holding_unit_id:
            raise NotAllowed("审批单位不能是资产持有单位本身。")
        role = Role.FINANCE_APPROVER
    else:
        raise DomainError(f"该续签申请{renewal.get_state_display()}，不能再审核。")
    people = {actor.user.pk, actor.principal.pk}
    if renewal.requested_by_id in people:
        raise NotAllowed("申请续签的人员不能审批该续签（不相容岗位分离）。")
    if role == Role.FINANCE_APPROVER and renewal.reviewed_by_id in people:
        raise NotAllowed("已审核该续签的人员不能再审批（不相容岗位分离）。")
    return role


def _opinion(value: str, *, required: bool, label: str = "审批意见") -> str:
    errors: dict[str, str] = {}
    value = _text(errors, "opinion", value, label, OPINION_MAX, required=required)
    if errors:
        raise ValidationError(errors)
    return value


def _locked_renewal(renewal: ContractRenewal) -> ContractRenewal:
    # Its own row only: PostgreSQL locks no nullable side of an outer join (the department is null on early rows).
    return ContractRenewal.objects.select_for_update(of=("self",)).select_related("department").get(pk=renewal.pk)


@transaction.atomic
def renewal_approve(*, actor: Actor, renewal: ContractRenewal, opinion: str = "") -> ContractRenewal:
    """The step the renewal waits at agrees: the lead department first, passing it on to finance when its route says
    so; the last step's approval makes the contract's next version (renewal.renewed), the contract 已续签, and issues
    the 合同续签备案表 with the route and each approver."""
    renewal = _locked_renewal(renewal)
    contract = _locked(renewal.contract)
    role = _decider(actor, renewal, "审批该续签申请")
    _active(contract)
    opinion = _opinion(opinion, required=False)
    now = timezone.now()
    if role == Role.DEPT_REVIEWER:
        renewal.reviewed_by, renewal.reviewed_at, renewal.review_opinion = actor.principal, now, opinion
        if renewal.needs_finance:
            renewal.state = RenewalState.FINANCE_REVIEW
            renewal.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_opinion"])
            _audit(actor, contract, "renewal_dept_review", role, {
                "contract": contract.pk, "renewal": renewal.pk, "opinion": opinion,
            })  # fmt: skip
            _notify(_finance_users(), contract, f"待财政审批续签：合同{contract}（{contract.asset.code}）")
            return renewal
    else:
        renewal.decided_by, renewal.decided_at, renewal.opinion = actor.principal, now, opinion
    renewed = Contract(
        case=contract.case, asset=contract.asset, holding_unit=contract.holding_unit, method=contract.method,
        counterparty=contract.counterparty, counterparty_code=contract.counterparty_code,
        starts_on=contract.ends_on + dt.timedelta(days=1),
        ends_on=renewal.ends_on, cycle=renewal.cycle, annual_amount=renewal.annual_amount,
        step_percent=renewal.step_percent, deposit=renewal.deposit, number=renewal.number,
        version=contract.version + 1, created_at=now,
    )  # fmt: skip
    renewed.full_clean(exclude=["case", "asset", "holding_unit"], validate_unique=False)
    renewed.save()
    try:
        installments = booking.installments_for(renewed, Installment)
    except ScheduleError as exc:
        raise DomainError(str(exc)) from exc
    Installment.objects.bulk_create(installments)
    contract.state = ContractState.RENEWED
    contract.save(update_fields=["state"])
    renewal.state, renewal.renewed = RenewalState.APPROVED, renewed
    renewal.save()
    event = _audit(actor, contract, "renewal_approve", role, {
        "contract": contract.pk, "renewal": renewal.pk, "renewed": renewed.pk, "version": renewed.version,
        "opinion": opinion, "installments": len(installments),
    })  # fmt: skip
    rows = [
        ("原合同", f"{contract}（第{contract.version}版，{cn_date(contract.starts_on)}至{cn_date(contract.ends_on)}）"),
        ("续签合同编号", f"{renewed}（第{renewed.version}版）"),
        ("续签期限", f"{cn_date(renewed.starts_on)}至{cn_date(renewed.ends_on)}"),
        ("付款周期", renewed.get_cycle_display()),
        (
            "年金额",
            yuan(renewed.annual_amount) + (f"，每年递增{renewed.step_percent:g}%" if renewed.step_percent else ""),
        ),
        ("保证金", yuan(renewed.deposit) if renewed.deposit is not None else "无"),
        ("应收期数", f"{len(installments)}期，合计{yuan(sum((i.amount for i in installments), Decimal(0)))}"),
        ("续签理由", renewal.reason),
        *_route_rows(renewal),
    ]
    signers = [contract.holding_unit]
    if renewal.department_id:
        signers.append(renewal.department)
    if renewal.decided_by_id:
        signers.append(renewal.decided_by.organization)
    events = (
        AuditEvent.objects.filter(case=contract.case, action__in=RENEWAL_STEPS, data__renewal=renewal.pk)
        .exclude(pk=event.pk)
        .order_by("pk")
    )
    _document(renewed, RENEWAL_KIND, "renewal", rows, [*events, event], signers)
    return renewal


@transaction.atomic
def renewal_return(*, actor: Actor, renewal: ContractRenewal, reason: str) -> ContractRenewal:
    """The step the renewal waits at returns it, with its reason: the renewal is 已退回 and the clerk may ask again
    (a new request, on the same or new terms); the contract runs on unchanged."""
    renewal = _locked_renewal(renewal)
    contract = _locked(renewal.contract)
    role = _decider(actor, renewal, "退回该续签申请")
    reason = _opinion(reason, required=True, label="退回原因")
    now = timezone.now()
    if role == Role.DEPT_REVIEWER:
        renewal.reviewed_by, renewal.reviewed_at, renewal.review_opinion = actor.principal, now, reason
    else:
        renewal.decided_by, renewal.decided_at, renewal.opinion = actor.principal, now, reason
    renewal.state = RenewalState.RETURNED
    renewal.save()
    _audit(actor, contract, "renewal_return", role, {
        "contract": contract.pk, "renewal": renewal.pk, "opinion": reason,
    })  # fmt: skip
    _notify([renewal.requested_by], contract, f"续签申请被退回：合同{contract}，原因：{reason[:80]}")
    return renewal


def _route_rows(renewal: ContractRenewal) -> list[tuple[str, str]]:
    rows = [("审批路径", renewal.route_text)]
    if renewal.reviewed_by_id:
        rows.append(("主管部门审核", _decision(renewal.department, renewal.reviewed_by, renewal.reviewed_at)))
    if renewal.decided_by_id:
        rows.append(("财政审批", _decision(renewal.decided_by.organization, renewal.decided_by, renewal.decided_at)))
    return rows


def _decision(organization, user, at) -> str:
    name = user.get_full_name() or user.username
    return f"{organization.name if organization else ''} {name}，{cn_date(timezone.localdate(at))}同意"


# -- the documents --------------------------------------------------------------------------------------------------


def _end_rows(end: ContractEnd, cancelled: list[int] | None = None) -> list[tuple[str, str]]:
    contract = end.contract
    term = f"{cn_date(contract.starts_on)}至{cn_date(contract.ends_on)}" if contract.ends_on else "不定期"
    rows = [("合同编号", f"{contract}（第{contract.version}版）"), ("合同相对方", contract.counterparty),
            ("合同期限", term)]  # fmt: skip
    if end.kind == EndKind.TERMINATION:
        rows += [
            ("终止日期", cn_date(end.returned_on)),
            ("终止原因", end.termination_reason),
            ("结算金额", yuan(end.settlement)),
            ("保证金处理", f"{yuan(contract.deposit)}，{end.get_deposit_outcome_display()}" if contract.deposit
             else "无保证金"),
            ("取消的应收期次", "、".join(f"第{n}期" for n in cancelled) if cancelled else "无"),
        ]  # fmt: skip
    rows += [("收回交接日期", cn_date(end.returned_on)), ("资产状况", end.condition),
             ("收回后使用状况", end.get_outcome_display())]  # fmt: skip
    if end.outcome == ReturnOutcome.IDLE:
        rows.append(("闲置原因", end.idle_reason))
    return rows


def _document(contract: Contract, kind: str, step: str, rows, events, signers) -> None:
    asset = contract.asset
    events = events if isinstance(events, list) else [events]
    context = {
        "contract_id": contract.pk,
        "case_id": contract.case_id,
        "step": step,
        "state": contract.get_state_display(),
        "asset": {
            "code": asset.code, "name": asset.name, "category": asset.category.name,
            "subtype": asset.subtype.name if asset.subtype_id else "", "original_value": str(asset.original_value),
            "net_value": str(asset.net_value), "area_m2": str(asset.area_m2) if asset.area_m2 is not None else "",
            "area_unit": asset.category.area_unit, "address": asset.address, "acquired_on": str(asset.acquired_on),
            "idle_since": str(asset.idle_since) if asset.idle_since else "",
        },
        "holding_unit": contract.holding_unit.name,
        "method": contract.case.get_method_display(),
        "execution_rows": [{"label": label, "text": text} for label, text in rows],
        "events": [_event(e) for e in events if e is not None],
    }  # fmt: skip
    document_request(kind=kind, subject=contract, step=step, context=context, signers=signers)


def _event(event: AuditEvent) -> dict:
    data = event.data or {}
    return {
        "action": event.action,
        "label": event_label(event.action),
        "at": timezone.localtime(event.at).isoformat(timespec="seconds"),
        "actor": (event.actor.get_full_name() or event.actor.username) if event.actor else "",
        "acting_for": (event.acting_for.get_full_name() or event.acting_for.username) if event.acting_for else "",
        "organization": event.organization.name if event.organization else "",
        "opinion": data.get("opinion") or data.get("reason") or "",
    }
