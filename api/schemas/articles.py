"""Articles: list pages, one article as its page shows it, questions."""

from datetime import datetime

from ninja import Field, Schema

from .common import HashtagRef, PublisherRef, StoryRef


class ArticleSummaryOut(Schema):
    id: int
    title: str
    url: str  # the original, at the publisher
    publisher: PublisherRef
    published_at: datetime
    language: str
    snippet: str
    image_url: str
    story_id: int | None
    comment_count: int | None  # null in nested lists, where comments are not counted


class ArticlePage(Schema):
    results: list[ArticleSummaryOut]
    next_cursor: str | None  # pass as ?cursor= for the next page; null on the last


class CitedText(Schema):
    text: str
    spans: list[list[int]]  # [start, end) character offsets into body_text
    quotes: list[str]  # the article's own words at those spans


class RelatedOut(Schema):
    article: ArticleSummaryOut
    reason: str


class CopyOut(Schema):
    publisher: PublisherRef
    url: str
    published_at: datetime


class ArticleOut(ArticleSummaryOut):
    byline: str
    full_text: bool  # body_html and body_text are given; else only the excerpt and the link to the original
    body_html: str | None  # sanitized HTML
    body_text: str | None
    excerpt: str
    attribution: str
    story: StoryRef | None
    hashtags: list[HashtagRef]
    summary: list[CitedText]
    key_points: list[CitedText]
    related: list[RelatedOut]
    also_published_by: list[CopyOut]


class QuestionIn(Schema):
    question: str = Field(max_length=2000)


class AnswerOut(Schema):
    answered: bool
    text: str
    spans: list[list[int]]
    quotes: list[str]
    engine: str
