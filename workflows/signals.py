"""Logins and failed logins go on the audit trail (DESIGN.md "Audit trail": every login is recorded)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .http import client_ip
from .models import AuditEvent


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
