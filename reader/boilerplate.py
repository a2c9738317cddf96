"""Learn each publisher's template from its pages, and name the generic boilerplate blocks.

An aggregator sees many pages of the same publisher, which a one-page extractor never does. A
text block that recurs on several pages of one publisher (menu, "Most read" box, newsletter
pitch, donation appeal, legal line) is template, not article. This module turns a page into the
set of fingerprints of its text blocks (`block_fingerprints`), decides from per-publisher counts
which fingerprints are template (`template_from_counts`), and holds the small list of generic
boilerplate patterns that apply to every publisher (`boilerplate_rule`).

Pure functions: no Django, no settings, no network.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import html as lxml_html
from lxml.etree import ParserError

from analysis.text import MONTHS, WEEKDAYS, alternation

# Elements whose text forms a block of its own. Inline elements (a, span, strong, …) belong to
# the block around them.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "li", "main", "menu", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "body", "html",
        "button", "label", "select", "option", "legend",
    }
)  # fmt: skip
# Never text: their content would only add noise to the fingerprints.
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object"})

# Table cells shorter than this many words are never template: cells ("Pos", "Top 5", a
# player's name) repeat across pages of a statistics site while being article text.
MIN_TABLE_TEMPLATE_WORDS = 3
TABLE_CELL_TAGS = frozenset({"td", "th", "tr", "table", "tbody", "thead", "tfoot", "caption"})
# Fingerprint length: 16 hex digits (64 bits) keeps collisions negligible for the few thousand
# blocks a publisher's recent pages hold, and short enough to store per publisher.
FINGERPRINT_HEX = 16

# A block counts as template when it is seen on at least this many OTHER pages of the publisher:
# one other page could be a second copy of the same wire story, two is a pattern.
MIN_OTHER_PAGES = 2
# …and on at least this share of the other pages known: rotating boxes ("Most read", tickers)
# show each item on a fraction of pages only, so the share is low, but a paragraph shared by a
# couple of syndicated copies among many pages stays below it.
MIN_OTHER_SHARE = 0.10
# Long blocks (a real paragraph) must recur much more widely before we call them template:
# wire copy repeated on a few pages of one publisher is article text, a cookie notice or a
# legal footer is on nearly every page.
LONG_BLOCK_WORDS = 40
MIN_OTHER_SHARE_LONG = 0.5
WORDS_PER_CLASS = 8

_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def normalise_block_text(text: str) -> str:
    """Lower case, digits folded to 0, whitespace collapsed: "View 336 comments" ≡ "View 12 comments"."""
    return _DIGITS.sub("0", _WS.sub(" ", text)).strip().lower()


def segment_fingerprint(segment: Segment, normalised: str) -> str:
    """Fingerprint of a segment: its text, and whether it is a link.

    A headline linked from the "Most read" box of the publisher's other pages is plain text on
    its own page (the lead paragraph of a short story often is the teaser): keeping links apart
    stops it from being taken for template there.
    """
    linked = _link_share(segment) >= LINK_ONLY_SHARE
    return fingerprint(("\x00link " if linked else "") + normalised)


def fingerprint(normalised: str) -> str:
    """Hex hash of a normalised block; its first digit is the block's length class.

    The length class (words // 8, capped at 15) lets `template_from_counts` hold long blocks to
    a stricter share without a side table.
    """
    words = normalised.count(" ") + 1
    digest = hashlib.blake2b(normalised.encode("utf-8"), digest_size=FINGERPRINT_HEX // 2).hexdigest()
    return f"{min(15, words // WORDS_PER_CLASS):x}{digest[1:]}"


def is_long(fp: str) -> bool:
    return int(fp[0], 16) * WORDS_PER_CLASS >= LONG_BLOCK_WORDS


@dataclass
class Segment:
    """A run of a block's own content, up to the next <br> or nested block.

    `pieces` are the text slots (element, "text" | "tail") and inline elements (element,
    "element") that make the segment, in document order; `link_chars` counts the characters
    inside links.
    """

    block: object
    pieces: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    link_chars: int = 0
    hrefs: list = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def remove(self) -> None:
        for owner, slot in self.pieces:
            if slot == "text":
                owner.text = None
            elif slot == "tail":
                owner.tail = None
            else:
                parent = owner.getparent()
                if parent is not None:
                    parent.remove(owner)  # the element's tail goes with it (same segment)


def _tag(element) -> str:
    return element.tag if isinstance(element.tag, str) else ""


_CONTAINER_TAGS = tuple(BLOCK_TAGS | {"br"})


def _is_container(element) -> bool:
    """An inline element holding a <br> or a block is walked like a block."""
    return next(element.iterdescendants(*_CONTAINER_TAGS), None) is not None


def _inline_text(element, seg: Segment, in_link: bool) -> None:
    if _tag(element) == "a":
        in_link = True
        seg.hrefs.append(element.get("href") or "")
    part = element.text or ""
    seg.texts.append(part)
    seg.link_chars += len("".join(part.split())) if in_link else 0
    for child in element:
        tag = _tag(child)
        if tag and tag not in SKIP_TAGS:
            _inline_text(child, seg, in_link)
        tail = child.tail or ""
        seg.texts.append(tail)
        seg.link_chars += len("".join(tail.split())) if in_link else 0


def _opens_segment(child) -> bool:
    tag = _tag(child)
    return tag in BLOCK_TAGS or tag == "br" or (bool(tag) and tag not in SKIP_TAGS and _is_container(child))


def iter_segments(block) -> Iterator[Segment]:
    """The segments of `block`'s own content (nested blocks are walked on their own)."""
    seg = Segment(block)
    if block.text:
        seg.pieces.append((block, "text"))
        seg.texts.append(block.text)
    for child in block:
        tag = _tag(child)
        if _opens_segment(child):
            yield seg
            seg = Segment(block)
            if tag not in BLOCK_TAGS and tag != "br":  # inline container: walk it like a block
                yield from iter_segments(child)
            if child.tail:
                seg.pieces.append((child, "tail"))
                seg.texts.append(child.tail)
        elif tag and tag not in SKIP_TAGS:
            seg.pieces.append((child, "element"))
            _inline_text(child, seg, False)
            seg.texts.append(child.tail or "")
        elif child.tail:  # comment, script, style: keep only its tail
            seg.pieces.append((child, "tail"))
            seg.texts.append(child.tail)
    yield seg


def _block_elements(root) -> Iterator:
    """Block elements under `root` (itself included) in document order, outside SKIP_TAGS subtrees."""
    if _tag(root) in SKIP_TAGS or any(_tag(a) in SKIP_TAGS for a in root.iterancestors()):
        return
    for element in root.iter(*BLOCK_TAGS):
        if next(element.iterancestors(*SKIP_TAGS), None) is None:
            yield element


def iter_blocks(root) -> Iterator[tuple[Segment, str]]:
    """(segment, normalised text) for every non-empty segment of every block, in document order."""
    for element in _block_elements(root):
        for seg in iter_segments(element):
            text = normalise_block_text(seg.text)
            if text:
                yield seg, text


def parse(html: str | bytes):
    """lxml tree of `html`, or None when there is nothing to parse."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    if not html or not html.strip():
        return None
    try:
        return lxml_html.document_fromstring(html)
    except (ParserError, ValueError):
        return None


class ParsedPage:
    """A page parsed once, for both `block_fingerprints` and `extraction.extract`.

    `extract` takes the tree over (it removes blocks from it), with the text segments walked for
    the fingerprints: fingerprint the page first. The fingerprints are kept, so asking again after
    `extract` costs nothing; if they were never asked for before, a fresh parse of `html` serves.
    """

    __slots__ = ("_blocks", "_fingerprints", "_root", "html")

    def __init__(self, html: str | bytes):
        self.html = html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html
        self._root = parse(self.html)
        self._blocks: list[tuple[Segment, str]] | None = None
        self._fingerprints: frozenset[str] | None = None

    @property
    def fingerprints(self) -> frozenset[str]:
        if self._fingerprints is None:
            if self._root is not None:
                self._blocks = list(iter_blocks(self._root))
                self._fingerprints = _fingerprints_of_blocks(self._blocks)
            else:
                self._fingerprints = _fingerprints_of(parse(self.html))
        return self._fingerprints

    def take_tree(self) -> tuple[object, list[tuple[Segment, str]] | None]:
        """The parsed tree and its segments (None if not walked yet), handed over once."""
        root, blocks, self._root, self._blocks = self._root, self._blocks, None, None
        return (root, blocks) if root is not None else (parse(self.html), None)


def parse_page(html: str | bytes) -> ParsedPage:
    """Parse `html` once: pass the result to `block_fingerprints`, then to `extraction.extract`."""
    return ParsedPage(html)


def block_fingerprints(html: str | bytes | ParsedPage) -> frozenset[str]:
    """Short hex hashes of the page's text blocks (normalised own text of each block element)."""
    if isinstance(html, ParsedPage):
        return html.fingerprints
    return _fingerprints_of(html if not isinstance(html, str | bytes) else parse(html))


def _fingerprints_of(root) -> frozenset[str]:
    return frozenset() if root is None else _fingerprints_of_blocks(iter_blocks(root))


def _fingerprints_of_blocks(blocks) -> frozenset[str]:
    return frozenset(segment_fingerprint(seg, text) for seg, text in blocks if template_candidate(seg, text))


def template_candidate(segment: Segment, normalised: str) -> bool:
    """Whether a segment may be template: it has letters, and is not a short table cell."""
    if not any(c.isalpha() for c in normalised):
        return False
    in_table = _tag(segment.block) in TABLE_CELL_TAGS
    return not in_table or normalised.count(" ") + 1 >= MIN_TABLE_TEMPLATE_WORDS


def template_from_counts(
    counts: Mapping[str, int],
    pages_seen: int,
    *,
    own: frozenset[str] = frozenset(),
) -> frozenset[str]:
    """Fingerprints that occur on enough OTHER pages of this publisher to be template.

    `counts` maps a fingerprint to the number of the publisher's pages it was seen on, out of
    `pages_seen`. `own` is the page's own fingerprints: if the page itself is among the counted
    pages its own occurrence is subtracted. Long blocks (see `fingerprint`) are held to the
    stricter share.
    """
    others = pages_seen - (1 if own else 0)
    if others < MIN_OTHER_PAGES:
        return frozenset()
    template = set()
    for fp, n in counts.items():
        n_other = n - 1 if fp in own else n
        share = MIN_OTHER_SHARE_LONG if is_long(fp) else MIN_OTHER_SHARE
        if n_other >= MIN_OTHER_PAGES and n_other >= share * others:
            template.add(fp)
    return frozenset(template)


# ---------------------------------------------------------------- generic boilerplate rules
# Each rule names one kind of publisher furniture that is never article text. A block (one
# paragraph, list item, heading, …) is removed when its whole normalised own text matches.
# Patterns are anchored and short on purpose: a sentence that merely mentions a newsletter stays.
_RULES: tuple[tuple[str, str], ...] = (
    ("advertisement", r"(advertisement|advertising|ad|sponsored( content)?|story continues below( advertisement)?"
     r"|continue reading (the )?(main )?story( below)?|scroll to continue( with content)?)"),
    ("share", r"(share|share this( article| story| page)?|share on \w+|tweet|email|print|copy link"
     r"|facebook|twitter|x|linkedin|whatsapp|reddit|pinterest)( [|·•] .*)?"),
    ("newsletter", r"(sign up|subscribe)\b.{0,80}\b(newsletter|inbox|email|briefing|daily|weekly)\b.{0,120}"
     r"|(get|receive) (our|the) .{0,60}newsletter.{0,80}|newsletters?|sign up|subscribe( now| today)?"
     r"|by (signing up|subscribing),? you agree.{0,160}|you can unsubscribe at any time.{0,60}"),
    ("most-read", r"(most (read|popular|viewed|shared)|trending( now| stories)?|popular (now|stories)"
     r"|top stories|latest (news|stories|headlines)|editor'?s picks|recommended( for you)?"
     r"|more (from|on) .{1,40}|related( articles| stories| coverage| content)?|you (may|might) also like"
     r"|read (more|next|also)|see also|also read|don'?t miss)\s*:?"),
    ("related-link", r"(related|read more|read also|also read|see also|more|recommended|watch|listen)\s*:\s.{0,160}"),
    ("cookie", r".{0,200}\b(cookies?|your privacy|consent|partners store and access)\b.{0,300}"
     r"\b(accept|consent|privacy policy|cookie policy|settings|personal data|device)\b.{0,200}"
     r"|(accept|reject|allow)( all)?( cookies)?|manage (settings|preferences|cookies)|cookie settings"),
    ("donation", r".{0,200}\b(support (our|independent) journalism|donate|make a contribution"
     r"|become a (member|supporter|subscriber))\b.{0,300}"),
    ("comments", r"(view|show|read|see|load)?\s*(all )?0? ?comments?( \(0\))?|leave a (comment|reply)"
     r"|join the (conversation|discussion|debate)|comments are closed.{0,80}|0 comments?"
     r"|(view|read) 0 comments? join the conversation|be the first to comment"),
    ("legal", r"(©|\(c\)|copyright)\s*0{0,1}.{0,200}|all rights reserved.{0,200}"
     r"|.{0,120}\ball rights reserved\b.{0,200}"),
    ("author-bio", r"about (the )?(author|[\w.'’-]+( [\w.'’-]+){0,3})|[\w.'’-]+( [\w.'’-]+){0,3} is an? (\w+ ){0,3}"
     r"(writer|reporter|correspondent|editor|journalist|columnist|contributor)\b.{0,200}"),
    ("follow", r"follow (us|@\w+)( on .{1,40})?|like us on facebook|follow .{1,40} on (twitter|x|facebook|instagram)"),
)  # fmt: skip
RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rf"(?:{pattern})[.!:…]?", re.IGNORECASE)) for name, pattern in _RULES
)
# Generic rules only look at short blocks: a long paragraph is article text even if it mentions
# cookies or a newsletter.
RULE_MAX_WORDS = 60


