"""Property-based fuzzing of the library stages that read untrusted input (hypothesis).

Each property runs a bounded number of examples (max_examples) with no per-example deadline, a few
seconds a property. What must hold: nothing raises but the declared error types.

* parsing.parse_feed: returns a ParsedFeed or raises FeedParseError, for any bytes.
* sanitizing.clean_html: never raises; its output holds no script, no event handler, no
  javascript: URL.
* extraction.extract: returns an ExtractedArticle or raises ExtractionError.
* canonical.canonical_url / url_hash / guid_hash / site_of / strip_tracking_params: never raise.

The strategies mix raw bytes with documents assembled from feed and HTML fragments, public attack
strings (fixtures/hostile/, see its README: PayloadsAllTheThings XXE list, defusedxml test files)
and hostile characters (controls, lone surrogates, U+FFFE, bidi overrides, NUL).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from reader import canonical, extraction, parsing, sanitizing

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
BASE = "https://fuzz.example/feed.xml"


def bounded(examples: int) -> settings:
    """A few seconds a property on this machine: a fixed number of examples, no per-example deadline,
    no example database (a run is reproducible from its seed; failures print their example)."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


ATTACK_LINES = [
    line for line in (HOSTILE / "payloadsallthethings-xxe-fuzzing.txt").read_text(encoding="utf-8").splitlines() if line
] + [path.read_text(encoding="utf-8") for path in sorted(HOSTILE.glob("*.xml"))]

HOSTILE_CHARS = st.sampled_from(
    ["\x00", "\x01", "\x0e", "\x1f", "\x7f", "\x85", "\ud800", "\udfff", "\ufffe", "\uffff", "\u202e", "\ufeff",
     "&", "<", ">", '"', "'", "]]>", "<!--", "-->", "&#14;", "&#0;", "&#x110000;", "&nbsp;", "&lol;", "%", "\\"]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=40), HOSTILE_CHARS, st.sampled_from(ATTACK_LINES))
URLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:x", " \x01javascript:x", "data:text/html,x",
         "https://e.org/a\x0eb", "//e.org/x", "http://[::1", "http://e.org:99999/", "https://e.org/%", "?utm_source=x",
         "https://ⓔⓧⓐⓜⓟⓛⓔ.com/", "http://xn--/", "https://e.org/a?utm_source=rss&fbclid=1#top", "\ud800:x"]
    ),
)  # fmt: skip
HTML_TAGS = st.sampled_from(
    ["html", "body", "head", "p", "a", "img", "script", "style", "svg", "math", "iframe", "table", "div", "h1",
     "template", "noscript", "object", "base", "meta", "form", "select", "option", "xmp", "plaintext", "title"]
)  # fmt: skip
ATTRIBUTES = st.sampled_from(["href", "src", "onerror", "onload", "style", "data-src", "srcset", "xlink:href", "width"])


@st.composite
def html_fragments(draw, depth: int = 3) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 3))
        if kind == 0 or depth == 0:
            parts.append(draw(TEXT))
        else:
            tag = draw(HTML_TAGS)
            attrs = "".join(f' {draw(ATTRIBUTES)}="{draw(URLS)}"' for _ in range(draw(st.integers(0, 2))))
            inner = draw(html_fragments(depth=depth - 1))
            parts.append(f"<{tag}{attrs}>{inner}" + (f"</{tag}>" if draw(st.booleans()) else ""))
    return "".join(parts)


