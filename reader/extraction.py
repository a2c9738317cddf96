"""Article extraction: from a fetched page to clean article text, HTML and metadata.

`extract` is a pure function (no Django, no settings, no network). It runs a cascade of
extractors, each one engaging only when the previous one under-delivered, and records which
stage won (`ExtractedArticle.method`) so quality can be followed per publisher.

Beyond what a one-page extractor can do, it removes the publisher's template: text blocks that
recur on the publisher's other pages (see `reader.boilerplate`). Each removal is explainable:
either the block's fingerprint is in the publisher's template, or a named generic rule matched.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.htmlprocessing import convert_to_html

from reader import boilerplate
from reader.canonical import http_url

LOGGER = logging.getLogger(__name__)

# trafilatura under-delivers when its text is shorter than this many characters: below it the
# readability fallback is tried and the longer result kept. 250 characters is about two
# sentences, less than any real article body.
MIN_BODY_CHARS = 250
# The readability result replaces trafilatura's only when it is clearly longer (one and a half
# times): readability keeps more furniture, so a tie goes to trafilatura.
READABILITY_GAIN = 1.5
# The feed's full text wins when it holds at least this share of the page extraction's text:
# a feed body that complete is publisher-edited and free of page furniture.
FEED_MIN_SHARE = 0.9
# trafilatura may stop at the first chunk of an article body split in several containers. When the
# cleaned page holds PROSE_TRIGGER times more prose (<p> of PROSE_MIN_WORDS words or more) than
# trafilatura kept, readability is run too, and wins when it holds READABILITY_COVER of
# trafilatura's text (its 4-word shingles) and adds article prose worth READABILITY_PROSE_GAIN of
# it (distinct paragraphs of PROSE_MIN_WORDS words ending a sentence: not captions, not teasers).
PROSE_TRIGGER = 1.5
PROSE_MIN_WORDS = 15
READABILITY_COVER = 0.9
READABILITY_PROSE_GAIN = 0.5
# Paragraph separator in `body_text`.
PARAGRAPH_SEP = "\n\n"


class ExtractionError(ValueError):
    """The page holds no article text that any stage of the cascade could extract."""


@dataclass(frozen=True)
class ExtractedArticle:
    title: str
    body_text: str
    body_html: str  # not sanitized: sanitizing.clean_html runs later
    byline: str
    published: dt.datetime | None  # aware, UTC
    image_url: str
    language: str
    canonical_url: str
    description: str
    method: str  # the stage that won: "trafilatura", "trafilatura+template", "readability", "feed", "baseline"
    removed_blocks: int  # blocks removed by the publisher's template
    rule_removals: tuple[tuple[str, int], ...] = field(default=())  # generic rule name → blocks removed


# What the libraries of the cascade (lxml, trafilatura, readability, htmldate, urllib) raise on
# pages they cannot handle: lxml refuses control characters in strings it is given, urljoin an
# unclosed IPv6 bracket, trafilatura asserts on some trees. Past `extract` they are ExtractionError.
_LIBRARY_ERRORS = (ValueError, TypeError, AssertionError, AttributeError, IndexError, KeyError, RecursionError,
                   etree.LxmlError, UnicodeError)  # fmt: skip


def extract(
    html: str | bytes | boilerplate.ParsedPage,
    *,
    url: str,
    template: frozenset[str] = frozenset(),
    feed_html: str = "",
    feed_title: str = "",
    site_name: str = "",
) -> ExtractedArticle:
    """Extract the article from `html`, the page at `url` (see `_extract`).

    Raises ExtractionError, and nothing else, when no article can be read from the page.
    """
    try:
        return _extract(
            html, url=url, template=template, feed_html=feed_html, feed_title=feed_title, site_name=site_name
        )
    except ExtractionError:
        raise
    except _LIBRARY_ERRORS as exc:
        LOGGER.info("extraction failed on a hostile or broken page", exc_info=True, extra={"url": url})
        raise ExtractionError(f"The page could not be read ({type(exc).__name__}: {exc}).") from exc


def _extract(
    html: str | bytes | boilerplate.ParsedPage,
    *,
    url: str,
    template: frozenset[str],
    feed_html: str,
    feed_title: str,
    site_name: str,
) -> ExtractedArticle:
    """Extract the article from `html`, the page at `url`.

    The cascade:

    1. Parse the page and read its metadata (title, byline, date, image, language, canonical).
    2. Remove template blocks (fingerprints in `template`, learned from the publisher's other
       pages), blocks matching a generic boilerplate rule (`boilerplate.RULES`), the headline, and
       a block that only names the site (the masthead: `site_name`, the page's og:site_name, or
       the site part of its <title>).
    3. trafilatura's extractor on the cleaned tree.
    4. readability on the cleaned tree, if trafilatura under-delivered (< MIN_BODY_CHARS); the
       longer of the two wins when clearly longer.
    5. trafilatura's baseline (all paragraph-like text) if nothing above produced text.
    6. `feed_html`, if it is at least FEED_MIN_SHARE as long as the page's extraction, or the
       page gave nothing.
    7. ExtractionError when no stage produced text.
    """
    # 1. parse (or take the tree of a ParsedPage over) and read metadata from the untouched tree
    root, blocks = html.take_tree() if isinstance(html, boilerplate.ParsedPage) else (boilerplate.parse(html), None)
    meta = _metadata(root, url) if root is not None else _Metadata(canonical_url=url)

    body_el, text, method, removed, rules = None, "", "", 0, Counter()
    if root is not None:
        # 2. template and generic boilerplate blocks out of the tree
        hosts = frozenset(_host(u) for u in (url, meta.canonical_url) if _host(u))
        site_names = frozenset(
            key for key in (boilerplate.normalise_block_text(n) for n in (site_name, meta.site_name)) if key
        )
        removed, rules = _remove_blocks(root, template, meta.title, hosts, blocks, site_names)
        hidden = _remove_hidden(root)
        if hidden:
            rules["hidden"] += hidden
        # 3. trafilatura
        body_el, text = _trafilatura(root, url)
        method = "trafilatura+template" if removed else "trafilatura"
        # 4. readability: the fallback when trafilatura under-delivered, the better result when it
        # holds all of trafilatura's text and much more article prose (a body split in chunks)
        if len(text) < MIN_BODY_CHARS:
            r_el, r_text = _readability(root)
            if len(r_text) > READABILITY_GAIN * len(text):
                body_el, text, method = r_el, r_text, "readability"
        elif _page_prose_chars(root) >= PROSE_TRIGGER * len(text):
            r_el, r_text = _readability(root)
            if _readability_completes(text, r_text):
                body_el, text, method = r_el, r_text, "readability"
        # 5. baseline, then whatever text the cleaned page still holds
        if not text:
            body_el, text = _baseline(root)
            method = "baseline" if text else ""
        if len(text) < MIN_BODY_CHARS:
            p_el, p_text = _page_text(root, meta.title)
            if len(p_text) > len(text):
                body_el, text, method = p_el, p_text, "page-text"

    # 6. the feed's own full text
    if feed_html:
        f_root = boilerplate.parse(f"<html><body>{feed_html}</body></html>")
        if f_root is not None:
            f_body = f_root.find("body")
            f_text = _paragraph_text(f_body)
            if f_text and len(f_text) >= FEED_MIN_SHARE * len(text):
                body_el, text, method = f_body, f_text, "feed"

    # 7. nothing readable
    if not text.strip():
        raise ExtractionError("The page has no readable article text.")

    title = meta.title or feed_title.strip()
    return ExtractedArticle(
        title=title,
        body_text=text,
        body_html=_to_html(body_el, method),
        byline=meta.byline,
        published=meta.published,
        image_url=meta.image_url,
        language=meta.language,
        canonical_url=meta.canonical_url,
        description=meta.description,
        method=method,
        removed_blocks=removed,
        rule_removals=tuple(sorted(rules.items())),
    )


# ---------------------------------------------------------------- 2. block removal
def _host(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


def _remove_blocks(
    root,
    template: frozenset[str],
    title: str,
    hosts: frozenset[str],
    blocks=None,
    site_names: frozenset[str] = frozenset(),
) -> tuple[int, Counter]:
    """Remove template segments and generic boilerplate segments; count them.

    The headline is metadata, not body text: the first segment repeating the title goes too,
    when it is a heading or the title text recurs further down (a one-paragraph story). So does a
    segment that is only the site's name, a masthead: the template rule misses it when it sits in a
    table cell too short to be template.
    """
    body = root.find("body")
    if body is None:
        return 0, Counter()
    removed, rules = 0, Counter()
    doomed = []
    # the segments walked for the fingerprints, those of <body> (the same walk, in document order)
    if blocks is not None:
        segments = [b for b in blocks if _under(b[0].block, body)]
    else:
        segments = list(boilerplate.iter_blocks(body))
    headline = _headline_segment(segments, title)
    if headline is not None:
        doomed.append(headline)
        rules["headline"] += 1
    for seg, text in segments:
        if seg is headline:
            continue
        if text in site_names:
            doomed.append(seg)
            rules["masthead"] += 1
            continue
        if (
            template
            and boilerplate.template_candidate(seg, text)
            and boilerplate.segment_fingerprint(seg, text) in template
        ):
            doomed.append(seg)
            removed += 1
            continue
        rule = boilerplate.segment_rule(seg, text, hosts)
        if rule:
            doomed.append(seg)
            rules[rule] += 1
    for seg in doomed:
        seg.remove()
    return removed, rules


# Elements a browser never shows: schema.org microdata copies of the article, templates, pop-ups.
_HIDDEN = etree.XPath(
    "//body//*[@hidden or contains(translate(@style, 'DISPLAYNONE ', 'displaynone'), 'display:none')"
    " or contains(translate(@style, 'VISIBLITYHDEN ', 'visiblityhden'), 'visibility:hidden')]"
)


def _remove_hidden(root) -> int:
    """Remove the elements hidden by an inline style or the `hidden` attribute; count them."""
    count = 0
    for element in _HIDDEN(root):  # document order: an outer element goes before its descendants
        if element.getparent() is not None and element.getroottree().getroot() is root:
            _drop_keep_tail(element)
            count += 1
    return count


def _drop_keep_tail(element) -> None:
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _under(element, ancestor) -> bool:
    return element is ancestor or any(a is ancestor for a in element.iterancestors("body"))


def _headline_segment(segments, title: str):
    key = boilerplate.normalise_block_text(title).rstrip(".!?")
    if not key:
        return None
    matches = [seg for seg, text in segments if text.rstrip(".!?") == key]
    if not matches:
        return None
    first = matches[0]
    is_heading = first.block.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or len(matches) > 1
    return first if is_heading or first.block.tag not in ("p", "div", "section", "article") else None


# ---------------------------------------------------------------- 3.-5. extractors
def _trafilatura(root, url: str):
    document = trafilatura.bare_extraction(
        root,  # bare_extraction works on a copy of a tree it is given
        url=url,
        include_comments=False,
        include_tables=True,
        favor_precision=False,
        with_metadata=False,
        output_format="python",
    )
    if document is None or document.body is None:
        return None, ""
    return document.body, _paragraph_text(document.body)


def _readability(root):
    try:
        from readability import Document as ReadabilityDocument

        summary = ReadabilityDocument(lxml_html.tostring(root, encoding="unicode")).summary(html_partial=True)
    except Exception:  # readability raises bare Exceptions on odd pages
        LOGGER.debug("readability failed", exc_info=True)
        return None, ""
    r_root = boilerplate.parse(f"<html><body>{summary}</body></html>")
    if r_root is None:
        return None, ""
    body = r_root.find("body")
    return body, _paragraph_text(body)


_WORD = re.compile(r"\w+")
_SENTENCE_END = tuple('.!?"”’)»')


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 4]) for i in range(len(words) - 3)}


def _is_prose(paragraph: str) -> bool:
    return paragraph.count(" ") + 1 >= PROSE_MIN_WORDS and paragraph.rstrip().endswith(_SENTENCE_END)


def _page_prose_chars(root) -> int:
    """Characters of distinct prose paragraphs (<p>) left in the cleaned page."""
    seen: set[str] = set()
    for p in root.iter("p"):
        text = " ".join(p.text_content().split())
        if text not in seen and _is_prose(text):
            seen.add(text)
    return sum(len(t) for t in seen)


def _readability_completes(text: str, r_text: str) -> bool:
    """Whether readability's text holds trafilatura's and adds much more article prose."""
    kept = _shingles(text)
    if not kept or len(kept & _shingles(r_text)) < READABILITY_COVER * len(kept):
        return False
    added, seen = 0, set()
    for paragraph in r_text.split(PARAGRAPH_SEP):
        shingles = _shingles(paragraph)
        if paragraph in seen or not shingles or len(shingles & kept) > 0.5 * len(shingles):
            continue
        seen.add(paragraph)
        added += len(paragraph) if _is_prose(paragraph) else 0
    return added >= READABILITY_PROSE_GAIN * len(text)


def _baseline(root):
    body, text, _ = trafilatura.baseline(root)  # baseline works on a copy of its input
    return body, text.strip()


def _page_text(root, title: str):
    """The cleaned page's remaining text segments, the headline excepted, as <p> elements."""
    body = root.find("body")
    if body is None:
        return None, ""
    out = etree.Element("body")
    skip = boilerplate.normalise_block_text(title).rstrip(".!?")
    for seg, text in boilerplate.iter_blocks(body):
        if text.rstrip(".!?") == skip and skip:
            skip = ""
            continue
        etree.SubElement(out, "p").text = " ".join(seg.text.split())
    return out, _paragraph_text(out)


