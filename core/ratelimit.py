"""Rate limits that hold across every web and worker process: a ledger of actions in the database.

A cache would be the usual place, but the embedded setup's shared cache is file-based, and neither
it nor Django's database cache increments atomically across processes (and the file cache culls
keys once it holds 300). Counting and recording happen in one transaction, serialised per key: by
SQLite's write lock (transactions start IMMEDIATE) or a PostgreSQL advisory lock on the key.
"""

import hashlib
import math
import random
from collections.abc import Sequence

from django.db import connection, transaction

from .models import RateEvent

# Events older than this are never counted (the longest window in use is a day).
KEEP_SECONDS = 2 * 86_400
# Share of hits that also sweep out old events: cheap, and the table stays small.
SWEEP_SHARE = 0.01


def _lock(key: str) -> None:
    if connection.vendor == "postgresql":
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def count(key: str, *, window: float, now: float) -> int:
    return RateEvent.objects.filter(key=key, at__gt=now - window).count()


def hit(key: str, limits: Sequence[tuple[int, int]], *, now: float) -> int | None:
    """Count one action under `key` unless a (window seconds, allowed) limit is already reached.

    Returns None when the action is allowed (and recorded), else the window that is full.
    """
    with transaction.atomic():
        _lock(key)
        for window, allowed in limits:
            if count(key, window=window, now=now) >= allowed:
                return window
        RateEvent.objects.create(key=key, at=now)
    if random.random() < SWEEP_SHARE:
        RateEvent.objects.filter(at__lt=now - KEEP_SECONDS).delete()
    return None


def wait_seconds(key: str, limits: Sequence[tuple[int, int]], *, now: float) -> int:
    """Whole seconds until `key` may act again under `limits` (0 when it may act now), for Retry-After."""
    wait = 0.0
    for window, allowed in limits:
        times = list(
            RateEvent.objects.filter(key=key, at__gt=now - window).order_by("-at").values_list("at", flat=True)
        )
        if len(times) >= allowed:
            # The window has room again once the event that filled its last place leaves it.
            wait = max(wait, times[allowed - 1] + window - now)
    return max(0, math.ceil(wait))


def record(key: str, *, now: float) -> None:
    """Count an action that is never refused itself (a failed sign-in), for `count` to read."""
    RateEvent.objects.create(key=key, at=now)


def forget(key: str) -> None:
    RateEvent.objects.filter(key=key).delete()
