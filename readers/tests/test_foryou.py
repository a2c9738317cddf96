"""For You: the pure ranking (no database), then the query layer on the real database."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from readers import actions, foryou
from readers.foryou import Candidate, Interests, Pick, rank

from .conftest import make_article, make_hashtag, make_publisher, make_story, unit

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def candidate(article_id, publisher_id=1, *, hours_ago=1, hashtags=(), story=None, vector=None) -> Candidate:
    return Candidate(article_id, publisher_id, NOW - timedelta(hours=hours_ago), frozenset(hashtags), story, vector)


# Pure ---------------------------------------------------------------------------------------------


def test_each_signal_gives_its_reason_and_story_beats_hashtag_beats_publisher():
    interests = Interests(
        followed_publishers={1: "Asia Times"}, followed_hashtags={7: "Tariffs"}, followed_stories=frozenset({40})
    )
    picks = rank(
        [
            candidate(10, publisher_id=1),
            candidate(11, publisher_id=2, hashtags={7}),
            candidate(12, publisher_id=3, story=40),
            candidate(13, publisher_id=4),  # nothing recommends it
        ],
        interests,
        now=NOW,
    )
    fresh = 0.5 ** (1 / 12)
    assert picks == [
        Pick(12, round(foryou.STORY_WEIGHT + fresh, 6), "Following this story"),
        Pick(11, round(foryou.HASHTAG_WEIGHT + fresh, 6), "You follow #Tariffs"),
        Pick(10, round(foryou.PUBLISHER_WEIGHT + fresh, 6), "You follow Asia Times"),
    ]


@pytest.mark.parametrize(
    "muted",
    [
        Interests(followed_hashtags={7: "Tariffs"}, muted_publishers=frozenset({2})),
        Interests(followed_hashtags={7: "Tariffs"}, muted_hashtags=frozenset({8})),
        Interests(
            followed_publishers={2: "Daily Noise"}, followed_hashtags={7: "Tariffs"}, muted_publishers=frozenset({2})
        ),
    ],
    ids=["muted-publisher-followed-tag", "muted-second-tag", "muted-and-followed-publisher"],
)
def test_a_muted_article_never_ranks_however_strong_its_signals(muted):
    noisy = candidate(20, publisher_id=2, hashtags={7, 8}, story=40, vector=unit((0, 1.0)))
    calm = candidate(21, publisher_id=3, hashtags={7})
    interests = Interests(
        followed_publishers=muted.followed_publishers or {3: "Calm"},
        followed_hashtags=muted.followed_hashtags,
        followed_stories=frozenset({40}),
        muted_publishers=muted.muted_publishers,
        muted_hashtags=muted.muted_hashtags,
        centroid=unit((0, 1.0)),
    )
    assert [p.article_id for p in rank([noisy, calm], interests, now=NOW)] == [21]


def test_seen_articles_are_skipped():
    interests = Interests(followed_publishers={1: "Asia Times"}, seen_ids=frozenset({10}))
    assert [p.article_id for p in rank([candidate(10), candidate(11)], interests, now=NOW)] == [11]


def test_similarity_alone_needs_the_threshold_and_says_saved_or_read():
    close = candidate(30, vector=unit((0, 1.0), (1, 0.3)))
    far = candidate(31, vector=unit((2, 1.0)))
    saved = Interests(centroid=unit((0, 1.0)), centroid_from_saved=True)
    read = Interests(centroid=unit((0, 1.0)), centroid_from_saved=False)
    assert [(p.article_id, p.reason) for p in rank([close, far], saved, now=NOW)] == [
        (30, "Similar to articles you saved")
    ]
    assert [(p.article_id, p.reason) for p in rank([close, far], read, now=NOW)] == [
        (30, "Similar to articles you read")
    ]


def test_similarity_orders_articles_from_the_same_follow():
    interests = Interests(followed_publishers={1: "Asia Times"}, centroid=unit((0, 1.0)))
    older_similar = candidate(40, hours_ago=6, vector=unit((0, 1.0), (1, 0.2)))
    newer_unrelated = candidate(41, hours_ago=1, vector=unit((2, 1.0)))
    assert [p.article_id for p in rank([newer_unrelated, older_similar], interests, now=NOW)] == [40, 41]


def test_diversity_lets_a_second_publisher_in_before_the_first_publishers_third_article():
    interests = Interests(followed_publishers={1: "Prolific", 2: "Quiet"})
    prolific = [candidate(i, publisher_id=1, hours_ago=i - 49) for i in (50, 51, 52)]
    quiet = candidate(60, publisher_id=2, hours_ago=20)
    assert [p.article_id for p in rank([*prolific, quiet], interests, now=NOW)] == [50, 51, 60, 52]


def test_rank_respects_the_limit():
    interests = Interests(followed_publishers={1: "Asia Times"})
    assert len(rank([candidate(i, hours_ago=i) for i in range(1, 11)], interests, now=NOW, limit=3)) == 3


def test_centroid_is_the_unit_mean_or_none():
    assert foryou.centroid([]) is None
    assert np.allclose(foryou.centroid([unit((0, 1.0)), unit((1, 1.0))]), unit((0, 1.0), (1, 1.0)))


# With the database --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_muted_publisher_never_appears_even_when_a_followed_hashtag_matches(reader):
    tariffs = make_hashtag("Tariffs")
    noise, calm = make_publisher("Daily Noise"), make_publisher("Asia Times")
    make_article(noise, "Noise on tariffs", hashtags=[tariffs], hours_ago=0.5)
    calm_article = make_article(calm, "Calm on tariffs", hashtags=[tariffs], hours_ago=2)
    actions.do_follow(reader, tariffs)
    actions.do_follow(reader, noise)
    actions.do_mute(reader, noise)
    assert [(i.article.pk, i.reason) for i in foryou.for_you(reader)] == [(calm_article.pk, "You follow #Tariffs")]


@pytest.mark.django_db
def test_a_muted_hashtag_never_appears_even_from_a_followed_publisher_or_story(reader):
    celebrities = make_hashtag("Celebrities")
    paper = make_publisher("Asia Times")
    story = make_story()
    make_article(paper, "Star at the floods", hashtags=[celebrities], story=story, hours_ago=0.5)
    plain = make_article(paper, "Floods recede", story=story, hours_ago=3)
    actions.do_follow(reader, paper)
    actions.do_follow(reader, story)
    actions.do_mute(reader, celebrities)
    assert [(i.article.pk, i.reason) for i in foryou.for_you(reader)] == [(plain.pk, "Following this story")]


@pytest.mark.django_db
def test_a_muted_publisher_never_appears_by_similarity(reader):
    noise, calm = make_publisher("Daily Noise"), make_publisher("Asia Times")
    saved = make_article(calm, "Port strike", vector=unit((0, 1.0)), hours_ago=10)
    make_article(noise, "Port strike, louder", vector=unit((0, 1.0)), hours_ago=1)
    similar = make_article(calm, "Port strike ends", vector=unit((0, 1.0), (1, 0.2)), hours_ago=2)
    actions.do_save(reader, saved)
    actions.do_mute(reader, noise)
    assert [(i.article.pk, i.reason) for i in foryou.for_you(reader)] == [(similar.pk, "Similar to articles you saved")]


@pytest.mark.django_db
def test_centroid_ranks_a_similar_article_above_a_newer_unrelated_one_and_skips_read_ones(reader):
    paper = make_publisher("Asia Times")
    liked = make_article(paper, "Rice prices climb", vector=unit((0, 1.0)), hours_ago=30)
    read = make_article(paper, "Rice harvest late", vector=unit((0, 1.0), (3, 0.5)), hours_ago=20)
    similar = make_article(paper, "Rice exports cut", vector=unit((0, 1.0), (1, 0.3)), hours_ago=8)
    unrelated = make_article(paper, "Football final", vector=unit((2, 1.0)), hours_ago=1)
    make_article(paper, "Too old", vector=unit((0, 1.0)), hours_ago=80)  # outside the 72 h window
    actions.do_follow(reader, paper)
    actions.do_save(reader, liked)
    actions.record_read(reader, read)
    items = foryou.for_you(reader)
    assert [i.article.pk for i in items] == [similar.pk, unrelated.pk]
    assert [i.reason for i in items] == ["You follow Asia Times", "You follow Asia Times"]


@pytest.mark.django_db
def test_nothing_followed_or_saved_gives_an_empty_page(reader):
    make_article(make_publisher("Asia Times"))
    assert foryou.for_you(reader) == []


@pytest.mark.django_db
def test_a_followed_story_merged_into_another_is_followed_in_its_new_home(reader):
    """Consolidation can move a story's articles into another and mark it merged: a reader who followed
    the fragment keeps getting the coverage."""
    paper = make_publisher("Asia Times")
    fragment, heir = make_story("Valencia floods"), make_story("Spain floods")
    coverage = make_article(paper, "Valencia counts the cost of the floods", story=heir, hours_ago=2)
    actions.do_follow(reader, fragment)
    fragment.merged_into = heir
    fragment.save(update_fields=["merged_into"])
    assert foryou.load_interests(reader).followed_stories == {heir.pk}
    assert [(i.article.pk, i.reason) for i in foryou.for_you(reader)] == [(coverage.pk, "Following this story")]


@pytest.mark.django_db
def test_cached_picks_follow_the_readers_changes_at_once(reader, django_assert_num_queries):
    paper, other = make_publisher("Asia Times"), make_publisher("Daily Noise")
    first = make_article(paper, "Floods recede", hours_ago=2)
    second = make_article(other, "Port reopens", hours_ago=1)
    actions.do_follow(reader, paper)
    assert [i.article.pk for i in foryou.for_you(reader)] == [first.pk]
    with django_assert_num_queries(1):  # cached picks: only the articles (minus any read since)
        assert [i.article.pk for i in foryou.for_you(reader)] == [first.pk]
    actions.do_follow(reader, other)  # a follow drops the cached picks
    assert {i.article.pk for i in foryou.for_you(reader)} == {first.pk, second.pk}
    actions.do_mute(reader, other)
    assert [i.article.pk for i in foryou.for_you(reader)] == [first.pk]
    actions.record_read(reader, first)  # a read keeps the picks but leaves the article out
    assert foryou.for_you(reader) == []
