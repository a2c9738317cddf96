"""Everything the strict path refuses (ill-formed XML, RSS 0.9x, Atom 0.3, xml:base, XHTML text
constructs) goes to feedparser, which never gives up on a document."""

from __future__ import annotations

import html
import html.entities
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser

from reader import canonical
from reader.parsing.entries import (
    _LIBRARY_ERRORS,
    Enclosure,
    FeedParseError,
    ParsedFeed,
    _int_or_none,
    _looks_like_image,
    _make_entry,
    _plausible,
    plain_text,
)


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
        link = canonical.http_url(raw.get("link"), base)
        enclosures = [
            Enclosure(
                url=canonical.http_url(e.get("href"), base),
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
        link=canonical.http_url(info.get("link"), base_url),
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
            return canonical.http_url(url, base)
    for thumb in raw.get("media_thumbnail") or []:
        if thumb.get("url"):
            return canonical.http_url(thumb["url"], base)
    return ""


def _bozo_message(parsed: Mapping[str, Any], xml_error: str) -> str:
    if xml_error:
        return f"The feed is not well-formed XML ({xml_error}); its entries were read leniently."
    exc = parsed.get("bozo_exception")
    reason = str(exc).strip() if exc else "it has a minor problem"
    return f"The feed was read with a warning: {reason}."
