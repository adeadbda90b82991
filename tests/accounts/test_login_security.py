"""Signing in, 等保 二级/三级 style: lockouts after repeated failures (per account and per address, the admin's login
too), a trail that does not grow with every guess, a second factor for the roles that need one, sessions that end
when idle or with the browser, pages never cached, a Content-Security-Policy, and passwords that are not guessable."""

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from assets.models import Role
from audit.chain import audit_chain_verify
from audit.models import AuditEvent

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


def login(client, username, password=PASSWORD, ip="10.1.2.3", path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


# -- brute force ----------------------------------------------------------------------------------------------------


def test_sixty_wrong_passwords_lock_the_account_and_the_right_one_then_fails_in_chinese(client, alice):
    for _ in range(60):
        login(client, "alice", "wrong-password-1")

    locked = login(client, "alice")

    assert locked.status_code == 429
    page = locked.content.decode()
    assert "连续 5 次登录失败，该账号或本机地址已被暂时锁定" in page and "15 分钟后再试" in page
    assert "_auth_user_id" not in client.session


def test_the_lock_lifts_after_the_cool_off(client, alice, clock):
    for _ in range(5):
        login(client, "alice", "wrong-password-1")
    assert login(client, "alice").status_code == 429
    clock.shift(datetime.timedelta(minutes=16))
    assert login(client, "alice").status_code == 302


def test_an_address_guessing_many_accounts_is_locked_and_another_address_is_not(client, alice, bob):
    for name in ("nobody1", "nobody2", "nobody3", "nobody4", "nobody5"):
        login(client, name, "x", ip="10.9.9.9")
    assert login(client, "bob", ip="10.9.9.9").status_code == 429
    assert login(client, "bob", ip="10.1.1.1").status_code == 302


def test_the_admin_login_is_locked_the_same_way(client, adam):
    adam.is_staff = True
    adam.save()
    for _ in range(5):
        login(client, "adam", "wrong", path="/admin/login/")
    response = login(client, "adam", path="/admin/login/")
    assert response.status_code == 429 and "已被暂时锁定" in response.content.decode()


def test_repeated_failures_are_coalesced_on_the_trail_and_the_chain_holds(client, alice):
    for _ in range(60):
        login(client, "alice", "wrong-password-1")
    events = list(AuditEvent.objects.filter(action__startswith="login").order_by("seq"))
    assert [e.action for e in events] == ["login_failed", "login_locked"]
    assert events[1].data == {"username": "alice", "failures": 5, "minutes": 15} and events[1].ip == "10.1.2.3"
    assert audit_chain_verify().ok


def test_a_failed_guess_after_the_window_is_recorded_again(client, alice, clock):
    login(client, "alice", "wrong")
    login(client, "alice", "wrong")
    clock.shift(datetime.timedelta(minutes=16))
    login(client, "alice", "wrong")
    assert AuditEvent.objects.filter(action="login_failed").count() == 2


# -- the login page without JavaScript ------------------------------------------------------------------------------


def test_the_login_page_is_a_plain_html_form(client, alice):
    page = client.get("/accounts/login/").content.decode()
    assert re.search(r'<input type="text" name="username" id="id_username"', page)
    assert re.search(r'<input type="password" name="password" id="id_password"', page)
    assert (
        '<label for="id_username">用户名</label>' in page
        and '<button type="submit" class="ph-btn">登录</button>' in page
    )
    assert "<vf-field" not in page
    response = login(client, "alice")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)


# -- the second factor ----------------------------------------------------------------------------------------------