_TEXT_BLOCKS = {
    "p", "head", "item", "quote", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "code", "row", "tr", "cell", "td", "th", "div", "dd", "dt", "figcaption", "caption",
}  # fmt: skip


def _paragraph_text(element) -> str:
    """Plain text of an extracted body: one paragraph per block, separated by PARAGRAPH_SEP."""
    if element is None:
        return ""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush():
        joined = " ".join("".join(current).split())
        if joined:
            paragraphs.append(joined)
        current.clear()

    def walk(el):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style") or not tag:
            current.append(el.tail or "") if tag == "" else None
            return
        block = tag in _TEXT_BLOCKS
        if block:
            flush()
        if tag in ("lb", "br"):
            current.append(" ")
        current.append(el.text or "")
        for child in el:
            walk(child)
        if block:
            flush()
        current.append(el.tail or "")

    walk(element)
    flush()
    return PARAGRAPH_SEP.join(paragraphs)


def _to_html(body_el, method: str) -> str:
    if body_el is None:
        return ""
    if method.startswith("trafilatura") or method == "baseline":
        body_el = convert_to_html(copy.deepcopy(body_el)).find("body")
    parts = [lxml_html.tostring(child, encoding="unicode") for child in body_el]
    return ((body_el.text or "") + "".join(parts)).strip()


