"""Document type declarations out of an XML document before any parser sees it, and the markup budget.

No parser may then load a DTD, expand a declared entity without limit, or read a file or URL the document
names; short literal entities are put back in place within a budget."""

from __future__ import annotations

import codecs
import html
import html.entities
import re

from reader.parsing.entries import FeedParseError

# What the entities a feed declares may add to it, in bytes, when put back in place. Real feeds
# declare a few short names ("&id;" for a tag: URI prefix); a "quadratic blowup" declares one
# long value and uses it thousands of times.
ENTITY_EXPANSION_BUDGET = 1024 * 1024
# A declared entity longer than this is not put back: no feed needs one, an attack does.
ENTITY_VALUE_MAX_BYTES = 1024
# Removing a declaration can join the text around it into a new one ("<!DOC<!DOCTYPE x>TYPE");
# removal repeats until none is left, this many times at most.
_DTD_PASSES = 4

_XML_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_HTML_ENTITY_CODEPOINTS = {name: code for name, code in html.entities.name2codepoint.items()}
_DECL_SIGNIFICANT_RE = re.compile(rb"[\"'\[\]>]|<!--")
_DOCTYPE_OR_ENTITY_RE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_BARE_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\s+[A-Za-z_:][\w.:-]*\s*>", re.IGNORECASE)
_ENTITY_DECL_RE = re.compile(
    rb"""<!ENTITY\s+([A-Za-z_:][\w.:-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>""",
)
_SAFE_ENTITY_VALUE_RE = re.compile(rb"(?:[^&%<\"']|&#[0-9]{1,7};|&#x[0-9A-Fa-f]{1,6};)*")
_ENTITY_REF_RE = re.compile(rb"&([A-Za-z_:][\w.:-]{0,63});")
_XML_DECL_ENCODING_RE = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_FIRST_ELEMENT_RE = re.compile(rb"<\w")  # where feedparser's replace_doctype ends the prolog


def _without_dtd(body: bytes, content_type: str = "") -> bytes:
    """``body`` without document type declarations or entity declarations (see the module docstring).

    Raises FeedParseError when the declared entities would grow the document past
    ENTITY_EXPANSION_BUDGET, or when a declaration hides in an encoding this byte-level scan
    cannot read (UTF-16, UTF-32, UTF-7, EBCDIC).
    """
    _refuse_hidden_declarations(body, content_type)
    if not _DOCTYPE_OR_ENTITY_RE.search(body):
        return body
    entities: dict[bytes, bytes] = {}
    external = False
    for _ in range(_DTD_PASSES):
        body, declarations = _strip_declarations(body)
        if not declarations:
            break
        for declaration in declarations:
            found, names_external = _declared_entities(declaration)
            for name, value in found.items():
                entities.setdefault(name, value)  # XML: the first declaration of a name wins
            external = external or names_external
    else:
        raise FeedParseError("The feed hides document type declarations inside each other; it was not read.")
    if entities or external:
        body = _expand_entities(body, entities, html_names=external)
    return body


# Markup a document may hold, so that parsing any input under the fetcher's 5 MB cap stays within
# a fixed memory budget (~230 bytes of lxml tree per tag, ~750 bytes per entry built). Real feeds
# stay far below: the largest of 2,307 stored ones has 87k "<", 33k attributes, 1,046 entries.
MAX_TAGS = 250_000
MAX_ATTRIBUTES = 100_000
MAX_ENTRY_TAGS = 20_000
# fastfeedparser takes quadratic time in the attributes of one element (5 s for 40,000).
MAX_ATTRIBUTES_PER_ELEMENT = 1_000
_LONG_TAG_RE = re.compile(rb"<[^<>]{%d,}" % (4 * MAX_ATTRIBUTES_PER_ELEMENT))  # ' a="" ' is 4+ bytes
# Broken documents go to feedparser's loose parser, in Python, which spends ~60 µs a tag and
# ~1.3 kB an attribute; past these only the recovering lxml parser reads them (the largest
# broken stored feed has 8.4k tags and 11.5k attributes).
MAX_LENIENT_TAGS = 60_000
MAX_LENIENT_ATTRIBUTES = 20_000


