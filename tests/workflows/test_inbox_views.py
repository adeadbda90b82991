"""The task lists as people work from them (issue 12 §4): 已办 only looks, the inbox filters, searches, sorts and
pages, saved views are shared within an organization, the queue claims what it shows, and a department head reads
his department's ledger and open work without gaining any act right."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import Organization, Role
from audit.models import AuditEvent
from workflows.calendar import working_days_between
from workflows.flows import DisposalFlow
from workflows.models import DisposalCase, Notification, SavedTaskView

from ..cases import TWO_YEARS_AGO, idle_evidence
from ..clock import TODAY, at
from ..factories import AssetFactory, UserFactory
from .test_flow_urls import claim, fresh, messages_of, open_task, url
from .test_inbox import submitted

pytestmark = pytest.mark.django_db


def idle_asset(unit, code, *, value="6500", name="笔记本电脑"):
    asset = AssetFactory(code=code, name=name, holding_unit=unit, usage_status="idle", idle_since=TWO_YEARS_AGO,
                         original_value=Decimal(value))  # fmt: skip
    idle_evidence(asset)
    return asset


def codes(page: str) -> list[str]:
    """The asset codes of the list's rows, in order."""
    return re.findall(r'href="/cases/\d+/">([A-Z0-9-]+)</a>', page)


@pytest.fixture
def rosa(rita):
    """A second reviewer at rita's department, so its verification tasks wait in the queue."""
    return UserFactory(username="rosa", full_name="罗莎", organization=rita.organization, roles=[Role.DEPT_REVIEWER])


@pytest.fixture
def boss(rita):
    """单位负责人 of 机关事务管理局: the head of rita's department."""
    return UserFactory(username="boss", full_name="赵德明", organization=rita.organization, roles=[Role.UNIT_HEAD])


# -- 已办 ----------------------------------------------------------------------------------------------------------


def test_finished_tasks_offer_a_look_at_the_case_never_办理(client, computer, alice, henry):
    case = submitted(client, computer, alice, henry)
    client.force_login(henry)
    page = client.get("/cases/archive/").content.decode()
    assert computer.code in page and "单位负责人签发" in page
    assert "查看" in page and ">办理<" not in page and ">认领<" not in page
    done = Task.objects.get(process_id=case.pk, flow_task=DisposalFlow.sign_off)
    assert url(DisposalFlow.sign_off, done) not in page


# -- columns, filters, search, sort, pages ---------------------------------------------------------------------


def test_inbox_rows_carry_the_case_number_the_day_received_and_the_working_days_left(client, computer, alice,
                                                                                     henry, rita):  # fmt: skip
    case = submitted(client, computer, alice, henry)
    client.force_login(rita)
    page = client.get("/cases/inbox/").content.decode()
    due = fresh(case).step_due_on
    assert f"#{case.pk}" in page and "剩余工作日" in page and "接收时间" in page
    assert f'<td class="num">{working_days_between(TODAY, due)}</td>' in page

    with time_machine.travel(at(due + datetime.timedelta(days=7))):
        client.force_login(rita)
        page = client.get("/cases/inbox/").content.decode()
        overdue = working_days_between(due, due + datetime.timedelta(days=7))
        assert f"超期 {overdue} 个工作日" in page and "已超期" in page


def test_the_inbox_filters_by_step_unit_category_method_band_and_deadline_and_searches_code_or_name(
    client, school, town, alice, henry, bob, rita
):
    town_head = UserFactory(username="th", organization=town, roles=[Role.UNIT_HEAD])
    submitted(client, idle_asset(school, "MX-YZ-PC-001", value="3000"), alice, henry)
    submitted(client, idle_asset(school, "MX-YZ-PC-002", value="120000", name="服务器"), alice, henry)
    submitted(client, idle_asset(town, "MX-FY-PC-003", value="800000"), bob, town_head)
    client.force_login(rita)

    def listed(**params):
        response = client.get("/cases/inbox/", params)
        assert response.status_code == 200
        return codes(response.content.decode())

    assert sorted(listed()) == ["MX-FY-PC-003", "MX-YZ-PC-001", "MX-YZ-PC-002"]
    assert listed(q="服务器") == ["MX-YZ-PC-002"]
    assert listed(q="fy-pc") == ["MX-FY-PC-003"]  # the code, whatever the case
    assert listed(unit=town.pk) == ["MX-FY-PC-003"]
    assert listed(value_band="50k-500k") == ["MX-YZ-PC-002"]
    assert listed(value_band="lt50k") == ["MX-YZ-PC-001"]
    assert listed(step="verify", sort="value") == ["MX-FY-PC-003", "MX-YZ-PC-002", "MX-YZ-PC-001"]
    assert listed(step="plan") == [] and listed(method="scrap") == []
    assert len(listed(category=computer_category_pk())) == 3
    assert listed(overdue="on") == [] and len(listed(due_within="30")) == 3 and listed(due_within="0") == []
    page = client.get("/cases/inbox/", {"q": "服务器", "sort": "value"}).content.decode()
    assert 'value="服务器"' in page and '<option value="value" selected>' in page  # the form keeps its values
    assert "没有符合筛选条件的任务" in client.get("/cases/inbox/", {"q": "不存在"}).content.decode()


