"""Sign-in throttling: count failed attempts per username and per address.

Failures go to core.ratelimit's ledger in the database, shared by every process; the window slides
exactly (each failure is a row with its time).
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

clock = time.time  # the one seam tests replace to step past the window without sleeping


def _username_key(username: str) -> str:
    digest = hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"accounts:signin-failures:user:{digest}"


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


def client_address(request) -> str | None:
    """The address the request came from, as the web server saw it (the same rule as web.views)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