# ---------------------------------------------------------------- 1. metadata
@dataclass
class _Metadata:
    title: str = ""
    site_name: str = ""
    byline: str = ""
    published: dt.datetime | None = None
    image_url: str = ""
    language: str = ""
    canonical_url: str = ""
    description: str = ""


_TITLE_SEPARATORS = re.compile(r"\s+(?:::|[|\-–—·:»])\s+")


def _metadata(root, url: str) -> _Metadata:
    metas = _meta_tags(root)
    ld = _json_ld(root)
    canonical = _first_attr(root, "//link[@rel='canonical']/@href") or metas.get("og:url", "")
    title, site_name = _title(root, metas, metas.get("og:site_name", ""))
    return _Metadata(
        title=title,
        site_name=site_name,
        byline=_byline(root, metas, ld),
        published=_published(root, metas, ld),
        image_url=http_url(metas.get("og:image") or metas.get("twitter:image") or "", url),
        language=_language(root, metas),
        canonical_url=http_url(canonical, url) or url,
        description=(metas.get("description") or metas.get("og:description") or "").strip(),
    )


def _meta_tags(root) -> dict[str, str]:
    out: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key and content and key not in out:
            out[key] = content
    return out


def _json_ld(root) -> list[dict]:
    """The JSON-LD objects of the page, flattened out of lists and @graph."""
    out: list[dict] = []
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                out.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return out


