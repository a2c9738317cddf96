"""Related articles: rank an article's neighbours, best first, each with a reason a reader can see.

Pure; the caller passes the candidates (the article's nearest vectors within the clustering window,
with their story and hashtags) and stores the top k. Order of preference:

1. articles of the same story ("Same story"),
2. other close articles, boosted by shared hashtags and names ("Also about #NorthKorea"),
3. a small recency term breaks near-ties in favour of newer coverage.

Selection is greedy and MMR-like: each further item from a publisher already listed pays
PUBLISHER_REPEAT_PENALTY, so the list shows several outlets before a second piece from one. Nothing
below MIN_SIMILARITY is listed, however recent: an empty slot beats an unrelated article.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.clustering import ArticleSignals, similarity

__all__ = ["DUPLICATE_COSINE", "MIN_SIMILARITY", "RelatedCandidate", "RelatedItem", "SimilarityCache", "rank"]

# Floor on similarity() (the same-story probability) for a candidate outside the article's story: an
# empty slot beats an unrelated recent article. Measured (bench/stories_offline.py, uci-dev gold text,
# shuffled): related P@5 0.911 at 0.2 and 0.911 at 0.0 with 60 candidates, i.e. the floor costs nothing
# there; the precision of what it removes was not measured separately.
MIN_SIMILARITY = 0.2
# Same-story members come first: the bonus lifts any member above any non-member.
SAME_STORY_BONUS = 1.0
# Each shared hashtag adds this much (at most HASHTAG_BONUS_CAP): a hint, never a reason on its own.
HASHTAG_BONUS = 0.05
HASHTAG_BONUS_CAP = 0.15
# Per day of age difference, a newer candidate gains this over an older one of equal similarity.
RECENCY_PER_DAY = 0.02
# Each item already listed from the same publisher costs this much: the second item from one
# outlet needs to be clearly better than the first item from another.
PUBLISHER_REPEAT_PENALTY = 0.15
# A new article is offered to the lists of this many of its nearest articles (stories.actions): the
# lists of earlier articles then take in later close coverage, not only later members of their story.
REVERSE_NEIGHBOURS = 30
# A candidate this close to the article (or to an item already listed) is a copy (syndicated wire
# text, the same release): listing it adds nothing.
DUPLICATE_COSINE = 0.985


class SimilarityCache:
    """similarity() of article pairs, remembered (LRU): a stored article's signals never change, and a
    story's members are re-ranked against one another each time the story grows, so most pairs recur.

    Keyed by both sides' (id, published, title), in id order (similarity() is symmetric), so a reused id
    (a rolled-back test database) never returns another article's score.
    """

    def __init__(self, max_pairs: int = 200_000) -> None:
        self.max_pairs = max_pairs
        self._pairs: OrderedDict[tuple, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pairs)

    def clear(self) -> None:
        with self._lock:
            self._pairs.clear()

    def similarity(self, a: ArticleSignals, b: ArticleSignals) -> float:
        ka, kb = (a.article_id, a.published, a.title), (b.article_id, b.published, b.title)
        key = (ka, kb) if ka[0] <= kb[0] else (kb, ka)
        with self._lock:
            found = self._pairs.get(key)
            if found is not None:
                self._pairs.move_to_end(key)
                return found
        value = similarity(a, b)
        with self._lock:
            self._pairs[key] = value
            while len(self._pairs) > self.max_pairs:
                self._pairs.popitem(last=False)
        return value


# The process's cache for the ingest stage (stories.actions); rank() itself stays pure without one.
shared_similarities = SimilarityCache()


@dataclass(frozen=True)
class RelatedCandidate:
    signals: ArticleSignals
    story_id: int | None
    hashtags: frozenset[str]
    publisher_name: str


@dataclass(frozen=True)
class RelatedItem:
    article_id: int
    score: float
    reason: str


def _reason(article: ArticleSignals, story_id: int | None, hashtags: frozenset[str], cand: RelatedCandidate) -> str:
    if story_id is not None and cand.story_id == story_id:
        return "Same story"
    shared_tags = sorted(hashtags & cand.hashtags)
    if shared_tags:
        tag = shared_tags[0]
        return f"Also about {tag if tag.startswith('#') else '#' + tag}"
    shared_names = article.features.names & cand.signals.features.names
    if shared_names:
        name = max(shared_names, key=lambda n: (len(n.split()), len(n), n))
        return f"Also about {name.title()}"
    when = "Earlier" if cand.signals.published <= article.published else "Later"
    return f"{when}: {cand.signals.title}"


def rank(
    article: ArticleSignals,
    story_id: int | None,
    hashtags: frozenset[str],
    candidates: Sequence[RelatedCandidate],
    *,
    k: int = 8,
    min_similarity: float = MIN_SIMILARITY,
    weights: dict[str, float] | None = None,
    cache: SimilarityCache | None = None,
) -> list[RelatedItem]:
    """The ``k`` best related articles for ``article``, best first, each with a reason.

    ``cache``: where pair similarities are remembered between calls (used only with the default weights).
    """
    pool: list[tuple[float, float, RelatedCandidate]] = []  # (relevance, similarity, candidate)
    seen: set[int] = {article.article_id}
    cosines = (
        np.stack([c.signals.vector for c in candidates]).astype(np.float32) @ article.vector.astype(np.float32)
        if candidates
        else np.empty(0)
    ).tolist()
    for cand, cosine in zip(candidates, cosines, strict=True):
        sig = cand.signals
        if sig.article_id in seen:
            continue
        seen.add(sig.article_id)
        if cosine >= DUPLICATE_COSINE:
            continue
        if cache is not None and weights is None:
            sim = cache.similarity(article, sig)
        else:
            sim = similarity(article, sig, weights=weights)
        same_story = story_id is not None and cand.story_id == story_id
        if not same_story and sim < min_similarity:
            continue
        days_newer = (sig.published - article.published).total_seconds() / 86400.0
        relevance = (
            sim
            + (SAME_STORY_BONUS if same_story else 0.0)
            + min(HASHTAG_BONUS * len(hashtags & cand.hashtags), HASHTAG_BONUS_CAP)
            + RECENCY_PER_DAY * max(min(days_newer, 3.0), -3.0)
        )
        pool.append((relevance, sim, cand))
    pool.sort(key=lambda p: p[0], reverse=True)

    chosen: list[RelatedItem] = []
    chosen_vectors: list[np.ndarray] = []
    per_publisher: Counter[int] = Counter()
    while pool and len(chosen) < k:
        best_i, best_value = -1, -np.inf
        for i, (relevance, _sim, cand) in enumerate(pool):
            value = relevance - PUBLISHER_REPEAT_PENALTY * per_publisher[cand.signals.publisher_id]
            if value > best_value:
                best_i, best_value = i, value
            if per_publisher[cand.signals.publisher_id] == 0:
                break  # sorted by relevance: no later candidate can beat an unpenalised one
        relevance, sim, cand = pool.pop(best_i)
        if any(float(np.dot(v, cand.signals.vector)) >= DUPLICATE_COSINE for v in chosen_vectors):
            continue
        chosen.append(
            RelatedItem(cand.signals.article_id, round(relevance, 4), _reason(article, story_id, hashtags, cand))
        )
        chosen_vectors.append(cand.signals.vector)
        per_publisher[cand.signals.publisher_id] += 1
    return chosen
