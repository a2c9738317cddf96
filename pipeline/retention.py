"""Retention: articles older than the operator keeps (TIDINGS_KEEP_ARTICLES_DAYS) are deleted in
the background, in batches, leaving stories, related lists and search consistent.

Kept whatever their age: articles a reader saved or commented on, and the originals of copies that are
kept (a copy points at its original). Each batch is one transaction: its articles go with their sources,
vectors, tags, related rows (both ways) and AI outputs (cascades); SQLite's full-text rows go by trigger,
PostgreSQL's index with the rows; the batch's stories are recounted and deleted when left empty.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from articles import actions as article_actions
from articles.models import Article
from comments.models import Comment
from readers.models import SavedArticle
from stories import actions as story_actions

logger = logging.getLogger(__name__)

# Articles deleted per transaction: small enough that a batch never holds the database for long.
PRUNE_BATCH = 500


def prunable(cutoff: datetime):
    """Articles published before `cutoff` that nobody keeps."""
    kept = Article.objects.filter(
        Q(pk__in=SavedArticle.objects.values("article_id")) | Q(pk__in=Comment.objects.values("article_id"))
    )
    return (
        Article.objects.filter(published_at__lt=cutoff)
        .exclude(pk__in=kept.values("pk"))
        .exclude(pk__in=kept.filter(duplicate_of__isnull=False).values("duplicate_of_id"))
    )


def prune_old_articles(now: datetime, keep_for: timedelta, *, batch: int = PRUNE_BATCH) -> int:
    """Delete what is older than `keep_for`, a batch at a time; returns how many articles went."""
    cutoff, pruned = now - keep_for, []
    while True:
        with transaction.atomic():
            ids = list(prunable(cutoff).order_by("published_at", "pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            stories = article_actions.delete_articles(ids)
            emptied = story_actions.recount_stories(stories)
        pruned += ids
        logger.info("old articles deleted", extra={"articles": len(ids), "stories_emptied": emptied})
    # Once for the whole run: removing from the index files rewrites every day's graph that held one of them.
    story_actions.forget_vectors(pruned)
    return len(pruned)
