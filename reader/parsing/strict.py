"""Well-formed RSS 2.0, RSS 1.0 and Atom: the strict lxml check, then fastfeedparser (the fast path),
with the strict tree filling in what fastfeedparser does not report; also the recovering parse of
documents too broken or too large for feedparser."""

from __future__ import annotations

import html
import html.entities
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import fastfeedparser
from lxml import etree

from reader import canonical
from reader.parsing.entries import (
    _LIBRARY_ERRORS,
    ATOM_NS,
    CONTENT_NS,
    MEDIA_NS,
    RDF_NS,
    RSS10_NS,
    Enclosure,
    ParsedFeed,
    _fix_c1_controls,
    _int_or_none,
    _iso_datetime,
    _looks_like_image,
    _make_entry,
    _resolved_guid,
    plain_text,
)


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
            return canonical.http_url(url, base)
    for thumb in item.iter(f"{{{MEDIA_NS}}}thumbnail"):
        if thumb.get("url"):
            return canonical.http_url(thumb.get("url"), base)
    return ""


def _fast_guid_and_link(raw: Mapping[str, Any], item: etree._Element, fmt: str, base_url: str) -> tuple[str, str]:
    """Entry id and link, resolved the way feedparser resolves them, so that an entry keeps one
    identity whichever parser reads its feed (a feed can be well-formed one day and not the next).

    feedparser treats an Atom id and an RSS guid that is a permalink as a URI reference: it is
    resolved against the base, and it stands in for a missing link.
    """
    guid = raw.get("id") or ""
    guid = guid.strip() if isinstance(guid, str) else ""
    link = canonical.http_url(raw.get("link"), base_url)
    if fmt == "rss20":
        element = item.find("guid")
        permalink = element is not None and element.get("isPermaLink", "true").strip().lower() != "false"
    else:
        permalink = fmt == "atom10"
    if guid and permalink:
        guid = _resolved_guid(guid, base_url)
        link = link or canonical.http_url(guid, base_url)
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
            url=canonical.http_url(url, base_url),
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
                link=canonical.http_url(raw.get("link"), base_url),
                title=raw.get("title"),
                summary=summary,
                content="" if content == summary else content,
                author=raw.get("author"),
                published=_iso_datetime(raw.get("published"), now),
                updated=_iso_datetime(raw.get("updated"), now),
                enclosures=_ffp_enclosures(raw, base_url),
                image_url=next((canonical.http_url(m.get("url"), base_url) for m in media if m.get("url")), ""),
            )
        )
    return ParsedFeed(
        format=fmt or "unknown",
        title=plain_text(info.get("title")),
        link=canonical.http_url(info.get("link"), base_url),
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
        link=canonical.http_url(info.get("link"), base_url),
        description=info.get("subtitle") or "",
        language=language,
        ttl_minutes=_int_or_none(_child_text(channel, "ttl")) if fmt == "rss20" else None,
        entries=tuple(entries),
        bozo=False,
        bozo_message="",
    )
