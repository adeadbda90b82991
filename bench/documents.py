"""`bench documents`: every document kind rendered (WeasyPrint) and signed (pyHanko, one visible seal per signer) the
way `documents.services.document_issue` does it, timed per kind in this process, then as throughput in pools of
spawned worker processes, each warmed up (fonts, templates, signers, seals) before the clock starts.

Nothing real is touched: the CA and the organizations' keys are made in a throwaway PANHUO_PKI_DIR for the length of
the run, the signing organizations are unsaved Organization objects (signing needs only their pk and name), the
contexts are built here as `workflows.services.document_context` builds them, and no PDF is stored. The database is
not queried at all (the run counts its queries to show it)."""

import contextlib
import cProfile
import datetime
import gc
import io
import multiprocessing
import os
import platform
import pstats
import queue
import random
import shutil
import statistics
import tempfile
import time
import traceback
import uuid
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from math import ceil
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import override_settings

from documents.kinds import STEP_KIND_TITLES as KIND_TITLES

KINDS = list(KIND_TITLES)
WORKER_START_TIMEOUT = 180  # seconds for a spawned worker to import Django, WeasyPrint, pyHanko and warm up

# -- the county the documents speak of --------------------------------------------------------------------------

# name → (short name for the numbers, kind); the pks are given in this order, in the throwaway PKI only.
ORGANIZATIONS = {
    "茂县第一中学": ("茂一中", "institution"),
    "茂县凤仪镇人民政府": ("凤仪镇", "township"),
    "茂县南新镇人民政府": ("南新镇", "township"),
    "茂县住房和城乡建设局": ("茂住建", "industry_department"),
    "茂县教育局": ("茂教", "industry_department"),
    "茂县机关事务管理局": ("茂机关", "industry_department"),
    "茂县财政局": ("茂财", "finance"),
    "茂县文化旅游投资有限公司": ("茂文旅", "state_enterprise"),
}
HOLDERS = ["茂县第一中学", "茂县凤仪镇人民政府", "茂县南新镇人民政府", "茂县文化旅游投资有限公司"]
FINANCE = "茂县财政局"

# What each kind is about: (name, category, subtype, unit, area range ㎡ or None, value range, verifying department)
BUILDINGS = [
    ("原教师周转宿舍楼", "房屋", "宿舍用房", (600, 3000), (1.2e6, 6e6)),
    ("凤仪镇原粮站仓库", "房屋", "仓储用房", (400, 2500), (3e5, 2e6)),
    ("南新镇原卫生院综合楼", "房屋", "办公用房", (800, 2600), (8e5, 4e6)),
    ("叠溪临街门面", "房屋", "商业用房", (60, 400), (2e5, 1.5e6)),
]
EQUIPMENT = [
    ("台式计算机（联想启天M430）", "通用设备", "计算机设备", None, (4e4, 2.4e5)),
    ("多功能复印机（理光MP 2555）", "通用设备", "办公设备", None, (1.2e4, 6e4)),
    ("公务用车（长安CS75）", "通用设备", "车辆", None, (1.3e5, 2e5)),
]
LAND = [("原砖厂用地", "土地", "工业用地", (3000, 40000), (1.5e6, 1.8e7))]

