"""The supervisors' trail browser: every event in the user's scope, searchable by asset, case, organization, person,
time, step and method, each with who, for whom, what changed and the document it produced; the search's .xlsx export
and, for the county's supervisors, the check of the whole hash chain."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from assets.imports import XLSX_CONTENT_TYPE
from assets.selectors import supervision_scope_required
from audit.services import audit_record
from core.http import as_download, client_ip
from workflows.trail import event_rows

from .chain_checks import CHAIN_CHECK_REFUSED, chain_check_request, chain_check_result, may_check_chain
from .models import ChainCheck, JobStatus
from .selectors import trail_filtered
from .trail_export import TRAIL_EXPORT_LIMIT, trail_over_limit_message, trail_workbook

TRAIL_PAGE_SIZE = 50
# JobStatus says 生成中 for a file being made; a check is 校验中.
CHECK_LABELS = {
    JobStatus.PENDING: "排队中",
    JobStatus.RUNNING: "校验中",
    JobStatus.DONE: "已完成",
    JobStatus.FAILED: "失败",
}


def _filters_text(form) -> str:
    """The search as the export's header line prints it: 资产：FY-1；环节：核查认定."""
    if not form.is_bound or form.errors:
        return ""
    parts = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        if hasattr(field, "choices") and not hasattr(value, "pk"):
            value = dict(field.choices).get(value, value)
        parts.append(f"{field.label}：{value}")
    return "；".join(str(p) for p in parts)


@require_GET
@login_required
def trail(request):
    scope = supervision_scope_required(request.user)
    form, events = trail_filtered(user=request.user, data=request.GET)
    page = Paginator(events, TRAIL_PAGE_SIZE).get_page(request.GET.get("page"))
    count = page.paginator.count
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page_title": "审计轨迹",
        "form": form,
        "page": page,
        "rows": event_rows(page.object_list),
        "scope": scope,
        "count": count,
        "export_query": query.urlencode(),
        "over_limit": trail_over_limit_message(count) if count > TRAIL_EXPORT_LIMIT else "",
        "may_verify_chain": may_check_chain(request.user),
    }
    return TemplateResponse(request, "supervision/trail.html", context, status=400 if form.errors else 200)


@require_GET
@login_required
def trail_xlsx(request):
    """The search's events (the same scope and filters as the page) as an .xlsx; a wrong search exports nothing."""
    scope = supervision_scope_required(request.user)
    form, events = trail_filtered(user=request.user, data=request.GET)
    if form.errors:
        problems = "；".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(f"查询条件有误，未导出：{problems}", status=400, content_type="text/plain; charset=utf-8")
    count = events.count()
    filters = _filters_text(form)
    content = trail_workbook(events, count=count, scope_label=scope.label, filters=filters)
    data = {"what": "audit_trail", "format": "xlsx", "scope": scope.label, "filters": filters,
            "rows": min(count, TRAIL_EXPORT_LIMIT)}  # fmt: skip
    audit_record(user=request.user, action="export", data=data, ip=client_ip(request))
    today = timezone.localdate()
    stamp = f"{today.year}{today.month:02d}{today.day:02d}"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    return as_download(response, f"{scope.label}审计轨迹_{stamp}.xlsx", f"audit_trail_{stamp}.xlsx")


def _county_checker(request) -> None:
    supervision_scope_required(request.user)
    if not may_check_chain(request.user):
        raise PermissionDenied(CHAIN_CHECK_REFUSED)


def _check_or_404(pk) -> ChainCheck:
    check = ChainCheck.objects.filter(pk=pk).select_related("requested_by").first()
    if check is None:
        raise Http404("没有找到这次校验。")
    return check


def _check_progress(check: ChainCheck) -> dict:
    finished = check.status in (JobStatus.DONE, JobStatus.FAILED)
    return {"status": check.status, "status_label": CHECK_LABELS.get(check.status, check.get_status_display()),
            "done": check.done, "total": check.total, "percent": check.progress_percent, "finished": finished,
            "ok": finished and check.status == JobStatus.DONE and not check.broken,
            "result": chain_check_result(check)}  # fmt: skip


@require_POST
@login_required
def trail_verify(request):
    """Asks for a check of the whole hash chain (audit.chain), run in the background; on to its page."""
    _county_checker(request)
    check = chain_check_request(user=request.user)
    return HttpResponseRedirect(reverse("supervision:trail_verify_check", args=[check.pk]))


@require_GET
@login_required
def trail_verify_check(request, pk):
    """One check: its progress while it runs (the page polls and reloads itself), then 链完整 or where it breaks."""
    _county_checker(request)
    check = _check_or_404(pk)
    context = {"page_title": "审计链校验", "check": check, "progress": _check_progress(check)}
    return TemplateResponse(request, "supervision/chain_check.html", context)


@require_GET
@login_required
def trail_verify_progress(request, pk):
    _county_checker(request)
    return JsonResponse(_check_progress(_check_or_404(pk)))


urlpatterns = [
    path("trail/", trail, name="trail"),
    path("trail/xlsx/", trail_xlsx, name="trail_xlsx"),
    path("trail/verify/", trail_verify, name="trail_verify"),
    path("trail/verify/<uuid:pk>/", trail_verify_check, name="trail_verify_check"),
    path("trail/verify/<uuid:pk>/progress/", trail_verify_progress, name="trail_verify_progress"),
]
