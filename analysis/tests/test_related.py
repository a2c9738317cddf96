"""Related ranking: reasons, publisher diversity, the similarity floor, self and duplicates excluded."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np

from analysis.clustering import ArticleSignals, similarity
from analysis.entities import text_features
from analysis.related import RelatedCandidate, SimilarityCache, rank

T0 = datetime(2026, 11, 7, 6, 0, tzinfo=UTC)


def _unit(*components: float) -> np.ndarray:
    v = np.zeros(384, dtype=np.float32)
    v[: len(components)] = components
    return v / np.linalg.norm(v)


def _signals(article_id, publisher_id, title, body, vector, hours=0.0):
    words = frozenset(w.lower() for w in f"{title} {body}".split() if len(w) > 3)
    return ArticleSignals(
        article_id, publisher_id, T0 + timedelta(hours=hours), title, vector, text_features(title, body), words
    )


# ecbplus-dev topic 37: the 2013 Aceh quake, told by several publishers.
ACEH_BODY = "A 6.1 magnitude earthquake struck Aceh province in Indonesia, injuring dozens, the USGS said."
ACEH = _signals(0, 0, "6.1-magnitude quake strikes Indonesia's Aceh", ACEH_BODY, _unit(1, 0.05))


def _aceh_candidates():
    cands = []
    for i in range(1, 10):
        publisher = i % 3  # three publishers, three articles each
        vec = _unit(1, 0.05, *([0.0] * i), 0.2)  # close to ACEH, not copies of it or of each other
        sig = _signals(i, publisher, f"Aceh quake report {i}", ACEH_BODY, vec, hours=i / 2)
        cands.append(RelatedCandidate(sig, 7, frozenset({"#Aceh"}), f"Publisher {publisher}"))
    return cands


def test_same_story_list_has_reasons_and_diverse_publishers():
    items = rank(ACEH, 7, frozenset({"#Aceh"}), _aceh_candidates(), k=8)
    assert len(items) == 8
    assert all(item.reason == "Same story" for item in items)
    top5 = Counter(ACEH_BY_ID[item.article_id] for item in items[:5])
    assert max(top5.values()) <= 2


ACEH_BY_ID = {c.signals.article_id: c.signals.publisher_id for c in _aceh_candidates()}


def test_unrelated_recent_article_is_excluded():
    # A brand-new article about Klitschko (ecbplus-dev topic 7) shares nothing with the Aceh quake.
    boxing = _signals(
        50, 5, "Klitschko stops Thompson", "Wladimir Klitschko stopped Tony Thompson in Bern.", _unit(0, 1), hours=2
    )
    cands = [RelatedCandidate(boxing, None, frozenset(), "The Evening Wire"), *_aceh_candidates()[:2]]
    ids = [item.article_id for item in rank(ACEH, 7, frozenset(), cands)]
    assert 50 not in ids
    assert sorted(ids) == [1, 2]


def test_self_and_exact_duplicates_are_excluded():
    copy = _signals(60, 4, ACEH.title, ACEH_BODY, ACEH.vector.copy(), hours=1)
    cands = [
        RelatedCandidate(ACEH, 7, frozenset(), "Publisher 0"),
        RelatedCandidate(copy, 7, frozenset(), "Wire copy"),
        *_aceh_candidates()[:1],
    ]
    assert [item.article_id for item in rank(ACEH, 7, frozenset(), cands)] == [1]


def test_other_story_sharing_a_hashtag_gives_that_reason():
    other = _signals(70, 6, "Aceh aid arrives", "Aid reached Aceh after the 6.1 magnitude earthquake.", _unit(1, 0.3))
    items = rank(ACEH, 7, frozenset({"#Aceh"}), [RelatedCandidate(other, 8, frozenset({"#Aceh"}), "Aid News")])
    assert [(i.article_id, i.reason) for i in items] == [(70, "Also about #Aceh")]


def test_cached_similarities_rank_the_same_and_never_mix_up_reused_ids():
    cache = SimilarityCache(max_pairs=4)
    plain = rank(ACEH, 7, frozenset({"#Aceh"}), _aceh_candidates(), k=8)
    for _ in range(2):  # cold, then (partly) warm
        assert rank(ACEH, 7, frozenset({"#Aceh"}), _aceh_candidates(), k=8, cache=cache) == plain
    assert len(cache) == 4
    other = _aceh_candidates()[0].signals
    assert cache.similarity(other, ACEH) == cache.similarity(ACEH, other) == similarity(ACEH, other)
    # Same id, another article (a rolled-back test database): computed afresh, not taken from the cache.
    reused = _signals(1, 5, "Klitschko stops Thompson", "Wladimir Klitschko stopped Tony Thompson.", _unit(0, 1))
    assert cache.similarity(ACEH, reused) == similarity(ACEH, reused)
