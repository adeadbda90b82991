"""Rework without retyping, and less clicking (issue 12 §3, §4): tasks go straight to the one person who can hold
them or to whoever holds the case's next step already; a return at verification goes to the clerk; a returned plan
opens as it was submitted; files chosen on a failed submit stay staged; execution is one step but for 调剂."""

import re

import pytest
from viewflow.workflow.status import STATUS

from assets.models import AssetAttachment, AttachmentKind, Role
from audit.models import AuditEvent
from workflows.flows import DisposalFlow
from workflows.models import CaseState, StagedUpload, Step

from ..cases import LEASE_PLAN
from ..factories import UserFactory
from .test_flow_urls import LEASE, claim, do, errors, fresh, messages_of, open_task, pdf, report, url, verified_via_urls

pytestmark = pytest.mark.django_db


def test_the_units_one_head_finds_the_sign_off_in_his_inbox_without_claiming_it(client, computer, alice, henry):
    case = report(client, alice, computer)
    task = open_task(case, DisposalFlow.sign_off)
    assert (task.owner, task.status) == (henry, STATUS.ASSIGNED)
    assigned = AuditEvent.objects.get(case=case, action="assign")
    assert assigned.data["reason"] == "仅一人可办理该环节" and assigned.data["to"]["id"] == henry.pk
    client.force_login(henry)
    assert computer.code in client.get("/cases/inbox/").content.decode()
    assert computer.code not in client.get("/cases/queue/").content.decode()
    do(client, henry, case, DisposalFlow.sign_off, {"opinion": "同意"}, claim_first=False)
    assert fresh(case).state == CaseState.SUBMITTED
    assert not AuditEvent.objects.filter(case=case, action="claim").exists()


def test_with_two_heads_the_sign_off_waits_in_the_queue_and_never_goes_to_the_reporter(client, computer, school,
                                                                                      alice, henry):  # fmt: skip
    both = UserFactory(username="dual", organization=school, roles=[Role.UNIT_CLERK, Role.UNIT_HEAD])
    case = report(client, both, computer)  # the reporter holds the head's role too, and may not sign off his own
    task = open_task(case, DisposalFlow.sign_off)
    assert task.owner == henry  # the one head left once the reporter is excluded

    UserFactory(username="deputy", organization=school, roles=[Role.UNIT_HEAD])
    other = report(client, alice, another_asset(computer))
    assert open_task(other, DisposalFlow.sign_off).owner is None
    client.force_login(henry)
    assert "MX-YZ-PC-900" in client.get("/cases/queue/").content.decode()


def another_asset(asset):
    from ..cases import idle_evidence
    from ..factories import AssetFactory

    other = AssetFactory(code="MX-YZ-PC-900", name="笔记本电脑", holding_unit=asset.holding_unit,
                         usage_status="idle", idle_since=asset.idle_since)  # fmt: skip
    idle_evidence(other)
    return other


