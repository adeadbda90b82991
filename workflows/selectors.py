"""Reads that decide who sees which cases and tasks; every case list, case page, task page and inbox goes through
here, so one unit never sees another's case."""

from django.db.models import F, Func, IntegerField, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import AssetAttachment, AssetStatus, Role, User
from assets.selectors import COUNTY_WIDE_ROLES
from audit.models import AuditEvent

from .models import (
    OPEN_TASK_STATUSES,
    CaseState,
    DisposalCase,
    Notification,
    ReallocationApplication,
    SavedTaskView,
    on_board,
)
from .permissions import TASK_ROLES, covering, may_withdraw, principals_for, role_key, role_keys


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
    return may_withdraw(user, case) and case.withdraw._django_fsm.has_transition(case.state)


def follow_up_pending(case: DisposalCase) -> bool:
    """The case's method follows the asset up after 销号 (延长动工期限, 安排临时使用) and the asset is still as 销号
    left it: 已盘活 under this case, no case opened on it since, no 跟进核查 yet (the dashboard raises it once its
    date passes)."""
    spec = case.spec
    return (
        spec is not None
        and bool(spec.follow_up_field)
        and case.state == CaseState.CLOSED
        and case.asset.status == AssetStatus.REVITALIZED
        and not DisposalCase.objects.filter(asset_id=case.asset_id, pk__gt=case.pk).exists()
    )


def case_may_follow_up(*, user: User, case: DisposalCase) -> bool:
    """跟进核查 is the lead department's, which verified the land in the first place (its reviewers)."""
    return (
        user.has_role(Role.DEPT_REVIEWER)
        and user.organization_id == case.verifying_department_id
        and follow_up_pending(case)
    )


def case_list_visible(*, user: User) -> QuerySet[DisposalCase]:
    qs = DisposalCase.objects.select_related("asset__category", "holding_unit", "verifying_department")
    q = case_visibility_q(user)
    return qs if q is None else qs.filter(q)


def case_is_visible(*, user: User, case: DisposalCase) -> bool:
    q = case_visibility_q(user)
    return q is None or DisposalCase.objects.filter(q, pk=case.pk).exists()


# What a task list's row shows and its buttons decide on: the rest of the four rows (the tasks' and processes' JSON
# data, the case's texts and routing, the asset's file) stays in the database. A filtered list sorts all its
# matches before it cuts a page, so every column left out is one less to carry through the sort.
TASK_ROW_FIELDS = (
    "flow_task", "flow_task_type", "status", "created", "finished", "owner_id", "owner_permission", "process_id",
    "process__disposalcase__step_due_on", "process__disposalcase__asset_id",
    "process__disposalcase__holding_unit_id", "process__disposalcase__asset__code",
    "process__disposalcase__asset__name", "process__disposalcase__holding_unit__name",
    # The FSM fields are read as each row is built (django-fsm keeps their value, protected): deferred, each
    # would cost a query a row.
    "process__disposalcase__state", "process__disposalcase__asset__status",
)  # fmt: skip
TASK_OWNER_FIELDS = ("owner__username", "owner__full_name", "owner__is_active", "owner__organization_id")


def _task_rows(qs: QuerySet[Task], *, owner: bool = False) -> QuerySet[Task]:
    """The rows of a task list, with what they show; `owner` for the lists that name who holds each task (the
    others are the user's own tasks or nobody's yet, and skip the join)."""
    # Every task of the flow has its case: the filter makes the join an inner one, so the due-date index can
    # drive the ordering instead of sorting every open task of the organization.
    related = ["process__disposalcase__asset", "process__disposalcase__holding_unit"]
    fields = TASK_ROW_FIELDS + (TASK_OWNER_FIELDS if owner else ())
    return (
        qs.filter(flow_task_type="HUMAN", process__disposalcase__isnull=False)
        .select_related(*related, *(["owner"] if owner else []))
        .only(*fields)
    )


def _inbox_tasks(user: User) -> QuerySet[Task]:
    mine = Q(owner=user)
    for colleague_id, (_colleague, keys) in covering(user).items():
        mine |= Q(owner_id=colleague_id, owner_permission__in=keys)
    return Task.objects.filter(mine, status__in=(STATUS.ASSIGNED, STATUS.STARTED), flow_task_type="HUMAN")


