from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """The disposal case, its flow, task inboxes and deadlines."""

    name = "workflows"
    verbose_name = "处置流程"
