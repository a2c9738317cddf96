"""Everything a reader does to their own follows, mutes, saved articles and history.

check_* resolves and validates (raising DoesNotExist for an unknown target, ReaderActionError for a
request that makes no sense); do_* writes. Writes are idempotent: the unique constraints decide
"already there", so a double-clicked button changes nothing.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import connection, models

from articles.models import Article
from comments.models import Comment
from core import clock
from sources.models import Publisher
from stories.models import Hashtag, Story

from . import foryou
from .models import FOLLOW_KINDS, MUTE_KINDS, FeedToken, Follow, Mute, ReadingHistory, SavedArticle

# How many history rows the export and the learned page consider "recent".
RECENT_HISTORY = 50


class ReaderActionError(ValueError):
    """A request that cannot be carried out, with a message fit for the reader."""


def target_for(kind: str, key: str | int):
    """The publisher (by slug), hashtag (by slug) or story (by id) a follow or mute points at."""
    if kind == "publisher":
        return Publisher.objects.get(slug=key)
    if kind == "hashtag":
        return Hashtag.objects.get(slug=key)
    if kind == "story":
        return Story.objects.get(pk=key)
    raise ReaderActionError(f"Unknown kind {kind!r}.")


def display_name(target) -> str:
    """How a reason or a message names a target: "Asia Times", "#Tariffs", "“Floods in Valencia”"."""
    if isinstance(target, Hashtag):
        return f"#{target.label}"
    if isinstance(target, Story):
        return f"“{target.title}”"
    return target.name


def _kind_of(target) -> str:
    for kind, model in (("publisher", Publisher), ("hashtag", Hashtag), ("story", Story)):
        if isinstance(target, model):
            return kind
    raise ReaderActionError(f"Cannot follow a {type(target).__name__}.")


# Follows ------------------------------------------------------------------------------------------


def check_follow(user, kind: str, key: str | int):
    if kind not in FOLLOW_KINDS:
        raise ReaderActionError(f"Unknown kind {kind!r}.")
    return target_for(kind, key)


def do_follow(user, target) -> Follow:
    follow, _ = Follow.objects.get_or_create(user=user, **{_kind_of(target): target})
    foryou.forget(user)
    return follow


def do_unfollow(user, target) -> int:
    deleted, _ = Follow.objects.filter(user=user, **{_kind_of(target): target}).delete()
    foryou.forget(user)
    return deleted


# Mutes --------------------------------------------------------------------------------------------


def check_mute(user, kind: str, key: str | int):
    if kind not in MUTE_KINDS:
        raise ReaderActionError("Only publishers and hashtags can be muted.")
    return target_for(kind, key)


def do_mute(user, target) -> Mute:
    """Mute wins over follow: a muted publisher or hashtag never reaches For You, followed or not."""
    mute, _ = Mute.objects.get_or_create(user=user, **{_kind_of(target): target})
    foryou.forget(user)
    return mute


def do_unmute(user, target) -> int:
    deleted, _ = Mute.objects.filter(user=user, **{_kind_of(target): target}).delete()
    foryou.forget(user)
    return deleted


# Saved articles -----------------------------------------------------------------------------------


def check_save(user, article_id: int) -> Article:
    """Only an article with a page of its own can be saved (not a copy folded into another)."""
    return Article.objects.visible().get(pk=article_id)


def do_save(user, article: Article, *, now: datetime | None = None) -> SavedArticle:
    saved, _ = SavedArticle.objects.get_or_create(user=user, article=article, defaults={"saved_at": now or clock.now()})
    foryou.forget(user)
    return saved


def do_unsave(user, article: Article) -> int:
    deleted, _ = SavedArticle.objects.filter(user=user, article=article).delete()
    foryou.forget(user)
    return deleted


# History ------------------------------------------------------------------------------------------


def record_read(user, article: Article, *, now: datetime | None = None) -> ReadingHistory | None:
    """Remember that a signed-in reader opened `article`, unless they turned history off."""
    if not user.is_authenticated or not user.keep_history:
        return None
    read_at = now or clock.now()
    if connection.vendor == "postgresql":
        return _record_read_without_waiting_for_disk(user, article, read_at)
    # One statement (INSERT … ON CONFLICT DO UPDATE): every signed-in article view writes this row.
    (entry,) = ReadingHistory.objects.bulk_create(
        [ReadingHistory(user=user, article=article, read_at=read_at)],
        update_conflicts=True, unique_fields=["user", "article"], update_fields=["read_at"],
    )  # fmt: skip
    return entry


# The upsert of record_read, committed without waiting for the WAL flush (the largest part of a signed-in
# page's time): a database crash may forget the last moment of reading history, nothing else. The setting is
# made inside the statement (set_config(…, true) lasts until the statement's own transaction commits), so the
# write is one round trip instead of four (BEGIN, SET LOCAL, INSERT, COMMIT); the ORM cannot prefix a CTE.
_UPSERT_READ_SQL = """
    WITH unsynced AS (SELECT set_config('synchronous_commit', 'off', true))
    INSERT INTO {table} (user_id, article_id, read_at) SELECT %s, %s, %s FROM unsynced
    ON CONFLICT (user_id, article_id) DO UPDATE SET read_at = EXCLUDED.read_at RETURNING id
