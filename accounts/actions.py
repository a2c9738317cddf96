"""Writes on accounts. The forms in accounts.forms are the checks for the pages; check_* here decide the rest,
do_* functions only do."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.db import transaction

from accounts.models import ApiToken, User
from comments import actions as comment_actions
from core import clock

logger = logging.getLogger(__name__)


def do_delete_account(user: User, *, keep_comments: bool) -> None:
    """Delete the reader's account and decide what their comments become.

    keep_comments=True leaves the comments up, signed "deleted user" (author None). False removes what they
    say but keeps the rows, so replies from other readers keep their place in the thread.
    """
    user_id = user.pk
    with transaction.atomic():
        count = comment_actions.release_comments_of(user, keep_text=keep_comments)
        user.delete()
    logger.info("account deleted", extra={"user_id": user_id, "kept_comments": keep_comments, "comments": count})


def do_set_keep_history(user: User, *, keep: bool) -> None:
    User.objects.filter(pk=user.pk).update(keep_history=keep)
    user.keep_history = keep


# ---------------------------------------------------------------- API tokens

API_TOKEN_PREFIX = "tid_"  # noqa: S105 (a marker that tells a token apart, not a secret)
API_TOKEN_NAME_MAX = 100
# At most this many live tokens per reader: enough for every device, few enough to review on one page.
API_TOKENS_PER_READER = 20
# last_used_at is written at most this often per token, so reading the API does not write on every request.
API_TOKEN_TOUCH_EVERY = timedelta(hours=1)


class ApiTokenError(ValueError):
    """A token request the reader cannot make, with a sentence that says why."""


def api_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    name = " ".join((name or "").split())
    if not name:
        raise ApiTokenError("Give the token a name, such as the device it is for.")
    if len(name) > API_TOKEN_NAME_MAX:
        raise ApiTokenError(f"Token names can be at most {API_TOKEN_NAME_MAX} characters long.")
    if ApiToken.objects.filter(user=user).count() >= API_TOKENS_PER_READER:
        raise ApiTokenError(f"You have {API_TOKENS_PER_READER} tokens: revoke one you no longer use first.")
    return do_create_api_token(user, name)


def do_create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """The stored token and its secret, which is shown to the reader once and never stored."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name, token_hash=api_token_hash(token), prefix=token[:10])
    return row, token


def do_revoke_api_token(user: User, token_id: int) -> int:
    """Delete one of the reader's own tokens; 0 when it is not theirs (or already gone)."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted


def user_for_api_token(token: str) -> User | None:
    """The active reader a token belongs to, or None. One query, plus a narrow write at most hourly."""
    if not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
        return None
    row = ApiToken.objects.select_related("user").filter(token_hash=api_token_hash(token)).first()
    if row is None or not row.user.is_active:
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at > API_TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
