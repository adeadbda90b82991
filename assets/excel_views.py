"""Excel import and export of the register: thin views over assets.imports."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.views import View
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_record
from core.errors import DomainError
from core.forms import Form
from core.http import as_download, client_ip

from .imports import (
    IN_PROGRESS,
    MAX_DIFF_ROWS,
    PREVIEW_HEADERS,
    UPDATE_REFUSAL,
    XLSX_CONTENT_TYPE,
    import_batch_commit,
    import_batch_create,
    import_batch_progress,
    import_error_workbook,
    import_template_workbook,
    ledger_export_workbook,
    user_may_import_updates,
)
from .models import ImportBatch, ImportMode, ImportStatus
from .selectors import asset_list_filtered, user_can_import

RECENT_BATCHES = 10


class ImportUploadForm(Form):
    mode = forms.ChoiceField(
        label="导入方式",
        choices=ImportMode.choices,
        initial=ImportMode.ADD,
        required=False,  # not chosen: 新增, as before there was a choice
        widget=forms.RadioSelect,
        help_text="新增：登记表中的新资产。更新：按资产编号修改本单位台账中已有的资产，确认前逐项列出修改内容。",
    )
    file = forms.FileField(
        label="台账文件",
        help_text="请使用导入模板填写（更新时可直接使用导出的台账）；只接受 .xlsx 文件。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_mode(self):
        mode = self.cleaned_data["mode"] or ImportMode.ADD
        if mode == ImportMode.UPDATE and not user_may_import_updates(user=self.user):
            raise ValidationError(UPDATE_REFUSAL)
        return mode


def _xlsx_response(content: bytes, filename: str, fallback: str) -> HttpResponse:
    return as_download(HttpResponse(content, content_type=XLSX_CONTENT_TYPE), filename, fallback)


def _require_importer(user) -> None:
    if not user_can_import(user=user):
        raise PermissionDenied("只有单位经办人或系统管理员可以导入资产台账。")


def _own_batch(request, pk) -> ImportBatch:
    _require_importer(request.user)
    # Another user's batch does not exist, as far as this user can tell.
    return get_object_or_404(ImportBatch, pk=pk, created_by=request.user)


class ImportView(View):
    template_name = "assets/excel/import.html"

    def dispatch(self, request, *args, **kwargs):
        _require_importer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def render(self, form, status=200):
        context = {
            "page_title": "导入资产台账",
            "form": form,
            "batches": ImportBatch.objects.filter(created_by=self.request.user)[:RECENT_BATCHES],
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render(ImportUploadForm(user=request.user))

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                batch = import_batch_create(
                    user=request.user, upload=form.cleaned_data["file"], mode=form.cleaned_data["mode"]
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                return redirect("register:import_detail", pk=batch.pk)
        return self.render(form, status=422)


@require_GET
def import_template(request):
    _require_importer(request.user)
    return _xlsx_response(import_template_workbook(user=request.user), "资产台账导入模板.xlsx", "import_template.xlsx")


def _detail_response(request, batch: ImportBatch, *, error: str = "", status: int = 200) -> TemplateResponse:
    updating = batch.mode == ImportMode.UPDATE
    context = {
        "page_title": f"导入批次：{batch.original_name}",
        "batch": batch,
        "error": error,
        "updating": updating,
        "in_progress": batch.status in IN_PROGRESS,
        "can_commit": batch.status == ImportStatus.VALID and (not updating or batch.changed_rows > 0),
        "is_committed": batch.status == ImportStatus.COMMITTED,
        "has_error_file": batch.status == ImportStatus.INVALID and batch.error_rows > 0,
        "max_diff_rows": MAX_DIFF_ROWS,
        "preview_headers": PREVIEW_HEADERS,
        "file_errors": [e for e in batch.errors if e.get("row") is None],
        "row_errors": [e for e in batch.errors if e.get("row") is not None],
    }
    return TemplateResponse(request, "assets/excel/import_detail.html", context, status=status)


@require_GET
def import_detail(request, pk):
    return _detail_response(request, _own_batch(request, pk))


@require_GET
def import_progress(request, pk):
    return JsonResponse(import_batch_progress(_own_batch(request, pk)))


@require_GET
def import_error_file(request, pk):
    """The uploaded sheet with its errors marked, for the one who uploaded it."""
    batch = _own_batch(request, pk)
    if batch.status != ImportStatus.INVALID or not batch.error_rows:
        raise Http404("该批次没有行错误，没有错误说明文件。")
    stem = batch.original_name.rsplit(".", 1)[0] or "导入"
    return _xlsx_response(import_error_workbook(batch), f"{stem}_错误说明.xlsx", "import_errors.xlsx")


@require_POST
def import_commit(request, pk):
    batch = _own_batch(request, pk)
    try:
        batch = import_batch_commit(batch=batch, user=request.user)
    except DomainError as exc:
        return _detail_response(request, batch, error=str(exc), status=422)
    if batch.status == ImportStatus.COMMITTED:
        messages.success(request, batch.message)
    return redirect("register:import_detail", pk=batch.pk)


@require_GET
def export(request):
    if not request.user.roles:
        raise PermissionDenied("您还没有分配角色，不能导出资产台账。")
    form, queryset = asset_list_filtered(user=request.user, data=request.GET)
    if form.errors:
        # Never hand out a wider ledger than the user asked for.
        problems = "；".join(f"{form[name].label}：{'，'.join(errs)}" for name, errs in form.errors.items())
        return HttpResponse(f"筛选条件有误，未导出：{problems}", status=400, content_type="text/plain; charset=utf-8")
    today = timezone.localdate()
    workbook = ledger_export_workbook(queryset, today=today)
    filters = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if v not in (None, "", [])}
    audit_record(
        user=request.user, action="export", ip=client_ip(request),
        data={"what": "ledger", "filters": {k: str(v) for k, v in filters.items()}, "rows": queryset.count()},
    )  # fmt: skip
    return _xlsx_response(workbook, f"资产台账_{today:%Y%m%d}.xlsx", f"ledger_{today:%Y%m%d}.xlsx")


urlpatterns = [
    path("import/", ImportView.as_view(), name="import"),
    path("import/template/", import_template, name="import_template"),
    path("import/<uuid:pk>/", import_detail, name="import_detail"),
    path("import/<uuid:pk>/progress/", import_progress, name="import_progress"),
    path("import/<uuid:pk>/commit/", import_commit, name="import_commit"),
    path("import/<uuid:pk>/errors/", import_error_file, name="import_error_file"),
    path("export/", export, name="export"),
]
