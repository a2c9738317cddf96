"""Writes on accounts. The forms in accounts.forms are the checks; these functions only do."""

import logging

from django.db import transaction

from accounts.models import User
from comments.models import Comment

logger = logging.getLogger(__name__)


def do_delete_account(user: User, *, keep_comments: bool) -> None:
    """Delete the reader's account and decide what their comments become.

    keep_comments=True leaves the comments up, signed "deleted user" (author None). False removes what they
    say but keeps the rows, so replies from other readers keep their place in the thread.
    """
    user_id = user.pk
    with transaction.atomic():
        comments = Comment.objects.filter(author=user)
        if keep_comments:
            count = comments.update(author=None)
        else:
            count = comments.update(author=None, status=Comment.Status.DELETED, body="")
        user.delete()
    logger.info("account deleted", extra={"user_id": user_id, "kept_comments": keep_comments, "comments": count})


def do_set_keep_history(user: User, *, keep: bool) -> None:
    User.objects.filter(pk=user.pk).update(keep_history=keep)
    user.keep_history = keep
