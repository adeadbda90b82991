"""The step documents fit their page: cases walked through the services with the long names and the notes users
really write give one A4 page each, footer and body together; notes at the forms' limits flow on, and every page they
open carries the form's content, never the footer alone."""

import copy
import datetime
import re
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from assets.models import AttachmentKind, OrganizationKind, Role
from documents.kinds import KIND_TITLES, STEP_KIND_TITLES
from documents.models import Document
from documents.render import render_document
from workflows.services import (
    PLAN_TERM_FIELDS,
    case_close,
    case_confirm_remittance,
    case_finance_approve,
    case_propose,
    case_record_execution,
    case_report,
    case_review,
    case_start_execution,
    case_submit,
    case_verify,
)

from ..cases import TWO_YEARS_AGO, as_, attach, auction_record, issue_all, lease_record, proceeds, window_ago
from ..clock import TODAY
from ..factories import OrganizationFactory, UserFactory
from ..ledgers import BUILDING, import_ledger, ledger_row, upload_evidence
from .test_render import ISSUED_AT, arguments, sample_context

pytestmark = pytest.mark.django_db

# A unit's full name as long as a signing certificate's organization name allows (64 bytes of UTF-8).
UNIT = "阿坝州茂县凤仪镇九年一贯制学校初中部"
STATEMENT = (
    "该楼为原初中部教师周转宿舍，砖混结构四层，2023年学校整体搬迁至新校区、教师迁入新建周转房后停止使用至今。"
    "现状屋面局部渗漏，水电设施完好，学校已无后续使用计划，经校务会研究，同意申报认定为闲置资产并盘活利用。"
)
# What each step's person typically writes: a sentence or two, the verifier and the approvers a little more.
NOTES = {
    "submit": "情况属实，同意申报，请县住建局核查认定。",
    "verify": "经现场核查，该楼自2023年起停止使用，房屋结构安全，权属清晰，无抵押查封，认定为闲置资产，建议盘活利用。",
    "review": "方案符合县闲置资产盘活有关规定，同意按方案公开处置，请县财政局审批。",
    "approve": "同意按方案处置，须通过县公共资源交易中心公开进行，收入全额上缴国库，实行收支两条线管理。",
    "start": "已委托县公共资源交易中心发布公告。",
    "record": "已签订合同并完成移交，相关材料已上传。",
    "confirm": "已核对非税收入缴款书，款项已全额入库。",
    "close": "资料齐全，同意销号。",
}
PLANS = {
    "lease": "通过县公共资源交易中心公开招租，以评估租金为底价，租期三年，租金收入全额上缴国库，承租方不得转租。",
    "auction": "委托县公共资源交易中心公开拍卖，以评估值为保留价，成交价低于评估值90%的重新报批，收入全额上缴国库。",
    "scrap": "按报废程序交有资质的再生资源回收单位拆解处置，残值收入全额上缴国库，硬盘等存储介质先行物理销毁。",
}
JUSTIFICATION = "调剂公示期满无单位申请调剂；该楼维护费用逐年增加，继续闲置将加速老化，公开处置可发挥其使用价值。"


@pytest.fixture
def unit(education_bureau):
    return OrganizationFactory(
        name=UNIT, short_name="茂凤九", kind=OrganizationKind.INSTITUTION, supervising_department=education_bureau
    )


@pytest.fixture
def clerk(unit):
    return UserFactory(username="ouyang", full_name="欧阳晓红", organization=unit, roles=[Role.UNIT_CLERK])


@pytest.fixture
def head(unit):
    return UserFactory(username="sima", full_name="司马建国", organization=unit, roles=[Role.UNIT_HEAD])


