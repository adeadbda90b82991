"""The password pages are the product's own (no "Django 站点管理员"), and honest: no mail server is configured, so no
page promises an e-mail; a forgotten password is reset by an administrator, a known one is changed by its owner."""

import pytest
from django.core import mail

from assets.models import User

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db

RESET_LINKS = ["/accounts/password_reset/done/", "/accounts/reset/MQ/abc-123/", "/accounts/reset/done/"]


def test_the_login_page_links_to_the_forgotten_password_page(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<a href="/accounts/password_reset/">忘记密码</a>' in page


def test_the_lockout_page_links_to_the_forgotten_password_page(client, alice):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong-password-1"}, REMOTE_ADDR="10.4.4.4")
    locked = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.4.4.4")
    assert locked.status_code == 429
    assert '<a href="/accounts/password_reset/">联系管理员重置</a>' in locked.content.decode()


def test_the_forgotten_password_page_names_who_resets_it_and_promises_no_mail(client, settings):
    settings.PANHUO = {**settings.PANHUO, "ADMIN_CONTACT": "县财政局资产股 0837-7422xxx"}
    response = client.get("/accounts/password_reset/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "请联系本单位管理员或县财政局重置密码" in page and "县财政局资产股 0837-7422xxx" in page
    assert "<title>忘记密码 · 盘活</title>" in page and "茂县闲置低效资产资源盘活利用" in page
    assert "Django" not in page and "邮件" not in page.replace("不通过电子邮件", "")
    assert 'type="email"' not in page and "<form" not in page


def test_posting_an_address_to_the_forgotten_password_page_sends_nothing(client, alice):
    response = client.post("/accounts/password_reset/", {"email": "alice@example.cn"})
    assert response.status_code == 405
    assert mail.outbox == []


@pytest.mark.parametrize("path", RESET_LINKS)
def test_django_s_reset_links_lead_to_the_honest_page(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/"


def test_a_user_changes_their_password_on_a_branded_page(client, alice):
    client.force_login(alice)
    page = client.get("/accounts/password_change/").content.decode()
    assert "<title>修改密码 · 盘活</title>" in page and "Django" not in page
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "qiangyun-2026-lan", "new_password2": "qiangyun-2026-lan"},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password_change/done/"
    done = client.get("/accounts/password_change/done/").content.decode()
    assert "密码已修改" in done and "Django" not in done
    assert User.objects.get(pk=alice.pk).check_password("qiangyun-2026-lan")


def test_a_wrong_old_password_or_a_mismatch_is_refused_in_chinese_and_the_password_stays(client, alice):
    client.force_login(alice)
    wrong_old = client.post(
        "/accounts/password_change/",
        {"old_password": "not-it-1", "new_password1": "qiangyun-2026-lan", "new_password2": "qiangyun-2026-lan"},
    )
    mismatch = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "qiangyun-2026-lan", "new_password2": "qiangyun-2027-lan"},
    )
    assert wrong_old.status_code == 200 and "旧密码不正确" in wrong_old.content.decode()
    assert mismatch.status_code == 200 and "输入的两个密码不一致" in mismatch.content.decode()
    assert 'value="not-it-1"' not in wrong_old.content.decode()  # a password is never echoed back
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)


def test_the_password_change_page_needs_a_login(client):
    response = client.get("/accounts/password_change/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
