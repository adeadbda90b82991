"""The pages of the flow's human tasks. Each does form → step service → `activation.execute()` → redirect; a refusal
from the service comes back as an error on the form (HTTP 422), never as a half-done step, and the files chosen for it
stay staged for the next submit (workflows.staging). Rework opens prefilled: a returned plan's form holds the plan as
it was submitted, and every rework form says why it came back."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.views import View
from viewflow.workflow.status import STATUS

from assets.models import Asset
from assets.services import attachment_add
from audit.models import AuditEvent
from core.errors import refusals_on
from core.formatting import yuan
from core.http import client_ip

from . import forms
from .models import CaseState, DisposalCase, Step, reallocation_window_respected
from .nodes import case_url
from .selectors import case_dossier
from .services import (
    actor_for_task,
    case_close,
    case_confirm_remittance,
    case_execute,
    case_finance_approve,
    case_finance_reject,
    case_head_return,
    case_propose,
    case_record_execution,
    case_reject,
    case_return,
    case_review,
    case_revise,
    case_start_execution,
    case_submit,
    case_verify,
    handed_over,
    plan_hints,
    plan_term_rows,
    reapproval_figures,
    task_claim,
    task_reassign,
    task_release,
)
from .staging import UNSTAGE, Staging

# The trail's actions that send a case back for rework (退回补正 of a report, 退回修改 of a plan).
RETURN_ACTIONS = ("return", "return_plan")


def last_return(case: DisposalCase) -> AuditEvent | None:
    """Who sent the case back last, when, and from which organization."""
    events = AuditEvent.objects.filter(case=case, action__in=RETURN_ACTIONS).select_related("actor", "organization")
    return events.order_by("-seq").first()


def plan_as_submitted(case: DisposalCase) -> dict:
    """The returned plan as its form's initial values: what the proposal recorded on the trail (so a field the plan
    form gains is prefilled too), over it what the case holds."""
    event = AuditEvent.objects.filter(case=case, action="propose").order_by("-seq").first()
    recorded = {
        name: value["id"] if isinstance(value, dict) and "id" in value else value
        for name, value in (event.data if event else {}).items()
    }
    held = {
        "method": case.method, "summary": case.plan_summary, "justification": case.justification,
        "receiving_unit": case.receiving_unit_id,
        **({"named_unit": case.receiving_unit_id} if case.spec and case.spec.receiver else {}),
        **{n: case.plan_term(n) for n in (case.spec.plan_terms if case.spec else ()) if case.plan_term(n)},
    }  # fmt: skip
    return recorded | held


class CaseTaskView(View):
    """GET shows the case and the step's form; POST runs the step's service and moves the flow on."""

    form_class: type[forms.StepForm] = forms.StepForm
    template_name = "workflows/task_form.html"
    submit_label = "提交"
    success_message = "已办理。"
    shows_dossier = False  # the approvers' steps show what they approve (issue 12 §2)

    def dispatch(self, request, *args, **kwargs):
        self.activation = request.activation
        self.task = self.activation.task
        self.case = DisposalCase.objects.select_related(
            "asset__category", "asset__subtype", "holding_unit", "verifying_department", "receiving_unit"
        ).get(pk=self.task.process_id)
        self.staging = Staging(user=request.user, scope=f"task:{self.task.pk}")
        return super().dispatch(request, *args, **kwargs)

    def initial(self) -> dict:
        """What the form opens with (a rework form: what was submitted before)."""
        return {}

    def get_form(self):
        data = (self.request.POST, self.request.FILES) if self.request.method == "POST" else ()
        if data:
            self.staging.discard(self.request.POST.getlist(UNSTAGE))
        return self.form_class(*data, case=self.case, initial=self.initial() | self.staging.initial())

    def get(self, request, *args, **kwargs):
        return self.render(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            actor = actor_for_task(user=request.user, task=self.task, ip=client_ip(request))
            with refusals_on(form), transaction.atomic():  # a refused step keeps none of the files uploaded with it
                evidence = self.store_evidence(form, actor)
                case = self.perform(actor, form, evidence)
        if form.errors:
            self.staging.keep(form, request.FILES)
            return self.render(form, status=422)
        self.staging.done()
        # The gateways after this task read the case: hand them the one the service just saved.
        self.activation.process = self.activation.task.process = case
        self.activation.execute()
        messages.success(request, self.success_message)
        self.say_where_next(case)
        return HttpResponseRedirect(case_url(case.pk))

    def say_where_next(self, case) -> None:
        from .selectors import tasks_open_of_case

        for task in tasks_open_of_case(case).filter(owner=self.request.user):
            messages.info(self.request, f"下一环节“{task.flow_task.task_title}”已在您的待办中。")

    def store_evidence(self, form, actor) -> list:
        asset = Asset.objects.select_related("category", "subtype").get(pk=self.case.asset_id)
        return [
            attachment_add(
                user=actor.user, asset=asset, upload=f, kind=kind, on_behalf_of=actor.acting_for, ip=actor.ip
            )
            for kind, f in form.evidence()
        ]

    def perform(self, actor, form, evidence) -> DisposalCase:
        raise NotImplementedError

    def render(self, form, status: int = 200):
        from .views import case_context

        context = case_context(self.request, self.case)
        self.staging.show(form)
        context |= {
            "page_title": f"{self.task.flow_task.task_title}：{self.case.asset.code} {self.case.asset.name}",
            "form": form,
            "task": self.task,
            "submit_label": self.submit_label,
            "returned": self.returned(),
            "staging_problems": self.staging.problems,
            "dossier": case_dossier(user=self.request.user, case=self.case) if self.shows_dossier else None,
            **self.plan_context(),
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def returned(self) -> dict | None:
        """Why this task is rework, for the top of its form: None for a first pass."""
        return None

    def plan_context(self) -> dict:
        """What an approver of the plan reads above the form: its key terms, the 提示 of rules near their limit, and
        why the plan is back if execution sent it back for approval (issue 12 §1.2–1.4)."""
        if self.task.flow_task.step not in (Step.DEPT_REVIEW, Step.FINANCE_APPROVE):
            return {}
        return {
            "plan_terms": plan_term_rows(self.case),
            "plan_hints": plan_hints(self.case),
            "reapproval_reasons": self.case.reapproval_reasons if self.case.execution_or_none() else [],
            "reapproval_figures": reapproval_figures(self.case),
        }

    def returned_with(self, step: str) -> dict:
        """The last return of the case, and the evidence the earlier pass at `step` linked (kept unless replaced)."""
        return {
            "event": last_return(self.case),
            "reason": self.case.returned_reason,
            "kept": self.case.evidence.filter(step=step).select_related("attachment").order_by("pk"),
        }


class ReviseView(CaseTaskView):
    """补正申报: the clerk corrects the returned report, which opens as it was reported."""

    form_class = forms.ReviseForm
    submit_label = "提交补正"
    success_message = "申报已补正，待本单位负责人签发。"

    def initial(self):
        return {"basis": self.case.basis, "statement": self.case.statement}

    def returned(self):
        return self.returned_with(Step.REPORT)

    def perform(self, actor, form, evidence):
        data = form.cleaned_data
        return case_revise(
            actor=actor, case=self.case, basis=data["basis"], statement=data["statement"], evidence=evidence
        )


class SignOffView(CaseTaskView):
    form_class = forms.SignOffForm
    submit_label = "签发报送"
    success_message = "已签发，报送主管部门核查认定。"

    def perform(self, actor, form, evidence):
        if form.cleaned_data["decision"] == "return":
            self.success_message = "已退回经办人补正申报。"
            return case_head_return(actor=actor, case=self.case, reason=form.cleaned_data["opinion"])
        return case_submit(actor=actor, case=self.case, opinion=form.cleaned_data["opinion"])


class VerifyView(CaseTaskView):
    shows_dossier = True
    form_class = forms.VerifyForm
    success_message = "核查认定意见已提交。"

    def perform(self, actor, form, evidence):
        decision, opinion = form.cleaned_data["decision"], form.cleaned_data["opinion"]
        if decision == "verify":
            return case_verify(actor=actor, case=self.case, opinion=opinion, records=evidence)
        if decision == "return":
            return case_return(actor=actor, case=self.case, reason=opinion)
        return case_reject(actor=actor, case=self.case, reason=opinion)


class PlanView(CaseTaskView):
    form_class = forms.PlanForm
    submit_label = "提交处置方案"
    success_message = "处置方案已提交审核。"

    def rework(self) -> bool:
        # A verified case that has a method had a plan submitted, and it came back (退回修改).
        return self.case.state == CaseState.VERIFIED and bool(self.case.method)

    def initial(self):
        return plan_as_submitted(self.case) if self.rework() else {}

    def returned(self):
        return self.returned_with(Step.PLAN) if self.rework() else None

    def plan_context(self) -> dict:
        # While the 调剂 window runs, the clerk is told before filling the form what the plan may be (the rule's own
        # message: 调剂 to an applicant only, the rest after the window).
        if not self.case.board_window_open():
            return {}
        return {"notices": [reallocation_window_respected.message(self.case)]}

    def perform(self, actor, form, evidence):
        data = form.cleaned_data
        return case_propose(
            actor=actor, case=self.case, method=data["method"], summary=data["summary"],
            justification=data["justification"], receiving_unit=form.receiver(), minutes=evidence,
            terms=form.terms(),
        )  # fmt: skip


class DeptReviewView(CaseTaskView):
    shows_dossier = True
    form_class = forms.ReviewForm
    success_message = "审核意见已提交。"

    def perform(self, actor, form, evidence):
        data = form.cleaned_data
        return case_review(actor=actor, case=self.case, approve=data["decision"] == "approve", opinion=data["opinion"])


class FinanceApproveView(CaseTaskView):
    shows_dossier = True
    form_class = forms.FinanceForm
    success_message = "审批意见已提交。"

    def perform(self, actor, form, evidence):
        data = form.cleaned_data
        if data["decision"] == "reject":
            return case_finance_reject(actor=actor, case=self.case, reason=data["opinion"])
        approve = data["decision"] == "approve"
        return case_finance_approve(actor=actor, case=self.case, approve=approve, opinion=data["opinion"])


class ExecuteView(CaseTaskView):
    """执行处置: 调剂 records the handover (the receiving unit confirms receipt next); the other methods record the
    result, the money and its evidence in this one step."""

    @property
    def handover(self) -> bool:
        return handed_over(self.case)

    @property
    def form_class(self):
        return forms.HandoverForm if self.handover else forms.ExecutionForm

    @property
    def submit_label(self):
        return "开始执行" if self.handover else "登记执行结果"

    @property
    def success_message(self):
        return "已开始执行处置方案。" if self.handover else "执行结果已登记。"

    def perform(self, actor, form, evidence):
        note = form.cleaned_data["note"]
        if self.handover:
            return case_start_execution(actor=actor, case=self.case, record=form.record(), note=note, evidence=evidence)
        return case_execute(
            actor=actor, case=self.case, record=form.record(), proceeds=form.proceeds(), evidence=evidence, note=note
        )


class ConfirmReceiptView(CaseTaskView):
    form_class = forms.ConfirmForm
    submit_label = "确认接收"
    success_message = "已确认接收，待财政销号。"

    def get_form(self):
        form = super().get_form()
        # The box says what the receiving unit takes over: the handover the holding unit recorded.
        record = self.case.execution_or_none()
        listed = record.value("handover_list") if record else ""
        form.fields[
            "confirm"
        ].label = f"本人确认：本单位已接收{self.case.asset.name}{f'（交接清单：{listed}）' if listed else ''}。"
        return form

    def perform(self, actor, form, evidence):
        return case_record_execution(actor=actor, case=self.case, evidence=evidence, note=form.cleaned_data["note"])


class ConfirmRemittanceView(CaseTaskView):
    shows_dossier = True
    form_class = forms.ConfirmForm
    submit_label = "确认已上缴国库"
    success_message = "已确认收入上缴。"

    def get_form(self):
        form = super().get_form()
        # The box says what is being confirmed, from the case's own recorded figures.
        form.fields["confirm"].label = (
            f"本人确认：已收到并上缴国库 {yuan(self.case.amount_remitted)}，"
            f"缴款凭证号 {self.case.remittance_receipt_no or '（未登记）'}。"
        )
        return form

    def perform(self, actor, form, evidence):
        return case_confirm_remittance(actor=actor, case=self.case, note=form.cleaned_data["note"])


class CloseView(CaseTaskView):
    shows_dossier = True
    form_class = forms.ConfirmForm
    submit_label = "销号"
    success_message = "已销号，资产台账已更新。"

    def perform(self, actor, form, evidence):
        return case_close(actor=actor, case=self.case, note=form.cleaned_data["note"])


# -- claiming ------------------------------------------------------------------------------------------------------


class TaskIndexView(View):
    """A task's own address: its form for the owner, otherwise the case page where its actions are."""

    def get(self, request, *args, **kwargs):
        activation = request.activation
        task, node = activation.task, activation.flow_task
        if node.can_execute(request.user, task) and task.status == STATUS.ASSIGNED:
            return HttpResponseRedirect(node.reverse("execute", args=[task.process_id, task.pk]))
        return HttpResponseRedirect(case_url(task.process_id) + "#tasks")


