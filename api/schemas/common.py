"""Ids, dates and the small references every resource uses (a publisher, a hashtag, a story)."""

from datetime import date, datetime
from typing import Annotated

from ninja import Field, Path, Schema
from pydantic import AwareDatetime

# Ids fit the databases' 64-bit integers; a larger number is a 422, never an overflow inside the database.
MAX_ID = 2**63 - 1
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Dates a newsroom can mean; far outside, date arithmetic overflows (year 1 minus a time zone).
EARLIEST, LATEST = datetime(1900, 1, 1).date(), datetime(3000, 1, 1).date()
Day = Annotated[date, Field(ge=EARLIEST, le=LATEST)]
Moment = Annotated[AwareDatetime, Field(description="ISO 8601 with a time zone, e.g. 2026-01-31T08:00:00Z")]


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


class HashtagRef(Schema):
    slug: str
    label: str


class TrendingHashtagOut(HashtagRef):
    recent_articles: int


class StoryRef(Schema):
    id: int
    title: str
