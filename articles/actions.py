"""The only writer of articles. Writes are narrow (update_fields / .update()) and idempotent:
the database's unique constraints, not Python checks, decide what already exists."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from core.text import collapse_whitespace
from reader import canonical, sanitizing
from reader.parsing import ParsedEntry

from .models import Article, ArticleSource

TITLE_MAX = 500
UNTITLED = "(untitled)"


@dataclass(frozen=True)
class UpsertResult:
    new_article_ids: list[int]
    updated: int
    skipped_without_link: int


@dataclass(frozen=True)
class _Entry:
    parsed: ParsedEntry
    guid_hash: str
    url_hash: str
    canonical_url: str


def upsert_entries(
    feed, entries: Sequence[ParsedEntry], *, now: datetime, not_before: datetime | None = None
) -> UpsertResult:
    """Store a feed's entries: new ones become Articles, known ones are updated in place.

    An entry is known by (feed, guid) or, across feeds, by its canonical URL: the same article
    carried by several feeds is one Article with one ArticleSource per feed. Entries published before
    `not_before` (what the operator keeps) are left out, so a pruned article never comes back.
    """
    if not_before is not None:
        entries = [e for e in entries if (e.published or e.updated or now) >= not_before]
    prepared, skipped = _prepare(entries)
    if not prepared:
        return UpsertResult([], 0, skipped)
    known_by_guid = dict(
        ArticleSource.objects.filter(feed=feed, guid_hash__in=[e.guid_hash for e in prepared]).values_list(
            "guid_hash", "article_id"
        )
    )
    url_hashes = {e.url_hash for e in prepared}
    known_by_url = dict(Article.objects.filter(url_hash__in=url_hashes).values_list("url_hash", "pk"))

    fresh = [e for e in prepared if e.guid_hash not in known_by_guid and e.url_hash not in known_by_url]
    with transaction.atomic():
        new_ids = sorted(_insert_new(feed, _unique_by(fresh, "url_hash"), now))
        article_ids = dict(Article.objects.filter(url_hash__in=url_hashes).values_list("url_hash", "pk"))
        ArticleSource.objects.bulk_create(
            [
                ArticleSource(
                    article_id=known_by_guid.get(e.guid_hash) or article_ids[e.url_hash],
                    feed=feed,
                    guid_hash=e.guid_hash,
                    entry_url=e.parsed.link,
                )
                for e in prepared
                if e.guid_hash not in known_by_guid
            ],
            ignore_conflicts=True,
        )
        updated = _update_changed_titles(prepared, known_by_guid)
    return UpsertResult(new_ids, updated, skipped)


def _insert_new(feed, entries: list[_Entry], now: datetime) -> list[int]:
    """Insert each entry's Article and return the ids this call created.

    Another feed's poll may store the same article at the same moment (two feeds carrying one wire
    story, two workers). The unique url_hash decides who stored it, and only that poll reports it new,
    so its page is fetched and extracted once. One savepoint per new entry: a bulk insert that ignores
    conflicts cannot say which rows were its own.
    """
    created = []
    for entry in entries:
        article = _new_article(feed, entry, now)
        try:
            with transaction.atomic():
                article.save(force_insert=True)
        except IntegrityError:
            continue  # stored by another poll a moment ago: that poll has queued its extraction
        created.append(article.pk)
    return created


def _prepare(entries: Sequence[ParsedEntry]) -> tuple[list[_Entry], int]:
    prepared, skipped, seen = [], 0, set()
    for entry in entries:
        # The parser already refused non-web links; checked again here because this is the last step
        # before a link becomes an href on every page (a javascript: URL stored is stored XSS).
        link = canonical.http_url_or_none(entry.link)
        if link is None:
            skipped += 1
            continue
        if link != entry.link:
            entry = dataclasses.replace(entry, link=link)
        guid_hash = canonical.guid_hash(entry.guid or entry.link)
        if guid_hash in seen:
            continue
        seen.add(guid_hash)
        prepared.append(_Entry(entry, guid_hash, canonical.url_hash(entry.link), canonical.canonical_url(entry.link)))
    return prepared, skipped


def _unique_by(items, attr):
    seen, out = set(), []
    for item in items:
        key = getattr(item, attr)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _new_article(feed, entry: _Entry, now: datetime) -> Article:
    parsed = entry.parsed
    published = parsed.published or parsed.updated or now
    return Article(
        publisher_id=feed.publisher_id,
        url=parsed.link,
        canonical_url=entry.canonical_url,
        url_hash=entry.url_hash,
        title=_title(parsed.title),
        summary_html_safe=sanitizing.clean_html(parsed.summary, base_url=parsed.link),
        feed_content_html_safe=sanitizing.clean_html(parsed.content, base_url=parsed.link),
        byline=_byline(parsed.author),
        image_url=canonical.http_url_or_none(parsed.image_url) or "",
        published_at=min(published, now),
    )


def _plain(text: str) -> str:
    # PostgreSQL refuses NUL in text, and one refused row would fail the whole feed's batch (a JSON Feed
    # can carry "\u0000" in any string).
    return collapse_whitespace((text or "").replace("\x00", ""))


def _title(text: str) -> str:
    return _plain(text)[:TITLE_MAX] or UNTITLED


def _byline(text: str) -> str:
    return _plain(text)[:300]


def _update_changed_titles(prepared: list[_Entry], known_by_guid: dict[str, int]) -> int:
    """A publisher that corrects a headline keeps its entry's guid: follow the correction.

    One query reads the stored titles of the feed's known entries; only changed ones are written, so a
    poll of an unchanged feed that still answers 200 costs one SELECT, not one UPDATE per entry."""
    wanted = {
        known_by_guid[e.guid_hash]: _title(e.parsed.title)
        for e in prepared
        if e.guid_hash in known_by_guid and e.parsed.title
    }
    stored = dict(Article.objects.filter(pk__in=wanted).values_list("pk", "title"))
    updated = 0
    for article_id, title in wanted.items():
        if article_id in stored and stored[article_id] != title:
            updated += Article.objects.filter(pk=article_id).update(title=title)
    return updated


def removal_note(template_blocks: int, rule_removals) -> str:
    """Which rules removed what from the page, in words, for diagnosing a publisher."""
    parts = [f"{template_blocks} blocks of the publisher's template"] if template_blocks else []
    parts += [f"{count} {rule}" for rule, count in rule_removals]
    return ("Removed " + ", ".join(parts) + ".") if parts else ""


def record_extraction(article_id: int, *, extracted, body_html_safe: str, now: datetime) -> None:
    """Store what the extractor found on the page. Feed-given title and date stay authoritative."""
    fields = {
        "body_text": extracted.body_text,
        "body_html_safe": body_html_safe,
        "extraction_method": extracted.method,
        "extraction_note": removal_note(extracted.removed_blocks, extracted.rule_removals),
        "extracted_at": now,
        "language": extracted.language[:16],
        "status": Article.Status.READY,
    }
    canonical_url = canonical.http_url_or_none(extracted.canonical_url)
    if canonical_url:
        fields["canonical_url"] = canonical_url
    article = Article.objects.only("byline", "image_url", "title").get(pk=article_id)
    if not article.byline and _byline(extracted.byline):
        fields["byline"] = _byline(extracted.byline)
    image_url = canonical.http_url_or_none(extracted.image_url)
    if not article.image_url and image_url:
        fields["image_url"] = image_url
    if article.title == UNTITLED and extracted.title:
        fields["title"] = _title(extracted.title)
    Article.objects.filter(pk=article_id).update(**fields)


def record_extraction_failure(article_id: int, *, note: str, now: datetime) -> None:
    """The page could not be read: the article stays, shown with the feed's excerpt and a link."""
    Article.objects.filter(pk=article_id).update(
        status=Article.Status.EXCERPT_ONLY, extraction_note=note[:1000], extracted_at=now
    )


