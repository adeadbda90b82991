"""作价入股 (对外投资): the asset, appraised, becomes the unit's share in an enterprise. It leaves the ledger at 销号;
the equity (enterprise, share, value) stays on the case's record."""

from django.core.exceptions import ValidationError

from assets.models import AttachmentKind, Direction, OrganizationKind
from assets.uscc import validate_uscc
from core.policy import cited

from .base import MONEY, PERCENT, TEXT, Evidence, Field, Method, Outcome, Tally, condition, register

REGULATION = "《行政事业性国有资产管理条例》"
# 行政单位 may not invest state assets; 事业单位 may, on an appraisal (条例 738 art. 36), and so may 县属国有企业.
MAY_INVEST = (OrganizationKind.INSTITUTION, OrganizationKind.STATE_ENTERPRISE)


@condition(f"行政单位不得以国有资产对外投资，作价入股仅限事业单位和县属国有企业（依据{REGULATION}）。")
def investor_may_invest(case) -> bool:
    if case.method != "equity_invest":
        return True
    return case.holding_unit.kind in MAY_INVEST


@condition(lambda case: f"入股作价不能低于评估值（依据{REGULATION}、{cited('三(三)')}）。")
def invested_at_appraisal(case) -> bool:
    record = case.execution_or_none()
    if case.method != "equity_invest" or record is None:
        return True
    value, appraised = record.value("equity_value"), record.appraisal_value
    return value is None or appraised is None or value >= appraised


@condition("被投资企业的统一社会信用代码有误：应为18位，并通过校验位校验。")
def investee_code_valid(case) -> bool:
    record = case.execution_or_none()
    if case.method != "equity_invest" or record is None or not record.value("investee_credit_code"):
        return True
    try:
        validate_uscc(record.value("investee_credit_code"))
    except ValidationError:
        return False
    return True


EQUITY_INVESTMENT = register(
    Method(
        code="equity_invest",
        label="作价入股",
        seed="000",  # its sections: 三(三), 二(四)2
        section="三(三)",
        sentence="依法依规通过内部调剂、划转、作价入股等方式，推动资产资源有序流动与优化配置。",
        hint="仅事业单位和县属国有企业可作价入股；须附一年内有效的评估报告，作价不低于评估值，资产销号后登记股权。",
        rank=80,
        outcome=Outcome.DISPOSED,
        tally=Tally.DISPOSED,
        document="investment_filing",
        document_title="资产作价入股备案表",
        signer_roles=("出资单位",),
        direction=Direction.EQUITY,
        fields=(
            Field("appraisal_report_no"),
            Field("appraisal_value"),
            Field("appraisal_date"),
            Field("investee", "被投资企业", TEXT),
            Field("investee_credit_code", "被投资企业统一社会信用代码", TEXT),
            Field("equity_value", "入股作价（元）", MONEY),
            Field("share_percent", "持股比例（%）", PERCENT),
            Field("deal_on"),
        ),
        approved_terms=("appraisal_report_no", "appraisal_value", "appraisal_date", "investee"),
        evidence=(Evidence("appraisal_file", "评估报告（附件）", AttachmentKind.APPRAISAL_REPORT),),
        categories=("land", "building", "rural", "infrastructure"),
        conditions=(invested_at_appraisal, investee_code_valid),
        plan_conditions=(investor_may_invest,),
        appraisal_valid_at="deal_on",
        yields_to_board=True,
    )
)
