"""The 合同 pages: the list of contracts one may see, a contract's page (terms, schedule, payments, its end and
renewal, its documents), and its writes. Thin: visibility from contracts.selectors (another organization's contract
is a 404), writes through one service each (the wrong role is a 403)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from assets.models import Role
from core.errors import refusals_on
from core.http import as_download, client_ip, stored_file_problem
from core.storage import StoredFileError
from documents.models import DocumentStatus
from documents.services import document_pdf, documents_of
from workflows.services import FINANCE_KINDS, actor_for

from .endings import (
    contract_return,
    contract_terminate,
    renewal_approve,
    renewal_request,
    renewal_return,
    renewal_route,
)
from .forms import ConfirmForm, PaymentForm, RenewalDecisionForm, RenewalForm, ReturnForm, TerminateForm
from .models import OPEN_RENEWAL_STATES, Contract, ContractRenewal, ContractState, Payment, RenewalState
from .selectors import contract_payments, contract_schedule, contracts_visible
from .services import payment_confirm, payment_record


def _contract_or_404(user, pk: int) -> Contract:
    contract = contracts_visible(user=user).filter(pk=pk).first()
    if contract is None:
        raise Http404("没有找到该合同。")
    return contract


def _may_record(user, contract: Contract) -> bool:
    return user.has_role(Role.UNIT_CLERK) and user.organization_id == contract.holding_unit_id


def _may_confirm(user) -> bool:
    org = user.organization
    return user.has_role(Role.FINANCE_APPROVER) and org is not None and org.kind in FINANCE_KINDS


def _may_decide(user, renewal: ContractRenewal) -> bool:
    """Whether the user holds the step the renewal waits at: its department's reviewer, then finance."""
    if renewal.state == RenewalState.DEPT_REVIEW:
        return user.has_role(Role.DEPT_REVIEWER) and user.organization_id == renewal.department_id
    return renewal.state == RenewalState.FINANCE_REVIEW and _may_confirm(user)


def _page(request, contract: Contract, *, payment_form=None, confirm_forms=None, status=200, **end_forms):
    user = request.user
    schedule = contract_schedule(contract, today=timezone.localdate())
    open_installments = [r["installment"] for r in schedule["rows"] if r["open"]]
    may_record = _may_record(user, contract) and bool(open_installments) and contract.state == "active"
    payments = list(contract_payments(contract))
    confirm_forms = confirm_forms or {}
    may_confirm = _may_confirm(user)
    rows = [
        {"payment": p, "confirm_form": confirm_forms.get(p.pk) or ConfirmForm(prefix=f"p{p.pk}")
         if may_confirm and p.confirmed_at is None and p.recorded_by_id != user.pk else None}
        for p in payments
    ]  # fmt: skip
    context = {
        "page_title": f"合同 {contract}：{contract.asset.code} {contract.asset.name}",
        "contract": contract,
        "case": contract.case,
        "asset": contract.asset,
        "schedule": schedule,
        "payments": rows,
        "payment_form": (payment_form or PaymentForm(installments=open_installments)) if may_record else None,
        **_end_context(user, contract, end_forms),
    }
    return TemplateResponse(request, "contracts/contract_detail.html", context, status=status)


def _end_context(user, contract: Contract, forms: dict) -> dict:
    """The contract's end on its page: how it ended, its renewals and versions, its documents; and for the unit's
    clerk the three ending forms while it runs, for whoever holds the open renewal's step its decision."""
    active = contract.state == ContractState.ACTIVE and not contract.awaits_closing
    renewals = list(
        contract.renewals.select_related(
            "requested_by", "reviewed_by", "decided_by", "department", "minutes", "renewed"
        )
    )
    pending = next((r for r in renewals if r.state in OPEN_RENEWAL_STATES), None)
    clerk = _may_record(user, contract) and active
    asks = clerk and pending is None and contract.ends_on
    decides = active and pending is not None and _may_decide(user, pending) and pending.requested_by_id != user.pk
    context = {
        "end": getattr(contract, "end", None),
        "renewals": renewals,
        "pending_renewal": pending,
        "versions": list(Contract.objects.filter(case=contract.case).order_by("version")),
        "documents": documents_of(contract).order_by("requested_at", "pk"),
        # A refused submit shows its form with the refusal, even where the form would not be offered now.
        "return_form": forms.get("return_form") or (ReturnForm(prefix="ret") if clerk else None),
        "terminate_form": forms.get("terminate_form") or (TerminateForm(prefix="end") if clerk else None),
        "renewal_form": forms.get("renewal_form")
        or (RenewalForm(prefix="ren", route_text=_route_text(contract)) if asks else None),
        "decision_form": (forms.get("decision_form") or RenewalDecisionForm(prefix="apr")) if decides else None,
    }
    pk = contract.pk
    context["end_forms"] = [
        (form, title, reverse(f"contracts:{name}", args=[pk]), anchor, button, multipart)
        for form, title, name, anchor, button, multipart in (
            (context["return_form"], "到期收回", "return", "return-form", "确认收回", True),
            (context["terminate_form"], "提前终止", "terminate", "terminate-form", "确认终止并收回", True),
            (context["renewal_form"], "申请续签", "renewal_request", "renewal-form", "提交续签申请", True),
        )
        if form is not None
    ]
    return context


