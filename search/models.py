"""Saved searches: a signed-in reader keeps a query with its filters and may follow it for new results."""

from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

# The filters a saved search may keep, as the search page's GET parameters.
FILTER_KEYS = ("publisher", "tag", "since", "until")


class SavedSearch(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    query = models.CharField(max_length=500)
    filters = models.JSONField(default=dict, blank=True, help_text="publisher, tag, since, until as on the page.")
    created_at = models.DateTimeField(auto_now_add=True)
    notify = models.BooleanField(default=False, help_text="Followed: new results are counted and announced.")
    last_seen_at = models.DateTimeField(default=timezone.now, help_text="When the reader last opened the results.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return self.query

    def get_absolute_url(self):
        return reverse("search-saved-open", args=[self.pk])

    def search_params(self) -> dict[str, str]:
        params = {"q": self.query}
        params.update({k: str(v) for k, v in (self.filters or {}).items() if k in FILTER_KEYS and v})
        return params

    def search_url(self) -> str:
        return f"{reverse('search')}?{urlencode(self.search_params())}"
