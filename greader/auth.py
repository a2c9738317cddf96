"""App passwords and the two tokens of the protocol.

ClientLogin takes a username and an app password and answers Auth=<token>. Every later request carries
"Authorization: GoogleLogin auth=<token>". The token is "<app password id>/<HMAC>", so checking it costs one
indexed lookup, and revoking the app password (or changing SECRET_KEY) ends every token made from it.

/reader/api/0/token answers the action token T that clients send with each POST. Authentication is the
Authorization header, which a browser never adds by itself, so T guards nothing here; it is accepted in any
form when the header is present (FreshRSS does the same for Reeder's "x" and FeedMe's empty T), and a valid
Auth token is accepted as T alone (Miniflux's rule).
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower

from .models import AppPassword

# 20 characters from 32 letters and digits (no 0, 1, l, o to misread when typing on a phone) = 100 bits.
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
GROUPS, GROUP_LENGTH = 5, 4
ACTION_TOKEN_LENGTH = 57  # Google's action tokens were 57 characters; FreshRSS pads to the same length


def new_secret() -> str:
    """A fresh app password such as "k3mq-8rtx-vw2a-pe9n-ch4d"."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))


def digest(secret: str) -> str:
    """How an app password is stored and looked up. Dashes and case are ignored: readers retype it on phones."""
    normalised = secret.strip().replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(f"tidings-app-password:{normalised}".encode("utf-8", "surrogatepass")).hexdigest()


def _mac(message: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def auth_token(app_password: AppPassword) -> str:
    return f"{app_password.pk}/{_mac(f'greader-auth:{app_password.pk}:{app_password.digest}')}"


def action_token(auth: str) -> str:
    return _mac(f"greader-action:{auth}")[:40].ljust(ACTION_TOKEN_LENGTH, "Z")


def check_login(username: str, secret: str) -> AppPassword | None:
    """The app password `secret` of the account named `username` (or with that e-mail address), else None.

    The same None whether the account does not exist, the app password is wrong or belongs to another
    account, or the account is closed: the answer never says which part was wrong.
    """
    if not username or not secret or len(secret) > 200 or len(username) > 254:
        return None
    found = (
        AppPassword.objects.select_related("user")
        .annotate(username_lower=Lower("user__username"), email_lower=Lower("user__email"))
        .filter(digest=digest(secret), user__is_active=True)
        .first()
    )
    if found is None:
        return None
    name = username.strip().lower()
    if name not in {found.username_lower, found.email_lower}:
        return None
    return found


def throttle_name(login: str) -> str:
    """The name failed sign-ins are counted under: the account's username whether the client sent it or the
    account's e-mail address (else the two would each get their own allowance of guesses), else what was sent."""
    login = login.strip()
    if not login or len(login) > 254:
        return login
    user = get_user_model().objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).only("username").first()
    return user.username if user else login


def check_auth_token(token: str) -> AppPassword | None:
    """The app password an Auth token was made from, if the token is genuine and the password not revoked."""
    pk, _, mac = token.strip().partition("/")
    if not (pk.isascii() and pk.isdigit()) or len(pk) > 18 or len(mac) != 64:
        return None
    found = AppPassword.objects.select_related("user").filter(pk=int(pk), user__is_active=True).first()
    if found is None or not hmac.compare_digest(auth_token(found), token.strip()):
        return None
    return found


def touch(app_password: AppPassword, now) -> None:
    AppPassword.objects.filter(pk=app_password.pk).update(last_used_at=now)
    app_password.last_used_at = now
