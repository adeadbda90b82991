"""The one writer sees every write (issue 11 §3): a ledger row registered or edited, an import committed, evidence
uploaded, each with what changed; viewflow's task admin cannot change a live task behind the trail's back; and an
event is named the same way on the trail and in the signed documents."""

import pytest
from django.urls import reverse

from assets.models import Asset, AttachmentKind
from audit.chain import audit_chain_verify
from audit.labels import ACTION_LABELS
from audit.models import AuditEvent
from workflows.models import DisposalMethod
from workflows.services import STEP_EVENTS, document_context
from workflows.trail import event_label

from ..assets.test_register_views import asset_form_data
from ..cases import verified
from ..ledgers import import_ledger, ledger_row, upload_evidence

pytestmark = pytest.mark.django_db


def test_a_clerk_registering_and_editing_a_row_leaves_each_field_before_and_after(client, alice, school):
    client.force_login(alice)
    assert (
        client.post(reverse("register:add"), asset_form_data(original_value="8000", net_value="6000")).status_code
        == 302
    )
    asset = Asset.objects.get(code="MX-YZ-PC-099")
    created = AuditEvent.objects.get(action="asset_create", asset=asset)
    assert (created.actor, created.organization, created.ip) == (alice, school, "127.0.0.1")
    assert created.data["changes"]["net_value"]["to"] == "6000.00"

    loaded_at = client.get(reverse("register:edit", args=[asset.pk])).context["loaded_at"]
    data = asset_form_data(original_value="8000", net_value="5500", loaded_at=loaded_at)
    assert client.post(reverse("register:edit", args=[asset.pk]), data).status_code == 302
    changed = AuditEvent.objects.get(action="asset_change", asset=asset)
    assert changed.data["changes"] == {"net_value": {"label": "净值（元）", "from": "6000.00", "to": "5500.00"}}

    # Saved again without a change: nothing happened, nothing is recorded.
    loaded_at = client.get(reverse("register:edit", args=[asset.pk])).context["loaded_at"]
    client.post(
        reverse("register:edit", args=[asset.pk]),
        asset_form_data(original_value="8000", net_value="5500", loaded_at=loaded_at),
    )
    assert AuditEvent.objects.filter(action="asset_change", asset=asset).count() == 1
    assert audit_chain_verify().ok


def test_an_import_and_an_upload_are_on_the_trail(alice, school):
    first, _ = import_ledger(alice, ledger_row(资产编号="MX-YZ-PC-201"), ledger_row(资产编号="MX-YZ-PC-202"))
    event = AuditEvent.objects.get(action="import_commit")
    assert (event.actor, event.organization) == (alice, school)
    assert event.data["rows"] == 2 and event.data["codes"] == ["MX-YZ-PC-201", "MX-YZ-PC-202"]
    assert event.data["file"].endswith(".xlsx")

    upload_evidence(alice, first, AttachmentKind.STOP_STATEMENT)
    upload = AuditEvent.objects.get(action="evidence_upload")
    attachment = first.attachments.get()
    assert (upload.actor, upload.asset_id) == (alice, first.pk)
    assert upload.data["sha256"] == attachment.sha256 and upload.data["file"] == attachment.original_name
    assert audit_chain_verify().ok


def test_the_admin_shows_a_live_task_but_cannot_change_it(client, computer, alice, henry, rita, admin_user):
    case = verified(computer, alice, henry, rita)
    task = case.task_set.exclude(status="DONE").first()
    client.force_login(admin_user)
    page = client.get(f"/admin/viewflow/task/{task.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(f"/admin/viewflow/task/{task.pk}/change/", {"status": "DONE", "owner": admin_user.pk})
    assert response.status_code == 403
    assert type(task).objects.get(pk=task.pk).status == task.status
    assert client.get("/admin/viewflow/task/add/").status_code == 403


def test_every_event_a_document_lists_is_named_as_the_trail_names_it(computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    listed = document_context(case, "verify")["events"]
    assert [e["action"] for e in listed] == ["report", "submit", "verify"]
    assert [e["label"] for e in listed] == [ACTION_LABELS[a] for a in ("report", "submit", "verify")]
    assert set(STEP_EVENTS) <= set(ACTION_LABELS)
    assert event_label("record_execution", method=DisposalMethod.REALLOCATE) == "确认接收"