def boilerplate_rule(normalised: str) -> str:
    """Name of the generic rule that calls this block boilerplate, or "" when none does."""
    if normalised.count(" ") + 1 > RULE_MAX_WORDS:
        return ""
    for name, pattern in RULES:
        if pattern.fullmatch(normalised):
            return name
    return ""


# A segment that is (nearly) all link text, and short, is navigation: a "Most read" entry, a
# teaser, a tag. Real paragraphs carry their own words around their links.
LINK_ONLY_SHARE = 0.85
LINK_ONLY_MAX_WORDS = 30
# A dateline / byline segment ("25.11.2026 11:04 (GMT) · James McAllister", "By Aiko Tanaka
# November 12, 2026 8:18 am GMT"): short, and nothing left once the date words, the "by", and
# at most DATELINE_NAME_WORDS words of a name are taken out.
DATELINE_MAX_WORDS = 16
DATELINE_NAME_WORDS = 5
_MONTHS = alternation(MONTHS)
_WEEKDAYS = alternation(WEEKDAYS)
_DATE_TOKEN = re.compile(
    rf"\b(0([./:-]0)+|0(st|nd|rd|th)?|{_MONTHS}|{_WEEKDAYS}|am|pm|a\.m\.|p\.m\.|gmt|utc|[ecmp][sd]t|bst|cet)\b"
)
_DATE_PRESENT = re.compile(rf"\b0[./-]0[./-]0\b|\b({_MONTHS})\.? 0\b|\b0 ({_MONTHS})\b|\b0:0\b")
_BYLINE_WORDS = re.compile(
    r"\b(by|and|posted|published|updated|last updated|written|on|at|from|staff|reporter|correspondent)\b"
)


