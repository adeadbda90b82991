"""What goes on the trail besides the steps: admin changes (with before and after), exports, documents issued with
their SHA-256; and the chain still proves itself afterwards."""

import pytest
from django.contrib.auth.models import Group

from assets.models import Category, Organization, Role, User
from audit.chain import audit_chain_verify
from audit.models import AuditEvent
from documents.models import Document, DocumentStatus
from workflows.models import CalendarDay, Policy

from ..cases import as_, issue_all, verified
from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(finance_bureau):
    return UserFactory(username="root", organization=finance_bureau, is_staff=True, is_superuser=True)


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


def test_an_organization_renamed_in_the_admin_is_recorded_from_what_to_what(client, root, school):
    client.force_login(root)
    response = client.post(
        f"/admin/assets/organization/{school.pk}/change/",
        {"name": "茂县第一高级中学", "short_name": school.short_name, "kind": school.kind,
         "credit_code": school.credit_code, "supervising_department": school.supervising_department_id,
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    event = last("admin_change")
    assert event.actor == root and event.ip == "127.0.0.1"
    assert event.data["model"] == "assets.organization" and event.data["object_id"] == school.pk
    assert event.data["changes"] == {"name": {"label": "单位名称", "from": "茂县第一中学", "to": "茂县第一高级中学"}}


def test_saving_an_organization_unchanged_adds_nothing_to_the_trail(client, root, school):
    client.force_login(root)
    before = AuditEvent.objects.count()
    client.post(
        f"/admin/assets/organization/{school.pk}/change/",
        {"name": school.name, "short_name": school.short_name, "kind": school.kind, "credit_code": school.credit_code,
         "supervising_department": school.supervising_department_id, "is_active": "on"},
    )  # fmt: skip
    assert AuditEvent.objects.count() == before


def test_a_user_added_with_a_role_is_recorded_without_the_password(client, root, school):
    client.force_login(root)
    clerk = Group.objects.get(name=Role.UNIT_CLERK)
    response = client.post(
        "/admin/assets/user/add/",
        {"username": "newclerk", "full_name": "新经办人", "organization": school.pk, "groups": [clerk.pk],
         "password1": "Sekret-pass-2026", "password2": "Sekret-pass-2026", "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    event = last("admin_add")
    assert event.data["object"] == "新经办人"
    assert event.data["changes"]["groups"]["to"] == [Role.UNIT_CLERK.value]
    assert event.data["changes"]["organization"]["to"] == "茂县第一中学"
    assert "Sekret" not in str(event.data) and "password" not in event.data["changes"]


def test_a_role_taken_away_is_recorded_and_a_password_reset_says_so_but_never_the_value(client, root, alice):
    client.force_login(root)
    page = client.get(f"/admin/assets/user/{alice.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/assets/user/{alice.pk}/change/",
        {"username": "alice", "full_name": alice.full_name, "organization": alice.organization_id, "phone": "",
         "email": "", "is_active": "on", "groups": [], "last_login_0": "", "last_login_1": "",
         "date_joined_0": "2026-01-05", "date_joined_1": "09:00:00"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    change = last("admin_change")
    assert change.data["changes"]["groups"] == {"label": "组", "from": [Role.UNIT_CLERK.value], "to": []}

    response = client.post(
        f"/admin/assets/user/{alice.pk}/password/",
        {"password1": "Another-pass-77", "password2": "Another-pass-77", "usable_password": "true"},
    )
    assert response.status_code == 302
    reset = last("admin_change")
    assert reset.seq > change.seq and reset.data["object_id"] == alice.pk
    assert "Another-pass" not in str(reset.data) and reset.data["note"]
    assert User.objects.get(pk=alice.pk).check_password("Another-pass-77")


def test_a_policy_change_and_a_bulk_delete_of_calendar_days_are_recorded(client, root):
    client.force_login(root)
    policy = Policy.current()
    data = {f.name: getattr(policy, f.name) for f in Policy._meta.concrete_fields if f.name != "id"}
    data["idle_months"] = 9
    response = client.post(f"/admin/workflows/policy/{policy.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = last("admin_change")
    assert event.data["changes"]["idle_months"]["from"] == 6 and event.data["changes"]["idle_months"]["to"] == 9

    days = list(CalendarDay.objects.order_by("date")[:2])
    response = client.post(
        "/admin/workflows/calendarday/",
        {"action": "delete_selected", "_selected_action": [d.pk for d in days], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = AuditEvent.objects.filter(action="admin_delete").order_by("seq")
    assert [e.data["object_id"] for e in deleted] == [d.pk for d in days]
    assert deleted[0].data["changes"]["date"]["from"] == str(days[0].date)


def test_a_sub_type_lead_department_changed_in_the_category_inline_is_recorded(client, root):
    client.force_login(root)
    category = Category.objects.get(code="public_welfare")
    subtypes = list(category.subtypes.order_by("pk"))
    health = Organization.objects.get(name="茂县卫生健康局")
    data = {
        "code": category.code, "name": category.name, "lead_department": category.lead_department_id,
        "area_unit": category.area_unit, "sort_order": category.sort_order,
        "subtypes-TOTAL_FORMS": len(subtypes), "subtypes-INITIAL_FORMS": len(subtypes),
        "service_lives-TOTAL_FORMS": 0, "service_lives-INITIAL_FORMS": 0,
    }  # fmt: skip
    if category.subtype_required:
        data["subtype_required"] = "on"
    if category.area_required:
        data["area_required"] = "on"
    for i, sub in enumerate(subtypes):
        data |= {f"subtypes-{i}-id": sub.pk, f"subtypes-{i}-category": category.pk, f"subtypes-{i}-code": sub.code,
                 f"subtypes-{i}-name": sub.name, f"subtypes-{i}-lead_department": sub.lead_department_id or "",
                 f"subtypes-{i}-sort_order": sub.sort_order}  # fmt: skip
    data["subtypes-0-lead_department"] = health.pk
    response = client.post(f"/admin/assets/category/{category.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = last("admin_change")
    (inline,) = event.data["inlines"]
    (row,) = inline["rows"]
    assert row["changes"]["lead_department"]["to"] == "茂县卫生健康局"


def test_a_ledger_export_is_recorded_with_its_filters_and_row_count(client, alice, computer):
    client.force_login(alice)
    response = client.get("/register/export/", {"q": computer.code})
    assert response.status_code == 200
    event = last("export")
    assert event.actor == alice and event.data["what"] == "ledger" and event.data["rows"] == 1
    assert event.data["filters"]["q"] == computer.code


def test_a_refused_export_is_not_recorded(client, alice):
    client.force_login(alice)
    response = client.get("/register/export/", {"status": "no-such-status"})
    assert response.status_code == 400
    assert last("export") is None


def test_every_issued_document_is_on_the_trail_with_its_sha256(computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    issue_all(case)
    issued = Document.objects.filter(status=DocumentStatus.ISSUED).order_by("pk")
    assert issued.count() >= 2
    events = {e.data["document"]: e for e in AuditEvent.objects.filter(action="document_issued")}
    for document in issued:
        event = events[str(document.uuid)]
        assert event.data["sha256"] == document.sha256 and event.data["number"] == document.number
        assert event.case_id == case.pk and event.asset_id == computer.pk
        assert event.organization_id == document.issuer_id and event.actor is None
    assert audit_chain_verify().ok


def test_the_chain_holds_after_admin_changes_exports_and_documents(client, root, school, alice, computer):
    client.force_login(root)
    client.post(f"/admin/workflows/calendarday/{CalendarDay.objects.first().pk}/delete/", {"post": "yes"})
    client.force_login(alice)
    client.get("/register/export/")
    report = audit_chain_verify()
    assert report.ok, report.broken
    assert report.verified == AuditEvent.objects.count() >= 2


def test_a_case_step_still_records_its_actor(computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    steps = AuditEvent.objects.filter(case=case, action="verify")
    assert steps.get().actor == rita and as_(rita).ip == steps.get().ip
