"""The step documents as PDFs (documents/render.py): every kind prints its case, the fetcher refuses every URL but the
documents' own static files, and the output is deterministic. No database: rendering reads only what it is given."""

import copy
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zlib
import zoneinfo
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import segno
from django.conf import settings
from fontTools.ttLib import TTFont
from PIL import Image
from weasyprint import HTML

from documents.kinds import STEP_KIND_TITLES
from documents.render import (
    SIGNER_ROLES,
    STATIC_DIR,
    RenderedPdf,
    Renderer,
    StaticOnlyFetcher,
    UrlRefused,
    document_html,
    render_document,
    renderer,
    rmb_upper,
)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ISSUED_AT = datetime.datetime(2026, 11, 21, 10, 15, tzinfo=SHANGHAI)
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "documents"

STEPS = {
    "report_form": "submit",
    "verification_opinion": "verify",
    "approval_form": "approve",
    "transfer_order": "execute",
    "lease_filing": "execute",
    "deal_confirmation": "execute",
    "scrap_form": "execute",
    "allocation_notice": "execute",
    "operation_filing": "execute",
    "conversion_filing": "execute",
    "investment_filing": "execute",
    "land_recovery": "execute",
    "concession_filing": "execute",
    "sharing_filing": "execute",
    "exchange_filing": "execute",
    "start_extension": "execute",
    "temporary_use_filing": "execute",
    "contract_return": "close",
    "contract_termination": "close",
    "contract_renewal": "close",
    "closure": "close",
}
METHODS = {
    "transfer_order": "调剂",
    "lease_filing": "出租出借",
    "deal_confirmation": "拍卖（公开转让）",
    "scrap_form": "报废",
    "allocation_notice": "无偿划转",
    "operation_filing": "委托运营",
    "conversion_filing": "功能转型",
    "investment_filing": "作价入股",
    "land_recovery": "协议有偿收回（政府收储）",
    "concession_filing": "特许经营",
    "sharing_filing": "开放共享",
    "exchange_filing": "置换",
    "start_extension": "延长动工期限",
    "temporary_use_filing": "安排临时使用",
    "contract_return": "出租出借",
    "contract_termination": "出租出借",
    "contract_renewal": "出租出借",
}
EXECUTIONS = {
    "transfer_order": {
        "handover_on": "2026-11-18",
        "handover_list": "台式计算机40台、交换机2台及随机资料，经双方清点无误。",
    },
    "lease_filing": {
        "reserve_rent": "96000.00",
        "tender_result": "经县公共资源交易中心公开招租，共3家报名，茂县兴茂商贸有限公司以最高报价竞得。",
        "lessee": "茂县兴茂商贸有限公司",
        "lease_starts_on": "2026-12-01",
        "lease_ends_on": "2029-11-30",
        "annual_rent": "118500.00",
        "deposit": "20000.00",
        "contract_no": "茂一中租〔2026〕3号",
    },
    "deal_confirmation": {
        "appraisal_report_no": "川华评报〔2026〕第0415号",
        "appraisal_value": "3280000.00",
        "appraisal_date": "2026-09-30",
        "venue": "阿坝州公共资源交易中心",
        "reserve_price": "3280000.00",
        "winning_bid": "3605000.50",
        "buyer": "阿坝州岷江实业有限公司",
        "deal_on": "2026-11-16",
    },
    "scrap_form": {
        "technical_appraisal": "经县信息中心技术鉴定，主板老化、无维修价值，已达到报废条件。",
        "early_scrap_explanation": "",
        "recycler": "茂县再生资源回收有限公司",
        "residual_value": "1200.00",
    },
}
PLANS = {
    "transfer_order": "无偿调剂给茂县凤仪镇人民政府，用作镇便民服务中心办公用房。",
    "lease_filing": "通过县公共资源交易中心公开招租，租期三年，租金收入全额上缴国库。",
    "scrap_form": "按报废程序交有资质的回收单位处置，残值收入上缴国库。",
    "allocation_notice": "按县政府统筹安排，无偿划转茂县凤仪镇人民政府，用作镇便民服务中心。",
    "operation_filing": "经公开遴选委托专业机构运营，运营期五年，年运营费上缴国库。",
    "conversion_filing": "改造为社区老年助餐点，由本单位组织实施并验收。",
    "investment_filing": "以评估值作价入股县属文旅公司，持股比例按出资额确定。",
    "land_recovery": "经协商一致，由县土地储备中心协议有偿收回，补偿款按评估结果支付。",
    "concession_filing": "通过公开招标选定特许经营者，经营期限十年，特许经营费上缴国库。",
    "sharing_filing": "接入四川省大型科学仪器设备共享平台，面向社会开放共享。",
    "exchange_filing": "以原校办仓库置换凤仪镇南街临街门面，差价按评估值之差由对方支付。",
    "start_extension": "受地质灾害治理影响，报县自然资源局批准延长动工期限六个月。",
    "temporary_use_filing": "在土地再开发前安排临时农贸集市使用一年，使用费上缴国库。",
}
# The later methods' fields as document_context prints them (label, text).
EXECUTION_ROWS = {
    "allocation_notice": [("划转依据（批复文号）", "茂府函〔2026〕12号"), ("交接日期", "2026年11月18日"),
                          ("交接清单", "宿舍楼1栋及钥匙、图纸资料，经双方清点无误。")],
    "operation_filing": [("运营方", "茂县羌韵文旅运营有限公司"), ("遴选方式", "公开遴选"),
                         ("运营期限起", "2026年12月1日"), ("运营期限止", "2031年11月30日"),
                         ("年运营费（元）", "86,000.00 元"), ("合同编号", "茂一中运〔2026〕1号")],
    "conversion_filing": [("新用途", "社区老年助餐点"), ("改造内容", "一层改造为餐厅和备餐间，增设无障碍通道。"),
                          ("改造费用（元）", "312,500.00 元"), ("验收日期", "2026年11月18日"),
                          ("验收意见", "经验收，工程质量合格，同意投入使用。")],
    "investment_filing": [("被投资企业", "茂县羌山文旅投资有限公司"), ("入股作价（元）", "3,300,000.00 元"),
                          ("持股比例（%）", "12.50"), ("成交日期", "2026年11月16日")],
    "land_recovery": [("收回协议编号", "茂储协〔2026〕3号"), ("补偿金额（元）", "1,860,000.00 元"),
                      ("交接日期", "2026年11月18日"), ("交接清单", "宗地界址点成果表、土地证原件。")],
    "concession_filing": [("特许经营者", "阿坝州九顶山旅游开发有限公司"), ("选定方式", "公开招标"),
                          ("特许经营费（元）", "360,000.00 元")],
    "sharing_filing": [("共享平台", "四川省大型科学仪器设备共享平台"), ("收费标准", "每机时300元")],
    "exchange_filing": [("置换对方", "茂县羌城置业有限公司"), ("换入资产名称", "凤仪镇南街临街门面"),
                        ("换入资产面积（㎡）", "420.00 ㎡"), ("换入资产评估值（元）", "1,650,000.00 元"),
                        ("差价收入（元）", "150,000.00 元"), ("置换日期", "2026年11月16日")],
    "start_extension": [("土地使用权人", "茂县岷江建材有限公司"), ("原约定动工日期", "2026年5月1日"),
                        ("新的动工期限", "2027年5月17日"), ("延期批准文号", "茂自然资函〔2026〕8号")],
    "temporary_use_filing": [("临时使用人", "茂县凤仪镇农贸市场服务中心"), ("临时用途", "临时农贸集市"),
                             ("临时使用期限起", "2026年11月18日"), ("临时使用期限止", "2027年11月17日"),
                             ("临时使用费（元）", "24,000.00 元")],
    # A contract's end (contracts.endings): its rows as the service prints them.
    "contract_return": [("合同编号", "茂一中租〔2026〕3号（第1版）"), ("合同相对方", "茂县兴茂商贸有限公司"),
                        ("合同期限", "2026年12月1日至2029年12月1日"), ("收回交接日期", "2029年11月30日"),
                        ("资产状况", "房屋结构完好，墙面轻微污损，钥匙3把已交回。"), ("收回后使用状况", "再度闲置"),
                        ("闲置原因", "承租方退租后暂无新的承租意向。")],
    "contract_termination": [("合同编号", "茂一中租〔2026〕3号（第1版）"), ("终止日期", "2027年6月1日"),
                             ("终止原因", "承租方经营调整，双方协商一致提前解除合同。"), ("结算金额", "20,000.00 元"),
                             ("保证金处理", "20,000.00 元，不予退还（抵扣或没收）"),
                             ("取消的应收期次", "第3期、第4期、第5期"), ("收回后使用状况", "收回后自用")],
    "contract_renewal": [("原合同", "茂一中租〔2026〕3号（第1版，2026年12月1日至2029年12月1日）"),
                         ("续签合同编号", "茂一中租〔2029〕7号（第2版）"), ("续签期限", "2029年12月1日至2032年12月1日"),
                         ("付款周期", "按季"), ("年金额", "124,000.00 元"), ("应收期数", "12期，合计372,000.00 元"),
                         ("续签理由", "承租方按期足额缴纳租金，经公开比价续租三年。"),
                         ("审批路径", "茂县住房和城乡建设局审核 → 财政审批（审批规则：房屋构筑物处置须财政审批）"),
                         ("主管部门审核", "茂县住房和城乡建设局 赵刚，2029年10月8日同意"),
                         ("财政审批", "茂县财政局 刘芳，2029年10月9日同意")],
}  # fmt: skip
EVENTS = [
    ("report", "经办申报", "李晓红", "", "茂县第一中学", ""),
    ("submit", "单位签发", "王建国", "", "茂县第一中学", "情况属实，同意申报。"),
    ("verify", "核查认定", "赵刚", "", "茂县住房和城乡建设局", "经现场核查，该楼自2023年起停止使用，认定为闲置资产。"),
    ("propose", "拟定方案", "李晓红", "", "茂县第一中学", ""),
    ("dept_review", "主管部门审核", "赵刚", "", "茂县住房和城乡建设局", "方案可行，同意报财政局审批。"),
    ("finance_approve", "财政审批", "刘芳", "张伟", "茂县财政局", "同意按方案处置，收入全额上缴国库。"),
    ("record_execution", "登记执行", "李晓红", "", "茂县第一中学", ""),
    ("confirm_remittance", "确认上缴", "刘芳", "", "茂县财政局", "已核对非税收入缴款书。"),
    ("close", "销号", "刘芳", "", "茂县财政局", "同意销号。"),
]
EVENTS_UP_TO = {"submit": 2, "verify": 3, "approve": 6, "execute": 7, "close": 9}


