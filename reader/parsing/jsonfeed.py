"""JSON Feed 1 and 1.1, read with ``json`` directly."""

from __future__ import annotations

import html
import html.entities
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reader import canonical
from reader.parsing.entries import (
    Enclosure,
    FeedParseError,
    ParsedFeed,
    _int_or_none,
    _iso_datetime,
    _make_entry,
    _without_lone_surrogates,
    plain_text,
)


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
    feed_url = canonical.http_url(data.get("feed_url"), base_url) or base_url
    link = canonical.http_url(data.get("home_page_url"), feed_url)
    items = data.get("items") if isinstance(data.get("items"), list) else []
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        entry_link = canonical.http_url(item.get("url"), feed_url) or canonical.http_url(
            item.get("external_url"), feed_url
        )
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
                        url=canonical.http_url(attachment.get("url"), feed_url),
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
                image_url=canonical.http_url(item.get("image") or item.get("banner_image"), feed_url),
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


def _json_author(obj: Mapping[str, Any]) -> str:
    authors = obj.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return str(authors[0].get("name") or "")
    author = obj.get("author")  # JSON Feed 1.0
    if isinstance(author, dict):
        return str(author.get("name") or "")
    return ""
