"""置换 (资产置换): the asset, appraised, is exchanged for another party's asset, appraised too; the difference is paid
or received (received, it is money due: 收支两条线). The asset leaves the ledger at 销号 and the received asset enters
the holding unit's ledger as a new record."""

from decimal import Decimal

from django.core.exceptions import ValidationError

from assets.models import Asset, AttachmentKind, Direction, UsageStatus
from assets.services import asset_register_received
from assets.uscc import validate_uscc
from core.errors import DomainError
from core.formatting import yuan
from core.text import normalize_code

from .base import (
    AREA,
    DATE,
    LONG_TEXT,
    MONEY,
    TEXT,
    Evidence,
    Field,
    Method,
    Outcome,
    Tally,
    condition,
    policy,
    register,
)

CODE = "exchange"
# The two sides' appraisals are agreed to the cent but a difference is often settled in whole yuan: a gap below this
# is rounding, not a departure from the appraisals.
ROUNDING = Decimal("1")


def _record(case):
    return case.execution_or_none() if case.method == CODE else None


def expected_difference(record) -> Decimal | None:
    """What our side receives (positive) or pays (negative): our appraisal less the received asset's."""
    ours, theirs = record.appraisal_value, record.value("received_value")
    return None if ours is None or theirs is None else ours - theirs


@condition(
    "差价收入和差价支出只能填写其中一项：差价或由对方支付，或由本单位支付。",
    reads=("difference_received", "difference_paid"),
)
def difference_one_way(case) -> bool:
    record = _record(case)
    if record is None:
        return True
    return not (record.value("difference_received") and record.value("difference_paid"))


def _difference_message(case) -> str:
    record = _record(case)
    expected = expected_difference(record) if record is not None else None
    if expected is None:
        return "置换差价应为换出资产与换入资产评估值之差；不一致的须在“差价说明”中写明理由。"
    owed = f"应收差价{yuan(expected)}" if expected > 0 else f"应付差价{yuan(-expected)}" if expected < 0 else "无差价"
    return (
        f"置换差价应为双方评估值之差：换出资产评估值{yuan(record.appraisal_value)}，换入资产评估值"
        f"{yuan(record.value('received_value'))}，{owed}；不一致的须在“差价说明”中写明理由。"
    )


# 置换 on appraisals (条例 738 art. 36): the difference settled is the appraisals' difference, or it says why not.
@condition(_difference_message, reads=("appraisal_value", "received_value"))
def difference_matches_appraisals(case) -> bool:
    record = _record(case)
    if record is None or (expected := expected_difference(record)) is None:
        return True
    settled = (record.value("difference_received") or 0) - (record.value("difference_paid") or 0)
    return abs(settled - expected) < ROUNDING or bool((record.value("difference_note") or "").strip())


@condition(
    lambda case: (
        f"换入资产的评估报告也须有效：评估基准日距置换日期不超过{policy().appraisal_validity_days}天，且不能晚于置换日期。"
    ),
    reads=("received_appraisal_date", "deal_on"),
)
def received_appraisal_valid(case) -> bool:
    # 置换 on appraisals valid one year (条例 738 art. 36), both sides': the shared rule checks ours (appraisal_valid).
    record = _record(case)
    if record is None or record.value("received_appraisal_date") is None or record.deal_on is None:
        return True
    age = (record.deal_on - record.value("received_appraisal_date")).days
    return 0 <= age <= policy().appraisal_validity_days


@condition("置换对方的统一社会信用代码有误：应为18位，并通过校验位校验。", reads=("counterparty_credit_code",))
def counterparty_code_valid(case) -> bool:
    record = _record(case)
    if record is None or not record.value("counterparty_credit_code"):
        return True
    try:
        validate_uscc(record.value("counterparty_credit_code"))
    except ValidationError:
        return False
    return True


def _received_code(record) -> str:
    try:
        return normalize_code(record.value("received_code") or "")
    except ValidationError:
        return ""


@condition(
    lambda case: f"换入资产编号“{(_record(case).value('received_code') or '')[:64]}”已在台账中登记或无效，请另行编号。",
    reads=("received_code",),
)
def received_code_free(case) -> bool:
    record = _record(case)
    if record is None or not record.value("received_code"):
        return True
    code = _received_code(record)
    return bool(code) and not Asset.objects.filter(code=code).exists()


