"""The only writer of app passwords and read marks. Starring goes through readers.actions (starred = saved)."""

import logging
from datetime import datetime

from django.db.models import QuerySet

from articles.models import Article

from . import auth
from .models import AppPassword, ItemLabel, ReadMark
from .streams import UNREAD_WINDOW

logger = logging.getLogger(__name__)

APP_PASSWORDS_PER_READER = 20  # one per device and app is a handful; a long list is forgotten passwords


class AppPasswordError(ValueError):
    """An app password that cannot be made; the message is for the reader."""


def check_create_app_password(user, name: str) -> str:
    name = " ".join(name.split())[:100]
    if not name:
        raise AppPasswordError("Give the app password a name, such as the app and device it is for.")
    if AppPassword.objects.filter(user=user).count() >= APP_PASSWORDS_PER_READER:
        raise AppPasswordError(
            f"You have {APP_PASSWORDS_PER_READER} app passwords. Revoke one you no longer use first."
        )
    return name


def do_create_app_password(user, name: str, *, now: datetime) -> tuple[AppPassword, str]:
    """Make an app password and return it with its secret, which is shown once and never stored."""
    secret = auth.new_secret()
    app_password = AppPassword.objects.create(user=user, name=name, digest=auth.digest(secret), created_at=now)
    logger.info("app password created", extra={"user_id": user.pk, "app_password_id": app_password.pk})
    return app_password, secret


def do_revoke_app_password(user, app_password_id: int) -> int:
    deleted, _ = AppPassword.objects.filter(user=user, pk=app_password_id).delete()
    return deleted


def do_mark_read(user, article_ids: list[int], *, now: datetime) -> None:
    ReadMark.objects.bulk_create(
        [ReadMark(user=user, article_id=pk, read_at=now) for pk in article_ids], ignore_conflicts=True
    )


def do_mark_unread(user, article_ids: list[int]) -> None:
    """Articles older than the unread window stay read: there is no row to remove, and the window decides."""
    ReadMark.objects.filter(user=user, article_id__in=article_ids).delete()


def do_mark_all_read(user, articles: QuerySet[Article], *, before: datetime, now: datetime) -> int:
    """Mark read every article of `articles` crawled at or before `before` and still inside the unread window."""
    ids = list(
        articles.filter(discovered_at__lte=before, published_at__gte=now - UNREAD_WINDOW).values_list("pk", flat=True)
    )
    do_mark_read(user, ids, now=now)
    return len(ids)


def do_label(user, article_ids: list[int], name: str, *, now: datetime) -> None:
    ItemLabel.objects.bulk_create(
        [ItemLabel(user=user, article_id=pk, name=name, labelled_at=now) for pk in article_ids], ignore_conflicts=True
    )


def do_unlabel(user, article_ids: list[int], name: str) -> None:
    ItemLabel.objects.filter(user=user, article_id__in=article_ids, name=name).delete()
