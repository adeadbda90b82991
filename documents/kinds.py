"""The document kinds of DESIGN.md's table, one per step outcome."""

KIND_TITLES: dict[str, str] = {
    "report_form": "闲置低效资产认定申报表",
    "verification_opinion": "核查认定意见书",
    "approval_form": "资产处置审批表（处置决定书）",
    "transfer_order": "资产调拨单",
    "lease_filing": "出租备案表",
    "deal_confirmation": "成交确认书",
    "scrap_form": "报废处置单",
    "closure": "销号确认单",
}
