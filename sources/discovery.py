"""Find a site's feeds from what a user pastes: a home page, an article, or the feed itself.

Pure functions over bytes and strings; the caller fetches (``reader.fetching``) and decides:

1. fetch the URL; if :func:`looks_like_feed` says the body already is a feed, subscribe to it;
2. otherwise offer :func:`find_feed_links` from the page, main feeds first;
3. if the page advertises none, try :func:`guess_feed_paths` one by one with the same sniff.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from reader import canonical

RSS = "application/rss+xml"
ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"

# Subtype → canonical media type. "text/rss+xml" and friends appear on old sites. Plain
# "application/json" is deliberately absent: WordPress advertises its REST API with
# rel="alternate" type="application/json", which is not a feed.
_FEED_SUBTYPES = {"rss+xml": RSS, "atom+xml": ATOM, "feed+json": JSON_FEED}

# Comment feeds are real feeds but rarely what a reader wants; they are listed after the main
# ones. Matched on the link title (WordPress: "Site » Comments Feed"; localized themes translate it).
_COMMENT_WORDS = (
    "comments",  # en
    "comment feed",
    "commentaires",  # fr
    "kommentare",  # de
    "comentarios",  # es
    "comentários",  # pt
    "commenti",  # it
    "reacties",  # nl
    "komentarze",  # pl
    "kommentarer",  # sv, da, no
    "yorumlar",  # tr
    "комментарии",  # ru
    "коментарі",  # uk
    "التعليقات",  # ar
    "コメント",  # ja
    "评论",  # zh-Hans
    "評論",  # zh-Hant
    "留言",  # zh
    "댓글",  # ko
)
_COMMENT_PATH = re.compile(r"/comments/feed/?$")  # WordPress site-wide comment feed

# Tried in this order when a page advertises no feed: WordPress (/feed), many CMSs (/rss),
# static generators (Jekyll /feed.xml, Hugo /index.xml, others /rss.xml and /atom.xml).
FALLBACK_FEED_PATHS = ("feed", "rss", "rss.xml", "atom.xml", "feed.xml", "index.xml")

# How much of a body the sniff looks at: a feed's root element comes after at most an XML
# declaration, a stylesheet instruction, comments and a DOCTYPE.
_SNIFF_BYTES = 8192
_XML_PROLOG = re.compile(
    r"""\A(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*<([A-Za-z_][\w.:-]*)""",
    re.DOTALL | re.IGNORECASE,
)
_RSS1_NS = "purl.org/rss/1.0"
_NEVER_FEED_TYPES = frozenset({"image", "audio", "video", "font"})
_JSON_FEED_VERSION = "https://jsonfeed.org/version/"


@dataclass(frozen=True)
class FeedLink:
    url: str  # absolute http(s) URL, without fragment
    title: str  # the link's title attribute, whitespace collapsed; "" when absent
    media_type: str  # one of RSS, ATOM, JSON_FEED


def find_feed_links(html: str | bytes, *, base_url: str) -> list[FeedLink]:
    """Feeds a page advertises with ``<link rel="alternate" type="…">``, best first.

    Relative hrefs resolve against ``<base href>`` then ``base_url``. Each URL appears once.
    Order: main RSS/Atom feeds, main JSON feeds, then comment feeds; document order within each.
    Broken HTML is parsed leniently; an empty or unparseable page gives ``[]``.
    """
    document = _parse_html(html)
    if document is None:
        return []
    base = base_url
    for element in document.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            base = canonical.http_url_or_none(href, base_url) or base_url  # a javascript: base is ignored
            break

    links: list[FeedLink] = []
    seen: set[str] = set()
    for element in document.iter("link"):
        rel_tokens = (element.get("rel") or "").lower().split()
        media_type = _feed_media_type(element.get("type") or "")
        href = (element.get("href") or "").strip()
        if "alternate" not in rel_tokens or media_type is None or not href:
            continue
        url = _http_url_without_fragment(base, href)
        if url is None or url in seen:
            continue
        seen.add(url)
        links.append(FeedLink(url=url, title=" ".join((element.get("title") or "").split()), media_type=media_type))

    return sorted(links, key=lambda link: (_is_comment_feed(link), link.media_type == JSON_FEED))


def _parse_html(html: str | bytes) -> etree._Element | None:
    if isinstance(html, str):
        # lxml refuses str input carrying an XML encoding declaration; bytes + an explicit
        # encoding side-steps that and overrides any <meta charset> the text no longer has.
        data, parser = html.encode("utf-8"), lxml.html.HTMLParser(encoding="utf-8")
    else:
        data, parser = html, lxml.html.HTMLParser()
    if not data.strip():
        return None
    try:
        return lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def _feed_media_type(type_attribute: str) -> str | None:
    essence = type_attribute.split(";")[0].strip().lower()
    main, _, subtype = essence.partition("/")
    if main not in ("application", "text"):
        return None
    return _FEED_SUBTYPES.get(subtype)


def _http_url_without_fragment(base: str, href: str) -> str | None:
    """An http(s) URL without fragment, or None (javascript:, data:, feed: pseudo-schemes and the like)."""
    url = canonical.http_url_or_none(href, base)
    return urldefrag(url)[0] if url else None


def _is_comment_feed(link: FeedLink) -> bool:
    title = link.title.casefold()
    return any(word in title for word in _COMMENT_WORDS) or bool(_COMMENT_PATH.search(urlsplit(link.url).path))


def looks_like_feed(body: bytes, content_type: str) -> bool:
    """Cheap sniff: is this body an RSS, Atom, RSS 1.0 (RDF) or JSON Feed document?

    The body decides, because servers label feeds ``text/html``, ``text/plain`` or
    ``application/octet-stream`` and label HTML as ``application/xml``; ``content_type`` only
    rules out images, audio, video and fonts. Only the first few kilobytes of XML are looked at;
    a body starting with ``{`` is decoded as JSON.
    """
    if not body or (content_type or "").split("/")[0].strip().lower() in _NEVER_FEED_TYPES:
        return False
    head = _decode_head(body[:_SNIFF_BYTES])
    if head.lstrip().startswith("{"):
        return _is_json_feed(body)
    match = _XML_PROLOG.match(head)
    if match is None:
        return False
    root = match.group(1)
    local = root.rpartition(":")[2]
    if root in ("rss", "feed"):
        return True
    return local == "RDF" and _RSS1_NS in head


def _decode_head(data: bytes) -> str:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="ignore")
    # The markup that matters is ASCII in every ASCII-compatible encoding.
    return data.decode("latin-1")


def _is_json_feed(body: bytes) -> bool:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return False
    version = document.get("version") if isinstance(document, dict) else None
    return isinstance(version, str) and version.startswith(_JSON_FEED_VERSION)


def guess_feed_paths(base_url: str) -> list[str]:
    """Absolute URLs worth trying when a page advertises no feed, most likely first.

    For a page below the root (``https://example.org/blog/``), candidates under that path come
    first, then the same names at the site root. Query and fragment are dropped.
    """
    parts = urlsplit(base_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return []
    root = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/", "", ""))
    directory = parts.path if parts.path.endswith("/") else parts.path.rpartition("/")[0] + "/"
    bases = [urljoin(root, directory)] if directory not in ("", "/") else []
    bases.append(root)

    candidates: list[str] = []
    for base in bases:
        for path in FALLBACK_FEED_PATHS:
            url = urljoin(base, path)
            if url not in candidates:
                candidates.append(url)
    return candidates