class TaskClaimView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponseRedirect(case_url(request.activation.task.process_id) + "#tasks")

    def post(self, request, *args, **kwargs):
        task = request.activation.task
        task_claim(actor=actor_for_task(user=request.user, task=task, ip=client_ip(request)), task=task)
        messages.success(request, f"已认领“{task.flow_task.task_title}”，请办理。")
        return HttpResponseRedirect(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))


class TaskReleaseView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponseRedirect(case_url(request.activation.task.process_id) + "#tasks")

    def post(self, request, *args, **kwargs):
        task = request.activation.task
        task_release(actor=actor_for_task(user=request.user, task=task, ip=client_ip(request)), task=task)
        messages.success(request, "任务已退回本单位待认领。")
        return HttpResponseRedirect(case_url(task.process_id))


class TaskReassignView(View):
    template_name = "workflows/task_reassign.html"

    def get(self, request, *args, **kwargs):
        return self.render(self.form())

    def form(self, data=None):
        task = self.request.activation.task
        return forms.ReassignForm(data, candidates=task.flow_task.candidates(task), holder=task.owner)

    def post(self, request, *args, **kwargs):
        task = request.activation.task
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render(form, status=422)
        actor = actor_for_task(user=request.user, task=task, ip=client_ip(request))
        with refusals_on(form):
            task_reassign(actor=actor, task=task, to=form.cleaned_data["to"], reason=form.cleaned_data["reason"])
            messages.success(request, f"已转办给{form.cleaned_data['to']}。")
            return HttpResponseRedirect(case_url(task.process_id))
        return self.render(form, status=422)

    def render(self, form, status=200):
        task = self.request.activation.task
        case = DisposalCase.objects.select_related("asset").get(pk=task.process_id)
        context = {"page_title": f"转办：{task.flow_task.task_title}", "form": form, "task": task, "case": case}
        return TemplateResponse(self.request, self.template_name, context, status=status)