def _route_text(contract: Contract) -> str:
    """The route a renewal would take now, told to the clerk before asking (the request takes it again)."""
    return ContractRenewal(routing=renewal_route(contract), department=contract.asset.lead_department).route_text


class ContractListView(View):
    def get(self, request):
        qs = contracts_visible(user=request.user).order_by("-starts_on", "-pk")
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        context = {"page_title": "合同与收款", "page": page, "contracts": page.object_list}
        return TemplateResponse(request, "contracts/contract_list.html", context)


class ContractDetailView(View):
    def get(self, request, pk: int):
        return _page(request, _contract_or_404(request.user, pk))


class PaymentRecordView(View):
    def post(self, request, pk: int):
        contract = _contract_or_404(request.user, pk)
        if not _may_record(request.user, contract):
            raise PermissionDenied("只有资产持有单位的经办人可以登记收款。")
        installments = list(contract.installments.all())
        form = PaymentForm(request.POST, request.FILES, installments=installments)
        if form.is_valid():
            data = form.cleaned_data
            installment = next(i for i in installments if i.pk == data["installment"])
            with refusals_on(form), transaction.atomic():
                payment_record(
                    actor=actor_for(user=request.user, ip=client_ip(request)), installment=installment,
                    amount=data["amount"], paid_on=data["paid_on"], receipt_no=data["receipt_no"],
                    evidence=data["evidence"],
                )  # fmt: skip
                messages.success(
                    request, f"已登记第{installment.sequence}期收款 {data['amount']:,.2f} 元，待财政确认上缴。"
                )
                return HttpResponseRedirect(reverse("contracts:detail", args=[contract.pk]) + "#payments")
        return _page(request, contract, payment_form=form, status=422)


class PaymentConfirmView(View):
    def post(self, request, pk: int, payment: int):
        contract = _contract_or_404(request.user, pk)
        found = Payment.objects.filter(pk=payment, installment__contract=contract).first()
        if found is None:
            raise Http404("没有找到该笔收款。")
        if not _may_confirm(request.user):
            raise PermissionDenied("只有财政审批人可以确认收款上缴。")
        form = ConfirmForm(request.POST, prefix=f"p{found.pk}")
        if form.is_valid():
            with refusals_on(form), transaction.atomic():
                payment_confirm(
                    actor=actor_for(user=request.user, ip=client_ip(request)), payment=found,
                    nontax_receipt_no=form.cleaned_data["nontax_receipt_no"],
                )  # fmt: skip
                messages.success(request, f"已确认收款 {found.receipt_no} 上缴国库。")
                return HttpResponseRedirect(reverse("contracts:detail", args=[contract.pk]) + "#payments")
        return _page(request, contract, confirm_forms={found.pk: form}, status=422)


def _clerk_or_403(request, pk: int, what: str) -> Contract:
    contract = _contract_or_404(request.user, pk)
    if not _may_record(request.user, contract):
        raise PermissionDenied(f"只有资产持有单位的经办人可以{what}。")
    return contract


def _ending_fields(data: dict) -> dict:
    return {"condition": data["condition"], "outcome": data["outcome"], "idle_reason": data["idle_reason"],
            "evidence": data["evidence"]}  # fmt: skip


class ContractReturnView(View):
    def post(self, request, pk: int):
        contract = _clerk_or_403(request, pk, "办理资产收回")
        form = ReturnForm(request.POST, request.FILES, prefix="ret")
        if form.is_valid():
            data = form.cleaned_data
            with refusals_on(form), transaction.atomic():
                contract_return(
                    actor=actor_for(user=request.user, ip=client_ip(request)), contract=contract,
                    returned_on=data["returned_on"], **_ending_fields(data),
                )  # fmt: skip
                messages.success(request, f"合同 {contract} 已到期收回，资产已回到本单位台账。")
                return HttpResponseRedirect(reverse("contracts:detail", args=[contract.pk]) + "#end")
        return _page(request, contract, return_form=form, status=422)


class ContractTerminateView(View):
    def post(self, request, pk: int):
        contract = _clerk_or_403(request, pk, "办理合同提前终止")
        form = TerminateForm(request.POST, request.FILES, prefix="end")
        if form.is_valid():
            data = form.cleaned_data
            with refusals_on(form), transaction.atomic():
                contract_terminate(
                    actor=actor_for(user=request.user, ip=client_ip(request)), contract=contract,
                    terminated_on=data["returned_on"], reason=data["termination_reason"],
                    settlement=data["settlement"], deposit_outcome=data["deposit_outcome"], **_ending_fields(data),
                )  # fmt: skip
                messages.success(request, f"合同 {contract} 已提前终止，资产已回到本单位台账。")
                return HttpResponseRedirect(reverse("contracts:detail", args=[contract.pk]) + "#end")
        return _page(request, contract, terminate_form=form, status=422)


