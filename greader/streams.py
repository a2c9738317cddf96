"""Which articles a stream holds for one reader, and their read and starred state. Reads only.

A reader's reading list is what the publishers they follow published (copies folded into another article and
articles still waiting for their page left out). An article is read when the reader marked it read in a client,
or when it is older than UNREAD_WINDOW: nobody wants a client to wake up to ten thousand unread articles, and
NewsBlur bounds unread state the same way (14 days for free accounts).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from articles.models import Article
from readers.models import Follow, SavedArticle
from sources.models import Feed, Publisher

from . import protocol
from .models import ItemLabel, ReadMark

UNREAD_WINDOW = timedelta(days=30)


class UnknownStream(LookupError):
    """A stream id that names nothing here (no such publisher, feed or folder)."""


def shown_articles() -> QuerySet[Article]:
    return Article.objects.listed()


def followed_publisher_ids(user) -> QuerySet:
    return Follow.objects.filter(user=user, publisher__isnull=False).values("publisher_id")


def categories_of(publisher_ids) -> dict[int, str]:
    """Each publisher's folder: the first category, alphabetically, of its feeds in the catalogue (one query)."""
    rows = (
        Feed.objects.filter(publisher_id__in=publisher_ids)
        .exclude(category="")
        .order_by("publisher_id", "category")
        .values_list("publisher_id", "category")
    )
    categories: dict[int, str] = {}
    for publisher_id, category in rows:
        categories.setdefault(publisher_id, category)
    return categories


def read_condition(user, now: datetime) -> Q:
    marked = ReadMark.objects.filter(user=user, article=OuterRef("pk"))
    return Q(Exists(marked)) | Q(published_at__lt=now - UNREAD_WINDOW)


def starred_condition(user) -> Q:
    return Q(Exists(SavedArticle.objects.filter(user=user, article=OuterRef("pk"))))


@dataclass(frozen=True)
class Resolved:
    """A stream id made into articles, with the names its answers carry."""

    articles: QuerySet[Article]
    stream_id: str
    title: str
    publisher: Publisher | None = None


def resolve(user, stream: protocol.Stream, now: datetime) -> Resolved:
    reading_list = shown_articles().filter(publisher_id__in=followed_publisher_ids(user))
    if stream.kind == "reading-list":
        return Resolved(reading_list, protocol.READING_LIST, "Reading list")
    if stream.kind == "read":
        return Resolved(reading_list.filter(read_condition(user, now)), protocol.READ, "Read")
    if stream.kind in {"unread", "kept-unread"}:
        return Resolved(reading_list.exclude(read_condition(user, now)), protocol.UNREAD, "Unread")
    if stream.kind == "starred":
        return Resolved(shown_articles().filter(starred_condition(user)), protocol.STARRED, "Starred")
    if stream.kind == "feed":
        publisher = publisher_for(stream.key)
        articles = shown_articles().filter(publisher=publisher)
        return Resolved(articles, protocol.feed_stream(publisher.pk), publisher.name, publisher)
    if stream.kind == "label":
        # A folder (followed publishers in that catalogue category) and a label (articles the reader labelled).
        followed = Follow.objects.filter(user=user, publisher__isnull=False).values_list("publisher_id", flat=True)
        in_folder = [pk for pk, name in categories_of(list(followed)).items() if name == stream.key]
        labelled = ItemLabel.objects.filter(user=user, name=stream.key)
        if not in_folder and not labelled.exists():
            raise UnknownStream(f"You have no folder or label named {stream.key[:100]!r}.")
        articles = shown_articles().filter(Q(publisher_id__in=in_folder) | Q(pk__in=labelled.values("article_id")))
        return Resolved(articles, protocol.label_stream(stream.key), stream.key)
    raise UnknownStream(f"The stream {stream.kind!r} holds no articles here.")


