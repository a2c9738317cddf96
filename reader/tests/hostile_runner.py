"""Run hostile documents through every parser path in a process of their own, and report.

``python -m reader.tests.hostile_runner CASES.json`` reads a list of cases ({"name", "kind": "feed" |
"page", "path"}), parses each body (feeds: parsing.parse_feed; pages: extraction.extract, readability,
sanitizing.clean_html) and prints one JSON object: each case's outcome and output text, and the
process's peak memory (ru_maxrss) after a warm-up and at the end. test_hostile_xml.py runs it with a
standard input that never ends, so a parser that opened /proc/self/fd/0 (or a FIFO) would hang it.
Pure library code: no Django.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from readability import Document

from reader import extraction, parsing, sanitizing

WARM_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://e.org/</link>'
    b"<item><title>a</title><link>https://e.org/1</link><description>&lt;p&gt;x&lt;/p&gt;</description></item>"
    b"</channel></rss>"
)
WARM_PAGE = "<html><head><title>T</title></head><body><article>" + "<p>A sentence of text, long enough.</p>" * 30


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _feed(body: bytes) -> dict:
    try:
        feed = parsing.parse_feed(body, base_url="https://hostile.example/feed.xml")
    except parsing.FeedParseError as exc:
        return {"outcome": "FeedParseError", "message": str(exc), "text": ""}
    except Exception as exc:  # a crash is what the test looks for
        return {"outcome": "crash", "message": repr(exc)[:500], "text": ""}
    parts = [feed.title, feed.link, feed.description]
    for entry in feed.entries:
        parts += [entry.title, entry.link, entry.summary, entry.content, entry.guid, entry.author, entry.image_url]
        parts += [e.url for e in entry.enclosures]
    return {"outcome": "parsed", "message": feed.bozo_message, "text": "\n".join(parts), "entries": len(feed.entries)}


def _page(body: bytes) -> dict:
    texts = []
    try:
        extracted = extraction.extract(
            body, url="https://hostile.example/a.html", feed_html=body.decode("utf-8", "replace")
        )
        texts += [extracted.title, extracted.body_text, extracted.body_html, extracted.byline, extracted.image_url]
        outcome = "extracted"
    except extraction.ExtractionError as exc:
        outcome = f"ExtractionError: {exc}"
    except Exception as exc:  # a crash is what the test looks for
        return {"outcome": "crash", "message": repr(exc)[:500], "text": ""}
    html = body.decode("utf-8", "replace")
    try:
        texts.append(Document(html).summary())
    except Exception as exc:  # readability raises bare Exceptions on odd pages; extraction catches them
        texts.append(f"readability failed: {type(exc).__name__}")
    texts.append(sanitizing.clean_html(html, base_url="https://hostile.example/a.html"))
    return {"outcome": outcome, "message": "", "text": "\n".join(texts)}


def main() -> None:
    cases = json.loads(Path(sys.argv[1]).read_text())
    _feed(WARM_FEED)
    _feed(WARM_FEED.replace(b"<title>T</title>", b"<title>T & U</title>"))  # the lenient path
    _page(WARM_PAGE.encode())
    baseline = _peak_kb()
    results = {}
    for case in cases:
        body = Path(case["path"]).read_bytes()
        results[case["name"]] = (_feed if case["kind"] == "feed" else _page)(body)
        del body
    print(json.dumps({"baseline_kb": baseline, "peak_kb": _peak_kb(), "results": results}))


if __name__ == "__main__":
    main()
