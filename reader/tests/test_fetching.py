"""Tests for reader.fetching, against a real local HTTP server (no Django, no database)."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from reader import fetching
from reader.fetching import (
    BlockedAddressError,
    FetchError,
    FetchOptions,
    Reason,
    allowed_by_robots,
    fetch,
    is_public_address,
    make_client,
    parse_max_age,
    parse_retry_after,
)

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
LOOPBACK = frozenset({"127.0.0.1"})
MB = 1024 * 1024


@pytest.fixture
def options() -> FetchOptions:
    return FetchOptions(allow_private_hosts=LOOPBACK, connect_timeout=2.0, read_timeout=2.0)


def fetch_error(url: str, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, **kwargs)
    return info.value


# -- statuses and validators ------------------------------------------------------------------


def test_200_returns_body_and_validators(local_server, options):
    local_server.route(
        "/feed.xml",
        FEED,
        content_type="application/rss+xml; charset=utf-8",
        etag='"v1"',
        last_modified="Tue, 01 Jul 2025 10:00:00 GMT",
        headers={"Cache-Control": "public, max-age=900"},
    )
    url = local_server.url("/feed.xml")

    result = fetch(url, options=options)

    assert result.status == 200
    assert result.ok is True
    assert result.not_modified is False
    assert result.body == FEED
    assert result.url == url
    assert result.effective_url == url
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Tue, 01 Jul 2025 10:00:00 GMT"
    assert result.max_age == 900.0
    assert result.retry_after is None
    assert result.permanent_redirect_to is None
    assert result.elapsed > 0


def test_second_poll_with_validators_gets_304(local_server, options):
    local_server.route("/feed.xml", FEED, etag='"v1"', last_modified="Tue, 01 Jul 2025 10:00:00 GMT")
    url = local_server.url("/feed.xml")
    first = fetch(url, options=options)

    second = fetch(url, etag=first.etag, last_modified=first.last_modified, options=options)

    assert second.status == 304
    assert second.not_modified is True
    assert second.ok is False
    assert second.body == b""
    sent = local_server.last_request("/feed.xml").headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Tue, 01 Jul 2025 10:00:00 GMT"
    assert "If-None-Match" not in local_server.requests("/feed.xml")[0].headers


def test_if_modified_since_alone_gets_304(local_server, options):
    local_server.route("/feed.xml", FEED, last_modified="Tue, 01 Jul 2025 10:00:00 GMT")

    result = fetch(local_server.url("/feed.xml"), last_modified="Tue, 01 Jul 2025 10:00:00 GMT", options=options)

    assert result.status == 304


@pytest.mark.parametrize("status", [404, 410, 500])
def test_error_statuses_are_results(local_server, options, status):
    local_server.route("/feed.xml", b"error page", status=status)

    result = fetch(local_server.url("/feed.xml"), options=options)

    assert result.status == status
    assert result.ok is False
    assert result.body == b""


def test_429_with_retry_after_seconds(local_server, options):
    local_server.route("/feed.xml", b"slow down", status=429, headers={"Retry-After": "120"})

    result = fetch(local_server.url("/feed.xml"), options=options)

    assert result.status == 429
    assert result.retry_after == 120.0


def test_503_with_retry_after_http_date(local_server, options):
    when = datetime.now(UTC) + timedelta(hours=1)
    local_server.route("/feed.xml", status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})

    result = fetch(local_server.url("/feed.xml"), options=options)

    assert result.status == 503
    assert 3590 <= result.retry_after <= 3600


def test_header_parsers():
    now = datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Tue, 01 Jul 2025 10:02:00 GMT", now=now) == 120.0
    assert parse_retry_after("Tue, 01 Jul 2025 09:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_max_age("no-cache, max-age=60") == 60.0
    assert parse_max_age('max-age="30"') == 30.0
    assert parse_max_age("s-maxage=10") is None
    assert parse_max_age("max-age=abc") is None
    assert parse_max_age(None) is None


def test_user_agent_and_accept_sent(local_server, options):
    local_server.route("/feed.xml", FEED)

    fetch(local_server.url("/feed.xml"), options=options)

    sent = local_server.last_request("/feed.xml").headers
    assert sent["User-Agent"] == options.user_agent
    assert sent["User-Agent"].startswith("Tidings/")
    assert sent["Accept"] == options.accept
    assert sent["Accept-Encoding"] == "gzip, deflate"


# -- decompression and size caps --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_body_is_decoded(local_server, options, encoding):
    local_server.route("/feed.xml", FEED * 100, encoding=encoding)

    result = fetch(local_server.url("/feed.xml"), options=options)

    assert result.status == 200
    assert result.body == FEED * 100


def test_raw_deflate_without_zlib_header_is_decoded(local_server, options):
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = compressor.compress(FEED) + compressor.flush()
    local_server.route("/feed.xml", raw, precompressed="deflate")

    assert fetch(local_server.url("/feed.xml"), options=options).body == FEED


def test_corrupt_gzip_is_protocol_error(local_server, options):
    local_server.route("/feed.xml", b"\x1f\x8b\x08\x00not really gzip at all", precompressed="gzip")

    assert fetch_error(local_server.url("/feed.xml"), options=options).reason == Reason.PROTOCOL


def test_unsupported_encoding_is_protocol_error(local_server, options):
    local_server.route("/feed.xml", b"???", precompressed="br")

    assert fetch_error(local_server.url("/feed.xml"), options=options).reason == Reason.PROTOCOL


def test_declared_content_length_over_cap_is_refused_before_reading(local_server, options):
    local_server.huge("/big", size=50 * MB, content_length=True)

    error = fetch_error(local_server.url("/big"), options=options)

    assert error.reason == Reason.TOO_LARGE
    assert error.message == "The response is larger than the 5 MB limit."


def test_50mb_stream_without_length_stops_at_cap_with_low_memory(local_server, options):
    local_server.huge("/big", size=50 * MB, content_length=False)
    tracemalloc.start()
    try:
        error = fetch_error(local_server.url("/big"), options=options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.reason == Reason.TOO_LARGE
    # The cap is 5 MB; the body buffer plus one chunk, never the 50 MB.
    assert peak < 16 * MB


def test_gzip_bomb_is_too_large_with_low_memory(local_server, options):
    local_server.gzip_bomb("/bomb.xml")
    tracemalloc.start()
    try:
        error = fetch_error(local_server.url("/bomb.xml"), options=options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.reason == Reason.TOO_LARGE
    assert peak < 16 * MB


def test_gzip_under_cap_passes(local_server):
    body = b"a" * (2 * MB)
    local_server.route("/feed.xml", gzip.compress(body), precompressed="gzip")
    options = FetchOptions(allow_private_hosts=LOOPBACK, max_bytes=2 * MB)

    assert fetch(local_server.url("/feed.xml"), options=options).body == body


def test_truncated_body_is_protocol_error(local_server, options):
    def truncated(request):
        request.send_response(200)
        request.send_header("Content-Length", "1000")
        request.end_headers()
        request.wfile.write(b"<rss>")
        request.close_connection = True

    local_server.handler("/feed.xml", truncated)

    assert fetch_error(local_server.url("/feed.xml"), options=options).reason == Reason.PROTOCOL


# -- timeouts and connection failures ---------------------------------------------------------


def test_read_timeout(local_server):
    local_server.route("/slow.xml", FEED, delay=1.0)
    options = FetchOptions(allow_private_hosts=LOOPBACK, read_timeout=0.2)

    error = fetch_error(local_server.url("/slow.xml"), options=options)

    assert error.reason == Reason.TIMEOUT
    assert error.message == "The server did not answer within 0.2 seconds."


def test_slow_drip_hits_total_deadline(local_server):
    local_server.drip("/drip.xml", interval=0.1, chunks=50)
    options = FetchOptions(allow_private_hosts=LOOPBACK, read_timeout=1.0, total_timeout=0.5)
    started = time.monotonic()

    error = fetch_error(local_server.url("/drip.xml"), options=options)

    assert error.reason == Reason.TIMEOUT
    assert time.monotonic() - started < 2.0


def test_connection_refused(refused_url, options):
    assert fetch_error(refused_url, options=options).reason == Reason.CONNECTION


def test_dns_failure_is_connection_error(options):
    assert fetch_error("http://no-such-host.invalid/feed.xml", options=options).reason == Reason.CONNECTION


# -- URLs and redirects -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["ftp://example.com/feed.xml", "file:///etc/passwd", "javascript:alert(1)", "http:///feed.xml", ""]
)
def test_invalid_urls(url, options):
    assert fetch_error(url, options=options).reason == Reason.INVALID_URL


def test_relative_redirects_are_followed(local_server, options):
    local_server.redirect("/a", "/b", status=302)
    local_server.redirect("/b", "c", status=307)
    local_server.route("/c", FEED)

    result = fetch(local_server.url("/a"), options=options)

    assert result.status == 200
    assert result.body == FEED
    assert result.effective_url == local_server.url("/c")
    assert result.permanent_redirect_to is None


def test_permanent_redirect_is_reported(local_server, options):
    local_server.redirect("/old.xml", "/new.xml", status=301)
    local_server.redirect("/new.xml", "/newest.xml", status=308)
    local_server.route("/newest.xml", FEED)

    result = fetch(local_server.url("/old.xml"), options=options)

    assert result.status == 200
    assert result.permanent_redirect_to == local_server.url("/newest.xml")


def test_permanent_then_temporary_reports_only_permanent_part(local_server, options):
    local_server.redirect("/old.xml", "/new.xml", status=301)
    local_server.redirect("/new.xml", "/today.xml", status=302)
    local_server.route("/today.xml", FEED)

    result = fetch(local_server.url("/old.xml"), options=options)

    assert result.permanent_redirect_to == local_server.url("/new.xml")
    assert result.effective_url == local_server.url("/today.xml")


def test_redirect_loop(local_server, options):
    local_server.redirect("/a", "/b")
    local_server.redirect("/b", "/a")

    assert fetch_error(local_server.url("/a"), options=options).reason == Reason.TOO_MANY_REDIRECTS


def test_too_many_redirects(local_server):
    for i in range(4):
        local_server.redirect(f"/r{i}", f"/r{i + 1}")
    local_server.route("/r4", FEED)
    url = local_server.url("/r0")

    assert fetch(url, options=FetchOptions(allow_private_hosts=LOOPBACK, max_redirects=4)).status == 200
    error = fetch_error(url, options=FetchOptions(allow_private_hosts=LOOPBACK, max_redirects=3))
    assert error.reason == Reason.TOO_MANY_REDIRECTS


def test_redirect_to_non_http_scheme(local_server, options):
    local_server.redirect("/a", "file:///etc/passwd")

    assert fetch_error(local_server.url("/a"), options=options).reason == Reason.INVALID_URL


# -- SSRF guard -------------------------------------------------------------------------------


def test_redirect_to_metadata_endpoint_is_blocked(local_server, options):
    local_server.redirect("/a", "http://169.254.169.254/latest/meta-data/")

    error = fetch_error(local_server.url("/a"), options=options)

    assert error.reason == Reason.BLOCKED
    assert "169.254.169.254" in error.message


def test_redirect_to_loopback_name_not_allowed_is_blocked(local_server, options):
    local_server.route("/feed.xml", FEED)
    local_server.redirect("/a", local_server.url("/feed.xml", host="localhost"))

    error = fetch_error(local_server.url("/a"), options=options)

    assert error.reason == Reason.BLOCKED
    assert error.message.startswith("Refused: localhost resolves to a private address")
    assert local_server.hits("/feed.xml") == 0


def test_loopback_blocked_without_allow_list(local_server):
    local_server.route("/feed.xml", FEED)

    error = fetch_error(local_server.url("/feed.xml"), options=FetchOptions())

    assert error.reason == Reason.BLOCKED
    assert local_server.hits("/feed.xml") == 0


@pytest.mark.parametrize("url", ["http://10.0.0.5/feed.xml", "http://[::1]/feed.xml", "http://0.0.0.0/"])
def test_private_literal_ip_blocked(url):
    error = fetch_error(url, options=FetchOptions(allow_private_hosts=LOOPBACK))

    assert error.reason == Reason.BLOCKED


def test_name_allowed_in_allow_list(local_server):
    local_server.route("/feed.xml", FEED)
    options = FetchOptions(allow_private_hosts=frozenset({"localhost"}))

    result = fetch(local_server.url("/feed.xml", host="localhost"), options=options)

    assert result.status == 200


def test_guard_is_in_the_transport_itself(local_server):
    """A client from make_client() refuses even when fetch()'s URL pre-check is bypassed."""
    local_server.route("/feed.xml", FEED)
    with make_client(FetchOptions()) as client, pytest.raises(BlockedAddressError):
        client.get(local_server.url("/feed.xml", host="localhost"))
    with make_client(FetchOptions()) as client, pytest.raises(BlockedAddressError):
        client.get(local_server.url("/feed.xml"))
    assert local_server.hits("/feed.xml") == 0


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fe80::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("2002:7f00:0001::1", False),  # 6to4 wrapping 127.0.0.1
        ("not an ip", False),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


