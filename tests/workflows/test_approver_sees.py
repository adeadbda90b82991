"""Issue 12 §2: the approvers' step pages show what they approve: the files (PDFs and images inline), the documents
issued so far, the earlier opinions, the execution record and the routing basis; only to those who see the case."""

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import Asset, AssetStatus
from audit.models import AuditEvent
from documents.services import documents_of
from workflows.flows import DisposalFlow
from workflows.models import CaseState, Notification

from ..cases import LEASE_PLAN
from .test_flow_urls import LEASE, claim, do, fresh, pdf, report, url, verified_via_urls

pytestmark = pytest.mark.django_db


def lease_at_finance(client, building, alice, henry, hugo):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {
        **LEASE_PLAN,
        "method": "lease",
        "summary": "整体公开招租",
        "justification": "公示期无单位申请",
        "minutes": pdf("纪要.pdf"),
    }
    do(client, alice, case, DisposalFlow.plan, plan)
    do(client, hugo, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意招租，租期三年"})
    return case


def test_the_finance_page_shows_files_documents_opinions_and_routing_basis(client, building, alice, henry, hugo, fiona):
    case = lease_at_finance(client, building, alice, henry, hugo)
    task = claim(client, fiona, case, DisposalFlow.finance_approve)
    page = client.get(url(DisposalFlow.finance_approve, task)).content.decode()
    assert "审批依据材料" in page
    record = case.evidence.get(step="verify").attachment
    assert f"/register/attachments/{record.pk}/?inline=1" in page and "<iframe" in page
    assert "纪要.pdf" in page
    assert "同意招租，租期三年" in page and "情况属实" in page  # the department's and the verification opinion
    assert "审批路径依据" in page and "报财政部门审批" in page
    documents = list(documents_of(case))
    assert documents and all(d.title in page for d in documents)  # every document requested so far


def test_a_pdf_is_served_inline_for_same_origin_framing_and_other_uses_stay_downloads(
    client, building, alice, henry, hugo, fiona
):
    case = lease_at_finance(client, building, alice, henry, hugo)
    record = case.evidence.get(step="verify").attachment
    client.force_login(fiona)
    inline = client.get(f"/register/attachments/{record.pk}/?inline=1")
    assert inline.status_code == 200 and inline["Content-Disposition"].startswith("inline")
    assert inline["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in inline["Content-Security-Policy"]
    download = client.get(f"/register/attachments/{record.pk}/")
    assert download["Content-Disposition"].startswith("attachment") and download["X-Frame-Options"] == "DENY"


def test_the_review_page_shows_the_verification_opinion_and_a_reviewer_of_another_organization_gets_404(
    client, building, alice, henry, hugo, rita
):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {
        **LEASE_PLAN,
        "method": "lease",
        "summary": "整体公开招租",
        "justification": "公示期无单位申请",
        "minutes": pdf(),
    }
    do(client, alice, case, DisposalFlow.plan, plan)
    task = claim(client, hugo, case, DisposalFlow.dept_review)
    page = client.get(url(DisposalFlow.dept_review, task)).content.decode()
    assert "审批依据材料" in page and "情况属实" in page and "审批路径依据" in page
    client.force_login(rita)  # 机关事务管理局: reviews equipment, not this building
    assert client.get(url(DisposalFlow.dept_review, task)).status_code == 404


def test_the_close_page_shows_the_execution_record(client, building, alice, henry, hugo, fiona, fred):
    case = lease_at_finance(client, building, alice, henry, hugo)
    do(client, fiona, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意公开招租"})
    do(client, alice, case, DisposalFlow.execute, LEASE | {"note": "已委托公共资源交易中心"})
    task = claim(client, fred, case, DisposalFlow.confirm_remittance)
    page = client.get(url(DisposalFlow.confirm_remittance, task)).content.decode()
    assert "执行记录" in page and "茂县羌韵餐饮有限公司" in page and "MXZL-2026-018" in page
    assert "本人确认：已收到并上缴国库 52,000.00 元，缴款凭证号 川财缴2026-00123。" in page
    response = client.post(url(DisposalFlow.confirm_remittance, task), {"note": "已核对"})
    assert response.status_code == 422 and "本人确认" in response.content.decode()
    assert "已核对" in response.content.decode()  # nothing typed is lost
    assert fresh(case).remittance_confirmed_by_id is None


def test_finance_may_refuse_a_plan_which_ends_the_case_frees_the_asset_and_tells_the_unit(
    client, building, alice, henry, hugo, fiona
):
    case = lease_at_finance(client, building, alice, henry, hugo)
    task = claim(client, fiona, case, DisposalFlow.finance_approve)
    page = client.get(url(DisposalFlow.finance_approve, task)).content.decode()
    assert "不予批准" in page and "退回修改" in page
    for decision in ("reject", "return"):
        response = client.post(url(DisposalFlow.finance_approve, task), {"decision": decision, "opinion": " "})
        assert response.status_code == 422 and "退回修改或不予批准须写明理由。" in response.content.decode()
    assert fresh(case).state == CaseState.PLAN_SUBMITTED

    reason = "租期过长，不符合公开招租规定"
    response = client.post(url(DisposalFlow.finance_approve, task), {"decision": "reject", "opinion": reason})
    assert response.status_code == 302, response.content.decode()[:500]
    case = fresh(case)
    assert (case.state, case.status, case.current_step) == (CaseState.REJECTED, "DONE", "")
    assert Asset.objects.get(pk=building.pk).status == AssetStatus.IN_USE
    assert not Task.objects.filter(process_id=case.pk, status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    event = AuditEvent.objects.get(case=case, action="finance_reject")
    assert event.data["reason"] == reason and event.actor == fiona
    assert Notification.objects.filter(user=alice, case=case, message__contains=reason).exists()
    client.force_login(alice)
    assert "财政不予批准" in client.get(f"/cases/{case.pk}/").content.decode()


def test_a_reviewer_may_not_refuse_at_the_finance_step(client, building, alice, henry, hugo, fiona):
    case = lease_at_finance(client, building, alice, henry, hugo)
    task = claim(client, fiona, case, DisposalFlow.finance_approve)
    client.force_login(hugo)
    response = client.post(url(DisposalFlow.finance_approve, task), {"decision": "reject", "opinion": "不同意"})
    assert response.status_code == 403
    assert fresh(case).state == CaseState.PLAN_SUBMITTED


def test_the_verify_page_shows_the_reports_files_and_the_sign_off_document(client, computer, alice, henry, rita, bob):
    case = report(client, alice, computer)
    do(client, henry, case, DisposalFlow.sign_off, {"opinion": "同意申报，请核查"})
    task = claim(client, rita, case, DisposalFlow.verify)
    page = client.get(url(DisposalFlow.verify, task)).content.decode()
    for linked in case.evidence.select_related("attachment"):
        assert f"/register/attachments/{linked.attachment.pk}/" in page
    assert "同意申报，请核查" in page
    document = documents_of(case).get()
    assert document.title in page  # listed with its state (a download and check link once issued)
    client.force_login(bob)  # 经办人 of another township
    assert client.get(url(DisposalFlow.verify, task)).status_code == 404
