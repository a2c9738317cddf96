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
    coverage: list[CoverageOut]  # by publisher, first to report first
    timeline: list[TimelineItem]  # oldest first
    briefing: BriefingOut | None  # null until two articles with text tell the story


class HashtagOut(HashtagRef):
    articles: ArticlePage  # newest first; more with /articles?hashtag=<slug>&cursor=
