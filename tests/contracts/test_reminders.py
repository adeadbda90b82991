"""Rent reminders (contracts.reminders, beat's rent-reminders): the holding unit's clerks hear of an installment
Policy.reminder_lead_working_days working days before it falls due, its clerks and head once it falls into
arrears; each notice once, whatever the number of runs; a paid installment is never chased. The job runs in-process
with the clock moved, and once through the real worker in the PostgreSQL + Redis pass."""

import datetime
import time
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from contracts.arrears import grace_ends_on
from contracts.models import Contract
from contracts.reminders import rent_reminders_sweep
from contracts.tasks import rent_reminders
from workflows.calendar import add_working_days, is_workday
from workflows.models import CaseState, Notification, Policy

from ..cases import case_at, lease_record, proceeds
from ..clock import TODAY, at, term_ends

pytestmark = pytest.mark.django_db


def quarterly_lease(building, alice, henry, hugo, fiona, fred, received="13000") -> Contract:
    """The school's building leased for three years from today, 52,000 元 a year paid quarterly, `received` of the
    first quarter's 13,000 元 paid at execution."""
    record = lease_record(lease_starts_on=TODAY, lease_ends_on=term_ends(TODAY, 3), payment_cycle="按季")
    case = case_at(
        CaseState.CLOSED, building, method="lease", clerk=alice, head=henry, reviewer=hugo, finance=fiona,
        confirmer=fred, record=record, money=proceeds(received, remitted=received),
    )  # fmt: skip
    return Contract.objects.get(case=case)


@pytest.fixture
def lease(building, alice, henry, hugo, fiona, fred):
    return quarterly_lease(building, alice, henry, hugo, fiona, fred)


def notices(user, text: str) -> list[str]:
    return [n.message for n in Notification.objects.filter(user=user, message__contains=text)]


def first_reminder_day(due_on: datetime.date, lead: int) -> datetime.date:
    """The first day from which `due_on` is no more than `lead` working days away."""
    day = due_on
    while add_working_days(day - datetime.timedelta(days=1), lead) >= due_on:
        day -= datetime.timedelta(days=1)
    return day


def sweep_on(day: datetime.date) -> dict:
    with time_machine.travel(at(day), tick=False):
        return rent_reminders_sweep()


def test_the_clerks_hear_of_an_installment_its_lead_working_days_before_it_falls_due_and_only_once(lease, alice, henry):
    second = lease.installments.get(sequence=2)
    lead = Policy.current().reminder_lead_working_days
    first_day = first_reminder_day(second.due_on, lead)

    assert sweep_on(first_day - datetime.timedelta(days=1)) == {"reminded": 0, "arrears": 0}
    assert notices(alice, "租金即将到期") == []

    assert sweep_on(first_day) == {"reminded": 1, "arrears": 0}
    [message] = notices(alice, "租金即将到期")
    assert f"合同{lease.number}" in message and "第2期" in message and "13,000.00 元" in message
    assert f"{second.due_on.year}年{second.due_on.month}月{second.due_on.day}日" in message
    assert notices(henry, "租金") == []  # the head hears of arrears, not of rent falling due
    assert AuditEvent.objects.filter(action="rent_reminder", case=lease.case).count() == 1

    assert sweep_on(first_day) == {"reminded": 0, "arrears": 0}  # a second run sends nothing
    assert sweep_on(second.due_on) == {"reminded": 0, "arrears": 0}
    assert len(notices(alice, "租金即将到期")) == 1


def test_the_lead_days_are_the_countys_setting(lease, alice):
    second = lease.installments.get(sequence=2)
    Policy.objects.filter(pk=Policy.current().pk).update(reminder_lead_working_days=0)

    day_before = second.due_on - datetime.timedelta(days=1)
    while not is_workday(day_before):  # the working day before: a holiday's window reaches the next working day
        day_before -= datetime.timedelta(days=1)
    assert sweep_on(day_before) == {"reminded": 0, "arrears": 0}
    assert sweep_on(second.due_on) == {"reminded": 1, "arrears": 0}


def test_an_installment_paid_in_advance_is_not_chased(client, lease, alice):
    second = lease.installments.get(sequence=2)
    client.force_login(alice)
    data = {"installment": second.pk, "amount": "13000", "paid_on": TODAY.isoformat(), "receipt_no": "MX-SK-2026-0300"}
    assert client.post(reverse("contracts:payment_record", args=[lease.pk]), data).status_code == 302

    late = grace_ends_on(second.due_on, Policy.current().arrears_grace_working_days) + datetime.timedelta(days=1)
    for day in (first_reminder_day(second.due_on, Policy.current().reminder_lead_working_days), late):
        assert sweep_on(day) == {"reminded": 0, "arrears": 0}
    assert not Notification.objects.filter(message__contains="租金").exists()


def test_an_installment_in_arrears_is_reported_to_the_units_clerks_and_head_once(lease, alice, henry, bob):
    second = lease.installments.get(sequence=2)
    last_day = grace_ends_on(second.due_on, Policy.current().arrears_grace_working_days)

    assert sweep_on(last_day)["arrears"] == 0  # still within its grace
    assert sweep_on(last_day + datetime.timedelta(days=1))["arrears"] == 1

    for user in (alice, henry):
        [message] = notices(user, "租金欠缴")
        assert "第2期" in message and "仍欠13,000.00 元" in message
    assert notices(bob, "租金") == []  # another unit hears nothing
    assert sweep_on(last_day + datetime.timedelta(days=2)) == {"reminded": 0, "arrears": 0}
    assert len(notices(henry, "租金欠缴")) == 1
    assert AuditEvent.objects.filter(action="rent_arrears", case=lease.case).count() == 1


def test_beat_runs_the_reminders_every_hour(lease, alice):
    entry = settings.CELERY_BEAT_SCHEDULE["rent-reminders"]
    assert (entry["task"], entry["schedule"]) == ("contracts.tasks.rent_reminders", 3600.0)
    second = lease.installments.get(sequence=2)

    with time_machine.travel(at(second.due_on), tick=False):
        assert rent_reminders.delay().get() == {"reminded": 1, "arrears": 0}


# -- through a real worker (PostgreSQL + Redis) ------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_real_worker_sends_a_reminder_once(
    celery_worker, transactional_db, building, alice, henry, hugo, fiona, fred
):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL, Redis (REDIS_URL) and a real worker")
    # The worker keeps the suite's clock from its start: the first quarter, due today, is only partly paid.
    lease = quarterly_lease(building, alice, henry, hugo, fiona, fred, received="5000")
    first = lease.installments.get(sequence=1)
    assert first.paid == Decimal("5000")

    result = rent_reminders.delay()
    deadline = time.monotonic() + 60
    while not result.ready() and time.monotonic() < deadline:
        time.sleep(0.2)  # another process: nothing to fast-forward
    assert result.get(timeout=1) == {"reminded": 1, "arrears": 0}
    assert rent_reminders.delay().get(timeout=60) == {"reminded": 0, "arrears": 0}
    [message] = notices(alice, "租金即将到期")
    assert "第1期" in message and "8,000.00 元" in message
