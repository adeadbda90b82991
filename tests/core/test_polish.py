"""The product's own face (issue 12 §6): documents link to the address the site is served on, the admin speaks Chinese
and keeps its hands off live tasks, and no page or message doubles its 已."""

import ast
import itertools
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from assets.models import User
from documents.services import verify_url

from ..cases import issue_all, verified

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)


def pdf_text(document) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f, document.file.open("rb") as pdf:
        f.write(pdf.read())
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True).stdout


# -- the public address in documents --------------------------------------------------------------------------------


def test_a_document_prints_the_configured_public_address_in_its_verification_link(building, alice, henry, hugo):
    site = "http://192.0.2.10:8101/"  # e.g. `PORT=8101 make run` on a machine others reach at 192.0.2.10
    with override_settings(PANHUO={**settings.PANHUO, "SITE_URL": site}):
        case = verified(building, alice, henry, hugo)
        document = issue_all(case)[0]
        url = verify_url(document)
    assert url == f"http://192.0.2.10:8101/verify/{document.uuid}/"
    text = pdf_text(document)
    assert f"核验地址：{url}" in re.sub(r"\s+", "", text)  # a long address may wrap in the PDF
    assert "127.0.0.1:8000" not in text


def test_make_run_and_serve_pass_the_served_address_unless_one_is_set():
    def dry_run(target: str, **env: str) -> str:
        command = ["make", "-n", "-s", "-o", "demo", "-o", "deps", target, *(f"{k}={v}" for k, v in env.items())]
        return subprocess.run(command, cwd=BASE_DIR, capture_output=True, text=True, check=True).stdout

    assert 'PANHUO_SITE_URL="http://127.0.0.1:8101"' in dry_run("run", PORT="8101")
    assert 'PANHUO_SITE_URL="http://127.0.0.1:8101"' in dry_run("serve", PORT="8101")
    assert 'PANHUO_SITE_URL="https://panhuo.example.gov.cn"' in dry_run(
        "serve", PORT="8101", PANHUO_SITE_URL="https://panhuo.example.gov.cn"
    )


# -- the admin in Chinese -------------------------------------------------------------------------------------------

ENGLISH_HELP = ("Hold down", "Control", "Raw passwords", "After you’ve created a user", "Designates whether")


