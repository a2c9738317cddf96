"""The summary against the editors' highlights, side by side with Lead-3 in the same run (issue 12).

../shared/data/summaries-dev holds 125 CNN/DailyMail articles with their highlights: research data,
read here to measure and never copied into the repository. The summary must score ROUGE-1 and
ROUGE-2 at or above the article's first three sentences, and at or above the floors pinned in
tidings/tests/quality_floors.json ("summary"); bench/ai_summary.py prints the same figures per part.
"""

import json
from pathlib import Path

import pytest

from ai.tests.fake_llm import FakeChatServer
from analysis.keypoints import digest_many, ingest_encoder
from analysis.sentences import split_sentences
from bench.ai_summary import (
    SUMMARIES,
    cnndm_items,
    furniture,
    lead3,
    llm_report,
    load_summaries,
    mean_scores,
    redundancy,
    rouge,
    shown_items,
)

ROOT = Path(__file__).resolve().parents[2]
FLOORS = json.loads((ROOT / "tidings" / "tests" / "quality_floors.json").read_text())["summary"]
MIRRORS = ROOT.parent / "shared" / "eval" / "mirrors"


@pytest.fixture(scope="module")
def rows():
    assert SUMMARIES.exists(), f"the summaries with human references are missing: {SUMMARIES}"
    return load_summaries()


@pytest.fixture(scope="module")
def digests(rows):
    items = cnndm_items(rows)
    return [d for i in range(0, len(items), 32) for d in digest_many(items[i : i + 32], encoder=ingest_encoder())]


def test_summary_is_at_least_as_informative_as_the_lead(rows, digests):
    references = [row["reference"] for row in rows]
    lead = mean_scores([(lead3(row["article"]), ref) for row, ref in zip(rows, references, strict=True)])
    summary = mean_scores(
        [(" ".join(i.text for i in d.summary), ref) for d, ref in zip(digests, references, strict=True)]
    )
    print(f"Lead-3 {lead}\nsummary {summary}")
    assert summary["r1"] >= lead["r1"] and summary["r2"] >= lead["r2"], (summary, lead)
    for metric in ("r1", "r2", "rl"):
        assert summary[metric] >= FLOORS[metric], (metric, summary[metric], FLOORS[metric])


def test_summary_and_key_points_cover_the_reference_without_repeating(rows, digests):
    references = [row["reference"] for row in rows]
    shown = [shown_items(d) for d in digests]
    both = mean_scores([(" ".join(i.text for i in items), ref) for items, ref in zip(shown, references, strict=True)])
    repeated = sum(redundancy([i.text for i in items]) for items in shown) / len(shown)
    print(f"summary + key points {both}, redundancy {repeated:.3f}")
    assert both["r1_recall"] >= FLOORS["with_key_points_r1_recall"]
    assert both["r2_recall"] >= FLOORS["with_key_points_r2_recall"]
    assert 1 - repeated >= FLOORS["with_key_points_novelty"]  # 1 - the largest ROUGE-2 F1 between two items


def test_every_summary_sentence_is_an_exact_span_of_the_article(rows, digests):
    for row, digest in zip(rows, digests, strict=True):
        assert 2 <= len(digest.summary) <= 3
        for item in digest.summary + digest.key_points:
            assert item.matches(row["article"]), item


@pytest.mark.parametrize("mirror", ["ecbplus-dev", "zyte-dev"])
def test_no_summary_quotes_publisher_furniture(mirror):
    """Gold bodies carry datelines, time stamps, credits and shop widgets; no summary or key point quotes them."""
    path = MIRRORS / mirror / "truth.jsonl"
    assert path.exists(), f"the evaluation mirror is missing: {path}"
    rows = [json.loads(line) for line in path.open()]
    digests = digest_many([(r["title"], r["body"]) for r in rows], encoder=ingest_encoder())
    leaks = [i.text for d in digests for i in d.summary + d.key_points if furniture(i.text)]
    assert leaks == []
    assert sum(bool(d.summary) for d in digests) >= len(rows) - 2  # furniture is cut, not the article's lead


def test_a_generative_model_is_scored_on_its_verified_sentences_only(rows):
    """bench/ai_summary.py --llm-url: the model's reply goes through analysis.grounding before ROUGE counts it."""
    row = rows[0]
    lead = split_sentences(row["article"])[0].text
    invented = "The prime minister of Norway opened a new bridge over the river Thames on Sunday."
    with FakeChatServer(f"{lead}\n{invented}") as server:
        report = llm_report([row], server.url, "test-model", "/tmp/tidings-models")
        assert server.requests[0]["payload"]["model"] == "test-model"
        assert server.requests[0]["payload"]["max_tokens"] == 300  # a rambling model is cut, not paid for
    assert (report["claims"], report["kept"]) == (2, 1)
    assert report["r1"] == rouge(lead, row["reference"])["r1"]