def register_received_asset(*, case, user) -> dict:
    """销号 of a 置换: the received asset enters the holding unit's ledger as a new record, in the category and sub-type
    of the asset it replaces, at its appraised value, acquired on the exchange's date."""
    record, given = case.execution, case.asset
    code = _received_code(record)
    if Asset.objects.filter(code=code).exists():
        # Taken since the execution was recorded (checked then: received_code_free). The record stands; the other row
        # is the one to renumber.
        raise DomainError(
            f"换入资产编号“{code}”已被台账中的其他资产使用，换入资产无法登记入账：请持有单位修改该资产的编号后再销号。"
        )
    value = record.value("received_value")
    received = Asset(
        code=code,
        name=record.value("received_asset"),
        category=given.category,
        subtype=given.subtype,
        holding_unit=case.holding_unit,
        unit_of_measure=given.unit_of_measure,
        area_m2=record.value("received_area"),
        original_value=value,
        net_value=value,
        acquired_on=record.deal_on,
        address=record.value("received_location"),
        usage_status=UsageStatus.NORMAL,
        remarks=f"由{given.code}{given.name}与{record.value('counterparty')}置换取得。",
    )
    source = f"置换：换出{given.code}{given.name}"
    received = asset_register_received(user=user, asset=received, source=source)
    return {"received_asset": received.code}


EXCHANGE = register(
    Method(
        code=CODE,
        label="置换",
        direction=Direction.EXCHANGE,
        seed="000",  # its sections: 二(一)2; seed 004 (三是…通过招商引资、进场交易和资产置换等多种措施)
        section="二(一)2",
        sentence="鼓励采取延长动工期限、安排临时使用、置换、协议有偿收回等措施依法盘活",
        hint="双方资产均须一年内有效的评估；差价按评估值之差收付（否则写明理由），差价收入上缴国库；换入资产销号时登记入账。",
        rank=85,
        outcome=Outcome.DISPOSED,
        tally=Tally.DISPOSED,
        document="exchange_filing",
        document_title="资产置换确认书",
        signer_roles=("置换单位",),
        fields=(
            Field("counterparty", "置换对方", TEXT),
            Field("counterparty_credit_code", "置换对方统一社会信用代码", TEXT),
            Field("appraisal_report_no"),
            Field("appraisal_value"),
            Field("appraisal_date"),
            Field("received_asset", "换入资产名称", TEXT),
            Field("received_location", "换入资产位置", TEXT),
            Field("received_area", "换入资产面积（㎡）", AREA),
            Field("received_appraisal_no", "换入资产评估报告编号", TEXT),
            Field("received_value", "换入资产评估值（元）", MONEY),
            Field("received_appraisal_date", "换入资产评估基准日", DATE),
            Field("received_code", "换入资产编号", TEXT, help="换入资产在本单位台账中的资产编号，销号时登记入账"),
            Field("difference_received", "差价收入（元）", MONEY, required=False, help="对方支付给本单位的差价"),
            Field("difference_paid", "差价支出（元）", MONEY, required=False, help="本单位支付给对方的差价"),
            Field("difference_note", "差价说明", LONG_TEXT, required=False, help="与双方评估值之差不一致的写明理由"),
            Field("deal_on", "置换日期"),
        ),
        approved_terms=(
            "appraisal_report_no",
            "appraisal_value",
            "appraisal_date",
            "counterparty",
            "received_asset",
            "received_value",
        ),
        evidence=(
            Evidence("appraisal_file", "评估报告（附件）", AttachmentKind.APPRAISAL_REPORT),
            Evidence("agreement_file", "置换协议（附件）", AttachmentKind.CONTRACT),
        ),
        categories=("land", "building"),
        due_field="difference_received",
        conditions=(
            difference_one_way,
            difference_matches_appraisals,
            received_appraisal_valid,
            counterparty_code_valid,
            received_code_free,
        ),
        appraisal_valid_at="deal_on",
        yields_to_board=True,
        on_close=register_received_asset,
    )
)
