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

Nothing but the dataclasses of ``entries`` leaves this package: no FeedParserDict, no fastfeedparser dict.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reader.parsing.declarations import MAX_LENIENT_ATTRIBUTES, MAX_LENIENT_TAGS, _check_markup_budget, _without_dtd
from reader.parsing.entries import (
    MAX_ENTRIES,
    Enclosure,
    FeedParseError,
    ParsedEntry,
    ParsedFeed,
    _limit_entries,
    _local_name,
    plain_text,
)
from reader.parsing.jsonfeed import _looks_like_json, _parse_json_feed
from reader.parsing.lenient import _bozo_message, _parse_with_feedparser
from reader.parsing.strict import (
    _fast_path_allowed,
    _parse_repaired_with_fastfeedparser,
    _parse_with_fastfeedparser,
    _strict_xml_root,
)


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


__all__ = ["MAX_ENTRIES", "Enclosure", "FeedParseError", "ParsedEntry", "ParsedFeed", "parse_feed", "plain_text"]
