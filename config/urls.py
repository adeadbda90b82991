from django.contrib import admin
from django.urls import include, path
from viewflow.contrib.auth import AuthViewset
from viewflow.urls import Site

from assets.urls import RegisterApplication
from contracts.urls import ContractApplication
from supervision.urls import SupervisionApplication
from workflows.urls import BoardApplication, CaseApplication

from .views import HomeView


class PanhuoSite(Site):
    title = "盘活 · 闲置低效资产盘活利用"
    icon = "autorenew"
    primary_color = "#1565c0"
    menu_template_name = "panhuo/site_menu.html"
    index_path = path("", HomeView.as_view(), name="index")

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated


site = PanhuoSite(
    viewsets=[
        CaseApplication(),
        RegisterApplication(),
        BoardApplication(),
        ContractApplication(),
        SupervisionApplication(),
    ]
)

admin.site.site_header = "盘活 · 系统管理"
admin.site.site_title = "盘活 · 系统管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("verify/", include("documents.urls")),
    # Ours first: the login page as a plain form, and the second factor; then viewflow's logout and password pages.
    path("accounts/", include("accounts.urls")),
    path("accounts/", AuthViewset(allow_password_change=True, with_profile_view=False).urls),
    path("", site.urls),
]
