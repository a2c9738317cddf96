"""The only writer of publishers and feeds: import/export OPML, add a feed by URL or home page."""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from core import clock
from core.text import unique_slug
from reader import canonical, fetching

from . import discovery, opml
from .models import Feed, FetchAttempt, Publisher

DEFAULT_CATALOGUE = Path(__file__).resolve().parent / "default.opml"


class AddFeedError(ValueError):
    """A feed could not be added; the message is for the person who asked."""


@dataclass(frozen=True)
class ImportResult:
    feeds_created: int
    feeds_existing: int
    publishers_created: int


def import_feeds(feeds: list[opml.OpmlFeed]) -> ImportResult:
    created = existing = publishers_created = 0
    now = clock.now()
    with transaction.atomic():
        for item in feeds:
            if canonical.http_url_or_none(item.feed_url) != item.feed_url:
                continue  # parse_opml and add_feed give only http(s) URLs; any other caller is checked here
            publisher, made = _publisher_for(item)
            publishers_created += made
            _, feed_made = Feed.objects.get_or_create(
                url=item.feed_url,
                defaults={
                    "publisher": publisher, "title": item.title[:300], "category": item.category[:100],
                    "next_check_at": Feed.first_check_at(now),
                },
            )  # fmt: skip
            created += feed_made
            existing += not feed_made
    return ImportResult(created, existing, publishers_created)


def _publisher_for(item: opml.OpmlFeed) -> tuple[Publisher, bool]:
    name = (item.publisher or item.title or urlsplit(item.feed_url).hostname or "Unknown publisher")[:200]
    publisher = Publisher.objects.filter(name=name).first()
    if publisher is not None:
        return publisher, False
    policy = (
        Publisher.DisplayPolicy.FULL_TEXT
        if item.display_policy == Publisher.DisplayPolicy.FULL_TEXT
        else Publisher.DisplayPolicy.EXCERPT
    )
    publisher = Publisher.objects.create(
        name=name,
        slug=unique_slug(name, lambda s: Publisher.objects.filter(slug=s).exists()),
        site_url=canonical.http_url_or_none(item.site_url) or "",
        country=item.country[:64],
        language=item.language[:16],
        licence=(item.licence or "All rights reserved (excerpt only)")[:200],
        display_policy=policy,
    )
    return publisher, True


def import_opml_bytes(data: bytes) -> ImportResult:
    return import_feeds(opml.parse_opml(data))


def load_default_catalogue() -> ImportResult:
    return import_opml_bytes(DEFAULT_CATALOGUE.read_bytes())


def export_opml() -> bytes:
    feeds = Feed.objects.select_related("publisher").order_by("category", "publisher__name", "url")
    return opml.render_opml(
        [
            opml.OpmlFeed(
                feed_url=f.url, title=f.title or f.publisher.name, site_url=f.publisher.site_url,
                category=f.category, country=f.publisher.country, language=f.publisher.language,
                licence=f.publisher.licence, display_policy=f.publisher.display_policy, publisher=f.publisher.name,
            )
            for f in feeds
        ],
        title="Tidings subscriptions",
    )  # fmt: skip


def add_feed(url: str, *, publisher_name: str = "") -> Feed:
    """Add a feed given its own URL or a site's home page (feed found through <link rel=alternate>)."""
    options = fetching.FetchOptions(allow_private_hosts=settings.ALLOW_PRIVATE_HOSTS)
    try:
        result = fetching.fetch(url, options=options)
    except fetching.FetchError as exc:
        raise AddFeedError(exc.message) from exc
    if not result.ok:
        raise AddFeedError(f"The address answered with HTTP {result.status}.")
    feed_url, title = result.effective_url, ""
    if not discovery.looks_like_feed(result.body, result.content_type):
        links = discovery.find_feed_links(result.body, base_url=result.effective_url)
        if not links:
            raise AddFeedError("No feed was found on this page. Try the feed's own address.")
        feed_url, title = links[0].url, links[0].title
    if Feed.objects.filter(url=feed_url).exists():
        raise AddFeedError("Tidings already reads this feed.")
    host = urlsplit(feed_url).hostname or feed_url
    site = urlsplit(result.effective_url)
    item = opml.OpmlFeed(
        feed_url=feed_url, title=title or host, site_url=f"{site.scheme}://{site.netloc}/", category="",
        country="", language="", licence="", display_policy="excerpt", publisher=publisher_name or title or host,
    )  # fmt: skip
    import_feeds([item])
    return Feed.objects.get(url=feed_url)


# ---------------------------------------------------------------- what reading a feed or a page left behind


def record_feed_check(feed: Feed, fields: dict, *, started_at, **attempt) -> None:
    """After a poll: the feed's new state (`fields`: health, validators, next check, …) and its log row."""
    Feed.objects.filter(pk=feed.pk).update(**fields)
    FetchAttempt.objects.create(
        feed=feed, kind=FetchAttempt.Kind.FEED, url=feed.url[:2000], started_at=started_at, **attempt
    )


def log_page_attempt(url: str, *, outcome: str, message: str, started_at) -> None:
    FetchAttempt.objects.create(
        feed=None, kind=FetchAttempt.Kind.PAGE, url=url[:2000], outcome=outcome, message=message, started_at=started_at
    )


def remember_template(publisher_id: int, page_fingerprints, *, max_blocks: int) -> None:
    """Add pages' block fingerprints to the publisher's template counts (the most frequent `max_blocks` kept)."""
    page_fingerprints = list(page_fingerprints)
    if not page_fingerprints:
        return
    with transaction.atomic():
        publisher = Publisher.objects.select_for_update().get(pk=publisher_id)
        counts = Counter(publisher.template_counts)
        for fps in page_fingerprints:
            counts.update(fps)
        if len(counts) > max_blocks:
            counts = Counter(dict(counts.most_common(max_blocks)))
        Publisher.objects.filter(pk=publisher_id).update(
            template_counts=dict(counts), template_pages=publisher.template_pages + len(page_fingerprints)
        )


def claim_for_refresh(feed_id: int, *, due_at, until) -> bool:
    """Push a due feed's next check to `until` unless another scheduler already did: True for the one that won."""
    return bool(Feed.objects.filter(pk=feed_id, next_check_at=due_at).update(next_check_at=until))
