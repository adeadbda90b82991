"""Logins and failed logins go on the audit trail (DESIGN.md "Audit trail": every login is recorded), and so does
what `assets` and `documents` announce (exports, admin changes, documents issued)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from assets.http import client_ip
from assets.signals import audit_requested

from .models import AuditEvent, DisposalCase


@receiver(user_logged_in, dispatch_uid="panhuo_audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    AuditEvent.objects.create(
        actor=user, organization=user.organization, role=",".join(sorted(user.roles))[:24], action="login",
        data={"username": user.get_username()}, ip=client_ip(request),
    )  # fmt: skip


@receiver(user_login_failed, dispatch_uid="panhuo_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the name that was tried is kept, never the password.
    username = str(credentials.get("username", ""))[:150]
    AuditEvent.objects.create(actor=None, action="login_failed", data={"username": username}, ip=client_ip(request))


@receiver(audit_requested, dispatch_uid="panhuo_audit_requested")
def audit_requested_record(sender, user, action, data, ip, organization, asset, subject, **kwargs) -> None:
    from .services import audit_record

    case = subject if isinstance(subject, DisposalCase) else None
    audit_record(user=user, action=action, data=data, ip=ip, case=case, asset=asset, organization=organization)
