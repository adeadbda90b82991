from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    # Before viewflow's AuthViewset (config/urls.py): its pages are Django's ("Django 站点管理员") and promise mail.
    path("password_reset/", views.password_reset, name="password_reset"),
    path("password_reset/done/", views.password_reset_elsewhere, name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.password_reset_elsewhere, name="password_reset_confirm"),
    path("reset/done/", views.password_reset_elsewhere, name="password_reset_complete"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
