"""Read-side queries for comments: counts for article lists and the threads shown under an article."""

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from core import clock

from . import actions
from .models import Comment, CommentReport


def with_comment_counts(queryset):
    """Annotate `visible_comment_count` on articles: a correlated subquery, so no extra query and no GROUP BY."""
    visible = (
        Comment.objects.filter(article=OuterRef("pk"), status=Comment.Status.VISIBLE)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(visible_comment_count=Coalesce(Subquery(visible, output_field=IntegerField()), Value(0)))


def has_comments(article_id: int) -> bool:
    """Whether the article has a comment in any state (held, hidden and deleted ones included)."""
    return Comment.objects.filter(article_id=article_id).exists()


def visible_count(article_id: int) -> int:
    return Comment.objects.visible().filter(article_id=article_id).count()


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


@dataclass
class Section:
    count: int
    threads: list[Thread]


SHOWN_AS_PLACEHOLDER = (Comment.Status.DELETED, Comment.Status.HIDDEN)


def mark_permissions(comment: Comment, user, *, reported: bool = False, now=None) -> Comment:
    """Set can_* flags the template uses to show controls; the server checks again on every request."""
    comment.can_edit = not actions.edit_refusal(user, comment, now)
    comment.can_delete = not actions.delete_refusal(user, comment)
    comment.can_report = not actions.report_refusal(user, comment) and not reported
    comment.can_hide = not actions.hide_refusal(user, comment)
    comment.can_reply = (
        user.is_authenticated
        and not user.is_banned
        and comment.parent_id is None
        and comment.status == Comment.Status.VISIBLE
    )
    return comment


def comment_section(article, user, *, known_empty: bool = False) -> Section:
    """Visible comments in threads, the reader's own held ones, and placeholders for removed parents of replies.
    `known_empty`: the caller knows the article has no comment in any state (has_comments), so nothing is read."""
    if known_empty:
        return Section(count=0, threads=[])
    shown = Q(status=Comment.Status.VISIBLE) | Q(status__in=SHOWN_AS_PLACEHOLDER, parent__isnull=True)
    if user.is_authenticated:
        shown |= Q(status=Comment.Status.HELD, author=user)
    comments = list(Comment.objects.filter(shown, article=article).select_related("author").order_by("created_at"))
    reported = set()
    if user.is_authenticated and comments:
        reported = set(
            CommentReport.objects.filter(reporter=user, comment__article=article).values_list("comment_id", flat=True)
        )
    now = clock.now()
    threads: dict[int, Thread] = {}
    for comment in comments:
        mark_permissions(comment, user, reported=comment.pk in reported, now=now)
        if comment.parent_id is None:
            threads[comment.pk] = Thread(comment)
        elif comment.parent_id in threads:
            threads[comment.parent_id].replies.append(comment)
    kept = [t for t in threads.values() if t.comment.status not in SHOWN_AS_PLACEHOLDER or t.replies]
    count = sum(1 for c in comments if c.status == Comment.Status.VISIBLE)
    return Section(count=count, threads=kept)
