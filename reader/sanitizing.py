"""The only producer of safe HTML.

``clean_html`` is the last step before HTML is stored in a field whose name ends in ``_safe``.
Two passes:

1. An lxml pass that changes structure: relative links and image sources made absolute, tracking
   parameters stripped from links, tracking pixels and unusable images removed, ``h1`` demoted
   to ``h2``, ``alt`` made present on every image. It only rewrites and removes; safety does not
   depend on it.
2. nh3 (Ammonia) on a strict allowlist. It re-parses whatever the first pass produced with an
   HTML5 parser, so its output is safe whatever the input or the first pass did.

``clean_html`` never raises. Input the first pass cannot parse (``<html>`` alone makes lxml's
fragment parser assert "too many bodies") goes to nh3 as it came; input nh3 cannot take (lone
surrogates) comes out as its text, escaped. Each such fall-back is told to whoever listens with
``problems_recorded()``, so the pipeline can say on a feed's health which items were degraded.
"""

from __future__ import annotations

import contextlib
import contextvars
import html as html_escaping
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree, html

from reader.canonical import strip_tracking_params

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li",
        "strong", "em", "b", "i", "u", "s", "sub", "sup", "code", "pre",
        "figure", "figcaption", "img", "a",
        "table", "thead", "tbody", "tr", "th", "td",
        "hr", "abbr", "time", "cite", "q", "mark", "small",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt", "width", "height"},
    "a": {"href", "title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
    "time": {"datetime"},
}
# Removed together with everything inside them, not just unwrapped.
REMOVED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "form", "input", "button", "svg", "noscript",
     "template", "textarea", "select", "math", "frameset", "noembed", "noframes", "head", "title"}
)  # fmt: skip
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})
LINK_REL = "noopener noreferrer nofollow"

# Hosts that serve only counting pixels and ad beacons, never a picture worth showing. A host
# matches itself and its subdomains.
TRACKER_HOSTS = frozenset(
    {
        "feeds.feedburner.com",  # ~r/ pixels and ~ff/ share buttons
        "feedproxy.google.com",
        "feeds.feedblitz.com",
        "doubleclick.net",
        "google-analytics.com",
        "googletagmanager.com",
        "pixel.wp.com",
        "stats.wordpress.com",
        "pixel.quantserve.com",
        "scorecardresearch.com",
        "pixel.facebook.com",
        "bat.bing.com",
        "analytics.twitter.com",
        "ct.pinterest.com",
        "px.ads.linkedin.com",
        "pixel.mathtag.com",
        "statcounter.com",
        "list-manage.com",  # Mailchimp open pixels
    }
)
# width/height at or below this many pixels mark a counting pixel, not an illustration.
TRACKING_PIXEL_MAX_SIZE = 1

logger = logging.getLogger(__name__)

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_IGNORED_CHARS = str.maketrans("", "", "\t\n\r")
_EMPTY_PARAGRAPH_RE = re.compile(r"<p>(?:\s|&nbsp;|\u00a0|<br>)*</p>")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
# Characters lxml refuses in an attribute value (XML 1.0 forbids them) and no real URL holds:
# C0 controls other than tab/newline/carriage return, DEL, lone surrogates, U+FFFE/U+FFFF.
_BAD_URL_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SURROGATES_RE = re.compile("[\ud800-\udfff]")

# huge_tree lifts libxml2's nesting limit from 256 to a few thousand levels, past which the
# rest of a document is dropped (safely, but lost). lxml locks a parser shared between threads.
_HTML_PARSER = html.HTMLParser(huge_tree=True)

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    # "*": nothing, or Ammonia would allow its default lang and title on every tag
    attributes={"*": set()} | {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes=set(LINK_SCHEMES),
)


@dataclass(frozen=True)
class SanitizeProblem:
    """One input that could not be cleaned the normal way: ``base_url`` says whose, ``message`` what
    was done instead, in words for an operator."""

    base_url: str
    message: str


_problems: contextvars.ContextVar[list[SanitizeProblem] | None] = contextvars.ContextVar(
    "sanitizing_problems", default=None
)


@contextlib.contextmanager
def problems_recorded() -> Iterator[list[SanitizeProblem]]:
    """Collect the problems of every clean_html call made inside the block (this thread only)."""
    problems: list[SanitizeProblem] = []
    token = _problems.set(problems)
    try:
        yield problems
    finally:
        _problems.reset(token)


def _record(base_url: str, message: str) -> None:
    problems = _problems.get()
    if problems is not None:
        problems.append(SanitizeProblem(base_url, message))


def clean_html(html_text: str, *, base_url: str) -> str:
    """Untrusted HTML in, HTML safe to render with ``|safe`` out. Never raises.

    ``base_url`` is the address the HTML came from (the article page, or the feed for feed
    summaries); relative links and image sources are resolved against it.
    """
    if not isinstance(html_text, str) or not html_text or not html_text.strip():
        return ""
    try:
        prepared = _rewrite(html_text, base_url)
    except (etree.LxmlError, ValueError, AssertionError, TypeError, RecursionError) as exc:
        # The structural pass only improves the result; nh3 below keeps it safe without it.
        logger.info("sanitizer structural pass failed", extra={"base_url": base_url, "error": repr(exc)})
        _record(base_url, "its HTML could not be read as written, so links and images were not rewritten")
        prepared = html_text
    try:
        cleaned = _CLEANER.clean(prepared)
    except (UnicodeError, ValueError):  # lone surrogates (from a JSON \ud800 escape) nh3 cannot take
        try:
            cleaned = _CLEANER.clean(_SURROGATES_RE.sub("\ufffd", prepared))
        except (UnicodeError, ValueError):
            _record(base_url, "its HTML could not be cleaned, so it was kept as plain text")
            return html_escaping.escape(_SURROGATES_RE.sub("\ufffd", html_text))
    cleaned = _EMPTY_PARAGRAPH_RE.sub("", cleaned)
    return _BLANK_LINES_RE.sub("\n\n", cleaned).strip()


