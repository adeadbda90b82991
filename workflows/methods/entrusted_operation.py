"""委托运营 (合作运营, 委托经营, 公建民营): an operator, selected by 公开遴选 unless justified, runs the asset under a
contract; it stays on the unit's ledger as 已盘活 while the contract runs, and the fee is remitted (收支两条线)."""

from assets.models import AttachmentKind, Direction

from .base import (
    DATE,
    MONEY,
    PERCENT,
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

# 公开遴选 unless justified (seed 000 二(三)2; 二(八)3).
SELECTION = Procedure("selection", public=("公开遴选", "公开招标"), other=("直接委托", "续约"))


def _record(case):
    return case.execution_or_none()


@condition("委托运营期限止须晚于期限起。")
def operation_term_valid(case) -> bool:
    record = _record(case)
    if case.method != "entrusted_ops" or record is None:
        return True
    starts, ends = record.value("ops_starts_on"), record.value("ops_ends_on")
    return starts is None or ends is None or ends > starts


@condition("委托运营须约定年运营费或收益分成比例（至少一项）。")
def operation_pays(case) -> bool:
    record = _record(case)
    if case.method != "entrusted_ops" or record is None:
        return True
    return record.value("annual_fee") is not None or record.value("revenue_share") is not None


ENTRUSTED_OPERATION = register(
    Method(
        code="entrusted_ops",
        label="委托运营",
        seed="000",  # its sections: 二(三)2, 二(四)2, 二(五)1, 二(七)
        section="二(三)2",
        sentence="支持县属国有企业与专业机构合作，采取整体出租、委托运营、市场化招商等方式盘活闲置房屋资产。",
        hint="运营方经公开遴选产生（否则写明理由）；约定期限、运营费或收益分成，资产在运营期内为已盘活。",
        rank=60,
        outcome=Outcome.REVITALIZED,
        tally=Tally.REVITALIZED,
        document="operation_filing",
        document_title="委托运营备案表",
        signer_roles=("委托单位",),
        direction=Direction.OPERATE,
        fields=(
            Field("operator", "运营方", TEXT),
            Field("selection", "遴选方式", TEXT, choices=SELECTION.choices, help="未公开遴选的，须写明理由"),
            Field("ops_starts_on", "运营期限起", DATE),
            Field("ops_ends_on", "运营期限止", DATE),
            Field("annual_fee", "年运营费（元）", MONEY, required=False),
            Field("revenue_share", "收益分成比例（%）", PERCENT, required=False),
            Field("contract_no"),
            *contract_fields(cycle=True),
            procedure_reason_field(),
        ),
        contract=ContractTerms(
            counterparty="operator",
            starts_on="ops_starts_on",
            ends_on="ops_ends_on",
            annual="annual_fee",
            contract_no="contract_no",
        ),
        approved_terms=("selection", "ops_starts_on", "ops_ends_on"),
        plan_prefills=(PROCEDURE_REASON,),
        procedure=SELECTION,
        evidence=(Evidence("contract_file", "委托运营合同（附件）", AttachmentKind.CONTRACT),),
        categories=("building", "rural", "infrastructure", "public_welfare"),
        due_field="annual_fee",
        conditions=(operation_term_valid, operation_pays),
        yields_to_board=True,
    )
)