def computer_category_pk() -> int:
    from assets.models import Category

    return Category.objects.get(code="general_equipment").pk


def test_bad_filter_values_are_named_and_ignored_never_a_failure(client, school, alice, henry, rita):
    submitted(client, idle_asset(school, "MX-YZ-PC-001", value="3000"), alice, henry)
    submitted(client, idle_asset(school, "MX-YZ-PC-002", value="120000"), alice, henry)
    client.force_login(rita)
    for params, message in (
        ({"value_band": "abc"}, "原值区间：不是可选的值，已忽略。"),
        ({"due_within": "-1"}, "剩余工作日不能为负数，已忽略。"),
        ({"due_within": "abc"}, "请输入 0 至 365 之间的整数，已忽略。"),
        ({"due_within": "99999999999999999999"}, "剩余工作日不能超过 365，已忽略。"),
        ({"q": "电" * 100_000}, "搜索词不能超过 100 个字，已忽略。"),
        ({"q": "PC\x00-001"}, "资产编号或名称："),
        ({"unit": "abc"}, "持有单位：不是可选的值，已忽略。"),
        ({"sort": "'; drop table"}, "排序：不是可选的值，已忽略。"),
        ({"step": "\x1b[31m"}, "环节：不是可选的值，已忽略。"),
    ):
        for kind in ("inbox", "queue", "archive"):
            response = client.get(f"/cases/{kind}/", params)
            assert response.status_code == 200, (kind, params)
        page = client.get("/cases/inbox/", {**params, "value_band": params.get("value_band", "lt50k")})
        text = page.content.decode()
        assert message in text, params
        if "value_band" not in params:  # the valid filter still applies beside the wrong one
            assert codes(text) == ["MX-YZ-PC-001"], params


def test_the_list_pages_and_the_pages_keep_the_filters(client, school, alice, henry, rita):
    for n in range(32):
        submitted(client, idle_asset(school, f"MX-YZ-PC-{n:03d}"), alice, henry)
    client.force_login(rita)
    first = client.get("/cases/inbox/", {"q": "MX-YZ", "sort": "case"}).content.decode()
    assert len(codes(first)) == 30 and "第 1 / 2 页，共 32 项" in first
    assert "q=MX-YZ&amp;sort=case&amp;page=2" in first
    second = client.get("/cases/inbox/", {"q": "MX-YZ", "sort": "case", "page": "2"}).content.decode()
    assert codes(second) == ["MX-YZ-PC-030", "MX-YZ-PC-031"]
    assert client.get("/cases/inbox/", {"page": "abc"}).status_code == 200


def test_a_page_past_the_last_shows_the_last_page(client, school, alice, henry, rita):
    for n in range(31):
        submitted(client, idle_asset(school, f"MX-YZ-PC-{n:03d}"), alice, henry)
    client.force_login(rita)
    last = client.get("/cases/inbox/", {"sort": "case", "page": "7"}).content.decode()
    assert codes(last) == ["MX-YZ-PC-030"] and "第 2 / 2 页，共 31 项" in last
    assert "没有符合筛选条件的任务" in client.get("/cases/inbox/", {"q": "不存在", "page": "3"}).content.decode()


