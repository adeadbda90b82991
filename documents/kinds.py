"""The document kinds: one per step outcome (DESIGN.md's table), and the supervision reports (月调度、季评估).

An execution document belongs to its 盘活方式: each method's declaration (workflows.methods) registers its kind, title
and signers here, with register_step_kind, and ships its template documents/<kind>.html."""

STEP_KIND_TITLES: dict[str, str] = {
    "report_form": "闲置低效资产认定申报表",
    "verification_opinion": "核查认定意见书",
    "approval_form": "资产处置审批表（处置决定书）",
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

# What each signing organization is called on the form, in signing order; extra signers get the last label.
SIGNER_ROLES: dict[str, list[str]] = {
    "report_form": ["申报单位"],
    "verification_opinion": ["核查认定部门"],
    "approval_form": ["主管部门", "财政部门"],
    "closure": ["销号单位"],
    "monthly_report": ["报送单位"],
    "quarterly_evaluation": ["评估单位"],
}


def register_step_kind(kind: str, title: str, signer_roles: tuple[str, ...]) -> None:
    """A method's execution document: listed before 销号确认单, the last of a case's documents."""
    if STEP_KIND_TITLES.get(kind, title) != title:
        raise ValueError(f"document kind {kind} registered with two titles")
    closure = STEP_KIND_TITLES.pop("closure")
    STEP_KIND_TITLES[kind] = title
    STEP_KIND_TITLES["closure"] = closure
    KIND_TITLES[kind] = title
    SIGNER_ROLES[kind] = list(signer_roles)


def kind_choices() -> list[tuple[str, str]]:
    """The kinds as a model field's choices (a callable: a new method's document needs no migration)."""
    return list(KIND_TITLES.items())
