"""Who is calling: an app with a reader's token (`Authorization: Bearer <token>`, made on the account page),
or the site's own pages with the reader's session (CSRF checked on unsafe methods, as Django does for forms).

Endpoints for a signed-in reader use AUTH; public endpoints call `reader()` to know who asks (a wrong
token is refused there too, never silently treated as anonymous).
"""

import math
import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from accounts.actions import user_for_api_token
from core import ratelimit
from core.models import RateEvent

from .problems import ApiProblem

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# Writes through the API per reader: (window seconds, allowed). A person tapping in an app does a few a
# minute; a runaway client loop is stopped within the minute. Comments keep their own, stricter limits.
WRITE_LIMITS = ((60, 30), (3600, 300))


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_api_token(token.strip())
        if user is None:
            raise AuthenticationError()
        request.user = user
        return user


class SiteSession(APIKeyCookie):
    """The site's session cookie; unlike Ninja's SessionAuth, no cookie means "not signed in" (401), not a
    CSRF failure (403)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=False)

    def authenticate(self, request, key):
        if not key or not request.user.is_authenticated:
            return None
        _check_csrf(request)
        return request.user


def _check_csrf(request) -> None:
    if request.method not in SAFE_METHODS and check_csrf(request):
        raise HttpError(403, "CSRF check Failed")


AUTH = [BearerToken(), SiteSession()]


def reader(request):
    """The reader behind a public request: the token's, the session's, or AnonymousUser."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = user_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise AuthenticationError()
        return user
    user = getattr(request, "user", None) or AnonymousUser()
    if user.is_authenticated:
        _check_csrf(request)
    return user


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def retry_after(key: str, window: int, now: float) -> int:
    """Seconds until the oldest action counted in the full `window` leaves it."""
    oldest = RateEvent.objects.filter(key=key, at__gt=now - window).order_by("at").values_list("at", flat=True)
    first = oldest.first()
    return max(1, math.ceil(first + window - now)) if first is not None else window


def count_write(user) -> None:
    """Count one write by `user` against WRITE_LIMITS; a full window answers 429 with Retry-After."""
    key, now = f"api:write:user:{user.pk}", time.time()
    full = ratelimit.hit(key, WRITE_LIMITS, now=now)
    if full is not None:
        raise ApiProblem(429, "Too many changes in a short time. Please wait and try again.",
                         retry_after=retry_after(key, full, now))  # fmt: skip
