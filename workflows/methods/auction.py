"""拍卖（公开转让）: on a valid appraisal, at or above the reserve; the proceeds are remitted (收支两条线)."""

from assets.models import AttachmentKind

from .base import Evidence, Field, Method, Outcome, Tally, register

AUCTION = register(
    Method(
        code="auction",
        label="拍卖（公开转让）",
        seed="000",  # its sections: 二(八)3
        section="二(八)3",
        sentence="对仍有使用价值的资产，通过公开出租、公开转让、拍卖等方式盘活，规范处置流程，确保国有资产保值增值。",
        hint="方案须附有效期内的评估报告和不低于评估值的保留价；低于保留价不成交，收入上缴国库。",
        rank=30,
        outcome=Outcome.DISPOSED,
        tally=Tally.DISPOSED,
        document="deal_confirmation",
        document_title="成交确认书",
        signer_roles=("处置单位",),
        fields=(
            Field("appraisal_report_no"),
            Field("appraisal_value"),
            Field("appraisal_date"),
            Field("venue"),
            Field("reserve_price"),
            Field("winning_bid"),
            Field("buyer"),
            Field("deal_on"),
        ),
        approved_terms=("appraisal_report_no", "appraisal_value", "appraisal_date", "reserve_price"),
        evidence=(Evidence("appraisal_file", "评估报告（附件）", AttachmentKind.APPRAISAL_REPORT),),
        due_field="winning_bid",
        public_procedure=True,
        yields_to_board=True,
    )
)
