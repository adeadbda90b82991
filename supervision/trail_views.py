"""The supervisors' trail browser: every event in the user's scope, searchable by asset, case, organization, person,
time, step and method, each with who, for whom, what changed and the document it produced."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_GET

from assets.selectors import supervision_scope_required
from workflows.trail import event_rows

from .selectors import trail_filtered

TRAIL_PAGE_SIZE = 50


@require_GET
@login_required
def trail(request):
    scope = supervision_scope_required(request.user)
    form, events = trail_filtered(user=request.user, data=request.GET)
    page = Paginator(events, TRAIL_PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "supervision/trail.html",
        {"page_title": "审计轨迹", "form": form, "page": page, "rows": event_rows(page.object_list), "scope": scope},
        status=400 if form.errors else 200,
    )


urlpatterns = [path("trail/", trail, name="trail")]
