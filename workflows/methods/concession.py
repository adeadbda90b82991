"""特许经营 / 经营权转让 (infrastructure, scenic areas): a concession holder chosen by a 公开 procedure runs the asset
for a term against a fee, remitted (收支两条线); the asset stays on the unit's ledger as 已盘活."""

from assets.models import AttachmentKind, Direction

from .base import (
    DATE,
    MONEY,
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
    procedure_reason_field,
    register,
)


@condition("特许经营期限止须晚于期限起。")
def concession_term_valid(case) -> bool:
    record = case.execution_or_none()
    if case.method != "concession" or record is None:
        return True
    starts, ends = record.value("concession_starts_on"), record.value("concession_ends_on")
    return starts is None or ends is None or ends > starts


# A concession holder is chosen by a 公开 procedure unless justified (seed 000 二(五)1; 二(八)3).
CHOICE = Procedure("procedure", public=("公开招标", "公开竞争性谈判"), other=("直接协商",))


CONCESSION = register(
    Method(
        code="concession",
        label="特许经营",
        seed="000",  # its sections: 二(五)1
        section="二(五)1",
        sentence="鼓励通过整体出租、合作运营、特许经营等方式引入优质市场主体",
        hint="特许经营者经公开程序选定（否则写明理由）；约定经营期限和特许经营费，费用上缴国库。",
        rank=100,
        outcome=Outcome.REVITALIZED,
        tally=Tally.REVITALIZED,
        document="concession_filing",
        document_title="特许经营备案表",
        signer_roles=("授权单位",),
        direction=Direction.CONCESSION,
        fields=(
            Field("concessionaire", "特许经营者", TEXT),
            Field("procedure", "选定方式", TEXT, choices=CHOICE.choices, help="未经公开程序选定的，须写明理由"),
            Field("concession_starts_on", "经营期限起", DATE),
            Field("concession_ends_on", "经营期限止", DATE),
            Field("concession_fee", "特许经营费（元）", MONEY),
            Field("contract_no"),
            *contract_fields(cycle=False),
            procedure_reason_field(),
        ),
        # The fee is the whole term's, paid once (its due at execution is the fee itself).
        contract=ContractTerms(
            counterparty="concessionaire",
            starts_on="concession_starts_on",
            ends_on="concession_ends_on",
            one_off="concession_fee",
            contract_no="contract_no",
        ),
        approved_terms=("procedure", "concession_starts_on", "concession_ends_on"),
        plan_prefills=(PROCEDURE_REASON,),
        evidence=(Evidence("contract_file", "特许经营协议（附件）", AttachmentKind.CONTRACT),),
        categories=("infrastructure",),
        due_field="concession_fee",
        conditions=(concession_term_valid,),
        procedure=CHOICE,
        yields_to_board=True,
    )
)
