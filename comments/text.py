"""Pure functions over a comment's text: cleaning what a reader typed, and spotting link stuffing."""

import re
import unicodedata

BODY_MAX_CHARS = 5000
# Zero-width characters and bidi controls: they let "hello" hide a different word, or reverse what follows.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
MANY_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")
# What urlize turns into a link, roughly: http(s) addresses and bare www. hosts.
LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# More than this many links reads as advertising, not conversation.
MAX_LINKS = 3
# A comment whose links make up more than half of its visible characters says nothing of its own.
LINK_SHARE_TO_HOLD = 0.5


def clean_body(raw: str) -> str:
    """NFC, no invisible or direction-changing characters, Unix newlines, at most two blank lines in a row."""
    text = unicodedata.normalize("NFC", raw or "")
    text = INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = MANY_BLANK_LINES.sub("\n\n\n", text)
    return text.strip()


def duplicate_key(text: str) -> str:
    """What two comments share when one repeats the other: case and spacing ignored."""
    return " ".join(text.casefold().split())


def link_stuffing_reason(text: str) -> str:
    """Why the text looks like link stuffing, or "" when it does not."""
    links = LINK.findall(text)
    if len(links) > MAX_LINKS:
        return f"{len(links)} links in one comment"
    visible = sum(1 for ch in text if not ch.isspace())
    if links and visible and sum(len(link) for link in links) / visible > LINK_SHARE_TO_HOLD:
        return "mostly links"
    return ""
