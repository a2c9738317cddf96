"""Who we read: publishers (with their licence and display policy), their feeds (with health), and the log of
every attempt to read a feed or an article page."""

from datetime import datetime, timedelta

from django.db import models
from django.urls import reverse


class Publisher(models.Model):
    class DisplayPolicy(models.TextChoices):
        FULL_TEXT = "full_text", "Full text with attribution"
        EXCERPT = "excerpt", "Excerpt and link to the original"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    site_url = models.URLField(max_length=2000, blank=True)
    country = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True)
    licence = models.CharField(max_length=200, default="All rights reserved (excerpt only)")
    display_policy = models.CharField(max_length=16, choices=DisplayPolicy.choices, default=DisplayPolicy.EXCERPT)
    # Fingerprints of text blocks seen on this publisher's pages → number of pages they were on.
    # Blocks that repeat across pages are the publisher's template (menus, "Most read", …).
    template_counts = models.JSONField(default=dict, blank=True)
    template_pages = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("publisher", args=[self.slug])

    @property
    def shows_full_text(self) -> bool:
        return self.display_policy == self.DisplayPolicy.FULL_TEXT


class FeedQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def due(self, now: datetime):
        return self.active().filter(next_check_at__lte=now)


class Feed(models.Model):
    class Health(models.TextChoices):
        NEW = "new", "Not checked yet"
        OK = "ok", "Working"
        WARNING = "warning", "Working, with problems"
        FAILING = "failing", "Failing"
        STOPPED = "stopped", "Stopped"

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="feeds")
    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    ttl_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_check_at = models.DateTimeField(db_index=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_new_entry_at = models.DateTimeField(null=True, blank=True)

    health = models.CharField(max_length=16, choices=Health.choices, default=Health.NEW)
    error_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A permanent redirect is followed at once but the stored URL changes only once it repeats.
    redirected_to = models.URLField(max_length=2000, blank=True)
    redirect_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["publisher__name", "url"]

    def __str__(self):
        return self.title or self.url

    @staticmethod
    def first_check_at(now: datetime) -> datetime:
        return now - timedelta(seconds=1)


class FetchAttempt(models.Model):
    """One attempt to read a feed or an article page, kept for the health page."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        NOT_MODIFIED = "not_modified", "Not modified"
        HTTP_ERROR = "http_error", "HTTP error"
        PARSE_WARNING = "parse_warning", "Read with problems"
        PARSE_ERROR = "parse_error", "Not a readable feed"
        BLOCKED = "blocked", "Refused"
        TIMEOUT = "timeout", "Timed out"
        CONNECTION = "connection", "Could not connect"
        TOO_LARGE = "too_large", "Too large"
        EXTRACTION_FAILED = "extraction_failed", "No article text"

    class Kind(models.TextChoices):
        FEED = "feed", "Feed"
        PAGE = "page", "Article page"

    feed = models.ForeignKey("sources.Feed", on_delete=models.CASCADE, related_name="attempts", null=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FEED)
    url = models.URLField(max_length=2000)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    entries_new = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["feed", "-started_at"], name="fetchattempt_feed_recent")]

    def __str__(self):
        return f"{self.url} {self.outcome}"
