"""For You: the reader's follows and interests turned into a ranked list with a reason per item.

`rank()` is pure (dataclasses in, dataclasses out, no database); `for_you()` is the thin query layer
that gathers what `rank()` needs in a fixed number of queries.

Candidates are the recent visible articles (within WINDOW of the newest article, so a stale instance
still has a page) from followed publishers, hashtags and stories, plus — when the reader saved or read
something with a vector — articles close to the mean of those vectors (the interest centroid).
Muted publishers and hashtags are removed in the query and again, as an invariant, in `rank()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q

from analysis.embeddings import from_bytes
from articles.models import Article
from stories.models import ArticleHashtag, ArticleVector

from .models import Follow, Mute, ReadingHistory, SavedArticle

# Following a story is the most specific wish ("tell me how this goes on"), a hashtag is a topic, a
# publisher is broad: the weights keep that order, and an article matching several follows adds them up.
STORY_WEIGHT = 3.0
HASHTAG_WEIGHT = 2.0
PUBLISHER_WEIGHT = 1.0
# Cosine similarity to the centroid is in [-1, 1]; only its positive part counts, scaled so a very close
# article (0.8) weighs about as much as a followed hashtag.
SIMILARITY_WEIGHT = 2.5
# An article reached by similarity alone must be at least this close to the centroid. MiniLM puts
# unrelated news around 0.0–0.2 and same-topic news above 0.4; placeholder until calibrated.
SIMILAR_MIN = 0.35
# Freshness adds at most FRESHNESS_WEIGHT, halving every HALF_LIFE: yesterday's follow match still beats
# this morning's weak one.
FRESHNESS_WEIGHT = 1.0
HALF_LIFE = timedelta(hours=12)
# Each article already picked from a publisher multiplies that publisher's next score by this, so one
# prolific outlet cannot fill the page.
DIVERSITY_DECAY = 0.7
WINDOW = timedelta(hours=72)
# The newest this many candidates are scored (with their vectors when there is a centroid): enough for a page
# of PAGE_SIZE spread across publishers, and a bounded cost however much news the window holds.
MAX_CANDIDATES = 600
# A reader's ranked picks are cached this long. Follows, mutes, saves and clearing the history drop them at
# once (readers.actions calls forget); an article read since is left out when the page is shown.
PICKS_SECONDS = 120
# The centroid is the mean of the saved articles and this many most recent reads.
CENTROID_SAVED = 100
CENTROID_READ = 50
PAGE_SIZE = 50

REASON_STORY = "Following this story"
REASON_SIMILAR_SAVED = "Similar to articles you saved"
REASON_SIMILAR_READ = "Similar to articles you read"


@dataclass(frozen=True)
class Candidate:
    article_id: int
    publisher_id: int
    published_at: datetime
    hashtag_ids: frozenset[int] = frozenset()
    story_id: int | None = None
    vector: np.ndarray | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Interests:
    followed_publishers: dict[int, str] = field(default_factory=dict)  # id → name
    followed_hashtags: dict[int, str] = field(default_factory=dict)  # id → label
    followed_stories: frozenset[int] = frozenset()
    muted_publishers: frozenset[int] = frozenset()
    muted_hashtags: frozenset[int] = frozenset()
    seen_ids: frozenset[int] = frozenset()  # read or saved: not suggested again
    centroid: np.ndarray | None = field(default=None, compare=False)  # unit vector
    centroid_from_saved: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.followed_publishers or self.followed_hashtags or self.followed_stories) and (
            self.centroid is None
        )


@dataclass(frozen=True)
class Pick:
    article_id: int
    score: float
    reason: str


def is_muted(candidate: Candidate, interests: Interests) -> bool:
    return candidate.publisher_id in interests.muted_publishers or bool(
        candidate.hashtag_ids & interests.muted_hashtags
    )


def score(candidate: Candidate, interests: Interests, *, now: datetime) -> Pick | None:
    """The candidate's score and the reason of its strongest signal, or None if nothing recommends it."""
    signal = 0.0
    reasons: list[str] = []  # strongest first
    if candidate.story_id is not None and candidate.story_id in interests.followed_stories:
        signal += STORY_WEIGHT
        reasons.append(REASON_STORY)
    tags = sorted(candidate.hashtag_ids & interests.followed_hashtags.keys())
    if tags:
        signal += HASHTAG_WEIGHT
        reasons.append(f"You follow #{interests.followed_hashtags[tags[0]]}")
    if candidate.publisher_id in interests.followed_publishers:
        signal += PUBLISHER_WEIGHT
        reasons.append(f"You follow {interests.followed_publishers[candidate.publisher_id]}")
    if interests.centroid is not None and candidate.vector is not None:
        similarity = float(np.dot(candidate.vector, interests.centroid))
        if similarity >= SIMILAR_MIN or (reasons and similarity > 0):
            signal += SIMILARITY_WEIGHT * similarity
            if not reasons:
                reasons.append(REASON_SIMILAR_SAVED if interests.centroid_from_saved else REASON_SIMILAR_READ)
    if not reasons:
        return None
    age = max((now - candidate.published_at).total_seconds(), 0.0)
    freshness = FRESHNESS_WEIGHT * 0.5 ** (age / HALF_LIFE.total_seconds())
    return Pick(candidate.article_id, round(signal + freshness, 6), reasons[0])


