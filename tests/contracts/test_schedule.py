"""The payment schedule from a contract's terms (contracts.schedule): counts, dates within the term, and money that
sums exactly to the fen, for any terms (hypothesis), and on the awkward days: 29 February, the 31st of a month."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from contracts.schedule import (
    CYCLE_MONTHS,
    HALF_YEARLY,
    MONTHLY,
    ONE_OFF,
    QUARTERLY,
    YEARLY,
    ScheduleError,
    payment_schedule,
    year_amount,
)

starts = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)
steps = st.decimals(min_value=Decimal(0), max_value=Decimal(10), places=2)
cycles = st.sampled_from([MONTHLY, QUARTERLY, HALF_YEARLY, YEARLY])


@given(starts_on=starts, years=st.integers(1, 5), cycle=cycles, annual=money, step=steps)
def test_a_term_of_whole_years_has_its_count_and_each_year_sums_to_its_stepped_amount(
    starts_on, years, cycle, annual, step
):
    ends_on = starts_on + relativedelta(years=years) - dt.timedelta(days=1)  # 租期止: the term's last day

    dues = payment_schedule(starts_on=starts_on, ends_on=ends_on, cycle=cycle, annual=annual, step_percent=step)

    per_year = 12 // CYCLE_MONTHS[cycle]
    assert len(dues) == years * per_year
    assert [d.sequence for d in dues] == list(range(1, len(dues) + 1))
    for year in range(years):
        installments = dues[year * per_year : (year + 1) * per_year]
        assert sum(d.amount for d in installments) == year_amount(annual, step, year)
    assert all(d.amount == d.amount.quantize(Decimal("0.01")) and d.amount >= 0 for d in dues)


@given(starts_on=starts, days=st.integers(1, 5 * 366), cycle=st.sampled_from([*CYCLE_MONTHS, ONE_OFF]), annual=money)
def test_every_due_date_is_a_day_of_the_term_in_order_and_periods_tile_the_term(starts_on, days, cycle, annual):
    ends_on = starts_on + dt.timedelta(days=days)

    dues = payment_schedule(starts_on=starts_on, ends_on=ends_on, cycle=cycle, annual=annual)

    assert dues and dues[0].due_on == starts_on
    assert all(starts_on <= d.due_on <= ends_on for d in dues)
    assert all(a.due_on < b.due_on for a, b in itertools.pairwise(dues))
    assert all(a.period_ends_on + dt.timedelta(days=1) == b.due_on for a, b in itertools.pairwise(dues))
    assert dues[-1].period_ends_on == ends_on  # the term's last day is its last period's


def test_a_lease_from_29_february_falls_due_on_28_february_in_a_common_year():
    dues = payment_schedule(
        starts_on=dt.date(2028, 2, 29), ends_on=dt.date(2031, 2, 27), cycle=YEARLY, annual=Decimal("36500")
    )

    assert [d.due_on for d in dues] == [dt.date(2028, 2, 29), dt.date(2029, 2, 28), dt.date(2030, 2, 28)]
    assert [d.amount for d in dues] == [Decimal("36500.00")] * 3


def test_a_monthly_rent_from_the_31st_falls_on_each_months_last_day_and_back_on_the_31st():
    dues = payment_schedule(
        starts_on=dt.date(2027, 1, 31), ends_on=dt.date(2028, 1, 30), cycle=MONTHLY, annual=Decimal("10000")
    )

    assert [d.due_on for d in dues[:4]] == [dt.date(2027, 1, 31), dt.date(2027, 2, 28), dt.date(2027, 3, 31),
                                            dt.date(2027, 4, 30)]  # fmt: skip
    assert len(dues) == 12 and sum(d.amount for d in dues) == Decimal("10000.00")
    assert dues[0].amount == Decimal("833.33") and dues[-1].amount == Decimal("833.37")  # the remainder, last


def test_a_yearly_step_compounds_and_a_year_cut_short_owes_its_days():
    dues = payment_schedule(
        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2028, 6, 30), cycle=YEARLY, annual=Decimal("100000"),
        step_percent=Decimal(3),
    )  # fmt: skip

    assert [d.amount for d in dues] == [Decimal("100000.00"), Decimal("103000.00"), Decimal("52755.14")]
    assert dues[-1].period_ends_on == dt.date(2028, 6, 30)  # 182 of 2028's 366 days × 106,090


def test_a_one_off_fee_is_one_installment_on_the_first_day():
    dues = payment_schedule(
        starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2029, 4, 30), cycle=ONE_OFF, one_off=Decimal("300000")
    )

    assert [(d.due_on, d.amount) for d in dues] == [(dt.date(2026, 5, 1), Decimal("300000.00"))]


def test_a_contract_that_earns_nothing_has_no_schedule_and_bad_terms_are_refused():
    assert payment_schedule(starts_on=dt.date(2026, 5, 1), ends_on=None, cycle=ONE_OFF) == []
    with pytest.raises(ScheduleError, match="期限止须晚于期限起"):
        payment_schedule(starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 5, 1), cycle=YEARLY, annual=Decimal(1))
    with pytest.raises(ScheduleError, match="不能为负数"):
        payment_schedule(starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2027, 5, 1), cycle=YEARLY,
                         annual=Decimal(-1))  # fmt: skip