def long_building(clerk, code="MX-FJ-FW-2006-000123"):
    [asset] = import_ledger(clerk, ledger_row(
        资产编号=code, 资产名称="原茂县第一中学初中部教师周转宿舍楼（含附属锅炉房、自行车棚及围墙）",
        资产类别=BUILDING, 资产子类="经营性用房", 计量单位="栋",
        **{"面积（㎡）": 1860.55, "原值（元）": 13600000.55, "净值（元）": 12100000.35},
        取得日期=datetime.date(2006, 9, 1),
        资产位置="阿坝藏族羌族自治州茂县凤仪镇南街128号原县第一中学老校区内东侧第三栋",
        使用状况="闲置", 停用日期=TWO_YEARS_AGO, 闲置原因="教师搬入新周转房后闲置",
    ))  # fmt: skip
    upload_evidence(clerk, asset, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    return asset


def young_computer(clerk):
    """Three years old: scrapping it is early, so the form prints the technical appraisal and the explanation."""
    [asset] = import_ledger(clerk, ledger_row(
        资产编号="MX-FJ-SB-2023-004567", 资产名称="图形工作站（含27英寸显示器、不间断电源及随机软件）",
        取得日期=TODAY - datetime.timedelta(days=3 * 365),
        资产位置="阿坝藏族羌族自治州茂县凤仪镇南街128号综合楼三楼计算机教室",
        使用状况="闲置", 停用日期=TWO_YEARS_AGO, 闲置原因="雷击损坏后停用",
    ))  # fmt: skip
    upload_evidence(clerk, asset, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    return asset


def walk(asset, method, *, clerk, head, reviewer, finance, confirmer, record, money, evidence=()) -> list[Document]:
    """The case from 申报 to 销号, each step by its person with the notes people write; its issued documents."""
    with window_ago():
        case = case_report(actor=as_(clerk), asset=asset, basis="idle", statement=STATEMENT)
        case = case_submit(actor=as_(head), case=case, opinion=NOTES["submit"])
        case = case_verify(actor=as_(reviewer), case=case, opinion=NOTES["verify"])
    minutes = attach(asset, AttachmentKind.MEETING_MINUTES, name="校务会议纪要（2026年第9次）.pdf")
    # The plan carries the key terms the execution then keeps (拍卖's appraisal and reserve, 出租's 底价 and term, an
    # early 报废's appraisal with its file), so no term changes at execution.
    terms = {name: value for name, value in record.items() if name in PLAN_TERM_FIELDS}
    early_scrap_files = list(evidence) if method == "scrap" else []
    case = case_propose(actor=as_(clerk), case=case, method=method, summary=PLANS[method], justification=JUSTIFICATION,
                        minutes=[minutes, *early_scrap_files], terms=terms)  # fmt: skip
    case = case_review(actor=as_(reviewer), case=case, approve=True, opinion=NOTES["review"])
    if case.needs_finance:
        case = case_finance_approve(actor=as_(finance), case=case, approve=True, opinion=NOTES["approve"])
    case = case_start_execution(actor=as_(clerk), case=case, note=NOTES["start"])
    case = case_record_execution(actor=as_(clerk), case=case, record=record, proceeds=money, evidence=list(evidence),
                                 note=NOTES["record"])  # fmt: skip
    case = case_confirm_remittance(actor=as_(confirmer), case=case, note=NOTES["confirm"])
    case = case_close(actor=as_(finance), case=case, note=NOTES["close"])
    return issue_all(case)


def pdf_of(document: Document) -> bytes:
    with document.file.open("rb") as f:
        return f.read()


def pages_of(pdf: bytes) -> list[str]:
    """The text of each page, whitespace removed (pdftotext separates pages with a form feed)."""
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [re.sub(r"\s+", "", page) for page in text.split("\f")[:-1]]


def lines_of(pdf: bytes) -> list[str]:
    """The lines of the PDF as laid out (pdftotext -layout), whitespace removed: a table row's cells on one line."""
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return [re.sub(r"\s+", "", line) for line in text.decode().splitlines() if line.strip()]


def assert_one_page_with_its_footer(document: Document, *body: str):
    pages = pages_of(pdf_of(document))
    assert len(pages) == 1, f"{document.kind}: {len(pages)} pages"
    (page,) = pages
    for text in ("第1页共1页", "核验地址", document.content_sha256, document.number, *body):
        assert re.sub(r"\s+", "", text) in page, f"{document.kind}: {text!r} is not on the page"


def by_kind(documents) -> dict[str, Document]:
    return {d.kind: d for d in documents}


@pytest.fixture
def lease_documents(unit, clerk, head, hugo, fiona, fred):
    record = lease_record(
        tender_result="经县公共资源交易中心公开招租，公告期20个工作日，共3家单位报名，经竞价阿坝州茂县羌韵餐饮文化"
        "旅游开发有限责任公司以最高报价竞得，结果已公示5个工作日无异议。",
        lessee="阿坝州茂县羌韵餐饮文化旅游开发有限责任公司",
        contract_no="茂凤九租〔2026〕第0003号",
    )
    return by_kind(walk(long_building(clerk), "lease", clerk=clerk, head=head, reviewer=hugo, finance=fiona,
                        confirmer=fred, record=record, money=proceeds()))  # fmt: skip


def test_a_lease_filing_with_long_names_and_real_notes_is_one_page(lease_documents):
    document = lease_documents["lease_filing"]
    assert_one_page_with_its_footer(
        document,
        UNIT,
        "阿坝州茂县羌韵餐饮文化旅游开发有限责任公司",
        NOTES["record"],
        "出租单位：",
        "原茂县第一中学初中部",
    )


def test_the_closure_of_a_lease_is_one_page(lease_documents):
    assert_one_page_with_its_footer(lease_documents["closure"], UNIT, NOTES["close"], NOTES["confirm"], "销号单位：")


def test_a_deal_confirmation_is_one_page(unit, clerk, head, hugo, fiona, fred):
    asset = long_building(clerk)
    appraisal = attach(asset, AttachmentKind.APPRAISAL_REPORT, name="资产评估报告（川华评报字〔2026〕第0312号）.pdf")
    record = auction_record(
        buyer="阿坝州岷江实业投资开发集团有限责任公司", venue="阿坝州公共资源交易中心茂县分中心",
        appraisal_value=Decimal("13000000"), reserve_price=Decimal("13000000"), winning_bid=Decimal("13605000.50"),
    )  # fmt: skip
    money = proceeds("13605000.50", remitted="13605000.50")
    documents = walk(asset, "auction", clerk=clerk, head=head, reviewer=hugo, finance=fiona, confirmer=fred,
                     record=record, money=money, evidence=[appraisal])  # fmt: skip
    assert_one_page_with_its_footer(
        by_kind(documents)["deal_confirmation"], "阿坝州岷江实业投资开发集团有限责任公司", "壹仟叁佰陆拾万伍仟元伍角整"
    )


def test_an_early_scrap_form_is_one_page(unit, clerk, head, rita, fiona, fred):
    asset = young_computer(clerk)
    appraisal = attach(asset, AttachmentKind.TECHNICAL_APPRAISAL, name="技术鉴定意见书.pdf")
    record = {
        "technical_appraisal": "经县信息中心技术鉴定：主板及电源模块因雷击烧毁，显卡显存损坏，维修费用超过重置价格的"
        "60%，已无维修价值，达到报废条件。",
        "early_scrap_explanation": "2025年7月雷击导致设备损坏，未达最低使用年限，经技术鉴定无修复价值，申请提前报废。",
        "recycler": "阿坝州茂县再生资源回收利用有限责任公司",
        "residual_value": Decimal("200"),
    }
    documents = walk(asset, "scrap", clerk=clerk, head=head, reviewer=rita, finance=fiona, confirmer=fred,
                     record=record, money=proceeds("200", remitted="200"), evidence=[appraisal])  # fmt: skip
    assert_one_page_with_its_footer(by_kind(documents)["scrap_form"], record["early_scrap_explanation"], "报废单位：")


# -- notes at the forms' limits ---------------------------------------------------------------------------------------

FILLER = "该楼自停止使用以来由学校安排专人看管，定期巡查，未发生安全事故，相关情况已在会议纪要中载明。"


def limit_note(length: int) -> str:
    return (FILLER * (length // len(FILLER) + 1))[:length]


def test_notes_up_to_the_forms_limits_never_leave_the_footer_alone_on_a_page(lease_documents):
    """The lease's 出租备案表 and 销号确认单 with the last note growing to the 1,000 characters its form allows:
    whatever page the end of the form lands on also carries that note (the row above the seals), not only seals and
    footer."""
    for kind in ("lease_filing", "closure"):
        document = lease_documents[kind]
        for length in range(40, 1001, 60):
            context = copy.deepcopy(document.context)
            context["events"][-1]["opinion"] = limit_note(length)
            pdf = render_document(
                kind=kind, context=context, number=document.number, verify_url="https://panhuo.example/verify/x/",
                content_sha256=document.content_sha256, issued_at=document.issued_at,
                signers=[s["name"] for s in document.signers],
            ).pdf  # fmt: skip
            pages = pages_of(pdf)
            last = pages[-1]
            assert f"第{len(pages)}页共{len(pages)}页" in last and "核验地址" in last
            tail = limit_note(length)[-12:]
            assert tail in last, f"{kind}, note of {length}: the last page has no body ({last[:80]})"


# -- the 申报表 ------------------------------------------------------------------------------------------------------


def test_the_report_form_prints_the_quantity_and_the_evidence_attached_at_the_report(unit, clerk, head, rita):
    [asset] = import_ledger(clerk, ledger_row(
        资产编号="MX-FJ-SB-2012-000040", 资产名称="学生用台式计算机（含显示器）", 数量=40, 计量单位="台",
        使用状况="闲置", 停用日期=TWO_YEARS_AGO, 闲置原因="机房改造后停用",
    ))  # fmt: skip
    upload_evidence(clerk, asset, AttachmentKind.STOP_STATEMENT)
    attach(asset, AttachmentKind.MEETING_MINUTES, name="校务会议纪要（2026年第9次）.pdf")
    attach(asset, AttachmentKind.PHOTO, name="机房现状.jpg")  # on the asset's file, but not evidence of the report
    case = case_report(actor=as_(clerk), asset=asset, basis="idle", statement=STATEMENT)
    case_submit(actor=as_(head), case=case, opinion=NOTES["submit"])
    [report] = [d for d in issue_all(case) if d.kind == "report_form"]

    evidence = report.context["evidence"]
    assert [(e["kind"], e["name"]) for e in evidence] == [
        ("停用说明", "stop_statement.pdf"), ("会议纪要", "校务会议纪要（2026年第9次）.pdf"),
    ]  # fmt: skip
    assert report.context["quantity"] == "40台"
    lines = lines_of(pdf_of(report))
    assert any(line.startswith("数量40台认定依据") for line in lines), lines
    uploaded = {a.original_name: a.uploaded_at for a in asset.attachments.all()}
    for e in evidence:
        at = timezone.localtime(uploaded[e["name"]])
        assert any(
            f"{e['kind']}{e['name']}上传于{at.year}年{at.month}月{at.day}日{at:%H:%M}" in line for line in lines
        ), e
    assert not any("机房现状.jpg" in line or "照片" in line for line in lines)


def test_a_report_form_without_evidence_says_so_and_an_older_context_still_prints():
    context = {"asset": {"code": "MX-1", "name": "旧电脑"}, "holding_unit": UNIT, "evidence": []}
    pdf = render_document(kind="report_form", context=context, number="茂凤九盘〔2026〕1号",
                          verify_url="https://panhuo.example/verify/x/", content_sha256="0" * 64,
                          issued_at=timezone.now(), signers=[UNIT]).pdf  # fmt: skip
    assert "佐证材料无" in lines_of(pdf)
    del context["evidence"]  # a 申报表 frozen before the list was added
    pdf = render_document(kind="report_form", context=context, number="茂凤九盘〔2026〕1号",
                          verify_url="https://panhuo.example/verify/x/", content_sha256="0" * 64,
                          issued_at=timezone.now(), signers=[UNIT]).pdf  # fmt: skip
    assert "佐证材料无" in lines_of(pdf)


# -- a 4-byte character in a name -------------------------------------------------------------------------------------

RARE = "𠀀"  # U+20000, CJK Ext-B: four bytes in UTF-8, two UTF-16 units, drawn with a fallback font


def render(kind: str, context: dict, signers: list[str]):
    if kind in STEP_KIND_TITLES:
        return render_document(**arguments(kind, context=context, signers=signers))
    return render_document(kind=kind, context=context, number="茂财盘〔2026〕7号", verify_url="https://panhuo.example/v/x/",
                           content_sha256="0" * 64, issued_at=ISSUED_AT, signers=signers)  # fmt: skip


@pytest.mark.parametrize("kind", list(KIND_TITLES))
def test_every_kind_with_a_four_byte_character_in_its_names_keeps_its_page_count(kind):
    if kind in STEP_KIND_TITLES:
        plain = sample_context(kind)
    else:  # a supervision report: its identity, with no figures (a report of an empty scope prints its headings)
        report = {"kind_label": KIND_TITLES[kind], "title": f"全县2026年4月{KIND_TITLES[kind]}", "scope_label": "全县",
                  "period_label": "2026年4月", "requested_by": "周明"}  # fmt: skip
        plain = {"report": report, "figures": {}}
    rare = copy.deepcopy(plain)
    if kind in STEP_KIND_TITLES:
        rare["holding_unit"] = f"茂县{RARE}家沟村民委员会"
        rare["asset"]["name"] = f"原{RARE}家沟村小学教学楼"
        rare["events"] = [{**e, "actor": f"李{RARE}"} for e in rare["events"]]
    else:
        rare["report"] |= {"scope_label": f"茂县{RARE}家沟村", "requested_by": f"李{RARE}"}
    signers = ["茂县财政局"]
    documents = {name: render(kind, context, signers) for name, context in (("plain", plain), ("rare", rare))}
    counts = {name: len(pages_of(d.pdf)) for name, d in documents.items()}
    assert counts["rare"] == counts["plain"], counts
    if kind in STEP_KIND_TITLES:
        assert counts["rare"] == 1
    text = "".join(pages_of(documents["rare"].pdf))
    name = f"李{RARE}" if kind in STEP_KIND_TITLES else f"茂县{RARE}家沟村"
    assert name in text, "the character is printed (and read back) as itself"
    assert documents["rare"].boxes["sig-1"][0] == counts["rare"] - 1, "the seal box is on the last page"
