"""The pages of the flow's human tasks. Each does form → step service → `activation.execute()` → redirect; a refusal
from the service comes back as an error on the form (HTTP 422), never as a half-done step."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.views import View
from viewflow.workflow.status import STATUS

from assets.models import Asset
from assets.services import attachment_add
from core.errors import refusals_on
from core.formatting import yuan
from core.http import client_ip

from . import forms
from .models import DisposalCase, DisposalMethod
from .nodes import case_url
from .selectors import case_dossier
from .services import (
    actor_for_task,
    case_close,
    case_confirm_remittance,
    case_finance_approve,
    case_finance_reject,
    case_propose,
    case_record_execution,
    case_reject,
    case_return,
    case_review,
    case_start_execution,
    case_submit,
    case_verify,
    task_claim,
    task_reassign,
    task_release,
)


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
        return super().dispatch(request, *args, **kwargs)

    def get_form(self):
        data = (self.request.POST, self.request.FILES) if self.request.method == "POST" else ()
        return self.form_class(*data, case=self.case)

    def get(self, request, *args, **kwargs):
        return self.render(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.render(form, status=422)
        actor = actor_for_task(user=request.user, task=self.task, ip=client_ip(request))
        with refusals_on(form), transaction.atomic():  # a refused step keeps none of the files uploaded with it
            evidence = self.store_evidence(form, actor)
            case = self.perform(actor, form, evidence)
        if form.errors:
            return self.render(form, status=422)
        # The gateways after this task read the case: hand them the one the service just saved.
        self.activation.process = self.activation.task.process = case
        self.activation.execute()
        messages.success(request, self.success_message)
        return HttpResponseRedirect(case_url(case.pk))

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
        context |= {
            "page_title": f"{self.task.flow_task.task_title}：{self.case.asset.code} {self.case.asset.name}",
            "form": form,
            "task": self.task,
            "submit_label": self.submit_label,
            "dossier": case_dossier(user=self.request.user, case=self.case) if self.shows_dossier else None,
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)


class SignOffView(CaseTaskView):
    form_class = forms.SignOffForm
    submit_label = "签发报送"
    success_message = "已签发，报送主管部门核查认定。"

    def perform(self, actor, form, evidence):
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

    def perform(self, actor, form, evidence):
        data = form.cleaned_data
        return case_propose(
            actor=actor, case=self.case, method=data["method"], summary=data["summary"],
            justification=data["justification"], receiving_unit=data["receiving_unit"], minutes=evidence,
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


class StartExecutionView(CaseTaskView):
    form_class = forms.HandoverForm
    submit_label = "开始执行"
    success_message = "已开始执行处置方案。"

    def perform(self, actor, form, evidence):
        record = form.record() if self.case.method == DisposalMethod.REALLOCATE else None
        note = form.cleaned_data["note"]
        return case_start_execution(actor=actor, case=self.case, record=record, note=note, evidence=evidence)


class ConfirmReceiptView(CaseTaskView):
    form_class = forms.ConfirmForm
    submit_label = "确认接收"
    success_message = "已确认接收，待财政销号。"

    def perform(self, actor, form, evidence):
        return case_record_execution(actor=actor, case=self.case, evidence=evidence, note=form.cleaned_data["note"])


class RecordResultView(CaseTaskView):
    form_class = forms.ResultForm
    submit_label = "登记执行结果"
    success_message = "执行结果已登记。"

    def perform(self, actor, form, evidence):
        return case_record_execution(
            actor=actor, case=self.case, record=form.record(), proceeds=form.proceeds(), evidence=evidence
        )


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
        return forms.ReassignForm(data, candidates=task.flow_task.candidates(task))

    def post(self, request, *args, **kwargs):
        task = request.activation.task
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render(form, status=422)
        actor = actor_for_task(user=request.user, task=task, ip=client_ip(request))
        with refusals_on(form):
            task_reassign(actor=actor, task=task, to=form.cleaned_data["to"])
            messages.success(request, f"已转办给{form.cleaned_data['to']}。")
            return HttpResponseRedirect(case_url(task.process_id))
        return self.render(form, status=422)

    def render(self, form, status=200):
        task = self.request.activation.task
        case = DisposalCase.objects.select_related("asset").get(pk=task.process_id)
        context = {"page_title": f"转办：{task.flow_task.task_title}", "form": form, "task": task, "case": case}
        return TemplateResponse(self.request, self.template_name, context, status=status)
