"""The one call every step makes for its document. `documents` knows nothing of cases: it gets a kind, a frozen
context (plain data of what was decided) and the organizations that sign."""

from typing import Any

from assets.models import Organization

DOCUMENT_KINDS = {
    "report_form": "闲置低效资产认定申报表",
    "verification_opinion": "核查认定意见书",
    "approval_form": "资产处置审批表（处置决定书）",
    "transfer_order": "资产调拨单",
    "lease_filing": "出租备案表",
    "deal_confirmation": "成交确认书",
    "scrap_form": "报废处置单",
    "closure": "销号确认单",
}


def document_request(*, kind: str, subject: Any, step: str, context: dict, signers: list[Organization]) -> None:
    """Asks for the step's signed PDF. Rendering, numbering and signing arrive with the documents issue
    (issue 4); until then a request is checked and accepted, and nothing is issued."""
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind: {kind}")
