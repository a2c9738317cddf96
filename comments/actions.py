"""Every write to comments goes through here: check_* decides whether a reader may, do_* writes.

check_* functions raise a CommentError whose message is a plain sentence for the reader and whose
`status` is the HTTP status a view answers with; on success they call the matching do_* function.
do_* functions only write (and log moderation), so the admin, which has its own permissions, calls
them directly. Permission is decided here, on every request, whatever the page showed.

Deleting: the row stays (replies keep their place, reports and the moderation log keep their
comment), but the body is blanked: the author asked for their words to go. Pages show
"Comment deleted" where it had replies. Hiding keeps the body, for moderators to review.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from articles.models import Article
from core import clock, pagecache, ratelimit

from . import text
from .models import Comment, CommentReport, ModerationLog

EDIT_WINDOW = timedelta(minutes=15)  # long enough to fix a typo, short enough that replies don't lose context
DUPLICATE_WINDOW = timedelta(hours=24)
# (window seconds, comments allowed), per reader and per address: a fast typist writes a few a minute.
POST_LIMITS = ((60, 5), (86_400, 50))
# Anything longer than this is refused before it is even normalised; far above BODY_MAX_CHARS.
RAW_BODY_MAX_CHARS = 4 * text.BODY_MAX_CHARS
REPORT_REASON_MAX_CHARS = 500


class CommentError(ValueError):
    """A request the reader may not make, with a sentence that says why."""

    status = 400


class SignInRequired(CommentError):
    status = 403


class NotAllowed(CommentError):
    status = 403


class NotFound(CommentError):
    status = 404


class RateLimited(CommentError):
    status = 429


@dataclass(frozen=True)
class Posted:
    comment: Comment
    message: str


# ---------------------------------------------------------------- permissions, shared with the page


def edit_refusal(user, comment: Comment, now=None) -> str:
    """Why `user` may not edit `comment`, or "" when they may."""
    if not user.is_authenticated or comment.author_id != user.pk:
        return "You can edit only your own comments."
    if comment.status in (Comment.Status.HIDDEN, Comment.Status.DELETED):
        return "This comment can no longer be edited."
    if user.is_banned:
        return "Your account can no longer post or edit comments."
    if (now or clock.now()) - comment.created_at > EDIT_WINDOW:
        return "You can edit a comment only in the first 15 minutes."
    return ""


def delete_refusal(user, comment: Comment) -> str:
    if not user.is_authenticated or (comment.author_id != user.pk and not user.is_moderator):
        return "You can delete only your own comments."
    if comment.status == Comment.Status.DELETED:
        return "This comment has already been deleted."
    return ""


def report_refusal(user, comment: Comment) -> str:
    if not user.is_authenticated:
        return "Sign in to report a comment."
    if comment.author_id == user.pk:
        return "You cannot report your own comment."
    if comment.status != Comment.Status.VISIBLE:
        return "This comment is not shown any more."
    return ""


def hide_refusal(user, comment: Comment) -> str:
    if not user.is_authenticated or not user.is_moderator:
        return "Only moderators can hide comments."
    if comment.status in (Comment.Status.HIDDEN, Comment.Status.DELETED):
        return "This comment is not shown any more."
    return ""


def _raise_if(refusal: str, error=NotAllowed) -> None:
    if refusal:
        raise error(refusal)


def _signed_in(user, doing: str) -> None:
    if not user.is_authenticated:
        raise SignInRequired(f"Sign in to {doing}.")


def _comment(comment_id: int) -> Comment:
    comment = Comment.objects.select_related("author").filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("This comment does not exist.")
    return comment


def _body(raw: str) -> str:
    if len(raw or "") > RAW_BODY_MAX_CHARS:
        raise CommentError(f"Comments can be at most {text.BODY_MAX_CHARS} characters long.")
    body = text.clean_body(raw)
    if not body:
        raise CommentError("Write something before posting.")
    if len(body) > text.BODY_MAX_CHARS:
        raise CommentError(f"Comments can be at most {text.BODY_MAX_CHARS} characters long.")
    return body


def _epoch() -> float:
    return time.time()


def _count_post(key: str, limits=POST_LIMITS) -> None:
    """Count one comment against every window (core.ratelimit holds across all processes)."""
    full = ratelimit.hit(f"comments:post:{key}", limits, now=_epoch())
    if full is None:
        return
    if full <= 60:
        raise RateLimited("You have posted many comments in the last minute. Please wait a minute.")
    raise RateLimited("You have reached today's limit of comments. Please come back tomorrow.")


def _hold_reason(user, body: str, *, exclude_pk=None) -> str:
    if reason := text.link_stuffing_reason(body):
        return reason
    key = text.duplicate_key(body)
    recent = (
        Comment.objects.filter(author=user, created_at__gte=clock.now() - DUPLICATE_WINDOW)
        .exclude(status=Comment.Status.DELETED)
        .exclude(pk=exclude_pk)
        .values_list("body", flat=True)
    )
    if any(text.duplicate_key(other) == key for other in recent):
        return "repeats a comment posted in the last 24 hours"
    return ""


# ---------------------------------------------------------------- posting


def check_post_comment(user, article_id: int, body: str, *, parent_id: int | None = None, ip: str | None) -> Posted:
    _signed_in(user, "comment")
    if user.is_banned:
        raise NotAllowed("Your account can no longer post comments.")
    article = Article.objects.visible().filter(pk=article_id).first()
    if article is None:
        raise NotFound("This article does not exist.")
    body = _body(body)
    parent = None
    if parent_id is not None:
        parent = Comment.objects.filter(pk=parent_id, article=article, status=Comment.Status.VISIBLE).first()
        if parent is None:
            raise CommentError("The comment you replied to is not shown any more.")
        if parent.parent_id is not None:
            raise CommentError("You can reply only to a top-level comment.")
    _count_post(f"user:{user.pk}")
    if ip:
        _count_post(f"ip:{ip}", settings.COMMENT_ADDRESS_LIMITS)
    held_reason = _hold_reason(user, body)
    comment = do_post_comment(user, article, body, parent=parent, ip=ip, held_reason=held_reason)
    if comment.status == Comment.Status.HELD:
        return Posted(comment, "Your comment awaits review by a moderator before others can see it.")
    return Posted(comment, "Your comment is posted.")


def do_post_comment(user, article: Article, body: str, *, parent=None, ip=None, held_reason: str = "") -> Comment:
    status = Comment.Status.HELD if held_reason else Comment.Status.VISIBLE
    with transaction.atomic():
        comment = Comment.objects.create(article=article, author=user, parent=parent, body=body, status=status,
                                         held_reason=held_reason[:200], author_ip=ip or None)  # fmt: skip
        if held_reason:
            ModerationLog.objects.create(action=ModerationLog.Action.HOLD, comment=comment, target_user=user,
                                         note=held_reason[:500])  # fmt: skip
        pagecache.forget_articles([article.pk], exact=True)
    return comment


# ---------------------------------------------------------------- editing and deleting


def check_edit_comment(user, comment_id: int, body: str) -> Posted:
    _signed_in(user, "edit comments")
    comment = _comment(comment_id)
    _raise_if(edit_refusal(user, comment))
    body = _body(body)
    held_reason = "" if comment.status == Comment.Status.HELD else text.link_stuffing_reason(body)
    comment = do_edit_comment(comment, body, held_reason=held_reason)
    if comment.status == Comment.Status.HELD:
        return Posted(comment, "Your comment is saved and awaits review by a moderator.")
    return Posted(comment, "Your comment is saved.")


def do_edit_comment(comment: Comment, body: str, *, held_reason: str = "") -> Comment:
    """Save a new body; an edit that turns a shown comment into link stuffing goes back for review."""
    comment.body = body
    comment.edited_at = clock.now()
    fields = ["body", "edited_at"]
    with transaction.atomic():
        if held_reason:
            comment.status, comment.held_reason = Comment.Status.HELD, held_reason[:200]
            fields += ["status", "held_reason"]
            note = f"after an edit: {held_reason}"
            ModerationLog.objects.create(action=ModerationLog.Action.HOLD, comment=comment,
                                         target_user_id=comment.author_id, note=note[:500])  # fmt: skip
        comment.save(update_fields=fields)
        pagecache.forget_articles([comment.article_id], exact=True)
    return comment


def check_delete_comment(user, comment_id: int) -> Comment:
    _signed_in(user, "delete comments")
    comment = _comment(comment_id)
    _raise_if(delete_refusal(user, comment))
    return do_delete_comment(user, comment)


def do_delete_comment(actor, comment: Comment) -> Comment:
    """Keep the row, blank the body. A moderator deleting someone else's comment is logged."""
    with transaction.atomic():
        if comment.author_id != actor.pk:
            ModerationLog.objects.create(actor=actor, action=ModerationLog.Action.DELETE, comment=comment,
                                         target_user_id=comment.author_id, note=comment.body[:500])  # fmt: skip
        comment.status, comment.body = Comment.Status.DELETED, ""
        comment.save(update_fields=["status", "body"])
        comment.reports.filter(resolved=False).update(resolved=True)
        pagecache.forget_articles([comment.article_id], exact=True)
    return comment


