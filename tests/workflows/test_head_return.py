"""The unit head's 签发 may instead send the report back to the clerk (退回补正 → 补正申报), through the URLs."""

import pytest

from audit.models import AuditEvent
from workflows.flows import DisposalFlow
from workflows.models import CaseState, Step

from .test_flow_urls import claim, do, fresh, open_task, pdf, report, url

pytestmark = pytest.mark.django_db


def test_the_head_returns_a_report_to_the_clerk_who_corrects_it_for_the_head_to_sign_off(
    client, computer, alice, henry, rita
):
    case = report(client, alice, computer)
    do(client, henry, case, DisposalFlow.sign_off, {"decision": "return", "opinion": "请补充停用原因"})
    case = fresh(case)
    assert (case.state, case.current_step, case.returned_reason) == (CaseState.DRAFT, Step.REPORT, "请补充停用原因")
    event = AuditEvent.objects.filter(case=case, action="return").get()
    assert (event.actor, event.data["reason"]) == (henry, "请补充停用原因")

    # The clerk's 补正申报 opens with the head's reason and the report as it was.
    task = claim(client, alice, case, DisposalFlow.revise)
    page = client.get(url(DisposalFlow.revise, task)).content.decode()
    assert "请补充停用原因" in page and "停用两年，无使用计划" in page
    do(
        client,
        alice,
        case,
        DisposalFlow.revise,
        {"basis": "idle", "statement": "教室改造后停用两年"},
        claim_first=False,
    )
    do(client, henry, case, DisposalFlow.sign_off, {"opinion": "同意申报"})
    case = fresh(case)
    assert (case.state, case.statement) == (CaseState.SUBMITTED, "教室改造后停用两年")
    do(client, rita, case, DisposalFlow.verify, {"decision": "verify", "opinion": "属实", "record": pdf()})
    assert fresh(case).state == CaseState.VERIFIED


def test_a_return_without_a_reason_is_refused_and_the_report_stays_with_the_head(client, computer, alice, henry):
    case = report(client, alice, computer)
    task = claim(client, henry, case, DisposalFlow.sign_off)
    response = client.post(url(DisposalFlow.sign_off, task), {"decision": "return", "opinion": " "})
    assert response.status_code == 422
    assert "退回补正须写明原因，经办人据此补正。" in response.content.decode()
    case = fresh(case)
    assert (case.state, case.current_step, case.returned_reason) == (CaseState.DRAFT, Step.SIGN_OFF, "")
    assert open_task(case, DisposalFlow.sign_off).owner == henry


def test_only_the_units_head_may_return_a_report(client, computer, alice, henry, rita, bob):
    case = report(client, alice, computer)
    task = open_task(case, DisposalFlow.sign_off)
    data = {"decision": "return", "opinion": "退回"}
    client.force_login(alice)  # the unit's clerk: wrong role
    assert client.post(url(DisposalFlow.sign_off, task), data).status_code == 403
    client.force_login(bob)  # another unit's clerk: not his case
    assert client.post(url(DisposalFlow.sign_off, task), data).status_code == 404
    assert fresh(case).returned_reason == ""


def test_the_page_after_a_return_says_it_went_back_not_that_it_was_signed_off(client, computer, alice, henry):
    case = report(client, alice, computer)
    task = claim(client, henry, case, DisposalFlow.sign_off)
    client.force_login(henry)
    page = client.post(
        url(DisposalFlow.sign_off, task), {"decision": "return", "opinion": "请补充现状照片"}, follow=True
    ).content.decode()
    assert "已退回经办人补正申报。" in page and "已签发" not in page
