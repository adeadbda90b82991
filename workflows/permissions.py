"""Task permissions as "role in organization" keys, so viewflow's queue scopes tasks per organization.

A human task carries `owner_permission = "panhuo.<role>@<organization id>"` (for example the lead department's
reviewers of one case). The backend below grants each user the keys of their own roles in their organization.
viewflow's queue (`owner_permission IN user.get_all_permissions()`) and its claim check
(`user.has_perm(task.owner_permission)`) then see exactly the tasks of the user's organization and role, with one
indexed IN filter and no per-row work. A substitute must hold the role of the colleague they stand in for; they then
also finish the tasks that colleague had claimed."""

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


def substitute_roles(user: User, substitute: User) -> set[str]:
    """The task roles `substitute` may stand in for `user` in: those both hold, in the same organization.

    不相容岗位分离: a substitute acts only in a role they hold themselves (a unit head named for a department reviewer
    must not verify as that reviewer), so standing in never widens what the substitute may do, only whose claimed
    tasks they may finish."""
    if user.organization_id is None or user.organization_id != substitute.organization_id or not substitute.is_active:
        return set()
    return set(TASK_ROLES) & user.roles & substitute.roles


def covering(user: User, today=None) -> dict[int, tuple[User, frozenset[str]]]:
    """The colleagues the user stands in for today (leave, DESIGN.md "Time"), by id, each with the task keys the
    substitute covers (the roles both hold). Cached on the user object for the day: a page asks once per row."""
    from .models import Substitution

    today = today or timezone.localdate()
    cached = getattr(user, "_panhuo_covering", None)
    if cached is not None and cached[0] == today:
        return cached[1]
    found: dict[int, tuple[User, frozenset[str]]] = {}
    if getattr(user, "is_authenticated", False) and user.is_active:
        cover = (
            Substitution.objects.filter(substitute=user, starts_on__lte=today, ends_on__gte=today, user__is_active=True)
            .select_related("user__organization")
            .prefetch_related("user__groups")
        )
        for substitution in cover:
            colleague = substitution.user
            keys = frozenset(role_key(role, colleague.organization_id) for role in substitute_roles(colleague, user))
            if keys:
                found[colleague.pk] = (colleague, keys)
    user._panhuo_covering = (today, found)
    return found


def principals_for(user: User, today=None) -> list[User]:
    """The user, then the colleagues they stand in for today: whose cases they see while the colleague is away."""
    return [user, *(colleague for colleague, _keys in covering(user, today).values())]


def stands_in_for(user: User, task) -> User | None:
    """The absent colleague whose claimed task this is, when the user is their substitute today in its role."""
    if task.owner_id is None or task.owner_id == user.pk:
        return None
    colleague, keys = covering(user).get(task.owner_id, (None, frozenset()))
    return colleague if task.owner_permission in keys else None


def role_keys(user: User) -> set[str]:
    """Every key the user may act on: their own. A substitute holds the role themselves (`substitute_roles`), so
    standing in adds no key; it adds the colleague's claimed tasks (`stands_in_for`)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_panhuo_role_keys", None)
    if cached is None:
        cached = own_role_keys(user)
        user._panhuo_role_keys = cached
    return cached


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
