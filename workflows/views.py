"""The 待办 application's pages: inbox, queue, archive, case list and case page, reporting and withdrawing, the
调剂 board and notifications. Reads go through workflows.selectors, writes through one service each."""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum, Window
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.flow.views import FlowChartView
from viewflow.workflow.models import Task

from assets.models import Role
from assets.selectors import asset_list_visible, supervision_scope
from assets.services import attachment_add
from core.errors import NotAllowed, refusals_on
from core.http import as_download, client_ip, stored_file_problem
from core.storage import StoredFileError, stored_check
from documents.models import DocumentStatus
from documents.services import document_pdf, documents_of

from . import forms
from .inbox import FILTER_FIELDS, SavedViewForm, TaskFilterForm, days_left
from .models import (
    OPEN_STATES,
    OPEN_TASK_STATUSES,
    CaseState,
    DisposalCase,
    Notification,
    SavedTaskView,
    Substitution,
)
from .nodes import case_url
from .permissions import TASK_ROLES, WITHDRAW_REFUSED, may_withdraw
from .selectors import (
    board_application_status,
    board_applications_of,
    board_asset_contacts,
    board_asset_photos,
    board_listings,
    board_may_withdraw,
    case_is_visible,
    case_list_visible,
    case_may_follow_up,
    case_may_withdraw,
    events_of_case,
    saved_views_for,
    task_archive,
    task_inbox,
    task_queue,
    task_team,
    tasks_open_of_case,
    team_organization,
)
from .services import (
    actor_for,
    actor_for_task,
    case_follow_up,
    case_report,
    case_withdraw,
    listing_apply,
    listing_withdraw,
    sharing_use_record,
    sharing_uses_open,
    substitution_end,
    substitution_set,
    task_claim,
)
from .staging import UNSTAGE, Staging
from .trail import event_rows

PAGE_SIZE = 30


