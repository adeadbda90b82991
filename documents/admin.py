"""Documents in the admin: read-only (they are never changed or deleted; a correction is a new version)."""

from django.contrib import admin

from assets.admin import ReadOnlyAdmin

from .models import Document, DocumentSequence


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "version", "issuer", "status", "attempts", "requested_at", "issued_at")
    list_filter = ("status", "kind")
    search_fields = ("number", "uuid")


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(ReadOnlyAdmin):
    list_display = ("organization", "year", "last")
    list_filter = ("year",)
    search_fields = ("organization__name",)