@pytest.fixture
def two_factor(settings):
    settings.PANHUO = {**settings.PANHUO, "REQUIRE_2FA": True}


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_a_finance_approver_enrols_with_a_locally_made_qr_code_and_gets_recovery_codes(
    client, fiona, two_factor, clock
):
    assert login(client, "fiona").status_code == 302
    response = client.get("/cases/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/setup/?next=")

    setup = client.get(response["Location"])
    page = setup.content.decode()
    qr = page.split('<div class="ph-qr">')[1].split("</svg>")[0]
    assert setup.status_code == 200 and qr.startswith("<svg") and "<image" not in qr and "href" not in qr
    device = TOTPDevice.objects.get(user=fiona, confirmed=False)
    assert "".join(re.search(r'<code class="ph-secret">([A-Z2-7 ]+)</code>', page).group(1).split())

    wrong = client.post("/accounts/2fa/setup/", {"token": "000000", "next": "/cases/inbox/"})
    assert wrong.status_code == 422 and "动态口令不正确" in wrong.content.decode()
    assert "稍候" in client.post("/accounts/2fa/setup/", {"token": code_for(device)}).content.decode()
    clock.shift(datetime.timedelta(seconds=5))  # django-otp slows a guesser down after each wrong code
    done = client.post("/accounts/2fa/setup/", {"token": code_for(device), "next": "/cases/inbox/"})
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert done.status_code == 200 and len(codes) == 10 and "备用码只显示这一次" in done.content.decode()
    assert client.get("/cases/inbox/").status_code == 200
    assert AuditEvent.objects.filter(action="otp_enrol", actor=fiona).exists()


def test_a_second_login_asks_for_the_code_and_a_recovery_code_works_once(client, fiona, two_factor, clock):
    login(client, "fiona")
    device = TOTPDevice.objects.create(user=fiona, name="动态口令", confirmed=True)
    from accounts.services import recovery_codes_new

    codes = recovery_codes_new(fiona)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/verify/")
    refused = client.post("/accounts/2fa/verify/", {"token": "123456"})
    assert refused.status_code == 422 and "不正确" in refused.content.decode()
    clock.shift(datetime.timedelta(seconds=10))  # django-otp slows repeated wrong codes down
    ok = client.post("/accounts/2fa/verify/", {"token": codes[0], "next": "/cases/inbox/"})
    assert ok.status_code == 302 and ok["Location"] == "/cases/inbox/"
    assert AuditEvent.objects.filter(action="otp_recovery_used", actor=fiona).get().data == {"left": 9}

    client.logout()
    login(client, "fiona")
    assert client.post("/accounts/2fa/verify/", {"token": codes[0]}).status_code == 422  # used up
    clock.shift(datetime.timedelta(seconds=30))
    assert client.post("/accounts/2fa/verify/", {"token": code_for(device)}).status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("who", ["sam", "adam"])
