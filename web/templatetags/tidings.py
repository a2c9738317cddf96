"""Template filters for how news sites show time: "17 hours ago", then a date once a week old."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from core import clock
from reader import canonical

register = template.Library()

RELATIVE_FOR = timedelta(days=7)


@register.filter
def news_time(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    now = now or clock.now()
    delta = now - value
    if delta > RELATIVE_FOR:
        return date_format(timezone.localtime(value), "j M Y")
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def safe_url(value) -> str:
    """A URL fit for href or src: an http(s) URL (checked by reader.canonical.http_url_or_none, the
    one helper every stored URL already passed) or a path on this site; "" for anything else.

    Every href and src built from a variable goes through this filter (a test scans the templates),
    so a javascript: URL that reached the database by any road still never becomes a link.
    """
    if not isinstance(value, str):
        return ""
    if value.startswith("/") and not value.startswith(("//", "/\\")) and value.isprintable():
        return value  # a path on this site: no scheme, no other host
    return canonical.http_url_or_none(value) or ""