"""


def _record_read_without_waiting_for_disk(user, article: Article, read_at: datetime) -> ReadingHistory:
    sql = _UPSERT_READ_SQL.format(table=connection.ops.quote_name(ReadingHistory._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, article.pk, read_at])
        (pk,) = cursor.fetchone()
    return ReadingHistory(pk=pk, user=user, article=article, read_at=read_at)


def do_reset_feed_token(user, *, now: datetime | None = None) -> FeedToken:
    """A new private feed key for the reader (the first, or one replacing the old, whose addresses stop working)."""
    key = secrets.token_urlsafe(32)  # 256 random bits, URL-safe
    token, _ = FeedToken.objects.update_or_create(user=user, defaults={"key": key, "created_at": now or clock.now()})
    return token


def clear_history(user) -> int:
    deleted, _ = ReadingHistory.objects.filter(user=user).delete()
    foryou.forget(user)
    return deleted


def clear_learned(user) -> dict[str, int]:
    """Forget everything For You infers interests from: the reading history and the saved articles
    (saving is how a reader tells Tidings "more like this"). Follows and mutes stay: they are choices
    the reader made and manages one by one, not something Tidings learned."""
    history, _ = ReadingHistory.objects.filter(user=user).delete()
    saved, _ = SavedArticle.objects.filter(user=user).delete()
    foryou.forget(user)
    return {"history": history, "saved": saved}


# Export -------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _rows(queryset: models.QuerySet, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row.items() if k not in drop} for row in queryset]


def _saved_searches(user) -> list[dict[str, Any]]:
    """The reader's saved searches: every column but the owner."""
    return _rows(user.saved_searches.order_by("pk").values(), drop=("user_id",))


def _comments(user) -> list[dict[str, Any]]:
    rows = Comment.objects.filter(author=user).order_by("created_at", "pk")
    return _rows(rows.values("id", "article_id", "parent_id", "body", "status", "created_at", "edited_at"))


def export_my_data(user) -> dict[str, Any]:
    """Everything Tidings keeps about `user`, as JSON-ready values (no password hash, no session)."""
    follows = (
        Follow.objects.filter(user=user).select_related("publisher", "hashtag", "story").order_by("created_at", "pk")
    )
    mutes = Mute.objects.filter(user=user).select_related("publisher", "hashtag").order_by("created_at", "pk")
    saved = SavedArticle.objects.filter(user=user).select_related("article").order_by("saved_at", "pk")
    history = ReadingHistory.objects.filter(user=user).select_related("article").order_by("read_at", "pk")
    data: dict[str, Any] = {
        "account": {
            "username": user.username,
            "email": user.email,
            "date_joined": _jsonable(user.date_joined),
            "role": user.role,
            "keep_history": user.keep_history,
        },
        "follows": [_target_row(f) for f in follows],
        "mutes": [_target_row(m) for m in mutes],
        "saved": [_article_row(s.article, saved_at=_jsonable(s.saved_at)) for s in saved],
        "history": [_article_row(h.article, read_at=_jsonable(h.read_at)) for h in history],
    }
    data["saved_searches"] = _saved_searches(user)
    data["comments"] = _comments(user)
    return data


def _target_row(choice: Follow | Mute) -> dict[str, Any]:
    target = choice.target
    key = target.pk if isinstance(target, Story) else target.slug
    return {"kind": choice.kind, "key": key, "name": display_name(target), "since": _jsonable(choice.created_at)}


def _article_row(article: Article, **extra: Any) -> dict[str, Any]:
    return {"article_id": article.pk, "title": article.title, "url": article.url, **extra}
