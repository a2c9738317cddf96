"""Display text helpers shared by apps and pages: whitespace, word-boundary truncation, slugs (word lists and stems
for analysis are in analysis.text)."""

import re
import unicodedata

from django.utils.text import slugify

_WHITESPACE = re.compile(r"\s+")


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text or "").strip()


def truncate_words(text: str, limit: int) -> str:
    """The first `limit` characters of `text`, cut at a word boundary, with an ellipsis when cut."""
    text = collapse_whitespace(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def unique_slug(name: str, taken) -> str:
    """A URL slug for `name` that `taken(slug)` says is free (appends -2, -3, …)."""
    base = slugify(unicodedata.normalize("NFKD", name)) or "publisher"
    base = base[:60]
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}", n + 1
    return slug
