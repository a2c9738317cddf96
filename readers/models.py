"""What a reader chose (follows, mutes, saved articles) and what Tidings noticed (reading history).

Follows and mutes point at exactly one target each; the database enforces that and the uniqueness per
kind, so "already following" is decided by a constraint, never by a Python check.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

FOLLOW_KINDS = ("publisher", "hashtag", "story")
MUTE_KINDS = ("publisher", "hashtag")


def _exactly_one(kinds: tuple[str, ...]) -> Q:
    """Q that holds when exactly one of the `kinds` foreign keys is set."""
    condition = Q()
    for kind in kinds:
        only_this = Q(**{f"{kind}__isnull": False})
        for other in kinds:
            if other != kind:
                only_this &= Q(**{f"{other}__isnull": True})
        condition |= only_this
    return condition


def _one_per_kind(model: str, kinds: tuple[str, ...]) -> list[models.UniqueConstraint]:
    return [
        models.UniqueConstraint(
            fields=["user", kind], condition=Q(**{f"{kind}__isnull": False}), name=f"unique_{model}_{kind}"
        )
        for kind in kinds
    ]


class Follow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    publisher = models.ForeignKey(
        "sources.Publisher", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    hashtag = models.ForeignKey("stories.Hashtag", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    story = models.ForeignKey("stories.Story", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_exactly_one(FOLLOW_KINDS), name="follow_exactly_one_target"),
            *_one_per_kind("follow", FOLLOW_KINDS),
        ]

    def __str__(self):
        return f"{self.user_id} follows {self.target}"

    @property
    def kind(self) -> str:
        return next(kind for kind in FOLLOW_KINDS if getattr(self, f"{kind}_id") is not None)

    @property
    def target(self):
        return getattr(self, self.kind)


class Mute(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes")
    publisher = models.ForeignKey(
        "sources.Publisher", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    hashtag = models.ForeignKey("stories.Hashtag", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_exactly_one(MUTE_KINDS), name="mute_exactly_one_target"),
            *_one_per_kind("mute", MUTE_KINDS),
        ]

    def __str__(self):
        return f"{self.user_id} mutes {self.target}"

    @property
    def kind(self) -> str:
        return next(kind for kind in MUTE_KINDS if getattr(self, f"{kind}_id") is not None)

    @property
    def target(self):
        return getattr(self, self.kind)


class SavedArticle(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_articles")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    saved_at = models.DateTimeField()

    class Meta:
        ordering = ["-saved_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="unique_saved_article")]

    def __str__(self):
        return f"{self.user_id} saved article {self.article_id}"


class ReadingHistory(models.Model):
    """One row per reader and article; read_at moves forward on every re-read. Written only when the
    reader keeps history (User.keep_history)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_history")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "reading history"
        ordering = ["-read_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="unique_reading_history")]
        indexes = [models.Index(fields=["user", "-read_at"])]

    def __str__(self):
        return f"{self.user_id} read article {self.article_id} at {self.read_at:%Y-%m-%d %H:%M}"


class FeedToken(models.Model):
    """The secret in a reader's private feed addresses (For You, saved articles).

    Kept readable, not hashed: the reader copies the address again from the account page whenever they add
    a feed reader. Resetting replaces the key, and every address made with the old one stops working.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_token")
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"private feed key of {self.user_id}"
