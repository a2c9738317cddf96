"""URL normalisation and identity hashes.

One article reached through ``https://Example.com/a?utm_source=rss#top`` and
``https://example.com:443/a`` is one article. ``canonical_url`` decides that, and the hashes
here are what the unique indexes on articles and entries are built on, so any change to these
rules changes identities: add a named test case for every change.

The rules are written out here rather than delegated to ``courlan.normalize_url``: courlan keeps
fragments, re-encodes the query, and its tracker pattern also removes parameters such as
``source``, ``ref`` and ``uid`` that some sites use to address content. courlan is used only for
what it does well: the registrable domain (public suffix list) in ``same_site``.
"""

from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from courlan import extract_domain

# Parameters that say how a reader arrived, never what they are reading. Exact names; any
# parameter starting with one of TRACKING_PARAM_PREFIXES goes too.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "gclsrc",
        "dclid",  # DoubleClick
        "gbraid",
        "wbraid",
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid",  # X / Twitter
        "ttclid",  # TikTok
        "li_fat_id",  # LinkedIn
        "igshid",  # Instagram
        "igsh",
        "mc_cid",  # Mailchimp
        "mc_eid",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
        "oly_anon_id",  # Omeda
        "oly_enc_id",
        "vero_id",  # Vero
        "ocid",  # Microsoft / MSN
        "cmpid",  # campaign ids (Guardian, NYT, ...)
        "at_medium",  # AT Internet (BBC, Le Monde, ...)
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "ref_src",  # X / Twitter embeds
        "ref_url",
        "_ga",  # Google Analytics cross-domain
        "_gl",
        "ncid",  # Yahoo / Engadget
        "sr_share",  # Facebook share
        "smid",  # NYT social
        "ito",  # NewsNow / Guardian
        "xtor",  # AT Internet
        "spm",  # Alibaba
        "__twitter_impression",
        "icid",  # internal campaign id (CSMonitor)
    }
)
TRACKING_PARAM_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "ga_")

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Longest URL stored (the URL columns are 2,000 characters; PostgreSQL refuses a longer value, and
# one item's refusal must never fail the feed's whole batch).
MAX_URL_LENGTH = 2000
WEB_SCHEMES = frozenset({"http", "https"})
# What the WHATWG URL parser strips from both ends (C0 controls and space) and removes anywhere
# (ASCII tab and newline) before it reads a scheme: browsers read "\x01 java\tscript:" as javascript:.
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_CONTROLS = re.compile("[\x00-\x1f\x7f]")


def _whatwg_clean(url: str) -> str:
    return _TAB_OR_NEWLINE.sub("", url.strip(_C0_OR_SPACE))


def _scheme(url: str) -> str | None:
    """The scheme a browser would read from an already-cleaned URL (lower case), or None if relative."""
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


def http_url_or_none(url: object, base: str = "") -> str | None:
    """``url`` as an absolute http(s) URL, resolved against ``base``; None for anything else.

    Every URL that comes from outside (feed items, pages, OPML, discovery, redirects) passes through
    here before it is stored, and templates check again with the ``safe_url`` filter. The scheme is
    read the way a browser reads it (WHATWG URL standard): leading and trailing C0 controls and spaces
    stripped, tabs and newlines removed anywhere, case ignored. A value that still holds HTML entities
    (a double-escaped feed) is also read once unescaped, so ``&#106;avascript:`` never gets through
    to any later decoder. Relative references need an http(s) ``base``; the result is refused if it
    is longer than MAX_URL_LENGTH or has no host. Remaining control characters are percent-encoded.
    """
    if not isinstance(url, str):
        return None
    cleaned = _whatwg_clean(url)
    if not cleaned:
        return None
    unescaped = _whatwg_clean(html.unescape(cleaned)) if "&" in cleaned else cleaned
    schemes = {_scheme(cleaned), _scheme(unescaped)}
    if schemes - WEB_SCHEMES - {None}:
        return None  # javascript:, data:, vbscript:, file:, mailto:, ...
    if _scheme(cleaned) is None:
        base = http_url_or_none(base) if base else None
        if base is None:
            return None
        try:
            cleaned = _whatwg_clean(urljoin(base, cleaned))  # joining can leave a space at the end
        except ValueError:  # e.g. an invalid IPv6 literal
            return None
        if _scheme(cleaned) not in WEB_SCHEMES:
            return None
    else:
        scheme = _scheme(cleaned)
        cleaned = scheme + cleaned[len(scheme) :]
    cleaned = _CONTROLS.sub(lambda m: f"%{ord(m.group()):02X}", cleaned)
    if len(cleaned) > MAX_URL_LENGTH:
        return None
    try:
        parts = urlsplit(cleaned)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return cleaned


def http_url(url: object, base: str = "") -> str:
    """``http_url_or_none``, with "" for anything that is not a web address: a link field left empty, so an
    entry without a usable link is skipped and counted and its feed goes on."""
    return http_url_or_none(url, base) or ""


def is_tracking_param(name: str) -> bool:
    """Whether a query parameter name (raw or percent-encoded) is a tracking parameter."""
    key = unquote(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PARAM_PREFIXES)


def strip_tracking_params(query: str) -> str:
    """A raw query string without tracking parameters; the rest is kept as written, in order."""
    if not query:
        return ""
    parts = [part for part in query.split("&") if part and not is_tracking_param(part.split("=", 1)[0])]
    return "&".join(parts)


def _canonical_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # a label IDNA 2003 refuses: keep it readable rather than fail
        return host


def canonical_url(url: str) -> str:
    """The one spelling of a URL used for identity.

    Lower-case scheme and host, IDNA host, no default port, no fragment, no tracking parameters,
    the remaining query parameters sorted (each kept exactly as written), and an empty path
    becomes "/". Paths are otherwise kept exactly: "/a/" and "/a" may be different pages.
    Input that cannot be parsed as a URL comes back stripped and otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. a non-numeric port or an unclosed IPv6 bracket
        return url
    scheme = parts.scheme.lower()
    if not parts.netloc:
        return url  # relative, or a scheme without an authority (mailto:, urn:)
    host = _canonical_host(parts.hostname or "")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    query = "&".join(sorted(strip_tracking_params(parts.query).split("&"))).strip("&")
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def url_hash(url: str) -> str:
    """sha256 hex of the canonical URL, for unique indexes."""
    # surrogatepass: a lone surrogate hashes (as its own bytes) instead of raising; text without one
    # hashes as before
    return hashlib.sha256(canonical_url(url).encode("utf-8", "surrogatepass")).hexdigest()


def guid_hash(guid: str) -> str:
    """sha256 hex of a feed entry's guid (stripped), for the (feed, guid_hash) unique index."""
    return hashlib.sha256(guid.strip().encode("utf-8", "surrogatepass")).hexdigest()


def _host(url: str) -> str:
    try:
        host = urlsplit(canonical_url(url)).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def site_of(url: str) -> str:
    """The registrable domain ("bbc.co.uk" for news.bbc.co.uk); the bare host for IPs and
    single-label hosts; "" when the URL has no host."""
    host = _host(url)
    if not host:
        return ""
    return extract_domain(f"http://{host}/") or host


def same_site(a: str, b: str) -> bool:
    """Whether two URLs belong to one site: equal registrable domains, "www." ignored."""
    site = site_of(a)
    return bool(site) and site == site_of(b)
