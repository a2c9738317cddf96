"""Orchestration of ingest: the only place where the pure stages meet the database.

refresh_feed(feed_id):
    1. fetch the feed with its validators (304 → reschedule, stop)
    2. parse it into a ParsedFeed
    3. store entries (articles.actions.upsert_entries); new article ids are enqueued on commit
    4. record the outcome on the feed's health and schedule the next check
extract_articles(article_ids):
    1. fetch each page (robots.txt respected), a few at a time
    2. learn the publisher's template from this batch and its earlier pages
    3. extract, sanitize last, store
"""

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction

from articles import actions as article_actions
from articles.models import Article
from core import clock
from reader import boilerplate, extraction, fetching, parsing, sanitizing
from sources import actions as source_actions
from sources import scheduling
from sources.models import Feed, FetchAttempt, Publisher

logger = logging.getLogger(__name__)

Outcome = FetchAttempt.Outcome
# New articles are extracted in batches: big enough that a new publisher's template shows up
# across the batch's own pages, small enough that two workers share a large feed.
EXTRACTION_BATCH = 25
# Pages fetched at once inside one batch; the fetcher also caps requests per host.
PAGE_FETCH_THREADS = 4
# A page that fails the way a passing hiccup does (a server error, a dropped connection, a body cut off)
# is asked for again after these pauses, within its task: a page left with the feed's excerpt is never
# fetched again. Timeouts and 429s are not retried here: waiting longer on a slow or busy server is
# neither polite nor likely to help within seconds.
PAGE_RETRY_DELAYS = (1.0, 4.0)
PASSING_FETCH_ERRORS = frozenset({fetching.Reason.CONNECTION, fetching.Reason.PROTOCOL})
PASSING_HTTP_ERRORS = frozenset({500, 502, 503, 504})
# Template fingerprints kept per publisher; blocks seen on one page only are dropped first.
TEMPLATE_MAX_BLOCKS = 4000
_REASON_OUTCOMES = {
    fetching.Reason.TIMEOUT: Outcome.TIMEOUT,
    fetching.Reason.CONNECTION: Outcome.CONNECTION,
    fetching.Reason.BLOCKED: Outcome.BLOCKED,
    fetching.Reason.TOO_LARGE: Outcome.TOO_LARGE,
    fetching.Reason.TOO_MANY_REDIRECTS: Outcome.HTTP_ERROR,
    fetching.Reason.INVALID_URL: Outcome.BLOCKED,
    fetching.Reason.PROTOCOL: Outcome.HTTP_ERROR,
}


def fetch_options() -> fetching.FetchOptions:
    """Fetch options from settings; the fetcher keeps one pooled client per distinct options."""
    return fetching.FetchOptions(
        allow_private_hosts=settings.ALLOW_PRIVATE_HOSTS,
        connect_timeout=settings.FETCH_TIMEOUT_SECONDS,
        read_timeout=settings.FETCH_TIMEOUT_SECONDS,
    )


@dataclass(frozen=True)
class _FeedOutcome:
    outcome: str
    message: str = ""
    status_code: int | None = None
    entries_new: int = 0
    result: fetching.FetchResult | None = None
    parsed: parsing.ParsedFeed | None = None