def sample_context(kind: str) -> dict:
    """A frozen context as workflows.services.document_context builds it, plus the events the services add."""
    step = STEPS[kind]
    context = {
        "case_id": 42,
        "step": step,
        "state": "已销号" if kind == "closure" else "执行中",
        "asset": {
            "code": "MX-FW-2008-0017",
            "name": "原教师周转宿舍楼",
            "category": "房屋",
            "subtype": "宿舍用房",
            "original_value": "3600000.00",
            "net_value": "1250400.35",
            "area_m2": "1865.40",
            "address": "茂县凤仪镇南街128号",
            "acquired_on": "2008-06-30",
            "idle_since": "2023-03-01",
        },
        "holding_unit": "茂县第一中学",
        "verifying_department": "茂县住房和城乡建设局",
        "basis": "闲置",
        "statement": "该宿舍楼因新校区教师公寓建成，自2023年3月起停止使用，现无使用计划。",
        "verification_opinion": "经现场核查，房屋结构完好，停止使用满两年，认定为闲置资产，建议盘活利用。",
        "method": METHODS.get(kind, "拍卖（公开转让）"),
        "plan_summary": PLANS.get(kind, "委托县公共资源交易中心公开拍卖，以评估值为保留价，所得收入全额上缴国库。"),
        "justification": "学校无使用计划，维护费用逐年增加。",
        "receiving_unit": "茂县凤仪镇人民政府"
        if kind in ("transfer_order", "allocation_notice", "land_recovery")
        else "",
        "routing": {
            "item_value": "3600000.00",
            "batch_value": "3600000.00",
            "batch_window_days": 90,
            "rules": [{"id": 3, "name": "房屋处置须报财政审批", "version": 2, "requires_finance": True}],
            "needs_finance": True,
            "needs_collective_decision": True,
        },
        "amounts": {
            "due": "3605000.50" if kind in ("deal_confirmation", "closure") else "",
            "received": "3605000.50" if kind in ("deal_confirmation", "closure") else "",
            "fees": "0",
            "remitted": "3605000.50" if kind == "closure" else "",
            "receipt_no": "川非税(2026)0012345" if kind == "closure" else "",
        },
        "events": [
            {
                "action": action,
                "label": label,
                "at": f"2026-11-{10 + i:02d}T{9 + i % 7:02d}:{i * 7 % 60:02d}:00+08:00",
                "actor": actor,
                "acting_for": acting_for,
                "organization": organization,
                "opinion": opinion,
            }
            for i, (action, label, actor, acting_for, organization, opinion) in enumerate(EVENTS[: EVENTS_UP_TO[step]])
        ],
    }
    if kind in EXECUTIONS:
        context["execution"] = EXECUTIONS[kind]
    if kind in EXECUTION_ROWS:
        context["execution"] = {}
        context["execution_rows"] = [{"label": label, "text": text} for label, text in EXECUTION_ROWS[kind]]
    if kind == "closure":
        context["execution"] = EXECUTIONS["deal_confirmation"]
    return context


