"""拍卖（公开转让）: on a valid appraisal, at or above the reserve; the proceeds are remitted (收支两条线)."""

from assets.models import AttachmentKind, Direction
from core.formatting import yuan
from core.policy import cited

from .base import Evidence, Field, Method, Outcome, Tally, condition, policy, register


@condition("保留价不能低于评估值（流拍后降低保留价的，须重新报批）。", reapprovable=True)
def reserve_at_least_appraisal(case) -> bool:
    record = case.execution_or_none()
    if case.method != "auction" or record is None:
        return True
    if record.reserve_price is None or record.appraisal_value is None:
        return False
    # A reserve lowered after 流拍 stands once a re-approval approved that very reserve (case_approve copies the
    # re-approved record's terms onto the plan).
    return record.reserve_price >= record.appraisal_value or (
        case.approved_low_bid is not None and record.reserve_price == case.plan_reserve_price
    )


def _below_reserve_message(case) -> str:
    record = case.execution_or_none()
    figures = ""
    if record is not None and record.reserve_price is not None and record.winning_bid is not None:
        figures = f"（保留价{record.reserve_price:,.2f}元，成交价{record.winning_bid:,.2f}元）"
    return f"成交价低于保留价，不能成交{figures}：低于保留价的竞价不成交（依据{cited('二(八)3')}）。"


# seed 000, 二(八)3: 依法依规处置, 确保国有资产保值增值 — a bid under the reserve is no sale.
@condition(_below_reserve_message, reads=("winning_bid", "reserve_price"))
def bid_at_or_above_reserve(case) -> bool:
    record = case.execution_or_none()
    if case.method != "auction" or record is None:
        return True
    if record.winning_bid is None or record.reserve_price is None:
        return True  # a missing figure is the form's and the record's refusal, not this rule's
    return record.winning_bid >= record.reserve_price


@condition(lambda case: f"成交价低于评估值的{policy().low_bid_floor_percent}%，须重新报批。", reapprovable=True)
def bid_at_or_above_floor(case) -> bool:
    return case.method != "auction" or not case.bid_below_floor()


def reserve_plan_errors(case, terms) -> dict[str, str]:
    value, reserve = terms.get("appraisal_value"), terms.get("reserve_price")
    if value is not None and reserve is not None and reserve < value:
        return {"reserve_price": f"保留价不能低于评估值（{value:,.2f} 元）。"}
    return {}


def floor_notes(case) -> list[str]:
    if not case.plan_appraisal_value:
        return []
    percent = policy().low_bid_floor_percent
    floor = case.plan_appraisal_value * percent / 100
    return [f"成交价低于保留价不能成交；低于评估值的{percent}%（{floor:,.2f} 元）须重新报批。"]


def low_bid_figures(case) -> list[tuple[str, str]]:
    """A sale back for approval: the bid, the appraisal and the floor (评估值 × Policy.low_bid_floor_percent) the
    approvers decide on, for their form and the 审批表 (issue 12 §1.2)."""
    record = case.execution_or_none()
    if record is None or record.winning_bid is None or not record.appraisal_value:
        return []
    percent = policy().low_bid_floor_percent
    return [
        ("成交价", yuan(record.winning_bid)),
        ("评估值", yuan(record.appraisal_value)),
        (f"成交价下限（评估值的{percent}%）", yuan(case.bid_floor())),
    ]


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
        direction=Direction.AUCTION,
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
        conditions=(reserve_at_least_appraisal, bid_at_or_above_reserve, bid_at_or_above_floor),
        plan_checks=(reserve_plan_errors,),
        plan_notes=(floor_notes,),
        reapproval_figures=low_bid_figures,
        evidence=(Evidence("appraisal_file", "评估报告（附件）", AttachmentKind.APPRAISAL_REPORT),),
        due_field="winning_bid",
        appraisal_valid_at="deal_on",  # 拍卖 is itself a 公开 procedure: it needs no Procedure
        yields_to_board=True,
    )
)
