"""The working-day calendar: weekends, the seeded holidays and 调休 days, admin edits, and step deadlines."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from workflows.calendar import add_working_days, is_workday, step_due_on, working_days_between
from workflows.models import CalendarDay, Step, StepDeadline

pytestmark = pytest.mark.django_db

PROVISIONAL = "（预排，以国务院办公厅通知为准）"


def test_monday_to_friday_are_workdays_and_the_weekend_is_not():
    week = [date(2026, 3, 2) + timedelta(days=i) for i in range(7)]  # Monday 2 March – Sunday 8 March
    assert [is_workday(day) for day in week] == [True] * 5 + [False] * 2


def test_a_plain_week_counts_five_working_days_to_the_next_monday():
    assert add_working_days(date(2026, 3, 2), 5) == date(2026, 3, 9)
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday → Monday


def test_a_weekend_start_counts_from_the_monday():
    assert add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)


def test_a_deadline_across_national_day_skips_the_whole_break_and_counts_the_tiaoxiu_saturday():
    # 9/30 (Wed) + 5: 10/1–7 off; 10/8 Thu, 10/9 Fri, 10/10 Sat (调休), 10/12 Mon, 10/13 Tue.
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_a_deadline_can_land_on_a_tiaoxiu_working_sunday():
    assert not is_workday(date(2026, 9, 19))
    assert is_workday(date(2026, 9, 20))
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_the_2026_spring_festival_is_nine_days_off_between_two_working_saturdays():
    assert is_workday(date(2026, 2, 14))
    assert not any(is_workday(date(2026, 2, 15) + timedelta(days=i)) for i in range(9))
    assert is_workday(date(2026, 2, 28))
    # 2/12 (Thu) + 3: 2/13 Fri, 2/14 Sat (调休), then nothing until Tuesday 2/24.
    assert add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 24)


def test_zero_days_from_a_holiday_is_the_first_workday_after_it():
    assert add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 8)
    assert add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 9)


def test_zero_days_from_a_workday_is_that_day():
    assert add_working_days(date(2026, 3, 4), 0) == date(2026, 3, 4)
    assert add_working_days(date(2026, 10, 10), 0) == date(2026, 10, 10)  # a 调休 Saturday


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 4), -1)


def test_working_days_between_skips_a_holiday_and_counts_the_tiaoxiu_day():
    # 4/30 (Thu) → 5/11 (Mon): 5/1–5 off; 5/6, 5/7, 5/8, 5/9 (调休 Saturday), 5/11.
    assert working_days_between(date(2026, 4, 30), date(2026, 5, 11)) == 5
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5


def test_working_days_between_counts_the_end_but_not_the_start():
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 3)) == 1
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 8)) == 0  # Friday → Sunday


def test_working_days_between_is_zero_when_the_end_is_not_after_the_start():
    assert working_days_between(date(2026, 3, 4), date(2026, 3, 4)) == 0
    assert working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == 0


def test_working_days_between_undoes_add_working_days_all_through_the_seeded_years():
    start = date(2025, 12, 20)
    for n in (1, 2, 3, 5, 10, 30, 100, 250, 500):
        due = add_working_days(start, n)
        assert working_days_between(start, due) == n
    for day in (start + timedelta(days=i) for i in range(0, 800, 7)):
        assert working_days_between(day, add_working_days(day, 7)) == 7


def test_a_holiday_added_in_the_admin_moves_the_deadline():
    assert add_working_days(date(2026, 3, 9), 2) == date(2026, 3, 11)
    CalendarDay.objects.create(date=date(2026, 3, 10), is_workday=False, name="县庆")
    assert not is_workday(date(2026, 3, 10))
    assert add_working_days(date(2026, 3, 9), 2) == date(2026, 3, 12)
    assert working_days_between(date(2026, 3, 9), date(2026, 3, 12)) == 2


def test_a_working_weekend_day_added_in_the_admin_moves_the_deadline_earlier():
    CalendarDay.objects.create(date=date(2026, 3, 14), is_workday=True, name="调休上班")
    assert add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 14)


def test_a_holiday_on_a_weekend_changes_nothing():
    assert working_days_between(date(2026, 6, 18), date(2026, 6, 22)) == 1  # 6/19–21 off; Monday 6/22


def test_a_walk_longer_than_the_first_window_loads_more_of_the_table():
    # Forty weekdays closed in a row: far past the 32-day window a one-day walk loads first.
    closed = [date(2030, 3, 1) + timedelta(days=i) for i in range(60)]
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=day, is_workday=False, name="停工") for day in closed if day.weekday() < 5]
    )
    assert add_working_days(date(2030, 2, 28), 1) == date(2030, 4, 30)
    assert working_days_between(date(2030, 2, 28), date(2030, 4, 30)) == 1


def test_add_working_days_makes_one_query_however_far_it_counts(django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        add_working_days(date(2026, 1, 5), 200)
    with django_assert_max_num_queries(1):
        add_working_days(date(2026, 1, 5), 3)


def test_working_days_between_makes_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert working_days_between(date(2026, 1, 1), date(2027, 1, 1)) > 200


def test_a_step_is_due_its_deadline_in_working_days_later():
    StepDeadline.objects.update_or_create(step=Step.VERIFY, defaults={"working_days": 5})
    assert step_due_on(Step.VERIFY, date(2026, 9, 30)) == date(2026, 10, 13)


def test_changing_a_step_deadline_in_the_admin_moves_the_due_date():
    StepDeadline.objects.update_or_create(step=Step.VERIFY, defaults={"working_days": 5})
    before = step_due_on(Step.VERIFY, date(2026, 3, 2))
    StepDeadline.objects.filter(step=Step.VERIFY).update(working_days=10)
    after = step_due_on(Step.VERIFY, date(2026, 3, 2))
    assert (before, after) == (date(2026, 3, 9), date(2026, 3, 16))


def test_a_step_without_a_deadline_says_which_step_to_configure():
    StepDeadline.objects.filter(step=Step.CLOSE).delete()
    with pytest.raises(ImproperlyConfigured, match="销号"):
        step_due_on(Step.CLOSE, date(2026, 3, 2))


def test_the_2026_schedule_is_seeded():
    days = CalendarDay.objects.filter(date__year=2026)
    assert days.count() == 39
    assert days.filter(is_workday=False).count() == 33
    working = set(days.filter(is_workday=True).values_list("date", flat=True))
    assert working == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
    assert CalendarDay.objects.get(date=date(2026, 2, 17)).name == "春节"
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).name == "国庆节调休上班"
    assert not CalendarDay.objects.get(date=date(2026, 4, 6)).is_workday  # 清明 补休 Monday


def test_every_seeded_working_day_is_a_weekend_day():
    assert all(day.weekday() >= 5 for day in CalendarDay.objects.filter(is_workday=True).values_list("date", flat=True))


def test_the_2027_rows_are_marked_provisional():
    names = list(CalendarDay.objects.filter(date__year=2027).values_list("name", flat=True))
    assert len(names) == 34
    assert all(name.endswith(PROVISIONAL) for name in names)
    assert CalendarDay.objects.get(date=date(2027, 2, 5)).name == f"春节{PROVISIONAL}"  # 除夕