# The execution documents a receiving unit countersigns.
TWO_SIGNERS = ("transfer_order", "allocation_notice", "land_recovery")
SCENARIOS: dict[str, dict] = {
    "report_form": {"step": "submit", "assets": BUILDINGS, "method": ""},
    "verification_opinion": {"step": "verify", "assets": LAND + BUILDINGS, "method": ""},
    "approval_form": {"step": "approve", "assets": BUILDINGS, "method": "拍卖（公开转让）"},
    "transfer_order": {"step": "execute", "assets": EQUIPMENT, "method": "调剂"},
    "lease_filing": {"step": "execute", "assets": BUILDINGS, "method": "出租出借"},
    "deal_confirmation": {"step": "execute", "assets": BUILDINGS + LAND, "method": "拍卖（公开转让）"},
    "scrap_form": {"step": "execute", "assets": EQUIPMENT, "method": "报废"},
    "allocation_notice": {"step": "execute", "assets": BUILDINGS, "method": "无偿划转"},
    "operation_filing": {"step": "execute", "assets": BUILDINGS, "method": "委托运营"},
    "conversion_filing": {"step": "execute", "assets": BUILDINGS, "method": "功能转型"},
    "investment_filing": {"step": "execute", "assets": BUILDINGS + LAND, "method": "作价入股"},
    "land_recovery": {"step": "execute", "assets": LAND, "method": "协议有偿收回（政府收储）"},
    "concession_filing": {"step": "execute", "assets": BUILDINGS, "method": "特许经营"},
    "sharing_filing": {"step": "execute", "assets": EQUIPMENT, "method": "开放共享"},
    "exchange_filing": {"step": "execute", "assets": BUILDINGS + LAND, "method": "置换"},
    "start_extension": {"step": "execute", "assets": LAND, "method": "延长动工期限"},
    "temporary_use_filing": {"step": "execute", "assets": LAND, "method": "安排临时使用"},
    "contract_return": {"step": "close", "assets": BUILDINGS, "method": "出租出借"},
    "contract_termination": {"step": "close", "assets": BUILDINGS, "method": "出租出借"},
    "contract_renewal": {"step": "close", "assets": BUILDINGS, "method": "出租出借"},
    "closure": {"step": "close", "assets": BUILDINGS, "method": "拍卖（公开转让）"},
}
STATEMENTS = [
    "因新校区建成投用，该资产自{year}年起停止使用，现无使用计划，申请认定为闲置资产。",
    "单位撤并后该资产长期空置，日常维护费用逐年增加，申请纳入盘活利用。",
    "乡镇机构改革后原用途取消，经班子会议研究，申请认定为低效资产并予以盘活。",
]
OPINIONS = [
    "经现场核查，资产权属清晰、结构完好，停止使用已满两年，认定为闲置资产，建议盘活利用。",
    "经核查，该资产使用效率低下，符合低效资产认定条件，同意纳入盘活范围。",
]
PLANS = {
    "拍卖（公开转让）": "委托县公共资源交易中心公开拍卖，以评估值为保留价，所得收入全额上缴国库。",
    "调剂": "无偿调剂给{receiver}，用作便民服务中心办公设备，由双方办理交接并调整账卡。",
    "出租出借": "通过县公共资源交易中心公开招租，租期三年，租金收入全额上缴国库。",
    "报废": "按报废程序交有资质的回收单位处置，残值收入上缴国库。",
    "无偿划转": "按县政府统筹安排，无偿划转{receiver}，用作便民服务中心，由双方办理交接并调整账卡。",
    "委托运营": "经公开遴选委托专业机构运营，运营期五年，年运营费上缴国库。",
    "功能转型": "改造为社区老年助餐点，由本单位组织实施并验收。",
    "作价入股": "以评估值作价入股县属文旅公司，持股比例按出资额确定。",
    "协议有偿收回（政府收储）": "经协商一致，由县土地储备中心协议有偿收回，补偿款按评估结果支付。",
    "特许经营": "通过公开招标选定特许经营者，经营期限十年，特许经营费上缴国库。",
    "开放共享": "接入四川省大型科学仪器设备共享平台，面向社会开放共享。",
    "置换": "以该资产置换县属企业的临街门面，差价按双方评估值之差由对方支付，换入资产登记入账。",
    "延长动工期限": "受地质灾害治理影响，报县自然资源局批准延长动工期限六个月。",
    "安排临时使用": "在土地再开发前安排临时农贸集市使用一年，使用费上缴国库。",
}
# The later methods' fields as document_context prints them (execution_rows: label, text), per kind.
EXECUTION_ROWS = {
    "allocation_notice": [("划转依据（批复文号）", "茂府函〔{year}〕{n}号"), ("交接日期", "{day}"),
                          ("交接清单", "房屋1栋及钥匙、图纸资料，经双方清点无误。")],
    "operation_filing": [("运营方", "茂县羌韵文旅运营有限公司"), ("遴选方式", "公开遴选"), ("运营期限起", "{day}"),
                         ("运营期限止", "{end}"), ("年运营费（元）", "{fee} 元"), ("合同编号", "茂运〔{year}〕{n}号")],
    "conversion_filing": [("新用途", "社区老年助餐点"), ("改造内容", "一层改造为餐厅和备餐间，增设无障碍通道。"),
                          ("改造费用（元）", "{fee} 元"), ("验收日期", "{day}"),
                          ("验收意见", "经验收，工程质量合格，同意投入使用。")],
    "investment_filing": [("评估报告编号", "川华评报〔{year}〕第{n:04d}号"), ("评估值（元）", "{fee} 元"),
                          ("被投资企业", "茂县羌山文旅投资有限公司"),
                          ("被投资企业统一社会信用代码", "91513223MA6BRXTR7X"), ("入股作价（元）", "{fee} 元"),
                          ("持股比例（%）", "12.50"), ("成交日期", "{day}")],
    "land_recovery": [("收回协议编号", "茂储协〔{year}〕{n}号"), ("补偿金额（元）", "{fee} 元"), ("交接日期", "{day}"),
                      ("交接清单", "宗地界址点成果表、土地证原件，经双方核对无误。")],
    "concession_filing": [("特许经营者", "阿坝州九顶山旅游开发有限公司"), ("选定方式", "公开招标"),
                          ("经营期限起", "{day}"), ("经营期限止", "{end}"), ("特许经营费（元）", "{fee} 元"),
                          ("合同编号", "茂特许〔{year}〕{n}号")],
    "sharing_filing": [("共享平台", "四川省大型科学仪器设备共享平台"), ("开放共享日期", "{day}"),
                       ("收费标准", "按省平台指导价，每机时300元"), ("管理责任人", "何军")],
    "exchange_filing": [("置换对方", "茂县羌城置业有限公司"), ("换入资产名称", "凤仪镇南街临街门面"),
                        ("换入资产评估值（元）", "{fee} 元"), ("换入资产编号", "MX-ZH-{year}-{n:04d}"),
                        ("差价收入（元）", "{fee} 元"), ("置换日期", "{day}")],
    "start_extension": [("土地使用权人", "茂县岷江建材有限公司"), ("原约定动工日期", "{day}"),
                        ("新的动工期限", "{end}"), ("延期批准文号", "茂自然资函〔{year}〕{n}号"),
                        ("延期原因", "受地质灾害治理影响，经批准延期动工。")],
    "temporary_use_filing": [("临时使用人", "茂县凤仪镇农贸市场服务中心"), ("临时用途", "临时农贸集市"),
                             ("临时使用期限起", "{day}"), ("临时使用期限止", "{end}"), ("临时使用费（元）", "{fee} 元"),
                             ("临时使用协议编号", "茂临〔{year}〕{n}号")],
    # A contract's end (contracts.endings), as its service prints it.
    "contract_return": [("合同编号", "茂租〔{year}〕{n}号（第1版）"), ("合同相对方", "茂县兴茂商贸有限公司"),
                        ("合同期限", "{day}至{end}"), ("收回交接日期", "{end}"),
                        ("资产状况", "房屋结构完好，墙面轻微污损，钥匙已交回。"), ("收回后使用状况", "再度闲置"),
                        ("闲置原因", "承租方退租后暂无新的承租意向。")],
    "contract_termination": [("合同编号", "茂租〔{year}〕{n}号（第1版）"), ("合同相对方", "茂县兴茂商贸有限公司"),
                             ("终止日期", "{day}"), ("终止原因", "承租方经营调整，双方协商一致提前解除合同。"),
                             ("结算金额", "{fee} 元"), ("保证金处理", "{fee} 元，退还"),
                             ("取消的应收期次", "第5期、第6期、第7期、第8期"), ("收回交接日期", "{day}"),
                             ("资产状况", "房屋完好。"), ("收回后使用状况", "收回后自用")],
    "contract_renewal": [("原合同", "茂租〔{year}〕{n}号（第1版）"), ("续签合同编号", "茂租〔{year}〕{n}号（第2版）"),
                         ("续签期限", "{day}至{end}"), ("付款周期", "按季"), ("年金额", "{fee} 元"),
                         ("保证金", "{fee} 元"), ("应收期数", "20期"),
                         ("续签理由", "承租方按期足额缴纳租金，续租五年。")],
}  # fmt: skip
TOWNS = ["凤仪镇", "南新镇", "叠溪镇", "土门镇"]
STREETS = ["南街", "北街", "岷江路", "羌兴路"]
PEOPLE = ["李晓红", "王建国", "赵刚", "刘芳", "张伟", "余晓梅", "马建华", "何军"]
EVENTS = [
    ("report", "申报", "holder", ""),
    ("submit", "单位签发", "holder", "情况属实，同意申报。"),
    ("verify", "核查认定", "verifier", "经现场核查，情况属实，认定为闲置资产。"),
    ("propose", "处置方案", "holder", ""),
    ("dept_review", "主管部门审核", "verifier", "方案可行，同意报财政局审批。"),
    ("finance_approve", "财政审批", "finance", "同意按方案处置，收入全额上缴国库。"),
    ("record_execution", "执行结果", "holder", ""),
    ("confirm_remittance", "收入上缴确认", "finance", "已核对非税收入缴款书。"),
    ("close", "销号", "finance", "同意销号。"),
]
EVENTS_UP_TO = {"submit": 2, "verify": 3, "approve": 6, "execute": 7, "close": 9}
EXECUTION_FIELDS = [
    "handover_on", "handover_list", "reserve_rent", "tender_result", "lessee", "lease_starts_on", "lease_ends_on",
    "annual_rent", "deposit", "contract_no", "appraisal_report_no", "appraisal_value", "appraisal_date", "venue",
    "reserve_price", "winning_bid", "buyer", "deal_on", "technical_appraisal", "early_scrap_explanation", "recycler",
    "residual_value",
]  # fmt: skip
EXECUTION_TEXT = {
    "handover_list", "tender_result", "lessee", "contract_no", "appraisal_report_no", "venue", "buyer",
    "technical_appraisal", "early_scrap_explanation", "recycler",
}  # fmt: skip
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _money(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.2f}"


