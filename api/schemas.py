"""Shapes of the JSON API (for the mobile app), kept off the models."""

from datetime import datetime

from ninja import Schema


class PublisherOut(Schema):
    name: str
    slug: str
    licence: str
    display_policy: str


class CitedText(Schema):
    text: str
    spans: list[list[int]]


class RelatedOut(Schema):
    id: int
    title: str
    publisher: str
    published_at: datetime
    reason: str


class ArticleSummaryOut(Schema):
    id: int
    title: str
    url: str
    publisher: str
    published_at: datetime
    snippet: str
    story_id: int | None


class ArticleOut(ArticleSummaryOut):
    byline: str
    body_text: str | None  # null where the publisher's licence allows only an excerpt
    excerpt: str
    attribution: str
    hashtags: list[str]
    key_points: list[CitedText]
    summary: list[CitedText]
    also_published_by: list[str]
    related: list[RelatedOut]


class ArticlePage(Schema):
    count: int
    page: int
    results: list[ArticleSummaryOut]


class QuestionIn(Schema):
    question: str


class AnswerOut(Schema):
    answered: bool
    text: str
    spans: list[list[int]]
    engine: str


class ErrorOut(Schema):
    detail: str