def refresh_feed(feed_id: int, *, enqueue_extraction: Callable[[list[int]], None] | None = None) -> str:
    """Poll one feed and store what is new. Safe to run twice: entries are upserted."""
    feed = Feed.objects.select_related("publisher").filter(pk=feed_id, is_active=True).first()
    if feed is None:
        return ""
    started, t0 = clock.now(), time.monotonic()
    result = None
    new_ids: list[int] = []
    try:
        # 1. fetch
        result = fetching.fetch(
            feed.url, etag=feed.etag or None, last_modified=feed.last_modified or None,
            options=fetch_options(),
        )  # fmt: skip
        if result.not_modified:
            outcome = _FeedOutcome(Outcome.NOT_MODIFIED, status_code=304, result=result)
        elif not result.ok:
            outcome = _FeedOutcome(
                Outcome.HTTP_ERROR, _http_message(result.status), status_code=result.status, result=result
            )
        else:
            # 2. parse, 3. store
            parsed = parsing.parse_feed(result.body, base_url=result.effective_url, content_type=result.content_type)
            if parsed.bozo and not parsed.entries:
                raise parsing.FeedParseError("The feed is broken and no entries could be read from it.")
            with transaction.atomic(), sanitizing.problems_recorded() as html_problems:
                stored = _store_entries(feed, parsed.entries)
                new_ids = stored.new_article_ids
                if new_ids and enqueue_extraction is not None:
                    transaction.on_commit(lambda: enqueue_extraction(new_ids))
            if stored.failed and len(stored.failed) == len(parsed.entries):
                raise parsing.FeedParseError(_failed_entries_message(stored.failed, every=True))
            warnings = _warnings(parsed, stored, html_problems)
            outcome = _FeedOutcome(
                Outcome.PARSE_WARNING if warnings else Outcome.OK, warnings, status_code=result.status,
                entries_new=len(new_ids), result=result, parsed=parsed,
            )  # fmt: skip
    except fetching.FetchError as exc:
        outcome = _FeedOutcome(_REASON_OUTCOMES[exc.reason], exc.message)
    except parsing.FeedParseError as exc:
        outcome = _FeedOutcome(Outcome.PARSE_ERROR, str(exc), status_code=result.status if result else None)
    # 4. health and schedule
    _record_feed_outcome(feed, outcome, started=started, duration=time.monotonic() - t0)
    return outcome.outcome


@dataclass(frozen=True)
class _StoredEntries:
    new_article_ids: list[int]
    skipped_without_link: int
    failed: list[tuple[parsing.ParsedEntry, str]]  # (entry, what went wrong, in words)


def _store_entries(feed: Feed, entries: tuple[parsing.ParsedEntry, ...]) -> _StoredEntries:
    """Store the feed's entries in one go; when that fails, one by one, so that a bad entry costs
    that entry alone (each in its own savepoint) and is reported by name."""
    now = clock.now()
    not_before = now - settings.KEEP_ARTICLES if settings.KEEP_ARTICLES else None
    try:
        with transaction.atomic():
            upsert = article_actions.upsert_entries(feed, entries, now=now, not_before=not_before)
        return _StoredEntries(upsert.new_article_ids, upsert.skipped_without_link, [])
    except Exception:  # whatever one entry breaks, the others are stored below
        logger.warning("feed entries failed together; storing them one by one", exc_info=True,
                       extra={"feed_id": feed.pk})  # fmt: skip
    new_ids: list[int] = []
    skipped = 0
    failed: list[tuple[parsing.ParsedEntry, str]] = []
    for entry in entries:
        try:
            with transaction.atomic():
                upsert = article_actions.upsert_entries(feed, [entry], now=now, not_before=not_before)
        except Exception as exc:  # recorded on the feed's health, by entry
            logger.warning("feed entry could not be stored", exc_info=True,
                           extra={"feed_id": feed.pk, "entry_link": entry.link[:300]})  # fmt: skip
            failed.append((entry, _plain_error(exc)))
            continue
        new_ids.extend(upsert.new_article_ids)
        skipped += upsert.skipped_without_link
    return _StoredEntries(sorted(set(new_ids)), skipped, failed)