@st.composite
def feed_documents(draw) -> bytes:
    """RSS, Atom or JSON Feed around hostile text, with hostile prologs, in a drawn encoding."""
    prolog = draw(st.sampled_from(["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>'])) + draw(
        st.one_of(st.just(""), st.sampled_from(ATTACK_LINES).map(lambda line: line.split("<foo>")[0][:400]))
    )
    title, text, link = draw(TEXT), draw(html_fragments()), draw(URLS)
    escaped = text.replace("&", "&amp;").replace("<", "&lt;") if draw(st.booleans()) else text
    kind = draw(st.integers(0, 2))
    if kind == 0:
        document = (
            f'{prolog}<rss version="2.0"><channel><title>{title}</title><item><title>{title}</title>'
            f"<link>{link}</link><description>{escaped}</description><pubDate>{draw(TEXT)}</pubDate>"
            f'<enclosure url="{link}" length="{draw(TEXT)}"/></item></channel></rss>'
        )
    elif kind == 1:
        document = (
            f'{prolog}<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title><entry><id>{draw(TEXT)}</id>'
            f'<link href="{link}"/><content type="html">{escaped}</content><updated>{draw(TEXT)}</updated>'
            "</entry></feed>"
        )
    else:
        import json

        document = json.dumps(
            {"version": "https://jsonfeed.org/version/1.1", "title": title,
             "items": [{"id": draw(TEXT), "url": link, "content_html": text, "date_published": draw(TEXT)}]}
        )  # fmt: skip
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    return document.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


@bounded(60)
@given(st.one_of(st.binary(max_size=2000), feed_documents()))
def test_parse_feed_returns_a_feed_or_raises_feed_parse_error(body):
    try:
        feed = parsing.parse_feed(body, base_url=BASE)
    except parsing.FeedParseError as exc:
        assert str(exc)  # a sentence for the operator, never empty
        return
    assert isinstance(feed, parsing.ParsedFeed)
    for entry in feed.entries:
        assert entry.guid  # never empty, whatever the entry
        entry.title.encode("utf-8")  # no lone surrogate reaches the database


_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_SAFE_SCHEMES = sanitizing.LINK_SCHEMES | {""}


def _active_content(cleaned: str) -> list[str]:
    """What in the sanitizer's output a browser could run: any tag or attribute off the allowlist, any
    link or image whose scheme is not http(s)/mailto (read as a browser reads it)."""
    if not cleaned.strip():
        return []
    found = []
    for element in lxml_html.fragments_fromstring(f"<div>{cleaned}</div>")[0].iter():
        if not isinstance(element.tag, str):
            found.append(repr(element))  # a comment or processing instruction
            continue
        if element.tag != "div" and element.tag not in sanitizing.ALLOWED_TAGS:
            found.append(element.tag)
        allowed = sanitizing.ALLOWED_ATTRIBUTES.get(element.tag, set()) | ({"rel"} if element.tag == "a" else set())
        found += [f"{element.tag}@{name}" for name in element.attrib if name not in allowed]
        for name in ("href", "src"):
            value = element.get(name)
            if value is not None and sanitizing._scheme(
                value.strip(" \x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r")
            ) not in (sanitizing.LINK_SCHEMES | {""}):
                found.append(f"{element.tag}@{name}={value!r}")
    return found


@bounded(150)
@given(st.one_of(st.text(max_size=500), html_fragments(), st.sampled_from(ATTACK_LINES)), URLS)
def test_clean_html_never_raises_and_leaves_nothing_active(text, base_url):
    cleaned = sanitizing.clean_html(text, base_url=base_url)
    assert isinstance(cleaned, str)
    assert _active_content(cleaned) == [], cleaned


@bounded(40)
@given(st.one_of(html_fragments(depth=4), st.text(max_size=500), st.binary(max_size=800)), URLS, html_fragments())
def test_extract_returns_an_article_or_raises_extraction_error(page, url, feed_html):
    if isinstance(page, str):
        page = f"<html><head><title>T</title></head><body><article>{page}</article></body></html>"
    try:
        article = extraction.extract(page, url=url, feed_html=feed_html)
    except extraction.ExtractionError:
        return
    assert article.body_text.strip()


@bounded(150)
@given(
    st.one_of(
        URLS, st.text(max_size=80), st.from_regex(r"https?://[^/?#]{0,20}(/[^?#]{0,20})?(\?[^#]{0,30})?(#.{0,10})?")
    )
)
def test_url_normalisation_never_raises(url):
    canonical_form = canonical.canonical_url(url)
    assert isinstance(canonical_form, str)
    assert len(canonical.url_hash(url)) == 64
    assert len(canonical.guid_hash(url)) == 64
    assert isinstance(canonical.site_of(url), str)
    assert isinstance(canonical.strip_tracking_params(url.partition("?")[2]), str)