def _day(base: datetime.date, days: int) -> str:
    return (base + datetime.timedelta(days=days)).isoformat()


def document_context(kind: str, rng: random.Random, *, case_id: int) -> tuple[dict, list[str]]:
    """A frozen context as `workflows.services.document_context` gives it at the kind's step, and the names of the
    organizations that sign (in order), with the figures and names varied by `rng`."""
    scenario = SCENARIOS[kind]
    step, method = scenario["step"], scenario["method"]
    name, category, subtype, area_range, value_range = rng.choice(scenario["assets"])
    holder = rng.choice(HOLDERS)
    verifier = "茂县机关事务管理局" if category == "通用设备" else "茂县住房和城乡建设局"
    receiver = rng.choice([h for h in HOLDERS if h != holder and "政府" in h])
    original = rng.uniform(*value_range)
    acquired = datetime.date(rng.randint(1998, 2016), rng.randint(1, 12), rng.randint(1, 28))
    idle = datetime.date(rng.randint(2021, 2024), rng.randint(1, 12), 1)
    day = datetime.date(2026, rng.randint(3, 11), rng.randint(1, 20))
    due = _money(rng, original * 0.4, original * 0.9)
    closing = kind in ("deal_confirmation", "closure")
    context = {
        "case_id": case_id,
        "step": step,
        "state": {"submit": "已申报", "verify": "已认定", "approve": "方案已批复", "close": "已销号"}.get(
            step, "执行中"
        ),
        "asset": {
            "code": f"MX-{rng.choice(['FW', 'TD', 'SB'])}-{acquired.year}-{rng.randint(1, 9999):04d}",
            "name": name,
            "category": category,
            "subtype": subtype,
            "original_value": f"{original:.2f}",
            "net_value": f"{original * rng.uniform(0.05, 0.8):.2f}",
            "area_m2": f"{rng.uniform(*area_range):.2f}" if area_range else "",
            "address": f"茂县{rng.choice(TOWNS)}{rng.choice(STREETS)}{rng.randint(1, 300)}号",
            "acquired_on": acquired.isoformat(),
            "idle_since": idle.isoformat(),
        },
        "holding_unit": holder,
        "verifying_department": verifier,
        "basis": rng.choice(["闲置", "低效"]),
        "statement": rng.choice(STATEMENTS).format(year=idle.year),
        "verification_opinion": rng.choice(OPINIONS) if step != "submit" else "",
        "method": method,
        "plan_summary": PLANS.get(method, "").format(receiver=receiver),
        "justification": "单位无使用计划，维护费用逐年增加。" if method else "",
        "receiving_unit": receiver if kind in TWO_SIGNERS else "",
        "routing": {
            "item_value": f"{original:.2f}",
            "batch_value": f"{original:.2f}",
            "batch_window_days": 90,
            "rules": [{"id": 3, "name": "房屋、土地处置须报财政审批", "version": 2, "requires_finance": True}]
            if category in ("房屋", "土地")
            else [],
            "needs_finance": category in ("房屋", "土地"),
            "needs_collective_decision": original >= 1_000_000,
        },
        "amounts": {
            "due": due if closing else "",
            "received": due if closing else "",
            "fees": "0.00",
            "remitted": due if kind == "closure" else "",
            "receipt_no": f"川非税({day.year}){rng.randint(1, 9999999):07d}" if kind == "closure" else "",
        },
    }
    who = {"holder": holder, "verifier": verifier, "finance": FINANCE}
    context["events"] = [
        {
            "action": action,
            "label": label,
            "at": datetime.datetime.combine(
                day - datetime.timedelta(days=3 * (EVENTS_UP_TO[step] - i)), datetime.time(9 + i % 8, i * 7 % 60)
            )
            .replace(tzinfo=SHANGHAI)
            .isoformat(timespec="seconds"),
            "actor": rng.choice(PEOPLE),
            "acting_for": rng.choice(PEOPLE) if action == "finance_approve" and rng.random() < 0.3 else "",
            "organization": who[role],
            "opinion": opinion,
        }
        for i, (action, label, role, opinion) in enumerate(EVENTS[: EVENTS_UP_TO[step]])
    ]
    if step in ("execute", "close"):
        # What _jsonable makes of an ExecutionRecord: text fields "" when empty, dates and amounts null.
        execution = {key: "" if key in EXECUTION_TEXT else None for key in EXECUTION_FIELDS}
        if kind == "transfer_order":
            execution |= {
                "handover_on": _day(day, -2),
                "handover_list": f"{name}{rng.randint(2, 40)}台及随机资料，经双方清点无误。",
            }
        elif kind == "lease_filing":
            rent = rng.uniform(3e4, 2e5)
            execution |= {
                "reserve_rent": f"{rent:.2f}",
                "tender_result": f"经县公共资源交易中心公开招租，共{rng.randint(2, 5)}家报名，最高报价者竞得。",
                "lessee": rng.choice(["茂县兴茂商贸有限公司", "茂县羌韵餐饮有限公司", "阿坝州岷江物流有限公司"]),
                "lease_starts_on": _day(day, 10),
                "lease_ends_on": _day(day, 10 + 3 * 365),
                "annual_rent": f"{rent * rng.uniform(1.0, 1.3):.2f}",
                "deposit": f"{rent / 5:.2f}",
                "contract_no": f"茂租〔{day.year}〕{rng.randint(1, 30)}号",
            }
        elif kind == "scrap_form":
            execution |= {
                "technical_appraisal": "经县信息中心技术鉴定，主板老化、无维修价值，已达到报废条件。",
                "early_scrap_explanation": "雷击损坏，提前报废。" if rng.random() < 0.2 else "",
                "recycler": "茂县再生资源回收有限公司",
                "residual_value": _money(rng, 200, 5000),
            }
        elif closing:
            appraisal = float(due) / rng.uniform(1.0, 1.15)
            execution |= {
                "appraisal_report_no": f"川华评报〔{day.year}〕第{rng.randint(1, 999):04d}号",
                "appraisal_value": f"{appraisal:.2f}",
                "appraisal_date": _day(day, -45),
                "venue": "阿坝州公共资源交易中心",
                "reserve_price": f"{appraisal:.2f}",
                "winning_bid": due,
                "buyer": rng.choice(["阿坝州岷江实业有限公司", "茂县川羌农业开发有限公司", "汶川县顺达建材有限公司"]),
                "deal_on": _day(day, -5),
            }
        if kind in EXECUTION_ROWS:
            values = {
                "year": day.year, "n": rng.randint(1, 30), "day": f"{day.year}年{day.month}月{day.day}日",
                "end": f"{day.year + 5}年{day.month}月{day.day}日", "fee": f"{rng.uniform(2e4, 2e5):,.2f}",
            }  # fmt: skip
            rows = [{"label": label, "text": text.format(**values)} for label, text in EXECUTION_ROWS[kind]]
            context["execution_rows"] = context["execution_detail_rows"] = rows
        context["execution"] = execution
    signers = {
        "report_form": [holder],
        "verification_opinion": [verifier],
        "approval_form": [verifier, FINANCE],
        "transfer_order": [holder, receiver],
        "allocation_notice": [holder, receiver],
        "land_recovery": [holder, receiver],
        "closure": [FINANCE],
        "contract_renewal": [holder, verifier, FINANCE],  # the unit, the lead department, finance (its route)
    }.get(kind, [holder])
    return context, signers


