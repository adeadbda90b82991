"""The 合同 pages: the list of contracts one may see, a contract's page (terms, schedule, payments), and its two
writes. Thin: visibility from contracts.selectors (another organization's contract is a 404), writes through one
service each (the wrong role is a 403)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from assets.models import Role
from core.errors import refusals_on
from core.http import client_ip
from workflows.services import FINANCE_KINDS, actor_for

from .forms import ConfirmForm, PaymentForm
from .models import Contract, Payment
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


def _page(request, contract: Contract, *, payment_form=None, confirm_forms=None, status=200):
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
    }
    return TemplateResponse(request, "contracts/contract_detail.html", context, status=status)


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


urlpatterns = [
    path("<int:pk>/", ContractDetailView.as_view(), name="detail"),
    path("<int:pk>/payments/", PaymentRecordView.as_view(), name="payment_record"),
    path("<int:pk>/payments/<int:payment>/confirm/", PaymentConfirmView.as_view(), name="payment_confirm"),
]
