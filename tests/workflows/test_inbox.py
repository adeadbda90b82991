"""Inboxes and queues: each user sees exactly the tasks of their organization and role, soonest deadline first;
claiming, releasing, handing on, notifications, deadlines and substitutes."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import Role
from audit.models import AuditEvent
from workflows.flows import DisposalFlow
from workflows.models import DisposalCase, Notification, Substitution
from workflows.services import overdue_sweep

from ..cases import TWO_YEARS_AGO, idle_evidence
from ..clock import TODAY, at
from ..factories import AssetFactory, UserFactory
from .test_flow_urls import claim, do, fresh, messages_of, open_task, pdf, report, url

pytestmark = pytest.mark.django_db


def submitted(client, asset, clerk, head) -> DisposalCase:
    case = report(client, clerk, asset)
    do(client, head, case, DisposalFlow.sign_off)
    return fresh(case)


def another_computer(unit, code):
    asset = AssetFactory(code=code, name="笔记本电脑", holding_unit=unit, usage_status="idle", idle_since=TWO_YEARS_AGO)
    idle_evidence(asset)
    return asset


def test_a_reviewer_sees_only_the_categories_their_department_leads(client, computer, building, alice, henry, rita,
                                                                    hugo, bob):  # fmt: skip
    pc = submitted(client, computer, alice, henry)
    house = submitted(client, building, alice, henry)
    # Each department has one reviewer: the task is theirs at once (我的待办), nobody else's.
    client.force_login(rita)
    inbox = client.get("/cases/inbox/").content.decode()
    assert computer.code in inbox and building.code not in inbox
    client.force_login(hugo)
    inbox = client.get("/cases/inbox/").content.decode()
    assert building.code in inbox and computer.code not in inbox
    assert client.get(f"/cases/{pc.pk}/").status_code == 404
    assert client.get(f"/cases/{pc.pk}/chart/").status_code == 404
    assert client.get(f"/cases/{house.pk}/").status_code == 200
    assert client.get(f"/cases/{house.pk}/chart/")["Content-Type"] == "image/svg+xml"
    cases = client.get("/cases/flows/").content.decode()
    assert building.code in cases and computer.code not in cases

    client.force_login(bob)  # another unit sees neither
    assert computer.code not in client.get("/cases/flows/").content.decode()
    assert client.get(f"/cases/{house.pk}/").status_code == 404
    assert client.get("/cases/queue/").status_code == 200


def test_queue_rows_name_the_asset_unit_step_and_due_date_soonest_first_with_overdue_marked(
    client, computer, school, alice, henry, rita
):
    first = submitted(client, computer, alice, henry)
    later_asset = another_computer(school, "MX-YZ-PC-200")
    with time_machine.travel(at(TODAY + datetime.timedelta(days=7))):
        second = submitted(client, later_asset, alice, henry)
    client.force_login(rita)
    page = client.get("/cases/inbox/").content.decode()
    assert page.index(computer.code) < page.index("MX-YZ-PC-200")
    assert "茂县第一中学" in page and "主管部门核查认定" in page and "已超期" not in page

    due = fresh(first).step_due_on
    with time_machine.travel(at(due + datetime.timedelta(days=1))):
        client.force_login(rita)  # the first login's session ended after 14 days
        page = client.get("/cases/inbox/").content.decode()
        assert page.count("已超期") == 1 and fresh(second).step_due_on > due


def test_several_tasks_can_be_claimed_at_once_and_only_ones_own(client, computer, building, school, alice, henry,
                                                                rita, hugo):  # fmt: skip
    # A second reviewer at rita's department: her department's tasks wait in the queue to be claimed.
    UserFactory(username="rosa", organization=rita.organization, roles=[Role.DEPT_REVIEWER])
    a = submitted(client, computer, alice, henry)
    b = submitted(client, another_computer(school, "MX-YZ-PC-300"), alice, henry)
    c = submitted(client, building, alice, henry)  # 住建局's, and hugo's alone: assigned to him at once
    ids = [open_task(x, DisposalFlow.verify).pk for x in (a, b, c)]
    client.force_login(rita)
    response = client.post("/cases/queue/assign/", {"pk": ids})
    assert response.status_code == 302
    assert "已认领 2 项任务。" in messages_of(
        response
    ) and "1 项任务未能认领（已被他人认领或无权认领）。" in messages_of(response)
    assert set(Task.objects.filter(owner=rita, status=STATUS.ASSIGNED).values_list("process_id", flat=True)) == {
        a.pk,
        b.pk,
    }
    assert Task.objects.get(pk=ids[2]).owner == hugo
    inbox = client.get("/cases/inbox/").content.decode()
    assert computer.code in inbox and "MX-YZ-PC-300" in inbox


def test_the_owner_releases_a_task_and_the_head_hands_one_on_to_a_colleague(client, computer, alice, henry, rita):
    colleague = UserFactory(
        username="rex", full_name="冉丽君", organization=rita.organization, roles=[Role.DEPT_REVIEWER]
    )
    boss = UserFactory(username="boss", full_name="赵德明", organization=rita.organization, roles=[Role.UNIT_HEAD])
    case = submitted(client, computer, alice, henry)
    task = claim(client, rita, case, DisposalFlow.verify)
    client.force_login(colleague)
    assert client.post(url(DisposalFlow.verify, task, "unassign")).status_code == 403
    assert client.post(url(DisposalFlow.verify, task, "reassign"), {"to": colleague.pk}).status_code == 403

    client.force_login(rita)
    assert client.post(url(DisposalFlow.verify, task, "unassign")).status_code == 302
    assert Task.objects.get(pk=task.pk).status == STATUS.NEW

    client.force_login(boss)
    reason = {"reason": "陈丽出差一周"}
    response = client.post(url(DisposalFlow.verify, task, "reassign"), {"to": alice.pk, **reason})
    assert response.status_code == 422  # not a reviewer of this department
    response = client.post(url(DisposalFlow.verify, task, "reassign"), {"to": colleague.pk})
    assert response.status_code == 422 and "这个字段是必填项" in response.content.decode()  # a reason is asked
    response = client.post(url(DisposalFlow.verify, task, "reassign"), {"to": colleague.pk, **reason})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).owner == colleague
    note = Notification.objects.get(user=colleague, message__contains="转给您")
    assert computer.code in note.message and computer.name in note.message and "陈丽出差一周" in note.message
    page = client.get(url(DisposalFlow.verify, task, "reassign")).content.decode()
    assert f'value="{colleague.pk}"' not in page  # the current holder is not offered
    response = client.post(url(DisposalFlow.verify, task, "reassign"), {"to": colleague.pk, **reason})
    assert response.status_code == 422
    assert list(AuditEvent.objects.filter(case=case).values_list("action", flat=True))[-3:] == [
        "claim", "release", "reassign"
    ]  # fmt: skip
    do(client, colleague, case, DisposalFlow.verify, {"decision": "verify", "opinion": "属实", "record": pdf()},
       claim_first=False)  # fmt: skip


def test_notifications_tell_of_a_new_task_a_return_and_a_closing(client, computer, alice, henry, rita):
    case = submitted(client, computer, alice, henry)
    assert Notification.objects.filter(user=rita, case=case, message__startswith="待核查认定").exists()
    do(client, rita, case, DisposalFlow.verify, {"decision": "return", "opinion": "缺少照片"})
    assert Notification.objects.filter(user=alice, case=case, message__contains="缺少照片").exists()
    client.force_login(alice)
    page = client.get("/cases/notifications/").content.decode()
    assert "申报被退回" in page
    client.post("/cases/notifications/")
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()


def test_an_overdue_step_reminds_its_holder_then_the_head_once_each(client, computer, alice, henry, rita):
    boss = UserFactory(username="boss", organization=rita.organization, roles=[Role.UNIT_HEAD])
    case = submitted(client, computer, alice, henry)
    due = fresh(case).step_due_on
    assert overdue_sweep(today=due) == {"reminded": 0, "escalated": 0}
    assert overdue_sweep(today=due + datetime.timedelta(days=1)) == {"reminded": 1, "escalated": 0}
    assert Notification.objects.filter(user=rita, message__startswith="已超期").exists()
    assert overdue_sweep(today=due + datetime.timedelta(days=1)) == {"reminded": 0, "escalated": 0}
    assert overdue_sweep(today=due + datetime.timedelta(days=20)) == {"reminded": 0, "escalated": 1}
    assert Notification.objects.filter(user=boss, message__startswith="超期未办").exists()
    assert overdue_sweep(today=due + datetime.timedelta(days=21)) == {"reminded": 0, "escalated": 0}
    assert {"overdue", "escalate"} <= set(AuditEvent.objects.filter(case=case).values_list("action", flat=True))

    do(client, rita, case, DisposalFlow.verify, {"decision": "verify", "opinion": "属实", "record": pdf()})
    assert fresh(case).reminded_at is None  # the next step has its own deadline and reminders


def test_a_substitute_acts_for_a_colleague_on_leave_and_the_trail_records_both(client, computer, alice, henry, rita):
    clerk = UserFactory(username="rex_clerk", organization=rita.organization, roles=[Role.UNIT_CLERK])
    rex = UserFactory(username="rex", full_name="冉丽君", organization=rita.organization, roles=[Role.DEPT_REVIEWER])
    case = submitted(client, computer, alice, henry)
    task = claim(client, rita, case, DisposalFlow.verify)  # rita claimed it before her leave
    client.force_login(rex)
    assert computer.code not in client.get("/cases/inbox/").content.decode()

    client.force_login(rita)
    today = TODAY
    page = client.get("/cases/substitution/").content.decode()
    assert "冉丽君" in page and "rex_clerk" not in page  # only colleagues who hold her role are offered
    refused = substitution_set_refusal(rita, clerk)
    assert "代理人须担任与您相同的角色" in refused  # a unit clerk cannot stand in for a reviewer
    bad = client.post("/cases/substitution/", {"substitute": rex.pk, "starts_on": today, "ends_on": today
                                                - datetime.timedelta(days=1)})  # fmt: skip
    assert bad.status_code == 422 and "结束日期不能早于开始日期" in bad.content.decode()
    ok = client.post(
        "/cases/substitution/", {"substitute": rex.pk, "starts_on": today, "ends_on": today, "reason": "年休假"}
    )
    assert ok.status_code == 302 and Substitution.objects.filter(user=rita, substitute=rex).exists()

    client.force_login(rex)  # the task rita had claimed is in his 我的待办 while she is away
    assert computer.code in client.get("/cases/inbox/").content.decode()
    do(client, rex, case, DisposalFlow.verify, {"decision": "verify", "opinion": "属实", "record": pdf()},
       claim_first=False)  # fmt: skip
    event = AuditEvent.objects.get(case=case, action="verify")
    assert (event.actor, event.acting_for, event.organization) == (rex, rita, rita.organization)
    assert fresh(case).verified_by == rita and Task.objects.get(pk=task.pk).status == STATUS.DONE

    second = submitted(client, another_computer(computer.holding_unit, "MX-YZ-PC-400"), alice, henry)
    claim(client, rita, second, DisposalFlow.verify)
    with time_machine.travel(at(today + datetime.timedelta(days=2))):
        client.force_login(rex)  # her leave is over: her tasks are hers again
        assert "MX-YZ-PC-400" not in client.get("/cases/inbox/").content.decode()
        assert client.post(url(DisposalFlow.verify, open_task(second, DisposalFlow.verify), "execute"),
                           {"decision": "verify", "opinion": "属实"}).status_code == 403  # fmt: skip


def substitution_set_refusal(user, substitute) -> str:
    from django.core.exceptions import ValidationError

    from workflows.services import actor_for, substitution_set

    with pytest.raises(ValidationError) as refused:
        substitution_set(actor=actor_for(user=user), substitute=substitute, starts_on=TODAY, ends_on=TODAY)
    return " ".join(refused.value.message_dict["substitute"])


def test_the_board_lists_verified_assets_filters_them_and_takes_one_application_per_unit(
    client, computer, building, alice, henry, rita, hugo, bob
):
    from workflows.services import case_verify

    from ..cases import as_

    pc = submitted(client, computer, alice, henry)
    house = submitted(client, building, alice, henry)
    for case, reviewer in ((pc, rita), (house, hugo)):
        from ..cases import attach

        attach(case.asset, "verification_record")
        case_verify(actor=as_(reviewer), case=case, opinion="属实")
    client.force_login(bob)
    page = client.get("/board/").content.decode()
    assert computer.code in page and building.code in page
    page = client.get("/board/", {"min_area": "500"}).content.decode()
    assert building.code in page and computer.code not in page
    page = client.get("/board/", {"max_value": "100000"}).content.decode()
    assert computer.code in page and building.code not in page
    page = client.get("/board/", {"min_area": "-1", "max_value": "100000"}).content.decode()
    assert "面积不小于（㎡）：" in page and computer.code in page and building.code not in page

    assert client.post(f"/board/{pc.pk}/apply/", {"reason": ""}).status_code == 422
    assert client.post(f"/board/{pc.pk}/apply/", {"reason": "办公需要"}).status_code == 302
    again = client.post(f"/board/{pc.pk}/apply/", {"reason": "再次申请"})
    assert again.status_code == 422 and "本单位已申请过该资产" in again.content.decode()
    client.force_login(alice)
    own = client.post(f"/board/{pc.pk}/apply/", {"reason": "自己申请"})
    assert own.status_code == 422 and "不能申请调剂本单位的资产" in own.content.decode()

    with time_machine.travel(at(TODAY + datetime.timedelta(days=20))):
        client.force_login(bob)
        assert client.get(f"/board/{house.pk}/apply/").status_code == 404  # the window has closed
        assert building.code not in client.get("/board/").content.decode()


def test_a_report_with_bad_input_is_refused_with_a_clear_message_and_saves_nothing(client, school, alice, henry):
    recent = AssetFactory(code="MX-YZ-PC-900", holding_unit=school, usage_status="idle",
                          idle_since=TODAY - datetime.timedelta(days=40))  # fmt: skip
    idle_evidence(recent)
    client.force_login(alice)
    response = client.post(f"/cases/report/{recent.pk}/", {"basis": "idle", "statement": ""})
    assert response.status_code == 422 and "必填" in response.content.decode()
    response = client.post(f"/cases/report/{recent.pk}/", {"basis": "idle", "statement": "停用"})
    assert response.status_code == 422 and "6个月" in response.content.decode()
    fake = SimpleUploadedFile("停用说明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        f"/cases/report/{recent.pk}/", {"basis": "idle", "statement": "停用", "stop_statement": fake}
    )
    assert response.status_code == 422
    assert not DisposalCase.objects.exists() and recent.attachments.count() == 2

    client.force_login(henry)  # the head does not report; the clerk does
    assert client.get(f"/cases/report/{recent.pk}/").status_code == 403


def test_a_verification_without_the_departments_record_is_refused_and_keeps_the_task(client, computer, alice, henry,
                                                                                      rita):  # fmt: skip
    case = submitted(client, computer, alice, henry)
    task = claim(client, rita, case, DisposalFlow.verify)
    response = client.post(url(DisposalFlow.verify, task), {"decision": "verify", "opinion": "属实"})
    assert response.status_code == 422 and "核查记录" in response.content.decode()
    assert Task.objects.get(pk=task.pk).status == STATUS.ASSIGNED and fresh(case).state == "submitted"
    response = client.post(url(DisposalFlow.verify, task), {"decision": "maybe", "opinion": "属实"})
    assert response.status_code == 422


def test_a_substitution_cannot_start_in_the_past_and_ends_when_its_user_cancels_it(client, rita):
    rex = UserFactory(username="rex", organization=rita.organization, roles=[Role.DEPT_REVIEWER])
    today = TODAY
    client.force_login(rita)
    past = client.post("/cases/substitution/", {"substitute": rex.pk, "starts_on": today - datetime.timedelta(days=1),
                                               "ends_on": today})  # fmt: skip
    assert past.status_code == 422 and "开始日期不能早于今天" in past.content.decode()
    stranger = UserFactory(username="stranger", roles=[Role.DEPT_REVIEWER])  # another organization
    other = client.post("/cases/substitution/", {"substitute": stranger.pk, "starts_on": today, "ends_on": today})
    assert other.status_code == 422 and not Substitution.objects.exists()

    client.post("/cases/substitution/", {"substitute": rex.pk, "starts_on": today, "ends_on": today})
    substitution = Substitution.objects.get(user=rita, substitute=rex)
    client.force_login(rex)  # only the user who named the substitute may cancel it
    assert client.post("/cases/substitution/", {"end": substitution.pk}).status_code == 404
    client.force_login(rita)
    assert client.post("/cases/substitution/", {"end": substitution.pk}).status_code == 302
    assert not Substitution.objects.filter(user=rita, ends_on__gte=today).exists()
    assert list(AuditEvent.objects.filter(actor=rita, action__startswith="sub").values_list("action", flat=True)) == [
        "substitution", "substitution_end"
    ]  # fmt: skip


def test_whoever_sees_the_case_sees_who_applied_and_only_the_holding_unit_may_withdraw(
    client, computer, alice, henry, rita, bob, fiona
):
    case = submitted(client, computer, alice, henry)
    do(client, rita, case, DisposalFlow.verify, {"decision": "verify", "opinion": "属实", "record": pdf()})
    client.force_login(bob)
    client.post(f"/board/{case.pk}/apply/", {"reason": "镇政府办公急需"})
    for user, may_withdraw in ((alice, True), (henry, True), (rita, False), (fiona, False), (bob, False)):
        client.force_login(user)
        page = client.get(f"/cases/{case.pk}/")
        if user is bob:  # an applicant sees the board, not the case, until it is chosen as the receiving unit
            assert page.status_code == 404
            continue
        assert "镇政府办公急需" in page.content.decode() and "茂县凤仪镇人民政府" in page.content.decode()
        assert ("撤回该事项" in page.content.decode()) is may_withdraw, user.username
    do(
        client,
        alice,
        case,
        DisposalFlow.plan,
        {"method": "reallocate", "summary": "调剂", "receiving_unit": bob.organization_id},
    )
    client.force_login(bob)  # chosen as the receiving unit, it now sees the case, and still may not withdraw it
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "镇政府办公急需" in page and "撤回该事项" not in page


def test_a_report_may_bring_its_evidence_along_and_the_case_keeps_it(client, school, alice):
    asset = AssetFactory(code="MX-YZ-PC-777", holding_unit=school, usage_status="idle", idle_since=TWO_YEARS_AGO)
    client.force_login(alice)
    data = {"basis": "idle", "statement": "停用两年", "stop_statement": pdf("停用说明.pdf"),
            "meeting_minutes": pdf("校务会纪要.pdf")}  # fmt: skip
    assert client.post(f"/cases/report/{asset.pk}/", data).status_code == 302
    case = DisposalCase.objects.get(asset=asset)
    assert set(case.evidence.values_list("step", "attachment__kind")) == {
        ("report", "stop_statement"), ("report", "meeting_minutes")
    }  # fmt: skip
    assert asset.attachments.get(kind="meeting_minutes").original_name == "校务会纪要.pdf"
