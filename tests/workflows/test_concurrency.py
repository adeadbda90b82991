"""Concurrency on PostgreSQL, through the real task URLs: the flow's row lock (SELECT ... FOR UPDATE NOWAIT, retried),
the services' row lock and the task-state check together let exactly one of many simultaneous submissions of a task
through, answer the others with a clear message, and leave nothing half-written; different tasks never wait on
each other.

Each thread has its own test client and its own database connection (closed at the end), and a barrier makes the
requests fire together. SQLite serializes writers anyway, so nothing is proven there: the tests are skipped."""

import threading
import time
import traceback
from dataclasses import dataclass, field

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import OrganizationKind, Role, UsageStatus
from audit.models import AuditEvent
from workflows.flows import DisposalFlow
from workflows.models import CaseState, DisposalCase, Notification, Step
from workflows.nodes import case_url
from workflows.services import Actor, case_report

from ..cases import TWO_YEARS_AGO, idle_evidence
from ..factories import AssetFactory, OrganizationFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency is only proven on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ALREADY_DONE = "该任务已经办理，无需重复提交。"
BEING_HANDLED = "该事项正由他人办理，请稍后刷新再试。"
SIGNED_OFF = "已签发，报送主管部门核查认定。"


@dataclass
class Outcome:
    status: int | None = None
    location: str = ""
    messages: list[str] = field(default_factory=list)
    error: str = ""
    started: float = 0.0
    finished: float = 0.0


