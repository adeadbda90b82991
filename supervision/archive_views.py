"""资产档案 (一资产一档案): one asset's package downloaded at once, bulk packages built by a job with a progress page;
thin views over supervision.archive, each limited to the user's supervision scope."""

import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from assets.models import Asset, Category, Organization
from assets.selectors import SupervisionScope, supervision_scope_required
from audit.services import audit_record
from core.forms import Form
from core.http import as_download, client_ip

from .archive import ArchiveError, archive_batch_request, archive_write, file_sha256, safe_name
from .models import ArchiveBatch, ArchiveScope, JobStatus

ASSETS_PER_PAGE = 20
RECENT_BATCHES = 20
QUARTERS = [(1, "第一季度"), (2, "第二季度"), (3, "第三季度"), (4, "第四季度")]


def _assets_in(scope: SupervisionScope):
    q = scope.asset_q()
    qs = Asset.objects.all()
    return qs if q is None else qs.filter(q)


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)


# -- the page ------------------------------------------------------------------------------------------------------


class ArchiveBatchForm(Form):
    scope = forms.ChoiceField(
        label="导出范围", choices=ArchiveScope.choices, widget=forms.RadioSelect,
        error_messages={"required": "请选择导出范围：按单位、按类别或按季度。", "invalid_choice": "导出范围无效。"},
    )  # fmt: skip
    unit = forms.ModelChoiceField(
        label="持有单位", queryset=Organization.objects.none(), required=False, empty_label="（请选择）",
        error_messages={"invalid_choice": "所选单位不在您的查看范围内。"},
    )  # fmt: skip
    category = forms.ModelChoiceField(
        label="资产类别", queryset=Category.objects.none(), required=False, empty_label="（请选择）",
        error_messages={"invalid_choice": "所选类别不在您的查看范围内。"},
    )  # fmt: skip
    year = forms.IntegerField(
        label="年度", required=False, min_value=2000, max_value=2100,
        error_messages={"invalid": "年度须为数字，如 2026。", "min_value": "年度不能早于 2000 年。",
                        "max_value": "年度不能晚于 2100 年。"},
    )  # fmt: skip
    quarter = forms.TypedChoiceField(
        label="季度", choices=[("", "（请选择）"), *QUARTERS], coerce=int, required=False, empty_value=None,
        error_messages={"invalid_choice": "季度只能是第一至第四季度。"},
    )  # fmt: skip

    def __init__(self, *args, scope: SupervisionScope, **kwargs):
        super().__init__(*args, **kwargs)
        assets = _assets_in(scope)
        # Only units and categories that hold an asset the user may see: the lists stay short and every choice
        # can produce a package.
        self.fields["unit"].queryset = Organization.objects.filter(
            Exists(assets.filter(holding_unit=OuterRef("pk")))
        ).order_by("name")
        self.fields["category"].queryset = Category.objects.filter(Exists(assets.filter(category=OuterRef("pk"))))
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["quarter"].initial = (today.month - 1) // 3 + 1

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope == ArchiveScope.UNIT and not data.get("unit") and "unit" not in self.errors:
            self.add_error("unit", "按单位导出时，请选择持有单位。")
        if scope == ArchiveScope.CATEGORY and not data.get("category") and "category" not in self.errors:
            self.add_error("category", "按类别导出时，请选择资产类别。")
        if scope == ArchiveScope.QUARTER:
            if data.get("year") is None and "year" not in self.errors:
                self.add_error("year", "按季度导出时，请填写年度。")
            if data.get("quarter") is None and "quarter" not in self.errors:
                self.add_error("quarter", "按季度导出时，请选择季度。")
        return data


