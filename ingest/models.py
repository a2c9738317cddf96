"""The fetch log: one row per attempt to read a feed or an article page, kept for the health page."""

from django.db import models


class FetchAttempt(models.Model):
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
        indexes = [models.Index(fields=["feed", "-started_at"])]

    def __str__(self):
        return f"{self.url} {self.outcome}"
