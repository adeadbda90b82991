"""The trail page counts what a search found, exports it to .xlsx in the user's scope (capped, and says so), and lets
the county's supervisors check the hash chain from the page (a background job) instead of a shell."""

import io
import uuid

import openpyxl
import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from supervision import trail_export, trail_views
from supervision.chain_checks import chain_check_run
from supervision.models import ChainCheck, JobStatus
from workflows.services import case_report

from ..cases import as_
from ..factories import AssetFactory, UserFactory, subtype
from .test_chain import TABLE, tamper

pytestmark = pytest.mark.django_db

TRAIL = "/supervision/trail/"


@pytest.fixture
def trail(computer, alice, bob, town, sam):
    """The school's computer and the town's copier reported, and two logins (the county's only)."""
    copier = AssetFactory(holding_unit=town, subtype=subtype("general_equipment", "copier"), code="FY-COPIER-1")
    case_report(actor=as_(alice), asset=computer, basis="idle", statement="学校撤并后闲置。")
    case_report(actor=as_(bob), asset=copier, basis="over_standard", statement="超标准配置。")
    for _ in range(2):
        audit_record(user=sam, action="login", data={"username": "sam"}, ip="10.0.0.9")
    return {"copier": copier}


def workbook_rows(response) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def events_in(rows: list[tuple]) -> list[tuple]:
    start = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    return [row for row in rows[start + 1 :] if row and row[0] is not None]


# -- the count ------------------------------------------------------------------------------------------------------


def test_the_trail_says_how_many_events_the_search_found(client, sam, trail, computer):
    client.force_login(sam)

    everything = client.get(TRAIL).content.decode()
    one_asset = client.get(TRAIL, {"asset": computer.code}).content.decode()

    assert f"共 {AuditEvent.objects.count()} 条" in everything
    assert f"共 {AuditEvent.objects.filter(asset=computer).count()} 条" in one_asset
    assert "python manage.py" not in everything and "verify_audit" not in everything


def test_a_search_that_finds_nothing_says_0_and_offers_no_export(client, sam, trail):
    client.force_login(sam)

    html = client.get(TRAIL, {"asset": "没有这个资产"}).content.decode()

    assert "共 0 条" in html and reverse("supervision:trail_xlsx") not in html


# -- the export -----------------------------------------------------------------------------------------------------


def test_the_export_holds_the_searched_events_newest_first_with_chinese_headers(client, sam, trail, computer):
    client.force_login(sam)
    page = client.get(TRAIL, {"asset": computer.code})
    assert f"{reverse('supervision:trail_xlsx')}?asset={computer.code}" in page.content.decode()

    response = client.get(reverse("supervision:trail_xlsx"), {"asset": computer.code})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = workbook_rows(response)
    assert rows[0][0] == "审计轨迹" and f"查询条件：资产：{computer.code}" in rows[1][0]
    header = next(row for row in rows if row and row[0] == "序号")
    assert header == ("序号", "时间", "操作人", "代办", "IP", "单位", "角色", "操作", "资产编号", "资产名称", "事项",
                      "状态变化", "内容", "文书")  # fmt: skip
    events = events_in(rows)
    assert [r[0] for r in events] == [row["event"].seq for row in page.context["rows"]]
    assert {r[8] for r in events} == {computer.code} and events[-1][2] == "李晓红"


def test_a_unit_clerk_exports_the_units_own_trail_and_not_another_units(client, alice, bob, trail, computer):
    client.force_login(alice)
    alices = events_in(workbook_rows(client.get(reverse("supervision:trail_xlsx"))))
    client.force_login(bob)
    bobs = events_in(workbook_rows(client.get(reverse("supervision:trail_xlsx"))))

    assert alices and {r[8] for r in alices} == {computer.code}
    assert bobs and {r[8] for r in bobs} == {"FY-COPIER-1"}
    assert "登录" not in {r[7] for r in alices + bobs}  # logins are the county's


def test_the_supervisor_exports_the_whole_county_logins_included(client, sam, trail):
    client.force_login(sam)
    before = AuditEvent.objects.count()

    events = events_in(workbook_rows(client.get(reverse("supervision:trail_xlsx"))))

    assert len(events) == before  # the export itself is recorded after the file is made
    assert {"MX-YZ-PC-100", "FY-COPIER-1"} <= {r[8] for r in events}
    assert any(r[4] == "10.0.0.9" for r in events)


def test_above_the_limit_the_page_warns_and_the_file_holds_the_newest_and_says_so(client, sam, trail, monkeypatch):
    monkeypatch.setattr(trail_export, "TRAIL_EXPORT_LIMIT", 3)
    monkeypatch.setattr(trail_views, "TRAIL_EXPORT_LIMIT", 3)
    client.force_login(sam)
    total = AuditEvent.objects.count()
    assert total > 3

    html = client.get(TRAIL).content.decode()
    newest = list(AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[:3])
    rows = workbook_rows(client.get(reverse("supervision:trail_xlsx")))

    message = f"共 {total} 条，超过导出上限 3 条：导出文件只含最新的 3 条。"
    assert message in html
    assert message in rows[2][0]
    assert [r[0] for r in events_in(rows)] == newest


