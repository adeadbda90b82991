from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """The disposal case, its flow, task inboxes, deadlines and the audit trail (issue 3 onwards)."""

    name = "workflows"
    verbose_name = "处置流程"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the login receivers)
