"""The admin's side of the trail: administrators' changes are recorded field by field (AuditedAdmin), evidence is
shown read-only (ReadOnlyAdmin), and the trail itself can be looked at, never edited."""

from django.apps import apps
from django.contrib import admin

from core.forms import with_plain_text
from core.http import client_ip

from .changes import SECRET_FIELDS, changes_between, shown, snapshot
from .models import AuditEvent
from .services import audit_record


def _formset_changes(formset) -> dict | None:
    """An inline's rows added, changed (field by field) or deleted in the same save."""
    deleted = {id(form) for form in formset.deleted_forms}
    rows = []
    for form in formset.forms:
        if id(form) in deleted:
            rows.append({"object": str(form.instance), "deleted": True})
        elif form.has_changed():
            changed = {
                field: {"label": str(form.fields[field].label), "from": shown(form.initial.get(field)),
                        "to": shown(form.cleaned_data.get(field))}
                for field in form.changed_data if field in form.fields and field not in SECRET_FIELDS
            }  # fmt: skip
            rows.append({"object": str(form.instance), "changes": changed})
    return {"model": str(formset.model._meta.verbose_name), "rows": rows} if rows else None


def admin_names_in_chinese(app_label: str, section: str, models: dict[str, str]) -> None:
    """A third-party app's section and models named in Chinese on the admin's index and sidebar, without touching the
    models' Meta (which would ask for a migration inside the package): `models` maps object names to plural labels."""
    apps.get_app_config(app_label).verbose_name = section
    names = _CHINESE_ADMIN_NAMES.setdefault(app_label, {})
    names.update(models)


_CHINESE_ADMIN_NAMES: dict[str, dict[str, str]] = {}
_admin_app_list = admin.site.get_app_list


def _app_list_in_chinese(request, app_label=None):
    app_list = _admin_app_list(request, app_label)
    for app in app_list:
        names = _CHINESE_ADMIN_NAMES.get(app["app_label"], {})
        for model in app["models"]:
            model["name"] = names.get(model["object_name"], model["name"])
    return app_list


admin.site.get_app_list = _app_list_in_chinese


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
            request._panhuo_audit_before = snapshot(obj)
        return obj

    def _audit(self, request, obj, action: str, changes: dict, **extra) -> None:
        request._panhuo_audited = True
        audit_record(
            user=request.user, action=action, ip=client_ip(request),
            data={"model": obj._meta.label_lower, "model_name": str(obj._meta.verbose_name), "object_id": obj.pk,
                  "object": str(obj), "changes": changes, **extra},
        )  # fmt: skip

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_panhuo_audit_before", {}) if change else {}
        changes = changes_between(type(obj), before, snapshot(obj))
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
        before, pk = snapshot(obj), obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        self._audit(request, obj, "admin_delete", changes_between(type(obj), before, {}))

    def delete_queryset(self, request, queryset):
        rows = [(obj, snapshot(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)
        for obj, before in rows:
            self._audit(request, obj, "admin_delete", changes_between(type(obj), before, {}))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are evidence (cases, audit events, documents): administrators look, nobody edits here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "acting_for", "organization", "action", "case", "from_state", "to_state"]
    list_filter = ["action"]
