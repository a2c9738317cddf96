"""Shapes of the JSON API (for the mobile app), kept off the models, one section per resource."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Path, Schema
from pydantic import AwareDatetime

# Ids fit the databases' 64-bit integers; a larger number is a 422, never an overflow inside the database.
MAX_ID = 2**63 - 1
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Dates a newsroom can mean; far outside, date arithmetic overflows (year 1 minus a time zone).
EARLIEST, LATEST = datetime(1900, 1, 1).date(), datetime(3000, 1, 1).date()
Day = Annotated[date, Field(ge=EARLIEST, le=LATEST)]


Moment = Annotated[AwareDatetime, Field(description="ISO 8601 with a time zone, e.g. 2026-01-31T08:00:00Z")]

# ---------------------------------------------------------------- publishers


class PublisherRef(Schema):
    slug: str
    name: str


class PublisherOut(PublisherRef):
    site_url: str
    country: str
    language: str
    licence: str
    full_text: bool  # the licence lets Tidings show whole articles; else excerpts and a link
    article_count: int


# ---------------------------------------------------------------- hashtags and stories


class HashtagRef(Schema):
    slug: str
    label: str


class TrendingHashtagOut(HashtagRef):
    recent_articles: int


class StoryRef(Schema):
    id: int
    title: str


# ---------------------------------------------------------------- articles


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


# ---------------------------------------------------------------- stories


class StoryOut(StoryRef):
    first_published_at: datetime
    last_published_at: datetime
    article_count: int
    publisher_count: int
    publishers: list[str]  # first to report first
    lead: ArticleSummaryOut | None


class TimelineItem(ArticleSummaryOut):
    duplicate_of: int | None  # a copy folded into that article (it has no page of its own)


class CoverageOut(Schema):
    publisher: PublisherRef
    articles: list[TimelineItem]


class BriefingPoint(Schema):
    text: str
    citations: list[list[int]]  # [article id, start, end]
    publishers: list[str]
    only_in: str | None


class NumberValue(Schema):
    value: str
    publishers: list[str]


class NumberDifference(Schema):
    what: str
    values: list[NumberValue]


class BriefingOut(Schema):
    points: list[BriefingPoint]
    differences: list[NumberDifference]


class StoryDetailOut(StoryOut):
    coverage: list[CoverageOut]  # by publisher, first to report first
    timeline: list[TimelineItem]  # oldest first
    briefing: BriefingOut | None  # null until two articles with text tell the story


class HashtagOut(HashtagRef):
    articles: ArticlePage  # newest first; more with /articles?hashtag=<slug>&cursor=


# ---------------------------------------------------------------- search


class SearchHit(Schema):
    article: ArticleSummaryOut
    snippet_html: str  # escaped text around the matches, with <mark> around them


class SearchPage(Schema):
    results: list[SearchHit]
    page: int
    has_next: bool


# ---------------------------------------------------------------- comments


class CommentOut(Schema):
    id: int
    article_id: int
    parent_id: int | None
    author: str | None  # null for a deleted account
    body: str  # "" for a deleted or hidden comment kept as a placeholder
    status: Literal["visible", "held", "hidden", "deleted"]
    created_at: datetime
    edited_at: datetime | None
    can_edit: bool
    can_delete: bool
    can_report: bool
    can_reply: bool


class ThreadOut(Schema):
    comment: CommentOut
    replies: list[CommentOut]


class CommentsOut(Schema):
    count: int  # visible comments
    threads: list[ThreadOut]


class CommentIn(Schema):
    body: str = Field(max_length=40_000)
    parent_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


class CommentEditIn(Schema):
    body: str = Field(max_length=40_000)


class PostedOut(Schema):
    comment: CommentOut
    message: str


class ReportIn(Schema):
    reason: str = Field(default="", max_length=2000)


class ReportOut(Schema):
    comment_id: int
    message: str


# ---------------------------------------------------------------- the reader


class MeOut(Schema):
    username: str
    email: str | None
    keep_history: bool
    is_moderator: bool
    can_comment: bool


class ChoiceOut(Schema):
    kind: Literal["publisher", "hashtag", "story"]
    key: str  # publisher or hashtag slug, story id
    name: str
    since: datetime


class SavedOut(Schema):
    saved_at: datetime
    article: ArticleSummaryOut


class SavedPage(Schema):
    results: list[SavedOut]
    next_cursor: str | None


class ForYouItem(Schema):
    article: ArticleSummaryOut
    reason: str
    score: float
