from datetime import UTC, datetime, timedelta

import pytest

from sources.scheduling import (
    MAX_INTERVAL,
    MIN_INTERVAL,
    ScheduleInput,
    error_backoff,
    next_check,
    posting_interval,
)

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def every(gap, count, *, last_at=NOW):
    """``count`` entry times, ``gap`` apart, the newest at ``last_at``."""
    return [last_at - gap * i for i in range(count)]


def schedule(entries=(), *, ttl=None, max_age=None, retry_after=None, errors=0, jitter=0.0):
    return ScheduleInput(
        now=NOW,
        entry_times=list(entries),
        ttl_minutes=ttl,
        max_age=max_age,
        retry_after=retry_after,
        error_count=errors,
        jitter=jitter,
    )


HOURLY = every(timedelta(hours=1), 20)

# (name, input, expected delay from NOW)
CASES = [
    (
        "wire feed posting every 2 minutes → 5 min floor",
        schedule(every(timedelta(minutes=2), 50)),
        MIN_INTERVAL,
    ),
    ("hourly news site → 30 min", schedule(HOURLY), timedelta(minutes=30)),
    ("daily column → 12 h", schedule(every(timedelta(days=1), 7)), timedelta(hours=12)),
    ("weekly blog → 24 h", schedule(every(timedelta(weeks=1), 10)), MAX_INTERVAL),
    ("new feed without entries → 24 h", schedule([]), MAX_INTERVAL),
    ("single entry → 24 h", schedule([NOW - timedelta(hours=1)]), MAX_INTERVAL),
    (
        "busy feed gone quiet for a fortnight → 24 h",
        schedule(every(timedelta(minutes=10), 30, last_at=NOW - timedelta(days=14))),
        MAX_INTERVAL,
    ),
    (
        "ttl 60 on a wire feed → 60 min",
        schedule(every(timedelta(minutes=2), 50), ttl=60),
        timedelta(minutes=60),
    ),
    ("ttl shorter than posting rate is ignored", schedule(HOURLY, ttl=10), timedelta(minutes=30)),
    ("ttl of a week is clamped → 24 h", schedule(HOURLY, ttl=7 * 24 * 60), MAX_INTERVAL),
    ("max-age 3600 on an hourly feed → 1 h", schedule(HOURLY, max_age=3600), timedelta(hours=1)),
    ("max-age 90000 → 24 h", schedule(HOURLY, max_age=90000), MAX_INTERVAL),
    ("max-age 0 is no floor", schedule(HOURLY, max_age=0), timedelta(minutes=30)),
    ("larger of ttl and max-age wins", schedule(HOURLY, ttl=45, max_age=7200), timedelta(hours=2)),
    ("1 error → 15 min", schedule(HOURLY, errors=1), timedelta(minutes=15)),
    ("3 errors → 1 h", schedule(HOURLY, errors=3), timedelta(hours=1)),
    ("8 errors → 24 h cap", schedule(HOURLY, errors=8), MAX_INTERVAL),
    ("10000 errors → 24 h, no overflow", schedule(HOURLY, errors=10_000), MAX_INTERVAL),
    ("error backoff still respects max-age", schedule(HOURLY, errors=1, max_age=3600), timedelta(hours=1)),
    ("Retry-After 3600 → 1 h", schedule(HOURLY, retry_after=3600), timedelta(hours=1)),
    (
        "a longer error backoff beats a short Retry-After",
        schedule(HOURLY, retry_after=60, errors=4),
        timedelta(hours=2),
    ),
    (
        "a longer Retry-After beats a short error backoff",
        schedule(HOURLY, retry_after=7200, errors=1),
        timedelta(hours=2),
    ),
    ("Retry-After wins over ttl", schedule(HOURLY, retry_after=600, ttl=120), timedelta(minutes=10)),
    ("Retry-After 0 is not a tight loop → 5 min", schedule(HOURLY, retry_after=0), MIN_INTERVAL),
    ("Retry-After of 3 days is clamped → 24 h", schedule(HOURLY, retry_after=3 * 86400), MAX_INTERVAL),
    ("negative Retry-After is ignored", schedule(HOURLY, retry_after=-5), timedelta(minutes=30)),
    ("jitter 1.0 shortens by 10 %", schedule(HOURLY, jitter=1.0), timedelta(minutes=27)),
    ("jitter never undercuts ttl", schedule(HOURLY, ttl=60, jitter=1.0), timedelta(minutes=60)),
    ("jitter on backoff", schedule(HOURLY, errors=3, jitter=0.5), timedelta(minutes=57)),
    (
        "jitter never goes under the 5 min floor",
        schedule(every(timedelta(minutes=1), 60), jitter=1.0),
        MIN_INTERVAL,
    ),
]


