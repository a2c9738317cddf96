"""One place to ask the time, so tests and pure functions can be handed a fixed `now`."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
