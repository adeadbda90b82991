from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):
    from .services import role_groups_ensure

    role_groups_ensure()


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "资产台账"

    def ready(self):
        # After every app's migrations: the admin role's permissions include those of the apps above this one.
        post_migrate.connect(_ensure_roles, dispatch_uid="panhuo_role_groups")
