"""Documents in the admin: read-only (they are never changed or deleted; a correction is a new version)."""

from django.contrib import admin, messages

from audit.admin import ReadOnlyAdmin
from core.http import client_ip

from .models import Document, DocumentSequence, DocumentStatus
from .services import document_regenerate


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "version", "issuer", "status", "attempts", "requested_at", "issued_at")
    list_filter = ("status", "kind")
    search_fields = ("number", "uuid")
    readonly_fields = ("last_error",)
    actions = ["regenerate"]

    @admin.action(description="重新生成所选的生成失败文书")
    def regenerate(self, request, queryset):
        """After the cause is mended (storage full, a certificate missing): the failed ones start over."""
        failed = list(queryset.exclude(status=DocumentStatus.ISSUED).values_list("pk", flat=True))
        for document_id in failed:
            document_regenerate(document_id=document_id, user=request.user, ip=client_ip(request))
        skipped = queryset.count() - len(failed)
        if failed:
            self.message_user(request, f"已重新提交 {len(failed)} 份文书，生成后即可下载。", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} 份已签发的文书不能重新生成（更正须出新版本）。", messages.WARNING)


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(ReadOnlyAdmin):
    list_display = ("organization", "year", "last")
    list_filter = ("year",)
    search_fields = ("organization__name",)
