"""digest(): 3–5 grounded key points, a 2–3 sentence summary, every item citing the body exactly."""

import json
import re

import pytest

from analysis.embeddings import TokenEmbeddingEncoder, get_encoder
from analysis.keypoints import Digest, GroundedText, digest, digest_many, ingest_encoder
from core.tests.shared_data import shared_file

WORD = re.compile(r"\w+")  # as ../shared/eval/run_e2e.py grounding()


@pytest.fixture(scope="module")
def encoder():
    """The encoder ingest uses: token-embedding vectors."""
    return ingest_encoder()


@pytest.fixture(scope="module")
def full_encoder():
    """The full transformer, as an independent judge of near-duplicates."""
    return get_encoder("/tmp/tidings-models")


@pytest.fixture(scope="module")
def rows():
    truth = shared_file("eval", "mirrors", "ecbplus-dev", "truth.jsonl")
    return [json.loads(line) for line in truth.open()]


def cited_share(body: str, item: GroundedText) -> float:
    """The project's grounding check: share of the item's words found in the cited text."""
    cited = " ".join(body[a:b] for a, b in item.spans if 0 <= a < b <= len(body))
    words = [w.lower() for w in WORD.findall(item.text)]
    have = {w.lower() for w in WORD.findall(cited)}
    return sum(w in have for w in words) / len(words) if words and cited else 0.0


def assert_grounded(body: str, result: Digest) -> None:
    for item in result.key_points + result.summary:
        assert item.spans
        for start, end in item.spans:
            assert 0 <= start < end <= len(body)
        assert item.matches(body), (item, body[item.spans[0][0] : item.spans[0][1]])
        assert cited_share(body, item) == 1.0


@pytest.fixture(scope="module")
def mirror_digests(encoder, rows):
    """All 496 bodies in batches of 32 articles: one encoder call each (~1.5 s on 2 busy cores)."""
    results = []
    for i in range(0, len(rows), 32):
        results += digest_many([(r["title"], r["body"]) for r in rows[i : i + 32]], encoder=encoder)
    return results


def test_ingest_encoder_is_the_token_encoder(encoder):
    assert isinstance(encoder, TokenEmbeddingEncoder)
    assert ingest_encoder() is encoder
    body = (
        "A fire destroyed the old creamery in Palmer on Monday night. Nobody was hurt in the blaze, firefighters said."
    )
    assert digest("Fire", body) == digest("Fire", body, encoder=encoder)


def test_real_articles(encoder, full_encoder, rows, mirror_digests):
    long_rows = sorted(range(len(rows)), key=lambda i: -len(rows[i]["body"]))[:8]
    assert (
        digest(rows[long_rows[0]]["title"], rows[long_rows[0]]["body"], encoder=encoder) == mirror_digests[long_rows[0]]
    )
    for index in long_rows:
        body, result = rows[index]["body"], mirror_digests[index]
        assert 3 <= len(result.key_points) <= 5
        assert 2 <= len(result.summary) <= 3
        assert not {item.spans for item in result.key_points} & {item.spans for item in result.summary}
        assert_grounded(body, result)
        starts = [item.spans[0][0] for item in result.key_points]
        assert starts == sorted(starts) and len(set(starts)) == len(starts)
        assert any(start >= len(body) / 3 for start in starts), "no key point after the first third"
        vectors = full_encoder.encode([item.text for item in result.key_points])
        similarity = vectors @ vectors.T
        assert (similarity[~__import__("numpy").eye(len(vectors), dtype=bool)] < 0.9).all()


def test_trimming_keeps_exact_spans(encoder):
    body = (
        "A magnitude 6.1 earthquake struck off the coast of northern Peru early on Tuesday, police said.\n\n"
        "However, no damage was reported in the coastal towns closest to the epicentre of the quake.\n\n"
        "Meanwhile, schools in the region of Piura were closed as a precaution for the rest of the week.\n\n"
        "The quake was felt as far away as the capital Lima, where buildings swayed for several seconds.\n\n"
        "Peru sits on the Pacific Ring of Fire and is hit by hundreds of small earthquakes every year."
    )
    result = digest("Magnitude 6.1 earthquake strikes northern Peru", body, encoder=encoder)
    assert_grounded(body, result)
    texts = [item.text for item in result.key_points + result.summary]
    assert not any(t.startswith(("However", "Meanwhile")) for t in texts)
    assert not any(t.endswith("police said.") for t in texts)
    lead = next(item for item in result.key_points + result.summary if item.spans[0][0] == 0)
    assert lead.text == "A magnitude 6.1 earthquake struck off the coast of northern Peru early on Tuesday."
    assert body[slice(*lead.spans[0])] == lead.text[:-1]


