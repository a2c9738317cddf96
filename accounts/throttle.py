"""Sign-in throttling: count failed attempts per username and per address in the shared cache.

The cache is file-based and shared by every process, so a counter written by one web worker is read by the
others. Each key holds the timestamps of recent failures (not a bare counter): Django's cache ``incr()`` resets
the entry's expiry, and a list lets the window slide exactly. Reading and writing a list is not atomic, so two
failures in the same instant may count as one; that only lets an attacker one attempt further, never locks
anyone out wrongly.
"""

import hashlib
import time

from django.core.cache import cache

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


def _recent(key: str, now: float) -> list[float]:
    return [t for t in cache.get(key, []) if now - t < WINDOW_SECONDS]


def is_blocked(username: str | None, address: str | None) -> bool:
    """True when this username or this address failed too often within the window."""
    now = clock()
    return any(len(_recent(key, now)) >= limit for key, limit in _keys(username, address))


def record_failure(username: str | None, address: str | None) -> None:
    now = clock()
    for key, limit in _keys(username, address):
        failures = [*_recent(key, now), now][-limit:]
        cache.set(key, failures, timeout=WINDOW_SECONDS)


def reset_username(username: str) -> None:
    """A successful sign-in forgives the username's failures; the address keeps its count."""
    cache.delete(_username_key(username))


def client_address(request) -> str | None:
    """The address the request came from, as the web server saw it (the same rule as web.views)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
