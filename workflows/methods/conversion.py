"""功能转型 (改变用途): e.g. 闲置校舍 → 社区助餐, 商品房 → 保障性租赁住房、人才公寓. The works are done and
accepted (验收); the asset returns to use with its new use and, where the use changes it, its new sub-type."""

from django.utils import timezone

from assets.models import AttachmentKind, CategorySubtype, Direction
from assets.services import asset_convert

from .base import DATE, LONG_TEXT, MONEY, TEXT, Evidence, Field, Method, Outcome, Tally, condition, register


@condition("验收日期不能晚于今天：功能转型须验收后登记。")
def conversion_accepted(case) -> bool:
    record = case.execution_or_none()
    if case.method != "conversion" or record is None:
        return True
    accepted = record.value("accepted_on")
    return accepted is None or accepted <= timezone.localdate()


def subtype_names(case) -> tuple[str, ...]:
    """The sub-types the asset may take on: its category's, but the one it has."""
    asset = case.asset
    rows = CategorySubtype.objects.filter(category_id=asset.category_id).exclude(pk=asset.subtype_id)
    return tuple(rows.order_by("code").values_list("name", flat=True))


def _subtype_message(case) -> str:
    options = "、".join(subtype_names(case)) or "本类别无其他子类，请留空"
    return f"转型后子类须为“{case.asset.category.name}”的子类：{options}。"


@condition(_subtype_message, reads=("new_subtype",))
def new_subtype_of_category(case) -> bool:
    record = case.execution_or_none()
    if case.method != "conversion" or record is None or not record.value("new_subtype"):
        return True
    return record.value("new_subtype") in subtype_names(case)


def convert(*, case, user) -> dict:
    """销号 of a 功能转型: the ledger row says its new use (备注) and, where the new use changes its sub-type (e.g.
    闲置校舍 → 养老机构), takes the new one, and with it the sub-type's lead department for any later case."""
    name = case.execution.value("new_subtype")
    subtype = CategorySubtype.objects.get(category_id=case.asset.category_id, name=name) if name else None
    new_use = case.execution.value("new_use")
    asset_convert(user=user, asset=case.asset, new_use=new_use, subtype=subtype, source=f"经事项#{case.pk}功能转型")
    return {"new_use": new_use, **({"new_subtype": subtype.name} if subtype else {})}


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
            Field(
                "new_subtype",
                "转型后子类",
                TEXT,
                required=False,
                options=subtype_names,
                help="用途改变后资产子类随之改变的选择新子类（销号时台账随之变更）；不变的留空",
            ),
            Field("works", "改造内容", LONG_TEXT),
            Field("works_cost", "改造费用（元）", MONEY),
            Field("accepted_on", "验收日期", DATE),
            Field("acceptance_record", "验收意见", LONG_TEXT),
        ),
        approved_terms=("new_use",),
        evidence=(Evidence("acceptance_file", "验收记录（附件）", AttachmentKind.ACCEPTANCE_RECORD),),
        categories=("building", "public_welfare"),
        conditions=(conversion_accepted, new_subtype_of_category),
        on_close=convert,
    )
)
