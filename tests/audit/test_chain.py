"""The trail proves itself: each audit event is hash-chained to the one before, and `verify_audit` finds the first
change, deletion or forgery; on PostgreSQL the database refuses updates and deletes as well."""

import datetime
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.chain import audit_chain_verify
from audit.models import AuditChainHead, AuditEvent, audit_hash
from workflows.services import case_review

from ..cases import as_, verified

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


@pytest.fixture
def trail(computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita, window_closed=True)  # so that a later step may plan at once
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 3
    return case, events


def tamper(sql: str, params=()):
    """What someone with database access does, bypassing the application (and, on PostgreSQL, its trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred foreign-key checks would block ALTER TABLE
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_append_only")


def test_each_event_links_to_the_previous_one_and_the_whole_trail_verifies(trail, capsys):
    _, events = trail
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == "" and all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert all(e.hash == audit_hash(e.chained_content()) for e in events)
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    call_command("verify_audit")
    assert f"审计链完整：已验证 {len(events)} 条记录" in capsys.readouterr().out


def test_one_changed_field_is_found(trail):
    _, events = trail
    tamper(f"UPDATE {TABLE} SET role = %s WHERE id = %s", ["admin", events[1].pk])
    report = audit_chain_verify()
    assert not report.ok and report.verified == 1
    assert report.broken.startswith(f"第 2 条记录（id={events[1].pk}") and "内容与其摘要不符" in report.broken
    with pytest.raises(CommandError, match="审计链断裂"):
        call_command("verify_audit")


def test_a_deleted_event_is_found(trail):
    _, events = trail
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [events[1].pk])
    report = audit_chain_verify()
    assert report.broken == "第 2 条记录缺失（序号 1 之后是 3）：记录被删除。"


def test_a_forged_event_in_the_middle_or_at_the_end_is_found(trail, alice):
    case, events = trail
    middle = events[0].at + datetime.timedelta(seconds=1)
    tamper(
        f"INSERT INTO {TABLE} (at, actor_id, role, action, case_id, from_state, to_state, data, prev_hash, hash) "
        "VALUES (%s, %s, 'dept_reviewer', 'verify', %s, 'submitted', 'verified', '{}', '', '')",
        [middle, alice.pk, case.pk],
    )
    assert "不在审计链上" in audit_chain_verify().broken
    tamper(f"DELETE FROM {TABLE} WHERE seq IS NULL")

    # A forger who knows the algorithm appends a well-formed link; the head the writers keep does not move.
    last = events[-1]
    forged = AuditEvent(at=last.at, actor_id=alice.pk, role="finance_approver", action="close", case_id=case.pk,
                        data={}, seq=last.seq + 1, prev_hash=last.hash)  # fmt: skip
    forged.hash = audit_hash(forged.chained_content())
    tamper(
        f"INSERT INTO {TABLE} (at, actor_id, role, action, case_id, from_state, to_state, data, seq, prev_hash, hash) "
        "VALUES (%s, %s, 'finance_approver', 'close', %s, '', '', '{}', %s, %s, %s)",
        [forged.at, alice.pk, case.pk, forged.seq, forged.prev_hash, forged.hash],
    )
    assert "在系统外追加" in audit_chain_verify().broken


def test_the_application_never_changes_or_deletes_an_event(trail):
    _, events = trail
    with pytest.raises(PermissionError):
        events[0].save()
    with pytest.raises(PermissionError):
        events[0].delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=events[0].pk).update(role="x")
    assert audit_chain_verify().ok


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_on_postgresql_the_database_refuses_updates_and_deletes(trail):
    _, events = trail
    for sql in (f"UPDATE {TABLE} SET role = 'x' WHERE id = %s", f"DELETE FROM {TABLE} WHERE id = %s"):
        with pytest.raises(DatabaseError, match="审计记录只能追加"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [events[0].pk])
    assert audit_chain_verify().ok


def test_later_steps_keep_extending_the_same_chain(trail, rita):
    case, events = trail
    from workflows.services import case_propose

    case = case_propose(actor=as_(events[0].actor), case=case, method="scrap", summary="报废")
    case_review(actor=as_(rita), case=case, approve=True, opinion="同意")
    report = audit_chain_verify()
    assert report.ok and report.verified == len(events) + 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("damage", ["none", "change", "delete_boundary", "delete_stretch"])
def test_checked_in_parallel_stretches_the_chain_gives_the_same_answer_as_one_walk(damage):
    """On PostgreSQL, outside a transaction, the chain is checked by several processes, one stretch each."""
    if connection.vendor != "postgresql":
        pytest.skip("the parallel check runs on PostgreSQL only")
    for n in range(40):
        AuditEvent.objects.create(action="login", data={"username": f"user{n}"})
    events = list(AuditEvent.objects.order_by("seq"))
    if damage == "change":
        tamper(f"UPDATE {TABLE} SET action = 'export' WHERE seq = 31")
    elif damage == "delete_boundary":
        tamper(f"DELETE FROM {TABLE} WHERE seq = 21")  # the first event of the second of two stretches
    elif damage == "delete_stretch":
        tamper(f"DELETE FROM {TABLE} WHERE seq BETWEEN 11 AND 20")  # all of the second of four stretches
    workers = 4 if damage == "delete_stretch" else 2
    parallel = audit_chain_verify(workers=workers, min_parallel=0)
    one_walk = audit_chain_verify(workers=1)
    assert (parallel.ok, parallel.verified) == (one_walk.ok, one_walk.verified)
    expected = {
        "none": (True, len(events), ""),
        "change": (False, 30, "第 31 条记录"),
        "delete_boundary": (False, 20, "第 21 条记录缺失"),
        "delete_stretch": (False, 10, "第 11 条记录缺失"),
    }[damage]
    assert (parallel.ok, parallel.verified) == expected[:2] and parallel.broken.startswith(expected[2])
