"""The 监督 tables administrators keep: the yearly targets."""

from django.contrib import admin

from audit.admin import AuditedAdmin

from .models import Target


@admin.register(Target)
class TargetAdmin(AuditedAdmin):
    list_display = ["year", "name", "category", "unit_kind", "lead_department", "measure", "amount"]
    list_filter = ["year", "measure", "category"]
    autocomplete_fields = ["lead_department"]
