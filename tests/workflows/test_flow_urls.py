"""The four paths through the real URLs, as the people of the demo county would click them."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import Asset, AssetStatus
from workflows.flows import DisposalFlow
from workflows.models import AuditEvent, CaseState, DisposalCase

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="file.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def open_task(case, node):
    return Task.objects.get(process_id=case.pk, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def do(client, user, case, node, data=None, *, claim=True):
    """Claims the case's open task at `node` as `user` and submits its form; returns the response."""
    client.force_login(user)
    task = open_task(case, node)
    if claim:
        response = client.post(node.reverse("assign", args=[case.pk, task.pk]))
        assert response.status_code == 302, response.content.decode()[:500]
    response = client.post(node.reverse("execute", args=[case.pk, task.pk]), data or {})
    assert response.status_code == 302, _errors(response)
    return response


def _errors(response):
    text = response.content.decode()
    start = text.find("ph-errorlist")
    return f"{response.status_code}: {text[start : start + 600] if start >= 0 else text[:400]}"


def fresh(case):
    return DisposalCase.objects.get(pk=case.pk)


def report(client, clerk, asset):
    client.force_login(clerk)
    response = client.post(
        f"/cases/report/{asset.pk}/", {"basis": "idle", "statement": "停用两年，无使用计划"}
    )
    assert response.status_code == 302, _errors(response)
    return DisposalCase.objects.get(asset=asset)


def verified_via_urls(client, asset, clerk, head, reviewer):
    case = report(client, clerk, asset)
    do(client, head, case, DisposalFlow.sign_off, {"opinion": "同意申报"})
    do(client, reviewer, case, DisposalFlow.verify, {"decision": "verify", "opinion": "情况属实", "record": pdf()})
    return fresh(case)


def test_reallocation_end_to_end_through_the_inboxes(client, computer, alice, henry, rita, bob, fiona):
    case = verified_via_urls(client, computer, alice, henry, rita)
    assert case.state == CaseState.VERIFIED

    client.force_login(bob)
    assert computer.code in client.get("/board/").content.decode()
    assert client.post(f"/board/{case.pk}/apply/", {"reason": "镇政府办公用机不足"}).status_code == 302

    do(client, alice, case, DisposalFlow.plan, {"method": "reallocate", "summary": "调剂给凤仪镇",
                                                "receiving_unit": bob.organization_id})  # fmt: skip
    do(client, rita, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意调剂"})
    assert fresh(case).state == CaseState.PLAN_APPROVED  # 100k-class item: no finance approval
    do(client, alice, case, DisposalFlow.execute, {"handover_on": "2026-11-20", "handover_list": "主机一台、显示器一台"})
    do(client, bob, case, DisposalFlow.confirm_receipt, {"confirm": "on"})
    do(client, fiona, case, DisposalFlow.close, {"confirm": "on"})

    case = fresh(case)
    assert case.state == CaseState.CLOSED and case.status == "DONE"
    asset = Asset.objects.get(pk=computer.pk)
    assert asset.holding_unit_id == bob.organization_id and asset.status == AssetStatus.IN_USE
    actions = list(AuditEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions[:3] == ["report", "claim", "submit"] and actions[-1] == "close"
    client.force_login(alice)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "销号" in page and "李晓红" in page and "调剂给凤仪镇" in page