class RenewalRequestView(View):
    def post(self, request, pk: int):
        contract = _clerk_or_403(request, pk, "申请续签")
        form = RenewalForm(request.POST, request.FILES, prefix="ren")
        if form.is_valid():
            data = form.cleaned_data
            with refusals_on(form), transaction.atomic():
                renewal = renewal_request(
                    actor=actor_for(user=request.user, ip=client_ip(request)), contract=contract, **data
                )
                messages.success(request, f"已提交合同 {contract} 的续签申请，待{renewal.department}审核。")
                return HttpResponseRedirect(reverse("contracts:detail", args=[contract.pk]) + "#end")
        return _page(request, contract, renewal_form=form, status=422)


class _RenewalDecisionView(View):
    """A step's decision on the renewal the contract waits on: only whoever holds that step (403 otherwise)."""

    def post(self, request, pk: int, renewal: int):
        contract = _contract_or_404(request.user, pk)
        found = ContractRenewal.objects.filter(pk=renewal, contract=contract).first()
        if found is None:
            raise Http404("没有找到该续签申请。")
        if not _may_decide(request.user, found):
            if found.state == RenewalState.DEPT_REVIEW:
                raise PermissionDenied(f"该续签申请待{found.department}审核，只有其主管部门审核人可以审核。")
            if found.state == RenewalState.FINANCE_REVIEW:
                raise PermissionDenied("只有财政审批人可以审批续签。")
            raise PermissionDenied(f"该续签申请{found.get_state_display()}，不能再审核。")
        form = RenewalDecisionForm(request.POST, prefix="apr")
        if form.is_valid():
            with refusals_on(form), transaction.atomic():
                actor = actor_for(user=request.user, ip=client_ip(request))
                return self.decide(request, actor, contract, found, form.cleaned_data["opinion"])
        return _page(request, contract, decision_form=form, status=422)


class RenewalApproveView(_RenewalDecisionView):
    def decide(self, request, actor, contract, renewal, opinion):
        renewal = renewal_approve(actor=actor, renewal=renewal, opinion=opinion)
        if renewal.renewed is None:
            messages.success(request, "已审核同意续签，待财政审批。")
            return HttpResponseRedirect(reverse("contracts:detail", args=[contract.pk]) + "#end")
        renewed = renewal.renewed
        messages.success(request, f"已批准续签，生成合同 {renewed}（第{renewed.version}版）及其收款计划。")
        return HttpResponseRedirect(reverse("contracts:detail", args=[renewed.pk]))


class RenewalReturnView(_RenewalDecisionView):
    def decide(self, request, actor, contract, renewal, opinion):
        renewal_return(actor=actor, renewal=renewal, reason=opinion)
        messages.success(request, f"已退回合同 {contract} 的续签申请，经办人可修改后重新申请。")
        return HttpResponseRedirect(reverse("contracts:detail", args=[contract.pk]) + "#end")


def contract_document(request, pk: int, uuid):
    """A contract's signed document (收回确认单, 提前终止备案表, 续签备案表), for those who see the contract."""
    contract = _contract_or_404(request.user, pk)
    document = get_object_or_404(documents_of(contract), uuid=uuid, status=DocumentStatus.ISSUED)
    try:
        pdf = document_pdf(document)
    except StoredFileError as exc:
        return stored_file_problem(request, exc, "文书")
    response = HttpResponse(pdf, content_type="application/pdf")
    return as_download(response, f"{document.number}{document.title}.pdf", f"document-{document.uuid}.pdf")


urlpatterns = [
    path("<int:pk>/", ContractDetailView.as_view(), name="detail"),
    path("<int:pk>/payments/", PaymentRecordView.as_view(), name="payment_record"),
    path("<int:pk>/payments/<int:payment>/confirm/", PaymentConfirmView.as_view(), name="payment_confirm"),
    path("<int:pk>/return/", ContractReturnView.as_view(), name="return"),
    path("<int:pk>/terminate/", ContractTerminateView.as_view(), name="terminate"),
    path("<int:pk>/renewals/", RenewalRequestView.as_view(), name="renewal_request"),
    path("<int:pk>/renewals/<int:renewal>/approve/", RenewalApproveView.as_view(), name="renewal_approve"),
    path("<int:pk>/renewals/<int:renewal>/return/", RenewalReturnView.as_view(), name="renewal_return"),
    path("<int:pk>/documents/<uuid:uuid>/", contract_document, name="document"),
]
