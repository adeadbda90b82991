"""`CaseTask`: a viewflow human task offered to one role of one organization, with its pages scoped per case.

Every task URL goes through `case_task_view`: a case the user may not see is a 404 (never a 403 that would confirm
it exists); a task already done answers with a message instead of an error; POSTs take the flow's row lock."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from viewflow.workflow import flow
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.status import STATUS

from assets.models import Role, User

from .models import OPEN_TASK_STATUSES, DisposalCase, Step
from .permissions import own_role_keys, parse_role_key, role_key, role_keys, stands_in_for
from .routing import holder_of


def case_url(case_pk: int) -> str:
    return reverse("cases:process_detail", args=[case_pk])


def is_manager_of(user: User, organization_id: int | None) -> bool:
    """单位负责人 of the organization a task belongs to: may release or hand on its members' tasks."""
    return (
        organization_id is not None
        and user.is_active
        and user.organization_id == organization_id
        and user.has_role(Role.UNIT_HEAD)
    )


def task_organization_id(task: Task) -> int | None:
    parsed = parse_role_key(task.owner_permission)
    return parsed[1] if parsed else None


class CaseTaskActivation(ViewActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        """The new task is offered to its organization's role, then given to one person where the choice is plain
        (workflows.services.task_assign_on_create)."""
        from .services import task_assign_on_create

        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        if prev_activation.task.flow_task_type != "START":  # case_report assigns the first task after its own event
            task_assign_on_create(task=activation.task, after=prev_activation.task)
        return activation


class CaseTask(flow.View):
    """A human step of the case: `role` at the organization that holds the step (workflows.routing.STEP_HOLDERS)."""

    activation_class = CaseTaskActivation
    # Cancel / undo / revive would move the process without the step services; they are not offered.
    cancel_view_class = undo_view_class = revive_view_class = None

    def __init__(self, view_class, *, step: str, role: str, title: str | None = None):
        organization = holder_of(step)
        super().__init__(view_class.as_view())
        self.step, self.role, self.organization_of = step, role, organization
        self.view_class = view_class
        self.Annotation(title=title or Step(step).label)
        self.Permission(lambda activation: role_key(role, organization(activation.process)))

    # -- who may do what (viewflow asks these; the queue itself filters on the same keys) ----------------------

    def can_assign(self, user, task) -> bool:
        return task.owner_id is None and task.status == STATUS.NEW and task.owner_permission in role_keys(user)

    def can_execute(self, user, task) -> bool:
        # The owner, or their substitute while they are away (请假代理 covers the tasks they had claimed).
        owned = task.owner_id == user.pk or stands_in_for(user, task) is not None
        return owned and task.owner_permission in role_keys(user)

    def can_unassign(self, user, task) -> bool:
        if task.owner_id is None or task.status != STATUS.ASSIGNED:
            return False
        return task.owner_id == user.pk or is_manager_of(user, task_organization_id(task))

    def can_reassign(self, user, task) -> bool:
        return task.status in (STATUS.NEW, STATUS.ASSIGNED) and is_manager_of(user, task_organization_id(task))

    def can_view(self, user, task) -> bool:
        return self.flow_class.instance.has_view_permission(user, task.process.coerced)

    def candidates(self, task) -> list[User]:
        """Who could be given this task: active users holding its key themselves."""
        parsed = parse_role_key(task.owner_permission)
        if parsed is None:
            return []
        role, org = parsed
        users = User.objects.filter(is_active=True, organization_id=org, groups__name=role).order_by("username")
        return [u for u in users.prefetch_related("groups") if task.owner_permission in own_role_keys(u)]

    # -- URLs --------------------------------------------------------------------------------------------------

    def _get_urls(self):
        from . import task_views

        prefix = f"<int:process_pk>/{self.name}/<int:task_pk>/"
        index = task_views.TaskIndexView.as_view()
        return [
            path(prefix, case_task_view(self, index, action="index"), name="index"),
            path(prefix + "detail/", case_task_view(self, index, action="index"), name="detail"),
            path(prefix + "assign/", case_task_view(self, task_views.TaskClaimView.as_view(), action="assign"),
                 name="assign"),
            path(prefix + "unassign/", case_task_view(self, task_views.TaskReleaseView.as_view(), action="unassign"),
                 name="unassign"),
            path(prefix + "reassign/", case_task_view(self, task_views.TaskReassignView.as_view(), action="reassign"),
                 name="reassign"),
            path(prefix + "execute/", case_task_view(self, self.view, action="execute"), name="execute"),
        ]  # fmt: skip


def _permission(node: CaseTask, action: str):
    return {
        "assign": node.can_assign,
        "unassign": node.can_unassign,
        "reassign": node.can_reassign,
        "execute": node.can_execute,
    }.get(action)


def case_task_view(node: CaseTask, view, *, action: str):
    def wrapped(request, process_pk: int, task_pk: int):
        from .selectors import case_is_visible

        task = Task.objects.filter(pk=task_pk, process_id=process_pk).select_related("process").first()
        case = DisposalCase.objects.filter(pk=process_pk).first()
        if task is None or case is None or task.flow_task != node or not case_is_visible(user=request.user, case=case):
            raise Http404("没有找到该任务。")
        if request.method != "POST":
            return _call(request, node, view, task, action)
        try:
            with node.flow_class.lock(process_pk), transaction.atomic():
                # Re-read under the lock: whoever held it before may have done this task meanwhile.
                task = Task.objects.select_related("process").get(pk=task_pk)
                return _call(request, node, view, task, action)
        except FlowLockFailed:
            messages.error(request, "该事项正由他人办理，请稍后刷新再试。")
            return HttpResponseRedirect(case_url(process_pk))

    wrapped.__name__ = f"{node.name}_{action}"
    return wrapped


def _call(request, node: CaseTask, view, task: Task, action: str):
    if action != "index" and task.status not in OPEN_TASK_STATUSES:
        messages.info(request, "该任务已经办理，无需重复提交。")
        return HttpResponseRedirect(case_url(task.process_id))
    claimed_by_a_colleague = task.owner_id is not None and task.owner_id != request.user.pk
    if action == "assign" and claimed_by_a_colleague and task.owner_permission in role_keys(request.user):
        messages.info(request, f"该任务已由{task.owner}认领。")
        return HttpResponseRedirect(case_url(task.process_id))
    if action == "assign" and task.owner_id == request.user.pk:
        # Assigned to them already (task_assign_on_create): claiming it again just opens it.
        messages.info(request, "该任务已在您的待办中，请办理。")
        return HttpResponseRedirect(node.reverse("execute", args=[task.process_id, task.pk]))
    request.activation = node.activation_class(task)
    allowed = _permission(node, action)
    if allowed is not None and not allowed(request.user, task):
        raise PermissionDenied("您无权办理该任务。")
    if action == "execute":
        request.activation.start(request)
    return view(request, process_pk=task.process_id, task_pk=task.pk)
