"""The disposal flow: the human steps of DESIGN.md's path as viewflow tasks, each offered to one role of one
organization. A task's view calls exactly one step service (workflows.services), which fires the FSM transition;
the gateways below then read the case's new state to pick the next task."""

from django.urls import include, path
from viewflow import this
from viewflow.workflow import flow, lock

from assets.models import Role

from . import task_views as views
from .models import CaseState, DisposalCase, Step
from .nodes import CaseTask
from .services import handed_over


def _state(*states):
    # The gateway's activation may hold the case as loaded before the step; the task view hands it the fresh one.
    return lambda activation: activation.process.state in states


def _remittance_due(activation) -> bool:
    case = activation.process
    return case.state == CaseState.EXECUTED and bool(case.earns_money and case.amount_due)


class DisposalFlow(flow.Flow):
    """闲置低效资产盘活处置"""

    process_class = DisposalCase
    lock_impl = lock.select_for_update_lock
    process_title = "盘活处置事项"
    process_description = "申报 → 核查认定 → 处置方案 → 审批 → 执行 → 销号"
    process_summary_template = "{{ process.asset.code }} {{ process.asset.name }}"

    start = flow.StartHandle(this.start_case).Annotation(title="申报").Next(this.sign_off)

    sign_off = CaseTask(views.SignOffView, step=Step.SIGN_OFF, role=Role.UNIT_HEAD).Next(this.after_sign_off)
    after_sign_off = (
        flow.Switch()
        .Annotation(title="签发结果")
        .Case(this.verify, _state(CaseState.SUBMITTED))
        .Default(this.revise)  # still a draft: the head sent it back to the clerk with the reason
    )
    # 退回补正: the clerk who wrote the report corrects it; the head then signs it off again.
    revise = CaseTask(views.ReviseView, step=Step.REPORT, role=Role.UNIT_CLERK, title="补正申报").Next(this.sign_off)
    verify = CaseTask(views.VerifyView, step=Step.VERIFY, role=Role.DEPT_REVIEWER).Next(this.after_verify)
    after_verify = (
        flow.Switch()
        .Annotation(title="认定结果")
        .Case(this.plan, _state(CaseState.VERIFIED))
        .Case(this.revise, _state(CaseState.DRAFT))  # returned: to the unit's clerk with the reason
        .Default(this.rejected)
    )
    plan = CaseTask(views.PlanView, step=Step.PLAN, role=Role.UNIT_CLERK).Next(this.dept_review)
    dept_review = CaseTask(views.DeptReviewView, step=Step.DEPT_REVIEW, role=Role.DEPT_REVIEWER).Next(
        this.after_dept_review
    )
    after_dept_review = (
        flow.Switch()
        .Annotation(title="审核结果")
        .Case(this.finance_approve, _state(CaseState.PLAN_SUBMITTED))
        .Case(this.execute, _state(CaseState.PLAN_APPROVED))
        .Default(this.plan)
    )
    finance_approve = CaseTask(
        views.FinanceApproveView,
        step=Step.FINANCE_APPROVE,
        role=Role.FINANCE_APPROVER,
    ).Next(this.after_finance_approve)
    after_finance_approve = (
        flow.Switch()
        .Annotation(title="审批结果")
        .Case(this.execute, _state(CaseState.PLAN_APPROVED))
        .Case(this.rejected, _state(CaseState.REJECTED))  # 不予批准 ends the case like 不予认定
        .Default(this.plan)
    )
    # One step for every method but those whose receiving unit confirms receipt in a second one (调剂, 划转).
    execute = CaseTask(views.ExecuteView, step=Step.EXECUTE, role=Role.UNIT_CLERK).Next(this.after_execute)
    after_execute = (
        flow.Switch()
        .Annotation(title="盘活方式")
        .Case(this.confirm_receipt, lambda a: handed_over(a.process))  # 调剂, 划转: the receiving unit confirms
        .Default(this.after_result)
    )
    confirm_receipt = CaseTask(
        views.ConfirmReceiptView,
        step=Step.CONFIRM_RECEIPT,
        role=Role.UNIT_CLERK,
    ).Next(this.after_result)
    # Execution took two tasks before (执行处置, then 登记执行结果): a case whose result was still to record then
    # finishes here with the same page. No new case comes this way.
    record_result = CaseTask(
        views.ExecuteView,
        step=Step.EXECUTE,
        role=Role.UNIT_CLERK,
        title="登记执行结果",
    ).Next(this.after_result)
    after_result = (
        flow.Switch()
        .Annotation(title="执行结果")
        .Case(this.dept_review, _state(CaseState.PLAN_SUBMITTED))  # a bid below the floor: approve again
        .Case(this.confirm_remittance, _remittance_due)
        .Default(this.close)
    )
    confirm_remittance = CaseTask(
        views.ConfirmRemittanceView,
        step=Step.CONFIRM_REMITTANCE,
        role=Role.FINANCE_APPROVER,
    ).Next(this.close)
    close = CaseTask(views.CloseView, step=Step.CLOSE, role=Role.FINANCE_APPROVER).Next(this.end)
    rejected = flow.End().Annotation(title="不予认定")
    end = flow.End().Annotation(title="已销号")

    def start_case(self, activation, **fields):
        """Called by workflows.services.case_report: the case is filled in there and saved by the start."""
        for name, value in fields.items():
            setattr(activation.process, name, value)
        return activation.process

    def _get_urls(self):
        # Only the human tasks have pages. viewflow would also route detail/undo/cancel/revive pages for the
        # gateways, the start and the ends: administrative moves that bypass the step services, so none are served.
        urlpatterns = super(flow.Flow, self)._get_urls()
        for node in self.nodes():
            node.parent = self
            if isinstance(node, CaseTask):
                patterns, app_name, namespace = node.urls
                urlpatterns.append(path("", include((patterns, app_name), namespace=namespace)))
        return urlpatterns

    def has_view_permission(self, user, obj=None):
        # Per-case scoping happens in the selectors (a case of another organization is a 404, not a 403).
        from .selectors import case_is_visible

        if not user.is_authenticated or not user.is_active:
            return False
        if obj is None:
            return bool(user.roles) or user.is_superuser
        return case_is_visible(user=user, case=obj)

    def has_manage_permission(self, user, obj=None):
        # Cancelling, undoing or reviving tasks by hand would bypass the step services; nobody may.
        return False