def test_the_admin_index_names_the_workflow_and_sign_in_sections_in_chinese(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/").content.decode()
    for chinese in ("流程引擎（只读）", "流程实例", "流程任务", "登录失败与锁定", "双因素认证：动态口令"):
        assert chinese in page
    for english in (">Workflow<", ">Tasks<", ">Process list<", ">Axes<", ">Otp_Totp<", "TOTP devices"):
        assert english not in page
    assert ">流程任务<" in client.get("/admin/viewflow/").content.decode()


def test_the_lockout_records_speak_chinese(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/axes/accesslog/").content.decode()
    assert "选择 登录日志 来修改" in page and ">IP 地址<" in page and ">浏览器标识<" in page
    assert not [english for english in ("access log", "IP Address", "User Agent", "Attempt Time") if english in page]


def test_the_user_list_shows_and_filters_roles_by_their_chinese_names(client, admin_user, alice, henry):
    client.force_login(admin_user)
    page = client.get("/admin/assets/user/").content.decode()
    assert "?role=unit_clerk" in page and ">经办人<" in page and ">单位负责人<" in page
    assert ">unit_clerk<" not in page and ">dept_reviewer<" not in page
    clerks = client.get("/admin/assets/user/?role=unit_clerk").content.decode()
    assert f"/admin/assets/user/{alice.pk}/change/" in clerks
    assert f"/admin/assets/user/{henry.pk}/change/" not in clerks


def test_the_user_form_offers_roles_in_chinese_with_chinese_help(client, admin_user, alice):
    client.force_login(admin_user)
    for path in (f"/admin/assets/user/{alice.pk}/change/", "/admin/assets/user/add/"):
        page = client.get(path).content.decode()
        assert "经办人（unit_clerk）" in page and "财政审批人（finance_approver）" in page, path
        assert "用户在本系统中的角色，可选多个" in page, path
        assert not [text for text in ENGLISH_HELP if text in page], path
    assert "系统不保存原始密码" in client.get(f"/admin/assets/user/{alice.pk}/change/").content.decode()
    assert "保存后可补充联系电话" in client.get("/admin/assets/user/add/").content.decode()


def test_a_new_user_sent_wrong_is_refused_in_chinese_and_keeps_what_was_typed(client, admin_user, school):
    client.force_login(admin_user)
    form = {"username": "zhang_jb", "full_name": "张三", "organization": school.pk, "usable_password": "true",
            "password1": "qiangyun-2026-lan", "password2": "qiangyun-2027-lan"}  # fmt: skip
    response = client.post("/admin/assets/user/add/", form)
    page = response.content.decode()
    assert response.status_code == 200 and "输入的两个密码不一致" in page
    assert 'value="zhang_jb"' in page and 'value="张三"' in page
    assert not User.objects.filter(username="zhang_jb").exists()


def test_the_role_groups_list_says_which_role_each_is(client, admin_user, alice):
    client.force_login(admin_user)
    page = client.get("/admin/auth/group/").content.decode()
    assert "经办人（unit_clerk）" in page


def test_a_live_task_is_shown_in_chinese_and_a_post_changing_it_is_refused(client, computer, alice, henry, rita,
                                                                           admin_user):  # fmt: skip
    case = verified(computer, alice, henry, rita)
    task = case.task_set.exclude(status="DONE").first()
    client.force_login(admin_user)
    changelist = client.get("/admin/viewflow/task/").content.decode()
    assert "<title>流程任务（只读） | 盘活 · 系统管理</title>" in changelist
    assert ">办理人<" in changelist and "?status=DONE" in changelist and ">已完成<" in changelist
    assert not [english for english in (">Assigned<", ">Owner<", ">Status<", "以 Status") if english in changelist]
    done = case.task_set.filter(status="DONE").first()
    filtered = client.get(f"/admin/viewflow/task/?status={task.status}").content.decode()
    assert f"/admin/viewflow/task/{task.pk}/change/" in filtered
    assert f"/admin/viewflow/task/{done.pk}/change/" not in filtered
    processes = client.get("/admin/viewflow/process/").content.decode()
    assert "<title>流程实例（只读） | 盘活 · 系统管理</title>" in processes and ">状态<" in processes
    page = client.get(f"/admin/viewflow/task/{task.pk}/change/").content.decode()
    assert "查看流程任务" in page and 'name="_save"' not in page
    response = client.post(f"/admin/viewflow/task/{task.pk}/change/", {"status": "DONE", "owner": admin_user.pk})
    assert response.status_code == 403
    assert type(task).objects.get(pk=task.pk).status == task.status
    assert client.post(f"/admin/viewflow/task/{task.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/viewflow/process/{case.pk}/change/", {"status": "DONE"}).status_code == 403


def test_a_unit_clerk_does_not_get_into_the_admin(client, alice):
    client.force_login(alice)
    response = client.get("/admin/assets/user/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# -- no doubled 已 ---------------------------------------------------------------------------------------------------

PRODUCT = ("accounts", "assets", "audit", "core", "demo", "documents", "supervision", "workflows", "config",
           "templates")  # fmt: skip
# A state or status label put after a 已 of the sentence's own: labels such as 已销号 and 已处置 carry their 已.
YI_BEFORE_A_LABEL = re.compile(r"已\s*{{[^}]*(_display|label|state|status)[^}]*}}")


def _python_files():
    for folder in PRODUCT:
        for path in sorted((BASE_DIR / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_template_or_message_says_yi_twice():
    """The closed case's own page is walked in tests/workflows/test_flow_urls.py (该事项已销号); this holds the cause:
    no text puts its own 已 before a label."""
    offenders = []
    for folder in PRODUCT:
        for path in sorted((BASE_DIR / folder).rglob("*.html")) + sorted((BASE_DIR / folder).rglob("*.txt")):
            text = path.read_text(encoding="utf-8")
            if "已已" in text or YI_BEFORE_A_LABEL.search(text):
                offenders.append(str(path.relative_to(BASE_DIR)))
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "已已" in node.value:
                offenders.append(f"{path.relative_to(BASE_DIR)}:{node.lineno}")
            if isinstance(node, ast.JoinedStr):
                for before, value in itertools.pairwise(node.values):
                    if (
                        isinstance(before, ast.Constant)
                        and str(before.value).endswith("已")
                        and isinstance(value, ast.FormattedValue)
                        and re.search(r"display|label|state|status", ast.unparse(value.value))
                    ):
                        offenders.append(f"{path.relative_to(BASE_DIR)}:{node.lineno}")
    assert offenders == []


# -- a README that stands alone -------------------------------------------------------------------------------------


OUTSIDE = "../" + "shared"  # the folder next to the checkout a clone does not have (spelled so this file passes)


def test_no_file_of_the_repository_sends_a_reader_outside_it():
    tracked = subprocess.run(["git", "ls-files"], cwd=BASE_DIR, capture_output=True, text=True, check=True).stdout
    offenders = []
    for name in tracked.split():
        path = BASE_DIR / name
        if path.suffix in {".py", ".md", ".html", ".txt", ".toml", ".cfg", ".yml", ".yaml"} or path.name == "Makefile":
            if OUTSIDE in path.read_text(encoding="utf-8", errors="replace"):
                offenders.append(name)
    assert offenders == []


def test_the_readme_s_links_open_inside_the_repository_and_it_names_roles_and_settings():
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#:]+)\)", readme)
    assert "docs/DESIGN.md" in links and "docs/policy/" in links
    assert [link for link in links if not (BASE_DIR / link).exists()] == []
    for needed in ("make run", "make test", "`unit_clerk`", "经办人", "panhuo2026", "PANHUO_SITE_URL", "DATABASE_URL",
                   "REDIS_URL", "## Layout"):  # fmt: skip
        assert needed in readme, needed


# -- no page says it is Django's ------------------------------------------------------------------------------------


def test_no_page_a_user_or_an_administrator_opens_says_django(client, alice, admin_user):
    anonymous = ["/accounts/login/", "/accounts/password_reset/", "/verify/", "/admin/login/"]
    signed_in = ["/", "/accounts/password_change/", "/accounts/password_change/done/", "/no-such-page/"]
    pages = {path: client.get(path, follow=True) for path in anonymous}
    client.force_login(alice)
    pages.update({path: client.get(path, follow=True) for path in signed_in})
    client.force_login(admin_user)
    pages.update({path: client.get(path) for path in ("/admin/", "/admin/assets/user/", "/admin/viewflow/task/")})
    said = {path: response.status_code for path, response in pages.items() if "Django" in response.content.decode()}
    assert said == {}
    assert pages["/no-such-page/"].status_code == 404 and pages["/accounts/password_reset/"].status_code == 200


def test_the_committed_catalog_is_compiled_from_its_source():
    import gettext

    folder = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
    source = (folder / "django.po").read_text(encoding="utf-8")
    pairs = dict(re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', source, re.M))
    with open(folder / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert len(pairs) >= 20
    assert {msgid: compiled.gettext(msgid) for msgid in pairs} == pairs


def test_no_select_offers_django_s_dashes_as_its_blank_choice(client, alice, henry, hugo, building, admin_user):
    """A select's blank choice reads 请选择 (core.forms): the ledger's own form, the plan's receiving-unit selects
    and the admin's forms."""
    from ..workflows.test_flow_urls import verified_via_urls
    from ..workflows.test_methods import plan_page

    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    pages = {"plan": plan_page(client, alice, case)}
    pages["ledger add"] = client.get("/register/add/").content.decode()
    client.force_login(admin_user)
    pages["admin user"] = client.get("/admin/assets/user/add/").content.decode()
    assert 'name="receiving_unit"' in pages["plan"] and 'name="category"' in pages["ledger add"]
    assert {name: "---------" in page for name, page in pages.items()} == dict.fromkeys(pages, False)
    assert '<option value="" selected>请选择</option>' in pages["plan"]
