from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    """监督: the dashboard, 月调度 / 季评估 reports, archive packages and the trail browser, for supervisors."""

    name = "supervision"
    verbose_name = "监督"
