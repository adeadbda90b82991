"""Documents in the admin: read-only (they are never changed or deleted; a correction is a new version)."""

from django.contrib import admin

from .models import Document, DocumentSequence


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "version", "issuer", "status", "attempts", "requested_at", "issued_at")
    list_filter = ("status", "kind")
    search_fields = ("number", "uuid")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(DocumentAdmin):
    list_display = ("organization", "year", "last")
    list_filter = ("year",)
    search_fields = ("organization__name",)