def _storable(text: str) -> str:
    """Text any database takes: the very characters that made a row fail (a lone surrogate, NUL)
    must not fail the health record that names them."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _plain_error(exc: Exception) -> str:
    text = _storable(" ".join(str(exc).split())[:200])
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _entry_name(entry: parsing.ParsedEntry) -> str:
    name = _storable(entry.title or entry.link or entry.guid)
    return f"“{name[:80]}{'…' if len(name) > 80 else ''}”"


# Entries named one by one on the health page; the rest are counted.
NAMED_ENTRIES = 5


def _named_list(items: list[str]) -> str:
    shown = "; ".join(items[:NAMED_ENTRIES])
    return shown + (f"; and {len(items) - NAMED_ENTRIES} more" if len(items) > NAMED_ENTRIES else "")


def _failed_entries_message(failed: list[tuple[parsing.ParsedEntry, str]], *, every: bool = False) -> str:
    listed = _named_list([f"{_entry_name(entry)} ({reason})" for entry, reason in failed])
    if every:
        return f"None of the feed's {len(failed)} entries could be stored: {listed}."
    return f"{len(failed)} {'entry' if len(failed) == 1 else 'entries'} could not be stored: {listed}."


def _html_problems_message(parsed: parsing.ParsedFeed, problems: list[sanitizing.SanitizeProblem]) -> str:
    """Which entries' HTML the sanitizer had to fall back on, by name (problems carry the link)."""
    by_link = {entry.link: entry for entry in parsed.entries}
    described: dict[str, list[str]] = {}
    for problem in problems:
        entry = by_link.get(problem.base_url)
        name = _entry_name(entry) if entry is not None else f"“{problem.base_url[:80]}”"
        described.setdefault(name, [])
        if problem.message not in described[name]:
            described[name].append(problem.message)
    count = len(described)
    listed = _named_list([f"{name}: {', '.join(messages)}" for name, messages in described.items()])
    return f"{count} {'entry' if count == 1 else 'entries'} had HTML that could not be kept as written ({listed})."


def _warnings(
    parsed: parsing.ParsedFeed, stored: _StoredEntries, html_problems: list[sanitizing.SanitizeProblem]
) -> str:
    notes = []
    if parsed.bozo:
        notes.append(parsed.bozo_message or "The feed is not well-formed, but its entries could be read.")
    if stored.failed:
        notes.append(_failed_entries_message(stored.failed))
    if html_problems:
        notes.append(_html_problems_message(parsed, html_problems))
    if stored.skipped_without_link:
        notes.append(
            f"{stored.skipped_without_link} entries had no link, or a link that is not a web (http or https)"
            " address, and were skipped."
        )
    if parsed.entries_dropped:
        notes.append(
            f"The feed lists {len(parsed.entries) + parsed.entries_dropped} entries; only the newest "
            f"{len(parsed.entries)} were read."
        )
    return " ".join(notes)


def _http_message(status: int) -> str:
    messages = {
        404: "The feed address was not found (HTTP 404).",
        410: "The publisher removed this feed (HTTP 410); Tidings stopped checking it.",
        429: "The server asked us to slow down (HTTP 429); Tidings will wait before trying again.",
        503: "The server is unavailable (HTTP 503); Tidings will try again later.",
    }
    if status in messages:
        return messages[status]
    if status >= 500:
        return f"The publisher's server failed (HTTP {status}); Tidings will try again later."
    return f"The server refused the request (HTTP {status})."


def _record_feed_outcome(feed: Feed, outcome: _FeedOutcome, *, started: datetime, duration: float) -> None:
    now = clock.now()
    failed = outcome.outcome not in (Outcome.OK, Outcome.NOT_MODIFIED, Outcome.PARSE_WARNING)
    error_count = feed.error_count + 1 if failed else 0
    result, parsed = outcome.result, outcome.parsed
    fields: dict = {"last_checked_at": now, "error_count": error_count}
    if failed:
        fields["last_error"] = outcome.message
        fields["health"] = Feed.Health.FAILING
        if outcome.status_code == 410:
            fields.update(health=Feed.Health.STOPPED, is_active=False)
    else:
        fields["last_success_at"] = now
        fields["health"] = Feed.Health.WARNING if outcome.outcome == Outcome.PARSE_WARNING else Feed.Health.OK
        fields["last_error"] = outcome.message
    if result is not None and result.ok:
        fields["etag"] = (result.etag or "")[:300]
        fields["last_modified"] = (result.last_modified or "")[:100]
    if parsed is not None:
        fields["ttl_minutes"] = parsed.ttl_minutes
        if not feed.title and parsed.title:
            fields["title"] = parsed.title[:300]
    if outcome.entries_new:
        fields["last_new_entry_at"] = now
    fields.update(_redirect_fields(feed, result))
    fields["next_check_at"] = scheduling.next_check(
        scheduling.ScheduleInput(
            now=now,
            entry_times=_recent_entry_times(feed, parsed),
            ttl_minutes=parsed.ttl_minutes if parsed else feed.ttl_minutes,
            max_age=result.max_age if result else None,
            retry_after=result.retry_after if result else None,
            error_count=error_count,
        )
    )
    source_actions.record_feed_check(
        feed, fields, outcome=outcome.outcome, status_code=outcome.status_code, message=outcome.message,
        entries_new=outcome.entries_new, duration_ms=int(duration * 1000), started_at=started,
    )  # fmt: skip
    if failed:
        logger.warning(
            "feed fetch failed",
            extra={"feed_id": feed.pk, "outcome": outcome.outcome, "status": outcome.status_code, "url": feed.url},
        )