def publisher_for(key: str) -> Publisher:
    """feed/<publisher id> as this server gives it, or feed/<feed URL> as clients build it when subscribing."""
    if key.isascii() and key.isdigit() and len(key) < 19:
        publisher = Publisher.objects.filter(pk=int(key)).first()
    else:
        feed = Feed.objects.select_related("publisher").filter(url=key).first()
        publisher = feed.publisher if feed else None
    if publisher is None:
        raise UnknownStream(f"No publisher or feed here is {protocol.FEED_PREFIX}{key[:200]}.")
    return publisher


def apply_filters(
    articles: QuerySet[Article],
    user,
    now: datetime,
    *,
    exclude: list[protocol.Stream],
    include: list[protocol.Stream],
    newer_than: datetime | None,
    older_than: datetime | None,
) -> QuerySet[Article]:
    """xt= (exclude target), it= (include target), ot= and nt= (crawled after / before, in seconds)."""
    for stream, wanted in [(stream, False) for stream in exclude] + [(stream, True) for stream in include]:
        if stream.kind == "starred":
            condition, holds = starred_condition(user), True
        elif stream.kind in {"read", "unread", "kept-unread"}:
            condition, holds = read_condition(user, now), stream.kind == "read"
        else:
            continue  # a label or feed target is not a read or starred state: nothing to filter here
        articles = articles.filter(condition) if holds == wanted else articles.exclude(condition)
    if newer_than is not None:
        articles = articles.filter(discovered_at__gte=newer_than)
    if older_than is not None:
        articles = articles.filter(discovered_at__lte=older_than)
    return articles


def page(
    articles: QuerySet[Article], *, count: int, oldest_first: bool, after: tuple[datetime, int] | None
) -> tuple[list[Article], str | None]:
    """One page in publication order (newest first unless r=o), and the continuation for the next, if any."""
    if after is not None:
        published, pk = after
        if oldest_first:
            articles = articles.filter(Q(published_at__gt=published) | Q(published_at=published, pk__gt=pk))
        else:
            articles = articles.filter(Q(published_at__lt=published) | Q(published_at=published, pk__lt=pk))
    order = ("published_at", "pk") if oldest_first else ("-published_at", "-pk")
    rows = list(articles.order_by(*order)[: count + 1])
    if len(rows) <= count:
        return rows, None
    last = rows[count - 1]
    return rows[:count], protocol.make_continuation(last.published_at, last.pk)


def states(user, article_ids: list[int]) -> tuple[set[int], set[int], dict[int, list[str]]]:
    """(read ids, starred ids, labels by id) among `article_ids`: three queries, whatever their number.
    Read here means marked read; the unread window is the caller's (is_read)."""
    read = set(ReadMark.objects.filter(user=user, article_id__in=article_ids).values_list("article_id", flat=True))
    starred = set(
        SavedArticle.objects.filter(user=user, article_id__in=article_ids).values_list("article_id", flat=True)
    )
    labels: dict[int, list[str]] = {}
    rows = ItemLabel.objects.filter(user=user, article_id__in=article_ids).order_by("name")
    for article_id, name in rows.values_list("article_id", "name"):
        labels.setdefault(article_id, []).append(name)
    return read, starred, labels


def label_names(user) -> list[str]:
    return list(ItemLabel.objects.filter(user=user).order_by("name").values_list("name", flat=True).distinct())


def is_read(article: Article, marked: set[int], now: datetime) -> bool:
    return article.pk in marked or article.published_at < now - UNREAD_WINDOW


def unread_label_counts(user, now: datetime) -> dict[str, tuple[int, datetime]]:
    """Per label: unread labelled articles and the newest one's crawl time (one query)."""
    unread = shown_articles().exclude(read_condition(user, now))
    rows = (
        ItemLabel.objects.filter(user=user, article__in=unread)
        .values("name")
        .annotate(count=Count("pk"), newest=Max("article__discovered_at"))
        .order_by("name")
    )
    return {row["name"]: (row["count"], row["newest"]) for row in rows}
