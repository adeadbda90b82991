"""出租出借: 公开招租 at or above the 底价, within the term cap; the rent is remitted (收支两条线)."""

from dateutil.relativedelta import relativedelta

from assets.models import AttachmentKind, Direction

from .base import Evidence, Field, Method, Outcome, Tally, condition, policy, register


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
            Field("tender_result"),
            Field("lessee"),
            Field("lease_starts_on"),
            Field("lease_ends_on"),
            Field("annual_rent"),
            Field("deposit", required=False),
            Field("contract_no"),
        ),
        approved_terms=("reserve_rent", "lease_starts_on", "lease_ends_on"),
        conditions=(lease_within_term_cap, rent_at_least_reserve),
        evidence=(Evidence("contract_file", "租赁合同（附件）", AttachmentKind.CONTRACT),),
        due_field="annual_rent",
        public_procedure=True,
        yields_to_board=True,
    )
)
