"""The sign-in pages: a plain HTML form (no JavaScript needed), the lockout page, the second factor, and the password
pages (a forgotten one is reset by an administrator; a known one is changed here)."""

import io
from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from .security import two_factor_required
from .services import (
    SecondFactorError,
    second_factor_verify,
    totp_device_confirmed,
    totp_enrol_confirm,
    totp_enrol_start,
)

# Long enough for any passphrase; a longer one is refused before it is hashed.
PASSWORD_MAX_LENGTH = 1024


class LoginForm(AuthenticationForm):
    # Bounded like every text field (a 100,000-character name or password is refused before it is looked up).
    username = UsernameField(label="用户名", max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(
        label="密码", strip=False, max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip
    error_messages = {
        "invalid_login": "用户名或密码不正确（区分大小写）。连续输错 %(limit)s 次，账号将被锁定 %(minutes)s 分钟。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }

    def get_invalid_login_error(self):
        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"limit": settings.AXES_FAILURE_LIMIT, "minutes": _lockout_minutes()},
        )


def _lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


class LoginView(auth_views.LoginView):
    """Django's login view with a page of plain <input> fields: works with screen readers, without JavaScript and
    for scripted clients (viewflow's own login fields are web components)."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers while an account or an address is locked (HTTP 429)."""
    context = {"page_title": "暂时无法登录", "minutes": _lockout_minutes(), "limit": settings.AXES_FAILURE_LIMIT}
    # Rendered here: axes returns it from its middleware, past the point where Django renders a TemplateResponse.
    return render(request, "accounts/locked_out.html", context, status=429)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="动态口令或备用码",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


def _qr_svg(text: str) -> str:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", xmldecl=False, svgns=True, scale=5, border=2)
    return out.getvalue().decode()


@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Enrolment: the QR code (made here, no outside service) and the secret to type in, then the first code."""
    device = totp_enrol_start(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_enrol_confirm(request=request, user=request.user, token=form.cleaned_data["token"])
        except SecondFactorError as exc:
            form.add_error("token", str(exc))
        else:
            context = {"page_title": "备用码", "codes": codes, "next": _next(request)}
            return TemplateResponse(request, "accounts/recovery_codes.html", context)
    secret = b32encode(device.bin_key).decode()
    context = {
        "page_title": "启用双因素认证",
        "form": form,
        "qr": mark_safe(_qr_svg(device.config_url)),  # our own markup: a QR code of the otpauth:// address
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": two_factor_required(request.user),
        "replacing": totp_device_confirmed(request.user) is not None,
        "next": _next(request),
    }
    return TemplateResponse(request, "accounts/two_factor_setup.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    if totp_device_confirmed(request.user) is None:
        return redirect("accounts:two_factor_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            second_factor_verify(request=request, user=request.user, token=form.cleaned_data["token"])
        except SecondFactorError as exc:
            form.add_error("token", str(exc))
        else:
            return redirect(_next(request))
    context = {"page_title": "双因素认证", "form": form, "next": _next(request)}
    return TemplateResponse(request, "accounts/two_factor_verify.html", context, status=422 if form.errors else 200)


@login_not_required
@require_http_methods(["GET", "HEAD"])
def password_reset(request):
    """No mail server is configured for the county (settings.EMAIL_URL is the console), so no page promises an e-mail:
    a forgotten password is reset by an administrator in /admin/, and this page says whom to ask."""
    context = {"page_title": "忘记密码", "contact": settings.PANHUO["ADMIN_CONTACT"]}
    return TemplateResponse(request, "accounts/password_reset.html", context)


@login_not_required
def password_reset_elsewhere(request, **kwargs):
    # Django's reset links (…/done/, reset/<uid>/<token>/) lead to the one honest page: none was ever mailed.
    return redirect("accounts:password_reset")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    extra_context = {"page_title": "修改密码"}


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
    extra_context = {"page_title": "密码已修改"}


login_view = login_not_required(LoginView.as_view())