def _queue_tasks(user: User) -> QuerySet[Task]:
    keys = role_keys(user)
    if not keys:
        return Task.objects.none()
    return Task.objects.filter(status=STATUS.NEW, owner_permission__in=keys, flow_task_type="HUMAN")


def task_inbox(*, user: User) -> QuerySet[Task]:
    """Tasks the user has claimed (or that were assigned to them), and those the colleagues they stand in for today
    had claimed, in the roles the user holds too (请假代理); soonest deadline first."""
    return _task_rows(_inbox_tasks(user)).order_by("process__disposalcase__step_due_on", "created", "pk")


def task_queue(*, user: User) -> QuerySet[Task]:
    """Unclaimed tasks of the user's organization and roles."""
    return _task_rows(_queue_tasks(user)).order_by("process__disposalcase__step_due_on", "created", "pk")


def task_archive(*, user: User) -> QuerySet[Task]:
    qs = Task.objects.filter(owner=user, status=STATUS.DONE)
    return _task_rows(qs).order_by("-finished", "-pk")


def team_organization(user: User):
    """The organization whose open work a head sees (本单位在办): the unit head's own organization, or None."""
    if not user.is_authenticated or not user.is_active or user.organization_id is None:
        return None
    return user.organization if user.has_role(Role.UNIT_HEAD) else None


def task_team(*, user: User) -> QuerySet[Task]:
    """The open tasks of the head's organization, in every task role (a department head sees what his reviewers hold
    and what waits in their queue; issue 12 §4); overdue first, then the soonest deadline. Read only: acting on them
    still goes by each task's own permission."""
    org = team_organization(user)
    if org is None:
        return Task.objects.none()
    keys = [role_key(role, org.pk) for role in TASK_ROLES]
    qs = Task.objects.filter(status__in=OPEN_TASK_STATUSES, owner_permission__in=keys)
    return _task_rows(qs, owner=True).order_by(
        F("process__disposalcase__step_due_on").asc(nulls_last=True), "created", "pk"
    )


def saved_views_for(*, user: User, page: str) -> QuerySet[SavedTaskView]:
    """The user's own saved views of a list, and those colleagues of the same organization shared."""
    mine = Q(owner=user)
    if user.organization_id is not None:
        mine |= Q(organization_id=user.organization_id, shared=True)
    return SavedTaskView.objects.filter(mine, page=page).select_related("owner").order_by("name", "pk")


def tasks_open_of_case(case: DisposalCase) -> QuerySet[Task]:
    qs = Task.objects.filter(process_id=case.pk, flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES)
    return qs.select_related("owner").order_by("pk")


def board_listings(*, today=None) -> QuerySet[DisposalCase]:
    """Assets on the 调剂 board for their whole publication window, whatever step the case is at (调剂优先, seed 000
    二(八)2), until the asset is 调剂'd or the case ends."""
    today = today or timezone.localdate()
    return (
        DisposalCase.objects.filter(on_board(today))
        .select_related("asset__category", "asset__subtype", "holding_unit")
        .order_by("listed_until", "pk")
    )


def board_asset_photos(case: DisposalCase) -> QuerySet[AssetAttachment]:
    """The listed asset's images, which an applying unit may see inline."""
    return case.asset.attachments.filter(content_type__startswith="image/").order_by("pk")


def board_asset_contacts(case: DisposalCase) -> QuerySet[User]:
    """Whom an applying unit can call: the holding unit's clerks, as the ledger has them."""
    return User.objects.filter(
        is_active=True, organization_id=case.holding_unit_id, groups__name=Role.UNIT_CLERK
    ).order_by("username")


def board_applications_of(*, user: User) -> QuerySet[ReallocationApplication]:
    """我的申请: the applications of the user's organization, newest first."""
    if user.organization_id is None:
        return ReallocationApplication.objects.none()
    return (
        ReallocationApplication.objects.filter(unit_id=user.organization_id)
        .select_related("case__asset", "case__holding_unit", "case__receiving_unit", "applicant")
        .order_by("-applied_at", "-pk")
    )


