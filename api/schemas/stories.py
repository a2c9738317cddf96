"""Stories (top, detail with coverage, timeline, briefing) and hashtags."""

from datetime import datetime

from ninja import Schema

from .articles import ArticlePage, ArticleSummaryOut
from .common import HashtagRef, PublisherRef, StoryRef


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
    leads: list[TimelineItem]  # page 1: each publisher's first report, first to report first (at most 20)
    coverage: list[CoverageOut]  # this page's timeline by publisher, first to report first
    timeline: list[TimelineItem]  # oldest first, 50 a page (?page=N)
    page: int
    pages: int
    briefing: BriefingOut | None  # page 1 only; null until two articles with text tell the story


class HashtagOut(HashtagRef):
    articles: ArticlePage  # newest first; more with /articles?hashtag=<slug>&cursor=