# ---------------------------------------------------------------- reports


def check_report_comment(user, comment_id: int, reason: str = "") -> CommentReport:
    _signed_in(user, "report a comment")
    comment = _comment(comment_id)
    _raise_if(report_refusal(user, comment))
    reason = text.clean_body(reason)[:REPORT_REASON_MAX_CHARS]
    report = do_report_comment(user, comment, reason)
    if report is None:
        raise CommentError("You have already reported this comment.")
    return report


def do_report_comment(user, comment: Comment, reason: str = "") -> CommentReport | None:
    """The report, or None when this reader already reported the comment (the unique constraint decides)."""
    try:
        with transaction.atomic():
            return CommentReport.objects.create(comment=comment, reporter=user, reason=reason)
    except IntegrityError:
        return None


# ---------------------------------------------------------------- moderation


def check_hide_comment(user, comment_id: int) -> Comment:
    _signed_in(user, "moderate comments")
    comment = _comment(comment_id)
    _raise_if(hide_refusal(user, comment))
    return do_hide(user, comment)


def _moderate(actor, comment: Comment, status: str, action: str, note: str) -> Comment:
    with transaction.atomic():
        comment.status = status
        comment.save(update_fields=["status"])
        comment.reports.filter(resolved=False).update(resolved=True)
        ModerationLog.objects.create(actor=actor, action=action, comment=comment, target_user_id=comment.author_id,
                                     note=note[:500])  # fmt: skip
        pagecache.forget_articles([comment.article_id], exact=True)
    return comment


