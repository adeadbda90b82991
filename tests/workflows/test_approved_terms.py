"""The plan carries the key terms of its method, checked where their facts are first known (issue 12 §1.3, §1.4): the
clerk hears at plan submission what execution would refuse, approvers see the terms with a 提示 of any rule near its
limit, the 审批表 prints them, and execution that changes one goes back for approval."""

import datetime

import pytest

from assets.models import AttachmentKind
from documents.services import documents_of
from workflows.flows import DisposalFlow
from workflows.models import CaseState, DisposalCase, Notification, Step

from ..cases import AUCTION_PLAN, LEASE_PLAN, idle_evidence
from ..clock import TODAY
from ..factories import AssetFactory
from .test_flow_urls import LEASE, actions, claim, do, errors, fresh, open_task, pdf, url, verified_via_urls

pytestmark = pytest.mark.django_db

AUCTION = {"method": "auction", "summary": "进场公开拍卖", "justification": "公示期无单位申请", "minutes": pdf()}


def plan_page(client, clerk, case, data):
    task = claim(client, clerk, case, DisposalFlow.plan)
    return client.post(url(DisposalFlow.plan, task), data)


def test_an_auction_plan_without_its_terms_is_refused_with_every_missing_term_named(client, building, alice, henry,
                                                                                    hugo):  # fmt: skip
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    response = plan_page(client, alice, case, {**AUCTION, "minutes": pdf()})
    page = response.content.decode()
    assert response.status_code == 422
    for label in ("评估报告编号", "评估值（元）", "评估基准日", "保留价（元）"):
        assert f"拍卖（公开转让）方案须填写{label}。" in page
    assert "进场公开拍卖" in page  # what was typed is kept
    assert fresh(case).state == CaseState.VERIFIED


def test_an_expired_appraisal_and_a_reserve_below_it_are_refused_at_the_plan_together(client, building, alice, henry,
                                                                                      hugo):  # fmt: skip
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    stale = (TODAY - datetime.timedelta(days=690)).isoformat()
    data = {**AUCTION_PLAN, **AUCTION, "minutes": pdf(), "appraisal_date": stale, "reserve_price": "1500000"}
    response = plan_page(client, alice, case, data)
    page = response.content.decode()
    assert response.status_code == 422
    assert "评估报告已过有效期" in page and "365天内有效" in page
    assert "保留价不能低于评估值（2,000,000.00 元）。" in page
    assert fresh(case).state == CaseState.VERIFIED and fresh(case).plan_reserve_price is None


