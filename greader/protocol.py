"""The Google Reader protocol's names and numbers, as pure functions: item ids, stream ids, continuations.

Written from the servers clients already talk to (Miniflux internal/googlereader/, FreshRSS p/api/greader.php)
and the clients themselves (NetNewsWire ReaderAPICaller.swift, Read You GoogleReaderAPI.kt, RSS Guard
greadernetwork.cpp, newsboat feedhqapi.cpp). No Django here.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

ITEM_PREFIX = "tag:google.com,2005:reader/item/"
STATE_PREFIX = "user/-/state/com.google/"
LABEL_PREFIX = "user/-/label/"
FEED_PREFIX = "feed/"

READING_LIST = STATE_PREFIX + "reading-list"
READ = STATE_PREFIX + "read"
UNREAD = STATE_PREFIX + "unread"  # FreshRSS's name for "not read", used with it= and xt=
STARRED = STATE_PREFIX + "starred"
KEPT_UNREAD = STATE_PREFIX + "kept-unread"
# Tags clients send that Tidings has nothing to do with (sharing, "tracking" markers): accepted and ignored,
# as Miniflux and FreshRSS do, so a client's batch is not refused for them.
IGNORED_STATES = {"broadcast", "broadcast-friends", "like", "tracking-kept-unread", "fresh", "tracking-body-link-used"}

# Article ids are database keys: never negative, and far below 2**63.
_MAX_ID = 2**63 - 1
_USER_PART = re.compile(r"^user/(?:-|\d+)/")


class ProtocolError(ValueError):
    """A value a client sent that does not follow the protocol; the message says which, for the client's log."""


def long_item_id(article_id: int) -> str:
    return f"{ITEM_PREFIX}{article_id:016x}"


def parse_item_id(value: str) -> int:
    """An article id from any form clients send.

    "tag:google.com,2005:reader/item/00000000000004d2" (Read You, newsboat), the same without zero padding
    (NetNewsWire formats %.16llx, but Miniflux notes shorter ones), 16 hex digits without the prefix (Reeder),
    and decimal "1234" (the form stream/items/ids answers with; Liferea, FeedMe).
    """
    value = value.strip()
    try:
        if value.startswith(ITEM_PREFIX):
            number = int(value[len(ITEM_PREFIX) :], 16)
        elif len(value) == 16:
            number = int(value, 16)
        else:
            number = int(value, 10) if value.isascii() and value.isdigit() else -1
    except ValueError:
        number = -1
    if not 0 < number <= _MAX_ID:
        raise ProtocolError(f"Not an item id: {value[:80]!r}.")
    return number


@dataclass(frozen=True)
class Stream:
    """A stream id taken apart. kind is one of: reading-list, read, unread, starred, kept-unread, ignored,
    feed (key: a publisher id as text, or a feed's URL), label (key: the category name)."""

    kind: str
    key: str = ""


def parse_stream(value: str) -> Stream:
    value = value.strip()
    # Clients may name the user by id ("user/7/state/...") instead of "-"; both mean the signed-in reader.
    value = _USER_PART.sub("user/-/", value, count=1)
    if value.startswith(STATE_PREFIX):
        state = value[len(STATE_PREFIX) :]
        if state in {"reading-list", "read", "unread", "starred", "kept-unread"}:
            return Stream(state)
        if state in IGNORED_STATES:
            return Stream("ignored", state)
    elif value.startswith(LABEL_PREFIX) and len(value) > len(LABEL_PREFIX):
        return Stream("label", value[len(LABEL_PREFIX) :])
    elif value.startswith(FEED_PREFIX) and len(value) > len(FEED_PREFIX):
        return Stream("feed", value[len(FEED_PREFIX) :])
    raise ProtocolError(f"Unknown stream: {value[:120]!r}.")


def feed_stream(publisher_id: int) -> str:
    return f"{FEED_PREFIX}{publisher_id}"


def label_stream(name: str) -> str:
    return f"{LABEL_PREFIX}{name}"


# Continuations: the last item sent, as "<published, µs since the epoch>-<article id>". Opaque to clients, and
# made only of digits and "-" because RSS Guard appends it to the URL without escaping it.
_CONTINUATION = re.compile(r"^(\d{1,19})-(\d{1,19})$")


def make_continuation(published: datetime, article_id: int) -> str:
    return f"{to_usec(published)}-{article_id}"


def parse_continuation(value: str) -> tuple[datetime, int]:
    match = _CONTINUATION.match(value.strip())
    if match is None:
        raise ProtocolError("Not a continuation this server gave: start again without c=.")
    usec, article_id = int(match[1]), int(match[2])
    try:
        return from_usec(usec), article_id
    except (OverflowError, ValueError, OSError) as exc:
        raise ProtocolError("Not a continuation this server gave: start again without c=.") from exc


def to_usec(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def from_usec(usec: int) -> datetime:
    return datetime.fromtimestamp(usec // 1_000_000, tz=UTC).replace(microsecond=usec % 1_000_000)


def parse_timestamp(value: str) -> datetime:
    """A moment clients send as seconds (ot=, nt=) or, for mark-all-as-read's ts=, micro- or nanoseconds.

    Clients disagree on the unit (FreshRSS reads ts= as nanoseconds, Miniflux guesses by length), so the number
    of digits decides, as in Miniflux: a time in seconds has 10 digits until the year 2286.
    """
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 20:
        raise ProtocolError(f"Not a timestamp: {value[:40]!r}.")
    number = int(value)
    if len(value) >= 19:
        usec = number // 1_000
    elif len(value) >= 16:
        usec = number
    elif len(value) >= 13:
        usec = number * 1_000
    else:
        usec = number * 1_000_000
    try:
        return from_usec(usec)
    except (OverflowError, ValueError, OSError) as exc:
        raise ProtocolError(f"Not a timestamp: {value[:40]!r}.") from exc


def parse_count(value: str | None, *, default: int, cap: int) -> int:
    """n=: how many items a client wants, at most `cap` (Read You asks 10000, RSS Guard 200000)."""
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()):
        raise ProtocolError(f"n must be a whole number, not {value[:20]!r}.")
    return max(1, min(int(value[:12]), cap))
