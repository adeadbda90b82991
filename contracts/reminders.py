"""Rent reminders (issue 14 §2), run by beat (contracts.tasks): the holding unit's clerks hear of each installment
Policy.reminder_lead_working_days working days before it falls due, and its clerks and head once it falls into
arrears (contracts.arrears). Each notice goes once: an installment is claimed by a conditional UPDATE of its mark
(reminded_at / arrears_notified_at still empty) before anyone is told, so a second run, or two workers at once, send
nothing more."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assets.models import Role, User
from audit.services import audit_record
from core.formatting import cn_date, yuan
from workflows.calendar import add_working_days
from workflows.models import Notification, Policy

from .arrears import arrears_cutoff, in_arrears_q
from .models import ContractState, Installment


def _people(unit_id: int, *roles: str) -> list[User]:
    return list(User.objects.filter(is_active=True, organization_id=unit_id, groups__name__in=roles).distinct())


def _notify(installment: Installment, users: list[User], message: str) -> None:
    Notification.objects.bulk_create(
        [Notification(user=u, case_id=installment.contract.case_id, message=message[:200]) for u in users]
    )


def _claimed(pk: int, mark: str, now: dt.datetime) -> bool:
    return Installment.objects.filter(pk=pk, **{f"{mark}__isnull": True}).update(**{mark: now}) == 1


def _what(installment: Installment) -> str:
    contract, asset = installment.contract, installment.contract.asset
    return f"合同{contract}（{asset.code} {asset.name}，{contract.counterparty}）第{installment.sequence}期"


def rent_reminders_sweep(*, today: dt.date | None = None) -> dict:
    """Sends the notices due today (see the module's docstring); returns how many installments each kind covered."""
    today = today or timezone.localdate()
    now = timezone.now()
    lead = Policy.current().reminder_lead_working_days
    counts = {"reminded": 0, "arrears": 0}
    open_installments = Installment.objects.filter(
        contract__state=ContractState.ACTIVE, paid__lt=F("amount"), cancelled_on__isnull=True
    )

    # 到期提醒: due from today up to `lead` working days ahead, not yet paid in full.
    upcoming = open_installments.filter(
        reminded_at__isnull=True, due_on__gte=today, due_on__lte=add_working_days(today, lead)
    )
    for pk in upcoming.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            if not _claimed(pk, "reminded_at", now):
                continue  # another run took it
            installment = Installment.objects.select_related("contract__asset").get(pk=pk)
            contract = installment.contract
            owed = installment.amount - installment.paid
            message = f"租金即将到期：{_what(installment)}应于{cn_date(installment.due_on)}收取，应收{yuan(owed)}"
            _notify(installment, _people(contract.holding_unit_id, Role.UNIT_CLERK), message)
            audit_record(user=None, role="system", action="rent_reminder", case=contract.case,
                         data={"contract": contract.pk, "installment": installment.sequence,
                               "due_on": str(installment.due_on), "owed": str(owed)})  # fmt: skip
            counts["reminded"] += 1

    # 欠缴通知: the same rule as the dashboard's 租金欠缴 (contracts.arrears.in_arrears_q).
    cutoff = arrears_cutoff(today, Policy.current().arrears_grace_working_days)
    late = open_installments.filter(in_arrears_q(cutoff), arrears_notified_at__isnull=True)
    for pk in late.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            if not _claimed(pk, "arrears_notified_at", now):
                continue
            installment = Installment.objects.select_related("contract__asset").get(pk=pk)
            contract = installment.contract
            owed = installment.amount - installment.paid
            _notify(installment, _people(contract.holding_unit_id, Role.UNIT_CLERK, Role.UNIT_HEAD),
                    f"租金欠缴：{_what(installment)}应于{cn_date(installment.due_on)}收取，宽限期已过仍欠{yuan(owed)}，"
                    "请督促承租方缴纳")  # fmt: skip
            audit_record(user=None, role="system", action="rent_arrears", case=contract.case,
                         data={"contract": contract.pk, "installment": installment.sequence,
                               "due_on": str(installment.due_on), "owed": str(owed)})  # fmt: skip
            counts["arrears"] += 1
    return counts
