"""Every step through its URLs: the wrong role gets 403, another organization 404, a stale double submit changes
nothing, and a step the case is not at does not exist."""

import pytest
from viewflow.workflow.models import Task

from assets.models import Role
from audit.models import AuditEvent
from workflows.flows import DisposalFlow
from workflows.models import CaseState

from ..cases import LEASE_PLAN, window_ago
from ..factories import OrganizationFactory, UserFactory
from .test_flow_urls import LEASE, claim, do, fresh, messages_of, open_task, pdf, report, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    """经办人 of an unrelated township: sees none of the school's cases."""
    org = OrganizationFactory(name="茂县南新镇人民政府", short_name="茂南新", kind="township")
    return UserFactory(username="carol", full_name="龙小琴", organization=org, roles=[Role.UNIT_CLERK])


def materialize(spec: dict) -> dict:
    # Uploads are given as factories: a file can be read only once.
    return {k: (v() if callable(v) else v) for k, v in spec.items()}


def check_step(client, case, node, doer, spec, *, wrong_role, stranger):
    """The checks every step must pass before and after it is done by `doer`."""
    task = open_task(case, node)
    for action in ("assign", "execute"):
        client.force_login(wrong_role)
        response = client.post(url(node, task, action), materialize(spec))
        assert response.status_code == 403, f"{node.name}/{action} as {wrong_role.username}: {response.status_code}"
        client.force_login(stranger)
        response = client.post(url(node, task, action), materialize(spec))
        assert response.status_code == 404, f"{node.name}/{action} as {stranger.username}: {response.status_code}"
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert fresh(case).current_step == node.step

    events = AuditEvent.objects.filter(case=case).exclude(action="assign").count()
    claimed = open_task(case, node).owner_id is None  # else assigned at once: the sole holder, or the last step's
    do(client, doer, case, node, materialize(spec))
    done = AuditEvent.objects.filter(case=case).exclude(action="assign").count()
    # The claim, if one was needed, and the step itself: execution in one step writes 开始执行 and 登记执行结果, and
    # for a method that runs over time 建立合同 too (contracts).
    method = fresh(case).spec
    step_events = 1
    if node.name == "execute" and method is not None and method.code != "reallocate":
        step_events = 3 if method.contract else 2
    assert done == events + claimed + step_events

    # The same form sent again (a double click, a back button, a second tab) changes nothing.
    client.force_login(doer)
    again = client.post(url(node, task), materialize(spec))
    assert again.status_code == 302 and again.url == f"/cases/{case.pk}/"
    assert "该任务已经办理，无需重复提交。" in messages_of(again)
    assert AuditEvent.objects.filter(case=case).exclude(action="assign").count() == done


def test_every_step_of_a_lease_refuses_the_wrong_role_hides_from_strangers_and_ignores_a_double_submit(
    client, building, alice, henry, hugo, fiona, fred, carol, sam
):
    steps = [
        (DisposalFlow.sign_off, henry, {"opinion": "同意"}, alice),
        (DisposalFlow.verify, hugo, {"decision": "verify", "opinion": "属实", "record": pdf}, henry),
        (DisposalFlow.plan, alice, {**LEASE_PLAN, "method": "lease", "summary": "招租", "justification": "无单位申请",
                                    "minutes": pdf}, henry),
        (DisposalFlow.dept_review, hugo, {"decision": "approve", "opinion": "同意"}, alice),
        (DisposalFlow.finance_approve, fiona, {"decision": "approve", "opinion": "同意"}, hugo),
        (DisposalFlow.execute, alice, LEASE, sam),  # one step: started and recorded together
        (DisposalFlow.confirm_remittance, fred, {"confirm": "on"}, alice),
        (DisposalFlow.close, fred, {"confirm": "on"}, henry),  # fred's own next step: assigned to him
    ]  # fmt: skip
    with window_ago():  # reported and verified a 调剂 window ago: the lease plan waits for the window (调剂优先)
        case = report(client, alice, building)
        for node, doer, spec, wrong_role in steps[:2]:
            check_step(client, case, node, doer, spec, wrong_role=wrong_role, stranger=carol)
    for node, doer, spec, wrong_role in steps[2:]:
        check_step(client, case, node, doer, spec, wrong_role=wrong_role, stranger=carol)
    assert fresh(case).state == CaseState.CLOSED


def test_the_receiving_unit_alone_confirms_receipt(client, computer, alice, henry, rita, bob, carol, fiona):
    from .test_flow_urls import verified_via_urls

    case = verified_via_urls(client, computer, alice, henry, rita)
    client.force_login(bob)
    client.post(f"/board/{case.pk}/apply/", {"reason": "需要"})
    do(
        client,
        alice,
        case,
        DisposalFlow.plan,
        {"method": "reallocate", "summary": "调剂", "receiving_unit": bob.organization_id},
    )
    do(client, rita, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
    do(client, alice, case, DisposalFlow.execute, {"handover_on": "2026-11-20", "handover_list": "主机"})
    check_step(client, case, DisposalFlow.confirm_receipt, bob, {"confirm": "on"}, wrong_role=alice, stranger=carol)


def test_a_task_url_for_a_step_the_case_is_not_at_does_not_exist(client, computer, alice, henry):
    case = report(client, alice, computer)
    task = open_task(case, DisposalFlow.sign_off)
    client.force_login(henry)
    for node in (DisposalFlow.verify, DisposalFlow.close):
        assert client.post(node.reverse("execute", args=[case.pk, task.pk]), {"confirm": "on"}).status_code == 404
    assert client.post(DisposalFlow.sign_off.reverse("execute", args=[case.pk + 1, task.pk])).status_code == 404
    assert fresh(case).state == CaseState.DRAFT


def test_executing_a_task_before_claiming_it_is_refused(client, computer, alice, henry):
    UserFactory(username="deputy", organization=henry.organization, roles=[Role.UNIT_HEAD])  # two heads: a queue
    case = report(client, alice, computer)
    task = open_task(case, DisposalFlow.sign_off)
    client.force_login(henry)
    assert client.post(url(DisposalFlow.sign_off, task), {"opinion": "同意"}).status_code == 403
    assert fresh(case).state == CaseState.DRAFT


def test_the_reporter_cannot_sign_off_their_own_report_even_holding_both_roles(client, computer, school):
    both = UserFactory(username="dual", organization=school, roles=[Role.UNIT_CLERK, Role.UNIT_HEAD])
    case = report(client, both, computer)
    claim(client, both, case, DisposalFlow.sign_off)
    response = client.post(url(DisposalFlow.sign_off, open_task(case, DisposalFlow.sign_off)), {"opinion": "同意"})
    assert response.status_code == 403
    assert fresh(case).state == CaseState.DRAFT


def test_a_claimed_task_is_not_claimed_twice(client, computer, alice, henry, school):
    deputy = UserFactory(username="deputy", organization=school, roles=[Role.UNIT_HEAD])
    case = report(client, alice, computer)
    task = claim(client, henry, case, DisposalFlow.sign_off)
    client.force_login(deputy)
    response = client.post(url(DisposalFlow.sign_off, task, "assign"))
    assert response.status_code == 302 and "该任务已由王建国认领。" in messages_of(response)
    assert Task.objects.get(pk=task.pk).owner == henry