def _rewrite(html_text: str, base_url: str) -> str:
    """The structural pass (see the module docstring); returns HTML for nh3 to sanitize."""
    try:
        root = html.fragment_fromstring(html_text, create_parent="div", parser=_HTML_PARSER)
    except (etree.ParserError, ValueError):  # nothing parseable, or NUL bytes/bad characters
        return html_text
    except AssertionError:  # "too many bodies": a whole document (<html>) where a fragment was expected
        _record(base_url, "its HTML was a whole web page rather than a fragment, and was cleaned as it came")
        return html_text
    dropped_images, unwrapped_links = [], []
    bad_urls = 0
    for element in root.iter("a", "img", "h1"):
        if element.tag == "a":
            href = _absolute_keeping_scheme(element.get("href"), base_url)
            if href is not None and _BAD_URL_CHARS_RE.search(href):
                bad_urls += 1  # lxml cannot store it, and no browser would reach what it names
                href = None
            if href is None or _scheme(href) not in LINK_SCHEMES | {""}:  # "": relative, no base
                unwrapped_links.append(element)  # a link to nowhere (or to javascript:) is text
            else:
                element.set("href", _strip_tracking(href))
        elif element.tag == "img":
            src = element.get("src") or ""
            if _BAD_URL_CHARS_RE.search(src):
                bad_urls += 1
                dropped_images.append(element)
            elif not _rewrite_image(element, base_url):
                dropped_images.append(element)
        else:
            element.tag = "h2"
    if bad_urls:
        _record(
            base_url,
            f"{bad_urls} link or image address{'es' if bad_urls > 1 else ''} held control characters "
            f"and {'were' if bad_urls > 1 else 'was'} removed",
        )
    # Changed after iterating: removing while iterating skips siblings. Tail text is kept.
    for img in dropped_images:
        img.drop_tree()
    for link in unwrapped_links:
        link.drop_tag()
    return etree.tostring(root, encoding="unicode", method="html")


def _rewrite_image(img: html.HtmlElement, base_url: str) -> bool:
    """Make the image's src absolute and its alt present; False when the image must go."""
    src = (img.get("src") or "").strip()
    if not src or src.startswith("data:"):
        src = img.get("data-src") or img.get("data-lazy-src") or ""  # lazy-loading placeholders
    src = _absolute_keeping_scheme(src, base_url)
    if src and _BAD_URL_CHARS_RE.search(src):  # a lazy-loading attribute can hold them too
        return False
    if not src or _scheme(src) not in IMAGE_SCHEMES or _is_tracker(img, src):
        return False
    img.set("src", src)
    if img.get("alt") is None:
        img.set("alt", "")
    return True


def _scheme(url: str) -> str:
    """The scheme as a browser reads it: tabs and newlines inside a URL are ignored."""
    if url.startswith("https://"):
        return "https"
    if url.startswith("http://"):
        return "http"
    match = _SCHEME_RE.match(url.translate(_URL_IGNORED_CHARS))
    return match.group(1).lower() if match else ""


def _absolute_keeping_scheme(url: str | None, base_url: str) -> str | None:
    """An absolute URL, or None when it is missing or unparseable.

    Unlike ``canonical.http_url`` this keeps every scheme: disallowed ones (javascript:, data:, ...) come back
    unchanged and nh3 removes them with the rest of the markup it refuses; mailto: and the like stay.
    """
    if url is None:
        return None
    url = url.strip()
    if not url:
        return None
    if not base_url or url.startswith(("https://", "http://")):
        return url  # already absolute
    return _resolve(base_url, url)


@lru_cache(maxsize=64)
def _base_parts(base_url: str) -> tuple[str, str, str]:
    """(scheme, origin, directory) of a base URL, for resolving common references cheaply."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    directory = origin + (parts.path.rsplit("/", 1)[0] if "/" in parts.path else "") + "/"
    return parts.scheme, origin, directory


def _resolve(base_url: str, url: str) -> str | None:
    """urljoin(base_url, url), with the common cases done without urljoin (it costs ~15 µs a
    call, which is most of this pass on an article full of links)."""
    try:
        if "./" not in url and "\\" not in url and not _scheme(url):
            scheme, origin, directory = _base_parts(base_url)
            if url.startswith("//"):
                return f"{scheme}:{url}"
            if url.startswith("/"):
                return origin + url
            if url[0] not in "?#" and scheme in {"http", "https"}:
                return directory + url
        return urljoin(base_url, url)
    except ValueError:
        return None


def _strip_tracking(url: str) -> str:
    if "?" not in url or _scheme(url) not in {"http", "https"}:
        return url
    head, _, query = url.partition("?")
    query, hash_mark, fragment = query.partition("#")
    query = strip_tracking_params(query)
    return head + ("?" + query if query else "") + hash_mark + fragment


def _is_tracker(img: html.HtmlElement, src: str) -> bool:
    for dimension in ("width", "height"):
        value = (img.get(dimension) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) <= TRACKING_PIXEL_MAX_SIZE:
            return True
    # src is an absolute http(s) URL here: the host sits between "//" and the next "/".
    authority = src.split("/", 3)[2] if src.count("/") >= 2 else ""
    host = authority.rpartition("@")[2].partition(":")[0].lower().rstrip(".")
    labels = host.split(".")
    return any(".".join(labels[i:]) in TRACKER_HOSTS for i in range(len(labels) - 1))