def board_application_status(application: ReallocationApplication) -> str:
    """Where an application stands, in the words of 我的申请."""
    case = application.case
    if application.withdrawn_at is not None:
        return "已撤回"
    if case.receiving_unit_id == application.unit_id:
        return "已调入本单位" if case.state == CaseState.CLOSED else "已选定本单位为调入单位"
    if case.state == CaseState.VERIFIED:
        return "公示中，待持有单位选定" if case.board_window_open() else "公示期已满，待持有单位拟定方案"
    if case.state in (CaseState.WITHDRAWN, CaseState.REJECTED) or case.method:
        return "未获选定"
    return case.get_state_display()


def board_may_withdraw(user: User, application: ReallocationApplication) -> bool:
    """The applying unit's clerk may withdraw while the window runs and before the unit is chosen."""
    return (
        user.has_role(Role.UNIT_CLERK)
        and user.organization_id == application.unit_id
        and application.withdrawn_at is None
        and application.case.receiving_unit_id != application.unit_id
        and application.case.on_board()
    )


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def _count(qs: QuerySet) -> Coalesce:
    # COUNT(*) as a plain function, not an aggregate: the subquery is one row, with no GROUP BY, and reads no column,
    # so PostgreSQL counts from the (partial) index alone. An empty queryset (no task role) compiles to NULL.
    count = Func(template="COUNT(*)", output_field=IntegerField())
    return Coalesce(Subquery(qs.order_by().annotate(n=count).values("n")), 0)


def menu_counts(*, user: User) -> dict[str, int]:
    """The menu's figures, on every page of 待办 and on the home page: the inbox, the queue and the unread
    notifications, the same counts as their lists, in one query."""
    if not user.is_authenticated:
        return {"inbox_count": 0, "queue_count": 0, "unread_count": 0}
    # The tasks alone, from their partial index (0020_inbox_indexes): the lists' join to the cases only orders
    # them, as every process of the one flow is a case (DisposalFlow.process_class); joined, a reviewer's 2,400
    # queued tasks cost two lookups each, on every page.
    counts = User.objects.filter(pk=user.pk).values(
        inbox_count=_count(_inbox_tasks(user)),
        queue_count=_count(_queue_tasks(user)),
        unread_count=_count(Notification.objects.filter(user=user, read_at__isnull=True)),
    )
    return counts.get()


# -- the trail ----------------------------------------------------------------------------------------------------

EVENT_RELATED = ("actor", "acting_for", "organization", "case__asset", "asset")


def events_of_case(case: DisposalCase) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(case=case).select_related(*EVENT_RELATED).order_by("seq")


# -- what an approver sees on the step's page ------------------------------------------------------------------

# Shown inline on the step's page (the file view serves these for same-origin framing); others are download links.
PREVIEW_KINDS = {"application/pdf": "pdf", "image/jpeg": "image", "image/png": "image"}
OPINION_KEYS = ("opinion", "reason", "note")


def case_dossier(*, user: User, case: DisposalCase) -> dict:
    """What a step's form shows of the case: its files, its documents, the earlier opinions, the execution record
    and the routing basis; only for someone who may see the case."""
    from documents.services import documents_of

    from .services import STEP_EVENTS
    from .trail import event_label

    if not case_is_visible(user=user, case=case):
        raise DisposalCase.DoesNotExist
    linked = list(case.evidence.select_related("attachment").order_by("pk"))
    linked_ids = {e.attachment_id for e in linked}
    files = [{"attachment": e.attachment, "source": e.get_step_display()} for e in linked]
    others = case.asset.attachments.exclude(pk__in=linked_ids).order_by("pk")
    files += [{"attachment": a, "source": "资产档案"} for a in others]
    for row in files:
        row["preview"] = PREVIEW_KINDS.get(row["attachment"].content_type, "")
    opinions = [
        {"event": e, "label": event_label(e.action, method=case.method), "text": text}
        for e in events_of_case(case).filter(action__in=STEP_EVENTS)
        if (text := next((e.data[k] for k in OPINION_KEYS if e.data.get(k)), ""))
    ]
    return {
        "files": files,
        "documents": documents_of(case).order_by("requested_at", "pk"),
        "opinions": opinions,
        "execution": case.execution_or_none(),
        "routing": case.routing or {},
    }
