"""Comments under an article: anyone reads them; a signed-in reader posts, edits, deletes and reports, each
through comments.actions' check_* functions (which decide permission on every request)."""

from django.shortcuts import get_object_or_404
from ninja import Router, Status

from articles.models import Article
from comments import actions
from comments.models import Comment
from comments.queries import SHOWN_AS_PLACEHOLDER, comment_section, mark_permissions

from ..auth import AUTH, client_address, count_write, reader
from ..problems import ApiProblem
from ..schemas.comments import CommentEditIn, CommentIn, CommentsOut, PostedOut, ReportIn, ReportOut
from ..schemas.common import ObjectId

router = Router(tags=["comments"])
# comments.actions says "wait a minute" or "come back tomorrow"; the seconds for Retry-After.
RETRY_AFTER_MINUTE, RETRY_AFTER_DAY = 60, 86_400


def _comment(comment: Comment) -> dict:
    placeholder = comment.status in SHOWN_AS_PLACEHOLDER
    return {
        "id": comment.pk, "article_id": comment.article_id, "parent_id": comment.parent_id,
        "author": comment.author.username if comment.author else None,
        "body": "" if placeholder else comment.body, "status": comment.status,
        "created_at": comment.created_at, "edited_at": comment.edited_at,
        "can_edit": comment.can_edit, "can_delete": comment.can_delete, "can_report": comment.can_report,
        "can_reply": comment.can_reply,
    }  # fmt: skip


def _refused(exc: actions.CommentError) -> ApiProblem:
    retry = None
    if isinstance(exc, actions.RateLimited):
        retry = RETRY_AFTER_MINUTE if "minute" in str(exc) else RETRY_AFTER_DAY
    return ApiProblem(exc.status, str(exc), retry_after=retry)


@router.get("/articles/{article_id}/comments", response=CommentsOut, summary="Comments under an article, in threads")
def list_comments(request, article_id: ObjectId):
    user = reader(request)
    article = get_object_or_404(Article.objects.visible(), pk=article_id)
    section = comment_section(article, user)
    return {
        "count": section.count,
        "threads": [{"comment": _comment(t.comment), "replies": [_comment(r) for r in t.replies]}
                    for t in section.threads],
    }  # fmt: skip


def _posted(posted: actions.Posted, user) -> dict:
    return {"comment": _comment(mark_permissions(posted.comment, user)), "message": posted.message}


@router.post("/articles/{article_id}/comments", response={201: PostedOut}, auth=AUTH, summary="Post a comment")
def post_comment(request, article_id: ObjectId, payload: CommentIn):
    user = request.auth
    count_write(user)
    try:
        posted = actions.check_post_comment(user, article_id, payload.body, parent_id=payload.parent_id,
                                            ip=client_address(request) or None)  # fmt: skip
    except actions.CommentError as exc:
        raise _refused(exc) from exc
    return Status(201, _posted(posted, user))


@router.patch("/comments/{comment_id}", response=PostedOut, auth=AUTH, summary="Edit your comment")
def edit_comment(request, comment_id: ObjectId, payload: CommentEditIn):
    user = request.auth
    count_write(user)
    try:
        posted = actions.check_edit_comment(user, comment_id, payload.body)
    except actions.CommentError as exc:
        raise _refused(exc) from exc
    return _posted(posted, user)


@router.delete("/comments/{comment_id}", response={204: None}, auth=AUTH, summary="Delete a comment")
def delete_comment(request, comment_id: ObjectId):
    user = request.auth
    count_write(user)
    try:
        actions.check_delete_comment(user, comment_id)
    except actions.CommentError as exc:
        raise _refused(exc) from exc
    return Status(204, None)


@router.post("/comments/{comment_id}/reports", response={201: ReportOut}, auth=AUTH, summary="Report a comment")
def report_comment(request, comment_id: ObjectId, payload: ReportIn):
    user = request.auth
    count_write(user)
    try:
        actions.check_report_comment(user, comment_id, payload.reason)
    except actions.CommentError as exc:
        raise _refused(exc) from exc
    return Status(201, {"comment_id": comment_id, "message": "Thank you: a moderator will look at this comment."})
