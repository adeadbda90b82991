"""The 监督 application: the audit trail browser, the 月调度 / 季评估 dashboards and reports, and the archive
packages (一资产一档案). Read-only for everyone; each user sees the scope `supervision_scope` gives them."""

from django.urls import path
from django.views.generic import RedirectView
from viewflow.urls import Application

from assets.selectors import supervision_scope

from . import archive_views, dashboard_views, trail_views


class SupervisionApplication(Application):
    title = "监督"
    icon = "policy"
    app_name = "supervision"
    menu_template_name = "supervision/menu.html"

    def has_view_permission(self, user, obj=None):
        return supervision_scope(user) is not None

    @property
    def index_path(self):
        return path("", RedirectView.as_view(pattern_name="supervision:dashboard"), name="index")

    urlpatterns = [*dashboard_views.urlpatterns, *trail_views.urlpatterns, *archive_views.urlpatterns]
