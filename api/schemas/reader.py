"""The signed-in reader: profile, follows and mutes, saved articles, For You."""

from datetime import datetime
from typing import Literal

from ninja import Schema

from .articles import ArticleSummaryOut


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
