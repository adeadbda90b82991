"""Reads of the 监督 pages: the trail a supervisor may search (who oversees what: assets.selectors)."""

from django.db.models import Q, QuerySet

from assets.models import Organization, User
from assets.selectors import supervision_scope
from audit.models import AuditEvent
from workflows.selectors import EVENT_RELATED, case_visibility_q
from workflows.trail import STEP_FILTERS

from .forms import TrailFilterForm


def trail_visible(*, user: User) -> QuerySet[AuditEvent]:
    """The events a user may read on the trail: all of them for county-wide roles; otherwise the events about the
    assets in their scope or the cases they may see (logins, exports and admin changes are the county's only)."""
    scope = supervision_scope(user)
    qs = AuditEvent.objects.select_related(*EVENT_RELATED)
    if scope is None:
        return qs.none()
    if scope.level == "county":
        return qs
    q = scope.asset_q(prefix="asset__")
    cases = case_visibility_q(user, prefix="case__")
    if cases is not None:
        q |= cases & Q(case__isnull=False)
    return qs.filter(q)


def trail_filtered(*, user: User, data) -> tuple[TrailFilterForm, QuerySet[AuditEvent]]:
    """The trail search; newest first. A wrong field shows its error and applies no filter of its own."""
    form = TrailFilterForm(
        data or None,
        organizations=Organization.objects.filter(is_active=True).order_by("kind", "name"),
        steps=[(key, label) for key, (label, _) in STEP_FILTERS.items()],
    )
    qs = trail_visible(user=user)
    f: dict = {}
    if form.is_bound:
        form.is_valid()
        f = form.cleaned_data
    if f.get("asset"):
        term = f["asset"].strip()
        qs = qs.filter(Q(asset__code__icontains=term) | Q(asset__name__icontains=term))
    if f.get("case"):
        qs = qs.filter(case_id=f["case"])
    if f.get("organization"):
        org = f["organization"]
        qs = qs.filter(Q(organization=org) | Q(asset__holding_unit=org))
    if f.get("person"):
        term = f["person"].strip()
        qs = qs.filter(
            Q(actor__username__icontains=term) | Q(actor__full_name__icontains=term)
            | Q(acting_for__username__icontains=term) | Q(acting_for__full_name__icontains=term)
        )  # fmt: skip
    if f.get("date_from"):
        qs = qs.filter(at__date__gte=f["date_from"])
    if f.get("date_to"):
        qs = qs.filter(at__date__lte=f["date_to"])
    if f.get("step"):
        qs = qs.filter(action__in=STEP_FILTERS[f["step"]][1])
    if f.get("method"):
        qs = qs.filter(case__method=f["method"])
    return form, qs.order_by("-seq")