@pytest.mark.parametrize(("name", "inp", "delay"), CASES, ids=[case[0] for case in CASES])
def test_next_check(name, inp, delay):
    assert next_check(inp) == NOW + delay


@pytest.mark.parametrize(("name", "inp", "delay"), CASES, ids=[case[0] for case in CASES])
def test_next_check_is_always_within_bounds(name, inp, delay):
    assert MIN_INTERVAL <= next_check(inp) - NOW <= MAX_INTERVAL


@pytest.mark.parametrize(
    ("name", "entries", "expected"),
    [
        ("even hourly gaps → half an hour", HOURLY, timedelta(minutes=30)),
        (
            # ten items at 9:00, then one an hour: the burst's zero gaps collapse to one time
            "burst of identical times counts once",
            [NOW - timedelta(hours=3)] * 10 + every(timedelta(hours=1), 3),
            timedelta(minutes=30),
        ),
        (
            "one long silence does not drown a steady rate",
            [*every(timedelta(hours=2), 10), NOW - timedelta(days=5)],
            timedelta(hours=1),
        ),
        (
            "future-dated entries (time-zone bugs) are ignored",
            [*every(timedelta(hours=4), 6), NOW + timedelta(hours=9), NOW + timedelta(hours=10)],
            timedelta(hours=2),
        ),
        (
            "entries older than the 7-day window are ignored",
            [NOW - timedelta(days=1), *every(timedelta(minutes=1), 100, last_at=NOW - timedelta(days=8))],
            MAX_INTERVAL,
        ),
        ("unordered input is fine", list(reversed(HOURLY)), timedelta(minutes=30)),
        ("tuple input is fine", tuple(HOURLY), timedelta(minutes=30)),
        ("rate is not clamped here", every(timedelta(minutes=2), 10), timedelta(minutes=1)),
    ],
)
def test_posting_interval(name, entries, expected):
    assert posting_interval(entries, NOW) == expected


@pytest.mark.parametrize(
    ("error_count", "expected"),
    [
        (-1, timedelta(0)),
        (0, timedelta(0)),
        (1, timedelta(minutes=15)),
        (2, timedelta(minutes=30)),
        (3, timedelta(hours=1)),
        (4, timedelta(hours=2)),
        (5, timedelta(hours=4)),
        (6, timedelta(hours=8)),
        (7, timedelta(hours=16)),
        (8, MAX_INTERVAL),
        (50, MAX_INTERVAL),
    ],
)
def test_error_backoff(error_count, expected):
    assert error_backoff(error_count) == expected


@pytest.mark.parametrize(
    ("jitter", "expected"),
    [
        (0.0, timedelta(hours=1)),
        (0.5, timedelta(minutes=57)),
        (1.0, timedelta(minutes=54)),
        (7.0, timedelta(minutes=54)),
    ],
)
def test_error_backoff_jitter_only_shortens_and_is_bounded(jitter, expected):
    assert error_backoff(3, jitter=jitter) == expected


def test_error_backoff_at_the_cap_with_jitter_stays_under_max():
    assert error_backoff(20, jitter=1.0) == MAX_INTERVAL * 0.9
