"""Issue 12 §6: every error page is in Chinese, branded, with a way back; no English word or button."""

import re

import pytest
from django.test import Client, RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


def visible_words(page):
    """The Latin words a reader sees: tags, scripts, styles, icons and entities removed."""
    text = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    text = re.sub(r"(?s)<(i|button|span)\b[^>]*material-icons[^>]*>.*?</\1>", " ", text)  # icon ligatures
    text = re.sub(r"(?s)<[^>]*>", " ", text)
    text = re.sub(r"&[#\w]+;", " ", text)
    return set(re.findall(r"[A-Za-z]{2,}", text))


def assert_chinese_with_way_back(response, status, heading):
    page = response.content.decode()
    assert response.status_code == status
    assert heading in page and 'href="/"' in page and "返回首页" in page
    assert visible_words(page) <= {"Panhuo"}, visible_words(page)
    assert "¯\\_(ツ)_/¯" not in page


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def test_an_unknown_page_is_a_chinese_404(production, client, alice):
    assert_chinese_with_way_back(client.get("/no-such-page/"), 404, "页面不存在")
    client.force_login(alice)
    assert_chinese_with_way_back(client.get("/no-such-page/"), 404, "页面不存在")


def test_an_unknown_viewflow_page_is_our_404_not_materials(production, client, alice):
    client.force_login(alice)
    assert_chinese_with_way_back(client.get("/cases/999999/"), 404, "页面不存在")


def test_a_refusal_is_a_chinese_403(production, sam):
    request = RequestFactory().get("/")
    request.user = sam
    assert_chinese_with_way_back(defaults.permission_denied(request, PermissionError()), 403, "无权访问")


def test_a_bad_request_is_a_chinese_400(production):
    request = RequestFactory().get("/")
    assert_chinese_with_way_back(defaults.bad_request(request, ValueError()), 400, "请求有误")


def test_a_server_error_is_a_chinese_500(production):
    response = defaults.server_error(RequestFactory().get("/"))
    assert_chinese_with_way_back(response, 500, "系统出错了")
    assert "没有保存" in response.content.decode()


def test_a_csrf_failure_is_a_chinese_page_that_says_nothing_was_saved(production):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert_chinese_with_way_back(response, 403, "页面已过期")
    assert "没有保存" in response.content.decode()
