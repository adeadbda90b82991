"""The one writer of the trail. Every app appends its events here, in its own transaction: a step of a case, a task
claimed, a ledger row written, an import committed, a file uploaded, a document issued, an admin change, a login."""

from typing import Any

from core.data import jsonable

from .models import AuditEvent


def audit_record(
    *,
    user: Any,
    action: str,
    data: dict | None = None,
    ip: str | None = None,
    case: Any = None,
    asset: Any = None,
    role: str = "",
    organization: Any = None,
    acting_for: Any = None,
    states: tuple[str, str] | None = None,
    subject: Any = None,
) -> AuditEvent:
    """Appends one event to the chain. `user` is who acted (None for the system), `acting_for` whom they stood in
    for; `organization` defaults to the principal's. `case` is a disposal case (its asset and state are taken from it
    unless given); `states` is (from, to) for a step, else the case's state both ways. `data` says what, with the
    values before and after where something changed; values are stored as JSON (decimals and dates as text, rows by
    id and name). `subject` is the row a document hangs from: a case becomes the event's case, another (a report)
    stays in `data`."""
    if case is None and isinstance(subject, AuditEvent._meta.get_field("case").related_model):
        case = subject
    principal = acting_for or user
    if organization is None and principal is not None:
        organization = getattr(principal, "organization", None)
    if states is None:
        states = (case.state, case.state) if case is not None else ("", "")
    asset_id = getattr(asset, "pk", asset) if asset is not None else getattr(case, "asset_id", None)
    return AuditEvent.objects.create(
        actor=user, acting_for=acting_for, organization=organization, role=role[:24], action=action, case=case,
        asset_id=asset_id, from_state=states[0], to_state=states[1], data=jsonable(data or {}), ip=ip,
    )  # fmt: skip