def test_supervisors_and_administrators_need_it_too_the_admin_site_included(client, who, two_factor, request):
    user = request.getfixturevalue(who)
    user.is_staff = True
    user.save()
    client.force_login(user)
    for path in ("/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/2fa/setup/" in response["Location"], path


def test_a_clerk_is_not_asked_and_nobody_is_when_the_deployment_has_it_off(client, alice, fiona, two_factor, settings):
    client.force_login(alice)
    assert client.get("/").status_code == 200
    settings.PANHUO = {**settings.PANHUO, "REQUIRE_2FA": False}
    client.force_login(fiona)
    assert client.get("/").status_code == 200


def test_the_public_pages_and_signing_out_stay_open_before_the_second_factor(client, fiona, two_factor):
    client.force_login(fiona)
    assert client.get("/verify/").status_code == 200
    assert client.post("/accounts/logout/").status_code in (200, 302)


# -- sessions and private pages -------------------------------------------------------------------------------------


def test_a_session_ends_after_30_idle_minutes_and_with_the_browser(client, alice, clock):
    response = login(client, "alice")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    clock.shift(datetime.timedelta(minutes=29))
    assert client.get("/").status_code == 200  # activity moves the end on
    clock.shift(datetime.timedelta(minutes=29))
    assert client.get("/").status_code == 200
    clock.shift(datetime.timedelta(minutes=31))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_pages_opened_within_a_minute_write_no_session_and_the_idle_end_still_moves_on(client, alice, clock):
    """accounts.middleware.SessionIdleMiddleware: the session row is written at most once a minute."""
    login(client, "alice")
    client.get("/")
    ends = Session.objects.get().expire_date
    clock.shift(datetime.timedelta(seconds=20))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
    assert Session.objects.get().expire_date == ends  # a moment later: no write
    clock.shift(datetime.timedelta(seconds=50))  # over a minute since the last write
    client.get("/")
    assert Session.objects.get().expire_date > ends  # the end moved on
    clock.shift(datetime.timedelta(minutes=29, seconds=30))  # idle 29½ minutes since the last write
    assert client.get("/").status_code == 200


def test_signed_in_pages_and_downloads_are_never_cached(client, alice):
    client.force_login(alice)
    for path in ("/", "/register/", "/register/export/", "/register/import/template/"):
        response = client.get(path)
        assert response.status_code == 200, path
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, (path, response["Cache-Control"])


def test_every_page_carries_a_policy_that_allows_no_inline_script(client, alice, sam):
    pages = {alice: ["/", "/register/", "/cases/inbox/", "/board/"],
             sam: ["/supervision/dashboard/", "/supervision/trail/", "/supervision/reports/"]}  # fmt: skip
    for user, paths in pages.items():
        client.force_login(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            policy = response["Content-Security-Policy"]
            script_src = re.search(r"script-src ([^;]*)", policy).group(1).split()
            assert script_src == ["'self'"] and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
            html = response.content.decode()
            inline = [s for s in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html) if "application/json" not in s]
            assert inline == [], (path, inline)
            assert not re.search(r"\son[a-z]+=\"", html), path
            assert "javascript:" not in html, path


# -- production settings --------------------------------------------------------------------------------------------


def test_manage_py_check_deploy_is_clean_in_the_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "k" * 20 + "a-long-random-secret-for-the-deployment-check-0123456789",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "panhuo.example.gov.cn",
        "DJANGO_SECURE_COOKIES": "true",
        "PANHUO_REQUIRE_2FA": "true",
        "PANHUO_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_with_secure_cookies_the_site_sends_hsts_and_trusts_the_proxys_https(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER,"
        " s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_SECURE_COOKIES": "true",
           "PANHUO_VAR_DIR": str(tmp_path)}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["31536000", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "True", "True"]


# -- passwords ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, message",
    [
        ("20262026", "密码不能全是数字（如 20262026）。"),
        ("ab1", "密码太短，至少须 8 个字符。"),
        ("password", "这个密码太常见，容易被猜中。"),
        ("onlyletters", "密码须同时包含字母和数字（或符号）。"),
        ("alice2026", "密码与您的用户名过于相似。"),
    ],
)
def test_a_weak_password_is_refused_in_chinese_when_a_user_changes_it(client, alice, password, message):
    client.force_login(alice)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200 and message in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_an_administrator_cannot_create_a_user_with_a_numeric_password(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True, roles=[Role.ADMIN])
    client.force_login(root)
    response = client.post("/admin/assets/user/add/", {"username": "newclerk", "password1": "20262026",
                                                       "password2": "20262026", "usable_password": "true"})  # fmt: skip
    assert response.status_code == 200 and "密码不能全是数字" in response.content.decode()


def test_a_server_error_is_explained_in_chinese(client, alice, settings):
    from django.urls import path

    def broken(request):
        raise RuntimeError("boom")

    import config.urls

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("boom/", broken), *config.urls.urlpatterns]})
    client.raise_request_exception = False
    client.force_login(alice)
    response = client.get("/boom/")
    assert response.status_code == 500 and "系统出错了" in response.content.decode()


def test_a_100000_character_name_or_password_is_refused_by_the_form_before_any_lookup(client, alice):
    for data, limit in (
        ({"username": "a" * 100_000, "password": PASSWORD}, "不超过 150 字符"),
        ({"username": "alice", "password": "x" * 100_000}, "不超过 1024 字符"),
    ):
        response = client.post("/accounts/login/", data)
        page = response.content.decode()
        assert response.status_code == 200 and limit in page and "a" * 151 not in page  # said, and not echoed whole
        assert "_auth_user_id" not in client.session
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(alice.pk)  # the refusals counted as no guess against her