def do_hide(actor, comment: Comment, note: str = "") -> Comment:
    return _moderate(actor, comment, Comment.Status.HIDDEN, ModerationLog.Action.HIDE, note)


def do_restore(actor, comment: Comment, note: str = "") -> Comment:
    return _moderate(actor, comment, Comment.Status.VISIBLE, ModerationLog.Action.RESTORE, note)


def do_approve(actor, comment: Comment, note: str = "") -> Comment:
    return _moderate(actor, comment, Comment.Status.VISIBLE, ModerationLog.Action.APPROVE, note)


def do_ban_user(actor, user, *, comment: Comment | None = None, note: str = "") -> None:
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(is_banned=True)
        user.is_banned = True
        ModerationLog.objects.create(actor=actor, action=ModerationLog.Action.BAN, comment=comment, target_user=user,
                                     note=note[:500])  # fmt: skip


def release_comments_of(user, *, keep_text: bool) -> int:
    """When a reader's account goes: their comments stay up signed "deleted user" (`keep_text`), or lose what
    they say but keep their place, so replies from other readers stay in the thread. Returns how many."""
    comments = Comment.objects.filter(author=user)
    pagecache.forget_articles(comments.values_list("article_id", flat=True).distinct(), exact=True)
    if keep_text:
        return comments.update(author=None)
    return comments.update(author=None, status=Comment.Status.DELETED, body="")
