"""Pages of a signed-in user: never cached, behind the second factor where the user's role needs one, and ended
after a spell of idleness."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import patch_cache_control

from .security import two_factor_required

# Reachable before the second factor: the second factor itself, signing out, the public verification pages.
OPEN_BEFORE_SECOND_FACTOR = ("/accounts/2fa/", "/accounts/logout/", "/verify/", "/static/")


class SessionIdleMiddleware:
    """A session ends SESSION_COOKIE_AGE after its last request (等保: 会话超时). Each request moves the end on, but the
    session row is written only when the last move is REFRESH_SECONDS old or more: a page its user opens a moment
    after the last costs no session write (a savepoint and an UPDATE). The end is exact to within that minute. Sits
    just after Django's SessionMiddleware, which saves what this marks modified."""

    REFRESH_SECONDS = 60
    KEY = "_panhuo_touched"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(timezone.now().timestamp())
            if now - session.get(self.KEY, 0) >= self.REFRESH_SECONDS:
                session[self.KEY] = now
        return response


class PrivatePagesMiddleware:
    """`Cache-Control: private, no-store` on every response to a signed-in user (pages, downloads, JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
            response.headers.pop("Expires", None)
        return response


class TwoFactorRequiredMiddleware:
    """Sends a user whose role needs a second factor to enrol or to enter a code before any other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and two_factor_required(user)
            and not user.is_verified()
            and not request.path.startswith(OPEN_BEFORE_SECOND_FACTOR)
        ):
            from .services import totp_device_confirmed

            target = "accounts:two_factor_verify" if totp_device_confirmed(user) else "accounts:two_factor_setup"
            response = redirect(target)
            response["Location"] += "?" + urlencode({"next": request.get_full_path()})
            return response
        return self.get_response(request)