def signers_of(kind: str) -> list[str]:
    return {
        "report_form": ["茂县第一中学"],
        "verification_opinion": ["茂县住房和城乡建设局"],
        "approval_form": ["茂县住房和城乡建设局", "茂县财政局"],
        "transfer_order": ["茂县第一中学", "茂县凤仪镇人民政府"],
        "allocation_notice": ["茂县第一中学", "茂县凤仪镇人民政府"],
        "land_recovery": ["茂县第一中学", "茂县凤仪镇人民政府"],
        "closure": ["茂县财政局"],
        "contract_renewal": ["茂县第一中学", "茂县住房和城乡建设局", "茂县财政局"],
    }.get(kind, ["茂县第一中学"])


def arguments(kind: str, **changes) -> dict:
    context = changes.pop("context", None) or sample_context(kind)
    canonical = json.dumps(context, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return {
        "kind": kind,
        "context": context,
        "number": f"茂财盘〔2026〕{15 + list(STEP_KIND_TITLES).index(kind)}号",
        "verify_url": "https://panhuo.example.gov.cn/verify/6f1c2a4e-8b3d-4f7a-9e21-0c5d7b8a9f10/",
        "content_sha256": hashlib.sha256(canonical.encode()).hexdigest(),
        "issued_at": ISSUED_AT,
        "signers": signers_of(kind),
        **changes,
    }


def run(*command: str, input: bytes | None = None) -> str:
    return subprocess.run(command, input=input, capture_output=True, check=True).stdout.decode()


def text_of(pdf: bytes) -> str:
    return run("pdftotext", "-", "-", input=pdf)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def tool_on(tmp_path: Path, pdf: bytes, *command: str) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return run(*command, str(path))


def embedded_fonts(pdf: bytes) -> list[TTFont]:
    """The font programs in the PDF (WeasyPrint writes them as plain, Flate-compressed FontFile3 streams)."""
    fonts = []
    for match in re.finditer(rb"<<([^<>]*?/Subtype /OpenType[^<>]*?)>>\s*stream\r?\n", pdf):
        length = int(re.search(rb"/Length (\d+)", match.group(1)).group(1))
        fonts.append(TTFont(io.BytesIO(zlib.decompress(pdf[match.end() : match.end() + length]))))
    return fonts


@pytest.fixture(scope="module")
def rendered() -> dict[str, RenderedPdf]:
    return {kind: render_document(**arguments(kind)) for kind in STEP_KIND_TITLES}


# -- content --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(STEP_KIND_TITLES))
def test_every_kind_prints_its_title_number_and_the_chinese_field_values(rendered, kind):
    args = arguments(kind)
    text = compact(text_of(rendered[kind].pdf))
    context = args["context"]
    expected = [
        STEP_KIND_TITLES[kind],
        args["number"],
        context["asset"]["code"],
        context["asset"]["name"],
        "房屋／宿舍用房",
        context["asset"]["address"],
        context["holding_unit"],
        "3,600,000.00元",
        "1,250,400.35元",
        "1,865.40m²",
        "2008年6月30日",
        args["content_sha256"],
        args["verify_url"],
        "签发日期：2026年11月21日",
        "第1页共1页",
        *args["signers"],
        *[f"{role}：" for role in SIGNER_ROLES[kind]],
    ]
    for event in context["events"]:
        expected += [event["label"], event["actor"], event["organization"], event["opinion"]]
    expected += ["刘芳（代张伟）2026年11月15日14:35"] if len(context["events"]) >= 6 else []
    for value in context.get("execution", {}).values() if kind != "closure" else ():
        if value and not re.fullmatch(r"[\d.-]+", value):
            expected.append(value)
    expected += {
        "report_form": [context["statement"], "闲置", "2023年3月1日", context["verifying_department"]],
        "verification_opinion": [context["verification_opinion"], context["statement"]],
        "approval_form": [
            context["plan_summary"],
            context["justification"],
            "90日内同类批量原值3,600,000.00元",
            "房屋处置须报财政审批（第2版）",
            "财政部门审批：需要；集体决策：需要",
        ],
        "transfer_order": [context["receiving_unit"], context["plan_summary"], "2026年11月18日"],
        "lease_filing": ["118,500.00元（人民币壹拾壹万捌仟伍佰元整）", "2026年12月1日至2029年11月30日"],
        "deal_confirmation": ["3,605,000.50元（人民币叁佰陆拾万伍仟元伍角整）", "2026年11月16日"],
        "scrap_form": ["1,200.00元", context["plan_summary"]],
        **{
            k: [
                *([] if k.startswith("contract_") else [context["plan_summary"]]),  # a contract's end prints no plan
                *(v for r in context.get("execution_rows", ()) for v in (r["label"], r["text"])),
            ]
            for k in EXECUTION_ROWS
        },
        "closure": [
            "已销号",
            "川非税(2026)0012345",
            "拍卖（公开转让）",
            "2026年11月16日在阿坝州公共资源交易中心成交，买受人阿坝州岷江实业有限公司，成交价3,605,000.50元。",
        ],
    }[kind]
    missing = [value for value in expected if compact(value) not in text]
    assert not missing, f"{kind}: not in the PDF: {missing}"


@pytest.mark.parametrize("kind", list(STEP_KIND_TITLES))
def test_every_kind_fits_on_one_page_with_one_signature_box_per_signer(rendered, kind):
    document = rendered[kind]
    assert "Pages:           1\n" in run("pdfinfo", "-", input=document.pdf)
    signers = signers_of(kind)
    assert list(document.boxes) == [f"sig-{i}" for i in range(1, len(signers) + 1)]
    for page, (x1, y1, x2, y2) in document.boxes.values():
        assert page == 0
        assert 0 < x1 < x2 < 595 and 0 < y1 < y2 < 842  # on the A4 page, in points
        # 56 x 30 mm inside the 0.75 pt dashed border
        assert (x2 - x1, y2 - y1) == pytest.approx((56 / 25.4 * 72 + 1.5, 30 / 25.4 * 72 + 1.5), abs=0.02)
    if len(signers) == 2:
        (_, left), (_, right) = document.boxes.values()
        assert left[2] < right[0] and left[1] == right[1], "side by side"


def crop_text(pdf: Path, x: float, top: float, width: float, height: float) -> str:
    """The text in a rectangle given in points from the page's top-left corner."""
    return compact(run("pdftotext", "-x", str(round(x)), "-y", str(round(top)), "-W", str(round(width)),
                       "-H", str(round(height)), str(pdf), "-"))  # fmt: skip


def test_two_signature_boxes_sit_between_their_organization_and_the_date_and_are_left_empty(rendered, tmp_path):
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(rendered["transfer_order"].pdf)
    labels = zip(SIGNER_ROLES["transfer_order"], signers_of("transfer_order"), strict=True)
    for (_, (x1, y1, x2, y2)), (role, name) in zip(rendered["transfer_order"].boxes.values(), labels, strict=True):
        top, bottom = 842 - y2, 842 - y1
        assert crop_text(pdf, x1 - 15, top - 18, x2 - x1 + 30, 16) == f"{role}：{name}（盖章）"
        assert crop_text(pdf, x1 + 2, top + 2, x2 - x1 - 4, y2 - y1 - 4) == ""
        assert crop_text(pdf, x1, bottom + 1, x2 - x1, 16) == "2026年11月21日"


def test_a_single_signature_box_has_its_organization_and_the_date_on_its_left(rendered, tmp_path):
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(rendered["closure"].pdf)
    ((_, (x1, y1, x2, y2)),) = rendered["closure"].boxes.values()
    assert crop_text(pdf, x1 - 200, 842 - y2, 198, y2 - y1) == "销号单位：茂县财政局（盖章）2026年11月21日"
    assert crop_text(pdf, x1 + 2, 842 - y2 + 2, x2 - x1 - 4, y2 - y1 - 4) == ""


def test_long_content_flows_onto_a_second_page_and_the_box_reports_it():
    context = sample_context("report_form")
    context["statement"] = "该宿舍楼因新校区教师公寓建成，自2023年3月起停止使用。" * 30
    context["events"] *= 6
    document = render_document(**arguments("report_form", context=context))
    assert "Pages:           2\n" in run("pdfinfo", "-", input=document.pdf)
    assert document.boxes["sig-1"][0] == 1
    assert compact("第2页　共2页") in compact(text_of(document.pdf))


def test_user_text_is_escaped_and_printed_as_text():
    context = sample_context("report_form")
    context["statement"] = '<b>加粗</b><img src="file:///etc/passwd"><script>alert(1)</script>'
    context["asset"]["name"] = "</td></tr></table><h1>伪造标题</h1>"
    context["events"][1]["opinion"] = '<a rel="attachment" href="file:///etc/passwd">同意</a>'
    html = document_html(**arguments("report_form", context=context))
    assert '<img src="file' not in html and "<h1>伪造" not in html and '<a rel="attachment"' not in html
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    text = compact(text_of(render_document(**arguments("report_form", context=context)).pdf))
    assert compact(context["statement"]) in text
    assert compact(context["asset"]["name"]) in text
    assert compact(context["events"][1]["opinion"]) in text


def test_missing_keys_leave_blank_cells_instead_of_failing():
    minimal = {"asset": {"code": "MX-1", "name": "旧电脑"}, "holding_unit": "茂县第一中学", "events": [{}, "x"]}
    for kind in STEP_KIND_TITLES:
        text = text_of(render_document(**arguments(kind, context=copy.deepcopy(minimal))).pdf)
        assert "旧电脑" in text and STEP_KIND_TITLES[kind] in compact(text)


def test_the_qr_code_is_inline_svg_that_encodes_the_verification_url(tmp_path):
    """Each module of the printed code, sampled at 576 dpi, is the module segno computes for the URL."""
    args = arguments("closure")
    html = document_html(**args)
    assert re.search(r'<svg id="qr" xmlns="http://www.w3.org/2000/svg" [^>]*class="qr"', html)
    assert "data:" not in html and "<img" not in html.replace('<img src="emblem.png"', "")
    r = renderer()
    layout = HTML(string=html, base_url=r.base_url, url_fetcher=r.fetcher).render(
        stylesheets=r.stylesheets, font_config=r.font_config
    )
    x1, y1, x2, y2 = (v * 0.75 for v in layout.pages[0].anchors["qr"])  # CSS px -> pt
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(render_document(**args).pdf)
    run("pdftoppm", "-gray", "-png", "-r", "576", "-singlefile", "-x", str(round(x1 * 8)), "-y", str(round(y1 * 8)),
        "-W", str(round((x2 - x1) * 8)), "-H", str(round((y2 - y1) * 8)), str(pdf), str(tmp_path / "qr"))  # fmt: skip
    image = Image.open(tmp_path / "qr.png").convert("L")
    matrix = segno.make(args["verify_url"], error="m", micro=False, mask=0).matrix  # the mask render.py fixes
    step = image.width / len(matrix)
    printed = [
        [int(image.getpixel((int((col + 0.5) * step), int((row + 0.5) * step))) < 128) for col in range(len(matrix))]
        for row in range(len(matrix))
    ]
    assert printed == [[module & 1 for module in row] for row in matrix]


def test_the_only_image_is_the_emblem_from_the_static_folder(rendered, tmp_path):
    for document in rendered.values():
        listing = tool_on(tmp_path, document.pdf, "pdfimages", "-list").splitlines()[2:]
        assert [line.split()[3:5] for line in listing] == [["96", "96"]]  # static/documents/emblem.png


def test_the_fonts_are_noto_serif_cjk_sc_subsets_with_a_real_bold_title(rendered, tmp_path):
    lines = tool_on(tmp_path, rendered["approval_form"].pdf, "pdffonts").splitlines()[2:]
    assert sorted(line.split()[0].split("+", 1)[1] for line in lines) == ["Panhuo-Serif", "Panhuo-Title-Bold"]
    assert all(re.search(r"\byes yes yes\b", line) for line in lines), "embedded, subset, with a ToUnicode map"
    fonts = embedded_fonts(rendered["approval_form"].pdf)
    assert sorted(f["name"].getDebugName(1) for f in fonts) == ["Noto Serif CJK SC"] * 2
    # The Bold face really is the Bold font (WeasyPrint would silently print a Regular named "...-Bold").
    assert sorted(f["CFF "].cff.fontNames[0].split("-")[-1] for f in fonts) == ["Bold", "Regular"]


def test_a_character_outside_gb2312_still_prints_with_the_full_system_font(tmp_path):
    context = sample_context("report_form")
    context["events"][1]["actor"] = "王堃㐀"  # GBK only, and CJK Extension A
    pdf = render_document(**arguments("report_form", context=context)).pdf
    assert "王堃㐀" in text_of(pdf)
    names = [line.split()[0] for line in tool_on(tmp_path, pdf, "pdffonts").splitlines()[2:]]
    assert len(names) == 3 and any("Noto-Serif-CJK-SC" in name for name in names)


def test_metadata_comes_from_the_arguments_never_from_the_clock(rendered):
    info = run("pdfinfo", "-isodates", "-", input=rendered["report_form"].pdf)
    assert "CreationDate:    2026-11-21T10:15:00+08" in info
    assert "Title:           闲置低效资产认定申报表 茂财盘〔2026〕15号" in info
    assert f"Subject:         SHA-256 {arguments('report_form')['content_sha256']}" in info
    assert "/ID [(茂财盘〔2026〕15号)".encode() in rendered["report_form"].pdf


def test_the_same_input_gives_the_same_bytes(rendered):
    again = render_document(**arguments("transfer_order"))
    assert again.pdf == rendered["transfer_order"].pdf and again.boxes == rendered["transfer_order"].boxes
    assert render_document(**arguments("transfer_order", number="茂财盘〔2026〕99号")).pdf != again.pdf


def test_the_same_input_gives_the_same_bytes_in_another_process(rendered):
    script = (
        "import django, hashlib; django.setup();"
        "from tests.documents.test_render import arguments; from documents.render import render_document;"
        "print(hashlib.sha256(render_document(**arguments('closure')).pdf).hexdigest())"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    digest = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    assert digest == hashlib.sha256(rendered["closure"].pdf).hexdigest()


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown document kind"):
        render_document(**{**arguments("report_form"), "kind": "letter"})


def test_the_renderer_is_built_once_per_process():
    assert renderer() is renderer()


@pytest.mark.parametrize(
    ("value", "upper"),
    [
        ("3600000.00", "人民币叁佰陆拾万元整"),
        ("3605000.50", "人民币叁佰陆拾万伍仟元伍角整"),
        ("107000.53", "人民币壹拾万柒仟元伍角叁分"),
        ("1680.32", "人民币壹仟陆佰捌拾元叁角贰分"),
        ("-25", "人民币负贰拾伍元整"),
        ("100000005", "人民币壹亿零伍元整"),
        ("10050000", "人民币壹仟零伍万元整"),
        ("1005.20", "人民币壹仟零伍元贰角整"),
        ("100000.05", "人民币壹拾万元零伍分"),
        ("0.50", "人民币伍角整"),
        ("10", "人民币壹拾元整"),
        ("0", "人民币零元整"),
        (Decimal("118500"), "人民币壹拾壹万捌仟伍佰元整"),
        ("", ""),
        (None, ""),
        ("不是数字", ""),
    ],
)
def test_amounts_are_written_in_capital_numerals_as_on_vouchers(value, upper):
    assert rmb_upper(value) == upper


# -- the fetcher ----------------------------------------------------------------------------------------------------


class Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write((STATIC_DIR / "emblem.png").read_bytes())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def page(body: str, head: str = "") -> str:
    return f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body><p>正文</p>{body}</body></html>'


PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
VECTORS = {
    "img file:///etc/passwd": lambda s: page('<img src="file:///etc/passwd">'),
    "img file://localhost": lambda s: page('<img src="file://localhost/etc/passwd">'),
    "img ../ out of the folder": lambda s: page('<img src="../../../../../../etc/passwd">'),
    "img ../ to another static file": lambda s: page('<img src="../panhuo/panhuo.css">'),
    "img %2e%2e/": lambda s: page('<img src="%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd">'),
    "img http": lambda s: page(f'<img src="{s}/img">'),
    "link rel=attachment file": lambda s: page("", '<link rel="attachment" href="file:///etc/passwd">'),
    "a rel=attachment http": lambda s: page(f'<a rel="attachment" href="{s}/attach">附件</a>'),
    "link rel=stylesheet http": lambda s: page("", f'<link rel="stylesheet" href="{s}/css">'),
    "css url() http": lambda s: page(f'<div style="background: url({s}/bg)">背景</div>'),
    "css url() file": lambda s: page('<div style="background: url(file:///etc/passwd)">背景</div>'),
    "@import http": lambda s: page("", f"<style>@import url({s}/import);</style>"),
    "@import file": lambda s: page("", '<style>@import "file:///etc/passwd";</style>'),
    "@font-face http": lambda s: page(
        '<p style="font-family: evil">字</p>', f"<style>@font-face {{ font-family: evil; src: url({s}/font) }}</style>"
    ),
    "@font-face file": lambda s: page(
        '<p style="font-family: evil">字</p>',
        "<style>@font-face { font-family: evil; src: url(file:///usr/share/fonts/opentype/noto/x.ttc) }</style>",
    ),
    "object http": lambda s: page(f'<object data="{s}/object"></object>'),
    "img data: URI": lambda s: page(f'<img src="data:image/png;base64,{PNG_1PX}">'),
    "stylesheet data: URI": lambda s: page("", '<link rel="stylesheet" href="data:text/css,p{color:red}">'),
}


@pytest.mark.parametrize("vector", list(VECTORS))
def test_every_url_outside_the_allow_list_aborts_the_render(server, vector):
    Counter.hits.clear()
    with pytest.raises(UrlRefused):
        renderer().render(VECTORS[vector](server), identifier=b"x")
    assert Counter.hits == []


def test_an_image_inside_inline_svg_is_refused_too_though_weasyprint_only_logs_it(server, caplog):
    """WeasyPrint catches every exception while drawing an SVG: the render goes on, without the image."""
    Counter.hits.clear()
    svg = f'<svg width="10" height="10"><image href="{server}/svgimage"/></svg>'
    document = renderer().render(page(svg), identifier=b"x")
    assert Counter.hits == [] and renderer().fetcher.refused[-1] == f"{server}/svgimage"
    assert "Failed to render SVG image" in caplog.text and document.pdf.startswith(b"%PDF")


def test_the_loopback_server_does_count_weasyprints_requests_without_our_fetcher(server):
    """The control for the test above: the same page, fetched with WeasyPrint's default fetcher, hits the server."""
    Counter.hits.clear()
    HTML(string=VECTORS["img http"](server)).write_pdf()
    assert Counter.hits == ["/img"]


def test_the_documents_own_static_files_still_load(tmp_path):
    pdf = renderer().render(page('<img src="emblem.png"><img src="./sub/../emblem.png">'), identifier=b"x").pdf
    assert len(tool_on(tmp_path, pdf, "pdfimages", "-list").splitlines()[2:]) == 2


def test_nothing_is_attached_to_a_document(rendered, tmp_path):
    for document in rendered.values():
        assert tool_on(tmp_path, document.pdf, "pdfdetach", "-list").strip() == "0 embedded files"
        assert b"root:x:0:0" not in document.pdf


def test_the_allow_list_is_the_static_folder_as_it_was_when_the_fetcher_was_made(tmp_path):
    (tmp_path / "a.css").write_text("p { color: red }")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.png").write_bytes((STATIC_DIR / "emblem.png").read_bytes())
    (tmp_path / "escape.png").symlink_to("/etc/passwd")
    fetcher = StaticOnlyFetcher(tmp_path, extra={"fonts/x.otf": b"OTTO"})
    assert sorted(p.name for p in fetcher.assets) == ["a.css", "b.png", "x.otf"]
    assert fetcher.fetch((tmp_path / "sub" / "b.png").as_uri()).read().startswith(b"\x89PNG")
    assert fetcher.fetch((tmp_path / "fonts" / "x.otf").as_uri()).read() == b"OTTO"
    (tmp_path / "late.css").write_text("p {}")
    refused = [(tmp_path / "late.css").as_uri(), (tmp_path / "escape.png").as_uri(), "file:///etc/passwd",
               (tmp_path / "a.css").as_uri() + "?x=1", "file://evil.example/" + str(tmp_path / "a.css")]  # fmt: skip
    for url in refused:
        with pytest.raises(UrlRefused):
            fetcher.fetch(url)


def test_a_renderer_on_a_folder_without_the_stylesheet_cannot_start(tmp_path):
    with pytest.raises(UrlRefused):
        Renderer(tmp_path)


# -- pages for review -----------------------------------------------------------------------------------------------


def test_each_kind_is_kept_as_a_png_for_review(rendered):
    """artifacts/documents/<kind>.png (and .pdf), gitignored: look at them after changing a template."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs poppler-utils")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for kind, document in rendered.items():
        (ARTIFACTS / f"{kind}.pdf").write_bytes(document.pdf)
        run("pdftoppm", "-png", "-r", "100", "-singlefile", str(ARTIFACTS / f"{kind}.pdf"), str(ARTIFACTS / kind))
        assert Image.open(ARTIFACTS / f"{kind}.png").size == (827, 1170)  # A4 at 100 dpi


def test_every_kind_names_its_signers_in_render_itself():
    # A Celery worker imports documents.render, not the modules that ask for documents: every kind must be here.
    from documents.kinds import KIND_TITLES
    from documents.render import SIGNER_ROLES as roles

    assert set(roles) == set(KIND_TITLES)
