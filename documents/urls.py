"""/verify/: public, outside the site shell (citizens and auditors have no account)."""

from django.urls import path

from .views import VerifyView, root_certificate

app_name = "verify"
urlpatterns = [
    path("", VerifyView.as_view(), name="upload"),
    path("root-ca.pem", root_certificate, name="root_certificate"),
    path("<uuid:uuid>/", VerifyView.as_view(), name="document"),
]
