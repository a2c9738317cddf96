"""What every feed parser here returns (ParsedFeed, ParsedEntry, Enclosure), the one error it raises,
and the helpers all of them share: plain text, plausible dates, links, fallback guids, mojibake repair."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import html.entities
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree

# A feed may list thousands of items (archives, podcasts with every episode since 2005). One
# refresh must not flood extraction and clustering with 10,000 articles, and no news feed needs
# more than a few hundred; the newest MAX_ENTRIES by date are kept and the rest counted as dropped.
MAX_ENTRIES = 1000

# Dates outside this window are typos, epoch zeros or deliberate "pin to top" tricks; they would
# sort an entry to the top or bottom of every list, so they are treated as missing.
EARLIEST_PLAUSIBLE_DATE = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_DATE_SLACK = timedelta(days=2)

ATOM_NS = "http://www.w3.org/2005/Atom"
RSS10_NS = "http://purl.org/rss/1.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
MEDIA_NS = "http://search.yahoo.com/mrss/"

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_TAG_RE = re.compile(r"<[A-Za-z/!?][^>]*>")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Enclosure:
    url: str
    media_type: str
    length: int | None


@dataclass(frozen=True)
class ParsedEntry:
    guid: str  # entry id; else the link; else a hash of title + published (never empty)
    link: str  # absolute, "" if none
    title: str  # plain text
    summary: str  # HTML as given, unsanitized; the full content when the feed gives no summary
    content: str  # full content HTML (content:encoded, atom content, content_html), else ""
    author: str
    published: datetime | None  # aware UTC
    updated: datetime | None  # aware UTC
    enclosures: tuple[Enclosure, ...]
    image_url: str  # absolute, "" if none


@dataclass(frozen=True)
class ParsedFeed:
    format: str  # "rss20", "rss10", "rss09x"-style feedparser names, "atom10", "atom03", "json1", "json11"
    title: str
    link: str
    description: str
    language: str
    ttl_minutes: int | None
    entries: tuple[ParsedEntry, ...]
    bozo: bool  # the input was not well-formed, but entries were usable
    bozo_message: str  # a plain sentence for the operator, "" when not bozo
    entries_dropped: int = 0  # entries beyond MAX_ENTRIES


# What the parsers behind parse_feed raise on documents they cannot handle (feedparser's loose
# parser calls chr() on any numeric reference; lxml refuses control characters in strings).
_LIBRARY_ERRORS = (ValueError, TypeError, AssertionError, AttributeError, IndexError, KeyError, RecursionError,
                   etree.LxmlError, UnicodeError, OverflowError)  # fmt: skip


class FeedParseError(ValueError):
    """Nothing usable: not a feed at all (an HTML page), an empty body, garbage.

    The message is a plain sentence for an operator.
    """


# --- shared helpers -------------------------------------------------------------------------


def plain_text(value: str | None) -> str:
    """Titles and names as display text: tags stripped, entities decoded, whitespace collapsed."""
    if not value:
        return ""
    if "<" in value:
        value = _TAG_RE.sub(" ", value)
    if "&" in value:
        value = html.unescape(value)
    return _SPACE_RE.sub(" ", value).strip()


def _plausible(dt: datetime | None, now: datetime) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC).replace(microsecond=0)  # feedparser keeps whole seconds; so do we
    if dt < EARLIEST_PLAUSIBLE_DATE or dt > now + FUTURE_DATE_SLACK:
        return None
    return dt


def _iso_datetime(value: Any, now: datetime) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    value = value.strip()
    try:
        return _plausible(datetime.fromisoformat(value.replace("Z", "+00:00")), now)
    except (ValueError, OverflowError):
        pass
    try:  # some JSON Feeds use RFC 822 dates, as RSS does
        return _plausible(parsedate_to_datetime(value), now)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def _resolved_guid(guid: str, base: str) -> str:
    """A permalink guid resolved against the base as feedparser resolves it. A guid is identity, not
    a link shown to readers: any scheme (urn:, tag:) stays as written."""
    if not base or (guid.startswith(("https://", "http://")) and "/." not in guid):
        return guid
    try:
        return urljoin(base, guid)
    except ValueError:  # e.g. an invalid IPv6 literal in the guid
        return guid


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        value = value.strip()
        if value.isdigit() and len(value) < 19:
            return int(value)
    return None


def _fallback_guid(title: str, published: datetime | None, link: str, summary: str) -> str:
    if link:
        return link
    key = f"{title}\n{published.isoformat() if published else ''}"
    if not title and published is None:
        key += "\n" + summary  # nothing else tells these entries apart
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _looks_like_image(url: str, media_type: str) -> bool:
    if media_type:
        return media_type.lower().startswith("image/")
    return url.lower().split("?", 1)[0].endswith(_IMAGE_EXTENSIONS)


def _make_entry(
    *,
    guid: Any,
    link: str,
    title: Any,
    summary: Any,
    content: Any,
    author: Any,
    published: datetime | None,
    updated: datetime | None,
    enclosures: Iterable[Enclosure],
    image_url: str,
) -> ParsedEntry:
    title_text = _no_surrogates(_repair_mojibake(plain_text(title if isinstance(title, str) else "")))
    summary = _no_surrogates(summary) if isinstance(summary, str) else ""
    content = _no_surrogates(content) if isinstance(content, str) else ""
    link, image_url = _no_surrogates(link), _no_surrogates(image_url)
    author = _no_surrogates(author) if isinstance(author, str) else author
    if not summary.strip():
        summary = content  # as feedparser does: an entry with only full content uses it as summary
    guid = _no_surrogates(guid.strip()) if isinstance(guid, str) else ""
    enclosures = tuple(e for e in enclosures if e.url)  # "" when its URL was not http(s)
    # RSS 1.0's dc:date and Atom's required <updated> are the only dates many feeds give.
    published, updated = published or updated, updated or published
    if not image_url:
        image_url = next((e.url for e in enclosures if _looks_like_image(e.url, e.media_type)), "")
    return ParsedEntry(
        guid=guid or _fallback_guid(title_text, published, link, summary),
        link=link,
        title=title_text,
        summary=summary,
        content=content,
        author=_author_name(author),
        published=published,
        updated=updated,
        enclosures=enclosures,
        image_url=image_url,
    )


_C1_RE = re.compile("[\u0080-\u009f]")


def _fix_c1_controls(text: Any) -> Any:
    """Read C1 control characters as the cp1252 punctuation they were meant to be.

    Feeds that declare iso-8859-1 are usually cp1252 ("\x97" is an em dash); feedparser reads
    them so, lxml does not. Only the fast path calls this, and only for such feeds.
    """
    if not isinstance(text, str) or not _C1_RE.search(text):
        return text
    return _C1_RE.sub(lambda m: m.group().encode("latin-1").decode("cp1252", errors="replace"), text)


_MOJIBAKE_RE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u2000-\u203a\u0152-\u0178]")


def _repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as Latin-1/cp1252 and encoded again ("Ã©" for "é").

    feedparser repairs this in titles; doing it here keeps both parsers' titles equal.
    """
    if not _MOJIBAKE_RE.search(text):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return text