def _check_markup_budget(body: bytes) -> bool:
    """FeedParseError when ``body`` holds more markup than any feed needs; else whether it is small
    enough for feedparser's loose parser. Cheap upper bounds first: most feeds need one pass or two."""
    tags = body.count(b"<")
    if tags > MAX_TAGS:
        raise FeedParseError(f"The document has more than {MAX_TAGS:,} tags; no feed needs that many.")
    equals = body.count(b"=")  # every attribute has one; text and URLs add some
    attributes = equals if equals <= MAX_LENIENT_ATTRIBUTES else body.count(b'="') + body.count(b"='")
    if attributes > MAX_ATTRIBUTES:
        raise FeedParseError(f"The document has more than {MAX_ATTRIBUTES:,} attributes; no feed needs that many.")
    if equals > MAX_ATTRIBUTES_PER_ELEMENT:
        for long_tag in _LONG_TAG_RE.finditer(body):
            if long_tag.group().count(b"=") > MAX_ATTRIBUTES_PER_ELEMENT:
                raise FeedParseError(
                    f"The document has an element with more than {MAX_ATTRIBUTES_PER_ELEMENT:,} attributes; "
                    "no feed needs that many."
                )
    if tags > MAX_ENTRY_TAGS and body.count(b"item") + body.count(b"entry") > MAX_ENTRY_TAGS:
        entries = body.count(b"<item") + body.count(b"<entry") + body.count(b":item") + body.count(b":entry")
        if entries > MAX_ENTRY_TAGS:
            raise FeedParseError(f"The document lists more than {MAX_ENTRY_TAGS:,} entries; no feed needs that many.")
    return tags <= MAX_LENIENT_TAGS and attributes <= MAX_LENIENT_ATTRIBUTES


def _strip_declarations(body: bytes) -> tuple[bytes, list[bytes]]:
    """One pass: every <!DOCTYPE ...> with an external id or internal subset, and every <!ENTITY ...>,
    cut out and returned.

    Comments, and CDATA sections after the first element, are left alone (an item's HTML may
    quote a doctype), except a comment before the first element that holds a declaration: it goes
    whole, because feedparser finds declarations in the prolog by regular expression, inside
    comments too, and re-declares them for its loose parser.
    """
    out, declarations, pos, n = [], [], 0, len(body)
    first_element = _FIRST_ELEMENT_RE.search(body)
    body_start = first_element.start() if first_element else n
    while True:
        start = body.find(b"<!", pos)
        if start < 0:
            out.append(body[pos:])
            break
        comment = body.startswith(b"<!--", start)
        if comment or (start > body_start and body.startswith(b"<![CDATA[", start)):
            closer = b"-->" if comment else b"]]>"
            end = body.find(closer, start + 4)
            end = n if end < 0 else end + 3
            if comment and start < body_start and _DOCTYPE_OR_ENTITY_RE.search(body, start + 4, end):
                out.append(body[pos:start])
                declarations.append(body[start:end])
            else:
                out.append(body[pos:end])
            pos = end
            continue
        keyword = body[start + 2 : start + 9].upper()
        if keyword.startswith((b"DOCTYPE", b"ENTITY")):
            end = _declaration_end(body, start)
            if not _BARE_DOCTYPE_RE.fullmatch(body, start, end):
                out.append(body[pos:start])
                declarations.append(body[start:end])
                pos = end
                continue
        out.append(body[pos : start + 2])
        pos = start + 2
    return b"".join(out), declarations


def _declaration_end(body: bytes, start: int) -> int:
    """Where the declaration at ``start`` ends: after its closing ">", quotes and an internal
    subset ("[...]", with its comments) respected; the end of the body when it never closes."""
    quote, in_subset, pos = b"", False, start + 2
    while True:
        match = _DECL_SIGNIFICANT_RE.search(body, pos)
        if match is None:
            return len(body)
        token, pos = match.group(), match.end()
        if quote:
            if token == quote:
                quote = b""
        elif token in (b'"', b"'"):
            quote = token
        elif token == b"<!--":
            close = body.find(b"-->", pos)
            if close < 0:
                return len(body)
            pos = close + 3
        elif token == b"[":
            in_subset = True
        elif token == b"]":
            in_subset = False
        elif token == b">" and not in_subset:
            return pos


