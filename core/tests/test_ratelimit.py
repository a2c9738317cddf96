"""The database ledger of rate-limited actions: refusals, and how long to wait (HTTP Retry-After)."""

import pytest

from core import ratelimit

pytestmark = pytest.mark.django_db

LIMITS = ((60, 3), (3600, 5))


def test_wait_is_zero_while_the_window_has_room():
    assert ratelimit.hit("k", LIMITS, now=1000.0) is None
    assert ratelimit.wait_seconds("k", LIMITS, now=1000.5) == 0


def test_wait_runs_until_the_event_that_filled_the_window_leaves_it():
    for at in (1000.0, 1010.0, 1020.0):
        assert ratelimit.hit("k", LIMITS, now=at) is None
    assert ratelimit.hit("k", LIMITS, now=1030.0) == 60
    # the minute window holds 1000, 1010, 1020: room again when 1000 leaves it, at 1060
    assert ratelimit.wait_seconds("k", LIMITS, now=1030.0) == 30
    assert ratelimit.wait_seconds("k", LIMITS, now=1059.5) == 1  # whole seconds, rounded up
    assert ratelimit.wait_seconds("other", LIMITS, now=1030.0) == 0


def test_the_longest_full_window_decides():
    for at in (0.0, 100.0, 200.0, 300.0, 400.0):
        assert ratelimit.hit("k", LIMITS, now=at) is None
    assert ratelimit.hit("k", LIMITS, now=450.0) == 3600
    # the hour holds five events; the first leaves it at 3600
    assert ratelimit.wait_seconds("k", LIMITS, now=450.0) == 3150
