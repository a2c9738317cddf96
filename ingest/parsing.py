"""Feed bytes → one ParsedFeed.

The pipeline fetches with its own client and hands this module bytes. Three parsers sit behind
``parse_feed``:

* JSON Feed 1 / 1.1 is read with ``json`` directly.
* Well-formed RSS 2.0, RSS 1.0 and Atom 1.0 go to fastfeedparser (the fast path, ~50x faster than
  feedparser). Well-formedness is decided first by a strict lxml parse, because fastfeedparser has
  no bozo flag and silently drops text on a bare ``&`` or an undefined entity. The same strict
  tree fills in what fastfeedparser does not report (format, language, ttl, thumbnails, whether
  an entry really has full content).
* Anything else (ill-formed XML, RSS 0.9x, Atom 0.3, xml:base, XHTML text constructs) goes to
  feedparser, which never gives up on a document.

Before any of them sees an XML document, its document type declarations go (``_without_dtd``):
none of the three may then load a DTD (fastfeedparser's lxml parser opens a ``SYSTEM`` file even
with entity resolution off), expand an entity (feedparser's loose parser expands declared ones,
so a 46 kB "quadratic blowup" feed became 80 million characters) or read a file or URL the
document names. Short literal entities a feed declares are put back in place within a budget,
and HTML entity names a feed took from an external DTD become character references.

Nothing but this module's dataclasses leaves it: no FeedParserDict, no fastfeedparser dict.
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import html
import html.entities
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import fastfeedparser
import feedparser
from lxml import etree

from ingest import canonical

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


def parse_feed(body: bytes, *, base_url: str, content_type: str = "", now: datetime | None = None) -> ParsedFeed:
    """Parse a fetched feed body; raise FeedParseError when nothing usable is in it.

    ``base_url`` is the address the body was finally fetched from; relative links resolve
    against it (or against xml:base where the feed sets one). ``now`` only exists for tests of
    the future-date cut-off.
    """
    now = now or datetime.now(UTC)
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FeedParseError("The feed was empty.")
    if _looks_like_json(stripped, content_type):
        feed = _parse_json_feed(stripped, base_url=base_url, now=now)
    else:
        body = _without_dtd(body, content_type)
        lenient_ok = _check_markup_budget(body)
        root, xml_error = _strict_xml_root(body)
        feed = None
        if root is not None:
            if _local_name(root.tag) == "html":
                raise FeedParseError("This address returned a web page, not a feed.")
            if _fast_path_allowed(root, body):
                feed = _parse_with_fastfeedparser(body, root, base_url=base_url, now=now)
        del root  # the strict tree is not needed past here; a large one should not stay in memory
        if feed is None and not lenient_ok:
            # feedparser's loose parser runs in Python (~60 µs a tag): only lxml's recovering
            # parser, in C, reads a broken document this large.
            feed = _parse_repaired_with_fastfeedparser(
                body, base_url=base_url, fmt="", bozo_message=_bozo_message({}, xml_error), now=now
            )
            if feed is None:
                raise FeedParseError(
                    f"The feed is not well-formed XML ({xml_error}) and too large to read leniently "
                    f"(more than {MAX_LENIENT_TAGS:,} tags or {MAX_LENIENT_ATTRIBUTES:,} attributes)."
                )
        if feed is None:
            feed = _parse_with_feedparser(
                body, base_url=base_url, content_type=content_type, xml_error=xml_error, now=now
            )
            if not feed.entries and xml_error:
                feed = (
                    _parse_repaired_with_fastfeedparser(
                        body, base_url=base_url, fmt=feed.format, bozo_message=feed.bozo_message, now=now
                    )
                    or feed
                )
    return _limit_entries(feed)


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


def _absolute(url: Any, base: str) -> str:
    """An http(s) URL resolved against ``base``, or "" for anything else (javascript:, data:, junk):
    an entry without a usable link is skipped and counted, its feed goes on."""
    return canonical.http_url_or_none(url, base) or ""


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


# --- JSON Feed ------------------------------------------------------------------------------


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if body[:1] == b"{":
        return True
    ctype = content_type.split(";", 1)[0].strip().lower()
    return ctype in {"application/feed+json", "application/json"} and not body.startswith(b"<")


def _parse_json_feed(body: bytes, *, base_url: str, now: datetime) -> ParsedFeed:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise FeedParseError("This address returned JSON that could not be read.") from exc
    if b"\\u" in body:
        data = _without_lone_surrogates(data)
    if not isinstance(data, dict) or not (
        "jsonfeed.org" in str(data.get("version", "")) or isinstance(data.get("items"), list)
    ):
        raise FeedParseError("This address returned JSON, but not a JSON Feed.")
    version = str(data.get("version", ""))
    feed_url = _absolute(data.get("feed_url"), base_url) or base_url
    link = _absolute(data.get("home_page_url"), feed_url)
    items = data.get("items") if isinstance(data.get("items"), list) else []
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        entry_link = _absolute(item.get("url"), feed_url) or _absolute(item.get("external_url"), feed_url)
        content_html = item.get("content_html")
        content_text = item.get("content_text")
        if not isinstance(content_html, str) or not content_html:
            content_html = html.escape(content_text) if isinstance(content_text, str) else ""
        summary = item.get("summary")
        enclosures = []
        for attachment in item.get("attachments") or []:
            if isinstance(attachment, dict) and attachment.get("url"):
                enclosures.append(
                    Enclosure(
                        url=_absolute(attachment.get("url"), feed_url),
                        media_type=str(attachment.get("mime_type") or ""),
                        length=_int_or_none(attachment.get("size_in_bytes")),
                    )
                )
        guid = item.get("id")
        entries.append(
            _make_entry(
                guid=str(guid) if isinstance(guid, (str, int)) else "",
                link=entry_link,
                title=item.get("title"),
                summary=html.escape(summary) if isinstance(summary, str) else "",
                content=content_html,
                author=_json_author(item) or _json_author(data),
                published=_iso_datetime(item.get("date_published"), now),
                updated=_iso_datetime(item.get("date_modified"), now),
                enclosures=enclosures,
                image_url=_absolute(item.get("image") or item.get("banner_image"), feed_url),
            )
        )
    return ParsedFeed(
        format="json11" if version.rstrip("/").endswith("1.1") else "json1",
        title=plain_text(data.get("title") if isinstance(data.get("title"), str) else ""),
        link=link,
        description=data.get("description") if isinstance(data.get("description"), str) else "",
        language=data.get("language") if isinstance(data.get("language"), str) else "",
        ttl_minutes=None,
        entries=tuple(entries),
        bozo=False,
        bozo_message="",
    )


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


def _json_author(obj: Mapping[str, Any]) -> str:
    authors = obj.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return str(authors[0].get("name") or "")
    author = obj.get("author")  # JSON Feed 1.0
    if isinstance(author, dict):
        return str(author.get("name") or "")
    return ""


# --- XML: document type declarations out, before any parser -----------------------------------

# What the entities a feed declares may add to it, in bytes, when put back in place. Real feeds
# declare a few short names ("&id;" for a tag: URI prefix); a "quadratic blowup" declares one
# long value and uses it thousands of times.
ENTITY_EXPANSION_BUDGET = 1024 * 1024
# A declared entity longer than this is not put back: no feed needs one, an attack does.
ENTITY_VALUE_MAX_BYTES = 1024
# Removing a declaration can join the text around it into a new one ("<!DOC<!DOCTYPE x>TYPE");
# removal repeats until none is left, this many times at most.
_DTD_PASSES = 4

_XML_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_HTML_ENTITY_CODEPOINTS = {name: code for name, code in html.entities.name2codepoint.items()}
_DECL_SIGNIFICANT_RE = re.compile(rb"[\"'\[\]>]|<!--")
_DOCTYPE_OR_ENTITY_RE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_BARE_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\s+[A-Za-z_:][\w.:-]*\s*>", re.IGNORECASE)
_ENTITY_DECL_RE = re.compile(
    rb"""<!ENTITY\s+([A-Za-z_:][\w.:-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>""",
)
_SAFE_ENTITY_VALUE_RE = re.compile(rb"(?:[^&%<\"']|&#[0-9]{1,7};|&#x[0-9A-Fa-f]{1,6};)*")
_ENTITY_REF_RE = re.compile(rb"&([A-Za-z_:][\w.:-]{0,63});")
_XML_DECL_ENCODING_RE = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_FIRST_ELEMENT_RE = re.compile(rb"<\w")  # where feedparser's replace_doctype ends the prolog


def _without_dtd(body: bytes, content_type: str = "") -> bytes:
    """``body`` without document type declarations or entity declarations (see the module docstring).

    Raises FeedParseError when the declared entities would grow the document past
    ENTITY_EXPANSION_BUDGET, or when a declaration hides in an encoding this byte-level scan
    cannot read (UTF-16, UTF-32, UTF-7, EBCDIC).
    """
    _refuse_hidden_declarations(body, content_type)
    if not _DOCTYPE_OR_ENTITY_RE.search(body):
        return body
    entities: dict[bytes, bytes] = {}
    external = False
    for _ in range(_DTD_PASSES):
        body, declarations = _strip_declarations(body)
        if not declarations:
            break
        for declaration in declarations:
            found, names_external = _declared_entities(declaration)
            for name, value in found.items():
                entities.setdefault(name, value)  # XML: the first declaration of a name wins
            external = external or names_external
    else:
        raise FeedParseError("The feed hides document type declarations inside each other; it was not read.")
    if entities or external:
        body = _expand_entities(body, entities, html_names=external)
    return body


# Markup a document may hold, so that parsing any input under the fetcher's 5 MB cap stays within
# a fixed memory budget (~230 bytes of lxml tree per tag, ~750 bytes per entry built). Real feeds
# stay far below: the largest of 2,307 stored ones has 87k "<", 33k attributes, 1,046 entries.
MAX_TAGS = 250_000
MAX_ATTRIBUTES = 100_000
MAX_ENTRY_TAGS = 20_000
# fastfeedparser takes quadratic time in the attributes of one element (5 s for 40,000).
MAX_ATTRIBUTES_PER_ELEMENT = 1_000
_LONG_TAG_RE = re.compile(rb"<[^<>]{%d,}" % (4 * MAX_ATTRIBUTES_PER_ELEMENT))  # ' a="" ' is 4+ bytes
# Broken documents go to feedparser's loose parser, in Python, which spends ~60 µs a tag and
# ~1.3 kB an attribute; past these only the recovering lxml parser reads them (the largest
# broken stored feed has 8.4k tags and 11.5k attributes).
MAX_LENIENT_TAGS = 60_000
MAX_LENIENT_ATTRIBUTES = 20_000


def _check_markup_budget(body: bytes) -> bool:
    """FeedParseError when ``body`` holds more markup than any feed needs; else whether it is small
    enough for feedparser's loose parser. Cheap upper bounds first: most feeds need one pass or two."""
    tags = body.count(b"<")
    if tags > MAX_TAGS:
        raise FeedParseError(f"The document has more than {MAX_TAGS:,} tags; no feed needs that many.")
    equals = body.count(b"=")  # every attribute has one; text and URLs add some
    attributes = equals if equals <= MAX_LENIENT_ATTRIBUTES else body.count(b'="') + body.count(b"='")
    if attributes > MAX_ATTRIBUTES:
        raise FeedParseError(f"The document has more than {MAX_ATTRIBUTES:,} attributes; no feed needs that many.")
    if equals > MAX_ATTRIBUTES_PER_ELEMENT:
        for long_tag in _LONG_TAG_RE.finditer(body):
            if long_tag.group().count(b"=") > MAX_ATTRIBUTES_PER_ELEMENT:
                raise FeedParseError(
                    f"The document has an element with more than {MAX_ATTRIBUTES_PER_ELEMENT:,} attributes; "
                    "no feed needs that many."
                )
    if tags > MAX_ENTRY_TAGS and body.count(b"item") + body.count(b"entry") > MAX_ENTRY_TAGS:
        entries = body.count(b"<item") + body.count(b"<entry") + body.count(b":item") + body.count(b":entry")
        if entries > MAX_ENTRY_TAGS:
            raise FeedParseError(f"The document lists more than {MAX_ENTRY_TAGS:,} entries; no feed needs that many.")
    return tags <= MAX_LENIENT_TAGS and attributes <= MAX_LENIENT_ATTRIBUTES


def _strip_declarations(body: bytes) -> tuple[bytes, list[bytes]]:
    """One pass: every <!DOCTYPE ...> with an external id or internal subset, and every <!ENTITY ...>,
    cut out and returned.

    Comments, and CDATA sections after the first element, are left alone (an item's HTML may
    quote a doctype), except a comment before the first element that holds a declaration: it goes
    whole, because feedparser finds declarations in the prolog by regular expression, inside
    comments too, and re-declares them for its loose parser.
    """
    out, declarations, pos, n = [], [], 0, len(body)
    first_element = _FIRST_ELEMENT_RE.search(body)
    body_start = first_element.start() if first_element else n
    while True:
        start = body.find(b"<!", pos)
        if start < 0:
            out.append(body[pos:])
            break
        comment = body.startswith(b"<!--", start)
        if comment or (start > body_start and body.startswith(b"<![CDATA[", start)):
            closer = b"-->" if comment else b"]]>"
            end = body.find(closer, start + 4)
            end = n if end < 0 else end + 3
            if comment and start < body_start and _DOCTYPE_OR_ENTITY_RE.search(body, start + 4, end):
                out.append(body[pos:start])
                declarations.append(body[start:end])
            else:
                out.append(body[pos:end])
            pos = end
            continue
        keyword = body[start + 2 : start + 9].upper()
        if keyword.startswith((b"DOCTYPE", b"ENTITY")):
            end = _declaration_end(body, start)
            if not _BARE_DOCTYPE_RE.fullmatch(body, start, end):
                out.append(body[pos:start])
                declarations.append(body[start:end])
                pos = end
                continue
        out.append(body[pos : start + 2])
        pos = start + 2
    return b"".join(out), declarations


def _declaration_end(body: bytes, start: int) -> int:
    """Where the declaration at ``start`` ends: after its closing ">", quotes and an internal
    subset ("[...]", with its comments) respected; the end of the body when it never closes."""
    quote, in_subset, pos = b"", False, start + 2
    while True:
        match = _DECL_SIGNIFICANT_RE.search(body, pos)
        if match is None:
            return len(body)
        token, pos = match.group(), match.end()
        if quote:
            if token == quote:
                quote = b""
        elif token in (b'"', b"'"):
            quote = token
        elif token == b"<!--":
            close = body.find(b"-->", pos)
            if close < 0:
                return len(body)
            pos = close + 3
        elif token == b"[":
            in_subset = True
        elif token == b"]":
            in_subset = False
        elif token == b">" and not in_subset:
            return pos


def _declared_entities(declaration: bytes) -> tuple[dict[bytes, bytes], bool]:
    """The general entities with a short literal value a declaration defines, and whether it
    names anything external (a DTD file, an external or parameter entity)."""
    entities = {}
    for match in _ENTITY_DECL_RE.finditer(declaration):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        name = match.group(1)
        if len(value) <= ENTITY_VALUE_MAX_BYTES and _SAFE_ENTITY_VALUE_RE.fullmatch(value):
            entities.setdefault(name, value)
    upper = declaration.upper()
    external = b"SYSTEM" in upper or b"PUBLIC" in upper or b"%" in declaration
    return entities, external


def _expand_entities(body: bytes, entities: dict[bytes, bytes], *, html_names: bool) -> bytes:
    """Put declared entities in place (and, for a feed that took them from an external DTD, HTML
    entity names as character references), refusing past ENTITY_EXPANSION_BUDGET."""
    grown = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal grown
        name = match.group(1)
        value = entities.get(name)
        if value is None and html_names:
            text = name.decode("ascii", "replace")
            if text not in _XML_PREDEFINED and text in _HTML_ENTITY_CODEPOINTS:
                value = b"&#%d;" % _HTML_ENTITY_CODEPOINTS[text]
        if value is None:
            return match.group()
        grown += len(value) - len(match.group())
        if grown > ENTITY_EXPANSION_BUDGET:
            raise FeedParseError(
                "The feed declares XML entities that would grow it past "
                f"{ENTITY_EXPANSION_BUDGET // (1024 * 1024)} MB (an entity expansion attack); it was not read."
            )
        return value

    return _ENTITY_REF_RE.sub(replace, body)


def _refuse_hidden_declarations(body: bytes, content_type: str) -> None:
    """Refuse a declaration written in an encoding in which "<!DOCTYPE" is not those ASCII bytes.

    lxml and feedparser decode such documents themselves (from a byte order mark, the XML
    declaration, or the HTTP charset), so the byte-level removal would not see what they see.
    """
    for encoding in _possible_encodings(body, content_type):
        try:
            codec = codecs.lookup(encoding)
        except LookupError:
            continue
        if codec.name != "utf-7" and "<!DOCTYPE".encode(codec.name, "replace") == b"<!DOCTYPE":
            continue  # ASCII-compatible: the byte-level scan sees what a parser sees (UTF-7 is
            # not: it may also spell "<" as "+ADw-")
        text = body.decode(codec.name, "replace")
        if "<!doctype" in text.lower() or "<!entity" in text.lower():
            raise FeedParseError(
                f"The feed declares a document type in the {codec.name} encoding, which Tidings does not "
                "read (it could hide an entity expansion or file-reading attack)."
            )


def _possible_encodings(body: bytes, content_type: str) -> list[str]:
    head = body[:4]
    found = []
    for marks, encoding in (
        ((b"\x00\x00\xfe\xff", b"\x00\x00\x00<"), "utf-32-be"),
        ((b"\xff\xfe\x00\x00", b"<\x00\x00\x00"), "utf-32-le"),
        ((b"\xfe\xff", b"\x00<\x00?", b"\x00<\x00!"), "utf-16-be"),
        ((b"\xff\xfe", b"<\x00?\x00", b"<\x00!\x00"), "utf-16-le"),
        ((b"\x4c\x6f\xa7\x94",), "cp037"),
    ):
        if head.startswith(marks):
            found.append(encoding)
            break
    declared = _XML_DECL_ENCODING_RE.match(body.lstrip(b"\xef\xbb\xbf"))
    if declared:
        found.append(declared.group(1).decode("ascii"))
    if "charset=" in content_type.lower():
        found.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    return found


# --- XML: strict check and fast path --------------------------------------------------------


def _strict_parser() -> etree.XMLParser:
    # resolve_entities/no_network/load_dtd off: no XXE, no billion laughs, no network.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=False)


def _strict_xml_root(body: bytes) -> tuple[etree._Element | None, str]:
    """The document's root when it is well-formed XML, else (None, a short reason)."""
    try:
        return etree.fromstring(body, parser=_strict_parser()), ""
    except etree.XMLSyntaxError as exc:
        return None, _describe_xml_error(exc)
    except ValueError as exc:  # e.g. an encoding declaration lxml refuses
        return None, str(exc)


# libxml2's wording → what an operator can act on (shown on the sources health page).
_XML_ERROR_HINTS = (
    ("xmlParseEntityRef: no name", "a bare “&” that should be written “&amp;”"),
    ("EntityRef: expecting ';'", "a bare “&” that should be written “&amp;”"),
    ("not defined", "an HTML entity such as “&nbsp;” that XML does not know"),
    ("Opening and ending tag mismatch", "a tag that is not closed"),
    ("Premature end of data", "the document is cut off before its end"),
    ("Extra content at the end of the document", "text after the end of the feed"),
    ("Input is not proper UTF-8", "text that is not in the declared encoding"),
    ("Char 0x", "a control character that XML does not allow"),
    ("PCDATA invalid Char", "a control character that XML does not allow"),
)


def _describe_xml_error(exc: etree.XMLSyntaxError) -> str:
    message = (exc.msg or str(exc)).strip()
    message = re.sub(r",? line \d+, column \d+$", "", message)
    message = next((hint for needle, hint in _XML_ERROR_HINTS if needle in message), message)
    return f"{message}, line {exc.lineno}" if exc.lineno else message


def _fast_format(root: etree._Element) -> str:
    """The feedparser-style format name when fastfeedparser reads this dialect like feedparser."""
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == "rss" and root.get("version", "").strip() in {"2.0", "2.0.1"}:
        return "rss20"
    if tag == f"{{{RDF_NS}}}RDF" and root.find(f"{{{RSS10_NS}}}channel") is not None:
        return "rss10"
    if tag == f"{{{ATOM_NS}}}feed":
        return "atom10"
    return ""


def _fast_path_allowed(root: etree._Element, body: bytes) -> bool:
    # fastfeedparser ignores xml:base, drops XHTML text constructs and reads entity declarations
    # differently; feedparser handles these rarer documents.
    if b"xml:base" in body or b"xhtml" in body or b"<!ENTITY" in body:
        return False
    return bool(_fast_format(root))


def _items(root: etree._Element, fmt: str) -> list[etree._Element]:
    if fmt == "rss20":
        channel = root.find("channel")
        return [] if channel is None else channel.findall("item")
    if fmt == "rss10":
        return root.findall(f"{{{RSS10_NS}}}item")
    return root.findall(f"{{{ATOM_NS}}}entry")


def _child_text(parent: etree._Element | None, tag: str) -> str:
    if parent is None:
        return ""
    child = parent.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _element_image(item: etree._Element, base: str) -> str:
    for media in item.iter(f"{{{MEDIA_NS}}}content"):
        url = media.get("url", "")
        if url and (media.get("medium") == "image" or _looks_like_image(url, media.get("type", ""))):
            return _absolute(url, base)
    for thumb in item.iter(f"{{{MEDIA_NS}}}thumbnail"):
        if thumb.get("url"):
            return _absolute(thumb.get("url"), base)
    return ""


def _fast_guid_and_link(raw: Mapping[str, Any], item: etree._Element, fmt: str, base_url: str) -> tuple[str, str]:
    """Entry id and link, resolved the way feedparser resolves them, so that an entry keeps one
    identity whichever parser reads its feed (a feed can be well-formed one day and not the next).

    feedparser treats an Atom id and an RSS guid that is a permalink as a URI reference: it is
    resolved against the base, and it stands in for a missing link.
    """
    guid = raw.get("id") or ""
    guid = guid.strip() if isinstance(guid, str) else ""
    link = _absolute(raw.get("link"), base_url)
    if fmt == "rss20":
        element = item.find("guid")
        permalink = element is not None and element.get("isPermaLink", "true").strip().lower() != "false"
    else:
        permalink = fmt == "atom10"
    if guid and permalink:
        guid = _resolved_guid(guid, base_url)
        link = link or _absolute(guid, base_url)
    return guid, link


_DC = "http://purl.org/dc/elements/1.1/"
_DCTERMS = "http://purl.org/dc/terms/"
_DATE_TAGS = frozenset(
    {
        "pubDate",
        f"{{{RSS10_NS}}}pubDate",
        f"{{{_DC}}}date",
        f"{{{_DCTERMS}}}created",
        f"{{{_DCTERMS}}}issued",
        f"{{{_DCTERMS}}}modified",
        f"{{{ATOM_NS}}}published",
        f"{{{ATOM_NS}}}updated",
        f"{{{ATOM_NS}}}issued",
        f"{{{ATOM_NS}}}modified",
    }
)


def _ffp_enclosures(raw: Mapping[str, Any], base_url: str) -> list[Enclosure]:
    """RSS <enclosure> and Atom rel="enclosure" links, as fastfeedparser reports them."""
    found = [(e.get("url") or e.get("href"), e) for e in raw.get("enclosures") or []]
    found += [(link.get("href"), link) for link in raw.get("links") or [] if link.get("rel") == "enclosure"]
    return [
        Enclosure(
            url=_absolute(url, base_url),
            media_type=str(e.get("type") or ""),
            length=_int_or_none(e.get("length")),
        )
        for url, e in found
        if url
    ]


def _parse_repaired_with_fastfeedparser(
    body: bytes, *, base_url: str, fmt: str, bozo_message: str, now: datetime
) -> ParsedFeed | None:
    """Last resort for broken XML in which feedparser found no entries.

    fastfeedparser repairs some breakage feedparser cannot read (a doubled XML declaration, RSS
    elements under a stray prefix, as dylanharris.org serves). Without a clean tree to check it
    against, its fields are taken as they come.
    """
    try:
        parsed = fastfeedparser.parse(body)
    except _LIBRARY_ERRORS:  # ValueError is fastfeedparser's "not a feed"; the rest, what lxml raised
        return None
    raw_entries = parsed.get("entries") or []
    if not raw_entries:
        return None
    info = parsed.get("feed") or {}
    entries = []
    for raw in raw_entries:
        media = [m for m in (raw.get("media_content") or []) + (raw.get("media_thumbnail") or [])]
        content = next((c.get("value") or "" for c in raw.get("content") or []), "")
        summary = raw.get("description") or ""
        entries.append(
            _make_entry(
                guid=raw.get("id") or "",
                link=_absolute(raw.get("link"), base_url),
                title=raw.get("title"),
                summary=summary,
                content="" if content == summary else content,
                author=raw.get("author"),
                published=_iso_datetime(raw.get("published"), now),
                updated=_iso_datetime(raw.get("updated"), now),
                enclosures=_ffp_enclosures(raw, base_url),
                image_url=next((_absolute(m.get("url"), base_url) for m in media if m.get("url")), ""),
            )
        )
    return ParsedFeed(
        format=fmt or "unknown",
        title=plain_text(info.get("title")),
        link=_absolute(info.get("link"), base_url),
        description=info.get("subtitle") or "",
        language=info.get("language") or "",
        ttl_minutes=None,
        entries=tuple(entries),
        bozo=True,
        bozo_message=bozo_message,
    )


def _parse_with_fastfeedparser(body: bytes, root: etree._Element, *, base_url: str, now: datetime) -> ParsedFeed | None:
    """Read a well-formed feed with fastfeedparser; None sends it to feedparser instead."""
    fmt = _fast_format(root)
    try:
        parsed = fastfeedparser.parse(body)
    except _LIBRARY_ERRORS:  # ValueError: fastfeedparser's way of saying "not a feed I can read"
        return None
    items = _items(root, fmt)
    raw_entries = parsed.get("entries") or []
    if len(raw_entries) != len(items):
        return None  # cannot pair fastfeedparser's entries with the XML items: be safe
    channel = root.find("channel") if fmt == "rss20" else root
    if fmt == "rss10":
        channel = root.find(f"{{{RSS10_NS}}}channel")
    info = parsed.get("feed") or {}
    content_tags = {f"{{{CONTENT_NS}}}encoded", f"{{{ATOM_NS}}}content"}
    summary_tags = {"description", f"{{{RSS10_NS}}}description", f"{{{ATOM_NS}}}summary"}
    encoding = (root.getroottree().docinfo.encoding or "").lower().replace("_", "-")
    latin1 = encoding in {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "us-ascii", "ascii"}
    entries = []
    for raw, item in zip(raw_entries, items, strict=True):
        # Summary and content straight from the tree: fastfeedparser synthesizes a plain-text
        # description from the content when the feed has none, and we want the HTML as given.
        summary = next((c.text or "" for c in item if c.tag in summary_tags), "")
        content_element = next((c for c in item if c.tag in content_tags), None)
        content = "" if content_element is None else content_element.text or ""
        if content_element is not None and content_element.get("type") == "text":
            content = html.escape(content, quote=False)
        guid, link = _fast_guid_and_link(raw, item, fmt, base_url)
        # fastfeedparser reads an undated item's guid as a date when it can ("2024-05-01"):
        # trust its dates only when the item has a date element.
        dated = any(c.tag in _DATE_TAGS for c in item)
        if not summary and not content:
            summary = _child_text(item.find(f".//{{{MEDIA_NS}}}group"), f"{{{MEDIA_NS}}}description")
        title = raw.get("title")
        if latin1:
            title, summary, content = _fix_c1_controls(title), _fix_c1_controls(summary), _fix_c1_controls(content)
        entries.append(
            _make_entry(
                guid=guid,
                link=link,
                title=title,
                summary=summary,
                content=content,
                author=raw.get("author"),
                published=_iso_datetime(raw.get("published"), now) if dated else None,
                updated=_iso_datetime(raw.get("updated"), now) if dated else None,
                enclosures=_ffp_enclosures(raw, base_url),
                image_url=_element_image(item, base_url),
            )
        )
    language = (
        info.get("language")
        or _child_text(channel, "language")
        or root.get("{http://www.w3.org/XML/1998/namespace}lang", "")
    )
    if fmt == "rss10" and not language:
        language = _child_text(channel, f"{{{_DC}}}language")
    return ParsedFeed(
        format=fmt,
        title=plain_text(info.get("title")),
        link=_absolute(info.get("link"), base_url),
        description=info.get("subtitle") or "",
        language=language,
        ttl_minutes=_int_or_none(_child_text(channel, "ttl")) if fmt == "rss20" else None,
        entries=tuple(entries),
        bozo=False,
        bozo_message="",
    )


# --- XML: feedparser for everything else ----------------------------------------------------


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head


def _struct_to_datetime(value: Any, now: datetime) -> datetime | None:
    if not value:
        return None
    try:
        return _plausible(datetime(*value[:6], tzinfo=UTC), now)
    except (TypeError, ValueError, OverflowError):
        return None


def _parse_with_feedparser(
    body: bytes, *, base_url: str, content_type: str, xml_error: str, now: datetime
) -> ParsedFeed:
    headers = {"content-location": base_url}  # lower-case keys: feedparser looks them up so
    if content_type:
        headers["content-type"] = content_type  # an empty one would make feedparser cry bozo
    body = _without_bad_char_refs(body)
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            sanitize_html=False,  # sanitizing.clean_html is the only sanitizer
            resolve_relative_uris=False,  # keep summary/content HTML as given; clean_html resolves
        )
    except _LIBRARY_ERRORS as exc:  # e.g. ValueError from chr() on "&#2000000;" in its loose parser
        raise FeedParseError(f"The feed could not be read, even leniently ({type(exc).__name__}: {exc}).") from exc
    info = parsed.get("feed") or {}
    raw_entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if not raw_entries and not info.get("title") and not info.get("link"):
        # An empty but recognisable feed (a new blog) is fine; a page or garbage is not.
        if _looks_like_html(body):
            raise FeedParseError("This address returned a web page, not a feed.")
        if not parsed.get("version"):
            raise FeedParseError("This address did not return a feed that could be read.")
    entries = []
    for raw in raw_entries:
        base = (raw.get("title_detail") or {}).get("base") or base_url
        link = _absolute(raw.get("link"), base)
        enclosures = [
            Enclosure(
                url=_absolute(e.get("href"), base),
                media_type=str(e.get("type") or ""),
                length=_int_or_none(e.get("length")),
            )
            for e in raw.get("enclosures") or []
            if e.get("href")
        ]
        content = _feedparser_content(raw, is_atom=version.startswith("atom"))
        entries.append(
            _make_entry(
                guid=dict.get(raw, "id") or "",
                link=link,
                title=dict.get(raw, "title"),
                summary=dict.get(raw, "summary") or "",
                content=content,
                author=(dict.get(raw, "author_detail") or {}).get("name") or dict.get(raw, "author"),
                published=_struct_to_datetime(dict.get(raw, "published_parsed"), now),
                updated=_struct_to_datetime(dict.get(raw, "updated_parsed"), now),
                enclosures=enclosures,
                image_url=_feedparser_image(raw, base),
            )
        )
    bozo = bool(xml_error) or (
        bool(parsed.get("bozo")) and not isinstance(parsed.get("bozo_exception"), _HARMLESS_BOZO)
    )
    return ParsedFeed(
        format=version or "unknown",
        title=plain_text(info.get("title")),
        link=_absolute(info.get("link"), base_url),
        description=info.get("subtitle") or "",
        language=info.get("language") or "",
        ttl_minutes=_int_or_none(info.get("ttl")),
        entries=tuple(entries),
        bozo=bozo,
        bozo_message=_bozo_message(parsed, xml_error) if bozo else "",
    )


# Numeric references long enough to name a surrogate (U+D800-U+DFFF) or a code point past U+10FFFF.
_LONG_CHAR_REF_RE = re.compile(rb"&#(?:[xX]0*([0-9a-fA-F]{4,})|0*([0-9]{5,}));")


def _without_bad_char_refs(body: bytes) -> bytes:
    """References to no character ("&#55296;", "&#2000000;") as "&#65533;" (U+FFFD).

    feedparser's loose parser calls chr() on them and fails on the whole document (ValueError), or
    leaves a lone surrogate that fails its entry in the database.
    """

    def replace(match: re.Match[bytes]) -> bytes:
        code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        return b"&#65533;" if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF else match.group()

    return _LONG_CHAR_REF_RE.sub(replace, body) if b"&#" in body else body


# A well-formed feed served as text/html or with a wrong charset is a feed like any other.
_HARMLESS_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


def _feedparser_content(raw: Mapping[str, Any], *, is_atom: bool) -> str:
    for item in raw.get("content") or []:
        value, media_type = item.get("value") or "", item.get("type") or ""
        if "plain" not in media_type:
            return value
        if is_atom:  # <content type="text">; in RSS, text/plain "content" is a media:description
            return html.escape(value, quote=False)
    return ""


def _feedparser_image(raw: Mapping[str, Any], base: str) -> str:
    for media in raw.get("media_content") or []:
        url = media.get("url") or ""
        if url and (media.get("medium") == "image" or _looks_like_image(url, media.get("type") or "")):
            return _absolute(url, base)
    for thumb in raw.get("media_thumbnail") or []:
        if thumb.get("url"):
            return _absolute(thumb["url"], base)
    return ""


def _bozo_message(parsed: Mapping[str, Any], xml_error: str) -> str:
    if xml_error:
        return f"The feed is not well-formed XML ({xml_error}); its entries were read leniently."
    exc = parsed.get("bozo_exception")
    reason = str(exc).strip() if exc else "it has a minor problem"
    return f"The feed was read with a warning: {reason}."