def _first_attr(root, xpath: str) -> str:
    found = root.xpath(xpath)
    return str(found[0]).strip() if found else ""


def _text_of(element) -> str:
    return " ".join(element.text_content().split())


def _title(root, metas: dict[str, str], site_name: str) -> tuple[str, str]:
    """(headline, site name): og:site_name, else the part of <title> that names the site."""
    title = metas.get("og:title") or metas.get("twitter:title") or ""
    if not title:
        h1 = root.find(".//h1")
        title = _text_of(h1) if h1 is not None else ""
    t = root.find(".//title")
    headline, site_part = _split_site_name(_text_of(t), site_name) if t is not None else ("", "")
    if title and " ".join(headline.split()).casefold() != " ".join(title.split()).casefold():
        site_part = ""  # the rest of <title> names the site only when the other part is the headline
    return (title or headline).strip(), (site_name or site_part).strip()


def _split_site_name(title: str, site_name: str) -> tuple[str, str]:
    """ "Headline | Site" → ("Headline", "Site"): the part naming the site, else the shorter end part."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title, ""
    if site_name:
        kept = [p for p in parts if p.strip().lower() != site_name.strip().lower()]
        if len(kept) < len(parts):
            return " - ".join(kept), site_name
    first, last = parts[0], parts[-1]
    return (" - ".join(parts[:-1]), last) if len(last) <= len(first) else (" - ".join(parts[1:]), first)


def _byline(root, metas: dict[str, str], ld: list[dict]) -> str:
    for item in ld:
        author = item.get("author")
        names = author if isinstance(author, list) else [author]
        found = [a.get("name", "") if isinstance(a, dict) else a for a in names if a]
        found = [str(n).strip() for n in found if isinstance(n, str) and n.strip()]
        if found:
            return ", ".join(found)
    for key in ("author", "article:author", "dc.creator", "byl"):
        value = metas.get(key, "")
        if value and not value.startswith("http"):
            return re.sub(r"^by\s+", "", value, flags=re.IGNORECASE)
    for element in root.xpath(
        "//*[@rel='author' or @itemprop='author' or contains(@class, 'byline') or @class='author']"
    ):
        text = _text_of(element)
        if 0 < len(text) <= 100:
            return re.sub(r"^by\s+", "", text, flags=re.IGNORECASE)
    return ""


def _published(root, metas: dict[str, str], ld: list[dict]) -> dt.datetime | None:
    candidates = [str(item.get("datePublished", "")) for item in ld if item.get("datePublished")]
    candidates += [
        metas.get(key, "")
        for key in ("article:published_time", "datepublished", "og:published_time", "date", "dc.date")
    ]
    candidates += [str(v) for v in root.xpath("//time/@datetime")[:1]]
    for value in candidates:
        parsed = _parse_datetime(value)
        if parsed:
            return parsed
    try:
        from htmldate import find_date

        found = find_date(root, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except Exception:  # htmldate is best effort
        LOGGER.debug("htmldate failed", exc_info=True)
        found = None
    return _parse_datetime(found) if found else None


def _parse_datetime(value: str) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _language(root, metas: dict[str, str]) -> str:
    lang = root.get("lang") or metas.get("content-language") or metas.get("og:locale") or ""
    for meta in root.iter("meta"):
        if not lang and (meta.get("http-equiv") or "").lower() == "content-language":
            lang = meta.get("content") or ""
    return re.split(r"[-_,;\s]", lang.strip().lower(), maxsplit=1)[0] if lang.strip() else ""


__all__ = ["ExtractedArticle", "ExtractionError", "extract"]