def rank(candidates: list[Candidate], interests: Interests, *, now: datetime, limit: int = PAGE_SIZE) -> list[Pick]:
    """The best `limit` candidates, spread across publishers. Muted and already-seen articles never appear."""
    by_publisher: dict[int, list[Pick]] = {}
    for candidate in candidates:
        if is_muted(candidate, interests) or candidate.article_id in interests.seen_ids:
            continue
        pick = score(candidate, interests, now=now)
        if pick is not None:
            by_publisher.setdefault(candidate.publisher_id, []).append(pick)
    for picks in by_publisher.values():
        picks.sort(key=lambda p: (-p.score, -p.article_id))
    # Greedy: take the best head among publishers, its score damped by how often that publisher was taken.
    taken = dict.fromkeys(by_publisher, 0)
    heads = dict.fromkeys(by_publisher, 0)
    ranked: list[Pick] = []
    while len(ranked) < limit:
        best = None
        for publisher_id, picks in by_publisher.items():
            if heads[publisher_id] < len(picks):
                pick = picks[heads[publisher_id]]
                damped = pick.score * DIVERSITY_DECAY ** taken[publisher_id]
                if best is None or (damped, pick.article_id) > (best[0], best[2].article_id):
                    best = (damped, publisher_id, pick)
        if best is None:
            break
        _, publisher_id, pick = best
        heads[publisher_id] += 1
        taken[publisher_id] += 1
        ranked.append(pick)
    muted = {c.article_id for c in candidates if is_muted(c, interests)}
    assert not muted.intersection(p.article_id for p in ranked), "For You must never show muted articles"
    return ranked


