"""出租出借: 公开招租 at or above the 底价, within the term cap; the rent is remitted (收支两条线)."""

from assets.models import AttachmentKind

from .base import Evidence, Field, Method, Outcome, Tally, register

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
        evidence=(Evidence("contract_file", "租赁合同（附件）", AttachmentKind.CONTRACT),),
        due_field="annual_rent",
        public_procedure=True,
        yields_to_board=True,
    )
)
