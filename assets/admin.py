"""The administrators' side: organizations, users and roles, categories and rule tables."""

from datetime import date, datetime
from decimal import Decimal

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from core.forms import with_plain_text

from .http import client_ip
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
from .signals import audit_request

# Never written to the trail, not even as a hash: the trail is read by supervisors.
SECRET_FIELDS = {"password"}


def _shown(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    return str(value)


def _snapshot(obj) -> dict:
    """The admin-editable state of a row, as the trail shows it: choices and relations by name, secrets hidden."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS:
            continue
        if field.is_relation:
            values[field.name] = _shown(getattr(obj, field.name))
        elif field.choices:
            values[field.name] = _shown(getattr(obj, f"get_{field.name}_display")())
        else:
            values[field.name] = _shown(getattr(obj, field.attname))
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = sorted(str(related) for related in getattr(obj, field.name).all())
    return values


def _diff(model, before: dict, after: dict) -> dict:
    labels = {f.name: str(f.verbose_name) for f in model._meta.get_fields() if hasattr(f, "verbose_name")}
    return {
        name: {"label": labels.get(name, name), "from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def _formset_changes(formset) -> dict | None:
    """An inline's rows added, changed (field by field) or deleted in the same save."""
    deleted = {id(form) for form in formset.deleted_forms}
    rows = []
    for form in formset.forms:
        if id(form) in deleted:
            rows.append({"object": str(form.instance), "deleted": True})
        elif form.has_changed():
            changed = {
                field: {"label": str(form.fields[field].label), "from": _shown(form.initial.get(field)),
                        "to": _shown(form.cleaned_data.get(field))}
                for field in form.changed_data if field in form.fields and field not in SECRET_FIELDS
            }  # fmt: skip
            rows.append({"object": str(form.instance), "changes": changed})
    return {"model": str(formset.model._meta.verbose_name), "rows": rows} if rows else None


class PlainTextInline(admin.TabularInline):
    """An inline whose text fields are cleaned like every form's (core.text)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = with_plain_text(formset.form)
        return formset


class AuditedAdmin(admin.ModelAdmin):
    """Administrators' changes of organizations, users, categories and the rule tables go on the audit trail, with
    each changed field's value before and after (DESIGN.md "Audit trail": every admin change is recorded). Their text
    is cleaned like every form's (core.text)."""

    def get_form(self, request, obj=None, **kwargs):
        return with_plain_text(super().get_form(request, obj, **kwargs))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            # Taken before the form writes into the instance: the "before" of the change.
            request._panhuo_audit_before = _snapshot(obj)
        return obj

    def _audit(self, request, obj, action: str, changes: dict, **extra) -> None:
        request._panhuo_audited = True
        audit_request(
            user=request.user, action=action, ip=client_ip(request),
            data={"model": obj._meta.label_lower, "model_name": str(obj._meta.verbose_name), "object_id": obj.pk,
                  "object": str(obj), "changes": changes, **extra},
        )  # fmt: skip

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_panhuo_audit_before", {}) if change else {}
        changes = _diff(type(obj), before, _snapshot(obj))
        inlines = [c for c in (_formset_changes(fs) for fs in formsets) if c]
        if change and not changes and not inlines:
            request._panhuo_audited = True
            return  # saved without a change: nothing happened
        self._audit(
            request,
            obj,
            "admin_change" if change else "admin_add",
            changes,
            **({"inlines": inlines} if inlines else {}),
        )

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        if not getattr(request, "_panhuo_audited", False):
            # A change that did not come through the change form (the password form): what, never the value.
            self._audit(request, obj, "admin_change", {}, note=entry.get_change_message())
        return entry

    def delete_model(self, request, obj):
        before, pk = _snapshot(obj), obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        self._audit(request, obj, "admin_delete", _diff(type(obj), before, {}))

    def delete_queryset(self, request, queryset):
        rows = [(obj, _snapshot(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)
        for obj, before in rows:
            self._audit(request, obj, "admin_delete", _diff(type(obj), before, {}))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are evidence (cases, audit events, documents): administrators look, nobody edits here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