def centroid(vectors: list[np.ndarray]) -> np.ndarray | None:
    """The unit mean of `vectors`, or None when there are none (or they cancel out)."""
    if not vectors:
        return None
    mean = np.mean(np.stack(vectors), axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 1e-9 else None


# The query layer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    article: Article
    reason: str
    score: float


def load_interests(user) -> Interests:
    """Follows, mutes, saved and recent reads (with their vectors): four queries."""
    followed_publishers: dict[int, str] = {}
    followed_hashtags: dict[int, str] = {}
    followed_stories: set[int] = set()
    for follow in Follow.objects.filter(user=user).select_related("publisher", "hashtag", "story"):
        if follow.publisher_id:
            followed_publishers[follow.publisher_id] = follow.publisher.name
        elif follow.hashtag_id:
            followed_hashtags[follow.hashtag_id] = follow.hashtag.label
        else:
            # A followed story merged into another since: follow the story its coverage now lives in.
            followed_stories.add(follow.story.merged_into_id or follow.story_id)
    muted_publishers: set[int] = set()
    muted_hashtags: set[int] = set()
    for publisher_id, hashtag_id in Mute.objects.filter(user=user).values_list("publisher_id", "hashtag_id"):
        if publisher_id:
            muted_publishers.add(publisher_id)
        else:
            muted_hashtags.add(hashtag_id)
    saved = SavedArticle.objects.filter(user=user).order_by("-saved_at").values("article_id")[:CENTROID_SAVED]
    read = ReadingHistory.objects.filter(user=user).order_by("-read_at").values("article_id")[:CENTROID_READ]
    rows = ArticleVector.objects.filter(Q(article__in=saved) | Q(article__in=read)).annotate(
        saved=Exists(SavedArticle.objects.filter(user=user, article=OuterRef("article")))
    )
    vectors, seen, from_saved = [], set(), False
    for article_id, vector, is_saved in rows.values_list("article_id", "vector", "saved"):
        vectors.append(from_bytes(vector))
        seen.add(article_id)
        from_saved = from_saved or is_saved
    return Interests(
        followed_publishers=followed_publishers,
        followed_hashtags=followed_hashtags,
        followed_stories=frozenset(followed_stories),
        muted_publishers=frozenset(muted_publishers),
        muted_hashtags=frozenset(muted_hashtags),
        seen_ids=frozenset(seen),
        centroid=centroid(vectors),
        centroid_from_saved=from_saved,
    )


def load_candidates(user, interests: Interests) -> tuple[list[Candidate], datetime | None]:
    """Recent visible articles that a follow or the centroid could recommend, minus muted and seen ones,
    and the time of the newest article (the page's "now"). Three queries, two when there is nothing."""
    articles = Article.objects.listed()
    newest = articles.aggregate(newest=Max("published_at"))["newest"]
    if newest is None or interests.is_empty:
        return [], newest
    pool = articles.filter(published_at__gte=newest - WINDOW)
    if interests.centroid is None:
        pool = pool.filter(
            Q(publisher_id__in=interests.followed_publishers)
            | Q(article_hashtags__hashtag_id__in=interests.followed_hashtags)
            | Q(story_id__in=interests.followed_stories)
        ).distinct()
    pool = pool.exclude(publisher_id__in=interests.muted_publishers)
    pool = pool.exclude(
        Exists(ArticleHashtag.objects.filter(article=OuterRef("pk"), hashtag_id__in=interests.muted_hashtags))
    )
    pool = pool.exclude(Exists(ReadingHistory.objects.filter(user=user, article=OuterRef("pk"))))
    pool = pool.exclude(Exists(SavedArticle.objects.filter(user=user, article=OuterRef("pk"))))
    fields = ["id", "publisher_id", "story_id", "published_at"]
    if interests.centroid is not None:
        fields.append("vector__vector")
    rows = list(pool.order_by("-published_at", "-pk").values(*fields)[:MAX_CANDIDATES])
    tags: dict[int, set[int]] = {}
    for article_id, hashtag_id in ArticleHashtag.objects.filter(article_id__in=[r["id"] for r in rows]).values_list(
        "article_id", "hashtag_id"
    ):
        tags.setdefault(article_id, set()).add(hashtag_id)
    candidates = [
        Candidate(
            article_id=row["id"],
            publisher_id=row["publisher_id"],
            published_at=row["published_at"],
            hashtag_ids=frozenset(tags.get(row["id"], ())),
            story_id=row["story_id"],
            vector=from_bytes(row["vector__vector"]) if row.get("vector__vector") else None,
        )
        for row in rows
    ]
    return candidates, newest


def picks_key(user_id: int) -> str:
    return f"foryou:picks:v1:{user_id}"


def forget(user) -> None:
    """Drop the reader's cached picks, now and again when the transaction commits (a page computed from the
    old rows in between cannot keep them)."""
    key = picks_key(user.pk)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key), robust=True)


def _ranked(user, limit: int) -> list[tuple[int, str, float]]:
    """(article id, reason, score) of the reader's best `limit` picks. The first PAGE_SIZE are cached for
    PICKS_SECONDS (rank() is greedy, so a shorter list is the start of a longer one); six queries to compute."""
    key = picks_key(user.pk)
    picks = cache.get(key) if limit <= PAGE_SIZE else None
    if picks is None:
        interests = load_interests(user)
        candidates, newest = load_candidates(user, interests)
        ranked = rank(candidates, interests, now=newest, limit=max(limit, PAGE_SIZE)) if candidates else []
        picks = [(p.article_id, p.reason, p.score) for p in ranked]
        cache.set(key, picks[:PAGE_SIZE], PICKS_SECONDS)
    return picks[:limit]


def for_you(user, *, limit: int = PAGE_SIZE) -> list[Item]:
    """The reader's For You page: at most eight queries whatever the number of follows or candidates, one
    when the picks are cached. Articles read since the picks were made are left out."""
    picks = _ranked(user, limit)
    if not picks:
        return []
    articles = (
        Article.objects.select_related("publisher")
        .exclude(Exists(ReadingHistory.objects.filter(user=user, article=OuterRef("pk"))))
        .in_bulk([article_id for article_id, _, _ in picks])
    )
    return [Item(articles[pk], reason, score) for pk, reason, score in picks if pk in articles]
