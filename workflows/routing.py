"""Who holds each step: which organization's people a task goes to, and which finance office approves a case. The flow
offers each task by these rules and the dashboard counts overdue steps by them, so the two never disagree."""

from collections.abc import Callable

from assets.models import Organization, OrganizationKind

from .models import DisposalCase, Step

HOLDING, DEPARTMENT, RECEIVING, FINANCE = "holding", "department", "receiving", "finance"
# Whose organization holds each step (DESIGN.md roles): the holding unit's clerk and head, the lead department's
# reviewer, the receiving unit's clerk (调剂), finance's approvers.
STEP_HOLDERS = {
    Step.REPORT: HOLDING, Step.SIGN_OFF: HOLDING, Step.PLAN: HOLDING, Step.EXECUTE: HOLDING,
    Step.VERIFY: DEPARTMENT, Step.DEPT_REVIEW: DEPARTMENT,
    Step.CONFIRM_RECEIPT: RECEIVING,
    Step.FINANCE_APPROVE: FINANCE, Step.CONFIRM_REMITTANCE: FINANCE, Step.CLOSE: FINANCE,
}  # fmt: skip

NO_FINANCE_OFFICE = "没有配置财政部门，请管理员在组织机构中添加县财政局。"


def finance_picker() -> Callable[[int, str], int | None]:
    """The finance office for a holding unit (by its id and kind), reading the offices once: 县国有资产管理中心 for
    county enterprises (their 主管部门), 县财政局 for everyone else, and never the holding unit itself (the finance
    bureau's own assets go to 国资中心). None when no office is configured."""
    rows = list(
        Organization.objects.filter(kind__in=[OrganizationKind.FINANCE, OrganizationKind.ASSET_CENTER], is_active=True)
        .order_by("pk")
        .values_list("pk", "kind")
    )
    finance = [pk for pk, kind in rows if kind == OrganizationKind.FINANCE]
    center = [pk for pk, kind in rows if kind == OrganizationKind.ASSET_CENTER]

    def pick(holding_unit_id: int, holding_kind: str) -> int | None:
        order = center + finance if holding_kind == OrganizationKind.STATE_ENTERPRISE else finance + center
        return next((pk for pk in order if pk != holding_unit_id), None)

    return pick


def finance_organization_id(case: DisposalCase) -> int:
    """Which organization's finance approvers a case goes to."""
    org_id = finance_picker()(case.holding_unit_id, case.holding_unit.kind)
    if org_id is None:
        raise Organization.DoesNotExist(NO_FINANCE_OFFICE)
    return org_id


def step_holder(
    step: str,
    *,
    holding_id: int,
    department_id: int | None,
    receiving_id: int | None,
    finance_id: Callable[[], int | None],
) -> int | None:
    """The organization holding `step` of a case, from the case's organizations (`finance_id` is asked only for a
    finance step)."""
    holder = STEP_HOLDERS[step]
    if holder == DEPARTMENT:
        return department_id
    if holder == RECEIVING:
        return receiving_id
    if holder == FINANCE:
        return finance_id()
    return holding_id


def holder_of(step: str) -> Callable[[DisposalCase], int | None]:
    """For the flow's nodes: the organization a case's task at `step` is offered to."""

    def organization(case: DisposalCase) -> int | None:
        return step_holder(
            step, holding_id=case.holding_unit_id, department_id=case.verifying_department_id,
            receiving_id=case.receiving_unit_id, finance_id=lambda: finance_organization_id(case),
        )  # fmt: skip

    return organization