_EMAIL_NAME_RE = re.compile(r"^\S+@\S+\s*\((?P<name>[^)]+)\)$")


def _author_name(author: Any) -> str:
    """ "jane@example.org (Jane Doe)", RSS's author form, becomes "Jane Doe", as feedparser reads it."""
    name = plain_text(author if isinstance(author, str) else "")
    match = _EMAIL_NAME_RE.match(name)
    return match.group("name").strip() if match else name


def _limit_entries(feed: ParsedFeed) -> ParsedFeed:
    if len(feed.entries) <= MAX_ENTRIES:
        return feed
    entries = feed.entries
    if any(e.published or e.updated for e in entries):
        oldest = datetime.min.replace(tzinfo=UTC)
        # stable sort: undated entries go last, dated ones newest first
        entries = tuple(sorted(entries, key=lambda e: e.published or e.updated or oldest, reverse=True))
    kept = entries[:MAX_ENTRIES]
    return dataclasses.replace(feed, entries=kept, entries_dropped=len(feed.entries) - len(kept))


def _local_name(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""  # comments, processing instructions
    return tag.rsplit("}", 1)[-1].lower()


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _no_surrogates(text: str) -> str:
    """Half a UTF-16 pair (from a JSON escape or feedparser's chr() of a reference) as U+FFFD: no
    database encoder takes one, and one refused row must not cost its neighbours."""
    return _SURROGATE_RE.sub("\ufffd", text) if _SURROGATE_RE.search(text) else text


def _without_lone_surrogates(value: Any) -> Any:
    """JSON may escape half a UTF-16 pair ("\\ud800"); no database or encoder takes one: U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value