def _is_dateline(text: str) -> bool:
    # a quoted tweet's attribution ("— Name (@handle) November 4, 2019") and a score line
    # ("Melbourne (0-0-0): …") are content
    if text.count(" ") + 1 > DATELINE_MAX_WORDS or "@" in text or ": " in text or text[:1] in "—–-":
        return False
    has_date = bool(_DATE_PRESENT.search(text))
    if not has_date and not text.startswith("by "):
        return False
    rest = _BYLINE_WORDS.sub(" ", _DATE_TOKEN.sub(" ", text))
    words = re.findall(r"[^\W\d_][\w'’.-]*", rest)
    return len(words) <= DATELINE_NAME_WORDS


def _internal(href: str, hosts: frozenset[str]) -> bool:
    host = urlsplit(href.strip()).netloc.lower().removeprefix("www.")
    return not host or not hosts or host in hosts


def segment_rule(segment: Segment, normalised: str, hosts: frozenset[str] = frozenset()) -> str:
    """Name of the rule that calls this segment boilerplate, or "" when none does.

    `hosts` are the publisher's own hosts: "link-only" is navigation only when its links stay
    on the site (a list of links to shops or sources inside an article is content).
    """
    rule = boilerplate_rule(normalised)
    if rule:
        return rule
    n_chars = len(re.sub(r"\W", "", normalised))
    if (
        segment.link_chars
        and normalised.count(" ") + 1 <= LINK_ONLY_MAX_WORDS
        and len(re.sub(r"\W", "", segment.text)) > 0
        and _link_share(segment) >= LINK_ONLY_SHARE
        and all(_internal(href, hosts) for href in segment.hrefs)
        and n_chars
    ):
        return "link-only"
    if _is_dateline(normalised):
        return "dateline"
    return ""


def _link_share(segment: Segment) -> float:
    total = len("".join(segment.text.split()))
    return segment.link_chars / total if total else 0.0
