"""The writes of a contract: its creation when the case's execution is recorded, a payment the unit records,
finance's confirmation of its remittance. Each in one transaction: lock, check who may act (role, organization,
segregation of duties), check the input (all problems at once, nothing saved on any), write, and append the
AuditEvent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from assets.models import AttachmentKind, Role
from assets.services import attachment_add
from audit.services import audit_record
from core.errors import DomainError, NotAllowed
from core.formatting import cn_date
from workflows import methods
from workflows.models import DisposalCase
from workflows.services import FINANCE_KINDS, Actor

from . import booking
from .models import Contract, Installment, Payment
from .schedule import ScheduleError


@transaction.atomic
def contract_create_for_case(*, case: DisposalCase, user=None) -> Contract | None:
    """When the execution of a method that runs over time is recorded (the case then waits for 销号): its contract
    from the execution's terms, the schedule, and the execution's one receipt booked on the first installments (the
    case's figures stay as they are). From then on the unit records rent against it, and arrears run, while finance
    confirms the remittance and closes the case. Idempotent: a case has one first version."""
    spec = methods.get(case.method)
    if spec is None or spec.contract is None:
        return None
    existing = Contract.objects.filter(case=case, version=1).first()
    if existing is not None:
        return existing
    record = case.execution
    now = timezone.now()
    contract = Contract(
        case=case, asset_id=case.asset_id, holding_unit_id=case.holding_unit_id, created_at=now,
        **booking.contract_fields(case, record, spec),
    )  # fmt: skip
    contract.full_clean(exclude=["case", "asset", "holding_unit"])
    contract.save()
    try:
        installments = booking.installments_for(contract, Installment)
    except ScheduleError as exc:
        raise DomainError(str(exc)) from exc
    paid_on = timezone.localdate(case.executed_at) if case.executed_at else timezone.localdate()
    payments = booking.receipt_payments(
        case, installments, Payment, paid_on=paid_on, recorded_at=case.executed_at or now
    )
    for installment in installments:
        installment.save()
    for payment in payments:  # their installments saved just now
        payment.save()
    audit_record(
        user=user, role=Role.UNIT_CLERK if user else "system", action="contract_create", case=case,
        data={"contract": contract.pk, "number": contract.number, "counterparty": contract.counterparty,
              "installments": len(installments), "booked": str(sum((p.amount for p in payments), Decimal(0)))},
    )  # fmt: skip
    return contract


def receipt_confirm_for_case(*, case: DisposalCase) -> int:
    """财政确认收入上缴 of a contract method's case: the payments its execution's receipt was booked as (its first
    contract, its 缴款凭证号) are confirmed with the case's confirmation, as booking.receipt_payments would have
    written them had the contract been made after it. The case step already checked who may confirm."""
    if not case.remittance_confirmed_by_id:
        return 0
    return Payment.objects.filter(
        contract__case=case, contract__version=1, receipt_no=case.remittance_receipt_no,
        confirmed_at__isnull=True,
    ).update(
        confirmed_by_id=case.remittance_confirmed_by_id, confirmed_at=case.remittance_confirmed_at,
        nontax_receipt_no=case.remittance_receipt_no,
    )  # fmt: skip


def _holding_clerk(actor: Actor, contract: Contract) -> None:
    for person in {actor.principal, actor.user}:
        if not person.has_role(Role.UNIT_CLERK) or person.organization_id != contract.holding_unit_id:
            raise NotAllowed("只有资产持有单位的经办人可以登记收款。")


def payment_errors(*, installment: Installment, amount, paid_on, receipt_no: str, today: date) -> dict[str, str]:
    """What is wrong with a payment, by field, all at once (the form shows them beside their fields)."""
    contract = installment.contract
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = "收款金额须大于0。"
    elif amount > installment.outstanding:
        errors["amount"] = (
            f"收款金额{amount:,.2f}元超过第{installment.sequence}期尚欠的{installment.outstanding:,.2f}元，"
            "请按该期欠缴金额登记，多付部分登记到下一期。"
        )
    if paid_on is None:
        errors["paid_on"] = "请填写收款日期。"
    elif paid_on > today:
        errors["paid_on"] = "收款日期不能晚于今天。"
    elif paid_on < contract.starts_on:
        # After the term's end is fine: rent owed is still paid (补缴) once the asset is back.
        errors["paid_on"] = f"收款日期不能早于合同期限起（{cn_date(contract.starts_on)}）。"
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        errors["receipt_no"] = "请填写收款凭证号。"
    else:
        used = Payment.objects.filter(receipt_no=receipt_no).select_related("installment__contract").first()
        if used is not None:
            errors["receipt_no"] = (
                f"收款凭证号{receipt_no}已登记过（合同{used.installment.contract}第{used.installment.sequence}期），"
                "请核对凭证号。"
            )
    return errors


@transaction.atomic
def payment_record(
    *,
    actor: Actor,
    installment: Installment,
    amount: Decimal | None,
    paid_on: date | None,
    receipt_no: str,
    evidence: UploadedFile | None = None,
) -> Payment:
    """The holding unit's clerk records a payment against one installment (收支两条线: finance then confirms its
    remittance). Larger than what the installment still owes, dated outside the term or with a receipt number already
    used: refused, nothing saved."""
    installment = Installment.objects.select_for_update().select_related("contract__asset").get(pk=installment.pk)
    contract = installment.contract
    _holding_clerk(actor, contract)
    if installment.cancelled_on is not None:
        # Rent owed before a contract ended is still owed after it (到期收回, 提前终止): only a cancelled one is not.
        on = cn_date(installment.cancelled_on)
        raise DomainError(f"第{installment.sequence}期已因合同提前终止于{on}取消，无需收款。")
    errors = payment_errors(
        installment=installment, amount=amount, paid_on=paid_on, receipt_no=receipt_no, today=timezone.localdate()
    )
    if errors:
        raise ValidationError(errors)
    attachment = None
    if evidence is not None:
        attachment = attachment_add(
            user=actor.user, on_behalf_of=actor.acting_for, asset=contract.asset, upload=evidence,
            kind=AttachmentKind.REMITTANCE_RECEIPT, description=f"合同{contract}第{installment.sequence}期收款凭证",
            ip=actor.ip,
        )  # fmt: skip
    payment = Payment.objects.create(
        installment=installment, contract=contract, amount=amount, paid_on=paid_on, receipt_no=receipt_no.strip(),
        evidence=attachment, recorded_by=actor.principal, recorded_at=timezone.now(),
    )  # fmt: skip
    installment.paid += amount
    installment.save(update_fields=["paid"])
    _audit(actor, contract, "payment_record", Role.UNIT_CLERK, {
        "contract": contract.pk, "installment": installment.sequence, "amount": amount, "paid_on": paid_on,
        "receipt_no": payment.receipt_no, "evidence": attachment.pk if attachment else None,
    })  # fmt: skip
    return payment


@transaction.atomic
def payment_confirm(*, actor: Actor, payment: Payment, nontax_receipt_no: str) -> Payment:
    """Finance confirms a payment reached the treasury (上缴国库), with the 非税收入 receipt's number; never the
    person who recorded it (不相容岗位分离)."""
    payment = Payment.objects.select_for_update().select_related("installment__contract").get(pk=payment.pk)
    contract = payment.installment.contract
    if payment.recorded_by_id in {actor.user.pk, actor.principal.pk}:
        raise NotAllowed("登记收款的人员不能确认该笔收款的上缴（不相容岗位分离）。")
    for person in {actor.principal, actor.user}:
        org = person.organization
        if not person.has_role(Role.FINANCE_APPROVER) or org is None or org.kind not in FINANCE_KINDS:
            raise NotAllowed("只有财政审批人可以确认收款上缴。")
    if payment.confirmed_at is not None:
        raise DomainError("该笔收款已确认上缴。")
    number = (nontax_receipt_no or "").strip()
    if not number:
        raise ValidationError({"nontax_receipt_no": "请填写非税收入缴款书号。"})
    payment.confirmed_by, payment.confirmed_at, payment.nontax_receipt_no = actor.principal, timezone.now(), number
    payment.save(update_fields=["confirmed_by", "confirmed_at", "nontax_receipt_no"])
    _audit(actor, contract, "payment_confirm", Role.FINANCE_APPROVER, {
        "contract": contract.pk, "installment": payment.installment.sequence, "amount": payment.amount,
        "receipt_no": payment.receipt_no, "nontax_receipt_no": number,
    })  # fmt: skip
    return payment


def _audit(actor: Actor, contract: Contract, action: str, role: str, data: dict) -> None:
    audit_record(
        user=actor.user, acting_for=actor.acting_for, role=role, action=action, case=contract.case, data=data,
        ip=actor.ip,
    )  # fmt: skip
