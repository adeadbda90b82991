"""开放共享 (科研仪器设备): the instrument joins the sharing scope of a platform; it stays on its unit's ledger as
已盘活. Which instruments qualify (原值 ≥ 20万 for 科研仪器, ≥ 50万 for 科学仪器设备) is data: MethodAvailability
thresholds."""

from assets.models import AttachmentKind, Direction

from .base import DATE, TEXT, ContractTerms, Evidence, Field, Method, Outcome, Tally, register

OPEN_SHARING = register(
    Method(
        code="open_sharing",
        label="开放共享",
        seed="000",  # its sections: 二(六)1-2
        section="二(六)1",
        sentence="推动将符合条件的重大科研基础设施，以及原值20万元及以上科研仪器、50万元及以上科学仪器设备纳入共享范围",
        hint="原值达到共享范围的科研仪器设备接入共享平台，登记平台、开放日期、收费标准和管理责任人。",
        rank=110,
        outcome=Outcome.REVITALIZED,
        tally=Tally.REVITALIZED,
        document="sharing_filing",
        document_title="科研仪器设备开放共享备案表",
        signer_roles=("仪器所属单位",),
        direction=Direction.OPEN_SHARING,
        fields=(
            Field("platform", "共享平台", TEXT, help="如：四川省大型科学仪器设备共享平台"),
            Field("sharing_starts_on", "开放共享日期", DATE),
            Field("fee_standard", "收费标准", TEXT),
            Field("custodian", "管理责任人", TEXT),
        ),
        # Open-ended and earning nothing by itself: its uses are logged on the case (SharingUse).
        contract=ContractTerms(counterparty="platform", starts_on="sharing_starts_on"),
        approved_terms=("platform",),
        evidence=(Evidence("sharing_file", "接入平台证明（附件）", AttachmentKind.OTHER),),
        categories=("research_equipment",),
        records_uses=True,
    )
)
