"""Which organization's finance approvers a case goes to."""

from assets.models import Organization, OrganizationKind

from .models import DisposalCase


def finance_organization_id(case: DisposalCase) -> int:
    """县国有资产管理中心 for county enterprises (their 主管部门), 县财政局 for everyone else (DESIGN.md roles)."""
    kinds = [OrganizationKind.FINANCE, OrganizationKind.ASSET_CENTER]
    if case.holding_unit.kind == OrganizationKind.STATE_ENTERPRISE:
        kinds.reverse()
    for kind in kinds:
        # An approving organization is never the holding unit itself: the finance bureau's own assets go to 国资中心.
        orgs = Organization.objects.filter(kind=kind, is_active=True).exclude(pk=case.holding_unit_id).order_by("pk")
        org_id = orgs.values_list("pk", flat=True).first()
        if org_id is not None:
            return org_id
    raise Organization.DoesNotExist("没有配置财政部门，请管理员在组织机构中添加县财政局。")
