"""How the trail reads: each AuditEvent as a row in Chinese (who, acting for whom, which organization, what changed
from what to what) with the document it produced. Shared by the case page's timeline and the supervisors' trail."""

import datetime

from assets.models import Role
from audit.labels import ACTION_LABELS
from audit.models import AuditEvent
from core.formatting import cn_date, yuan
from documents.models import Document, DocumentStatus
from documents.services import documents_of

from . import methods
from .models import Basis, CaseState, DisposalCase, DisposalMethod


def event_label(action: str, *, method: str = "") -> str:
    """How an event is named on the case page, the trail, the archive and in the signed documents: by the trail's
    vocabulary, except that the execution result of a method another unit confirms (调剂, 划转) is its confirmation of
    receipt."""
    spec = methods.get(method)
    if action == "record_execution" and spec is not None and spec.receiver is not None and spec.receiver.confirms:
        return "确认接收"
    return ACTION_LABELS.get(action, action)


# Keys of AuditEvent.data worth showing, with their labels; the rest stays in the record for auditors.
DATA_LABELS = {
    "basis": "认定类型", "statement": "申报说明", "opinion": "意见", "reason": "原因", "method": "盘活方式",
    "summary": "处置方案", "justification": "未选调剂理由", "receiving_unit": "调入单位", "handover_on": "交接日期",
    "handover_list": "交接清单", "tender_result": "招租结果", "lessee": "承租方", "lease_starts_on": "租期起",
    "lease_ends_on": "租期止", "reserve_rent": "底价", "annual_rent": "年租金", "contract_no": "合同编号",
    "appraisal_report_no": "评估报告", "appraisal_value": "评估值", "appraisal_date": "评估基准日",
    "venue": "交易场所", "reserve_price": "保留价", "winning_bid": "成交价", "buyer": "买受人", "deal_on": "成交日期",
    "recycler": "回收单位", "residual_value": "残值", "received": "实收", "fees": "费用", "remitted": "上缴",
    "receipt_no": "缴款凭证号", "note": "说明", "to": "转给", "from": "原办理人", "substitute": "代理人",
    "starts_on": "代理起", "ends_on": "代理止", "title": "文书", "number": "文号", "sha256": "文件摘要（SHA-256）",
    "username": "用户名", "model_name": "对象类型", "object": "对象", "file": "文件", "rows": "行数",
    "failures": "连续失败次数", "minutes": "锁定分钟数", "checked": "核对文件数", "count": "有问题的文件数",
    "last_error": "失败原因", "user_name": "使用单位（人）", "used_on": "使用日期", "hours": "使用机时（小时）",
    "fee": "收费", "purpose": "用途",
}  # fmt: skip
DATE_KEYS = {"handover_on", "lease_starts_on", "lease_ends_on", "appraisal_date", "deal_on", "used_on"}
MONEY_KEYS = {"reserve_rent", "annual_rent", "appraisal_value", "reserve_price", "winning_bid", "residual_value",
              "received", "fees", "remitted", "fee"}  # fmt: skip


EXPORT_LABELS = {
    "ledger": "资产台账", "archive": "资产档案包", "archive_batch": "档案批量导出", "monthly_report": "月调度报告",
    "quarterly_evaluation": "季评估报告", "alerts": "预警清单", "audit_trail": "审计轨迹",
}  # fmt: skip
# The step each document is issued at, by the action that asks for it (workflows.services `_document` calls).
DOCUMENT_STEP_OF_ACTION = {
    "submit": "submit", "verify": "verify", "dept_review": "approve", "finance_approve": "approve",
    "record_execution": "execute", "close": "close",
}  # fmt: skip

# The trail's 环节 filter: groups of actions a supervisor asks about together.
STEP_FILTERS = {
    "report": ("申报与签发", ["report", "revise", "submit"]),
    "verify": ("核查认定", ["verify", "return", "reject"]),
    "plan": ("处置方案与调剂", ["propose", "return_plan", "withdraw", "listing_apply", "listing_withdraw"]),
    "approve": ("审核审批", ["dept_review", "finance_approve", "finance_reject", "low_bid", "terms_changed"]),
    "execute": ("执行", ["start_execution", "record_execution"]),
    "remit": ("收入上缴", ["confirm_remittance"]),
    "close": ("销号", ["close"]),
    "tasks": ("任务认领与转办", ["claim", "assign", "release", "reassign", "overdue", "escalate"]),
    "documents": ("文书签发", ["document_issued", "document_regenerate", "stored_files_check"]),
    "export": ("导出", ["export"]),
    "admin": ("系统管理", ["admin_add", "admin_change", "admin_delete"]),
    "login": ("登录", ["login", "login_failed", "login_locked", "otp_enrol", "otp_failed", "otp_recovery_used"]),
    "substitution": ("请假代理", ["substitution", "substitution_end"]),
}