def _page(request, qs, size=PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


class CountingPaginator(Paginator):
    """A page of rows and the length of the whole list in one query (COUNT(*) OVER ()), where Paginator asks for
    the count first: a filtered inbox at 50,000 cases joins its few hundred tasks to their cases and assets once,
    not twice. Past the last page (no row to carry the count) it falls back on Paginator's count."""

    def get_page(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        if number >= 1:
            bottom = (number - 1) * self.per_page
            rows = list(self.object_list.annotate(list_total=Window(Count("pk")))[bottom : bottom + self.per_page])
            if rows:
                self.count = rows[0].list_total
                return self._get_page(rows, number, self)
        return super().get_page(number)


def _task_actions(user, task: Task) -> dict:
    node = task.flow_task
    # A finished task is only looked at (查看 opens its case): 办理, 认领 and the rest are for open tasks.
    is_open = task.status in OPEN_TASK_STATUSES
    row = {"task": task, "title": node.task_title}
    # Each button's URL only where the button shows: four reverse() a row were a tenth of a 30-row list's time.
    for action, key, allowed in (
        ("assign", "claim", node.can_assign),
        ("execute", "execute", node.can_execute),
        ("unassign", "release", node.can_unassign),
        ("reassign", "reassign", node.can_reassign),
    ):
        row[f"can_{key}"] = may = is_open and allowed(user, task)
        row[f"{key}_url"] = node.reverse(action, args=[task.process_id, task.pk]) if may else ""
    return row


def case_context(request, case: DisposalCase) -> dict:
    user = request.user
    return {
        "case": case,
        "asset": case.asset,
        "events": event_rows(events_of_case(case)),
        "evidence": case.evidence.select_related("attachment").order_by("pk"),
        "open_tasks": [_task_actions(user, t) for t in tasks_open_of_case(case)],
        # Whoever sees the case sees who applied for it: the applications are on its trail anyway (a withdrawn one
        # only there, so the plan form offers no unit that withdrew).
        "applications": case.live_applications().select_related("unit", "applicant"),
        "execution": case.execution_or_none(),
        "may_withdraw": case_may_withdraw(user=user, case=case),
        "may_follow_up": case_may_follow_up(user=user, case=case),
        "documents": documents_of(case).order_by("requested_at", "pk"),
        **_sharing_context(user, case),
        # The trail and the archive package of the asset, for those with the 监督 pages (they enforce their scope).
        "may_supervise": supervision_scope(user) is not None,
    }


SHARING_USES_SHOWN = 20


def _sharing_context(user, case: DisposalCase, form=None) -> dict:
    """开放共享: the uses logged so far (the latest, and the totals), and the form for the unit's clerk."""
    if case.spec is None or not case.spec.records_uses:
        return {}
    uses = case.sharing_uses.order_by("-used_on", "-pk")
    may_record = sharing_uses_open(case) and _is_holding_clerk(user, case)
    return {
        "sharing": {
            "uses": list(uses[:SHARING_USES_SHOWN]),
            "totals": uses.aggregate(n=Count("pk"), hours=Sum("hours"), fee=Sum("fee")),
            "shown": SHARING_USES_SHOWN,
            "form": (form or forms.SharingUseForm()) if may_record else None,
        }
    }


def _is_holding_clerk(user, case: DisposalCase) -> bool:
    return user.has_role(Role.UNIT_CLERK) and user.organization_id == case.holding_unit_id


def _visible_case_or_404(user, pk: int) -> DisposalCase:
    case = (
        DisposalCase.objects.filter(pk=pk)
        .select_related("asset__category", "asset__subtype", "holding_unit", "verifying_department", "receiving_unit")
        .first()
    )
    if case is None or not case_is_visible(user=user, case=case):
        raise Http404("没有找到该处置事项。")
    return case


class CaseDetailView(View):
    """The case page: what the asset is, where the case stands, who did each step and what they entered."""

    flow_class = None
    viewset = None

    def get(self, request, process_pk: int):
        case = _visible_case_or_404(request.user, process_pk)
        context = case_context(request, case)
        context["page_title"] = f"处置事项 #{case.pk}：{case.asset.code} {case.asset.name}"
        context["withdraw_form"] = forms.WithdrawForm() if context["may_withdraw"] else None
        context["follow_up_form"] = forms.FollowUpForm() if context["may_follow_up"] else None
        return TemplateResponse(request, "workflows/case_detail.html", context)


def document_download(request, pk: int, uuid):
    """A case's signed document, for those who may see the case (404 for everyone else)."""
    case = _visible_case_or_404(request.user, pk)
    document = get_object_or_404(documents_of(case), uuid=uuid, status=DocumentStatus.ISSUED)
    try:
        pdf = document_pdf(document)
    except StoredFileError as exc:
        return stored_file_problem(request, exc, "文书")
    response = HttpResponse(pdf, content_type="application/pdf")
    return as_download(response, f"{document.number}{document.title}.pdf", f"document-{document.uuid}.pdf")


class FlowChartPage(TemplateView):
    """处置流程图: viewflow's SVG at its own size (its viewBox), in a box that scrolls when narrower. Scaled down to the
    card's width, its 12px labels came out about 7px tall."""

    template_name = "workflows/flow_chart.html"
    extra_context = {"page_title": "处置流程图"}

    def get_context_data(self, **kwargs):
        from viewflow.workflow import chart

        from .flows import DisposalFlow

        svg = chart.grid_to_svg(chart.calc_layout_data(DisposalFlow))
        found = re.search(r'viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"', svg)
        width, height = (round(float(found[1])), round(float(found[2]))) if found else (None, None)
        return super().get_context_data(**kwargs) | {"chart_width": width, "chart_height": height}


class CaseChartView(FlowChartView):
    """viewflow's flow chart; for one case, only to those who may see the case."""

    def dispatch(self, request, *args, **kwargs):
        if "process_pk" in kwargs:
            _visible_case_or_404(request.user, kwargs["process_pk"])
        return super().dispatch(request, *args, **kwargs)


class CaseWithdrawView(View):
    def post(self, request, pk: int):
        case = _visible_case_or_404(request.user, pk)
        user = request.user
        if not may_withdraw(user, case):
            raise PermissionDenied(WITHDRAW_REFUSED)
        form = forms.WithdrawForm(request.POST)
        if form.is_valid():
            from .flows import DisposalFlow

            try:
                with refusals_on(form), DisposalFlow.lock(case.pk), transaction.atomic():
                    case_withdraw(actor=actor_for(user=request.user, ip=client_ip(request)), case=case,
                                  reason=form.cleaned_data["reason"])  # fmt: skip
                    messages.success(request, "已撤回，资产恢复在用。")
                    return HttpResponseRedirect(case_url(case.pk))
            except FlowLockFailed:
                form.add_error(None, "该事项正由他人办理，请稍后再试。")
        context = case_context(request, case) | {"page_title": f"撤回处置事项 #{case.pk}", "withdraw_form": form}
        return TemplateResponse(request, "workflows/case_detail.html", context, status=422)


class SharingUseView(View):
    """开放共享: the unit's clerk logs one use of a shared instrument, from the case page."""

    def post(self, request, pk: int):
        case = _visible_case_or_404(request.user, pk)
        if not _is_holding_clerk(request.user, case):
            raise PermissionDenied("只有仪器所属单位的经办人可以登记共享使用。")
        form = forms.SharingUseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            with refusals_on(form), transaction.atomic():
                sharing_use_record(actor=actor_for(user=request.user, ip=client_ip(request)), case=case, **data)
                messages.success(request, "已登记共享使用。")
                return HttpResponseRedirect(f"{case_url(case.pk)}#sharing")
        context = case_context(request, case) | _sharing_context(request.user, case, form)
        context["page_title"] = f"登记共享使用：{case.asset.code} {case.asset.name}"
        return TemplateResponse(request, "workflows/case_detail.html", context, status=422)


class CaseFollowUpView(View):
    """跟进核查 of a closed land case (延长动工期限, 安排临时使用) by its lead department."""

    def post(self, request, pk: int):
        case = _visible_case_or_404(request.user, pk)
        if not case_may_follow_up(user=request.user, case=case):
            raise PermissionDenied("只有土地的牵头核查部门可以登记跟进核查，且须尚待跟进。")
        form = forms.FollowUpForm(request.POST)
        if form.is_valid():
            with refusals_on(form), transaction.atomic():
                case_follow_up(actor=actor_for(user=request.user, ip=client_ip(request)), case=case,
                               note=form.cleaned_data["note"])  # fmt: skip
                messages.success(request, "已登记跟进核查，资产恢复在用。")
                return HttpResponseRedirect(case_url(case.pk))
        context = case_context(request, case) | {"page_title": f"跟进核查 #{case.pk}", "follow_up_form": form}
        return TemplateResponse(request, "workflows/case_detail.html", context, status=422)


class ReportView(View):
    """申报: the unit clerk opens a case for one of the unit's assets, with the evidence the basis needs."""

    def dispatch(self, request, pk: int):
        self.asset = get_object_or_404(asset_list_visible(user=request.user), pk=pk)
        if not (request.user.has_role(Role.UNIT_CLERK) and request.user.organization_id == self.asset.holding_unit_id):
            raise PermissionDenied("只有持有单位的经办人可以申报。")
        self.staging = Staging(user=request.user, scope=f"report:{self.asset.pk}")
        return super().dispatch(request, pk)

    def get(self, request, pk: int):
        return self.render(forms.ReportForm(initial=self.staging.initial(), asset=self.asset))

    def post(self, request, pk: int):
        self.staging.discard(request.POST.getlist(UNSTAGE))
        form = forms.ReportForm(request.POST, request.FILES, initial=self.staging.initial(), asset=self.asset)
        if form.is_valid():
            data = form.cleaned_data
            actor = actor_for(user=request.user, ip=client_ip(request))
            with refusals_on(form), transaction.atomic():
                for kind, upload in form.evidence():
                    attachment_add(user=request.user, asset=self.asset, upload=upload, kind=kind, ip=actor.ip)
                case = case_report(actor=actor, asset=self.asset, basis=data["basis"], statement=data["statement"])
                self.staging.done()
                messages.success(request, "已申报，待本单位负责人签发。")
                return HttpResponseRedirect(case_url(case.pk))
        self.staging.keep(form, request.FILES)
        return self.render(form, status=422)

    def render(self, form, status=200):
        self.staging.show(form)
        context = {
            "page_title": f"申报盘活：{self.asset.code} {self.asset.name}",
            "asset": self.asset,
            "form": form,
            "open_case": self.asset.cases.filter(state__in=OPEN_STATES).first(),
            "staging_problems": self.staging.problems,
        }
        return TemplateResponse(self.request, "workflows/report_form.html", context, status=status)


# -- inbox, queue, archive, case list (viewflow's routes, scoped and in Chinese) ---------------------------------


class TaskListView(TemplateView):
    """Base of the task lists: filters, search and sort (TaskFilterForm), saved views, and rows that say the case
    number, asset, unit, step, when it was received and the working days left."""

    template_name = "workflows/task_list.html"
    flow_class = None
    viewset = None
    title = ""
    kind = ""

    def tasks(self):
        raise NotImplementedError

    def get_context_data(self, save_form=None, **kwargs):
        user = self.request.user
        archive = self.kind == "archive"
        # Only the filters' own names bind the form: a saved view's or the pager's parameters are no filter.
        data = {k: v for k, v in self.request.GET.items() if k in FILTER_FIELDS}
        form = TaskFilterForm(data or None, archive=archive)
        page = CountingPaginator(form.apply(self.tasks()), PAGE_SIZE).get_page(self.request.GET.get("page"))
        tasks = list(page.object_list)
        left = {} if archive else days_left(tasks)
        rows = []
        for t in tasks:
            row = _task_actions(user, t)
            row["days_left"] = left.get(t.pk)
            row["overdue_days"] = -row["days_left"] if row["days_left"] is not None and row["days_left"] < 0 else 0
            row["overdue"] = not archive and t.process.disposalcase.is_overdue  # the row's class and its tag
            rows.append(row)
        return {
            "page_title": self.title,
            "kind": self.kind,
            "form": form,
            "filtered": bool(form.query_string()),
            "page": page,
            "rows": rows,
            "claimable": [r["task"].pk for r in rows if r["can_claim"]],
            "saved_views": saved_views_for(user=user, page=self.kind),
            "save_form": save_form or SavedViewForm(),
            "query": form.query_string(),
        }

    def post(self, request, *args, **kwargs):
        """Saves the shown filters under a name, or deletes one of the user's saved views."""
        if "delete_view" in request.POST:
            pk = request.POST["delete_view"]
            view = get_object_or_404(SavedTaskView, pk=pk if pk.isdigit() else 0, owner=request.user, page=self.kind)
            view.delete()
            messages.success(request, f"已删除筛选“{view.name}”。")
            return HttpResponseRedirect(request.path)
        save_form = SavedViewForm(request.POST)
        data = {k: v for k, v in request.GET.items() if k in FILTER_FIELDS}
        query = TaskFilterForm(data or None, archive=self.kind == "archive").query_string()
        if save_form.is_valid():
            name = save_form.cleaned_data["name"]
            if SavedTaskView.objects.filter(owner=request.user, page=self.kind, name=name).exists():
                save_form.add_error("name", "您已有同名的筛选，请换一个名称。")
            else:
                SavedTaskView.objects.create(
                    owner=request.user, organization_id=request.user.organization_id, page=self.kind, name=name,
                    query=query, shared=save_form.cleaned_data["shared"],
                )  # fmt: skip
                messages.success(request, f"已保存筛选“{name}”。")
                return HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)
        context = self.get_context_data(save_form=save_form)
        return self.render_to_response(context, status=422)


class InboxView(TaskListView):
    title, kind = "我的待办", "inbox"

    def tasks(self):
        return task_inbox(user=self.request.user)


class QueueView(TaskListView):
    title, kind = "待认领", "queue"

    def tasks(self):
        return task_queue(user=self.request.user)


class ArchiveView(TaskListView):
    title, kind = "已办", "archive"

    def tasks(self):
        return task_archive(user=self.request.user)


class TeamView(TaskListView):
    """本单位在办: a head reads his organization's open tasks, who holds each, overdue first (issue 12 §4). Reading
    gives no act right: each row's buttons are those the head's own roles give him."""

    kind = "team"

    def dispatch(self, request, *args, **kwargs):
        self.organization = team_organization(request.user)
        if self.organization is None:
            raise PermissionDenied("只有单位（部门）负责人可以查看本单位在办任务。")
        self.title = f"本单位在办：{self.organization.name}"
        return super().dispatch(request, *args, **kwargs)

    def tasks(self):
        return task_team(user=self.request.user)


class BulkClaimView(View):
    """认领 several queue tasks at once; each is claimed under its own case's lock, and refusals are reported."""

    flow_class = None
    viewset = None

    def post(self, request):
        from .flows import DisposalFlow

        if not request.user.has_role(*TASK_ROLES):
            raise PermissionDenied("您的角色不办理任务。")
        ids = [int(pk) for pk in request.POST.getlist("pk") if pk.isdigit()]
        claimed = 0
        for task in task_queue(user=request.user).filter(pk__in=ids):
            try:
                with DisposalFlow.lock(task.process_id), transaction.atomic():
                    fresh = Task.objects.select_related("process").get(pk=task.pk)
                    task_claim(actor=actor_for_task(user=request.user, task=fresh, ip=client_ip(request)), task=fresh)
                claimed += 1
            except (NotAllowed, FlowLockFailed):
                pass  # claimed by a colleague meanwhile: counted below
        refused = len(ids) - claimed
        if claimed:
            messages.success(request, f"已认领 {claimed} 项任务。")
        if refused:
            messages.warning(request, f"{refused} 项任务未能认领（已被他人认领或无权认领）。")
        if not ids:
            messages.info(request, "请先勾选要认领的任务。")
        return HttpResponseRedirect(DisposalFlow.instance.reverse("inbox" if claimed else "queue"))


class CaseListView(TemplateView):
    """Every case the user may see, searchable and filtered by state."""

    template_name = "workflows/case_list.html"
    flow_class = None
    viewset = None

    def get_context_data(self, **kwargs):
        qs = case_list_visible(user=self.request.user).order_by("-pk")
        q = self.request.GET.get("q", "").strip()
        state = self.request.GET.get("state", "")
        if q:
            match = Q(asset__code__icontains=q) | Q(asset__name__icontains=q) | Q(holding_unit__name__icontains=q)
            qs = qs.filter(match)
        if state in CaseState.values:
            qs = qs.filter(state=state)
        return {
            "page_title": "处置事项",
            "page": _page(self.request, qs),
            "q": q,
            "state": state,
            "states": CaseState.choices,
        }


# -- 调剂共享平台 ---------------------------------------------------------------------------------------------------


class BoardView(TemplateView):
    template_name = "workflows/board.html"

    def get_context_data(self, **kwargs):
        form = forms.BoardFilterForm(self.request.GET or None)
        qs = board_listings()
        if form.is_bound:
            form.is_valid()  # each valid field applies even when another is wrong; the page shows the wrong one
            data = form.cleaned_data
            if data.get("q"):
                qs = qs.filter(Q(asset__name__icontains=data["q"]) | Q(asset__code__icontains=data["q"]))
            if data.get("category"):
                qs = qs.filter(asset__category=data["category"])
            if data.get("min_area") is not None:
                qs = qs.filter(asset__area_m2__gte=data["min_area"])
            if data.get("max_value") is not None:
                qs = qs.filter(asset__original_value__lte=data["max_value"])
        user = self.request.user
        mine = set(board_applications_of(user=user).filter(withdrawn_at__isnull=True).values_list("case_id", flat=True))
        return {
            "page_title": "调剂共享平台",
            "form": form,
            "page": _page(self.request, qs),
            "applied": mine,
            "may_apply": user.has_role(Role.UNIT_CLERK),
        }


class BoardApplyView(View):
    template_name = "workflows/board_apply.html"

    def dispatch(self, request, pk: int):
        if not request.user.has_role(Role.UNIT_CLERK):
            raise PermissionDenied("只有单位经办人可以申请调剂。")
        self.case = board_listings().filter(pk=pk).first()
        if self.case is None:
            raise Http404("该资产不在调剂公示期内。")
        return super().dispatch(request, pk)

    def get(self, request, pk: int):
        return self.render(forms.ApplyForm())

    def post(self, request, pk: int):
        form = forms.ApplyForm(request.POST)
        if form.is_valid():
            with refusals_on(form):
                listing_apply(actor=actor_for(user=request.user, ip=client_ip(request)), case=self.case,
                              reason=form.cleaned_data["reason"])  # fmt: skip
                messages.success(request, "调剂申请已提交，持有单位拟定处置方案时可选择本单位为调入单位。")
                return HttpResponseRedirect(reverse("board:list"))
        return self.render(form, status=422)

    def render(self, form, status=200):
        context = {"page_title": f"申请调剂：{self.case.asset.name}", "case": self.case, "form": form}
        return TemplateResponse(self.request, self.template_name, context, status=status)


def _listed_case(request, pk: int) -> DisposalCase:
    """A case on the board, for anyone with the board's pages; an asset not listed is not there (404)."""
    if not request.user.roles:
        raise PermissionDenied("您没有查看调剂平台的权限。")
    case = board_listings().filter(pk=pk).first()
    if case is None:
        raise Http404("该资产不在调剂公示期内。")
    return case


class BoardAssetView(TemplateView):
    """The listed asset as an applying unit sees it: photos, location, quantity, values, condition and a contact."""

    template_name = "workflows/board_asset.html"

    def get_context_data(self, **kwargs):
        case = _listed_case(self.request, kwargs["pk"])
        user = self.request.user
        application = board_applications_of(user=user).filter(case=case, withdrawn_at__isnull=True).first()
        return {
            "page_title": f"可调剂资产：{case.asset.name}",
            "case": case,
            "asset": case.asset,
            "photos": board_asset_photos(case),
            "contacts": board_asset_contacts(case),
            "application": application,
            "may_apply": user.has_role(Role.UNIT_CLERK) and user.organization_id != case.holding_unit_id,
        }


def board_photo(request, pk: int, photo: int):
    """A listed asset's image, inline (the ledger's download page is only for those who see the asset)."""
    case = _listed_case(request, pk)
    attachment = get_object_or_404(board_asset_photos(case), pk=photo)
    try:
        stored_check(attachment.file, attachment.sha256)
    except StoredFileError as exc:
        return stored_file_problem(request, exc, "资产照片")
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class BoardApplicationsView(TemplateView):
    """我的申请: the applications of the user's organization, with where each stands."""

    template_name = "workflows/board_applications.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        if not user.has_role(Role.UNIT_CLERK, Role.UNIT_HEAD):
            raise PermissionDenied("只有单位经办人和单位负责人可以查看本单位的调剂申请。")
        rows = [
            {"application": a, "status": board_application_status(a), "may_withdraw": board_may_withdraw(user, a)}
            for a in board_applications_of(user=user)
        ]
        return {"page_title": "我的申请", "rows": rows}


class BoardWithdrawView(View):
    """Withdrawing an application: a page that asks to confirm, then the service."""

    template_name = "workflows/board_withdraw.html"

    def dispatch(self, request, pk: int):
        if not request.user.has_role(Role.UNIT_CLERK):
            raise PermissionDenied("只有申请单位的经办人可以撤回调剂申请。")
        self.application = get_object_or_404(board_applications_of(user=request.user), pk=pk)
        return super().dispatch(request, pk)

    def get(self, request, pk: int):
        return self.render(forms.BoardWithdrawForm())

    def post(self, request, pk: int):
        form = forms.BoardWithdrawForm(request.POST)
        if form.is_valid():
            with refusals_on(form):
                listing_withdraw(
                    actor=actor_for(user=request.user, ip=client_ip(request)), application=self.application
                )
                messages.success(request, "调剂申请已撤回，已通知持有单位。")
                return HttpResponseRedirect(reverse("board:applications"))
        return self.render(form, status=422)

    def render(self, form, status=200):
        application = self.application
        context = {"page_title": "撤回调剂申请", "application": application, "case": application.case, "form": form}
        return TemplateResponse(self.request, self.template_name, context, status=status)


# -- notifications ------------------------------------------------------------------------------------------------


class NotificationListView(TemplateView):
    template_name = "workflows/notifications.html"
    flow_class = None
    viewset = None

    def get_context_data(self, **kwargs):
        qs = Notification.objects.filter(user=self.request.user).select_related("case__asset")
        return {"page_title": "消息通知", "page": _page(self.request, qs)}

    def post(self, request, *args, **kwargs):
        # Marks everything shown as read; a later notification stays unread.
        Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        messages.success(request, "已全部标记为已读。")
        return HttpResponseRedirect(request.path)


# -- substitution -------------------------------------------------------------------------------------------------


class SubstitutionView(View):
    """请假代理: name a colleague who acts for me for a period; see who I stand in for."""

    flow_class = None
    viewset = None

    def dispatch(self, request, *args, **kwargs):
        # Only people who hold tasks name a substitute; supervisors read and act on nothing.
        if not request.user.has_role(*TASK_ROLES):
            raise PermissionDenied("您的角色不办理任务，无需设置请假代理。")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(forms.SubstitutionForm(user=request.user))

    def post(self, request):
        if "end" in request.POST:
            substitution = get_object_or_404(Substitution, pk=request.POST["end"], user=request.user)
            substitution_end(actor=actor_for(user=request.user, ip=client_ip(request)), substitution=substitution)
            messages.success(request, "代理已取消。")
            return HttpResponseRedirect(request.path)
        form = forms.SubstitutionForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            with refusals_on(form):
                substitution_set(actor=actor_for(user=request.user, ip=client_ip(request)), **data)
                messages.success(request, f"已设置{data['substitute']}在此期间代理您办理任务。")
                return HttpResponseRedirect(request.path)
        return self.render(form, status=422)

    def render(self, form, status=200):
        today = timezone.localdate()
        user = self.request.user
        context = {
            "page_title": "请假代理",
            "form": form,
            "mine": Substitution.objects.filter(user=user, ends_on__gte=today).select_related("substitute"),
            "covering": Substitution.objects.filter(substitute=user, ends_on__gte=today).select_related("user"),
        }
        return TemplateResponse(self.request, "workflows/substitution.html", context, status=status)
