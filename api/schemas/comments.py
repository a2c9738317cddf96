"""Comments: threads, what a reader sends, what they get back."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from .common import MAX_ID


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