def test_key_points_say_what_the_summary_does_not(encoder):
    body = (
        "A magnitude 6.1 earthquake struck off the coast of northern Peru early on Tuesday.\n\n"
        "No damage was reported in the coastal towns closest to the epicentre of the quake.\n\n"
        "Schools in the region of Piura were closed as a precaution for the rest of the week.\n\n"
        "The quake was felt as far away as the capital Lima, where buildings swayed for several seconds.\n\n"
        "Peru sits on the Pacific Ring of Fire and is hit by hundreds of small earthquakes every year."
    )
    result = digest("Magnitude 6.1 earthquake strikes northern Peru", body, encoder=encoder)
    summary = {item.spans for item in result.summary}
    assert len(summary) == 2 and len(result.key_points) == 3
    assert not summary & {item.spans for item in result.key_points}
    # two candidate sentences: too few to keep apart, so the key points may repeat the summary
    short = digest("Peru quake", "\n\n".join(body.split("\n\n")[:2]), encoder=encoder)
    assert {item.spans for item in short.summary} <= {item.spans for item in short.key_points}


def test_short_and_empty_articles(encoder):
    assert digest("Title", "", encoder=encoder) == Digest((), ())
    result = digest("Fire", "A fire destroyed the old creamery in Palmer on Monday night.", encoder=encoder)
    assert len(result.key_points) == 1 and result.key_points[0].spans == ((0, 60),)


def test_whole_mirror_is_grounded(rows, mirror_digests):
    """Every item of all 496 ecbplus-dev bodies cites >= 1 span in the body holding >= 80% of its words."""
    results = mirror_digests
    items = grounded = 0
    for row, result in zip(rows, results, strict=True):
        body = row["body"]
        for item in result.key_points + result.summary:
            items += 1
            assert item.spans and all(0 <= a < b <= len(body) for a, b in item.spans)
            grounded += cited_share(body, item) >= 0.8
        if result.key_points:
            assert len(result.key_points) <= 5 and len(result.summary) <= 3
    assert items > 2 * len(rows)
    assert grounded == items


def test_summary_is_the_lead_without_its_dateline_or_time_stamp(encoder):
    """ecbplus-dev and zyte-dev leads open with "Published on Jul 02, 2013 4: 22 PM" or "WASHINGTON (Reuters) - ":
    the summary quotes the lead's words and leaves the stamp out; a stamp standing alone is not a sentence."""
    body = (
        "Published on Jul 02, 2013 4: 22 PM A strong earthquake struck the province of Aceh on Tuesday morning.\n\n"
        "May 3, 2013 at 7: 31 AM ET.\n\n"
        "WASHINGTON (Reuters) - Rescue teams were sent to the mountain villages closest to the epicentre.\n\n"
        "Scroll down for video Schools in the region were closed as a precaution for the rest of the week.\n\n"
        "The quake was felt as far away as the provincial capital, where buildings swayed for seconds.\n\n"
        "Officials said the number of people hurt was still being counted in several remote districts.\n\n"
        "Aceh was hit by a far larger earthquake and a tsunami that killed many thousands in 2004.\n\n"
        "Engineers will inspect the bridges on the main coastal road before it opens to lorries again.\n\n"
        "The national weather agency said no tsunami warning had been issued after the quake."
    )
    result = digest("Earthquake strikes Aceh", body, encoder=encoder)
    assert_grounded(body, result)
    assert [item.text for item in result.summary] == [
        "A strong earthquake struck the province of Aceh on Tuesday morning.",
        "Rescue teams were sent to the mountain villages closest to the epicentre.",
        "Schools in the region were closed as a precaution for the rest of the week.",
    ]
    assert body[slice(*result.summary[0].spans[0])] == result.summary[0].text
    assert not any("2013" in item.text for item in result.summary + result.key_points)


def test_product_names_and_citation_lines_are_not_points(encoder):
    """zyte-dev's deals page lists "Apple iPad Pro (11-inch, Wi-Fi, 64GB) - Space Gray (Latest Model)" between its
    sentences, and a science page ends on "More information: ..."; neither is a sentence to show."""
    body = (
        "Washington, DC, United States: The space agency chose three companies to carry cargo to the Moon.\n\n"
        "Apple iPad Pro (11-inch, Wi-Fi, 64GB) - Space Gray (Latest Model)\n\n"
        "Each company will design a lander able to carry instruments to the lunar south pole.\n\n"
        "The first flight is planned for the end of next year if the tests go as hoped.\n\n"
        "Engineers said the landers would reuse parts that have already flown on other rockets.\n\n"
        "More information: J. Smith et al. Landers for the Moon, Journal of Space Flight (2019).\n\n"
        "The agency said that the contracts were worth up to two billion dollars over ten years.\n\n"
        "Critics said the plan left too little time to test the landers before the first flight.\n\n"
        "The agency will choose which company flies first after a review at the end of the summer."
    )
    result = digest("Three companies to carry cargo to the Moon", body, encoder=encoder)
    assert_grounded(body, result)
    assert result.summary[0].text == "The space agency chose three companies to carry cargo to the Moon."
    shown = [item.text for item in result.summary + result.key_points]
    assert not [t for t in shown if "iPad" in t or "More information" in t or "Washington" in t]
