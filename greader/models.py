"""What the Google Reader API keeps of its own: app passwords, and which articles a reader marked read in a client.

Read state is not the site's reading history (readers.ReadingHistory): a feed reader marks hundreds of articles
read at once, which says nothing about what the reader is interested in, and a reader who turned history off
still needs their client to remember what they have read.
"""

from django.conf import settings
from django.db import models


class AppPassword(models.Model):
    """A password for one feed-reader app, shown once and stored as a sha256 digest.

    The secret is long and random (100 bits), so a fast digest is enough: nobody can guess it from the digest,
    and ClientLogin finds it with one indexed lookup instead of hashing once per stored password.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_passwords")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.user_id})"


class ReadMark(models.Model):
    """The reader marked this article read in a feed reader. Articles older than the unread window count as read
    without a row (greader.streams.UNREAD_WINDOW), so rows never pile up for the whole archive."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_marks")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="unique_read_mark")]

    def __str__(self):
        return f"{self.user_id} read article {self.article_id}"


class ItemLabel(models.Model):
    """A label the reader put on an article in a feed reader (edit-tag a=user/-/label/<name>). Labels live
    beside the folders, which come from the catalogue: user/-/label/<name> holds both, as in FreshRSS."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="item_labels")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    labelled_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "article", "name"], name="unique_item_label")]
        indexes = [models.Index(fields=["user", "name"])]

    def __str__(self):
        return f"{self.user_id} labelled article {self.article_id} {self.name!r}"
