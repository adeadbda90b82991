from django.apps import AppConfig


class ContractsConfig(AppConfig):
    """Contracts after 销号: the terms of a method that runs over time, its payment schedule, payments and arrears."""

    name = "contracts"
    verbose_name = "合同与收款"

    def ready(self):
        from . import receivers  # noqa: F401
