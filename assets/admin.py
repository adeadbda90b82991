"""The administrators' side: organizations, users and roles, categories and rule tables."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from audit.admin import AuditedAdmin, PlainTextInline

from .models import (
    Asset,
    AssetAttachment,
    Category,
    CategorySubtype,
    ImportBatch,
    MeasureUnit,
    MinimumServiceLife,
    Organization,
    User,
)


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "short_name", "kind", "credit_code", "supervising_department", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "credit_code"]
    autocomplete_fields = ["supervising_department"]


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "full_name", "organization", "role_list", "is_active"]
    list_filter = ["groups", "is_active", "organization__kind"]
    search_fields = ["username", "full_name", "organization__name"]
    autocomplete_fields = ["organization"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["full_name", "organization", "phone", "email"]}),
        ("角色与权限", {"fields": ["is_active", "groups", "is_staff", "is_superuser"]}),
        ("时间", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "full_name", "organization", "groups", "password1", "password2"],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes superusers or grants single permissions; the admin role works through roles.
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["is_superuser", "user_permissions", "last_login", "date_joined"]

    @admin.display(description="角色")
    def role_list(self, obj: User) -> str:
        return "、".join(obj.role_labels)


class CategorySubtypeInline(PlainTextInline):
    model = CategorySubtype
    extra = 0
    autocomplete_fields = ["lead_department"]


class MinimumServiceLifeInline(PlainTextInline):
    model = MinimumServiceLife
    extra = 0


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "code", "lead_department", "subtype_required", "area_required", "area_unit", "sort_order"]
    autocomplete_fields = ["lead_department"]
    inlines = [CategorySubtypeInline, MinimumServiceLifeInline]


@admin.register(MinimumServiceLife)
class MinimumServiceLifeAdmin(AuditedAdmin):
    list_display = ["name", "category", "subtype", "years", "basis"]
    list_filter = ["category"]


@admin.register(MeasureUnit)
class MeasureUnitAdmin(AuditedAdmin):
    list_display = ["name", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name"]


@admin.register(Asset)
class AssetAdmin(AuditedAdmin):
    """For looking things up; the ledger is kept in the register, and only a case moves the status."""

    list_display = ["code", "name", "category", "holding_unit", "original_value", "status"]
    list_filter = ["status", "category", "usage_status"]
    search_fields = ["code", "name", "address"]
    # The holding unit changes only by a 调剂 case, and ledger rows are never deleted.
    readonly_fields = ["holding_unit", "status", "import_batch", "created_by", "created_at", "updated_at"]
    list_select_related = ["category", "holding_unit"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssetAttachment)
class AssetAttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "asset", "kind", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = [f.name for f in AssetAttachment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["original_name", "organization", "created_by", "status", "total_rows", "error_rows", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False
