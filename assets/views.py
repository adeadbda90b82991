"""Thin views of the register: each reads through selectors and writes through one service."""

import logging
from datetime import UTC, datetime

from csp.constants import SELF
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views import View
from django.views.generic import TemplateView

from core.errors import refusals_on
from core.http import client_ip, stored_file_problem
from core.storage import StoredFileError, stored_check

from .forms import AssetForm, AttachmentForm
from .models import Asset, AssetAttachment
from .selectors import (
    asset_can_attach,
    asset_can_edit,
    asset_list_filtered,
    asset_list_visible,
    units_user_may_register_for,
    user_can_import,
)
from .services import asset_create, asset_update, attachment_add

logger = logging.getLogger(__name__)


def _register_url(name: str, *args) -> str:
    return reverse(f"register:{name}", args=args)


def _asset_detail_response(request, asset: Asset, *, attachment_form=None, status=200) -> TemplateResponse:
    user = request.user
    may_upload = asset_can_attach(user=user, asset=asset)
    context = {
        "page_title": f"{asset.code} {asset.name}",
        "asset": asset,
        "attachments": asset.attachments.select_related("uploaded_by"),
        "can_edit": asset_can_edit(user=user, asset=asset),
        "may_upload": may_upload,
        "attachment_form": attachment_form or (AttachmentForm() if may_upload else None),
    }
    return TemplateResponse(request, "assets/asset_detail.html", context, status=status)


class AssetListView(TemplateView):
    template_name = "assets/asset_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        form, qs = asset_list_filtered(user=user, data=self.request.GET)
        totals = qs.order_by().aggregate(count=Count("pk"), original_value=Sum("original_value"), area=Sum("area_m2"))
        page = Paginator(qs, settings.PANHUO["LEDGER_PAGE_SIZE"]).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        current = (form.cleaned_data.get("sort") if form.is_valid() else "") or "code"
        columns = ("code", "name", "unit", "original_value", "area", "idle_since")
        return {
            **super().get_context_data(**kwargs),
            "page_title": "资产台账",
            "filter_form": form,
            "page_obj": page,
            "totals": totals,
            "query": params.urlencode(),
            "current_sort": current,
            # A click sorts by the column; a second click reverses it.
            "sort_next": {c: f"-{c}" if current == c else c for c in columns},
            "sort_mark": {c: " ↑" if current == c else " ↓" if current == f"-{c}" else "" for c in columns},
            "can_add": units_user_may_register_for(user=user).exists(),
            "can_import": user_can_import(user=user),
        }


class AssetDetailView(View):
    def get(self, request, pk):
        return _asset_detail_response(request, get_object_or_404(asset_list_visible(user=request.user), pk=pk))


class AssetCreateView(View):
    template_name = "assets/asset_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.units = units_user_may_register_for(user=request.user)
        if not self.units.exists():
            raise PermissionDenied("只有单位经办人可以登记资产。")
        return super().dispatch(request, *args, **kwargs)

    def render(self, form, status=200):
        return TemplateResponse(
            self.request, self.template_name, {"form": form, "page_title": "登记资产"}, status=status
        )

    def get(self, request):
        return self.render(AssetForm(units=self.units))

    def post(self, request):
        form = AssetForm(request.POST, units=self.units)
        if form.is_valid():
            with refusals_on(form):
                asset = asset_create(user=request.user, asset=form.save(commit=False), ip=client_ip(request))
                messages.success(request, f"已登记资产 {asset.code} {asset.name}。")
                return redirect(_register_url("detail", asset.pk))
        return self.render(form, status=422)


class AssetUpdateView(View):
    template_name = "assets/asset_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.asset = get_object_or_404(asset_list_visible(user=request.user), pk=kwargs["pk"])
        if not asset_can_edit(user=request.user, asset=self.asset):
            raise PermissionDenied("无权修改该资产。")
        return super().dispatch(request, *args, **kwargs)

    def render(self, form, loaded_at, status=200):
        context = {"form": form, "asset": self.asset, "loaded_at": loaded_at, "page_title": f"修改 {self.asset.code}"}
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        units = units_user_may_register_for(user=request.user)
        return self.render(AssetForm(instance=self.asset, units=units), self.asset.updated_at.isoformat())

    def post(self, request, pk):
        units = units_user_may_register_for(user=request.user)
        loaded_at_raw = request.POST.get("loaded_at", "")
        form = AssetForm(request.POST, instance=self.asset, units=units)
        if form.is_valid():
            with refusals_on(form):
                asset_update(
                    user=request.user, asset=form.save(commit=False), loaded_at=_loaded_at(loaded_at_raw),
                    ip=client_ip(request),
                )  # fmt: skip
                messages.success(request, "已保存修改。")
                return redirect(_register_url("detail", pk))
        return self.render(form, loaded_at_raw, status=422)


def _loaded_at(raw: str):
    """When the form was loaded; anything unreadable counts as stale, never as "skip the check"."""
    try:
        parsed = parse_datetime(raw)
    except ValueError:
        parsed = None
    return parsed or datetime.min.replace(tzinfo=UTC)


class AttachmentUploadView(View):
    def post(self, request, pk):
        asset = get_object_or_404(asset_list_visible(user=request.user), pk=pk)
        if not asset_can_attach(user=request.user, asset=asset):
            raise PermissionDenied("只有持有单位的经办人可以上传佐证材料。")
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            with refusals_on(form):
                attachment_add(
                    ip=client_ip(request),
                    user=request.user,
                    asset=asset,
                    upload=form.cleaned_data["file"],
                    kind=form.cleaned_data["kind"],
                    description=form.cleaned_data["description"],
                )
                messages.success(request, f"已上传“{form.cleaned_data['file'].name}”。")
                return redirect(_register_url("detail", pk))
        return _asset_detail_response(request, asset, attachment_form=form, status=422)


def attachment_download(request, pk):
    attachment = get_object_or_404(AssetAttachment.objects.select_related("asset"), pk=pk)
    if not asset_list_visible(user=request.user).filter(pk=attachment.asset_id).exists():
        raise Http404
    try:
        stored_check(attachment.file, attachment.sha256)
    except StoredFileError as exc:
        logger.error("attachment %s: %s", attachment.pk, exc)
        return stored_file_problem(request, exc, "佐证材料")
    # A PDF or image (checked by content on upload) may be shown inside this site's own pages, e.g. the approver's
    # form (issue 12 §2); every other file is only ever a download.
    inline = request.GET.get("inline") == "1" and attachment.content_type in INLINE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    if inline:
        response["X-Frame-Options"] = "SAMEORIGIN"
        response._csp_replace = {"frame-ancestors": [SELF]}
    return response


INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")
