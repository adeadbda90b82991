from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "登录与安全"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the login receivers)
