"""A stream as Atom, the way FeedHQ served /reader/atom/<stream> and newsboat reads it.

newsboat takes an entry's read state from <category scheme="http://www.google.com/reader/" label="read">
(rss/atomparser.cpp, src/rssparser.cpp in newsboat 2.21); "fresh" marks an unread one, so an article marked
unread again on the server is unread in newsboat after its next reload.
"""

import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from . import protocol

ATOM = "http://www.w3.org/2005/Atom"
GOOGLE_READER_SCHEME = "http://www.google.com/reader/"
ET.register_namespace("", ATOM)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Characters XML 1.0 forbids even escaped; one in a title would make newsboat drop the whole feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _xml_text(text)
    return element


def _state_category(entry: ET.Element, stream_id: str) -> None:
    label = stream_id.rsplit("/", 1)[-1]
    _add(entry, "category", term=stream_id, scheme=GOOGLE_READER_SCHEME, label=label)


def render(resolved, items: list[dict], continuation: str | None, *, now: datetime, self_url: str) -> bytes:
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", f"tag:google.com,2005:reader/{resolved.stream_id}")
    _add(feed, "title", resolved.title)
    _add(feed, "updated", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _add(feed, "link", rel="self", href=self_url)
    if resolved.publisher is not None and resolved.publisher.site_url:
        _add(feed, "link", rel="alternate", href=resolved.publisher.site_url, type="text/html")
    if continuation:
        ET.SubElement(feed, "{http://www.google.com/schemas/reader/atom/}continuation").text = continuation
    for item in items:
        entry = _add(feed, "entry")
        _add(entry, "id", item["id"])
        _add(entry, "title", item["title"])
        _add(entry, "published", _iso(item["published"]))
        _add(entry, "updated", _iso(item["updated"]))
        _add(entry, "link", rel="alternate", href=item["alternate"][0]["href"], type="text/html")
        author = _add(entry, "author")
        _add(author, "name", item["author"] or item["origin"]["title"])
        for stream_id in item["categories"]:
            _state_category(entry, stream_id)
        if protocol.READ not in item["categories"]:
            _state_category(entry, protocol.STATE_PREFIX + "fresh")
        _add(entry, "content", item["content"]["content"], type="html")
        source = _add(entry, "source")
        _add(source, "id", f"tag:google.com,2005:reader/{item['origin']['streamId']}")
        _add(source, "title", item["origin"]["title"])
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
