"""What a reader is shown of an article, for the API, decided by the same rule as the page and the feeds out.

Article.shows_full_text and Article.excerpt decide (the page's web/_article_text.html reads them too): full
text where the publisher's licence allows republishing and Tidings has the body, else an excerpt and a link
to the original. The attribution line is always shown; `attribution` words it as that template does.
"""

from dataclasses import dataclass

from django.utils.dateformat import format as format_date

from .models import Article


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
    if not article.shows_full_text:
        line += " Tidings shows an excerpt; the full article is on the publisher's site."
    return line


def presentation(article: Article) -> Presentation:
    """What the licence lets Tidings show of `article` (its publisher should be selected with it)."""
    if article.shows_full_text:
        return Presentation(True, article.body_html_safe, article.body_text, "", attribution(article))
    return Presentation(False, "", "", article.excerpt, attribution(article))