def _archives_page(request, scope: SupervisionScope, form: ArchiveBatchForm, status: int = 200):
    q = request.GET.get("q", "").strip()
    assets = _assets_in(scope).select_related("holding_unit", "category").order_by("code")
    if q:
        assets = assets.filter(Q(code__icontains=q) | Q(name__icontains=q))
    context = {
        "page_title": "资产档案",
        "scope": scope,
        "form": form,
        "q": q,
        "page": Paginator(assets, ASSETS_PER_PAGE).get_page(request.GET.get("page")),
        "batches": ArchiveBatch.objects.filter(requested_by=request.user)[:RECENT_BATCHES],
    }
    return TemplateResponse(request, "supervision/archives.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def archives(request):
    scope = supervision_scope_required(request.user)
    if request.method != "POST":
        return _archives_page(request, scope, ArchiveBatchForm(scope=scope))
    form = ArchiveBatchForm(request.POST, scope=scope)
    if form.is_valid():
        data = form.cleaned_data
        try:
            batch = archive_batch_request(
                user=request.user, scope=data["scope"], unit=data.get("unit"), category=data.get("category"),
                year=data.get("year"), quarter=data.get("quarter"), ip=client_ip(request),
            )  # fmt: skip
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            return redirect("supervision:archive_batch", pk=batch.pk)
    return _archives_page(request, scope, form, status=422)


# -- one asset ----------------------------------------------------------------------------------------------------


@login_required
@require_GET
def archive_asset(request, pk: int):
    """The asset's package, built now through a temporary file; the download goes on the trail with its hash."""
    scope = supervision_scope_required(request.user)
    asset = get_object_or_404(_assets_in(scope), pk=pk)
    out = tempfile.TemporaryFile()
    try:
        archive_write(asset, out, generated_by=request.user)
        sha256, size = file_sha256(out)
    except ArchiveError as exc:
        out.close()
        messages.error(request, f"资产 {asset.code} 的档案包未能生成：{exc}")
        return redirect("supervision:archives")
    except BaseException:
        out.close()
        raise
    filename = f"{safe_name(asset.code)}-档案包.zip"
    audit_record(
        user=request.user, action="export", asset=asset, ip=client_ip(request),
        data={"what": "archive", "file": filename, "sha256": sha256, "size": size},
    )  # fmt: skip
    response = FileResponse(out, content_type="application/zip")
    response["Content-Length"] = str(size)
    return as_download(response, filename, f"{_ascii(asset.code)}-archive.zip")


# -- bulk packages ------------------------------------------------------------------------------------------------


def _visible_batch(request, pk) -> ArchiveBatch:
    scope = supervision_scope_required(request.user)
    batch = get_object_or_404(ArchiveBatch.objects.select_related("requested_by"), pk=pk)
    # Someone else's batch does not exist, as far as this user can tell; the county's supervisors see them all.
    if batch.requested_by_id != request.user.pk and scope.level != "county":
        raise Http404
    return batch


def _progress(batch: ArchiveBatch) -> dict:
    done = batch.status == JobStatus.DONE
    return {
        "status": batch.status,
        "status_label": batch.get_status_display(),
        "done": batch.done,
        "total": batch.total,
        "percent": batch.progress_percent,
        "finished": batch.status in (JobStatus.DONE, JobStatus.FAILED),
        "message": batch.message,
        "download_url": reverse("supervision:archive_batch_download", args=[batch.pk]) if done else None,
    }


@login_required
@require_GET
def archive_batch(request, pk):
    batch = _visible_batch(request, pk)
    context = {
        "page_title": f"档案包：{batch.title}",
        "batch": batch,
        "progress": _progress(batch),
        "in_progress": batch.status in (JobStatus.PENDING, JobStatus.RUNNING),
    }
    return TemplateResponse(request, "supervision/archive_batch.html", context)


@login_required
@require_GET
def archive_batch_progress(request, pk):
    return JsonResponse(_progress(_visible_batch(request, pk)))


@login_required
@require_GET
def archive_batch_download(request, pk):
    batch = _visible_batch(request, pk)
    if batch.status != JobStatus.DONE or not batch.file:
        raise Http404("档案包尚未生成完成。")
    filename = f"{safe_name(batch.title, limit=80)}-{timezone.localtime(batch.created_at):%Y%m%d}.zip"
    audit_record(
        user=request.user, action="export", ip=client_ip(request),
        data={"what": "archive_batch_download", "batch": str(batch.pk), "title": batch.title, "file": filename,
              "sha256": batch.sha256, "size": batch.size},
    )  # fmt: skip
    response = FileResponse(batch.file.open("rb"), content_type="application/zip")
    response["Content-Length"] = str(batch.size)
    return as_download(response, filename, f"archive-{batch.pk.hex[:12]}.zip")


urlpatterns = [
    path("archives/", archives, name="archives"),
    path("archives/asset/<int:pk>/", archive_asset, name="archive_asset"),
    path("archives/batch/<uuid:pk>/", archive_batch, name="archive_batch"),
    path("archives/batch/<uuid:pk>/progress/", archive_batch_progress, name="archive_batch_progress"),
    path("archives/batch/<uuid:pk>/download/", archive_batch_download, name="archive_batch_download"),
]
