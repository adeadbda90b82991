"""/verify/: public, outside the site shell (citizens and auditors have no account)."""

from django.urls import path

from .views import VerifyView

app_name = "verify"
urlpatterns = [
    path("", VerifyView.as_view(), name="upload"),
    path("<uuid:uuid>/", VerifyView.as_view(), name="document"),
]