# A permanent redirect must repeat this many times before the feed's URL is changed for good
# (a misconfigured server can redirect once by mistake; NewsBlur waits for 10).
PERMANENT_REDIRECT_REPEATS = 3


def _redirect_fields(feed: Feed, result: fetching.FetchResult | None) -> dict:
    if result is None or not result.permanent_redirect_to:
        return {"redirected_to": "", "redirect_count": 0} if feed.redirect_count else {}
    target = result.permanent_redirect_to[:2000]
    count = feed.redirect_count + 1 if target == feed.redirected_to else 1
    if count >= PERMANENT_REDIRECT_REPEATS and not Feed.objects.filter(url=target).exists():
        return {"url": target, "redirected_to": "", "redirect_count": 0}
    return {"redirected_to": target, "redirect_count": count}


def _recent_entry_times(feed: Feed, parsed: parsing.ParsedFeed | None) -> list[datetime]:
    if parsed is not None:
        return [e.published for e in parsed.entries if e.published][:50]
    return list(
        Article.objects.filter(sources__feed=feed).order_by("-published_at").values_list("published_at", flat=True)[:50]
    )


# ---------------------------------------------------------------- pages


@dataclass(frozen=True)
class _Page:
    article: Article
    html: str = ""
    failure: str = ""
    parsed: boilerplate.ParsedPage | None = None
    fingerprints: frozenset[str] = frozenset()


def _parse_page(page: _Page) -> _Page:
    """The page parsed and fingerprinted once (fingerprint before extraction takes the tree over);
    a page that cannot be becomes a failed page, not a failed batch."""
    if not page.html:
        return page
    try:
        parsed = boilerplate.parse_page(page.html)
        return dataclasses.replace(page, parsed=parsed, fingerprints=boilerplate.block_fingerprints(parsed))
    except Exception as exc:  # recorded on the article and the page log
        logger.warning("page could not be parsed", exc_info=True, extra={"url": page.article.url})
        return _Page(page.article, failure=f"The article page could not be read ({_plain_error(exc)}).")


def extract_articles(article_ids: list[int]) -> int:
    """Fetch and extract the pages of new articles. Articles already extracted are skipped."""
    articles = list(
        Article.objects.filter(pk__in=article_ids, status=Article.Status.PENDING).select_related("publisher")
    )
    if not articles:
        return 0
    # 1. fetch the pages
    with ThreadPoolExecutor(max_workers=min(PAGE_FETCH_THREADS, len(articles))) as pool:
        pages = list(pool.map(_fetch_page, articles))
    by_publisher: dict[int, list[_Page]] = {}
    for page in pages:
        by_publisher.setdefault(page.article.publisher_id, []).append(page)
    for publisher_pages in by_publisher.values():
        _extract_publisher_pages(publisher_pages)
    return len(articles)


def _fetch_page(article: Article) -> _Page:
    """The article's page, asked for again after a failure that usually passes (see PAGE_RETRY_DELAYS)."""
    for delay in (*PAGE_RETRY_DELAYS, None):
        page, passing = _fetch_page_once(article)
        if not passing or delay is None:
            return page
        time.sleep(delay)
    raise AssertionError("unreachable: the last delay is None")


