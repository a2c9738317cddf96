"""Readers' accounts: Django's auth with our own User from the start, and a moderator role."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    class Role(models.TextChoices):
        READER = "reader", "Reader"
        MODERATOR = "moderator", "Moderator"

    email = models.EmailField("email address", unique=True, null=True, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.READER)
    is_banned = models.BooleanField(default=False, help_text="Banned readers can read but not post.")
    keep_history = models.BooleanField(default=True, help_text="Remember which articles the reader opened.")

    class Meta:
        constraints = [
            # Sign-up checks this too, but only the database can decide between two sign-ups at once.
            models.UniqueConstraint(Lower("email"), name="unique_email_ignoring_case"),
            models.UniqueConstraint(Lower("username"), name="unique_username_ignoring_case"),
        ]

    def __str__(self):
        return self.username

    @property
    def is_moderator(self) -> bool:
        return self.role == self.Role.MODERATOR or self.is_staff


class ApiToken(models.Model):
    """A reader's key for an app (sent as `Authorization: Bearer <token>`). Only the sha256 of the token is
    stored: the reader sees it once, when it is made; a lost token is revoked and replaced."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the reader called it, e.g. the phone it is on.")
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the token, so the reader can tell tokens apart on the account page.
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…) of {self.user_id}"
