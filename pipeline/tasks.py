"""Background tasks: thin, they take ids and call one pipeline function; a second run is harmless."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ai import actions as ai_actions
from core import clock
from sources import actions as source_actions
from sources.models import Feed
from stories import actions as story_actions

from . import ingest, retention

# Workers take the task nearest to done first: articles already fetched go through stories and key
# points before more pages are fetched, so a fetched article waits seconds, not the whole backlog, to
# reach its story, and texts do not pile up in memory between stages. The story stage's consolidation
# runs between batches rather than once after all of them (ecbplus-dev B³ 0.959 in every run, 0.952-0.956
# before; docs/benchmarks.md "Throughput").
REFRESH_PRIORITY = 0
EXTRACTION_PRIORITY = 10
CONSOLIDATION_PRIORITY = 15
STORIES_PRIORITY = 20
DIGESTS_PRIORITY = 30


@task(priority=REFRESH_PRIORITY)
def refresh_feed(feed_id: int) -> str:
    return ingest.refresh_feed(feed_id, enqueue_extraction=enqueue_extraction)


@task(priority=EXTRACTION_PRIORITY)
def extract_articles(article_ids: list[int]) -> int:
    extracted = ingest.extract_articles(article_ids)
    if settings.STORIES_ENABLED:
        process_stories.enqueue(article_ids)
    return extracted


@task(priority=STORIES_PRIORITY)
def process_stories(article_ids: list[int]) -> int:
    processed = story_actions.process_articles(article_ids)
    precompute_digests.enqueue(article_ids)
    # One consolidation waiting is enough: it takes in every link made before it runs.
    if not DBTaskResult.objects.ready().filter(task_path=consolidate_stories.module_path).exists():
        consolidate_stories.enqueue()
    return processed


@task(priority=CONSOLIDATION_PRIORITY)
def consolidate_stories() -> int:
    return story_actions.consolidate_stories()


@task(priority=DIGESTS_PRIORITY)
def precompute_digests(article_ids: list[int]) -> int:
    return ai_actions.precompute_digests_for(article_ids)


def enqueue_extraction(article_ids: list[int]) -> None:
    for start in range(0, len(article_ids), ingest.EXTRACTION_BATCH):
        extract_articles.enqueue(article_ids[start : start + ingest.EXTRACTION_BATCH])


# While a refresh is queued or running, the feed is not due again for this long.
REFRESH_LEASE = timedelta(minutes=10)


def enqueue_refreshes(feeds: Iterable[Feed], *, now: datetime) -> int:
    """Queue a refresh for each feed, claiming it first so two schedulers never queue it twice."""
    queued = 0
    for feed_id, due_at in feeds.values_list("pk", "next_check_at"):
        if source_actions.claim_for_refresh(feed_id, due_at=due_at, until=now + REFRESH_LEASE):
            refresh_feed.enqueue(feed_id)
            queued += 1
    return queued


def enqueue_due_feeds(now: datetime) -> int:
    return enqueue_refreshes(Feed.objects.due(now), now=now)


def enqueue_all_feeds(now: datetime) -> int:
    """Every active feed, except those backing off after errors or a Retry-After (politeness wins)."""
    return enqueue_refreshes(Feed.objects.active().exclude(error_count__gt=0, next_check_at__gt=now), now=now)


@task()
def prune_old_articles() -> int:
    if settings.KEEP_ARTICLES is None:
        return 0
    return retention.prune_old_articles(clock.now(), settings.KEEP_ARTICLES)


# How often the scheduler looks for articles past what the operator keeps.
PRUNE_EVERY = timedelta(hours=1)


def enqueue_prune_when_due(now: datetime) -> bool:
    """Queue a prune when retention is on and none is waiting, running or queued within PRUNE_EVERY."""
    if settings.KEEP_ARTICLES is None:
        return False
    recent = DBTaskResult.objects.filter(task_path=prune_old_articles.module_path).filter(
        Q(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]) | Q(enqueued_at__gte=now - PRUNE_EVERY)
    )
    if recent.exists():
        return False
    prune_old_articles.enqueue()
    return True
