"""Task permissions as "role in organization" keys, so viewflow's queue scopes tasks per organization.

A human task carries `owner_permission = "panhuo.<role>@<organization id>"` (for example the lead department's
reviewers of one case). The backend below grants each user the keys of their own roles in their organization, and,
while a substitution is in force, those of the colleague they stand in for. viewflow's queue (`owner_permission IN
user.get_all_permissions()`) and its claim check (`user.has_perm(task.owner_permission)`) then see exactly the tasks
of the user's organization and role, with one indexed IN filter and no per-row work."""

from django.utils import timezone

from assets.models import Role, User

PREFIX = "panhuo."
# The roles the flow offers tasks to; supervisors and administrators hold none (they claim, name substitutes
# and apply for nothing).
TASK_ROLES = (Role.UNIT_CLERK, Role.UNIT_HEAD, Role.DEPT_REVIEWER, Role.FINANCE_APPROVER)


def role_key(role: str, organization_id: int) -> str:
    return f"{PREFIX}{role}@{organization_id}"


def parse_role_key(key: str | None) -> tuple[str, int] | None:
    if not key or not key.startswith(PREFIX) or "@" not in key:
        return None
    role, _, org = key[len(PREFIX) :].partition("@")
    return (role, int(org)) if org.isdigit() else None


def own_role_keys(user: User) -> set[str]:
    if not user.is_active or user.organization_id is None:
        return set()
    return {role_key(role, user.organization_id) for role in user.roles}


def principals_for(user: User, today=None) -> list[User]:
    """The user, then the colleagues whose substitute they are today (leave, DESIGN.md "Time")."""
    from .models import Substitution

    today = today or timezone.localdate()
    cover = (
        Substitution.objects.filter(substitute=user, starts_on__lte=today, ends_on__gte=today, user__is_active=True)
        .select_related("user__organization")
        .prefetch_related("user__groups")
    )
    return [user, *(s.user for s in cover)]


def role_keys(user: User) -> set[str]:
    """Every key the user may act on now: their own, and those of whom they substitute for."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_panhuo_role_keys", None)
    if cached is None:
        cached = set().union(*(own_role_keys(p) for p in principals_for(user)))
        user._panhuo_role_keys = cached
    return cached


def principal_for_key(user: User, key: str) -> User | None:
    """Whom the user acts for on a task with this key: themselves first, else the colleague they substitute."""
    for principal in principals_for(user):
        if key in own_role_keys(principal):
            return principal
    return None


class RoleInOrganizationBackend:
    """Authorization only (no authentication): answers for the "panhuo.<role>@<org>" keys."""

    def authenticate(self, request, **credentials):
        return None

    def get_all_permissions(self, user_obj, obj=None):
        return role_keys(user_obj) if obj is None else set()

    def has_perm(self, user_obj, perm, obj=None):
        return perm.startswith(PREFIX) and perm in role_keys(user_obj)


WITHDRAW_REFUSED = "只有资产持有单位（经办人或负责人）可以撤回处置事项。"


def may_withdraw(user: User, case) -> bool:
    """Who may withdraw a case: the holding unit's clerk or head (when, before the plan is submitted, is the FSM's
    `DisposalCase.withdraw`)."""
    return user.organization_id == case.holding_unit_id and user.has_role(Role.UNIT_CLERK, Role.UNIT_HEAD)
