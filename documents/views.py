"""The public verification page: anyone (no login) checks a document by its QR code, or uploads a PDF they hold."""

import hashlib

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View

from .models import Document, DocumentStatus
from .signing import PkiError, root_certificate_pem, root_fingerprint, verify_pdf

MAX_UPLOAD = 30 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label="选择 PDF 文件", help_text="不超过 30 MB")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError("文件超过 30 MB。")
        return upload


def stored_verdict(document: Document) -> dict:
    """Re-checks the stored file: its bytes still hash to what was recorded at issue, and its signatures hold."""
    if document.status != DocumentStatus.ISSUED:
        return {"valid": False, "message": "文书正在生成中，请稍后再查。"}
    with document.file.open("rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        return {"valid": False, "message": "存档文件与签发时的摘要不一致，可能已被改动。"}
    verdict = verify_pdf(data)
    return {"valid": verdict.valid, "message": verdict.message, "signatures": verdict.signatures}


def upload_verdict(data: bytes) -> dict:
    """A PDF someone holds: our signatures must hold, and it must be a file this system issued, byte for byte."""
    verdict = verify_pdf(data)
    digest = hashlib.sha256(data).hexdigest()
    document = Document.objects.filter(sha256=digest, status=DocumentStatus.ISSUED).first()
    if verdict.valid and document is None:
        return {"valid": False, "message": "签名有效，但本系统没有签发过这份文件（可能是其他版本或他处生成）。"}
    return {"valid": verdict.valid, "message": verdict.message, "signatures": verdict.signatures, "document": document}


@method_decorator(login_not_required, name="dispatch")
class VerifyView(View):
    template_name = "verify/verify.html"

    def get(self, request, uuid=None):
        return self.render(UploadForm(), uuid)

    def post(self, request, uuid=None):
        form = UploadForm(request.POST, request.FILES)
        result = None
        if form.is_valid():
            result = upload_verdict(form.cleaned_data["file"].read())
        return self.render(form, uuid, upload_result=result, status=200 if form.is_valid() else 422)

    def render(self, form, uuid, *, upload_result=None, status=200):
        document = get_object_or_404(Document.objects.select_related("issuer"), uuid=uuid) if uuid else None
        context = {
            "page_title": "文书核验",
            "document": document,
            "stored": stored_verdict(document) if document else None,
            "form": form,
            "upload_result": upload_result,
            "root_fingerprint": _root_fingerprint(),
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)


def _root_fingerprint() -> str:
    try:
        return root_fingerprint()
    except PkiError:
        return ""


@login_not_required
def root_certificate(request):
    """The deployment's root certificate: trust it in a PDF reader and our signatures show as valid there too."""
    try:
        data = root_certificate_pem()
    except PkiError as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(data, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="panhuo-root-ca.pem"'
    return response
