"""无偿划转: a directed transfer to a named unit (统筹划转, 移交属地政府, 跨级次), without the 调剂 board. Both units
sign the 资产划转通知书 and the asset moves to the receiving unit's ledger at 销号."""

from assets.models import AttachmentKind, Direction

from .base import TEXT, Evidence, Field, Method, Outcome, Receiver, Tally, register

FREE_TRANSFER = register(
    Method(
        code="free_transfer",
        label="无偿划转",
        seed="000",  # its sections: 二(七)2, 三(三)
        section="二(七)2、三(三)",
        sentence="通过功能转型、调剂共享、统筹划转（移交属地政府）、报废处置等方式推进盘活；依法依规通过内部调剂、划转、"
        "作价入股等方式，推动资产资源有序流动与优化配置。",
        hint="方案直接指定划入单位并写明划转依据；持有单位登记交接，划入单位确认接收，资产转入其台账。",
        rank=50,
        outcome=Outcome.TRANSFERRED,
        tally=Tally.DISPOSED,
        document="allocation_notice",
        document_title="资产划转通知书",
        signer_roles=("划出单位", "划入单位"),
        direction=Direction.FREE_TRANSFER,
        fields=(
            Field("transfer_basis", "划转依据（批复文号）", TEXT),
            Field("handover_on"),
            Field("handover_list"),
        ),
        approved_terms=("transfer_basis",),
        evidence=(
            Evidence("approval_file", "划转批复文件（附件）", AttachmentKind.APPROVAL_DOCUMENT),
            Evidence("handover_list_file", "交接清单（附件）", AttachmentKind.HANDOVER_LIST),
        ),
        receiver=Receiver(label="划入单位", from_applicants=False),
        yields_to_board=True,
    )
)
