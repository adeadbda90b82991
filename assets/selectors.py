"""Reads that decide who sees which assets; every list, detail, export and download goes through here."""

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from .forms import SORTS, LedgerFilterForm
from .models import Asset, AttachmentKind, Organization, OrganizationKind, Role, User, led_by_q

# Roles that read the whole county's register (DESIGN.md: finance approves, supervisors audit, admin runs it).
COUNTY_WIDE_ROLES = (Role.FINANCE_APPROVER, Role.SUPERVISOR, Role.ADMIN)
# Organizations that lead categories: a department head sees the ledger and dashboards of the categories it leads.
DEPARTMENT_KINDS = (OrganizationKind.INDUSTRY_DEPARTMENT, OrganizationKind.ASSET_CENTER)


def asset_visibility_q(user: User) -> Q | None:
    """A filter for the assets this user may see, or None for the whole register."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.has_role(*COUNTY_WIDE_ROLES):
        return None
    if user.organization_id is None:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    if user.has_role(Role.UNIT_CLERK, Role.UNIT_HEAD):
        q |= Q(holding_unit_id=user.organization_id)
    if user.has_role(Role.DEPT_REVIEWER) or (
        user.has_role(Role.UNIT_HEAD) and user.organization.kind in DEPARTMENT_KINDS
    ):
        # The categories (or 公益性资产 sub-types) this department leads; its head reads what his reviewers
        # review (issue 12 §4), and, like them, edits nothing (asset_can_edit asks for the holding unit's clerk).
        q |= led_by_q(user.organization_id)
    return q


def asset_list_visible(*, user: User) -> QuerySet[Asset]:
    qs = Asset.objects.select_related("category", "subtype", "holding_unit")
    q = asset_visibility_q(user)
    return qs if q is None else qs.filter(q)


def asset_can_edit(*, user: User, asset: Asset) -> bool:
    # Only the holding unit's clerk keeps its ledger; supervisors, reviewers and finance never edit rows.
    return (
        user.is_active
        and user.has_role(Role.UNIT_CLERK)
        and user.organization_id == asset.holding_unit_id
        and asset.is_editable
    )


def user_can_import(*, user: User) -> bool:
    """Ledger workbooks are imported by a unit's clerk, or by an administrator for any unit."""
    return user.is_active and user.has_role(Role.UNIT_CLERK, Role.ADMIN)


def asset_can_attach(*, user: User, asset: Asset, kind: str | None = None) -> bool:
    """Evidence goes on an asset's file from its holding unit's clerk; the lead department's reviewer adds only
    the 核查记录 it verifies with (认定 needs the department's 核查记录, seed 000 一(三)2)."""
    if not user.is_active or user.organization_id is None:
        return False
    if user.has_role(Role.UNIT_CLERK) and user.organization_id == asset.holding_unit_id:
        return True
    return (
        kind == AttachmentKind.VERIFICATION_RECORD
        and user.has_role(Role.DEPT_REVIEWER)
        and user.organization_id == asset.lead_department.pk
    )


def units_user_may_register_for(*, user: User) -> QuerySet[Organization]:
    """Organizations whose ledger this user may add to: a clerk's own unit; an administrator's, any."""
    if user.has_role(Role.ADMIN):
        return Organization.objects.filter(is_active=True)
    if user.has_role(Role.UNIT_CLERK) and user.organization_id:
        return Organization.objects.filter(pk=user.organization_id, is_active=True)
    return Organization.objects.none()


def asset_list_filtered(*, user: User, data) -> tuple[LedgerFilterForm, QuerySet[Asset]]:
    """The ledger as the list page and the export show it: scoped to the user, then filtered and sorted."""
    visible = asset_list_visible(user=user)
    units = Organization.objects.filter(pk__in=visible.values("holding_unit")).order_by("name")
    form = LedgerFilterForm(data or None, units=units)
    qs = visible
    # Each valid field applies even when another is wrong; the page shows the wrong one's error.
    f: dict = {}
    if form.is_bound:
        form.is_valid()  # fills cleaned_data with the fields that are valid
        f = form.cleaned_data
    if f.get("q"):
        term = f["q"].strip()
        qs = qs.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(address__icontains=term))
    if f.get("category"):
        qs = qs.filter(category=f["category"])
    if f.get("unit"):
        qs = qs.filter(holding_unit=f["unit"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("usage"):
        qs = qs.filter(usage_status=f["usage"])
    if f.get("idle_months") is not None:
        cutoff: datetime.date = timezone.localdate() - relativedelta(months=f["idle_months"])
        qs = qs.filter(idle_since__isnull=False, idle_since__lt=cutoff)
    qs = qs.order_by(SORTS.get(f.get("sort") or "code", "code"), "pk")
    return form, qs


# -- supervision scope: what a user oversees ---------------------------------------------------------------------


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
