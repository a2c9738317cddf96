"""Search results."""

from ninja import Schema

from .articles import ArticleSummaryOut


class SearchHit(Schema):
    article: ArticleSummaryOut
    snippet_html: str  # escaped text around the matches, with <mark> around them


class SearchPage(Schema):
    results: list[SearchHit]
    page: int
    has_next: bool
