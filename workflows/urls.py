"""The 待办 application (viewflow's inbox, queue and archive for the disposal flow, scoped and in Chinese) and the
调剂共享平台 board."""

from django.urls import path
from django.views.generic import RedirectView
from viewflow.urls import Application
from viewflow.workflow.flow import FlowAppViewset

from . import views
from .flows import DisposalFlow
from .permissions import TASK_ROLES


class CaseApplication(FlowAppViewset):
    title = "待办"
    icon = "assignment"
    app_name = "cases"
    menu_template_name = "workflows/menu.html"

    inbox_view_class = views.InboxView
    queue_view_class = views.QueueView
    archive_view_class = views.ArchiveView
    process_list_view_class = views.CaseListView
    process_detail_view_class = views.CaseDetailView
    tasks_assign_view_class = views.BulkClaimView
    chart_view_class = views.CaseChartView

    # viewflow's kanban, all-task list, cancel and bulk release are not scoped per organization: not offered.
    task_list_path = None
    process_cancel_path = None
    tasks_unassign_path = None

    urlpatterns = [
        path("report/<int:pk>/", views.ReportView.as_view(), name="report"),
        path("<int:pk>/withdraw/", views.CaseWithdrawView.as_view(), name="withdraw"),
        path("<int:pk>/sharing-uses/", views.SharingUseView.as_view(), name="sharing_use"),
        path("<int:pk>/follow-up/", views.CaseFollowUpView.as_view(), name="follow_up"),
        path("<int:pk>/documents/<uuid:uuid>/", views.document_download, name="document"),
        path("team/", views.TeamView.as_view(), name="team"),
        path("notifications/", views.NotificationListView.as_view(), name="notifications"),
        path("substitution/", views.SubstitutionView.as_view(), name="substitution"),
        path("flow/", views.FlowChartPage.as_view(), name="flow_chart"),
    ]

    def __init__(self, **kwargs):
        super().__init__(DisposalFlow, **kwargs)

    @property
    def index_path(self):
        return path("", RedirectView.as_view(pattern_name="cases:inbox"), name="index")

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated and (bool(user.roles) or user.is_superuser)

    def get_context_data(self, request):
        from .selectors import menu_counts, team_organization

        return {
            **menu_counts(user=request.user),
            "may_substitute": request.user.has_role(*TASK_ROLES),
            "may_see_team": team_organization(request.user) is not None,
        }


class BoardApplication(Application):
    title = "调剂平台"
    icon = "swap_horiz"
    app_name = "board"
    menu_template_name = "workflows/board_menu.html"

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated and bool(user.roles)

    urlpatterns = [
        path("", views.BoardView.as_view(), name="list"),
        path("<int:pk>/", views.BoardAssetView.as_view(), name="asset"),
        path("<int:pk>/photos/<int:photo>/", views.board_photo, name="photo"),
        path("<int:pk>/apply/", views.BoardApplyView.as_view(), name="apply"),
        path("applications/", views.BoardApplicationsView.as_view(), name="applications"),
        path("applications/<int:pk>/withdraw/", views.BoardWithdrawView.as_view(), name="withdraw"),
    ]
