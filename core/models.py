"""What three or more apps share in the database: the rate-limit ledger."""

from django.db import models


class RateEvent(models.Model):
    """One counted action (a comment, a question, a failed sign-in) under a key such as "user:42"."""

    key = models.CharField(max_length=200)
    at = models.FloatField(help_text="Unix time of the action.")

    class Meta:
        indexes = [models.Index(fields=["key", "at"])]

    def __str__(self):
        return f"{self.key} at {self.at}"
