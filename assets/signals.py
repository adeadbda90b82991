"""What the apps below `workflows` announce for the audit trail. The trail (`workflows.AuditEvent`) is owned by
`workflows`, which depends on `assets` and `documents`, not the other way round; so these apps send `audit_requested`
and `workflows.signals` appends the event, inside the sender's transaction."""

from typing import Any

from django.dispatch import Signal

# kwargs: user, action, data, ip, organization, asset, subject (a model instance the event is about, e.g. a case)
audit_requested = Signal()


def audit_request(
    *,
    user: Any,
    action: str,
    data: dict,
    ip: str | None = None,
    organization: Any = None,
    asset: Any = None,
    subject: Any = None,
) -> None:
    """Asks for one event on the trail. Fails loudly when nothing records it: an unrecorded change is a defect."""
    responses = audit_requested.send(
        sender=None, user=user, action=action, data=data, ip=ip, organization=organization, asset=asset,
        subject=subject,
    )  # fmt: skip
    if not responses:
        raise RuntimeError("audit_requested has no receiver: is the workflows app installed?")
