"""The 合同 application: contracts after 销号, for whoever sees their case."""

from django.urls import path
from viewflow.urls import Application

from . import ledger_views, views


class ContractApplication(Application):
    title = "合同"
    icon = "receipt_long"
    app_name = "contracts"
    menu_template_name = "contracts/menu.html"

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated and (bool(user.roles) or user.is_superuser)

    @property
    def index_path(self):
        return path("", views.ContractListView.as_view(), name="index")

    # The rent ledger's pages have their own module (contracts.ledger_views).
    urlpatterns = views.urlpatterns + ledger_views.urlpatterns
