"""功能转型 (改变用途): e.g. 闲置校舍 → 社区助餐, 商品房 → 保障性租赁住房、人才公寓. The works are done and
accepted (验收); the asset returns to use with its new use."""

from django.utils import timezone

from assets.models import AttachmentKind, Direction

from .base import DATE, LONG_TEXT, MONEY, TEXT, Evidence, Field, Method, Outcome, Tally, condition, register


@condition("验收日期不能晚于今天：功能转型须验收后登记。")
def conversion_accepted(case) -> bool:
    record = case.execution_or_none()
    if case.method != "conversion" or record is None:
        return True
    accepted = record.value("accepted_on")
    return accepted is None or accepted <= timezone.localdate()


CONVERSION = register(
    Method(
        code="conversion",
        label="功能转型",
        seed="000",  # its sections: 二(三)1, 二(七)1-2
        section="二(七)1",
        sentence="立足“盘活补缺”，结合民生需求对闲置资产实施微改造、轻量化功能转型。",
        hint="方案写明新用途；改造完成并验收后登记改造内容、费用和验收记录，资产按新用途恢复在用。",
        rank=70,
        outcome=Outcome.NEW_USE,
        tally=Tally.REVITALIZED,
        document="conversion_filing",
        document_title="功能转型验收备案表",
        signer_roles=("实施单位",),
        direction=Direction.REPURPOSE,
        fields=(
            Field("new_use", "新用途", TEXT, help="如：社区助餐点、保障性租赁住房、人才公寓"),
            Field("works", "改造内容", LONG_TEXT),
            Field("works_cost", "改造费用（元）", MONEY),
            Field("accepted_on", "验收日期", DATE),
            Field("acceptance_record", "验收意见", LONG_TEXT),
        ),
        approved_terms=("new_use",),
        evidence=(Evidence("acceptance_file", "验收记录（附件）", AttachmentKind.ACCEPTANCE_RECORD),),
        categories=("building", "public_welfare"),
        conditions=(conversion_accepted,),
    )
)
