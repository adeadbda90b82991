"""The contract most contract tests are about: the school's building leased for three years from today."""

import pytest

from contracts.models import Contract
from workflows.models import CaseState

from ..cases import case_at, lease_record, proceeds
from ..clock import TODAY, term_ends

ENDS_ON = term_ends(TODAY, 3)  # 期限止: the term's last day


@pytest.fixture
def contract(building, alice, henry, hugo, fiona, fred):
    """The building leased for three years from today, 52,000 元 a year paid quarterly (13,000 元 a quarter, the
    first received at execution), deposit 10,000 元; the case closed by fiona."""
    record = lease_record(
        lease_starts_on=TODAY,
        lease_ends_on=ENDS_ON,
        payment_cycle="按季",
        counterparty_credit_code="91513223MA6C4XQ57X",
    )
    case = case_at(
        CaseState.CLOSED, building, method="lease", clerk=alice, head=henry, reviewer=hugo, finance=fiona,
        confirmer=fred, record=record, money=proceeds("13000", remitted="13000"),
    )  # fmt: skip
    return Contract.objects.get(case=case)
