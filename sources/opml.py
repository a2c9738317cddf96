"""Read and write OPML subscription lists (OPML 1.0 and 2.0).

Pure functions over bytes and a frozen dataclass; no Django here. ``tidings import-opml`` and the
first-start catalogue (``sources/default.opml``) call :func:`parse_opml`; the export view calls
:func:`render_opml`.

Tidings-specific attributes
---------------------------
Licence and display policy travel on each feed ``<outline>`` in our own XML namespace, so plain
readers (Miniflux, NetNewsWire, Feedly…) ignore them and a round trip through Tidings keeps them::

    <opml version="2.0" xmlns:tidings="https://tidings.example/opml">
      <outline type="rss" text="BBC News (World)" xmlUrl="https://…"
               tidings:publisher="BBC News" tidings:country="GB" tidings:language="en"
               tidings:licence="All rights reserved (excerpt only)" tidings:display="excerpt"/>

The namespace URI (:data:`TIDINGS_NS`) is an identifier, never fetched; it must not change, or
files written by older versions lose their attributes. Only the URI matters: any prefix works.
Missing attributes fall back to the safe defaults (:data:`DEFAULT_LICENCE`, excerpt only).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from reader import canonical

TIDINGS_NS = "https://tidings.example/opml"

DISPLAY_FULL_TEXT = "full_text"
DISPLAY_EXCERPT = "excerpt"
DISPLAY_POLICIES = frozenset({DISPLAY_FULL_TEXT, DISPLAY_EXCERPT})

# A feed whose licence we were not told is all rights reserved: headline, excerpt and a link only.
DEFAULT_LICENCE = "All rights reserved (excerpt only)"
DEFAULT_DISPLAY = DISPLAY_EXCERPT

_NOT_OPML = "This file is not an OPML subscription list."
_ENTITIES = "This OPML file declares XML entities, which Tidings does not read for safety."


class OpmlError(ValueError):
    """The bytes are not a usable OPML document; ``str(error)`` is a sentence for the user."""


@dataclass(frozen=True)
class OpmlFeed:
    feed_url: str
    title: str
    site_url: str
    category: str  # the nearest enclosing folder <outline>, "" when the feed is at the top level
    country: str  # ISO 3166-1 alpha-2 when given, else ""
    language: str  # ISO 639-1 when given, else ""
    licence: str  # e.g. "CC BY-ND 4.0", "All rights reserved (excerpt only)"
    display_policy: str  # "full_text" | "excerpt"
    publisher: str  # publisher name; defaults to the title


def _xml_parser() -> etree.XMLParser:
    # Hostile input is expected (OPML comes from URLs users paste): no entity expansion (billion
    # laughs, XXE), no DTD loading, no network, no huge-tree mode.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Return the feeds of an OPML document in document order, each feed URL once (first wins).

    Outlines with an ``xmlUrl`` are feeds; outlines without one are folders and name the
    ``category`` of the feeds inside (the innermost folder wins for nested folders). Feed URLs that
    are not http(s) are skipped. Raises :class:`OpmlError` when ``data`` is not OPML at all.
    """
    if not data or not data.strip():
        raise OpmlError(_NOT_OPML)
    try:
        root = etree.fromstring(data, parser=_xml_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise OpmlError(_ENTITIES if b"<!ENTITY" in data else _NOT_OPML) from exc
    dtd = root.getroottree().docinfo.internalDTD if root is not None else None
    if dtd is not None and any(True for _ in dtd.iterentities()):
        # No subscription list needs entities; they exist here only to read files or blow up memory.
        raise OpmlError(_ENTITIES)
    if root is None or not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise OpmlError(_NOT_OPML)
    body = next((child for child in root if _local(child) == "body"), None)
    if body is None:
        raise OpmlError(_NOT_OPML)

    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline, folder in _walk(body, folder=""):
        feed = _feed_from_outline(outline, folder)
        if feed is None or feed.feed_url in seen:
            continue
        seen.add(feed.feed_url)
        feeds.append(feed)
    return feeds


def _local(element: etree._Element) -> str:
    if not isinstance(element.tag, str):  # comments, entities, processing instructions
        return ""
    return etree.QName(element).localname.lower()


def _walk(parent: etree._Element, folder: str) -> Iterator[tuple[etree._Element, str]]:
    for outline in parent:
        if _local(outline) != "outline":
            continue
        attrs = _plain_attrs(outline)
        if attrs.get("xmlurl", "").strip():
            yield outline, folder
        else:
            name = _clean(attrs.get("text") or attrs.get("title") or "")
            yield from _walk(outline, folder=name or folder)


def _plain_attrs(element: etree._Element) -> dict[str, str]:
    """Attributes without a namespace, keyed case-insensitively (``xmlURL`` exists in the wild)."""
    return {key.lower(): value for key, value in element.attrib.items() if not key.startswith("{")}


def _clean(text: str) -> str:
    return " ".join(text.split())


def _feed_from_outline(outline: etree._Element, folder: str) -> OpmlFeed | None:
    attrs = _plain_attrs(outline)
    feed_url = canonical.http_url_or_none(attrs.get("xmlurl", ""))
    if feed_url is None:
        return None  # javascript:, data:, file:, relative: nothing Tidings may fetch or link to
    site_url = canonical.http_url_or_none(attrs.get("htmlurl", "")) or ""
    title = _clean(attrs.get("title") or attrs.get("text") or "") or feed_url
    category = folder or _category_attribute(attrs.get("category", ""))

    def tidings(name: str) -> str:
        return _clean(outline.get(f"{{{TIDINGS_NS}}}{name}", ""))

    display = tidings("display").lower()
    return OpmlFeed(
        feed_url=feed_url,
        title=title,
        site_url=site_url,
        category=category,
        country=tidings("country").upper(),
        language=tidings("language"),
        licence=tidings("licence") or DEFAULT_LICENCE,
        display_policy=display if display in DISPLAY_POLICIES else DEFAULT_DISPLAY,
        publisher=tidings("publisher") or title,
    )


def _category_attribute(value: str) -> str:
    """OPML 2.0 ``category="/News/World,/Other"``: the last segment of the first path."""
    first = value.split(",")[0]
    segments = [segment.strip() for segment in first.split("/") if segment.strip()]
    return segments[-1] if segments else ""


def render_opml(feeds: Iterable[OpmlFeed], *, title: str) -> bytes:
    """Write an OPML 2.0 document that :func:`parse_opml` reads back to the same feeds.

    Feeds are grouped into one folder per category, in first-seen order; feeds without a category
    sit at the top level. Output is deterministic (no creation date), so exports diff cleanly.
    """
    root = etree.Element("opml", nsmap={"tidings": TIDINGS_NS})
    root.set("version", "2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")

    folders: dict[str, etree._Element] = {}
    for feed in feeds:
        parent = body
        if feed.category:
            if feed.category not in folders:
                folder = etree.SubElement(body, "outline")
                folder.set("text", feed.category)
                folder.set("title", feed.category)
                folders[feed.category] = folder
            parent = folders[feed.category]
        _append_feed(parent, feed)

    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _append_feed(parent: etree._Element, feed: OpmlFeed) -> None:
    outline = etree.SubElement(parent, "outline")
    outline.set("type", "rss")
    outline.set("text", feed.title)
    outline.set("title", feed.title)
    outline.set("xmlUrl", feed.feed_url)
    if feed.site_url:
        outline.set("htmlUrl", feed.site_url)
    outline.set(f"{{{TIDINGS_NS}}}publisher", feed.publisher)
    if feed.country:
        outline.set(f"{{{TIDINGS_NS}}}country", feed.country)
    if feed.language:
        outline.set(f"{{{TIDINGS_NS}}}language", feed.language)
    outline.set(f"{{{TIDINGS_NS}}}licence", feed.licence)
    outline.set(f"{{{TIDINGS_NS}}}display", feed.display_policy)