def _fetch_page_once(article: Article) -> tuple[_Page, bool]:
    """The page, or why not, and whether asking again soon may well succeed."""
    options = fetch_options()
    try:
        if not fetching.allowed_by_robots(article.url, options=options):
            return _Page(article, failure="The publisher's robots.txt asks aggregators not to fetch this page."), False
        result = fetching.fetch(article.url, options=options)
    except fetching.FetchError as exc:
        return _Page(article, failure=exc.message), exc.reason in PASSING_FETCH_ERRORS
    if not result.ok:
        failure = f"The article page could not be fetched (HTTP {result.status})."
        return _Page(article, failure=failure), result.status in PASSING_HTTP_ERRORS
    return _Page(article, html=_decode(result.body, result.content_type)), False


def _decode(body: bytes, content_type: str) -> str:
    """Bytes as text; extraction re-detects the charset from <meta> when the header has none."""
    charset = ""
    if "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    for encoding in (charset, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("cp1252", errors="replace")


def _extract_publisher_pages(pages: list[_Page]) -> None:
    # 2. learn the template: this batch's pages plus the publisher's earlier pages
    publisher = Publisher.objects.get(pk=pages[0].article.publisher_id)
    pages = [_parse_page(page) for page in pages]
    fetched = [p for p in pages if p.html]
    # Parse each page once: fingerprinting and extraction share the tree (fingerprint first).
    parsed = {p.article.pk: p.parsed for p in fetched}
    fingerprints = {p.article.pk: p.fingerprints for p in fetched}
    counts = Counter(publisher.template_counts)
    for fps in fingerprints.values():
        counts.update(fps)
    pages_seen = publisher.template_pages + len(fetched)
    # 3. extract, sanitize last, store
    for page in pages:
        now = clock.now()
        if not page.html:
            article_actions.record_extraction_failure(page.article.pk, note=page.failure, now=now)
            _log_page(page.article, Outcome.HTTP_ERROR, page.failure)
            continue
        own = fingerprints[page.article.pk]
        template = boilerplate.template_from_counts(counts, pages_seen, own=own)
        try:
            extracted = extraction.extract(
                parsed[page.article.pk], url=page.article.url, template=template,
                feed_html=page.article.feed_content_html_safe, feed_title=page.article.title,
                site_name=publisher.name,
            )  # fmt: skip
        except extraction.ExtractionError as exc:
            article_actions.record_extraction_failure(page.article.pk, note=str(exc), now=now)
            _log_page(page.article, Outcome.EXTRACTION_FAILED, str(exc))
            continue
        except Exception as exc:  # one unreadable page costs that article's text alone
            logger.warning("page extraction failed", exc_info=True, extra={"url": page.article.url})
            note = f"The article page could not be read ({_plain_error(exc)}); the feed's excerpt is shown."
            article_actions.record_extraction_failure(page.article.pk, note=note, now=now)
            _log_page(page.article, Outcome.EXTRACTION_FAILED, note)
            continue
        with sanitizing.problems_recorded() as html_problems:
            safe_html = sanitizing.clean_html(extracted.body_html, base_url=page.article.url)
        article_actions.record_extraction(page.article.pk, extracted=extracted, body_html_safe=safe_html, now=now)
        if html_problems:
            message = "The article's HTML could not be kept as written: " + ", ".join(
                dict.fromkeys(problem.message for problem in html_problems)
            )
            _log_page(page.article, Outcome.OK, message + ".")
    _remember_template(publisher.pk, fingerprints.values())


def _log_page(article: Article, outcome: str, message: str) -> None:
    source_actions.log_page_attempt(article.url, outcome=outcome, message=message, started_at=clock.now())


def _remember_template(publisher_id: int, page_fingerprints) -> None:
    source_actions.remember_template(publisher_id, page_fingerprints, max_blocks=TEMPLATE_MAX_BLOCKS)
