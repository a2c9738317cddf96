"""What a reader is shown of an article, decided once for the page, the API and the feeds.

The publisher's display policy decides: full text (with the attribution its licence requires) where
republishing is allowed and Tidings has the body, else an excerpt of about EXCERPT_WORDS words and a link
to the original. The source and the attribution line are always shown.
"""

from dataclasses import dataclass

from django.utils.dateformat import format as format_date
from django.utils.html import strip_tags
from django.utils.text import Truncator

from .models import Article

EXCERPT_WORDS = 80
HEADLINE_ONLY = "This publisher's feed gives only the headline."


@dataclass(frozen=True)
class Presentation:
    full_text: bool  # the body is shown; else `excerpt` and a link to the original
    body_html_safe: str  # "" unless full_text
    body_text: str  # "" unless full_text
    excerpt: str  # plain text; "" when full_text or when the feed gave only the headline
    attribution: str  # plain text, always shown


def attribution(article: Article) -> str:
    publisher = article.publisher
    line = (
        f"Originally published by {publisher.name} on {format_date(article.published_at, 'j F Y')}. "
        f"Licence: {publisher.licence}."
    )
    if not publisher.shows_full_text:
        line += " Tidings shows an excerpt; the full article is on the publisher's site."
    return line


def excerpt(article: Article) -> str:
    """The first EXCERPT_WORDS words of the text, else of the feed's summary; "" when there is neither."""
    if article.body_text:
        return Truncator(article.body_text).words(EXCERPT_WORDS, truncate=" …")
    if article.summary_html_safe:
        return Truncator(strip_tags(article.summary_html_safe)).words(EXCERPT_WORDS, truncate=" …")
    return ""


def presentation(article: Article) -> Presentation:
    """What the licence lets Tidings show of `article` (its publisher should be selected with it)."""
    if article.publisher.shows_full_text and article.has_body:
        return Presentation(True, article.body_html_safe, article.body_text, "", attribution(article))
    return Presentation(False, "", "", excerpt(article), attribution(article))
