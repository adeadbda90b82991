"""The public verification page: anyone (no login) checks a document by its QR code, or uploads a PDF they hold."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View

from core.forms import Form

from .models import Document
from .services import document_check_stored, pdf_check_issued
from .signing import PkiError, root_certificate_pem, root_fingerprint


class UploadForm(Form):
    file = forms.FileField(label="选择 PDF 文件", help_text="不超过 30 MB")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PANHUO["VERIFY_MAX_BYTES"]
        if upload.size > limit:
            raise forms.ValidationError(f"文件超过 {limit // (1024 * 1024)} MB，无法核验。")
        return upload


@method_decorator(login_not_required, name="dispatch")
class VerifyView(View):
    template_name = "verify/verify.html"

    def get(self, request, uuid=None):
        return self.render(UploadForm(), uuid)

    def post(self, request, uuid=None):
        form = UploadForm(request.POST, request.FILES)
        result = None
        if form.is_valid():
            result = pdf_check_issued(form.cleaned_data["file"].read())
        return self.render(form, uuid, upload_result=result, status=200 if form.is_valid() else 422)

    def render(self, form, uuid, *, upload_result=None, status=200):
        document = Document.objects.select_related("issuer").filter(uuid=uuid).first() if uuid else None
        if uuid and document is None:
            status = 404  # the verify page itself, saying what to check, not the generic 404
        context = {
            "missing": uuid is not None and document is None,
            "page_title": "文书核验",
            "document": document,
            "stored": document_check_stored(document) if document else None,
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