def test_the_filtered_inbox_and_its_menu_cost_the_same_queries_however_many_cases_it_holds(
    client, school, alice, henry, rita, rosa
):
    """bench workflow's filtered inbox (issue 12 §4): a search, a 原值 band, a deadline window and a sort."""
    filters = {"q": "电脑", "value_band": "lt50k", "due_within": "30", "sort": "value"}

    def shown():
        client.force_login(rita)
        client.get("/cases/inbox/", filters)  # a page that writes the session (at most once a minute) is not measured
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/cases/inbox/", filters)
        assert response.status_code == 200
        return len(queries.captured_queries), response.content.decode()

    def menu(page: str, item: str) -> int:
        return int(re.search(rf"{item}</span><span class=\"mdc-list-item__end\">(\d*)</span>", page)[1] or 0)

    def add(n: int, *, value="6500") -> DisposalCase:
        case = submitted(client, idle_asset(school, f"MX-YZ-PC-{n:03d}", value=value), alice, henry)
        claim(client, rita, case, DisposalFlow.verify)
        return case

    add(0)
    few, page = shown()
    assert codes(page) == ["MX-YZ-PC-000"] and menu(page, "我的待办") == 1
    for n in range(1, 9):
        add(n, value=str(10000 + n))
    add(9, value="80000")  # outside the band: in the inbox, not in the filtered list
    submitted(client, idle_asset(school, "MX-YZ-PC-010"), alice, henry)  # rita's and rosa's queue
    many, page = shown()
    assert many == few
    assert codes(page) == [*(f"MX-YZ-PC-{n:03d}" for n in range(8, 0, -1)), "MX-YZ-PC-000"]
    assert menu(page, "我的待办") == 10 and menu(page, "待认领") == 1
    unread = Notification.objects.filter(user=rita, read_at__isnull=True).count()
    assert unread and menu(page, "消息通知") == unread


# -- saved views -----------------------------------------------------------------------------------------------


