"""The document kinds: one per step outcome (DESIGN.md's table), and the supervision reports (月调度、季评估)."""

STEP_KIND_TITLES: dict[str, str] = {
    "report_form": "闲置低效资产认定申报表",
    "verification_opinion": "核查认定意见书",
    "approval_form": "资产处置审批表（处置决定书）",
    "transfer_order": "资产调拨单",
    "lease_filing": "出租备案表",
    "deal_confirmation": "成交确认书",
    "scrap_form": "报废处置单",
    "closure": "销号确认单",
}
# Not a case's: the signed report of a supervision scope for a month or a quarter (supervision/reports.py). Their
# context is the dashboard's figures, not a case's: whatever prints or times the step documents iterates
# STEP_KIND_TITLES.
REPORT_KIND_TITLES: dict[str, str] = {
    "monthly_report": "闲置低效资产盘活月调度报告",
    "quarterly_evaluation": "闲置低效资产盘活季度评估报告",
}
KIND_TITLES: dict[str, str] = {**STEP_KIND_TITLES, **REPORT_KIND_TITLES}