def test_every_trail_export_is_itself_on_the_trail(client, sam, trail, computer):
    client.force_login(sam)

    client.get(reverse("supervision:trail_xlsx"), {"asset": computer.code, "step": "report"})

    event = AuditEvent.objects.filter(action="export").get()
    assert (event.actor, event.data["what"], event.data["format"]) == (sam, "audit_trail", "xlsx")
    assert event.data["filters"] == f"资产：{computer.code}；环节：申报与签发" and event.data["rows"] >= 1
    shown = client.get(TRAIL, {"person": "sam"}).content.decode()
    assert '<span class="ph-muted">导出内容：</span>审计轨迹' in shown


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-11-30", "date_to": "2026-11-01"}, "截止日期不能早于起始日期"),
        ({"case": "abc"}, "输入整数"),
    ],
)
def test_a_wrong_search_exports_nothing_and_says_why(client, sam, trail, params, message):
    client.force_login(sam)

    response = client.get(reverse("supervision:trail_xlsx"), params)

    assert response.status_code == 400
    body = response.content.decode()
    assert body.startswith("查询条件有误，未导出：") and message in body
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_user_without_a_supervision_scope_may_not_export_the_trail(client, school, trail):
    client.force_login(UserFactory(username="nobody", organization=school, roles=[]))

    assert client.get(reverse("supervision:trail_xlsx")).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


# -- the chain check ------------------------------------------------------------------------------------------------


def check_chain(client, capture, *, run=True):
    """Presses 校验审计链; with `run`, the job runs as the request commits (as the worker would take it)."""
    with capture(execute=run):
        response = client.post(reverse("supervision:trail_verify"))
    assert response.status_code == 302
    return ChainCheck.objects.get(), response["Location"]


def test_the_supervisor_checks_the_chain_from_the_page_and_reads_that_it_holds(
    client, sam, trail, django_capture_on_commit_callbacks
):
    client.force_login(sam)
    assert 'id="chain-verify"' in client.get(TRAIL).content.decode()
    count = AuditEvent.objects.count()

    check, location = check_chain(client, django_capture_on_commit_callbacks)

    assert location == reverse("supervision:trail_verify_check", args=[check.pk])
    assert (check.status, check.done, check.total, check.broken) == (JobStatus.DONE, count, count, "")
    page = client.get(location).content.decode()
    assert f"链完整：已校验全部 {count} 条记录" in page and 'id="chain-progress"' not in page
    progress = client.get(reverse("supervision:trail_verify_progress", args=[check.pk])).json()
    assert progress["finished"] and progress["ok"] and progress["percent"] == 100


def test_while_the_check_runs_the_page_shows_its_progress_and_polls(
    client, sam, trail, django_capture_on_commit_callbacks
):
    client.force_login(sam)

    check, location = check_chain(client, django_capture_on_commit_callbacks, run=False)

    page = client.get(location).content.decode()
    progress_url = reverse("supervision:trail_verify_progress", args=[check.pk])
    assert 'id="chain-progress"' in page and f'data-progress-url="{progress_url}"' in page
    assert "排队中" in page and "/static/panhuo/progress.js" in page
    assert client.get(progress_url).json() == {
        "status": "pending", "status_label": "排队中", "done": 0, "total": AuditEvent.objects.count(), "percent": 0,
        "finished": False, "ok": False, "result": "",
    }  # fmt: skip
    again, _ = check_chain(client, django_capture_on_commit_callbacks, run=False)
    assert again.pk == check.pk  # a second press while it waits starts no second walk
    chain_check_run(check_id=str(check.pk))
    assert chain_check_run(check_id=str(check.pk)) is None  # a second delivery of the job does nothing
    assert "链完整" in client.get(location).content.decode()


def test_a_changed_record_is_named_where_the_chain_breaks(client, sam, trail, django_capture_on_commit_callbacks):
    second = AuditEvent.objects.get(seq=2)
    tamper(f"UPDATE {TABLE} SET role = %s WHERE id = %s", ["admin", second.pk])
    client.force_login(sam)

    check, location = check_chain(client, django_capture_on_commit_callbacks)

    html = client.get(location).content.decode()
    assert "链不完整：" in html and f"第 2 条记录（id={second.pk}" in html and "内容与其摘要不符" in html
    assert "在此之前的 1 条记录完好" in html and check.done == 1
    assert client.get(reverse("supervision:trail_verify_progress", args=[check.pk])).json()["ok"] is False


def test_only_county_supervisors_may_check_the_chain_or_read_a_check(
    client, sam, alice, rita, trail, django_capture_on_commit_callbacks
):
    client.force_login(sam)
    check, location = check_chain(client, django_capture_on_commit_callbacks)
    for user in (alice, rita):
        client.force_login(user)
        assert 'id="chain-verify"' not in client.get(TRAIL).content.decode()
        assert client.post(reverse("supervision:trail_verify")).status_code == 403
        assert client.get(location).status_code == 403
        assert client.get(reverse("supervision:trail_verify_progress", args=[check.pk])).status_code == 403
    assert ChainCheck.objects.count() == 1


def test_an_unknown_check_is_a_404_and_the_check_is_asked_for_by_post(client, sam, trail):
    client.force_login(sam)

    assert client.get(reverse("supervision:trail_verify_check", args=[uuid.uuid4()])).status_code == 404
    assert client.get(reverse("supervision:trail_verify")).status_code == 405
    assert not ChainCheck.objects.exists()
