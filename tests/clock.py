"""The suite's one "now": a fixed Beijing instant, the same for every test, wherever and whenever the suite runs.

`PANHUO_TEST_CLOCK` moves it, so the suite can be run on an awkward day: 春节, a 调休 Saturday, 29 February, year
end, 23:30 in Beijing (16:30 UTC, when the UTC date and the Beijing date differ). For example

    PANHUO_TEST_CLOCK=2027-02-10T23:30+08:00 make test

The autouse fixture `clock` (tests/conftest.py) travels there at the start of every test, and time then runs on from
it; a test that needs another day travels from these values, never from the wall clock.
"""

import datetime
import os
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.utils import timezone

BEIJING = ZoneInfo("Asia/Shanghai")
# An ordinary working Wednesday morning.
DEFAULT_CLOCK = "2026-11-18T10:00:00+08:00"


def _parse(text: str) -> datetime.datetime:
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(
            f"PANHUO_TEST_CLOCK={text!r} is not an ISO 8601 instant, e.g. 2027-02-10T23:30+08:00"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=BEIJING)


CLOCK: datetime.datetime = _parse(os.environ.get("PANHUO_TEST_CLOCK") or DEFAULT_CLOCK)
# The Beijing date at CLOCK: what timezone.localdate() answers at the start of every test.
TODAY: datetime.date = CLOCK.astimezone(BEIJING).date()


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    return day + relativedelta(years=years)


def term_ends(starts: datetime.date, years: int) -> datetime.date:
    """The last day of a term of `years` from `starts`, as a contract writes its 租期止 (2026-11-18 → 2029-11-17)."""
    return years_after(starts, years) - datetime.timedelta(days=1)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """That Beijing day at a working hour, for time_machine.travel."""
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=BEIJING)


def on_the_clock(command: list[str]) -> list[str]:
    """`command` run at the test's "now" through libfaketime (Debian's faketime): for outside programs that check a
    certificate's validity against their own clock (pdfsig, openssl, a manage.py command in its own process)."""
    moment = timezone.now().astimezone(datetime.UTC)
    return ["env", "TZ=UTC", "faketime", "-f", f"@{moment:%Y-%m-%d %H:%M:%S}", *command]