def race(requests: list[tuple[Client, str, dict]]) -> list[Outcome]:
    """POSTs every (client, url, data) from its own thread, all released at once; returns what each got back."""
    barrier = threading.Barrier(len(requests))
    outcomes = [Outcome() for _ in requests]

    def run(outcome: Outcome, client: Client, url: str, data: dict) -> None:
        try:
            connection.ensure_connection()  # this thread's own connection, opened before the start
            barrier.wait(timeout=30)
            outcome.started = time.monotonic()
            response = client.post(url, data)
            outcome.finished = time.monotonic()
            outcome.status, outcome.location = response.status_code, response.get("Location", "")
            outcome.messages = [str(m) for m in get_messages(response.wsgi_request)]
        except Exception:  # a 500 re-raised by the test client, a broken barrier: reported by the test
            outcome.error = traceback.format_exc()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(o, *r), daemon=True) for o, r in zip(outcomes, requests, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request never came back"
    errors = [o.error for o in outcomes if o.error]
    assert not errors, errors[0]
    return outcomes


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_task(case, node) -> Task:
    return Task.objects.get(process_id=case.pk, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def claim(client, case, node) -> Task:
    task = open_task(case, node)
    response = client.post(node.reverse("assign", args=[case.pk, task.pk]))
    assert response.status_code == 302, response.content.decode()[:400]
    return task


def execute_url(case, task) -> str:
    return task.flow_task.reverse("execute", args=[case.pk, task.pk])


def reported(client, clerk, asset) -> DisposalCase:
    client.force_login(clerk)
    response = client.post(f"/cases/report/{asset.pk}/", {"basis": "idle", "statement": "停用两年，无使用计划"})
    assert response.status_code == 302, response.content.decode()[:400]
    return DisposalCase.objects.get(asset=asset)


def fired_together(outcomes: list[Outcome]) -> bool:
    # At least half of the requests had started before the first one came back: they were in flight at once. (Not
    # all: after the barrier the threads take turns at the GIL, and on a loaded machine a straggler may start late.)
    first_back = min(o.finished for o in outcomes)
    return sum(o.started < first_back for o in outcomes) >= max(2, len(outcomes) // 2)


def test_ten_submissions_of_one_task_at_once_sign_it_off_exactly_once(client, computer, alice, henry, rita):
    case = reported(client, alice, computer)
    client.force_login(henry)
    task = claim(client, case, DisposalFlow.sign_off)
    url = execute_url(case, task)

    outcomes = race([(logged_in(henry), url, {"opinion": "同意申报"}) for _ in range(10)])

    assert fired_together(outcomes)
    assert [o.status for o in outcomes] == [302] * 10  # no 500, no 403, no form error
    assert {o.location for o in outcomes} == {case_url(case.pk)}
    winners = [o for o in outcomes if SIGNED_OFF in o.messages]
    assert len(winners) == 1
    for loser in (o for o in outcomes if o is not winners[0]):
        assert len(loser.messages) == 1 and loser.messages[0] in (ALREADY_DONE, BEING_HANDLED), loser.messages

    # Signed off once, completely: the case, the tasks, the trail and the notifications all agree.
    case = DisposalCase.objects.get(pk=case.pk)
    assert (case.state, case.current_step, case.submitted_by_id) == (CaseState.SUBMITTED, Step.VERIFY, henry.pk)
    sign_offs = Task.objects.filter(process_id=case.pk, flow_task=DisposalFlow.sign_off)
    assert [(t.status, t.owner_id, t.finished is not None) for t in sign_offs] == [(STATUS.DONE, henry.pk, True)]
    verifies = Task.objects.filter(process_id=case.pk, flow_task=DisposalFlow.verify)
    assert [(t.status, t.owner_id) for t in verifies] == [(STATUS.ASSIGNED, rita.pk)]  # the one reviewer's
    # One sign-off (its task and the next went straight to the one person who can hold each), and (if its job has
    # run yet) one 申报表 issued for it.
    actions = list(AuditEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True))
    once = ["report", "assign", "submit", "assign"]
    assert actions in (once, [*once, "document_issued"]), actions
    assert Notification.objects.filter(case=case, user=rita, message__startswith="待核查认定").count() == 1
    # The case page still opens for everyone involved.
    client.force_login(rita)
    assert client.get(case_url(case.pk)).status_code == 200


def test_ten_reviewers_claiming_one_queue_task_at_once_leave_it_with_exactly_one(client, computer, alice, henry, rita):
    reviewers = [
        UserFactory(username=f"reviewer{i}", organization=rita.organization, roles=[Role.DEPT_REVIEWER])
        for i in range(10)
    ]
    case = reported(client, alice, computer)
    client.force_login(henry)
    sign_off = claim(client, case, DisposalFlow.sign_off)
    assert client.post(execute_url(case, sign_off), {"opinion": "同意申报"}).status_code == 302
    task = open_task(case, DisposalFlow.verify)
    assert (task.status, task.owner_id) == (STATUS.NEW, None)  # eleven reviewers: it waits in their queue
    url = DisposalFlow.verify.reverse("assign", args=[case.pk, task.pk])

    outcomes = race([(logged_in(reviewer), url, {}) for reviewer in reviewers])

    assert fired_together(outcomes)
    task = Task.objects.get(pk=task.pk)
    assert task.status == STATUS.ASSIGNED and task.owner_id in {r.pk for r in reviewers}
    claims = AuditEvent.objects.filter(case=case, action="claim", data__task=task.pk)
    assert [e.actor_id for e in claims] == [task.owner_id]
    assert [o.status for o in outcomes] == [302] * 10
    winners = [o for o in outcomes if o.location == execute_url(case, task)]
    assert len(winners) == 1 and winners[0].messages == [f"已认领“{DisposalFlow.verify.task_title}”，请办理。"]
    taken = f"该任务已由{task.owner}认领。"
    for loser in (o for o in outcomes if o is not winners[0]):
        assert loser.location == case_url(case.pk)
        assert len(loser.messages) == 1 and loser.messages[0] in (taken, BEING_HANDLED), loser.messages
    assert Task.objects.filter(process_id=case.pk, flow_task=DisposalFlow.verify).count() == 1
    assert DisposalCase.objects.get(pk=case.pk).state == CaseState.SUBMITTED


def test_fifty_heads_claiming_and_signing_off_their_own_cases_at_once_all_succeed(client, education_bureau):
    units = [
        OrganizationFactory(name=f"茂县测试学校{i:02d}", short_name=f"茂测{i:02d}", kind=OrganizationKind.INSTITUTION,
                            supervising_department=education_bureau)
        for i in range(50)
    ]  # fmt: skip
    cases, heads = [], []
    for i, unit in enumerate(units):
        clerk = UserFactory(username=f"clerk{i:02d}", organization=unit, roles=[Role.UNIT_CLERK])
        heads.append(UserFactory(username=f"head{i:02d}", organization=unit, roles=[Role.UNIT_HEAD]))
        # A deputy, so the sign-off waits in the unit's queue for the head to claim (with one head it is his at once).
        UserFactory(username=f"deputy{i:02d}", organization=unit, roles=[Role.UNIT_HEAD])
        asset = AssetFactory(holding_unit=unit, usage_status=UsageStatus.IDLE, idle_since=TWO_YEARS_AGO)
        idle_evidence(asset)
        cases.append(case_report(actor=Actor(user=clerk), asset=asset, basis="idle", statement="停用两年，无使用计划"))
    clients = [logged_in(head) for head in heads]
    tasks = [open_task(case, DisposalFlow.sign_off) for case in cases]

    claimed = race(
        [
            (c, DisposalFlow.sign_off.reverse("assign", args=[case.pk, task.pk]), {})
            for c, case, task in zip(clients, cases, tasks, strict=True)
        ]
    )
    assert [(o.status, o.location) for o in claimed] == [
        (302, execute_url(case, task)) for case, task in zip(cases, tasks, strict=True)
    ]

    signed = race(
        [(c, execute_url(case, task), {"opinion": "同意"}) for c, case, task in zip(clients, cases, tasks, strict=True)]
    )

    assert fired_together(signed)
    # (The claim's message is still unread in each client's cookie: the sign-off's comes after it.)
    assert [(o.status, o.location, o.messages[-1:]) for o in signed] == [
        (302, case_url(case.pk), [SIGNED_OFF]) for case in cases
    ]
    pks = [case.pk for case in cases]
    states = dict(DisposalCase.objects.filter(pk__in=pks).values_list("pk", "state"))
    assert states == {pk: CaseState.SUBMITTED for pk in pks}
    assert AuditEvent.objects.filter(case__in=pks, action="submit").count() == 50
    assert AuditEvent.objects.filter(case__in=pks, action="claim").count() == 50
    # 100 events appended by 50 concurrent writers: one chain, no fork, nothing lost.
    from audit.chain import audit_chain_verify

    assert audit_chain_verify().ok
    done = Task.objects.filter(process_id__in=pks, flow_task=DisposalFlow.sign_off, status=STATUS.DONE)
    assert sorted(done.values_list("owner_id", flat=True)) == sorted(h.pk for h in heads)
    assert Task.objects.filter(process_id__in=pks, flow_task=DisposalFlow.verify, status=STATUS.NEW).count() == 50
