"""reader.canonical: every rule that decides URL identity, as a named case."""

from __future__ import annotations

import hashlib

import pytest

from reader.canonical import (
    TRACKING_PARAMS,
    canonical_url,
    guid_hash,
    is_tracking_param,
    same_site,
    site_of,
    url_hash,
)

CANONICAL_CASES = {
    "lower-case scheme and host": ("HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path"),
    "path case is kept": ("https://example.com/A/b.HTML", "https://example.com/A/b.HTML"),
    "default http port dropped": ("http://example.com:80/a", "http://example.com/a"),
    "default https port dropped": ("https://example.com:443/a", "https://example.com/a"),
    "other port kept": ("https://example.com:8443/a", "https://example.com:8443/a"),
    "http port on https kept": ("https://example.com:80/a", "https://example.com:80/a"),
    "fragment dropped": ("https://example.com/a#comments", "https://example.com/a"),
    "empty path becomes slash": ("https://example.com", "https://example.com/"),
    "empty path with query": ("https://example.com?b=1", "https://example.com/?b=1"),
    "trailing slash kept": ("https://example.com/news/", "https://example.com/news/"),
    "no trailing slash kept": ("https://example.com/news", "https://example.com/news"),
    "index.html kept": ("https://example.com/news/index.html", "https://example.com/news/index.html"),
    "utm_* stripped": (
        "https://example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=x&id=7",
        "https://example.com/a?id=7",
    ),
    "upper-case UTM stripped": ("https://example.com/a?UTM_Source=x&p=2", "https://example.com/a?p=2"),
    "click ids stripped": (
        "https://example.com/a?fbclid=IwAR0&gclid=Cj0&yclid=1&msclkid=2&igshid=3",
        "https://example.com/a",
    ),
    "mailchimp ids stripped": ("https://example.com/a?mc_cid=1&mc_eid=2&page=3", "https://example.com/a?page=3"),
    "at internet stripped": ("https://bbc.example/n?at_medium=RSS&at_campaign=KARANGA", "https://bbc.example/n"),
    "msn ocid and cmpid stripped": ("https://example.com/a?ocid=msn&cmpid=rss", "https://example.com/a"),
    "ref_src and _ga stripped": ("https://example.com/a?ref_src=twsrc&_ga=2.1", "https://example.com/a"),
    "remaining params sorted": ("https://example.com/a?z=1&a=2&m=3", "https://example.com/a?a=2&m=3&z=1"),
    "repeated params sorted by value": ("https://example.com/a?t=b&t=a", "https://example.com/a?t=a&t=b"),
    "param encoding kept as written": ("https://example.com/s?q=a%20b+c", "https://example.com/s?q=a%20b+c"),
    "meaningful source param kept": ("https://example.com/a?source=wire", "https://example.com/a?source=wire"),
    "blank value kept": ("https://example.com/a?amp", "https://example.com/a?amp"),
    "only tracking leaves no question mark": ("https://example.com/a?utm_source=x", "https://example.com/a"),
    "empty query dropped": ("https://example.com/a?", "https://example.com/a"),
    "stray ampersands dropped": ("https://example.com/a?&b=1&&", "https://example.com/a?b=1"),
    "IDNA host": ("https://Bücher.example/straße", "https://xn--bcher-kva.example/straße"),
    "punycode host kept": ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
    "trailing dot on host dropped": ("https://example.com./a", "https://example.com/a"),
    "surrounding whitespace stripped": ("  https://example.com/a \n", "https://example.com/a"),
    "userinfo kept": ("https://user@Example.com/a", "https://user@example.com/a"),
    "IPv6 host and default port": ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
    "relative URL unchanged": ("/news/a?utm_source=x", "/news/a?utm_source=x"),
    "mailto unchanged": ("mailto:Desk@Example.com", "mailto:Desk@Example.com"),
    "unparseable port unchanged": ("http://example.com:port/a", "http://example.com:port/a"),
}


@pytest.mark.parametrize(("url", "expected"), CANONICAL_CASES.values(), ids=CANONICAL_CASES.keys())
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url", [case[1] for case in CANONICAL_CASES.values()], ids=CANONICAL_CASES.keys())
def test_canonical_url_is_idempotent(url):
    assert canonical_url(canonical_url(url)) == canonical_url(url)


def test_tracking_params_are_a_named_frozenset():
    assert isinstance(TRACKING_PARAMS, frozenset)
    assert {"fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "at_medium", "at_campaign"} <= TRACKING_PARAMS
    assert {"ref_src", "igshid", "_ga", "yclid"} <= TRACKING_PARAMS


@pytest.mark.parametrize(
    ("name", "expected"),
    [("utm_source", True), ("utm_anything", True), ("UTM_TERM", True), ("utm%5Fsource", True),
     ("fbclid", True), ("id", False), ("page", False), ("q", False), ("source", False), ("ref", False)],
)  # fmt: skip
def test_is_tracking_param(name, expected):
    assert is_tracking_param(name) is expected


def test_url_hash_is_sha256_of_the_canonical_url():
    assert url_hash("HTTPS://Example.com:443?utm_source=x#top") == hashlib.sha256(b"https://example.com/").hexdigest()


def test_url_hash_is_equal_for_tracking_variants():
    assert url_hash("https://example.com/a?id=1&utm_source=rss") == url_hash("https://example.com/a?id=1#x")
    assert url_hash("https://example.com/a") != url_hash("https://example.com/a/")


def test_guid_hash_strips_whitespace_only():
    assert guid_hash("  tag:example.com,2024:1\n") == hashlib.sha256(b"tag:example.com,2024:1").hexdigest()
    assert guid_hash("ABC") != guid_hash("abc")
    assert len(guid_hash("x")) == 64


SAME_SITE_CASES = {
    "www ignored": ("https://www.example.com/a", "https://example.com/b", True),
    "subdomain of the same registrable domain": ("https://news.bbc.co.uk/1", "https://www.bbc.co.uk/2", True),
    "public suffix respected": ("https://alice.github.io/", "https://bob.github.io/", False),
    "different domains": ("https://example.com/", "https://example.org/", False),
    "scheme and port ignored": ("http://example.com:8080/", "https://example.com/", True),
    "host case ignored": ("https://EXAMPLE.com/", "https://example.com/", True),
    "IDNA and unicode are one site": ("https://bücher.example/", "https://xn--bcher-kva.example/", True),
    "same IP address": ("http://127.0.0.1:8000/a", "http://127.0.0.1/b", True),
    "different IP addresses": ("http://127.0.0.1/", "http://127.0.0.2/", False),
    "no host is never the same site": ("/relative", "/relative", False),
    "empty strings": ("", "", False),
}


@pytest.mark.parametrize(("a", "b", "expected"), SAME_SITE_CASES.values(), ids=SAME_SITE_CASES.keys())
def test_same_site(a, b, expected):
    assert same_site(a, b) is expected
    assert same_site(b, a) is expected


def test_site_of():
    assert site_of("https://www.theguardian.com/world/x") == "theguardian.com"
    assert site_of("https://news.bbc.co.uk/") == "bbc.co.uk"
    assert site_of("http://localhost:8000/") == "localhost"
    assert site_of("not a url") == ""