def test_a_users_next_step_in_the_same_case_lands_in_their_own_inbox(client, building, alice, henry, hugo, fiona,
                                                                     fred):  # fmt: skip
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {**LEASE_PLAN, "method": "lease", "summary": "招租", "justification": "无单位申请", "minutes": pdf()}
    do(client, alice, case, DisposalFlow.plan, plan)
    do(client, hugo, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
    do(client, fiona, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意"})
    # 执行处置 is one step for a lease: the result and the money together, no second task to claim.
    response = do(client, alice, case, DisposalFlow.execute, dict(LEASE))
    assert fresh(case).state == CaseState.EXECUTED
    assert [a for a in actions_of(case) if a in ("start_execution", "record_execution")] == [
        "start_execution", "record_execution"
    ]  # fmt: skip
    assert not open_tasks_named(case, "record_result")
    do(client, fred, case, DisposalFlow.confirm_remittance, {"confirm": "on"})
    close = open_task(case, DisposalFlow.close)
    assert close.owner == fred  # he may 销号 too: his next step is his at once
    client.force_login(fiona)
    taken = client.post(url(DisposalFlow.close, close, "assign"))
    assert "该任务已由" in " ".join(messages_of(taken)) and open_task(case, DisposalFlow.close).owner == fred
    client.force_login(fred)
    response = client.post(url(DisposalFlow.close, close), {"confirm": "on"})
    assert response.status_code == 302 and fresh(case).state == CaseState.CLOSED


def actions_of(case) -> list[str]:
    return list(AuditEvent.objects.filter(case=case).values_list("action", flat=True))


def open_tasks_named(case, name):
    from viewflow.workflow.models import Task

    return Task.objects.filter(process_id=case.pk, flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED],
                               flow_task=getattr(DisposalFlow, name))  # fmt: skip


def test_a_return_at_verification_goes_to_the_clerk_who_fixes_the_report_prefilled(client, computer, alice, henry,
                                                                                   rita):  # fmt: skip
    case = report(client, alice, computer, statement="停用")
    do(client, henry, case, DisposalFlow.sign_off, {"opinion": "同意"})
    do(client, rita, case, DisposalFlow.verify, {"decision": "return", "opinion": "请补充停用原因和现状照片"})
    case = fresh(case)
    assert (case.state, case.current_step) == (CaseState.DRAFT, Step.REPORT)
    task = open_task(case, DisposalFlow.revise)
    assert task.owner == alice  # the unit's one clerk, in her 我的待办
    client.force_login(henry)
    assert client.post(url(DisposalFlow.revise, task), {"basis": "idle", "statement": "x"}).status_code == 403

    client.force_login(alice)
    page = client.get(url(DisposalFlow.revise, task)).content.decode()
    assert "请补充停用原因和现状照片" in page and "已退回" in page
    assert re.search(r"<textarea[^>]*name=\"statement\"[^>]*>\s*停用</textarea>", page)  # opens as reported
    refused = client.post(url(DisposalFlow.revise, task), {"basis": "idle", "statement": ""})
    assert refused.status_code == 422 and "这个字段是必填项" in refused.content.decode()
    done = client.post(url(DisposalFlow.revise, task), {"basis": "idle", "statement": "2024年起停用，主板损坏"})
    assert done.status_code == 302, errors(done)
    case = fresh(case)
    assert (case.state, case.current_step, case.statement) == (CaseState.DRAFT, Step.SIGN_OFF, "2024年起停用，主板损坏")
    assert open_task(case, DisposalFlow.sign_off).owner == henry
    do(client, henry, case, DisposalFlow.sign_off, {"opinion": "同意"})
    assert fresh(case).state == CaseState.SUBMITTED


def test_a_returned_plan_opens_as_it_was_submitted_with_the_reason_on_top(client, building, alice, henry, hugo):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {**LEASE_PLAN, "method": "lease", "summary": "整体公开招租，期限三年", "justification": "公示期满无单位申请",
            "minutes": pdf("党组会纪要.pdf")}  # fmt: skip
    do(client, alice, case, DisposalFlow.plan, plan)
    do(client, hugo, case, DisposalFlow.dept_review, {"decision": "return", "opinion": "请补充租金测算依据"})
    task = open_task(case, DisposalFlow.plan)
    assert task.owner == alice
    client.force_login(alice)
    page = client.get(url(DisposalFlow.plan, task)).content.decode()
    assert page.index("请补充租金测算依据") < page.index('name="summary"')  # the reason at the top
    assert "整体公开招租，期限三年</textarea>" in page and "公示期满无单位申请" in page
    assert '<option value="lease" selected>' in page
    assert "党组会纪要.pdf" in page  # the minutes stay with the plan: no second upload
    assert 'name="reserve_rent" value="48000' in page  # and its key terms (the 底价)
    again = {k: v for k, v in plan.items() if k != "minutes"} | {"summary": "整体公开招租，期限三年，附租金测算"}
    response = client.post(url(DisposalFlow.plan, task), again)
    assert response.status_code == 302, errors(response)
    assert fresh(case).state == CaseState.PLAN_SUBMITTED


def test_files_chosen_on_a_failed_submit_stay_staged_until_the_report_goes_in(client, computer, alice):
    client.force_login(alice)
    failed = client.post(
        f"/cases/report/{computer.pk}/", {"basis": "idle", "statement": "", "stop_statement": pdf("停用说明.pdf")}
    )
    page = failed.content.decode()
    assert failed.status_code == 422 and "已暂存：停用说明.pdf" in page
    assert StagedUpload.objects.filter(user=alice, field="stop_statement").count() == 1
    before = AssetAttachment.objects.filter(asset=computer, kind=AttachmentKind.STOP_STATEMENT).count()

    reopened = client.get(f"/cases/report/{computer.pk}/").content.decode()
    assert "已暂存：停用说明.pdf" in reopened  # still there on the next visit
    response = client.post(f"/cases/report/{computer.pk}/", {"basis": "idle", "statement": "停用两年，无使用计划"})
    assert response.status_code == 302, errors(response)
    kept = AssetAttachment.objects.filter(asset=computer, kind=AttachmentKind.STOP_STATEMENT).order_by("pk")
    assert kept.count() == before + 1 and kept.last().original_name == "停用说明.pdf"
    assert not StagedUpload.objects.filter(user=alice).exists()


def test_a_staged_file_can_be_removed_and_a_refused_file_is_not_staged(client, computer, alice):
    client.force_login(alice)
    client.post(f"/cases/report/{computer.pk}/", {"basis": "idle", "statement": "", "stop_statement": pdf()})
    staged = StagedUpload.objects.get(user=alice)
    response = client.post(f"/cases/report/{computer.pk}/", {"basis": "idle", "statement": "", "unstage": staged.pk})
    assert response.status_code == 422 and not StagedUpload.objects.filter(user=alice).exists()

    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("说明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(f"/cases/report/{computer.pk}/", {"basis": "idle", "statement": "", "stop_statement": fake})
    assert response.status_code == 422 and not StagedUpload.objects.filter(user=alice).exists()
    assert "已暂存" not in response.content.decode()


def test_someone_elses_staged_file_is_not_theirs(client, computer, alice, school):
    other = UserFactory(username="clerk2", organization=school, roles=[Role.UNIT_CLERK])
    client.force_login(alice)
    client.post(f"/cases/report/{computer.pk}/", {"basis": "idle", "statement": "", "stop_statement": pdf("甲.pdf")})
    client.force_login(other)
    assert "甲.pdf" not in client.get(f"/cases/report/{computer.pk}/").content.decode()


def test_reallocation_still_takes_two_steps(client, computer, alice, henry, rita, bob):
    case = verified_via_urls(client, computer, alice, henry, rita)
    client.force_login(bob)
    client.post(f"/board/{case.pk}/apply/", {"reason": "需要"})
    plan = {"method": "reallocate", "summary": "调剂", "receiving_unit": bob.organization_id}
    do(client, alice, case, DisposalFlow.plan, plan)
    do(client, rita, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
    response = do(client, alice, case, DisposalFlow.execute, {"handover_on": "2026-11-20", "handover_list": "主机"})
    assert "已开始执行处置方案。" in messages_of(response)
    assert fresh(case).current_step == Step.CONFIRM_RECEIPT
    assert claim(client, bob, case, DisposalFlow.confirm_receipt)


def test_a_report_or_its_correction_with_an_unknown_basis_is_refused(computer, alice, henry, rita):
    from django.core.exceptions import ValidationError

    from workflows.services import case_report, case_return, case_revise, case_submit

    from ..cases import as_

    with pytest.raises(ValidationError) as refused:
        case_report(actor=as_(alice), asset=computer, basis="\u202eidle", statement="闲置")  # a bidi mark
    assert refused.value.message_dict == {"basis": ["请选择认定类型。"]}
    case = case_report(actor=as_(alice), asset=computer, basis="idle", statement="闲置")
    case_submit(actor=as_(henry), case=case)
    case = case_return(actor=as_(rita), case=case, reason="请补充")
    with pytest.raises(ValidationError) as refused:
        case_revise(actor=as_(alice), case=case, basis="ｉｄｌｅ", statement="闲置")  # fullwidth look-alike
    assert refused.value.message_dict == {"basis": ["请选择认定类型。"]}