# -- issuing one document -----------------------------------------------------------------------------------------


@dataclass
class Issued:
    kind: str
    render: float  # seconds
    sign: float  # seconds, all the document's signatures
    size: int  # bytes, signed
    signatures: int
    pdf: bytes = b""
    render_cpu: float = 0.0  # CPU-seconds of this thread while rendering


def bench_organizations() -> dict:
    """Unsaved organizations with pks: signing and pki_init use only their pk and name."""
    from assets.models import Organization

    return {
        name: Organization(pk=pk, name=name, short_name=short, kind=kind)
        for pk, (name, (short, kind)) in enumerate(ORGANIZATIONS.items(), start=1)
    }


class Issuer:
    """Numbers, renders and signs documents as `document_issue` does, minus the database and the storage."""

    def __init__(self, *, seed: int):
        self.organizations = bench_organizations()
        self.rng = random.Random(seed)
        self.counter = 0
        self.site = settings.PANHUO["SITE_URL"].rstrip("/")

    def arguments(self, kind: str) -> dict:
        from documents.services import content_digest

        self.counter += 1
        context, signers = document_context(kind, self.rng, case_id=1000 + self.counter)
        issuer = self.organizations[signers[0]]
        issued_at = datetime.datetime(2026, 11, 21, 10, 15, tzinfo=SHANGHAI) + datetime.timedelta(minutes=self.counter)
        return {
            "kind": kind,
            "context": context,
            "number": f"{issuer.short_name}盘〔{issued_at.year}〕{self.counter}号",
            "verify_url": f"{self.site}/verify/{uuid.UUID(int=self.rng.getrandbits(128), version=4)}/",
            "content_sha256": content_digest(context),
            "issued_at": issued_at,
            "signers": signers,
        }

    def issue(self, kind: str, *, keep: bool = False, profile: dict | None = None) -> Issued:
        from documents.render import render_document
        from documents.signing import sign_pdf

        args = self.arguments(kind)
        started, cpu_started = time.perf_counter(), time.thread_time()
        with _profiled(profile, "render"):
            rendered = render_document(**args)
        rendered_at, render_cpu = time.perf_counter(), time.thread_time() - cpu_started
        pdf = rendered.pdf
        with _profiled(profile, "sign"):
            for index, name in enumerate(args["signers"], start=1):
                page, box = rendered.boxes.get(f"sig-{index}", (0, None))
                pdf = sign_pdf(
                    pdf,
                    organization=self.organizations[name],
                    field_name=f"sig{index}",
                    page=page,
                    box=box,
                    reason=f"{KIND_TITLES[kind]} {args['number']}",
                )
        done = time.perf_counter()
        return Issued(
            kind,
            rendered_at - started,
            done - rendered_at,
            len(pdf),
            len(args["signers"]),
            pdf if keep else b"",
            render_cpu,
        )