def _declared_entities(declaration: bytes) -> tuple[dict[bytes, bytes], bool]:
    """The general entities with a short literal value a declaration defines, and whether it
    names anything external (a DTD file, an external or parameter entity)."""
    entities = {}
    for match in _ENTITY_DECL_RE.finditer(declaration):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        name = match.group(1)
        if len(value) <= ENTITY_VALUE_MAX_BYTES and _SAFE_ENTITY_VALUE_RE.fullmatch(value):
            entities.setdefault(name, value)
    upper = declaration.upper()
    external = b"SYSTEM" in upper or b"PUBLIC" in upper or b"%" in declaration
    return entities, external


def _expand_entities(body: bytes, entities: dict[bytes, bytes], *, html_names: bool) -> bytes:
    """Put declared entities in place (and, for a feed that took them from an external DTD, HTML
    entity names as character references), refusing past ENTITY_EXPANSION_BUDGET."""
    grown = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal grown
        name = match.group(1)
        value = entities.get(name)
        if value is None and html_names:
            text = name.decode("ascii", "replace")
            if text not in _XML_PREDEFINED and text in _HTML_ENTITY_CODEPOINTS:
                value = b"&#%d;" % _HTML_ENTITY_CODEPOINTS[text]
        if value is None:
            return match.group()
        grown += len(value) - len(match.group())
        if grown > ENTITY_EXPANSION_BUDGET:
            raise FeedParseError(
                "The feed declares XML entities that would grow it past "
                f"{ENTITY_EXPANSION_BUDGET // (1024 * 1024)} MB (an entity expansion attack); it was not read."
            )
        return value

    return _ENTITY_REF_RE.sub(replace, body)


def _refuse_hidden_declarations(body: bytes, content_type: str) -> None:
    """Refuse a declaration written in an encoding in which "<!DOCTYPE" is not those ASCII bytes.

    lxml and feedparser decode such documents themselves (from a byte order mark, the XML
    declaration, or the HTTP charset), so the byte-level removal would not see what they see.
    """
    for encoding in _possible_encodings(body, content_type):
        try:
            codec = codecs.lookup(encoding)
        except LookupError:
            continue
        if codec.name != "utf-7" and "<!DOCTYPE".encode(codec.name, "replace") == b"<!DOCTYPE":
            continue  # ASCII-compatible: the byte-level scan sees what a parser sees (UTF-7 is
            # not: it may also spell "<" as "+ADw-")
        text = body.decode(codec.name, "replace")
        if "<!doctype" in text.lower() or "<!entity" in text.lower():
            raise FeedParseError(
                f"The feed declares a document type in the {codec.name} encoding, which Tidings does not "
                "read (it could hide an entity expansion or file-reading attack)."
            )


def _possible_encodings(body: bytes, content_type: str) -> list[str]:
    head = body[:4]
    found = []
    for marks, encoding in (
        ((b"\x00\x00\xfe\xff", b"\x00\x00\x00<"), "utf-32-be"),
        ((b"\xff\xfe\x00\x00", b"<\x00\x00\x00"), "utf-32-le"),
        ((b"\xfe\xff", b"\x00<\x00?", b"\x00<\x00!"), "utf-16-be"),
        ((b"\xff\xfe", b"<\x00?\x00", b"<\x00!\x00"), "utf-16-le"),
        ((b"\x4c\x6f\xa7\x94",), "cp037"),
    ):
        if head.startswith(marks):
            found.append(encoding)
            break
    declared = _XML_DECL_ENCODING_RE.match(body.lstrip(b"\xef\xbb\xbf"))
    if declared:
        found.append(declared.group(1).decode("ascii"))
    if "charset=" in content_type.lower():
        found.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    return found
