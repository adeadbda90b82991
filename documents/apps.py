from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """Rendering, numbering, signing and verifying the step documents (issue 4 onwards)."""

    name = "documents"
    verbose_name = "文书"
