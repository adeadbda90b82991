"""The working-day calendar: Monday–Friday, corrected by the admin-edited CalendarDay table (holidays, 调休)."""

from datetime import date, timedelta

from django.core.exceptions import ImproperlyConfigured

from .models import CalendarDay, Step, StepDeadline

# The holiday schedule itself is data: seeded by migration 0003_seed_calendar, edited in the admin.

ONE_DAY = timedelta(days=1)


def _exceptions(first: date, last: date) -> dict[date, bool]:
    """The CalendarDay rows from first to last (inclusive), as date -> is_workday, in one query."""
    return dict(CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "is_workday"))


def _is_weekday(day: date) -> bool:
    return day.weekday() < 5


class _Walk:
    """Day-by-day answers for a walk forward from `start`, loading the exceptions a window at a time.

    The first window is sized by the caller to cover the whole walk, so a walk is normally one query; a walk
    that outruns it (an admin-entered run of closures, say) loads the next, twice as long, window."""

    def __init__(self, start: date, span_days: int):
        self.span = timedelta(days=span_days)
        self.exceptions = _exceptions(start, start + self.span)
        self.loaded_until = start + self.span

    def is_workday(self, day: date) -> bool:
        if day > self.loaded_until:
            self.span *= 2
            self.exceptions.update(_exceptions(self.loaded_until + ONE_DAY, self.loaded_until + self.span))
            self.loaded_until += self.span
        return self.exceptions.get(day, _is_weekday(day))


def is_workday(day: date) -> bool:
    """Monday–Friday, unless a CalendarDay says otherwise (a holiday off, or a 调休 weekend day on)."""
    return _exceptions(day, day).get(day, _is_weekday(day))


def add_working_days(start: date, n: int) -> date:
    """The day n working days after start (start itself not counted); n=0 is start, or the next workday."""
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    # 2n + 30 days holds n workdays even with 春节 and 国庆 in the way, so a real walk is one query.
    walk = _Walk(start, 2 * n + 30)
    day = start
    if n == 0:
        while not walk.is_workday(day):
            day += ONE_DAY
        return day
    while n:
        day += ONE_DAY
        if walk.is_workday(day):
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """The number of working days after start up to and including end; 0 when end is not after start."""
    if end <= start:
        return 0
    full_weeks, rest = divmod((end - start).days, 7)
    count = 5 * full_weeks + sum(1 for i in range(rest) if _is_weekday(end - timedelta(days=i)))
    for day, workday in _exceptions(start + ONE_DAY, end).items():
        # Only rows that change a day count: a holiday on a weekend, say, is already a rest day.
        if workday != _is_weekday(day):
            count += 1 if workday else -1
    return count


def step_due_on(step: str, start: date) -> date:
    """The deadline (完成时限) of a step begun on start: its StepDeadline's working days later."""
    working_days = StepDeadline.objects.filter(step=step).values_list("working_days", flat=True).first()
    if working_days is None:
        label = dict(Step.choices).get(step, step)
        raise ImproperlyConfigured(f"未设置“{label}”环节的办理时限，请在管理后台“环节办理时限”中添加。")
    return add_working_days(start, working_days)


def working_days_left(today: date, dues: dict) -> dict:
    """For each key's deadline (a date or None), the working days from today to it: positive while it runs, 0 on
    the day itself, negative (the working days overdue) once it has passed. One query for all of them."""
    days = [d for d in dues.values() if d is not None]
    if not days:
        return dict.fromkeys(dues)
    first, last = min([today, *days]), max([today, *days])
    exceptions = _exceptions(first, last)

    def between(start: date, end: date) -> int:
        # As working_days_between, on the exceptions already loaded.
        full_weeks, rest = divmod((end - start).days, 7)
        count = 5 * full_weeks + sum(1 for i in range(rest) if _is_weekday(end - timedelta(days=i)))
        for day, is_on in exceptions.items():
            if start < day <= end and is_on != _is_weekday(day):
                count += 1 if is_on else -1
        return count

    out = {}
    for key, due in dues.items():
        if due is None:
            out[key] = None
        elif due >= today:
            out[key] = between(today, due)
        else:
            out[key] = -between(due, today)
    return out
