"""What we store: one Article per piece of journalism, one ArticleSource per feed that carried it."""

from datetime import timedelta
from html import unescape

from django.db import models
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator

from core import clock

# Where the licence allows only an excerpt, pages and feeds out show this many words of it.
EXCERPT_WORDS = 80
# "Most active publishers" (the publishers page, the home and search filters) are counted over this many of
# the latest listed articles: a bounded read whatever the number of articles.
ACTIVITY_SAMPLE = 10_000


class ArticleQuerySet(models.QuerySet):
    def visible(self):
        """Articles a reader can open: not folded into another article as a copy."""
        return self.filter(duplicate_of__isnull=True)

    def listed(self):
        """What article lists show: visible articles with at least the feed's text (not waiting for the page)."""
        return self.visible().exclude(status=Article.Status.PENDING)

    def ready(self):
        return self.visible().filter(status=Article.Status.READY)

    def recent(self, hours: int = 72):
        return self.filter(published_at__gte=clock.now() - timedelta(hours=hours))

    def latest_first(self):
        return self.order_by("-published_at", "-pk")

    def by_publisher(self, publisher):
        return self.filter(publisher=publisher)

    def active_publishers(self, limit: int, *, sample: int = ACTIVITY_SAMPLE) -> list:
        """The `limit` publishers with the most of the latest `sample` listed articles, most first, each with
        `recent_articles` (its count among them). Two queries."""
        from django.db.models import Count

        from sources.models import Publisher

        latest = self.listed().order_by("-published_at").values("pk")[:sample]
        counts = list(
            Article.objects.filter(pk__in=latest)
            .values_list("publisher")
            .annotate(n=Count("pk"))
            .order_by("-n", "publisher")[:limit]
        )
        publishers = Publisher.objects.in_bulk([pk for pk, _ in counts])
        ranked = []
        for pk, n in counts:
            publishers[pk].recent_articles = n
            ranked.append(publishers[pk])
        return ranked


class Article(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the page"
        READY = "ready", "Ready"
        EXCERPT_ONLY = "excerpt_only", "Only the feed's excerpt could be read"

    publisher = models.ForeignKey("sources.Publisher", on_delete=models.CASCADE, related_name="articles")
    url = models.URLField(max_length=2000, help_text="The link as the first feed gave it.")
    canonical_url = models.URLField(max_length=2000)
    url_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the canonical URL")
    title = models.CharField(max_length=500)
    summary_html_safe = models.TextField(blank=True, help_text="The feed's summary, sanitized.")
    feed_content_html_safe = models.TextField(blank=True, help_text="Full text the feed carried, sanitized.")
    body_text = models.TextField(blank=True)
    body_html_safe = models.TextField(blank=True)
    byline = models.CharField(max_length=300, blank=True)
    image_url = models.URLField(max_length=2000, blank=True)
    image_alt = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=16, blank=True)
    published_at = models.DateTimeField(db_index=True)
    discovered_at = models.DateTimeField(auto_now_add=True)
    extracted_at = models.DateTimeField(null=True, blank=True)
    extraction_method = models.CharField(max_length=40, blank=True)
    extraction_note = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies")
    story = models.ForeignKey(
        "stories.Story", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    processed_at = models.DateTimeField(null=True, blank=True, help_text="When story and related were computed.")

    objects = ArticleQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            models.Index(fields=["publisher", "-published_at"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("article", args=[self.pk])

    @property
    def has_body(self) -> bool:
        return bool(self.body_html_safe)

    @property
    def shows_full_text(self) -> bool:
        """Whether Tidings may show the whole body here (its page, its feeds out): the publisher's licence
        allows republishing, and the body was read."""
        return self.publisher.shows_full_text and self.has_body

    @property
    def excerpt(self) -> str:
        """Plain text shown in place of the body when it may not be shown: the body's first words, else the
        feed's summary's; empty when the feed gave only the headline."""
        text = self.body_text or unescape(strip_tags(self.summary_html_safe))
        return Truncator(text).words(EXCERPT_WORDS, truncate=" …") if text.strip() else ""


class ArticleSource(models.Model):
    """A feed entry that carried an article. (feed, guid_hash) identifies the entry forever."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sources")
    feed = models.ForeignKey("sources.Feed", on_delete=models.CASCADE, related_name="entries")
    guid_hash = models.CharField(max_length=64)
    entry_url = models.URLField(max_length=2000)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "guid_hash"], name="unique_entry_per_feed")]

    def __str__(self):
        return self.entry_url
