"""Administrators edit the rule tables here; cases and the trail are read-only."""

from django.contrib import admin
from viewflow.workflow.admin import ProcessAdmin, TaskAdmin
from viewflow.workflow.models import Process, Task

from audit.admin import AuditedAdmin, ReadOnlyAdmin, admin_names_in_chinese

from .models import (
    CalendarDay,
    DisposalCase,
    MethodAvailability,
    Policy,
    RoutingRule,
    StepDeadline,
    Substitution,
)
from .services import routing_rule_revise


@admin.register(Policy)
class PolicyAdmin(AuditedAdmin):
    list_display = ["__str__", "idle_months", "listing_window_days", "appraisal_validity_days", "low_bid_floor_percent"]

    def has_add_permission(self, request):
        return not Policy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    list_display = ["name", "version", "method", "category", "unit_kind", "min_value", "requires_finance",
                    "requires_collective_decision", "is_active"]  # fmt: skip
    list_filter = ["is_active", "method", "requires_finance"]
    readonly_fields = ["version", "created_at"]

    def save_model(self, request, obj, form, change):
        if change and form.changed_data:
            # Never edit a rule in place: cases routed by it must keep pointing at what routed them.
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            obj.pk = routing_rule_revise(rule=RoutingRule.objects.get(pk=obj.pk), changed=changed).pk
            return
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MethodAvailability)
class MethodAvailabilityAdmin(AuditedAdmin):
    """Which 盘活方式 a category or sub-type offers (the declarations' defaults apply where no row says otherwise)."""

    list_display = ["method", "category", "subtype", "enabled", "min_original_value"]
    list_filter = ["method", "category", "enabled"]


@admin.register(StepDeadline)
class StepDeadlineAdmin(AuditedAdmin):
    list_display = ["step", "working_days"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(Substitution)
class SubstitutionAdmin(AuditedAdmin):
    list_display = ["user", "substitute", "starts_on", "ends_on", "reason"]
    autocomplete_fields = ["user", "substitute"]


@admin.register(DisposalCase)
class DisposalCaseAdmin(ReadOnlyAdmin):
    list_display = ["asset", "holding_unit", "state", "method", "current_step", "step_due_on"]
    list_filter = ["state", "method"]
    search_fields = ["asset__code", "asset__name"]


# viewflow's own admin edits live processes and tasks (owner, status) behind the flow's and the trail's back. Here they
# are evidence like the cases: shown, never changed; a task changes hands only by claim, release or 转办, on the trail.
class _TitledInChinese:
    # viewflow's models are named in English ("Tasks"); the pages' titles say what they are.
    chinese_name = ""

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": f"{self.chinese_name}（只读）", **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {"title": f"查看{self.chinese_name}", **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)


# viewflow's statuses are English ("Assigned") and have no Chinese translation.
TASK_STATUS_LABELS = {"NEW": "新建", "ASSIGNED": "已分配", "STARTED": "办理中", "DONE": "已完成", "CANCELED": "已取消",
                      "ERROR": "出错", "REVIVED": "已恢复", "SCHEDULED": "待执行"}  # fmt: skip


class TaskStatusFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "status"
    labels = TASK_STATUS_LABELS

    def lookups(self, request, model_admin):
        return list(self.labels.items())

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() in self.labels else queryset


class ProcessStatusFilter(TaskStatusFilter):
    labels = {key: TASK_STATUS_LABELS[key] for key in ("NEW", "DONE", "CANCELED")}


class ReadOnlyProcessAdmin(_TitledInChinese, ReadOnlyAdmin, ProcessAdmin):
    chinese_name = "流程实例"
    list_display = ["pk", "created_at", "process_title", "status_label", "summary"]
    list_display_links = ["pk", "created_at"]
    list_filter = [ProcessStatusFilter]

    @admin.display(description="创建时间", ordering="created")
    def created_at(self, obj):
        return obj.created

    @admin.display(description="摘要")
    def summary(self, obj):
        return obj.brief

    @admin.display(description="流程")
    def process_title(self, obj):
        return obj.flow_class.process_title if obj.flow_class else "—"

    @admin.display(description="状态", ordering="status")
    def status_label(self, obj):
        return TASK_STATUS_LABELS.get(obj.status, obj.status)


class ReadOnlyTaskAdmin(_TitledInChinese, ReadOnlyAdmin, TaskAdmin):
    chinese_name = "流程任务"
    list_display = ["pk", "created_at", "case", "task_title", "status_label", "owner_name", "finished_at"]
    list_display_links = ["pk", "created_at"]
    list_filter = [TaskStatusFilter]

    @admin.display(description="创建时间", ordering="created")
    def created_at(self, obj):
        return obj.created

    @admin.display(description="任务")
    def task_title(self, obj):
        return obj.title

    @admin.display(description="流程实例")
    def case(self, obj):
        return obj.process_id

    @admin.display(description="办理人")
    def owner_name(self, obj):
        return obj.owner or "—"

    @admin.display(description="完成时间", ordering="finished")
    def finished_at(self, obj):
        return obj.finished

    @admin.display(description="状态", ordering="status")
    def status_label(self, obj):
        return TASK_STATUS_LABELS.get(obj.status, obj.status)


for model, model_admin in ((Process, ReadOnlyProcessAdmin), (Task, ReadOnlyTaskAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
admin_names_in_chinese("viewflow", "流程引擎（只读）", {"Process": "流程实例", "Task": "流程任务"})
