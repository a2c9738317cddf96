"""Retention on the real database: old articles deleted in batches, saved and commented ones kept, stories,
related lists and search left consistent, and a pruned article never stored again by its feed."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from accounts.models import User
from analysis.ann import DayIndex
from analysis.embeddings import DIMENSION, to_bytes
from articles import actions as article_actions
from articles.models import Article
from comments.models import Comment
from pipeline import retention, tasks
from reader.parsing import ParsedEntry
from readers.models import Follow, SavedArticle
from search.queries import search_articles
from sources.models import Feed, Publisher
from stories import index as story_index
from stories.models import ArticleVector, RelatedArticle, Story

pytestmark = pytest.mark.django_db

KEEP = timedelta(days=30)


@pytest.fixture
def world():
    """Articles of a month and a half: 40 and 35 days old (past what is kept), and 2 days old."""
    now = timezone.now()
    publisher = Publisher.objects.create(name="Valley Gazette", slug="valley-gazette")
    reader = User.objects.create_user("reader", "reader@example.org", "correct horse battery staple 41")

    def article(slug: str, days: float, words: str, story=None, **fields) -> Article:
        return Article.objects.create(
            publisher=publisher, url=f"https://valley.example/{slug}", canonical_url=f"https://valley.example/{slug}",
            url_hash=slug, title=f"{words} ({slug})", body_text=f"{words}. More about it.", story=story,
            status=Article.Status.READY, published_at=now - timedelta(days=days), **fields,
        )  # fmt: skip

    old_story = Story.objects.create(title="Dam inquiry", first_published_at=now, last_published_at=now)
    mixed_story = Story.objects.create(title="Bridge repair", first_published_at=now, last_published_at=now)
    merged_fragment = Story.objects.create(
        title="Dam inquiry (fragment)", first_published_at=now, last_published_at=now, merged_into=old_story
    )
    a = {
        "dam1": article("dam1", 40, "Dam inquiry opens", old_story),
        "dam2": article("dam2", 39, "Dam inquiry hears engineers", old_story),
        "bridge_old": article("bridge_old", 35, "Bridge closed for repair", mixed_story),
        "bridge_new": article("bridge_new", 2, "Bridge reopens", mixed_story),
        "saved": article("saved", 45, "Orchard harvest festival"),
        "commented": article("commented", 44, "Library extension approved"),
        "plain_old": article("plain_old", 38, "Quarry traffic complaints"),
    }
    a["copy_of_saved"] = article("copy_of_saved", 45, "Orchard harvest festival", duplicate_of=a["saved"])
    a["saved_copy"] = article("saved_copy", 43, "Library hours", duplicate_of=a["plain_old"])
    SavedArticle.objects.create(user=reader, article=a["saved"], saved_at=now)
    SavedArticle.objects.create(user=reader, article=a["saved_copy"], saved_at=now)
    Comment.objects.create(article=a["commented"], author=reader, body="The new wing looks good.")
    RelatedArticle.objects.create(
        article=a["bridge_new"], related=a["bridge_old"], rank=1, score=0.9, reason="Same story"
    )
    RelatedArticle.objects.create(article=a["bridge_new"], related=a["saved"], rank=2, score=0.5, reason="Also new")
    Follow.objects.create(user=reader, story=old_story)
    return {"now": now, "articles": a, "old_story": old_story, "mixed_story": mixed_story,
            "merged_fragment": merged_fragment}  # fmt: skip


def test_old_articles_go_in_batches_and_what_readers_keep_stays(world):
    pruned = retention.prune_old_articles(world["now"], KEEP, batch=2)
    assert pruned == 4  # dam1, dam2, bridge_old and the copy of the saved article, over two batches
    # Saved, commented, and the original of a saved copy (plain_old) stay whatever their age.
    left = set(Article.objects.values_list("url_hash", flat=True))
    assert left == {"bridge_new", "saved", "commented", "plain_old", "saved_copy"}


def test_stories_related_lists_and_search_stay_consistent(world):
    retention.prune_old_articles(world["now"], KEEP)
    # A story left empty is gone, with the fragments merged into it and its follows.
    assert not Story.objects.filter(pk__in=[world["old_story"].pk, world["merged_fragment"].pk]).exists()
    assert not Follow.objects.exists()
    # A story that lost some articles is recounted.
    mixed = Story.objects.get(pk=world["mixed_story"].pk)
    assert (mixed.article_count, mixed.publisher_count) == (1, 1)
    assert mixed.first_published_at == mixed.last_published_at == world["articles"]["bridge_new"].published_at
    # Related lists lose the pruned article and keep the rest.
    assert list(RelatedArticle.objects.values_list("related__url_hash", flat=True)) == ["saved"]
    # Search finds what is kept and nothing pruned.
    assert [a.url_hash for a in search_articles(Article.objects.all(), "orchard harvest")] == ["saved"]
    assert not search_articles(Article.objects.all(), "dam inquiry").exists()


def test_nothing_is_due_when_everything_is_recent(world):
    assert retention.prune_old_articles(world["now"], timedelta(days=60)) == 0
    assert Article.objects.count() == len(world["articles"])


def test_a_pruned_article_is_not_stored_again_when_its_feed_still_carries_it():
    now = timezone.now()
    publisher = Publisher.objects.create(name="Valley Gazette", slug="valley-gazette")
    feed = Feed.objects.create(publisher=publisher, url="https://valley.example/feed.xml", next_check_at=now)
    entries = [
        ParsedEntry(guid="old", link="https://valley.example/old", title="Quarry traffic complaints", summary="",
                    content="", author="", published=now - timedelta(days=40), updated=None, enclosures=(),
                    image_url=""),
        ParsedEntry(guid="new", link="https://valley.example/new", title="Bridge reopens", summary="", content="",
                    author="", published=now - timedelta(hours=3), updated=None, enclosures=(), image_url=""),
    ]  # fmt: skip
    result = article_actions.upsert_entries(feed, entries, now=now, not_before=now - KEEP)
    assert len(result.new_article_ids) == 1
    assert list(Article.objects.values_list("url", flat=True)) == ["https://valley.example/new"]


def test_the_scheduler_queues_a_prune_once_an_hour_when_retention_is_on(settings):
    now = timezone.now()
    settings.KEEP_ARTICLES = None
    assert tasks.enqueue_prune_when_due(now) is False
    settings.KEEP_ARTICLES = KEEP
    assert tasks.enqueue_prune_when_due(now) is True
    assert tasks.enqueue_prune_when_due(now) is False  # one is waiting
    assert tasks.enqueue_prune_when_due(now + tasks.PRUNE_EVERY + timedelta(minutes=1)) is False  # still waiting


def test_pruned_articles_leave_the_neighbour_files(world, settings, tmp_path):
    settings.VECTOR_INDEX, settings.DATA_DIR = "files", tmp_path
    story_index.reset_shared_index()
    for i, article in enumerate(world["articles"].values()):
        vector = np.zeros(DIMENSION, np.float32)
        vector[i] = 1.0
        ArticleVector.objects.create(article=article, model="test", dimension=DIMENSION, vector=to_bytes(vector),
                                     published_at=article.published_at)  # fmt: skip
    index = story_index.shared_index()
    index.refresh()
    index.nearest(
        np.ones(DIMENSION, np.float32), around=world["now"], window=timedelta(days=60), k=3
    )  # writes the files
    assert len(DayIndex(tmp_path / "vectors")) == len(world["articles"])
    try:
        retention.prune_old_articles(world["now"], KEEP)
    finally:
        story_index.reset_shared_index()
    assert len(DayIndex(tmp_path / "vectors")) == Article.objects.count() == 5