# -- per-host concurrency ---------------------------------------------------------------------


def test_per_host_concurrency_cap(local_server):
    local_server.route("/slow.xml", FEED, delay=0.3)
    options = FetchOptions(allow_private_hosts=LOOPBACK, per_host_concurrency=3)
    client = make_client(options)
    statuses: list[int] = []

    def worker():
        statuses.append(fetch(local_server.url("/slow.xml"), options=options, client=client).status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    client.close()

    assert statuses == [200] * 8
    assert local_server.hits("/slow.xml") == 8
    assert local_server.max_concurrency("/slow.xml") == 3


# -- robots.txt -------------------------------------------------------------------------------


def test_robots_allow_and_disallow(local_server, options):
    local_server.route(
        "/robots.txt",
        "User-agent: *\nDisallow: /\n\nUser-agent: Tidings\nDisallow: /private/\n",
        content_type="text/plain",
    )

    assert allowed_by_robots(local_server.url("/feed.xml"), options=options) is True
    assert allowed_by_robots(local_server.url("/private/page.html"), options=options) is False
    assert local_server.hits("/robots.txt") == 1  # cached per origin
    assert local_server.last_request("/robots.txt").headers["User-Agent"] == options.user_agent


@pytest.mark.parametrize("status", [404, 500])
def test_robots_missing_or_broken_means_allowed(local_server, options, status):
    local_server.route("/robots.txt", "User-agent: *\nDisallow: /\n", status=status)

    assert allowed_by_robots(local_server.url("/private/page.html"), options=options) is True


def test_robots_unreachable_means_allowed(refused_url, options):
    assert allowed_by_robots(refused_url, options=options) is True


def test_robots_cache_expires(local_server, options, monkeypatch):
    local_server.route("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    url = local_server.url("/private/x")
    assert allowed_by_robots(url, options=options) is False

    real_monotonic = time.monotonic
    monkeypatch.setattr(fetching.time, "monotonic", lambda: real_monotonic() + fetching.ROBOTS_TTL_SECONDS + 1)
    local_server.route("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")

    assert allowed_by_robots(url, options=options) is True
    assert local_server.hits("/robots.txt") == 2


# -- clients ----------------------------------------------------------------------------------


def test_make_client_is_reusable(local_server, options):
    local_server.route("/feed.xml", FEED)
    with make_client(options) as client:
        assert isinstance(client, httpx.Client)
        for _ in range(3):
            assert fetch(local_server.url("/feed.xml"), options=options, client=client).status == 200
    assert local_server.hits("/feed.xml") == 3
