"""The demo county's cases: for every 盘活方式 one case closed (已销号) and one on its way, made as its users make them.

Each case is walked through the task pages by the demo county's own users (a test client signed in as each in turn,
posting the forms the browser posts), on working days one after the other, with the clock moved to each day: the 调剂
window is waited out, and every document is issued and signed on the day of its step (the jobs run in-process). The
methods are the registry's (workflows.methods); what each one's forms are filled with is SCENARIOS below. Running it
again adds only a missing case: a method that already has a closed case and an open one gets nothing."""

import datetime
import functools
import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import time_machine
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import (
    HOLDING_KINDS,
    Asset,
    AssetStatus,
    AttachmentKind,
    Organization,
    OrganizationKind,
    Role,
    UsageStatus,
    User,
)
from workflows import methods
from workflows.calendar import add_working_days, is_workday
from workflows.flows import DisposalFlow
from workflows.models import Basis, CaseState, DisposalCase, Policy, methods_for_asset
from workflows.permissions import parse_role_key

from .county import OrgSpec, credit_code_for

BEIJING = ZoneInfo("Asia/Shanghai")
# The closed cases are reported from this many days ago, a day or two apart, so that all have closed by today;
# the open ones a month ago, so that they stand at their step now.
CLOSED_FROM_DAYS = 75
OPEN_FROM_DAYS = 34
# Steps an open case may wait at, once its plan is submitted (so its method is known): every path passes these, and
# the methods with a receiving unit or money pass their own (MORE_STOPS).
STOPS = ("dept_review", "execute", "close")
FINISHED = (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN)
# And cases before their plan, so that the county shows every state of the path: 待签发 (at 签发), 待核查认定 (at
# 核查认定) and 已认定 (its plan still to draft, the 调剂 window open), by the step each waits at. Their method is not
# chosen yet; their assets are ones a 调剂 fits, as any verified asset stands on the board.
EARLY_STOPS = {"sign_off": CaseState.DRAFT, "verify": CaseState.SUBMITTED, "plan": CaseState.VERIFIED}
EARLY_METHOD = "reallocate"
EARLY_FROM_WORKING_DAYS = 3  # reported this many working days back (and one more per later step): 春节 or not
LIVE_TASK = (STATUS.NEW, STATUS.ASSIGNED)


# -- what each method's forms are filled with ----------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """What a scenario's values are made of: the asset, the day it was reported (the plan's terms are fixed from it,
    so that the execution repeats them exactly), the day of the step, and a number for the case's documents."""

    asset: Asset
    reported_on: datetime.date
    today: datetime.date
    serial: int

    @property
    def year(self) -> int:
        return self.today.year

    @property
    def area(self) -> Decimal:
        return self.asset.area_m2 or Decimal(100)


