"""出租出借: 公开招租 at or above the 底价, within the term cap; the rent is remitted (收支两条线)."""

from dateutil.relativedelta import relativedelta

from assets.models import AttachmentKind, Direction
from core.formatting import cn_date

from .base import (
    PROCEDURE_REASON,
    TEXT,
    ContractTerms,
    Evidence,
    Field,
    Method,
    Outcome,
    Procedure,
    Tally,
    condition,
    contract_fields,
    policy,
    procedure_reason_field,
    register,
)

# 公开出租 unless justified (seed 000 二(八)3); 出借 to another public body is not a market letting.
TENDER = Procedure("lease_procedure", public=("公开招租",), other=("协议出租", "出借"))


@condition(lambda case: f"出租期限不能超过{policy().lease_max_years}年。", reads=("lease_starts_on", "lease_ends_on"))
def lease_within_term_cap(case) -> bool:
    record = case.execution_or_none()
    if case.method != "lease" or record is None:
        return True
    if not (record.lease_starts_on and record.lease_ends_on):
        return False
    cap = record.lease_starts_on + relativedelta(years=policy().lease_max_years)
    return record.lease_ends_on <= cap


@condition("年租金不能低于底价。", reads=("annual_rent", "reserve_rent"))
def rent_at_least_reserve(case) -> bool:
    record = case.execution_or_none()
    if case.method != "lease" or record is None:
        return True
    return (
        record.annual_rent is not None and record.reserve_rent is not None and record.annual_rent >= record.reserve_rent
    )


def lease_plan_errors(case, terms) -> dict[str, str]:
    """The term the plan asks for: it ends after it starts, within the county's cap."""
    cap_years, starts, ends = policy().lease_max_years, terms.get("lease_starts_on"), terms.get("lease_ends_on")
    if starts and ends and ends <= starts:
        return {"lease_ends_on": "租期止须晚于租期起。"}
    if starts and ends and ends > starts + relativedelta(years=cap_years):
        return {"lease_ends_on": f"出租期限不能超过{cap_years}年。"}
    return {}


def lease_plan_notes(case) -> list[str]:
    starts, ends, cap_years = case.plan_lease_starts_on, case.plan_lease_ends_on, policy().lease_max_years
    if not (starts and ends):
        return []
    cap = starts + relativedelta(years=cap_years)
    if ends > cap - relativedelta(years=1):
        return [f"租期接近上限：出租期限不能超过{cap_years}年（至{cn_date(cap)}）。"]
    return []


LEASE = register(
    Method(
        code="lease",
        label="出租出借",
        seed="000",  # its sections: 二(八)3
        section="二(八)3",
        sentence="对仍有使用价值的资产，通过公开出租、公开转让、拍卖等方式盘活，规范处置流程，确保国有资产保值增值。",
        hint="方案须写明底价和租期（不超过规定年限）；公开招租，年租金不低于底价，租金上缴国库。",
        rank=20,
        outcome=Outcome.REVITALIZED,
        tally=Tally.REVITALIZED,
        document="lease_filing",
        document_title="出租备案表",
        signer_roles=("出租单位",),
        direction=Direction.LEASE,
        fields=(
            Field("reserve_rent"),
            Field("lease_procedure", "招租方式", TEXT, choices=TENDER.choices, help="未公开招租的，须写明理由"),
            Field("tender_result"),
            Field("lessee"),
            Field("lease_starts_on"),
            Field("lease_ends_on"),
            Field("annual_rent"),
            Field("deposit", required=False),
            Field("contract_no"),
            *contract_fields(cycle=True),
            procedure_reason_field(),
        ),
        contract=ContractTerms(
            counterparty="lessee",
            starts_on="lease_starts_on",
            ends_on="lease_ends_on",
            annual="annual_rent",
            deposit="deposit",
            contract_no="contract_no",
        ),
        approved_terms=("lease_procedure", "reserve_rent", "lease_starts_on", "lease_ends_on"),
        plan_prefills=(PROCEDURE_REASON,),
        procedure=TENDER,
        conditions=(lease_within_term_cap, rent_at_least_reserve),
        plan_checks=(lease_plan_errors,),
        plan_notes=(lease_plan_notes,),
        evidence=(Evidence("contract_file", "租赁合同（附件）", AttachmentKind.CONTRACT),),
        due_field="annual_rent",
        yields_to_board=True,
    )
)
