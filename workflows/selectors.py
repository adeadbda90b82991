"""Reads that decide who sees which cases and tasks; every case list, case page, task page and inbox goes through
here, so one unit never sees another's case."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import Organization, OrganizationKind, Role, User, led_by_q

from .forms import TrailFilterForm
from .models import OPEN_TASK_STATUSES, AuditEvent, CaseState, DisposalCase, Notification
from .permissions import principals_for, role_keys
from .trail import STEP_FILTERS

# Roles that read every case of the county (finance approves and closes, supervisors audit, admin runs it).
COUNTY_WIDE_ROLES = (Role.FINANCE_APPROVER, Role.SUPERVISOR, Role.ADMIN)


def case_visibility_q(user: User, *, prefix: str = "") -> Q | None:
    """A filter for the cases this user (or whom they substitute for) may see, or None for all of them."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    for principal in principals_for(user):
        if principal.has_role(*COUNTY_WIDE_ROLES):
            return None
        org = principal.organization_id
        if org is None:
            continue
        if principal.has_role(Role.UNIT_CLERK, Role.UNIT_HEAD):
            q |= Q(**{f"{prefix}holding_unit_id": org}) | Q(**{f"{prefix}receiving_unit_id": org})
        if principal.has_role(Role.DEPT_REVIEWER, Role.UNIT_HEAD):
            q |= Q(**{f"{prefix}verifying_department_id": org})
    return q


def case_may_withdraw(*, user: User, case: DisposalCase) -> bool:
    """The holding unit (clerk or head) may withdraw while the FSM allows it (before the plan is submitted)."""
    return (
        user.organization_id == case.holding_unit_id
        and user.has_role(Role.UNIT_CLERK, Role.UNIT_HEAD)
        and case.withdraw._django_fsm.has_transition(case.state)
    )


def case_list_visible(*, user: User) -> QuerySet[DisposalCase]:
    qs = DisposalCase.objects.select_related("asset__category", "holding_unit", "verifying_department")
    q = case_visibility_q(user)
    return qs if q is None else qs.filter(q)


def case_is_visible(*, user: User, case: DisposalCase) -> bool:
    q = case_visibility_q(user)
    return q is None or DisposalCase.objects.filter(q, pk=case.pk).exists()


def _task_rows(qs: QuerySet[Task]) -> QuerySet[Task]:
    # Every task of the flow has its case: the filter makes the join an inner one, so the due-date index can
    # drive the ordering instead of sorting every open task of the organization.
    return qs.filter(flow_task_type="HUMAN", process__disposalcase__isnull=False).select_related(
        "owner",
        "process__disposalcase__asset",
        "process__disposalcase__holding_unit",
    )


def task_inbox(*, user: User) -> QuerySet[Task]:
    """Tasks the user has claimed (or that were assigned to them), soonest deadline first."""
    qs = Task.objects.filter(owner=user, status__in=(STATUS.ASSIGNED, STATUS.STARTED))
    return _task_rows(qs).order_by("process__disposalcase__step_due_on", "created", "pk")


def task_queue(*, user: User) -> QuerySet[Task]:
    """Unclaimed tasks of the user's organization and role (and of whom they substitute for)."""
    keys = role_keys(user)
    qs = Task.objects.filter(status=STATUS.NEW, owner_permission__in=keys) if keys else Task.objects.none()
    return _task_rows(qs).order_by("process__disposalcase__step_due_on", "created", "pk")


def task_archive(*, user: User) -> QuerySet[Task]:
    qs = Task.objects.filter(owner=user, status=STATUS.DONE)
    return _task_rows(qs).order_by("-finished", "-pk")


def tasks_open_of_case(case: DisposalCase) -> QuerySet[Task]:
    qs = Task.objects.filter(process_id=case.pk, flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES)
    return qs.select_related("owner").order_by("pk")


def board_listings(*, today=None) -> QuerySet[DisposalCase]:
    """Verified assets on the 调剂 board while their publication window is open (调剂优先, seed 000)."""
    today = today or timezone.localdate()
    return (
        DisposalCase.objects.filter(state=CaseState.VERIFIED, listed_until__gte=today)
        .select_related("asset__category", "asset__subtype", "holding_unit")
        .order_by("listed_until", "pk")
    )


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# -- supervision --------------------------------------------------------------------------------------------------

# Organizations that lead categories: a department head sees the dashboards of the categories it leads.
DEPARTMENT_KINDS = (OrganizationKind.INDUSTRY_DEPARTMENT, OrganizationKind.ASSET_CENTER)


@dataclass(frozen=True)
class SupervisionScope:
    """What a user's dashboards, reports, trails and archives cover: the county, the categories one department
    leads, or one holding unit's own assets (issue 5, §4: 各部门负责人只看本部门牵头的类别，单位只看本单位)."""

    level: str  # "county", "department" or "unit"
    organization: Organization | None = None

    @property
    def label(self) -> str:
        return "全县" if self.organization is None else self.organization.name

    def asset_q(self, *, prefix: str = "") -> Q | None:
        """A filter for the assets in scope (under `prefix`, e.g. "asset__"), or None for all of them."""
        if self.level == "county":
            return None
        if self.level == "department":
            return led_by_q(self.organization.pk, prefix=prefix)
        return Q(**{f"{prefix}holding_unit_id": self.organization.pk})


def supervision_scope_required(user: User) -> SupervisionScope:
    """The user's scope for a 监督 page, or 403 for someone whose roles give them none."""
    scope = supervision_scope(user)
    if scope is None:
        raise PermissionDenied("您没有查看监督页面（调度看板、审计轨迹、资产档案）的权限。")
    return scope


def supervision_scope(user: User) -> SupervisionScope | None:
    """The widest scope the user's roles give, or None when they have no supervision pages at all."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.has_role(*COUNTY_WIDE_ROLES):
        return SupervisionScope("county")
    org = user.organization
    if org is None:
        return None
    if org.kind in DEPARTMENT_KINDS and user.has_role(Role.DEPT_REVIEWER, Role.UNIT_HEAD):
        return SupervisionScope("department", org)
    if user.has_role(Role.UNIT_CLERK, Role.UNIT_HEAD):
        return SupervisionScope("unit", org)
    return None


# -- the trail ----------------------------------------------------------------------------------------------------

EVENT_RELATED = ("actor", "acting_for", "organization", "case__asset", "asset")


def events_of_case(case: DisposalCase) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(case=case).select_related(*EVENT_RELATED).order_by("seq")


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
