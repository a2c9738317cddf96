"""Cursor pagination over (published_at, id), newest first: a page never repeats or skips an article when new
ones arrive between requests (they sort before the cursor). The cursor is opaque to clients."""

import base64
import binascii
import json
from datetime import UTC, datetime

from django.db.models import Q

from .problems import ApiProblem
from .schemas.common import MAX_ID

BAD_CURSOR = "This cursor is not one Tidings gave out: start again from the first page (no cursor)."


def encode(moment: datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, pk = json.loads(raw)
        moment = datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            raise ValueError(cursor)
        moment = moment.astimezone(UTC)
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk <= MAX_ID:
            raise ValueError(cursor)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiProblem(400, BAD_CURSOR) from exc
    return moment, pk


def page(queryset, *, cursor: str | None, limit: int, field: str = "published_at", key=None):
    """(rows, next cursor or None) of `queryset` ordered by -field, -pk. `key(row)` gives (moment, pk) of a row
    when the rows are not the articles themselves (saved articles page by saved_at)."""
    key = key or (lambda row: (getattr(row, field), row.pk))
    if cursor:
        moment, pk = decode(cursor)
        queryset = queryset.filter(Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": pk}))
    rows = list(queryset.order_by(f"-{field}", "-pk")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode(*key(rows[-1]))
