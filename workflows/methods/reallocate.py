"""调剂: to a unit that applied on the internal board, which confirms receipt; the asset moves to its ledger."""

from assets.models import AttachmentKind, Direction

from .base import Evidence, Field, Method, Outcome, Receiver, Tally, register

REALLOCATE = register(
    Method(
        code="reallocate",
        label="调剂",
        seed="000",  # its sections: 二(八)2
        section="二(八)2",
        sentence="优先调剂至履职需求缺口、经营配套不足的单位，实现资源统筹配置、循环利用。",
        hint="调入单位须在调剂平台公示期内申请；持有单位登记交接，调入单位确认接收。",
        rank=10,
        outcome=Outcome.TRANSFERRED,
        tally=Tally.REVITALIZED,
        document="transfer_order",
        document_title="资产调拨单",
        signer_roles=("调出单位", "调入单位"),
        direction=Direction.REALLOCATE,
        fields=(Field("handover_on"), Field("handover_list")),
        evidence=(Evidence("handover_list_file", "交接清单（附件）", AttachmentKind.HANDOVER_LIST),),
        receiver=Receiver(label="调入单位", from_applicants=True),
    )
)