def _yuan(value, step: int = 100) -> str:
    """A sum as a county books it: to the hundred yuan (or `step`)."""
    rounded = (Decimal(value) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return str(max(rounded, Decimal(step)))


def _appraisal(s: Story) -> dict:
    # An appraisal made a few weeks before the report, valid for a year (Policy.appraisal_validity_days).
    value = max(s.asset.net_value, s.asset.original_value * Decimal("0.3"))
    return {
        "appraisal_report_no": f"川华评报字〔{s.reported_on.year}〕第{300 + s.serial:04d}号",
        "appraisal_value": _yuan(value),
        "appraisal_date": (s.reported_on - datetime.timedelta(days=24)).isoformat(),
    }


def _credit_code(name: str) -> str:
    return credit_code_for(OrgSpec(name, "", OrganizationKind.STATE_ENTERPRISE, ""))


def _receipt(s: Story, amount: str) -> dict:
    """收支两条线: what was received, the fees and what was paid into the treasury, with the 缴款凭证号."""
    return {"received": amount, "fees": "0", "remitted": amount, "receipt_no": f"川财缴{s.year}-{800 + s.serial:05d}"}


def _lease_terms(s: Story) -> dict:
    rent = s.area * Decimal("8.5") * 12  # 元/㎡·月
    starts = s.reported_on + relativedelta(months=2, day=1)
    return {"lease_procedure": "公开招租", "reserve_rent": _yuan(rent), "lease_starts_on": starts.isoformat(),
            "lease_ends_on": (starts + relativedelta(years=3, days=-1)).isoformat()}  # fmt: skip


def _lease(s: Story) -> dict:
    terms = _lease_terms(s)
    rent = _yuan(Decimal(terms["reserve_rent"]) * Decimal("1.08"))
    return {**terms, "tender_result": "经茂县公共资源交易中心公开招租，3家竞租", "lessee": "茂县羌韵餐饮有限公司",
            "annual_rent": rent, "deposit": _yuan(Decimal(rent) / 4), "contract_no": f"MXZL-{s.year}-{s.serial:03d}",
            **_receipt(s, rent)}  # fmt: skip


def _auction_terms(s: Story) -> dict:
    appraisal = _appraisal(s)
    return {**appraisal, "reserve_price": appraisal["appraisal_value"]}


def _auction(s: Story) -> dict:
    terms = _auction_terms(s)
    bid = _yuan(Decimal(terms["reserve_price"]) * Decimal("1.12"))
    return {**terms, "venue": "茂县公共资源交易中心", "winning_bid": bid, "buyer": "阿坝州岷山物资回收有限公司",
            "deal_on": s.today.isoformat(), **_receipt(s, bid)}  # fmt: skip


def _scrap(s: Story) -> dict:
    residual = _yuan(s.asset.original_value * Decimal("0.02"), 10)
    return {"recycler": "茂县再生资源回收有限公司", "residual_value": residual, **_receipt(s, residual)}


def _handover(s: Story) -> dict:
    return {"handover_on": s.today.isoformat(), "handover_list": f"{s.asset.name}及其档案资料、钥匙"}


def _transfer_terms(s: Story) -> dict:
    return {"transfer_basis": f"茂府函〔{s.reported_on.year}〕{20 + s.serial}号"}


def _operation_terms(s: Story) -> dict:
    starts = s.reported_on + relativedelta(months=2, day=1)
    return {"selection": "公开遴选", "ops_starts_on": starts.isoformat(),
            "ops_ends_on": (starts + relativedelta(years=5, days=-1)).isoformat()}  # fmt: skip


def _operation(s: Story) -> dict:
    fee = _yuan(s.area * Decimal("60"))
    return {**_operation_terms(s), "operator": "茂县羌韵文旅运营有限公司", "annual_fee": fee, "revenue_share": "",
            "contract_no": f"茂运〔{s.year}〕{s.serial}号", **_receipt(s, fee)}  # fmt: skip


def _conversion(s: Story) -> dict:
    accepted = s.today - datetime.timedelta(days=1)  # 验收 the day before it is recorded
    return {"new_use": "社区老年助餐点", "works": "一层改造为助餐厅和备餐间，增设无障碍坡道和扶手",
            "works_cost": _yuan(s.area * Decimal("350")), "accepted_on": accepted.isoformat(),
            "acceptance_record": "工程质量合格，消防和食品安全条件符合要求，同意投入使用"}  # fmt: skip


INVESTEE = "茂县羌山文旅投资有限公司"


def _investment(s: Story) -> dict:
    terms = {**_appraisal(s), "investee": INVESTEE}
    return {**terms, "investee_credit_code": _credit_code(INVESTEE), "equity_value": terms["appraisal_value"],
            "share_percent": "12.50", "deal_on": s.today.isoformat()}  # fmt: skip


COUNTERPARTY = "茂县羌城置业有限公司"


def _exchange_terms(s: Story) -> dict:
    appraisal = _appraisal(s)
    received = _yuan(Decimal(appraisal["appraisal_value"]) * Decimal("0.92"))
    return {**appraisal, "counterparty": COUNTERPARTY, "received_asset": "凤仪镇南街临街门面",
            "received_value": received}  # fmt: skip


def _exchange(s: Story) -> dict:
    terms = _exchange_terms(s)
    difference = str(Decimal(terms["appraisal_value"]) - Decimal(terms["received_value"]))
    return {
        **terms, "counterparty_credit_code": _credit_code(COUNTERPARTY), "received_location": "茂县凤仪镇南街56号",
        "received_area": "420", "received_appraisal_no": f"川华评报字〔{s.reported_on.year}〕第{600 + s.serial:04d}号",
        "received_appraisal_date": (s.reported_on - datetime.timedelta(days=20)).isoformat(),
        "received_code": f"{s.asset.code}-ZH", "difference_received": difference, "difference_paid": "",
        "difference_note": "", "deal_on": s.today.isoformat(), **_receipt(s, difference),
    }  # fmt: skip


def _recovery_terms(s: Story) -> dict:
    return {
        "agreement_no": f"茂储协〔{s.reported_on.year}〕{s.serial}号",
        "compensation": _yuan(s.asset.original_value),
    }


def _extension_terms(s: Story) -> dict:
    return {"new_start_on": (s.reported_on + datetime.timedelta(days=240)).isoformat()}


def _extension(s: Story) -> dict:
    return {**_extension_terms(s), "land_user": "茂县岷江建材有限公司",
            "agreed_start_on": (s.reported_on - datetime.timedelta(days=200)).isoformat(),
            "extension_approval_no": f"茂自然资函〔{s.year}〕{s.serial}号",
            "extension_reason": "受地质灾害隐患治理影响，经批准延期动工"}  # fmt: skip


def _temporary_terms(s: Story) -> dict:
    starts = s.reported_on + relativedelta(months=2, day=1)
    return {"temporary_user": "茂县凤仪镇农贸市场服务中心", "temporary_starts_on": starts.isoformat(),
            "temporary_ends_on": (starts + relativedelta(months=6, days=-1)).isoformat()}  # fmt: skip


def _temporary(s: Story) -> dict:
    fee = _yuan(s.area * Decimal("1.5"))
    return {**_temporary_terms(s), "temporary_purpose": "临时农贸集市和停车场", "temporary_fee": fee,
            "contract_no": f"茂临〔{s.year}〕{s.serial}号", **_receipt(s, fee)}  # fmt: skip


def _concession_terms(s: Story) -> dict:
    starts = s.reported_on + relativedelta(months=2, day=1)
    return {"procedure": "公开招标", "concession_starts_on": starts.isoformat(),
            "concession_ends_on": (starts + relativedelta(years=10, days=-1)).isoformat()}  # fmt: skip


def _concession(s: Story) -> dict:
    fee = _yuan(s.asset.original_value * Decimal("0.04"))
    return {**_concession_terms(s), "concessionaire": "阿坝州九顶山旅游开发有限公司", "concession_fee": fee,
            "contract_no": f"茂特许〔{s.year}〕{s.serial}号", **_receipt(s, fee)}  # fmt: skip


def _sharing(s: Story) -> dict:
    return {"platform": "四川省大型科学仪器设备共享平台", "sharing_starts_on": s.today.isoformat(),
            "fee_standard": "每机时300元", "custodian": s.asset.responsible_person or "何军"}  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    summary: str
    plan: Callable[[Story], dict]  # the plan's terms (and what the plan form asks of the method)
    execute: Callable[[Story], dict]  # the execution form, money included; the evidence is the method's own
    receivers: tuple[str, ...] = ()  # the receiving unit, by name: the first that is not the holder itself


def _nothing(s: Story) -> dict:
    return {}


TOWNS = ("茂县凤仪镇人民政府", "茂县南新镇人民政府", "茂县沙坝镇人民政府")
SCENARIOS = {
    "reallocate": Scenario("调剂给申请单位使用", _nothing, _handover, ("茂县叠溪镇卫生院", "茂县南新镇中心小学")),
    "lease": Scenario("整体公开招租", _lease_terms, _lease),
    "auction": Scenario("委托公共资源交易中心公开拍卖，收入上缴国库", _auction_terms, _auction),
    "scrap": Scenario("已超最低使用年限，报废后交由再生资源公司回收", _nothing, _scrap),
    "free_transfer": Scenario(
        "按县政府统筹安排无偿划转属地镇人民政府",
        _transfer_terms,
        lambda s: {**_transfer_terms(s), **_handover(s)},
        TOWNS,
    ),
    "entrusted_ops": Scenario("公开遴选专业机构委托运营五年", _operation_terms, _operation),
    "conversion": Scenario("微改造为社区老年助餐点", lambda s: {"new_use": "社区老年助餐点"}, _conversion),
    "equity_invest": Scenario(
        f"经评估作价入股{INVESTEE}", lambda s: {**_appraisal(s), "investee": INVESTEE}, _investment
    ),
    "exchange": Scenario("与茂县羌城置业有限公司置换临街门面", _exchange_terms, _exchange),
    "land_recovery": Scenario(
        "协议有偿收回，纳入政府收储",
        _recovery_terms,
        lambda s: {**_recovery_terms(s), **_handover(s), "handover_list": "宗地界址点成果表、不动产权证书原件"},
        ("茂县土地储备中心",),
    ),
    "extend_start": Scenario("经批准延长动工期限", _extension_terms, _extension),
    "temporary_use": Scenario("安排临时使用，作为农贸集市和停车场", _temporary_terms, _temporary),
    "concession": Scenario("公开招标特许经营十年", _concession_terms, _concession),
    "open_sharing": Scenario(
        "接入省级科研仪器共享平台，开放共享", lambda s: {"platform": "四川省大型科学仪器设备共享平台"}, _sharing
    ),
}

STATEMENTS = {
    Basis.IDLE: "资产已连续停用，经单位集体研究无后续使用计划，申报认定为闲置资产。",
    Basis.LOW_EFFICIENCY: "资产长期利用不足，经单位集体研究拟调整盘活，申报认定为低效资产。",
    Basis.OVER_STANDARD: "资产超出配置标准，经单位集体研究拟盘活，申报认定为超标准配置资产。",
}
OPINIONS = {
    "sign_off": {"opinion": "情况属实，同意申报。"},
    "verify": {"decision": "verify", "opinion": "经现场核查，情况属实，予以认定。"},
    "dept_review": {"decision": "approve", "opinion": "方案符合规定，同意。"},
    "finance_approve": {"decision": "approve", "opinion": "同意按方案实施。"},
    "confirm_receipt": {"confirm": "on", "note": "已按交接清单接收，资产完好。"},
    "confirm_remittance": {"confirm": "on", "note": "已核对缴款凭证，款项已缴入国库。"},
    "close": {"confirm": "on", "note": "资料齐全，同意销号。"},
}


# -- the evidence files the users upload -----------------------------------------------------------------------------


@functools.cache
def _evidence_pdf() -> bytes:
    """One small, real PDF that says it stands in for the county's paper (the demo has no real 会议纪要 to upload)."""
    from weasyprint import HTML

    return HTML(
        string="<p style='font-family: Noto Sans CJK SC; font-size: 14pt'>演示数据附件：示例文件，非真实材料。</p>"
    ).write_pdf()


def _pdf(label: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{label}.pdf", _evidence_pdf(), content_type="application/pdf")


# -- choosing the assets -----------------------------------------------------------------------------------------------

BASIS_OF_USAGE = {
    UsageStatus.IDLE: Basis.IDLE,
    UsageStatus.LOW_EFFICIENCY: Basis.LOW_EFFICIENCY,
    UsageStatus.OVER_STANDARD: Basis.OVER_STANDARD,
}


def _fits(method: methods.Method, asset: Asset, receivers: tuple[str, ...]) -> bool:
    """Whether the method may be planned for the asset: offered for its category, sub-type and 原值 (data), its plan's
    rules on the asset and its unit (e.g. 作价入股 only by an institution or enterprise), not an early 报废, and a
    receiving unit that is not the holder."""
    if method.code not in {m.code for m in methods_for_asset(asset)}:
        return False
    if receivers and all(name == asset.holding_unit.name for name in receivers):
        return False
    probe = DisposalCase(asset=asset, holding_unit=asset.holding_unit, method=method.code)
    if not all(rule(probe) for rule in method.plan_conditions):
        return False
    # A method that asks a technical appraisal before the minimum service life (报废): the demo has none to attach.
    asks_appraisal = any(e.kind == AttachmentKind.TECHNICAL_APPRAISAL for e in method.evidence)
    return not (asks_appraisal and probe.scrapped_early())


def _candidates(day: datetime.date) -> list[Asset]:
    """Assets a unit could report on `day`: idle long enough (seed 000 一(三)1), low-efficiency or over standard,
    in use on the ledger, never in a case, verified by a department that is not their holder."""
    idle_months = Policy.current().idle_months
    rows = (
        Asset.objects.filter(status=AssetStatus.IN_USE, usage_status__in=list(BASIS_OF_USAGE), cases=None)
        .filter(holding_unit__kind__in=HOLDING_KINDS)
        .select_related("category", "subtype__category", "holding_unit")
        .order_by("code")
    )
    return [
        a
        for a in rows
        if a.usage_status != UsageStatus.IDLE or (a.idle_months(day) or 0) >= idle_months
        if a.lead_department.pk != a.holding_unit_id
    ]


def _assign_assets(wanted: dict[str, int], day: datetime.date) -> dict[str, list[Asset]]:
    """Assets for `wanted` cases of each method: the scarcest method chooses first, each preferring the assets whose
    ledger already plans that method (盘活方向), then by code; every unit keeps at least one asset to report."""
    pool = _candidates(day)
    fitting = {
        code: [a for a in pool if _fits(methods.get(code), a, SCENARIOS[code].receivers)]
        for code in wanted
        if wanted[code]
    }
    # Every unit keeps an asset of its own to report: its clerk can take one to 销号 in the browser (issue 13).
    left = Counter(a.holding_unit_id for a in pool)
    taken: set[int] = set()
    chosen: dict[str, list[Asset]] = {}
    for code in sorted(fitting, key=lambda c: (len(fitting[c]), methods.get(c).rank)):
        direction = methods.get(code).direction
        chosen[code] = []
        for asset in sorted(fitting[code], key=lambda a: (a.direction != direction, a.code)):
            if len(chosen[code]) == wanted[code]:
                break
            if asset.pk in taken or left[asset.holding_unit_id] <= 1:
                continue
            chosen[code].append(asset)
            taken.add(asset.pk)
            left[asset.holding_unit_id] -= 1
        if len(chosen[code]) < wanted[code]:
            raise RuntimeError(f"演示台账中没有足够的资产适用盘活方式“{methods.get(code).label}”。")
    return chosen


def walks_to_closing(count: int, *, first_day: datetime.date, client: Client, walk: type["Walk"] | None = None) -> list:
    """`count` cases to walk to 销号 (`bench lifecycle`): the methods in turn, each while the ledger still has an asset
    that fits it, reported over the first ten working days from `first_day`; each a `walk` (a Walk by default)."""
    walk = walk or Walk
    pool = _candidates(first_day)
    fitting = {m.code: [a for a in pool if _fits(m, a, SCENARIOS[m.code].receivers)] for m in methods.all_methods()}
    taken: set[int] = set()
    walks: list[Walk] = []
    day = _working_day_from(first_day)
    days = [day]
    for _ in range(9):
        days.append(add_working_days(days[-1], 1))
    while len(walks) < count:
        before = len(walks)
        for method in methods.all_methods():
            asset = next((a for a in fitting[method.code] if a.pk not in taken), None)
            if asset is None or len(walks) == count:
                continue
            taken.add(asset.pk)
            walks.append(walk(method, asset, len(walks) + 1, days[len(walks) % len(days)], None, client))
        if len(walks) == before:
            raise RuntimeError(f"演示台账中适用各盘活方式的资产只够 {len(walks)} 件事项，少于所需的 {count} 件。")
    return walks


# -- walking a case ----------------------------------------------------------------------------------------------------


def _at(day: datetime.date, minute_of_day: int) -> datetime.datetime:
    """A working hour of that Beijing day: 9:00 to 16:59."""
    minute = minute_of_day % (8 * 60)
    return datetime.datetime.combine(day, datetime.time(9 + minute // 60, minute % 60), tzinfo=BEIJING)


def _working_days_before(day: datetime.date, n: int) -> datetime.date:
    """The working day `n` working days before `day` (each step of a walk takes one)."""
    while n:
        day -= datetime.timedelta(days=1)
        n -= is_workday(day)
    return day


def _working_day_from(day: datetime.date) -> datetime.date:
    while not is_workday(day):
        day += datetime.timedelta(days=1)
    return day


def _errors(response) -> str:
    text = response.content.decode(errors="replace")
    start = text.find("ph-errorlist")
    return text[start : start + 600] if start >= 0 else text[:400]


@dataclass
class Walk:
    """One case on its way through the task pages: each call to `steps()` goes on to the next day it acts on."""

    method: methods.Method
    asset: Asset
    serial: int
    reported_on: datetime.date
    stop: str | None  # the step it waits at (an open case); None: to 销号
    client: Client
    case: DisposalCase | None = None
    log: list[str] = field(default_factory=list)

    def story(self) -> Story:
        return Story(asset=self.asset, reported_on=self.reported_on, today=timezone.localdate(), serial=self.serial)

    def post(self, user: User, path: str, data: dict) -> None:
        self.client.force_login(user)
        self.submit(path, data)

    def submit(self, path: str, data: dict) -> None:
        response = self.client.post(path, data)
        if response.status_code != 302:
            raise RuntimeError(
                f"演示事项“{self.asset.code} {self.method.label}”在 {path} 未能提交：{_errors(response)}"
            )

    def steps(self) -> Iterator[int]:
        """Acts, then yields how many working days pass before it acts again."""
        clerk = _user(Role.UNIT_CLERK, self.asset.holding_unit_id)
        basis = BASIS_OF_USAGE[self.asset.usage_status]
        self.post(clerk, reverse("cases:report", args=[self.asset.pk]), {
            "basis": basis, "statement": STATEMENTS[basis],
            "stop_statement": _pdf("停用说明"), "meeting_minutes": _pdf("会议纪要"),
        })  # fmt: skip
        self.case = DisposalCase.objects.filter(asset=self.asset).exclude(state__in=FINISHED).get()
        applied = False
        while True:
            yield 1
            task = self.open_task()
            if task is None:
                return
            node = task.flow_task
            if node.name == self.stop:
                return
            if node is DisposalFlow.plan:
                verified_on = timezone.localtime(DisposalCase.objects.get(pk=self.case.pk).verified_at).date()
                # 调剂优先 (seed 000 二(八)2): the asset stands on the board for the window; a unit short of it applies.
                receiver = self.receiver()
                if self.method.receiver and self.method.receiver.from_applicants and not applied:
                    self.apply(receiver)
                    applied = True
                    yield 2
                window = Policy.current().listing_window_days
                while timezone.localdate() <= verified_on + datetime.timedelta(days=window):
                    yield 1
            self.act(task)

    def open_task(self) -> Task | None:
        return (
            Task.objects.filter(process_id=self.case.pk, flow_task_type="HUMAN", status__in=LIVE_TASK)
            .order_by("pk")
            .first()
        )

    def receiver(self) -> Organization | None:
        if self.method.receiver is None:
            return None
        name = next(n for n in SCENARIOS[self.method.code].receivers if n != self.asset.holding_unit.name)
        return Organization.objects.get(name=name)

    def apply(self, unit: Organization) -> None:
        self.post(_user(Role.UNIT_CLERK, unit.pk), reverse("board:apply", args=[self.case.pk]),
                  {"reason": f"本单位{self.asset.name}缺口，申请调剂使用"})  # fmt: skip

    def act(self, task: Task) -> None:
        node = task.flow_task
        holder = task.owner or _holder(task)
        if task.owner_id is None:
            self.post(holder, node.reverse("assign", args=[self.case.pk, task.pk]), {})
        self.post(holder, node.reverse("execute", args=[self.case.pk, task.pk]), self.form(node.name))
        self.log.append(node.name)

    def form(self, step: str) -> dict:
        scenario, story = SCENARIOS[self.method.code], self.story()
        if step == "verify":
            return {**OPINIONS[step], "record": _pdf("核查记录")}
        if step in OPINIONS:
            return OPINIONS[step]
        if step == "plan":
            data = {"method": self.method.code, "summary": scenario.summary, "minutes": _pdf("会议纪要（集体决策）"),
                    **scenario.plan(story)}  # fmt: skip
            receiver = self.method.receiver
            if receiver:
                data["receiving_unit" if receiver.from_applicants else "named_unit"] = self.receiver().pk
            return data
        if step == "execute":
            files = {
                e.name: _pdf(e.label.removesuffix("（附件）"))
                for e in self.method.evidence
                if e.kind != AttachmentKind.TECHNICAL_APPRAISAL  # only an early scrap needs one (never in the demo)
            }
            return {**scenario.execute(story), **files}
        raise RuntimeError(f"演示事项“{self.asset.code}”停在了演示不办理的步骤“{step}”。")


def _user(role: str, organization_id: int) -> User:
    user = (
        User.objects.filter(organization_id=organization_id, groups__name=role, is_active=True).order_by("pk").first()
    )
    if user is None:
        raise RuntimeError(f"演示县的单位（编号 {organization_id}）没有{Role(role).label}。")
    return user


def _holder(task: Task) -> User:
    """Who does a task offered to a role of an organization: its first user in that role."""
    role, organization_id = parse_role_key(task.owner_permission)
    return _user(role, organization_id)


# -- the whole story ---------------------------------------------------------------------------------------------------


@dataclass
class CasesSummary:
    """What a run made: the methods the registry declares and the cases created (none when nothing was missing)."""

    methods: int = 0
    created: int = 0
    skipped: str = ""  # why no case was made, when none could be


def _missing() -> dict[str, tuple[bool, bool]]:
    """Per method: whether a closed case and an open one (its plan submitted, not yet closed) are missing."""
    missing = {}
    for method in methods.all_methods():
        if method.code not in SCENARIOS:
            raise RuntimeError(
                f"盘活方式“{method.label}”（{method.code}）还没有演示数据：请在 demo/cases.py 的 SCENARIOS 中补充。"
            )
        cases = DisposalCase.objects.filter(method=method.code)
        closed = cases.filter(state=CaseState.CLOSED).exists()
        on_its_way = cases.exclude(state__in=FINISHED).exists()
        missing[method.code] = (not closed, not on_its_way)
    return missing


def _missing_early() -> list[str]:
    """The steps before the plan at which no case of the county waits."""
    return [stop for stop, state in EARLY_STOPS.items() if not DisposalCase.objects.filter(state=state).exists()]


def _stops(method: methods.Method) -> tuple[str, ...]:
    more = ("confirm_receipt",) if method.receiver and method.receiver.confirms else ()
    return (*STOPS, *more, *(("confirm_remittance",) if method.earns_money else ()))


def _certificates_valid_from() -> datetime.datetime | None:
    """When the deployment's root certificate became valid, if it exists: a document signed before then would not
    verify, so the story must not start earlier."""
    from cryptography import x509

    from documents.signing import pki_dir

    candidates = [pki_dir() / "root.cert.pem", *pki_dir().glob("orgs/*/*.cert.pem")]
    found = [x509.load_pem_x509_certificate(p.read_bytes()).not_valid_before_utc for p in candidates if p.is_file()]
    return max(found) if found else None


@contextmanager
def _jobs_in_process():
    """Documents are issued by their Celery job right after each step commits, in this process (as in the embedded
    deployment), so each is signed on its step's day; the web process's periodic jobs stay off while the clock moves."""
    from celery import current_app as app  # the project's (config/celery.py), which demo sits below

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        with override_settings(PANHUO={**settings.PANHUO, "EMBEDDED_BEAT": False}):
            yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def demo_cases_load() -> CasesSummary:
    """Makes what is missing of one closed and one open case per method, each step on its own working day up to
    today. Not inside a transaction: each step commits as in the browser, and its document is issued after it."""
    summary = CasesSummary(methods=len(methods.all_methods()))
    missing, early = _missing(), _missing_early()
    if not early and not any(any(pair) for pair in missing.values()):
        return summary
    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=CLOSED_FROM_DAYS)
    starts_on = (
        first_day if any(closed for closed, _ in missing.values()) else today - datetime.timedelta(OPEN_FROM_DAYS)
    )
    valid_from = _certificates_valid_from()
    if valid_from is not None and valid_from.astimezone(BEIJING).date() >= starts_on:
        summary.skipped = (
            f"签名证书自{valid_from.astimezone(BEIJING):%Y-%m-%d}起有效，晚于演示事项的开始日期{starts_on}，"
            "在此之前签发的文书无法通过核验：未创建演示事项（删除 var/ 后重新运行 make run 可创建）。"
        )
        return summary
    wanted = {code: closed + on_way for code, (closed, on_way) in missing.items()}
    wanted[EARLY_METHOD] += len(early)
    assets = _assign_assets(wanted, first_day)
    client = Client(SERVER_NAME=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "testserver")
    walks: list[Walk] = []
    for index, method in enumerate(methods.all_methods()):
        pending = list(assets.get(method.code, []))
        need_closed, need_open = missing[method.code]
        if need_closed:
            day = _working_day_from(first_day + datetime.timedelta(days=2 * index))
            walks.append(Walk(method, pending.pop(0), 2 * index + 1, day, None, client))
        if need_open:
            day = _working_day_from(today - datetime.timedelta(days=OPEN_FROM_DAYS - index % 5))
            stops = _stops(method)
            walks.append(Walk(method, pending.pop(0), 2 * index + 2, day, stops[index % len(stops)], client))
        if method.code == EARLY_METHOD:
            for offset, stop in enumerate(early):
                day = _working_days_before(today, EARLY_FROM_WORKING_DAYS + list(EARLY_STOPS).index(stop))
                walks.append(Walk(method, pending.pop(0), 100 + offset, day, stop, client))
    with _jobs_in_process():
        walks_run(walks, until=timezone.now())
    summary.created = len(walks)
    return summary


def walks_run(walks: list[Walk], *, until: datetime.datetime) -> None:
    """Moves the clock from day to day and lets each case act on its days, in the order of the calendar."""
    order = itertools.count()
    queue: list[tuple[datetime.datetime, int, Walk, Iterator[int]]] = []
    for walk in walks:
        heapq.heappush(queue, (_at(walk.reported_on, 7 * walk.serial), next(order), walk, walk.steps()))
    with time_machine.travel(queue[0][0], tick=True) as traveller:
        while queue:
            when, _, walk, steps = heapq.heappop(queue)
            if when > until:
                continue  # its next step is not due yet: it waits there
            traveller.move_to(when)
            try:
                days = next(steps)
            except StopIteration:
                continue
            day = add_working_days(timezone.localdate(), days)
            heapq.heappush(queue, (_at(day, 7 * walk.serial + 37 * len(walk.log)), next(order), walk, steps))
