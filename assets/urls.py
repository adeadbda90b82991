"""The 资产台账 application in the site shell: ledger, asset file, evidence, Excel in and out."""

from django.urls import path
from viewflow.urls import Application

from . import excel_views, views


class RegisterApplication(Application):
    title = "资产台账"
    icon = "inventory_2"
    app_name = "register"
    menu_template_name = "assets/menu.html"

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated and bool(user.roles)

    urlpatterns = [
        path("", views.AssetListView.as_view(), name="list"),
        path("add/", views.AssetCreateView.as_view(), name="add"),
        path("<int:pk>/", views.AssetDetailView.as_view(), name="detail"),
        path("<int:pk>/edit/", views.AssetUpdateView.as_view(), name="edit"),
        path("<int:pk>/attachments/", views.AttachmentUploadView.as_view(), name="attachment_upload"),
        path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
        *excel_views.urlpatterns,
    ]