@contextlib.contextmanager
def _profiled(profile: dict | None, phase: str) -> Iterator[None]:
    if profile is None:
        yield
        return
    profiler = profile.setdefault(phase, cProfile.Profile())
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


@contextlib.contextmanager
def temporary_pki() -> Iterator[Path]:
    """A CA and a certificate per bench organization in a folder of their own, removed afterwards."""
    from documents.signing import pki_init

    folder = Path(tempfile.mkdtemp(prefix="panhuo-bench-pki-"))
    try:
        with override_settings(PANHUO_PKI_DIR=folder):
            pki_init(organizations=bench_organizations().values())
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- measuring --------------------------------------------------------------------------------------------------------


def median_ms(seconds: list[float]) -> float:
    return 1000 * statistics.median(seconds) if seconds else 0.0


def p95_ms(seconds: list[float]) -> float:
    s = sorted(seconds)
    return 1000 * s[max(0, ceil(0.95 * len(s)) - 1)] if s else 0.0


@dataclass
class KindTiming:
    kind: str
    signatures: int = 0
    render: list[float] = field(default_factory=list)
    render_cpu: list[float] = field(default_factory=list)
    sign: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    pages: int = 0
    verdict: str = ""

    @property
    def size_kb(self) -> float:
        return statistics.median(self.sizes) / 1024


