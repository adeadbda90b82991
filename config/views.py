"""The landing page: what this user can do, by role."""

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.views.generic import TemplateView

from assets.models import AssetStatus, Role, UsageStatus
from assets.selectors import asset_list_visible, units_user_may_register_for, user_can_import
from workflows.models import Policy
from workflows.selectors import menu_counts, task_team, team_organization

TEAM_ROWS = 10  # the head's home page lists this many of his organization's open tasks, overdue first


class HomeView(TemplateView):
    template_name = "panhuo/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        # 闲置: 连续停用超过 N 个月 (seed 000, 一(三)1; N is Policy.idle_months, data); the same cut as the ledger's
        # "idle > N months" filter.
        idle_months = Policy.current().idle_months
        cutoff = timezone.localdate() - relativedelta(months=idle_months)
        stats = asset_list_visible(user=user).aggregate(
            total=Count("pk"),
            original_value=Sum("original_value"),
            in_case=Count("pk", filter=Q(status=AssetStatus.IN_CASE)),
            idle=Count("pk", filter=Q(usage_status=UsageStatus.IDLE)),
            idle_long=Count("pk", filter=Q(idle_since__lt=cutoff, status=AssetStatus.IN_USE)),
        )
        team = None
        if team_organization(user) is not None:
            tasks = task_team(user=user)
            today = timezone.localdate()
            team = {
                "organization": user.organization,
                "counts": tasks.aggregate(
                    total=Count("pk"),
                    overdue=Count("pk", filter=Q(process__disposalcase__step_due_on__lt=today)),
                    unclaimed=Count("pk", filter=Q(owner__isnull=True)),
                ),
                "rows": list(tasks[:TEAM_ROWS]),
            }
        return {
            **super().get_context_data(**kwargs),
            "team": team,
            "page_title": "首页",
            "stats": stats,
            "idle_months": idle_months,
            "roles": user.role_labels,
            "can_register": units_user_may_register_for(user=user).exists(),
            "can_import": user_can_import(user=user),
            "is_admin": user.has_role(Role.ADMIN) and user.is_staff,
            "has_role": bool(user.roles),
            **menu_counts(user=user),
        }
