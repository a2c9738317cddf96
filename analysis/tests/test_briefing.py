"""Story briefing on a real ECB+ event: the Aceh earthquake of 2 July 2013 (cluster 37_ecbplus)."""

from __future__ import annotations

import json

import pytest

from analysis.briefing import Briefing, Source, brief, number_mentions
from core.tests.shared_data import shared_file


@pytest.fixture(scope="module")
def encoder():
    from analysis.embeddings import get_encoder

    return get_encoder("/tmp/tidings-models")


@pytest.fixture(scope="module")
def aceh() -> list[Source]:
    truth = shared_file("eval", "mirrors", "ecbplus-dev", "truth.jsonl")
    rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["cluster"] == "37_ecbplus"]
    return [Source(1000 + i, r["publisher"], r["title"], r["body"]) for i, r in enumerate(rows)]


@pytest.fixture(scope="module")
def aceh_briefing(aceh, encoder) -> Briefing:
    return brief(aceh, encoder=encoder)


def test_three_to_six_points(aceh_briefing):
    assert 3 <= len(aceh_briefing.points) <= 6


def test_every_citation_points_into_its_article(aceh, aceh_briefing):
    bodies = {s.article_id: s.body for s in aceh}
    publisher = {s.article_id: s.publisher for s in aceh}
    for point in aceh_briefing.points:
        assert point.citations
        quoted = [bodies[a][start:end] for a, start, end in point.citations]
        assert all(0 <= start < end <= len(bodies[a]) for a, start, end in point.citations)
        assert point.text in [q.strip() for q in quoted]  # the point is one of its cited sentences
        assert set(point.publishers) == {publisher[a] for a, _, _ in point.citations}


def test_shared_points_first_and_exclusive_ones_marked(aceh_briefing):
    points = aceh_briefing.points
    assert len(points[0].publishers) >= 2
    assert any(len(p.publishers) >= 2 for p in points)
    exclusive = [p for p in points if len(p.publishers) == 1]
    assert len(exclusive) <= 2
    assert all(p.only_in == p.publishers[0] for p in exclusive)
    assert all(p.only_in is None for p in points if len(p.publishers) > 1)
    seen_exclusive = False
    for p in points:
        seen_exclusive |= p.only_in is not None
        assert not (seen_exclusive and p.only_in is None), "shared points come before exclusive ones"


def test_death_toll_difference_is_found(aceh_briefing):
    dead = {d.what: d for d in aceh_briefing.differences}["dead"]
    values = {value.lower(): pubs for value, pubs in dead.values}
    assert "24" in values and "Capital Chronicle" in values["24"]
    assert "five" in values
    assert len(dead.values) >= 3


def test_magnitude_is_agreed_by_most(aceh_briefing):
    magnitude = {d.what: d for d in aceh_briefing.differences}.get("magnitude")
    if magnitude is not None:  # one outlet may quote an aftershock; most report 6.1
        assert magnitude.values[0][0] == "6.1"


def test_number_mentions_skip_the_past():
    mentions = number_mentions(
        "Strong quake hits Aceh",
        "A 6. 1 - magnitude quake killed at least five people on Tuesday. "
        "In 2004, a tsunami killed 170, 000 people in the province.",
    )
    assert mentions == {"magnitude": "6.1", "dead": "five"}
    assert number_mentions("", "The tsunami in 2004 killed 230, 000 people.") == {}
    assert number_mentions("", "On July 2, 2013 the quake killed 24 people.") == {"dead": "24"}


def test_no_sources_or_empty_bodies(encoder):
    assert brief([], encoder=encoder) == Briefing((), ())
    empty = brief([Source(1, "A", "Title", ""), Source(2, "B", "Title", "   ")], encoder=encoder)
    assert empty.points == ()


def test_small_story_keeps_offsets(encoder):
    a = Source(
        1,
        "Capital Chronicle",
        "Klitschko stops Thompson",
        "Wladimir Klitschko stopped Tony Thompson in the sixth round to retain his heavyweight titles on Saturday. "
        "The fight took place at the Stade de Suisse in Bern in front of 25,000 fans.",
    )
    b = Source(
        2,
        "Daily Dispatch",
        "Klitschko retains titles",
        "Klitschko retained his heavyweight belts by stopping Tony Thompson in round six on Saturday night. "
        "Thompson, the mandatory challenger, fell to 36-3 with the defeat.",
    )
    result = brief([a, b], encoder=encoder)
    assert result.points
    assert len(result.points[0].publishers) == 2
    bodies = {1: a.body, 2: b.body}
    for p in result.points:
        for art, start, end in p.citations:
            assert bodies[art][start:end].strip()
