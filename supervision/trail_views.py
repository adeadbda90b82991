"""The supervisors' trail browser: every event in the user's scope, searchable by asset, case, organization, person,
time, step and method, each with who, for whom, what changed and the document it produced; the search's .xlsx export
and, for the county's supervisors, the check of the whole hash chain."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from assets.imports import XLSX_CONTENT_TYPE
from assets.selectors import supervision_scope_required
from audit.chain import audit_chain_verify
from audit.services import audit_record
from core.http import as_download, client_ip
from workflows.trail import event_rows

from .selectors import trail_filtered
from .trail_export import TRAIL_EXPORT_LIMIT, trail_over_limit_message, trail_workbook

TRAIL_PAGE_SIZE = 50


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
        "may_verify_chain": scope.level == "county",
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


@require_POST
@login_required
def trail_verify(request):
    """Recomputes the whole hash chain (audit.chain) and says on the trail page whether it holds or where it breaks.
    The chain is the county's: only county-wide supervisors run it (a department or unit sees part of the trail)."""
    scope = supervision_scope_required(request.user)
    if scope.level != "county":
        raise PermissionDenied("只有全县范围的监督人员可以校验审计链。")
    report = audit_chain_verify()
    checked = timezone.localtime().strftime("%Y年%-m月%-d日 %H:%M")
    if report.ok:
        messages.success(request, f"链完整：已校验全部 {report.verified} 条记录，未发现改动、删除或插入（{checked}）。")
    else:
        messages.error(request, f"链不完整：{report.broken} 在此之前的 {report.verified} 条记录完好（{checked}）。")
    return HttpResponseRedirect(reverse("supervision:trail"))


urlpatterns = [
    path("trail/", trail, name="trail"),
    path("trail/xlsx/", trail_xlsx, name="trail_xlsx"),
    path("trail/verify/", trail_verify, name="trail_verify"),
]