def test_a_saved_view_is_the_owners_and_shared_within_the_organization_only_the_owner_deletes(
    client, school, alice, henry, rita, rosa, hugo
):
    submitted(client, idle_asset(school, "MX-YZ-PC-001", value="3000"), alice, henry)
    submitted(client, idle_asset(school, "MX-YZ-PC-002", value="120000"), alice, henry)
    client.force_login(rita)
    response = client.post("/cases/queue/?value_band=50k-500k&sort=value&page=3&junk=1", {"name": "高值设备",
                                                                                          "shared": "on"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/cases/queue/?value_band=50k-500k&sort=value"
    view = SavedTaskView.objects.get(owner=rita)
    assert (view.page, view.query, view.shared) == ("queue", "value_band=50k-500k&sort=value", True)
    client.post("/cases/queue/?q=PC-001&due_within=0", {"name": "只给自己"})
    assert SavedTaskView.objects.get(name="只给自己").query == "q=PC-001&due_within=0"

    client.force_login(rosa)  # a colleague sees the shared one and applies it
    page = client.get("/cases/queue/").content.decode()
    assert "高值设备（陈丽共享）</a>" in page and "只给自己</a>" not in page
    assert codes(client.get("/cases/queue/?" + view.query).content.decode()) == ["MX-YZ-PC-002"]
    assert client.post("/cases/queue/", {"delete_view": view.pk}).status_code == 404
    assert "高值设备" not in client.get("/cases/inbox/").content.decode()  # saved for the queue only

    client.force_login(hugo)  # another department sees neither
    assert "高值设备" not in client.get("/cases/queue/").content.decode()

    client.force_login(rita)
    assert client.post("/cases/queue/", {"delete_view": view.pk}).status_code == 302
    assert list(SavedTaskView.objects.values_list("name", flat=True)) == ["只给自己"]


def test_a_saved_view_without_a_name_or_a_taken_one_is_refused_and_the_filters_stay(client, school, alice, henry,
                                                                                   rita):  # fmt: skip
    submitted(client, idle_asset(school, "MX-YZ-PC-001"), alice, henry)
    client.force_login(rita)
    for name, message in (("", "名称：这个字段是必填项"), ("\x07响铃", "名称："), ("名" * 41, "名称：")):
        response = client.post("/cases/inbox/?q=PC-001", {"name": name})
        text = response.content.decode()
        assert response.status_code == 422 and message in text, name
        assert 'value="PC-001"' in text and codes(text) == ["MX-YZ-PC-001"]
    client.post("/cases/inbox/?q=PC-001", {"name": "我的"})
    again = client.post("/cases/inbox/", {"name": "我的"})
    assert again.status_code == 422 and "您已有同名的筛选" in again.content.decode()
    assert SavedTaskView.objects.count() == 1
    assert client.post("/cases/inbox/", {"delete_view": "abc"}).status_code == 404


# -- claiming what the filtered queue shows ------------------------------------------------------------------------


def test_the_queue_claims_every_task_it_shows_in_one_click_each_through_the_claim_service(
    client, school, alice, henry, rita, rosa
):
    cases = [submitted(client, idle_asset(school, f"MX-YZ-PC-00{n}", value=v), alice, henry)
             for n, v in ((1, "3000"), (2, "120000"), (3, "200000"))]  # fmt: skip
    client.force_login(rita)
    page = client.get("/cases/queue/", {"value_band": "50k-500k"}).content.decode()
    assert "认领本页显示的全部 2 项" in page
    shown = re.search(r'<form method="post" action="/cases/queue/assign/" id="claim-shown">(.*?)</form>', page).group(1)
    ids = re.findall(r'name="pk" value="(\d+)"', shown)
    expected = {str(open_task(c, DisposalFlow.verify).pk) for c in cases[1:]}
    assert set(ids) == expected

    response = client.post("/cases/queue/assign/", {"pk": ids, "all": "1"})
    assert response.status_code == 302 and "已认领 2 项任务。" in messages_of(response)
    assert set(Task.objects.filter(owner=rita, status=STATUS.ASSIGNED).values_list("pk", flat=True)) == {
        int(i) for i in ids
    }
    assert AuditEvent.objects.filter(action="claim", actor=rita).count() == 2  # the trail of each claim
    assert "认领本页显示的全部" not in client.get("/cases/queue/", {"value_band": "50k-500k"}).content.decode()

    client.force_login(rosa)  # what rita claimed is no longer anyone else's to claim
    again = client.post("/cases/queue/assign/", {"pk": ids})
    assert "2 项任务未能认领（已被他人认领或无权认领）。" in messages_of(again)


# -- the department head -------------------------------------------------------------------------------------------


def test_a_department_head_reads_his_departments_ledger_and_open_work_and_may_act_on_none(
    client, computer, building, school, alice, henry, rita, rosa, boss
):
    case = submitted(client, computer, alice, henry)
    second = submitted(client, idle_asset(school, "MX-YZ-PC-002"), alice, henry)
    claim(client, rita, second, DisposalFlow.verify)
    client.force_login(boss)

    ledger = client.get("/register/").content.decode()
    assert computer.code in ledger and "MX-YZ-PC-002" in ledger and building.code not in ledger
    assert client.get(f"/register/{computer.pk}/").status_code == 200
    assert client.get(f"/register/{computer.pk}/edit/").status_code in (403, 404)

    home = client.get("/").content.decode()
    assert "茂县机关事务管理局在办任务" in home and "在办 <b>2</b> 项" in home and "待认领 <b>1</b> 项" in home
    assert computer.code in home and "陈丽" in home and "资产 <b>2</b> 项" in home

    assert 'href="/cases/team/">本单位在办</a>' in client.get("/cases/inbox/").content.decode()
    team = client.get("/cases/team/").content.decode()
    assert computer.code in team and "MX-YZ-PC-002" in team and "陈丽" in team and "待认领" in team
    assert ">办理<" not in team and ">认领<" not in team and "认领本页显示的全部" not in team
    task = open_task(case, DisposalFlow.verify)
    assert client.post(url(DisposalFlow.verify, task, "assign")).status_code == 403
    assert client.post(url(DisposalFlow.verify, task), {"decision": "verify", "opinion": "属实"}).status_code == 403
    assert Task.objects.get(pk=task.pk).owner_id is None

    with time_machine.travel(at(fresh(case).step_due_on + datetime.timedelta(days=3))):
        client.force_login(boss)
        team = client.get("/cases/team/", {"overdue": "on"}).content.decode()
        assert "已超期" in team and computer.code in team


def test_the_team_view_is_the_heads_and_shows_only_his_own_organization(client, computer, building, alice, henry,
                                                                        rita, hugo, bob):  # fmt: skip
    submitted(client, computer, alice, henry)
    submitted(client, building, alice, henry)
    for user in (bob, hugo, rita, alice):  # a clerk of another unit, a reviewer of another department, a reviewer
        client.force_login(user)
        assert client.get("/cases/team/").status_code == 403, user.username
        assert "本单位在办" not in client.get("/cases/inbox/").content.decode()
        assert "在办任务" not in client.get("/").content.decode()
    zhujian = UserFactory(
        username="zhujian_fzr",
        organization=Organization.objects.get(name="茂县住房和城乡建设局"),
        roles=[Role.UNIT_HEAD],
    )
    client.force_login(zhujian)  # another department's head sees his own department's work, not 机关事务管理局's
    team = client.get("/cases/team/").content.decode()
    assert building.code in team and computer.code not in team
    ledger = client.get("/register/").content.decode()
    assert building.code in ledger and computer.code not in ledger
    client.force_login(bob)
    assert computer.code not in client.get("/register/").content.decode()
