"""Comment endpoints. Each POST works twice: a form post answered with a redirect and a message, or a
fetch from comments.js (X-Requested-With or Accept: application/json) answered with JSON:
{"html", "message", "id", "parent_id", "count"} on success, {"error"} with 400/403/404/429 otherwise."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from . import actions, queries
from .models import Comment


def wants_json(request) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest" or "application/json" in request.headers.get(
        "accept", ""
    )


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: a forwarded-for header is the client's to write. Behind a proxy, set it there.
    return request.META.get("REMOTE_ADDR") or None


def _article_url(article_id: int, anchor: str) -> str:
    return f"{reverse('article', args=[article_id])}#{anchor}"


def _refused(request, exc: actions.CommentError, *, back: str):
    if wants_json(request):
        return JsonResponse({"error": str(exc)}, status=exc.status)
    if isinstance(exc, actions.SignInRequired):
        return redirect_to_login(back)
    if exc.status in (403, 404):
        # Controls are shown only to readers allowed to use them: this is a hand-made request.
        return render(request, "comments/refused.html", {"message": str(exc), "back": back}, status=exc.status)
    messages.error(request, str(exc))
    return redirect(back)


def _done(request, comment: Comment, message: str, *, status: int = 200, reported: bool = False):
    if wants_json(request):
        queries.mark_permissions(comment, request.user, reported=reported)
        html = render_to_string("comments/_comment.html", {"comment": comment, "article": comment.article},
                                request=request)  # fmt: skip
        payload = {"html": html, "message": message, "id": comment.pk, "parent_id": comment.parent_id,
                   "count": queries.visible_count(comment.article_id)}  # fmt: skip
        return JsonResponse(payload, status=status)
    messages.success(request, message)
    return redirect(_article_url(comment.article_id, f"comment-{comment.pk}"))


def _parent_id(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # no such comment: check_post_comment refuses it like any other missing parent


@require_POST
def comment_post(request, article_id: int):
    parent_id = _parent_id(request.POST.get("parent"))
    back = _article_url(article_id, f"comment-{parent_id}" if parent_id else "comment-form")
    try:
        posted = actions.check_post_comment(request.user, article_id, request.POST.get("body", ""),
                                            parent_id=parent_id, ip=client_ip(request))  # fmt: skip
    except actions.CommentError as exc:
        return _refused(request, exc, back=back)
    return _done(request, posted.comment, posted.message, status=201)


def _back_to(comment_id: int) -> str:
    article_id = Comment.objects.filter(pk=comment_id).values_list("article_id", flat=True).first()
    return _article_url(article_id, f"comment-{comment_id}") if article_id else "/"


@require_http_methods(["GET", "POST"])
def comment_edit(request, comment_id: int):
    if request.method == "GET":
        comment = get_object_or_404(Comment.objects.select_related("article"), pk=comment_id)
        if refusal := actions.edit_refusal(request.user, comment):
            exc = actions.SignInRequired(refusal) if not request.user.is_authenticated else actions.NotAllowed(refusal)
            return _refused(request, exc, back=_article_url(comment.article_id, f"comment-{comment.pk}"))
        return render(request, "comments/edit.html", {"comment": comment, "article": comment.article})
    try:
        posted = actions.check_edit_comment(request.user, comment_id, request.POST.get("body", ""))
    except actions.CommentError as exc:
        return _refused(request, exc, back=_back_to(comment_id))
    return _done(request, posted.comment, posted.message)


@require_POST
def comment_delete(request, comment_id: int):
    try:
        comment = actions.check_delete_comment(request.user, comment_id)
    except actions.CommentError as exc:
        return _refused(request, exc, back=_back_to(comment_id))
    return _done(request, comment, "The comment is deleted.")


@require_POST
def comment_report(request, comment_id: int):
    try:
        report = actions.check_report_comment(request.user, comment_id, request.POST.get("reason", ""))
    except actions.CommentError as exc:
        return _refused(request, exc, back=_back_to(comment_id))
    return _done(request, report.comment, "Thank you. A moderator will look at this comment.", reported=True)


@require_POST
def comment_hide(request, comment_id: int):
    try:
        comment = actions.check_hide_comment(request.user, comment_id)
    except actions.CommentError as exc:
        return _refused(request, exc, back=_back_to(comment_id))
    return _done(request, comment, "The comment is hidden.")
