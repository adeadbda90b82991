"""The contracts' settings in the admin, audited like every rule table."""

from django.contrib import admin

from audit.admin import AuditedAdmin

from .models import ContractPolicy


@admin.register(ContractPolicy)
class ContractPolicyAdmin(AuditedAdmin):
    list_display = ["__str__", "reminder_lead_working_days"]

    def has_add_permission(self, request):
        return not ContractPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