def test_an_early_scrap_needs_its_appraisal_and_explanation_in_the_plan(client, school, alice, henry, rita):
    young = AssetFactory(
        holding_unit=school, acquired_on=TODAY - datetime.timedelta(days=3 * 365), usage_status="idle",
        idle_since=TODAY - datetime.timedelta(days=730),
    )  # fmt: skip
    idle_evidence(young)
    case = verified_via_urls(client, young, alice, henry, rita, window_closed=True)
    scrap = {"method": "scrap", "summary": "主板损坏，无维修价值"}
    response = plan_page(client, alice, case, scrap)
    page = response.content.decode()
    assert response.status_code == 422
    assert "该资产未达最低使用年限（6年），提前报废须在方案中写明技术鉴定意见。" in page
    assert "该资产未达最低使用年限（6年），提前报废须在方案中写明提前报废说明。" in page
    assert "该资产未达最低使用年限（6年），提前报废须上传技术鉴定意见。" in page
    assert fresh(case).state == CaseState.VERIFIED

    why = {"technical_appraisal": "主板烧毁，维修费用超过原值50%", "early_scrap_explanation": "雷击损坏"}
    do(client, alice, case, DisposalFlow.plan, {**scrap, **why, "technical_file": pdf("鉴定.pdf")}, claim_first=False)
    assert fresh(case).evidence.filter(attachment__kind=AttachmentKind.TECHNICAL_APPRAISAL, step=Step.PLAN).exists()
    # The reviewer reads the 提示; execution opens with what the plan said.
    task = claim(client, rita, case, DisposalFlow.dept_review)
    assert (
        "提示：提前报废：该资产未达最低使用年限（6年）"
        in client.get(url(DisposalFlow.dept_review, task)).content.decode()
    )
    do(client, rita, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"}, claim_first=False)
    task = claim(client, alice, case, DisposalFlow.execute)
    assert "雷击损坏" in client.get(url(DisposalFlow.execute, task)).content.decode()


def test_approvers_see_the_terms_and_a_hint_that_the_appraisal_expires_soon(client, building, alice, henry, hugo,
                                                                            fiona):  # fmt: skip
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    appraised = TODAY - datetime.timedelta(days=350)  # valid 365 days: expires in 15
    do(client, alice, case, DisposalFlow.plan, {**AUCTION_PLAN, **AUCTION, "minutes": pdf(),
                                                "appraisal_date": appraised.isoformat()})  # fmt: skip
    expires = appraised + datetime.timedelta(days=365)
    hint = f"评估报告将于{expires.year}年{expires.month}月{expires.day}日失效（尚余15天）"
    for user, node in ((hugo, DisposalFlow.dept_review), (fiona, DisposalFlow.finance_approve)):
        task = claim(client, user, case, node)
        page = client.get(url(node, task)).content.decode()
        assert "方案批准事项" in page and "2,000,000.00 元" in page and "川华评报字〔2026〕第0312号" in page
        assert hint in page
        do(client, user, case, node, {"decision": "approve", "opinion": "同意"}, claim_first=False)
    [approval] = [d for d in documents_of(fresh(case)) if d.kind == "approval_form"]
    printed = {t["label"]: t["text"] for t in approval.context["plan_terms"]}
    assert (
        printed["保留价（元）"] == "2,000,000.00 元"
        and printed["评估基准日"] == f"{appraised.year}年{appraised.month}月{appraised.day}日"
    )


def test_a_lease_whose_approved_reserve_is_changed_at_execution_goes_back_for_approval(client, building, alice, henry,
                                                                                      hugo, fiona, fred):  # fmt: skip
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {**LEASE_PLAN, "method": "lease", "summary": "整体公开招租", "justification": "无申请", "minutes": pdf()}
    do(client, alice, case, DisposalFlow.plan, plan)
    do(client, hugo, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
    do(client, fiona, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意"})

    task = claim(client, alice, case, DisposalFlow.execute)
    page = client.get(url(DisposalFlow.execute, task)).content.decode()
    assert 'value="48000.00"' in page and "方案批准为48,000.00 元；改变须重新报批" in page  # prefilled
    do(client, alice, case, DisposalFlow.execute, {**LEASE, "reserve_rent": "45000"}, claim_first=False)

    case = fresh(case)
    assert (case.state, case.current_step) == (CaseState.PLAN_SUBMITTED, Step.DEPT_REVIEW)
    assert "terms_changed" in actions(case) and "record_execution" not in actions(case)
    reason = "底价（年租金，元）批准为48,000.00 元，执行为45,000.00 元"
    assert Notification.objects.filter(user=hugo, message__contains=reason).exists()
    task = claim(client, hugo, case, DisposalFlow.dept_review)
    page = client.get(url(DisposalFlow.dept_review, task)).content.decode()
    assert "重新报批" in page and reason in page

    do(
        client,
        hugo,
        case,
        DisposalFlow.dept_review,
        {"decision": "approve", "opinion": "同意调整底价"},
        claim_first=False,
    )
    do(client, fiona, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意"})
    second = [d for d in documents_of(fresh(case)) if d.kind == "approval_form"][-1]
    assert any(reason in r for r in second.context["reapproval_reasons"])
    assert {"label": "底价（年租金，元）", "text": "45,000.00 元"} in second.context["plan_terms"]

    # The re-approved 底价 is the plan's now: recording it again closes the execution.
    do(client, alice, case, DisposalFlow.execute, {**LEASE, "reserve_rent": "45000"})
    assert fresh(case).current_step == Step.CONFIRM_REMITTANCE


def test_a_term_change_that_also_breaks_a_rule_is_refused_not_sent_for_approval(client, building, alice, henry, hugo,
                                                                                fiona):  # fmt: skip
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {**LEASE_PLAN, "method": "lease", "summary": "整体公开招租", "justification": "无申请", "minutes": pdf()}
    do(client, alice, case, DisposalFlow.plan, plan)
    do(client, hugo, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
    do(client, fiona, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意"})
    task = claim(client, alice, case, DisposalFlow.execute)
    eight = TODAY.replace(year=TODAY.year + 8).isoformat() if TODAY.month != 2 or TODAY.day != 29 else "2034-02-28"
    response = client.post(url(DisposalFlow.execute, task), {**LEASE, "lease_ends_on": eight})
    assert response.status_code == 422, errors(response)
    assert "出租期限不能超过5年。" in response.content.decode()
    assert fresh(case).state == CaseState.PLAN_APPROVED
    assert open_task(case, DisposalFlow.execute).owner == alice
    assert DisposalCase.objects.get(pk=case.pk).reapproval_reasons == []
