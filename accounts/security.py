"""The rules of signing in, as data read from settings: who needs a second factor, how long an idle session lives,
what the trail keeps of failures."""

from django.conf import settings

from assets.models import Role

# 等保: the roles that approve money, read everything or change the rules sign in with a second factor when the
# deployment asks for it (PANHUO_REQUIRE_2FA, on in production).
TWO_FACTOR_ROLES = (Role.FINANCE_APPROVER, Role.SUPERVISOR, Role.ADMIN)


def two_factor_required(user) -> bool:
    if not settings.PANHUO["REQUIRE_2FA"] or not user.is_authenticated:
        return False
    return user.is_superuser or user.has_role(*TWO_FACTOR_ROLES)
