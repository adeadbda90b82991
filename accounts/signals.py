"""Logins, failed logins and lockouts go on the audit trail (DESIGN.md "Audit trail": every login is recorded)."""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from core.http import client_ip


@receiver(user_logged_in, dispatch_uid="panhuo_audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    audit_record(
        user=user, role=",".join(sorted(user.roles)), action="login", data={"username": user.get_username()},
        ip=client_ip(request),
    )  # fmt: skip


def _first_in_window(action: str, *, username: str, ip: str | None) -> bool:
    """Whether the trail has no `action` for this name and address within the lockout window. Repeated failures are
    coalesced: one event per account and address per window, however many guesses (axes counts each of them), so a
    script guessing passwords cannot grow the chained trail at will."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return not AuditEvent.objects.filter(action=action, at__gte=since, ip=ip, data__username=username).exists()


@receiver(user_login_failed, dispatch_uid="panhuo_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the name that was tried is kept, never the password.
    username = str(credentials.get("username", ""))[:150]
    ip = client_ip(request)
    if _first_in_window("login_failed", username=username, ip=ip):
        audit_record(user=None, action="login_failed", data={"username": username}, ip=ip)


@receiver(user_locked_out, dispatch_uid="panhuo_audit_login_locked")
def audit_login_locked(sender, request, username, ip_address, **kwargs) -> None:
    """An account or an address locked out after repeated failures (django-axes): once per window."""
    username = str(username or "")[:150]
    ip = client_ip(request) or ip_address
    if _first_in_window("login_locked", username=username, ip=ip):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        audit_record(
            user=None, action="login_locked", ip=ip,
            data={"username": username, "failures": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        )  # fmt: skip
