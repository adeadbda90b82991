"""The administrators' side: organizations, users and roles, categories and rule tables."""

import copy

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group

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
    Role,
    User,
)


def role_label(group: Group) -> str:
    """A role's group shown by its Chinese name (经办人), its code in brackets; any other group by its name."""
    return f"{Role(group.name).label}（{group.name}）" if group.name in Role.values else group.name


class RoleFilter(admin.SimpleListFilter):
    title = "角色"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if self.value() in Role.values:
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "short_name", "kind", "credit_code", "supervising_department", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "credit_code"]
    autocomplete_fields = ["supervising_department"]


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "full_name", "organization", "role_list", "is_active"]
    list_filter = [RoleFilter, "is_active", "organization__kind"]
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

    add_form_template = "admin/assets/user/add_form.html"
    # Django's own help texts, some untranslated or written for another product ("the admin site"), said for ours.
    HELP_TEXTS = {
        "groups": "用户在本系统中的角色，可选多个：按住 Ctrl 键（Mac 上为 Command 键）点击。"
        "用户拥有所选角色的全部权限。",
        "is_active": "取消勾选即停用该账号（不能再登录），其经办记录保留；请停用而不要删除账号。",
        "is_staff": "可以登录系统管理后台（/admin/）。",
        "is_superuser": "拥有全部权限，无需逐项授予。仅限超级管理员设置。",
        "username": "必填，不超过 150 个字符；只能包含字母、数字和 @ . + - _。",
        "password": "系统不保存原始密码，无法查看用户的密码；可点击下方按钮为用户重设密码。",
    }

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label = "角色"
            field.label_from_instance = role_label
        return field

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # Declared fields (the password's) are shared by every form class: copies, not the originals, are edited.
        form.base_fields = {name: copy.copy(field) for name, field in form.base_fields.items()}
        for name, text in self.HELP_TEXTS.items():
            if name in form.base_fields:
                form.base_fields[name].help_text = text
        return form

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes superusers or grants single permissions; the admin role works through roles.
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["is_superuser", "user_permissions", "last_login", "date_joined"]

    @admin.display(description="角色")
    def role_list(self, obj: User) -> str:
        return "、".join(obj.role_labels)


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(AuditedAdmin, DjangoGroupAdmin):
    """Each role is a group of the same name (Role); the list says which role it is in Chinese."""

    list_display = ["role", "name"]

    @admin.display(description="角色", ordering="name")
    def role(self, obj: Group) -> str:
        return role_label(obj)


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
