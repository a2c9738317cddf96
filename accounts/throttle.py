"""Sign-in and password-reset throttling, per username or e-mail address and per client address.

Counts go to core.ratelimit's ledger in the database, shared by every process; the window slides
exactly (each counted attempt is a row with its time).
"""

import hashlib
import time

from core import ratelimit

WINDOW_SECONDS = 15 * 60  # the message promises readers "Try again in 15 minutes"
# A person who forgot their password gives up or resets it well before five tries; a guesser needs thousands.
FAILURES_PER_USERNAME = 5
# Higher than per username: a library, an office or a phone carrier puts many readers behind one address.
# It still stops one address from trying a few passwords against many usernames.
FAILURES_PER_ADDRESS = 20

TOO_MANY_MESSAGE = "Too many failed sign-in attempts. Try again in 15 minutes."

RESET_WINDOW_SECONDS = 60 * 60  # the message promises readers "Try again in an hour"
# A reader whose link is slow to arrive asks again once or twice; a fourth link within the hour to one inbox
# is someone else filling it (mail bombing).
RESETS_PER_EMAIL = 3
# Higher than per e-mail address: a household, an office or a phone carrier puts several readers behind one
# address, each of whom may forget a password. It still stops one address from mailing many inboxes.
RESETS_PER_ADDRESS = 10

TOO_MANY_RESETS_MESSAGE = "Too many password reset requests. Try again in an hour."

clock = time.time  # the one seam tests replace to step past the window without sleeping


def _digest(name: str) -> str:
    """A short hash of a username or e-mail address in any case, so the ledger never holds the name itself."""
    return hashlib.sha256(name.casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _username_key(username: str) -> str:
    return f"accounts:signin-failures:user:{_digest(username)}"


def _address_key(address: str) -> str:
    return f"accounts:signin-failures:addr:{address}"


def _keys(username: str | None, address: str | None) -> list[tuple[str, int]]:
    keys = []
    if username:
        keys.append((_username_key(username), FAILURES_PER_USERNAME))
    if address:
        keys.append((_address_key(address), FAILURES_PER_ADDRESS))
    return keys


def is_blocked(username: str | None, address: str | None) -> bool:
    """True when this username or this address failed too often within the window."""
    now = clock()
    return any(ratelimit.count(key, window=WINDOW_SECONDS, now=now) >= limit for key, limit in _keys(username, address))


def record_failure(username: str | None, address: str | None) -> None:
    now = clock()
    for key, _limit in _keys(username, address):
        ratelimit.record(key, now=now)


def reset_username(username: str) -> None:
    """A successful sign-in forgives the username's failures; the address keeps its count."""
    ratelimit.forget(_username_key(username))


def allow_reset(email: str, address: str | None) -> bool:
    """Count one password-reset request against the client address, then the e-mail address; False if either is full.

    The e-mail address typed counts whether or not an account has it, so a refusal reveals nothing. A refused
    request is not counted under the key that refused it, so waiting out the window is enough to ask again.
    """
    now = clock()
    if address:
        address_key = f"accounts:reset-requests:addr:{address}"
        if ratelimit.hit(address_key, [(RESET_WINDOW_SECONDS, RESETS_PER_ADDRESS)], now=now) is not None:
            return False  # refused for the client, so not counted against the inbox either
    email_key = f"accounts:reset-requests:email:{_digest(email)}"
    return ratelimit.hit(email_key, [(RESET_WINDOW_SECONDS, RESETS_PER_EMAIL)], now=now) is None


def client_address(request) -> str | None:
    """The address the request came from, as the web server saw it (the same rule as web.views)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
