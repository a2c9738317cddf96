"""The only writer of publishers and feeds: import/export OPML, add a feed by URL or home page."""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from core import clock
from core.text import unique_slug
from ingest import canonical, fetching

from . import discovery, opml
from .models import Feed, Publisher

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
