"""Cases built the way users build them: by calling the step services as the people who hold each step.

`case_at(state, asset, ...)` walks a case forward to `state` by the scrap path (one that needs no finance approval
below the county threshold), or by the lease or auction path for a building, its 认定 a 调剂 window ago so that the
plan may follow (调剂优先); the tests that care
about a step call its service themselves. Assets come from `tests.ledgers` (imported by their unit's clerk)."""

import datetime
from contextlib import contextmanager, nullcontext
from decimal import Decimal

import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from assets.models import AssetAttachment, AttachmentKind
from documents.models import Document, DocumentStatus
from documents.services import document_issue, documents_of
from workflows.models import CaseState, DisposalCase, Policy
from workflows.services import (
    Actor,
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

from .clock import TODAY, term_ends

IP = "10.0.0.8"
TWO_YEARS_AGO = TODAY - datetime.timedelta(days=730)


def as_(user) -> Actor:
    return Actor(user=user, ip=IP)


def fetch(case) -> DisposalCase:
    """The case as stored now (its FSM field is protected, so refresh_from_db() cannot be used)."""
    return DisposalCase.objects.get(pk=case.pk)


def two_years_ago() -> datetime.date:
    """Two years before the day the test is at."""
    return timezone.localdate() - datetime.timedelta(days=730)


def attach(asset, kind, user=None, name=None) -> AssetAttachment:
    """A stored evidence file for a step's form (the upload pages are tested on their own, in tests/assets)."""
    attachment = AssetAttachment(
        asset=asset, kind=kind, original_name=name or f"{kind}.pdf", content_type="application/pdf", size=9,
        sha256="0" * 64, uploaded_by=user,
    )  # fmt: skip
    attachment.file.save("evidence.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    attachment.save()
    return attachment


def idle_evidence(asset):
    attach(asset, AttachmentKind.STOP_STATEMENT)
    attach(asset, AttachmentKind.MEETING_MINUTES)


@contextmanager
def window_ago():
    """Back to just over a 调剂 window ago, so that a board listing made inside has closed by "now" (调剂优先: a plan
    other than 调剂 to an applicant waits for the window's end)."""
    days = Policy.current().listing_window_days + 1
    with time_machine.travel(timezone.now() - datetime.timedelta(days=days), tick=True):
        yield


def verified(asset, clerk, head, reviewer, basis="idle", *, window_closed=False) -> DisposalCase:
    """Reported by the clerk, signed off by the head, verified by the lead department; `window_closed`: all that done
    a window ago, so the board's window has closed and any plan may follow."""
    with window_ago() if window_closed else nullcontext():
        case = case_report(actor=as_(clerk), asset=asset, basis=basis, statement="学校撤并后闲置，经校务会研究拟盘活。")
        case_submit(actor=as_(head), case=case)
        return case_verify(actor=as_(reviewer), case=case, opinion="经现场核查，情况属实，认定为闲置资产。")


def lease_record(**overrides) -> dict:
    record = {
        "lease_procedure": "公开招租",
        "reserve_rent": Decimal("48000"),
        "tender_result": "经公共资源交易中心公开招租，3家竞租",
        "lessee": "茂县羌韵餐饮有限公司",
        "lease_starts_on": TODAY,
        "lease_ends_on": term_ends(TODAY, 3),
        "annual_rent": Decimal("52000"),
        "deposit": Decimal("10000"),
        "contract_no": "MXZL-2026-018",
    }
    record.update(overrides)
    return record


def auction_record(**overrides) -> dict:
    record = {
        "appraisal_report_no": "川华评报字〔2026〕第0312号", "appraisal_value": Decimal("2000000"),
        "appraisal_date": TODAY - datetime.timedelta(days=60), "venue": "茂县公共资源交易中心",
        "reserve_price": Decimal("2000000"), "winning_bid": Decimal("2300000"), "buyer": "阿坝州某置业有限公司",
        "deal_on": TODAY,
    }  # fmt: skip
    record.update(overrides)
    return record


def proceeds(received="52000", fees="0", remitted="52000", receipt_no="川财缴2026-00123") -> dict:
    return {
        "received": Decimal(received),
        "fees": Decimal(fees),
        "remitted": Decimal(remitted),
        "receipt_no": receipt_no,
    }


def approved_auction(building, alice, henry, hugo, fiona) -> DisposalCase:
    """A building's auction approved by 住建局 and finance, its execution started."""
    return case_at(
        CaseState.EXECUTING, building, method="auction", clerk=alice, head=henry, reviewer=hugo, finance=fiona
    )


def issue_all(case) -> list[Document]:
    """Runs the jobs the steps queued (on commit, in a real deployment) and returns the case's documents."""
    for document in documents_of(case).filter(status=DocumentStatus.PENDING):
        document_issue(document_id=document.pk)
    return list(documents_of(case).order_by("pk"))


ORDER = [
    CaseState.DRAFT, CaseState.SUBMITTED, CaseState.VERIFIED, CaseState.PLAN_SUBMITTED, CaseState.PLAN_APPROVED,
    CaseState.EXECUTING, CaseState.EXECUTED, CaseState.CLOSED,
]  # fmt: skip
# The key terms each plan carries for approval (workflows.models.APPROVED_TERMS): those the usual records execute.
LEASE_TERMS = {
    "lease_procedure": "公开招租", "reserve_rent": Decimal("48000"), "lease_starts_on": TODAY,
    "lease_ends_on": term_ends(TODAY, 3),
}  # fmt: skip
AUCTION_TERMS = {
    "appraisal_report_no": "川华评报字〔2026〕第0312号", "appraisal_value": Decimal("2000000"),
    "appraisal_date": TODAY - datetime.timedelta(days=60), "reserve_price": Decimal("2000000"),
}  # fmt: skip
# The same terms as the plan form sends them.
LEASE_PLAN = {name: str(value) for name, value in LEASE_TERMS.items()}
AUCTION_PLAN = {name: str(value) for name, value in AUCTION_TERMS.items()}
PLAN_FORMS = {"lease": LEASE_PLAN, "auction": AUCTION_PLAN}
PLANS = {
    "scrap": {"summary": "报废后交由再生资源公司回收", "justification": "设备老化无法使用，无调剂价值"},
    "lease": {"summary": "整体公开招租", "justification": "公示期内无单位申请调剂", "terms": LEASE_TERMS},
    "auction": {"summary": "进场公开拍卖", "justification": "公示期无单位申请", "terms": AUCTION_TERMS},
}


def _records(method: str) -> tuple[dict, dict | None]:
    if method == "lease":
        return lease_record(), proceeds()
    if method == "auction":
        return auction_record(), proceeds("2300000", remitted="2300000")
    return {"recycler": "茂县再生资源回收有限公司", "residual_value": Decimal("200")}, proceeds("200", remitted="200")


def case_at(
    state: str,
    asset,
    *,
    clerk,
    head,
    reviewer,
    finance=None,
    confirmer=None,
    closer=None,
    method="scrap",
    record: dict | None = None,
    money: dict | None = None,
) -> DisposalCase:
    """A case of `asset` walked forward through the services to `state`, each step by the person who holds it:
    `clerk` and `head` of the holding unit, `reviewer` of the lead department, `finance` (the plan's approval),
    `confirmer` (the remittance) and `closer` (销号), both `finance` unless given. `record` replaces the method's usual
    execution record, `money` its proceeds (what was received at execution)."""
    target = ORDER.index(state)
    # A plan comes after the board's window (调剂优先), so a case that goes on to one was verified a window ago.
    with window_ago() if target >= 3 else nullcontext():
        case = case_report(
            actor=as_(clerk), asset=asset, basis="idle", statement="学校撤并后闲置，经校务会研究拟盘活。"
        )
        if target >= 1:
            case = case_submit(actor=as_(head), case=case)
        if target >= 2:
            case = case_verify(actor=as_(reviewer), case=case, opinion="经现场核查，情况属实，认定为闲置资产。")
    if target >= 3:
        minutes = attach(asset, AttachmentKind.MEETING_MINUTES, name="会议纪要.pdf")
        plan = dict(PLANS[method])
        if record is not None and "terms" in plan:  # the plan approves the terms the given record executes
            plan["terms"] = {name: record.get(name, value) for name, value in plan["terms"].items()}
        case = case_propose(actor=as_(clerk), case=case, method=method, minutes=[minutes], **plan)
    if target >= 4:
        case = case_review(actor=as_(reviewer), case=case, approve=True, opinion="同意")
        if case.state == CaseState.PLAN_SUBMITTED:  # the route sends it on to finance
            case = case_finance_approve(actor=as_(finance), case=case, approve=True, opinion="同意")
    if target >= 5:
        case = case_start_execution(actor=as_(clerk), case=case)
    if target >= 6:
        usual, usual_money = _records(method)
        record = usual if record is None else record
        money = usual_money if money is None else money
        case = case_record_execution(actor=as_(clerk), case=case, record=record, proceeds=money)
    if target >= 7:
        if fetch(case).remittance_confirmed_by_id is None and money:
            case = case_confirm_remittance(actor=as_(confirmer or finance), case=case)
        case = case_close(actor=as_(closer or finance), case=case)
    assert fetch(case).state == state, (fetch(case).state, state)
    return fetch(case)