def _shown(key: str, value):
    """A recorded value as the page shows it: labels for codes, 2026年11月21日 for dates, 元 for money."""
    if isinstance(value, dict):
        return value.get("name", "")
    if key == "method" and value in DisposalMethod.values:
        return DisposalMethod(value).label
    if key == "basis" and value in Basis.values:
        return Basis(value).label
    try:
        if key in DATE_KEYS:
            return cn_date(datetime.date.fromisoformat(value))
        if key in MONEY_KEYS:
            return yuan(value)
    except (TypeError, ValueError, ArithmeticError):
        pass  # recorded in an older shape: shown as it was entered
    return value


def _changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """An admin change as (field, before, after) in words."""

    def words(value) -> str:
        if value in (None, "", []):
            return "（空）"
        if isinstance(value, list):
            return "、".join(str(v) for v in value)
        if value is True:
            return "是"
        if value is False:
            return "否"
        return str(value)

    rows = [(c["label"], words(c["from"]), words(c["to"])) for c in event.data.get("changes", {}).values()]
    for inline in event.data.get("inlines", []):
        for row in inline["rows"]:
            if row.get("deleted"):
                rows.append((f"{inline['model']}「{row['object']}」", "存在", "已删除"))
            for change in row.get("changes", {}).values():
                label = f"{inline['model']}「{row['object']}」{change['label']}"
                rows.append((label, words(change["from"]), words(change["to"])))
    return rows


def _documents_by_event(events: list[AuditEvent]) -> dict[int, list[Document]]:
    """The document each event produced: a `document_issued` event names it; a step's event is linked to the first
    version of its step's document asked for at or after it (the step asks in its own transaction)."""
    uuids = {e.data.get("document") for e in events if e.action == "document_issued"}
    case_ids = {e.case_id for e in events if e.case_id and e.action in DOCUMENT_STEP_OF_ACTION}
    documents = list(Document.objects.filter(uuid__in=uuids)) if uuids else []
    for case_id in case_ids:
        documents.extend(documents_of(DisposalCase(pk=case_id)))
    by_uuid = {str(d.uuid): d for d in documents}
    by_step: dict[tuple[int, str], list[Document]] = {}
    for d in sorted(by_uuid.values(), key=lambda d: (d.requested_at, d.pk)):
        by_step.setdefault((d.subject_id, d.step), []).append(d)
    linked: dict[int, list[Document]] = {}
    for event in events:
        if event.action == "document_issued":
            found = by_uuid.get(event.data.get("document"))
            linked[event.pk] = [found] if found else []
        elif event.case_id and event.action in DOCUMENT_STEP_OF_ACTION:
            candidates = by_step.get((event.case_id, DOCUMENT_STEP_OF_ACTION[event.action]), [])
            after = [d for d in candidates if d.requested_at >= event.at]
            linked[event.pk] = after[:1]
    return linked


def event_rows(events) -> list[dict]:
    """The events (from `selectors.events_of_case` or `trail_filtered`) as rows for a template, in the order given."""
    events = list(events)
    state_labels = dict(CaseState.choices)
    role_labels = dict(Role.choices) | {"system": "系统"}
    documents = _documents_by_event(events)
    rows = []
    for event in events:
        details = [
            (label, _shown(key, event.data[key]))
            for key, label in DATA_LABELS.items()
            if event.data.get(key) not in (None, "", [], {})
        ]
        if event.action == "export" and event.data.get("what"):
            details.insert(0, ("导出内容", EXPORT_LABELS.get(event.data["what"], event.data["what"])))
        label = event_label(event.action, method=event.case.method if event.case else "")
        rows.append(
            {
                "event": event,
                "label": label,
                "role": "、".join(role_labels.get(r, r) for r in event.role.split(",") if r),
                "from_state": state_labels.get(event.from_state, ""),
                "to_state": state_labels.get(event.to_state, ""),
                "details": details,
                "changes": _changes(event),
                "documents": [d for d in documents.get(event.pk, []) if d.status == DocumentStatus.ISSUED],
            }
        )
    return rows
