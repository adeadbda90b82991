"""The four paths through the real URLs, as the people of the county would click them: claim in the queue, fill in
the step's form, and watch the case move on."""

import datetime
from contextlib import nullcontext

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import Asset, AssetStatus
from audit.models import AuditEvent
from workflows.flows import DisposalFlow
from workflows.models import CaseState, DisposalCase, Policy, Step

from ..cases import AUCTION_PLAN, LEASE_PLAN, window_ago
from ..clock import TODAY, term_ends

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="file.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def open_task(case, node):
    return Task.objects.get(process_id=case.pk, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def url(node, task, action="execute"):
    return node.reverse(action, args=[task.process_id, task.pk])


def claim(client, user, case, node):
    client.force_login(user)
    task = open_task(case, node)
    response = client.post(url(node, task, "assign"))
    assert response.status_code == 302, errors(response)
    return task


def do(client, user, case, node, data=None, *, claim_first=True):
    """Claims the case's open task at `node` as `user` and submits its form; returns the response."""
    task = claim(client, user, case, node) if claim_first else open_task(case, node)
    client.force_login(user)
    page = client.get(url(node, task))
    assert page.status_code == 200 and node.task_title in page.content.decode()
    response = client.post(url(node, task), data or {})
    assert response.status_code == 302, errors(response)
    return response


def errors(response) -> str:
    text = response.content.decode()
    start = text.find("ph-errorlist")
    return f"{response.status_code}: {text[start : start + 600] if start >= 0 else text[:400]}"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def fresh(case) -> DisposalCase:
    return DisposalCase.objects.get(pk=case.pk)


def actions(case) -> list[str]:
    return list(AuditEvent.objects.filter(case=case).values_list("action", flat=True))


def report(client, clerk, asset, **extra):
    client.force_login(clerk)
    data = {"basis": "idle", "statement": "停用两年，无使用计划", **extra}
    response = client.post(f"/cases/report/{asset.pk}/", data)
    assert response.status_code == 302, errors(response)
    return DisposalCase.objects.get(asset=asset, state=CaseState.DRAFT)


def verified_via_urls(client, asset, clerk, head, reviewer, *, window_closed=False):
    """`window_closed`: verified a 调剂 window ago, so that a plan other than 调剂 may follow now."""
    with window_ago() if window_closed else nullcontext():
        case = report(client, clerk, asset)
        do(client, head, case, DisposalFlow.sign_off, {"opinion": "同意申报"})
        do(client, reviewer, case, DisposalFlow.verify, {"decision": "verify", "opinion": "情况属实", "record": pdf()})
    return fresh(case)


LEASE = {
    "lease_procedure": "公开招租", "reserve_rent": "48000", "tender_result": "公开招租，3家竞租",
    "lessee": "茂县羌韵餐饮有限公司",
    "lease_starts_on": TODAY.isoformat(), "lease_ends_on": term_ends(TODAY, 3).isoformat(),
    "annual_rent": "52000", "deposit": "10000", "contract_no": "MXZL-2026-018",
    "received": "52000", "fees": "0", "remitted": "52000", "receipt_no": "川财缴2026-00123",
}  # fmt: skip


def auction(bid: str) -> dict:
    return {
        "appraisal_report_no": "川华评报字〔2026〕第0312号", "appraisal_value": "2000000",
        "appraisal_date": (TODAY - datetime.timedelta(days=60)).isoformat(), "venue": "茂县公共资源交易中心",
        "reserve_price": "2000000", "winning_bid": bid, "buyer": "阿坝州某置业有限公司", "deal_on": TODAY.isoformat(),
        "received": bid, "fees": "0", "remitted": bid, "receipt_no": "川财缴2026-00456", "appraisal_file": pdf(),
    }  # fmt: skip


def test_reallocation_end_to_end_through_the_inboxes(client, computer, alice, henry, rita, bob, fiona):
    case = verified_via_urls(client, computer, alice, henry, rita)
    assert case.state == CaseState.VERIFIED

    client.force_login(bob)
    assert computer.code in client.get("/board/").content.decode()
    assert client.post(f"/board/{case.pk}/apply/", {"reason": "镇政府办公用机不足"}).status_code == 302

    client.force_login(alice)
    assert (
        "凤仪镇" in client.get(url(DisposalFlow.plan, claim(client, alice, case, DisposalFlow.plan))).content.decode()
    )
    plan = {"method": "reallocate", "summary": "调剂给凤仪镇", "receiving_unit": bob.organization_id}
    do(client, alice, case, DisposalFlow.plan, plan, claim_first=False)
    do(client, rita, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意调剂"})
    assert fresh(case).state == CaseState.PLAN_APPROVED  # a computer: the department alone approves
    handover = {
        "handover_on": TODAY.isoformat(),
        "handover_list": "主机一台",
        "handover_list_file": pdf("交接清单.pdf"),
    }
    do(client, alice, case, DisposalFlow.execute, handover)
    do(client, bob, case, DisposalFlow.confirm_receipt, {"confirm": "on", "note": "已接收，设备完好。"})
    do(client, fiona, case, DisposalFlow.close, {"confirm": "on", "note": "已核对"})

    case = fresh(case)
    assert case.state == CaseState.CLOSED and case.status == "DONE"
    asset = Asset.objects.get(pk=computer.pk)
    assert asset.holding_unit_id == bob.organization_id and asset.status == AssetStatus.IN_USE
    assert (asset.usage_status, asset.idle_since, asset.responsible_person) == ("normal", None, "")
    linked = set(case.evidence.values_list("step", "attachment__kind"))
    assert linked == {("report", "stop_statement"), ("report", "meeting_minutes"),
                      ("verify", "verification_record"), ("execute", "handover_list")}  # fmt: skip
    # The school has one head: the sign-off went straight to him, with no claim.
    assert actions(case)[:3] == ["report", "assign", "submit"] and actions(case)[-1] == "close"
    client.force_login(alice)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "销号" in page and "李晓红" in page and "调剂给凤仪镇" in page
    assert "确认接收" in page and "已接收，设备完好。" in page and f"{TODAY.year}年{TODAY.month}月{TODAY.day}日" in page
    for path in (
        "/cases/",
        "/cases/inbox/",
        "/cases/queue/",
        "/cases/archive/",
        "/cases/flows/",
        "/cases/chart/",
        "/cases/flow/",
        "/cases/notifications/",
        "/cases/substitution/",
        "/board/",
        "/",
    ):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
    assert client.get(f"/register/{computer.pk}/").status_code == 404  # now on the town's ledger, not the school's
    client.force_login(bob)
    assert "调剂给凤仪镇" not in client.get(f"/register/{computer.pk}/").content.decode()
    assert f"/cases/{case.pk}/" in client.get(f"/register/{computer.pk}/").content.decode()


def test_a_lease_goes_through_finance_and_its_rent_is_remitted_before_closing(
    client, building, alice, henry, hugo, fiona, fred, clock
):
    case = verified_via_urls(client, building, alice, henry, hugo)
    # 调剂优先: while the board's window is open a lease waits, even with a reason; then the rule asks for minutes.
    client.force_login(alice)
    task = claim(client, alice, case, DisposalFlow.plan)
    response = client.post(
        url(DisposalFlow.plan, task),
        {**LEASE_PLAN, "method": "lease", "summary": "整体公开招租", "justification": "无需求"},
    )
    assert response.status_code == 422 and "调剂优先" in response.content.decode()
    clock.shift(datetime.timedelta(days=Policy.current().listing_window_days + 1))
    client.force_login(alice)  # her session of 16 days ago has expired
    response = client.post(
        url(DisposalFlow.plan, task),
        {**LEASE_PLAN, "method": "lease", "summary": "整体招租", "justification": "无需求"},
    )
    assert response.status_code == 422 and "会议纪要" in response.content.decode()
    assert fresh(case).state == CaseState.VERIFIED

    plan = {
        **LEASE_PLAN,
        "method": "lease",
        "summary": "整体公开招租",
        "justification": "公示期无单位申请",
        "minutes": pdf(),
    }
    do(client, alice, case, DisposalFlow.plan, plan, claim_first=False)
    do(client, hugo, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
    assert fresh(case).current_step == Step.FINANCE_APPROVE
    do(client, fiona, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意公开招租"})

    # Execution is one step: the lease's record, the rent and its remittance, with what the start used to ask.
    task = claim(client, alice, case, DisposalFlow.execute)
    response = client.post(url(DisposalFlow.execute, task), {**LEASE, "annual_rent": "40000", "received": "40000",
                                                            "remitted": "40000"})  # fmt: skip
    assert response.status_code == 422 and "年租金不能低于底价" in response.content.decode()
    assert fresh(case).state == CaseState.PLAN_APPROVED  # refused whole: not even started
    do(client, alice, case, DisposalFlow.execute, {**LEASE, "note": "已委托公共资源交易中心"}, claim_first=False)
    assert fresh(case).current_step == Step.CONFIRM_REMITTANCE
    do(client, fred, case, DisposalFlow.confirm_remittance, {"confirm": "on"})
    # fred may close what he confirmed (only whoever recorded the money may not): it waits in his own inbox.
    assert open_task(case, DisposalFlow.close).owner == fred
    do(client, fred, case, DisposalFlow.close, {"confirm": "on"})
    assert fresh(case).state == CaseState.CLOSED
    asset = Asset.objects.get(pk=building.pk)
    assert (asset.status, asset.usage_status, asset.idle_since) == (AssetStatus.REVITALIZED, "normal", None)
    client.force_login(alice)
    assert "52,000.00 元" in client.get(f"/cases/{case.pk}/").content.decode()


def test_an_auction_bid_below_the_floor_goes_back_for_approval_then_closes(
    client, building, alice, henry, hugo, fiona, fred
):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {
        **AUCTION_PLAN,
        "method": "auction",
        "summary": "进场公开拍卖",
        "justification": "公示期无单位申请",
        "minutes": pdf(),
    }
    do(client, alice, case, DisposalFlow.plan, plan)
    do(client, hugo, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
    do(client, fiona, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意"})
    # 流拍, the reserve lowered to 1,600,000, sold at 1,700,000 (85% of the appraisal): back for approval.
    low = {**auction("1700000"), "reserve_price": "1600000"}
    do(client, alice, case, DisposalFlow.execute, low)

    case = fresh(case)
    assert (case.state, case.current_step) == (CaseState.PLAN_SUBMITTED, Step.DEPT_REVIEW)
    assert "low_bid" in actions(case)
    do(client, hugo, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意按成交价处置"})
    do(client, fiona, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意"})
    do(client, alice, case, DisposalFlow.execute, {**low, "appraisal_file": pdf()})  # the approved bid, again
    assert fresh(case).current_step == Step.CONFIRM_REMITTANCE
    do(client, fred, case, DisposalFlow.confirm_remittance, {"confirm": "on"})
    do(client, fred, case, DisposalFlow.close, {"confirm": "on"})
    assert (fresh(case).state, Asset.objects.get(pk=building.pk).status) == (CaseState.CLOSED, AssetStatus.DISPOSED)


def test_scrapping_an_old_computer_closes_after_the_residual_value_is_remitted(
    client, computer, alice, henry, rita, fiona, fred
):
    case = verified_via_urls(client, computer, alice, henry, rita, window_closed=True)
    do(client, alice, case, DisposalFlow.plan, {"method": "scrap", "summary": "主板损坏，无维修价值"})
    do(client, rita, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意报废"})
    result = {"recycler": "茂县再生资源回收站", "residual_value": "200", "received": "200", "fees": "0",
              "remitted": "200", "receipt_no": "川财缴2026-00789"}  # fmt: skip
    do(client, alice, case, DisposalFlow.execute, result)
    do(client, fred, case, DisposalFlow.confirm_remittance, {"confirm": "on"})
    do(client, fred, case, DisposalFlow.close, {"confirm": "on"})
    assert Asset.objects.get(pk=computer.pk).status == AssetStatus.DISPOSED
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "该事项已销号，没有待办任务。" in page and "已已" not in page
    names = [t.flow_task.name for t in Task.objects.filter(process_id=case.pk).order_by("pk")]
    assert names == [
        "start", "sign_off", "after_sign_off", "verify", "after_verify", "plan", "dept_review", "after_dept_review",
        "execute", "after_execute", "after_result", "confirm_remittance", "close", "end",
    ]  # fmt: skip


def test_a_returned_report_comes_back_to_the_clerk_with_the_reason_and_is_resubmitted_by_the_head(
    client, computer, alice, henry, rita
):
    case = report(client, alice, computer)
    do(client, henry, case, DisposalFlow.sign_off)
    do(client, rita, case, DisposalFlow.verify, {"decision": "return", "opinion": "请补充停用时间的证明"})
    case = fresh(case)
    assert (case.state, case.returned_reason) == (CaseState.DRAFT, "请补充停用时间的证明")
    client.force_login(henry)
    assert "请补充停用时间的证明" in client.get(f"/cases/{case.pk}/").content.decode()
    revised = {"basis": "idle", "statement": "停用两年，附停用时间证明", "stop_statement": pdf("停用证明.pdf")}
    do(client, alice, case, DisposalFlow.revise, revised)
    do(client, henry, case, DisposalFlow.sign_off, {"opinion": "已补充"})
    do(client, rita, case, DisposalFlow.verify, {"decision": "verify", "opinion": "属实", "record": pdf()})
    assert fresh(case).state == CaseState.VERIFIED


def test_a_rejected_report_ends_the_case_and_frees_the_asset(client, computer, alice, henry, rita):
    case = report(client, alice, computer)
    do(client, henry, case, DisposalFlow.sign_off)
    do(client, rita, case, DisposalFlow.verify, {"decision": "reject", "opinion": "仍在使用，不属闲置"})
    case = fresh(case)
    assert (case.state, case.status) == (CaseState.REJECTED, "DONE")
    assert Asset.objects.get(pk=computer.pk).status == AssetStatus.IN_USE
    assert not Task.objects.filter(process_id=case.pk, status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()


def test_the_unit_may_withdraw_until_the_plan_is_submitted_and_not_after(client, computer, building, alice, henry, rita,
                                                                         hugo):  # fmt: skip
    case = report(client, alice, computer)
    client.force_login(alice)
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": ""})
    assert response.status_code == 422 and "必填" in response.content.decode()
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": "学校决定继续使用"})
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.status) == (CaseState.WITHDRAWN, "CANCELED")
    assert not Task.objects.filter(process_id=case.pk, status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    assert Asset.objects.get(pk=computer.pk).status == AssetStatus.IN_USE

    other = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {**AUCTION_PLAN, "method": "auction", "summary": "拍卖", "justification": "无单位申请", "minutes": pdf()}
    do(client, alice, other, DisposalFlow.plan, plan)
    client.force_login(alice)
    response = client.post(f"/cases/{other.pk}/withdraw/", {"reason": "改变主意"})
    assert response.status_code == 422 and "不能进行此操作" in response.content.decode()
    assert fresh(other).state == CaseState.PLAN_SUBMITTED
