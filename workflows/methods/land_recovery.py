"""协议有偿收回 / 政府收储 (land): the parcel goes, against compensation and by agreement, to the reserve body, which
confirms receipt; it moves to the reserve body's ledger at 销号."""

from assets.models import AttachmentKind, Direction

from .base import MONEY, TEXT, Evidence, Field, Method, Outcome, Receiver, Tally, register

LAND_RECOVERY = register(
    Method(
        code="land_recovery",
        label="协议有偿收回（政府收储）",
        seed="000",  # its sections: 二(一)2
        section="二(一)2",
        sentence="鼓励采取延长动工期限、安排临时使用、置换、协议有偿收回等措施依法盘活",
        hint="方案指定收储单位并写明收回协议；持有单位登记补偿和交接，收储单位确认接收，土地转入其台账。",
        rank=90,
        outcome=Outcome.TRANSFERRED,
        tally=Tally.DISPOSED,
        document="land_recovery",
        document_title="土地收回（收储）确认书",
        signer_roles=("原用地单位", "收储单位"),
        direction=Direction.LAND_RECOVERY,
        fields=(
            Field("agreement_no", "收回协议编号", TEXT),
            Field("compensation", "补偿金额（元）", MONEY),
            Field("handover_on"),
            Field("handover_list"),
        ),
        approved_terms=("agreement_no", "compensation"),
        evidence=(Evidence("agreement_file", "收回协议（附件）", AttachmentKind.CONTRACT),),
        categories=("land",),
        receiver=Receiver(label="收储单位", from_applicants=False),
    )
)
