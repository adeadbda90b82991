"""延长动工期限 and 安排临时使用 (land, seed 000 二(一)2): two measures that keep the parcel on its unit's ledger, each
with a date the county follows it up on (the new start of works; the end of the temporary use). Two declarations, not
one: each records different facts and prints its own document, and neither's fields are optional for the other."""

from django.utils import timezone

from assets.models import AttachmentKind, Direction

from .base import (
    DATE,
    LONG_TEXT,
    MONEY,
    TEXT,
    ContractTerms,
    Evidence,
    Field,
    Method,
    Outcome,
    Tally,
    condition,
    contract_fields,
    register,
)

SEED_SENTENCE = "鼓励采取延长动工期限、安排临时使用、置换、协议有偿收回等措施依法盘活"


@condition("新的动工期限须晚于原约定动工日期。", reads=("agreed_start_on", "new_start_on"))
def extension_later(case) -> bool:
    record = case.execution_or_none()
    if case.method != "extend_start" or record is None:
        return True
    agreed, new = record.value("agreed_start_on"), record.value("new_start_on")
    return agreed is None or new is None or new > agreed


@condition("新的动工期限不能早于今天：延期须在新期限到来前登记。", reads=("new_start_on",))
def extension_ahead(case) -> bool:
    record = case.execution_or_none()
    if case.method != "extend_start" or record is None or record.value("new_start_on") is None:
        return True
    return record.value("new_start_on") >= timezone.localdate()


@condition("临时使用期限止须晚于期限起，且不能早于今天。", reads=("temporary_starts_on", "temporary_ends_on"))
def temporary_term_valid(case) -> bool:
    record = case.execution_or_none()
    if case.method != "temporary_use" or record is None:
        return True
    starts, ends = record.value("temporary_starts_on"), record.value("temporary_ends_on")
    return starts is None or ends is None or (ends > starts and ends >= timezone.localdate())


EXTEND_START = register(
    Method(
        code="extend_start",
        label="延长动工期限",
        direction=Direction.EXTEND_START,
        seed="000",  # its sections: 二(一)2
        section="二(一)2",
        sentence=SEED_SENTENCE,
        hint="登记原约定和新的动工期限、延期批准文号；土地仍在本单位台账，新期限届满未动工的列入监督预警。",
        rank=92,
        outcome=Outcome.REVITALIZED,
        tally=Tally.REVITALIZED,
        document="start_extension",
        document_title="土地延长动工期限备案表",
        signer_roles=("用地单位",),
        fields=(
            Field("land_user", "土地使用权人", TEXT),
            Field("agreed_start_on", "原约定动工日期", DATE),
            Field("new_start_on", "新的动工期限", DATE, help="届满仍未动工的，监督页面列入“跟进日期已过”预警"),
            Field("extension_approval_no", "延期批准文号", TEXT),
            Field("extension_reason", "延期原因", LONG_TEXT),
        ),
        approved_terms=("new_start_on",),
        evidence=(Evidence("approval_file", "延期批准文件（附件）", AttachmentKind.APPROVAL_DOCUMENT),),
        categories=("land",),
        conditions=(extension_later, extension_ahead),
        follow_up_field="new_start_on",
    )
)

TEMPORARY_USE = register(
    Method(
        code="temporary_use",
        label="安排临时使用",
        direction=Direction.TEMPORARY_USE,
        seed="000",  # its sections: 二(一)2
        section="二(一)2",
        sentence=SEED_SENTENCE,
        hint="登记临时使用人、用途、期限和协议；有使用费的上缴国库；期限届满未另行盘活的列入监督预警。",
        rank=94,
        outcome=Outcome.REVITALIZED,
        tally=Tally.REVITALIZED,
        document="temporary_use_filing",
        document_title="土地临时使用备案表",
        signer_roles=("用地单位",),
        fields=(
            Field("temporary_user", "临时使用人", TEXT),
            Field("temporary_purpose", "临时用途", TEXT, help="如：临时停车场、农贸集市、施工临时用地"),
            Field("temporary_starts_on", "临时使用期限起", DATE),
            Field("temporary_ends_on", "临时使用期限止", DATE, help="届满后监督页面列入“跟进日期已过”预警，须另行盘活"),
            Field("temporary_fee", "临时使用费（元）", MONEY, required=False, help="无偿临时使用的留空"),
            Field("contract_no", "临时使用协议编号"),
            *contract_fields(cycle=False),
        ),
        contract=ContractTerms(
            counterparty="temporary_user",
            starts_on="temporary_starts_on",
            ends_on="temporary_ends_on",
            one_off="temporary_fee",
            contract_no="contract_no",
        ),
        approved_terms=("temporary_user", "temporary_starts_on", "temporary_ends_on"),
        evidence=(Evidence("contract_file", "临时使用协议（附件）", AttachmentKind.CONTRACT),),
        categories=("land",),
        due_field="temporary_fee",
        conditions=(temporary_term_valid,),
        follow_up_field="temporary_ends_on",
    )
)
