"""Which organization's finance approvers a case goes to."""

from assets.models import Organization, OrganizationKind

from .models import DisposalCase


def finance_organization_id(case: DisposalCase) -> int:
    """县国有资产管理中心 for county enterprises (their 主管部门), 县财政局 for everyone else (DESIGN.md roles)."""
    kinds = [OrganizationKind.FINANCE]
    if case.holding_unit.kind == OrganizationKind.STATE_ENTERPRISE:
        kinds.insert(0, OrganizationKind.ASSET_CENTER)
    for kind in kinds:
        orgs = Organization.objects.filter(kind=kind, is_active=True).order_by("pk")
        org_id = orgs.values_list("pk", flat=True).first()
        if org_id is not None:
            return org_id
    raise Organization.DoesNotExist("没有配置财政部门，请管理员在组织机构中添加县财政局。")