def delete_articles(article_ids: Sequence[int]) -> set[int]:
    """Delete these articles (their sources, vectors, tags, related rows and AI outputs go with them).

    Returns the stories they belonged to, for the caller to recount."""
    story_ids = set(Article.objects.filter(pk__in=article_ids, story__isnull=False).values_list("story_id", flat=True))
    Article.objects.filter(pk__in=article_ids).delete()
    return story_ids


# ---------------------------------------------------------------- what the story stage decided
# stories.actions decides copies and stories; these are the only writes it makes to Article rows.


def mark_processed(article_ids: Sequence[int], *, now: datetime) -> None:
    Article.objects.filter(pk__in=article_ids).update(processed_at=now)


def place_in_story(article_ids: Sequence[int], story_id: int) -> None:
    Article.objects.filter(pk__in=article_ids).update(story_id=story_id)


def fold_copies(copy_ids: Sequence[int], *, into: int, story_id: int | None = None) -> None:
    """Mark `copy_ids` as copies of article `into` (and move them to `story_id` when given)."""
    fields = {"duplicate_of": into}
    if story_id is not None:
        fields["story_id"] = story_id
    Article.objects.filter(pk__in=copy_ids).update(**fields)


def move_to_story(article_ids: Sequence[int], story_id: int) -> None:
    """Move articles to another story, with every copy folded into them."""
    Article.objects.filter(pk__in=article_ids).update(story_id=story_id)
    Article.objects.filter(duplicate_of__in=article_ids).update(story_id=story_id)


def mark_pending(article_ids: Sequence[int]) -> None:
    """Ask for the pages again (tidings reprocess --from extract)."""
    Article.objects.filter(pk__in=article_ids).update(status=Article.Status.PENDING)


def forget_stories(article_ids: Sequence[int]) -> None:
    """The story stage starts over for these articles (tidings reprocess --from embed)."""
    Article.objects.filter(pk__in=article_ids).update(story=None, duplicate_of=None, processed_at=None)