def _pages(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])


def measure_kinds(issuer: Issuer, *, samples: int, warmup: int, profile: dict | None = None) -> list[KindTiming]:
    from documents.signing import verify_pdf

    out = []
    for kind in KINDS:
        timing = KindTiming(kind)
        for _ in range(warmup):
            issuer.issue(kind)
        for n in range(samples):
            issued = issuer.issue(kind, keep=n == samples - 1, profile=profile)
            timing.signatures = issued.signatures
            timing.render.append(issued.render)
            timing.render_cpu.append(issued.render_cpu)
            timing.sign.append(issued.sign)
            timing.total.append(issued.render + issued.sign)
            timing.sizes.append(issued.size)
        # The last one is checked: a fast benchmark of broken output would be worthless.
        timing.pages = _pages(issued.pdf)
        timing.verdict = verify_pdf(issued.pdf).code
        out.append(timing)
    return out


@dataclass
class Throughput:
    processes: int
    documents: int
    seconds: float
    warmup: list[float]  # seconds each worker took to start and warm up (not counted)
    per_document: list[float]  # render + sign inside the workers
    per_process: dict[int, int]  # pid → documents done

    @property
    def rate(self) -> float:
        return self.documents / self.seconds


def _freeze() -> None:
    """What a warmed-up worker could do (the application does not, yet): move everything alive now (Django, WeasyPrint,
    pyHanko, fonts, templates: ~150,000 objects) out of the collector's reach, so its full collections, which
    otherwise come every ~10 documents and cost ~50–90 ms each, only walk what the documents leave behind."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def _unfrozen_afterwards() -> Iterator[None]:
    try:
        yield
    finally:
        gc.unfreeze()  # the heap back under the collector (a no-op without --gc-freeze)


# What a worker process keeps between tasks.
_worker: Issuer | None = None


def _worker_start(settings_module: str, pki: str, seed: int, gc_freeze: bool, ready) -> None:
    """Runs first in every spawned worker: Django, the bench PKI, then one document of each kind (the renderer's
    fonts, the templates, the signers and their seals), before the parent starts the clock."""
    global _worker
    started = time.perf_counter()
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
        import django

        django.setup()
        override_settings(PANHUO_PKI_DIR=Path(pki)).enable()  # for the life of this throwaway process
        _worker = Issuer(seed=seed)
        for kind in KINDS:
            _worker.issue(kind)
        if gc_freeze:
            _freeze()
    except BaseException:
        ready.put((os.getpid(), None, traceback.format_exc(limit=-8)))  # the parent gives up and says why
        raise
    ready.put((os.getpid(), time.perf_counter() - started, ""))


def _worker_issue(index: int) -> tuple[int, float]:
    issued = _worker.issue(KINDS[index % len(KINDS)])
    return os.getpid(), issued.render + issued.sign


def measure_throughput(*, processes: int, documents: int, pki: Path, seed: int, gc_freeze: bool = False) -> Throughput:
    """`documents` documents, the kinds in turn, through a spawn pool of warmed-up workers; the clock runs from
    handing out the first to receiving the last."""
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    args = (settings.SETTINGS_MODULE, str(pki), seed, gc_freeze, ready)
    with context.Pool(processes, initializer=_worker_start, initargs=args) as pool:
        warmup = []
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while len(warmup) < processes:
            try:
                pid, seconds, error = ready.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty as exc:
                raise RuntimeError(f"bench: {processes - len(warmup)} worker(s) did not start in time") from exc
            if seconds is None:
                raise RuntimeError(f"bench: worker {pid} failed to warm up:\n{error}")
            warmup.append(seconds)
        started = time.perf_counter()
        results = pool.map(_worker_issue, range(documents), chunksize=1)
        seconds = time.perf_counter() - started
    per_process: dict[int, int] = {}
    for pid, _ in results:
        per_process[pid] = per_process.get(pid, 0) + 1
    return Throughput(processes, documents, seconds, warmup, [s for _, s in results], per_process)


# -- the run ------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    samples: int
    warmup: int
    kinds: list[KindTiming]
    pools: list[Throughput]
    load: list[float]
    first_document: float  # seconds: renderer set-up (fonts) and first signatures, in this process
    queries: int
    versions: str
    pki: str
    gc_freeze: bool = False
    organizations: int = len(ORGANIZATIONS)
    profile: str = ""

    def all_totals(self) -> list[float]:
        return [s for k in self.kinds for s in k.total]

    def all_render_cpu(self) -> list[float]:
        return [s for k in self.kinds for s in k.render_cpu]


def _versions() -> str:
    from importlib.metadata import version

    return (
        f"WeasyPrint {version('weasyprint')}, pydyf {version('pydyf')}, pyHanko {version('pyhanko')}, "
        f"Python {platform.python_version()}"
    )


def _profile_text(profiles: dict, top: int) -> str:
    out = []
    for phase, profiler in profiles.items():
        for order in ("cumulative", "tottime"):
            buffer = io.StringIO()
            stats = pstats.Stats(profiler, stream=buffer)
            stats.strip_dirs().sort_stats(order).print_stats(top)
            text = buffer.getvalue()
            body = text[text.find("   ncalls") :] if "   ncalls" in text else text
            out.append(f"-- {phase}, by {order} time (all kinds, timed documents) --\n{body.rstrip()}")
    return "\n\n".join(out)


def run(
    *,
    samples: int,
    warmup: int,
    documents: int,
    processes: list[int],
    seed: int,
    profile: int,
    log: Callable[[str], None],
    gc_freeze: bool = False,
) -> Result:
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    load = [os.getloadavg()[0]]
    profiles: dict | None = {} if profile else None
    with connection.execute_wrapper(count), temporary_pki() as pki, _unfrozen_afterwards():
        issuer = Issuer(seed=seed)
        started = time.perf_counter()
        issuer.issue(KINDS[0])
        first = time.perf_counter() - started
        if gc_freeze:
            for kind in KINDS:
                issuer.issue(kind)
            _freeze()
        log(f"rendering and signing {len(KINDS)} kinds × {samples} documents…")
        kinds = measure_kinds(issuer, samples=samples, warmup=warmup, profile=profiles)
        load.append(os.getloadavg()[0])
        pools = []
        for n in processes:
            log(f"{documents} documents through {n} worker process(es)…")
            pools.append(
                measure_throughput(processes=n, documents=documents, pki=pki, seed=seed + n, gc_freeze=gc_freeze)
            )
            load.append(os.getloadavg()[0])
    return Result(
        samples=samples,
        warmup=warmup,
        kinds=kinds,
        pools=pools,
        load=load,
        first_document=first,
        queries=queries,
        versions=_versions(),
        pki=str(pki),
        gc_freeze=gc_freeze,
        profile=_profile_text(profiles, profile) if profiles else "",
    )
