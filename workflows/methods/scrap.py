"""报废: by the prescribed procedure, an early one only with a technical appraisal; the residual value is remitted."""

from assets.models import AttachmentKind, Direction

from .base import Evidence, Field, Method, Outcome, Tally, condition, field_label, register


@condition("未达最低使用年限报废：须有技术鉴定意见（并上传）和提前报废说明。")
def early_scrap_justified(case) -> bool:
    record = case.execution_or_none()
    if case.method != "scrap" or record is None or not case.scrapped_early():
        return True
    attached = AttachmentKind.TECHNICAL_APPRAISAL in set(case.evidence.values_list("attachment__kind", flat=True))
    return bool(record.technical_appraisal.strip() and record.early_scrap_explanation.strip() and attached)


EARLY_ONLY = "未达最低使用年限报废时必须填写"


def _short_of_life(case) -> str:
    return f"该资产未达最低使用年限（{case.minimum_service_life()}年）"


def early_scrap_plan_errors(case, terms) -> dict[str, str]:
    """An early scrap says why, with a technical appraisal attached, already in the plan."""
    if not case.scrapped_early():
        return {}
    why = f"{_short_of_life(case)}，提前报废"
    errors = {
        name: f"{why}须在方案中写明{field_label('scrap', name)}。"
        for name in SCRAP.plan_prefills
        if not terms.get(name)
    }
    if AttachmentKind.TECHNICAL_APPRAISAL not in set(case.evidence.values_list("attachment__kind", flat=True)):
        errors["technical_file"] = f"{why}须上传技术鉴定意见。"
    return errors


def early_scrap_notes(case) -> list[str]:
    if not case.scrapped_early():
        return []
    return [f"提前报废：{_short_of_life(case)}，方案附技术鉴定意见和提前报废说明。"]


SCRAP = register(
    Method(
        code="scrap",
        label="报废",
        seed="000",  # its sections: 二(八)3
        section="二(八)3",
        sentence="对达到报废标准、无使用价值的资产，严格按规定程序报废处置，规范残值回收管理。",
        hint="未达最低使用年限的须附技术鉴定意见和提前报废说明；残值收入上缴国库。",
        rank=40,
        outcome=Outcome.DISPOSED,
        tally=Tally.DISPOSED,
        document="scrap_form",
        document_title="报废处置单",
        signer_roles=("报废单位",),
        direction=Direction.SCRAP,
        fields=(
            Field("technical_appraisal", required=False, help=EARLY_ONLY),
            Field("early_scrap_explanation", required=False, help=EARLY_ONLY),
            Field("recycler"),
            Field("residual_value"),
        ),
        plan_prefills=("technical_appraisal", "early_scrap_explanation"),
        conditions=(early_scrap_justified,),
        plan_checks=(early_scrap_plan_errors,),
        plan_notes=(early_scrap_notes,),
        evidence=(Evidence("technical_file", "技术鉴定意见（附件）", AttachmentKind.TECHNICAL_APPRAISAL),),
        due_field="residual_value",
    )
)
