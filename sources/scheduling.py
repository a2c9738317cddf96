"""When to fetch a feed next: a pure, adaptive polling interval.

``pipeline.ingest`` gathers the facts of one fetch into a :class:`ScheduleInput` and stores
``next_check(inp)`` on the feed; ``Feed.objects.due(now)`` picks it up later. Nothing here reads
the clock, settings or randomness, so every rule below is a table test.

The rules, in order of precedence:

1. ``Retry-After`` (429/503) wins when given: the server said when to come back.
2. After a failure, back off exponentially (:func:`error_backoff`).
3. Otherwise poll at the feed's posting rate (:func:`posting_interval`), clamped to
   [MIN_INTERVAL, MAX_INTERVAL].
4. Never earlier than RSS ``<ttl>`` or ``Cache-Control: max-age`` asks (rules 2 and 3); both are
   clamped to MAX_INTERVAL so a publisher cannot park a feed for a week by mistake.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Faster than this is impolite to publishers (the busiest wire feeds update every minute or two,
# and their feeds carry the last 20–50 items, so nothing is lost) and buys readers nothing.
MIN_INTERVAL = timedelta(minutes=5)
# Every feed is looked at at least daily, so a quiet blog that wakes up, a fixed error or a moved
# feed shows up within a day; no cache header or backoff pushes a feed further than this.
MAX_INTERVAL = timedelta(hours=24)

# Only entries this recent describe how often a feed posts today; a feed whose last entries are
# older than this has gone quiet and is polled at MAX_INTERVAL.
RATE_WINDOW = timedelta(days=7)
# Fewer distinct entry times than this in the window give no rate at all.
MIN_ENTRIES_FOR_RATE = 2

# First retry 15 minutes after a failure (most outages are short), then doubling: 15 min, 30 min,
# 1 h, 2 h, … capped at MAX_INTERVAL from the 8th consecutive failure on.
ERROR_BACKOFF_BASE = timedelta(minutes=15)

# Jitter shortens a delay by up to this fraction, so feeds that failed together (one host down)
# or were imported together do not come due in the same second. Shortening, not lengthening,
# keeps every delay within MAX_INTERVAL.
JITTER_SPREAD = 0.1


@dataclass(frozen=True)
class ScheduleInput:
    now: datetime
    entry_times: Sequence[datetime]  # published times of the feed's recent entries
    ttl_minutes: int | None  # RSS <ttl>
    max_age: float | None  # Cache-Control max-age, seconds
    retry_after: float | None  # Retry-After, seconds (429/503)
    error_count: int  # consecutive failures, counting this attempt
    jitter: float = 0.0  # a number in [0, 1] the caller draws (e.g. random.random()); 0 = none


def next_check(inp: ScheduleInput) -> datetime:
    """The moment this feed should be fetched again."""
    if inp.retry_after is not None and inp.retry_after >= 0:
        # The server's own schedule, but never sooner than our error backoff (a server that keeps
        # answering 503 with "Retry-After: 60" must not be polled every 5 minutes for ever) nor
        # sooner than MIN_INTERVAL ("Retry-After: 0" is no tight loop) nor later than MAX_INTERVAL.
        asked = timedelta(seconds=inp.retry_after)
        backoff = error_backoff(inp.error_count, jitter=inp.jitter) if inp.error_count else timedelta(0)
        return inp.now + _clamp(max(asked, backoff))

    if inp.error_count > 0:
        delay = error_backoff(inp.error_count, jitter=inp.jitter)
    else:
        delay = _clamp(_shorten(posting_interval(inp.entry_times, inp.now), inp.jitter))
    return inp.now + max(delay, _publisher_floor(inp.ttl_minutes, inp.max_age))


def posting_interval(entry_times: Sequence[datetime], now: datetime) -> timedelta:
    """Half the median gap between the feed's distinct entry times in the last RATE_WINDOW.

    The median, not the mean (window / count), because publishers post in bursts: ten items
    dropped at 9:00 and then nothing until 17:00 should not look like "every 48 minutes", and one
    long silence should not drown a steady rate. Half the gap because polling at the gap itself
    would find a new item on average half a gap late, and often two at once.

    Entries dated in the future (clock or time-zone bugs) and older than the window are ignored;
    with too few left there is no rate and the answer is MAX_INTERVAL. Not clamped: callers clamp.
    """
    recent = sorted({t for t in entry_times if now - RATE_WINDOW <= t <= now})
    if len(recent) < MIN_ENTRIES_FOR_RATE:
        return MAX_INTERVAL
    gaps = [later - earlier for earlier, later in itertools.pairwise(recent)]
    return statistics.median_low(gaps) / 2


def error_backoff(error_count: int, *, jitter: float = 0.0) -> timedelta:
    """15 min × 2^(n−1) after n consecutive failures, capped at MAX_INTERVAL; 0 when n ≤ 0.

    ``jitter`` in [0, 1] shortens the delay by up to JITTER_SPREAD (deterministic: the caller
    draws the number).
    """
    if error_count <= 0:
        return timedelta(0)
    # Cap the exponent before multiplying: 2**10000 minutes overflows timedelta.
    doublings = min(error_count - 1, 32)
    delay = min(ERROR_BACKOFF_BASE * 2**doublings, MAX_INTERVAL)
    return _shorten(delay, jitter)


def _shorten(delay: timedelta, jitter: float) -> timedelta:
    fraction = min(max(jitter, 0.0), 1.0) * JITTER_SPREAD
    return delay * (1 - fraction)


def _clamp(delay: timedelta) -> timedelta:
    return min(max(delay, MIN_INTERVAL), MAX_INTERVAL)


def _publisher_floor(ttl_minutes: int | None, max_age: float | None) -> timedelta:
    """The earliest next fetch the publisher asked for, at most MAX_INTERVAL."""
    floor = timedelta(0)
    if ttl_minutes is not None and ttl_minutes > 0:
        floor = max(floor, timedelta(minutes=min(ttl_minutes, MAX_INTERVAL // timedelta(minutes=1))))
    if max_age is not None and max_age > 0:
        floor = max(floor, timedelta(seconds=min(max_age, MAX_INTERVAL.total_seconds())))
    return min(floor, MAX_INTERVAL)
