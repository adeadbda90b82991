"""The supervisors' trail: who did what, for whom, from what to what, with the document it produced; searchable;
scoped per role; and the case page shows the same as a timeline."""

import datetime

import pytest

from assets.models import Role
from audit.models import AuditEvent
from documents.models import Document
from workflows.models import Substitution
from workflows.services import actor_for, case_report, case_submit, case_verify

from ..cases import as_, issue_all
from ..clock import TODAY
from ..factories import AssetFactory, UserFactory, subtype

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(computer, alice, henry, rita, bob, town):
    """茂县第一中学's computer verified (with documents issued), the head's sign-off done by a deputy, and a report of
    凤仪镇's own copier."""
    school = henry.organization
    deputy = UserFactory(username="deputy", full_name="孙副校长", organization=school, roles=[Role.UNIT_HEAD])
    today = TODAY
    Substitution.objects.create(user=henry, substitute=deputy, starts_on=today, ends_on=today)
    case = case_report(actor=as_(alice), asset=computer, basis="idle", statement="学校撤并后闲置。")
    case_submit(actor=actor_for(user=deputy, acting_for=henry, ip="10.1.1.1"), case=case)
    case_verify(actor=as_(rita), case=case, opinion="经现场核查，情况属实。")
    issue_all(case)
    copier = AssetFactory(holding_unit=town, subtype=subtype("general_equipment", "copier"), code="FY-COPIER-1")
    other = case_report(actor=as_(bob), asset=copier, basis="over_standard", statement="超标准配置。")
    return {"case": case, "other": other, "deputy": deputy, "copier": copier}


def page(client, user, **params):
    client.force_login(user)
    return client.get("/supervision/trail/", params)


def test_the_supervisor_sees_who_acted_for_whom_what_changed_and_the_documents(client, sam, county, computer):
    response = page(client, sam, asset=computer.code)
    assert response.status_code == 200
    html = response.content.decode()
    assert "孙副校长" in html and "代 王建国" in html and "10.1.1.1" in html
    assert "待签发 → 待核查认定" in html and "待核查认定 → 已认定，待拟定方案" in html
    verification = Document.objects.get(kind="verification_opinion")
    assert f"/cases/{county['case'].pk}/documents/{verification.uuid}/" in html
    assert f"/verify/{verification.uuid}/" in html and verification.number in html
    assert "签发文书" in html and verification.sha256 in html
    assert "FY-COPIER-1" not in html  # filtered to the one asset


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"step": "verify"}, {"verify"}),
        ({"step": "documents"}, {"document_issued"}),
        ({"person": "孙副"}, {"submit"}),
        ({"person": "王建国"}, {"submit"}),  # acting for
        ({"organization": "town"}, {"report"}),
        ({"method": "lease"}, set()),
    ],
)
def test_the_trail_filters_by_step_person_organization_and_method(client, sam, county, town, params, expected):
    if params.get("organization") == "town":
        params = {"organization": town.pk}
    response = page(client, sam, **params)
    assert response.status_code == 200
    shown = {row["event"].action for row in response.context["rows"]}
    assert shown == expected


def test_the_trail_filters_by_case_and_time(client, sam, county):
    case = county["case"]
    rows = page(client, sam, case=case.pk).context["rows"]
    assert rows and {row["event"].case_id for row in rows} == {case.pk}
    today = TODAY
    response = page(client, sam, date_from=today, date_to=today)
    assert response.context["page"].paginator.count == AuditEvent.objects.count()
    tomorrow = today + datetime.timedelta(days=1)
    assert page(client, sam, date_from=tomorrow).context["page"].paginator.count == 0


def test_newest_first_fifty_a_page(client, sam, county):
    response = page(client, sam)
    count = AuditEvent.objects.count()
    seqs = [row["event"].seq for row in response.context["rows"]]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == min(count, 50)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"date_from": "2026-11-30", "date_to": "2026-11-01"}, "截止日期不能早于起始日期"),
        ({"case": "abc"}, "输入整数"),
        ({"date_from": "2026-13-01"}, "有效的日期"),
        ({"step": "nonsense"}, "选择一个有效的选项"),
    ],
)
def test_a_wrong_search_says_what_is_wrong(client, sam, county, params, message):
    response = page(client, sam, **params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_department_sees_the_trail_of_the_categories_it_leads_only(client, rita, hugo, county, computer, sam):
    page(client, sam)  # a login-free supervisor page view adds nothing; logins come from the login form
    AuditEvent.objects.create(actor=sam, action="login", data={"username": "sam"})
    rows = page(client, rita).context["rows"]
    assert rows and {row["event"].asset_id for row in rows} <= {computer.pk, county["copier"].pk}
    assert "login" not in {row["event"].action for row in rows}
    assert page(client, hugo).context["page"].paginator.count == 0  # 住建局 leads buildings: none on the trail


def test_a_unit_sees_its_own_assets_trail_and_not_another_units(client, alice, bob, county, computer):
    alices = {row["event"].asset_id for row in page(client, alice).context["rows"]}
    assert alices == {computer.pk}
    bobs = {row["event"].asset_id for row in page(client, bob).context["rows"]}
    assert bobs == {county["copier"].pk}


def test_a_user_without_a_role_is_refused_and_a_stranger_must_log_in(client, county, school):
    nobody = UserFactory(username="nobody", organization=school)
    assert page(client, nobody).status_code == 403
    client.logout()
    response = client.get("/supervision/trail/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_case_page_timeline_links_each_steps_document(client, sam, county):
    case = county["case"]
    client.force_login(sam)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    for document in Document.objects.all():
        assert f"/cases/{case.pk}/documents/{document.uuid}/" in html
    assert "签发文书" in html
