"""Grounded QA benchmark: does "Ask about this article" quote the right sentence, and refuse the rest?

    .venv/bin/python bench/ai_qa.py [--cache-dir /tmp/tidings-models] [--verbose]

ai/tests/qa_pairs.jsonl holds 50 hand-written questions about ECB+ dev articles (the eval mirror's
truth.jsonl): 25 answerable from one sentence of the body (``answer_contains`` is an exact
substring of that sentence) and 25 plausible but unanswerable (a detail the article doesn't give,
a look-alike event, a person who isn't in it). Printed: the share of answerable questions answered
with a cited span that contains ``answer_contains``, the share of unanswerable questions refused,
and milliseconds per question (sentence splitting and encoding included, model load excluded).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TRUTH = REPO.parent / "shared" / "eval" / "mirrors" / "ecbplus-dev" / "truth.jsonl"
PAIRS = REPO / "ai" / "tests" / "qa_pairs.jsonl"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@dataclass
class Result:
    answered_right: float  # share of answerable questions answered with the right sentence
    refused: float  # share of unanswerable questions refused
    ms_per_question: float
    rows: list[dict[str, Any]]


def load_pairs(path: Path = PAIRS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_docs(path: Path = TRUTH) -> dict[str, dict[str, Any]]:
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {d["doc_id"]: d for d in docs}


def evaluate(encoder: Any, pairs: list[dict[str, Any]] | None = None, docs: dict | None = None) -> Result:
    from ai.qa import answer

    pairs = load_pairs() if pairs is None else pairs
    docs = load_docs() if docs is None else docs
    encoder.encode(["warm-up"])
    rows = []
    elapsed = 0.0
    for pair in pairs:
        doc = docs[pair["doc_id"]]
        started = time.perf_counter()
        result = answer(pair["question"], doc["title"], doc["body"], encoder=encoder)
        elapsed += time.perf_counter() - started
        if pair["answerable"]:
            cited = [doc["body"][a:b] for a, b in result.spans]
            ok = result.answered and any(pair["answer_contains"] in c for c in cited)
        else:
            ok = not result.answered
        rows.append({**pair, "ok": ok, "answered": result.answered, "text": result.text, "conf": result.confidence})
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    return Result(
        answered_right=sum(r["ok"] for r in answerable) / max(1, len(answerable)),
        refused=sum(r["ok"] for r in unanswerable) / max(1, len(unanswerable)),
        ms_per_question=1000 * elapsed / max(1, len(rows)),
        rows=rows,
    )


def explain(encoder: Any, row: dict[str, Any], top: int = 3) -> None:
    """Print the best-scoring sentences with their evidence (for calibrating the thresholds)."""
    from ai.qa import analyse_question, score_sentences, strip_glued_title
    from ai.sentences import split_sentences

    doc = load_docs()[row["doc_id"]]
    q = analyse_question(row["question"])
    sents = strip_glued_title(doc["title"], [s for s in split_sentences(doc["body"]) if s.text.strip()])
    sims = encoder.encode([s.text for s in sents]) @ encoder.encode([q.text])[0]
    scored = score_sentences(q, [s.text for s in sents], sims)
    print(f"       kind={q.kind!r} head={q.head!r} content={q.content} names={q.names}")
    for i in sorted(range(len(sents)), key=lambda i: -scored[i].score)[:top]:
        e = scored[i]
        print(
            f"       {e.score:6.3f} sim={e.similarity:.3f} cov={e.coverage:.2f} names={e.names:.2f} "
            f"typed={e.typed} | {sents[i].text[:110]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", default="/tmp/tidings-models")
    parser.add_argument("--verbose", "-v", action="count", default=0, help="print every question and its answer")
    args = parser.parse_args()

    from stories.embeddings import get_encoder

    encoder = get_encoder(args.cache_dir)
    result = evaluate(encoder)
    if args.verbose:
        for r in result.rows:
            mark = "ok  " if r["ok"] else "MISS"
            print(f"{mark} {'A' if r['answerable'] else 'U'} {r['conf']:.3f} {r['doc_id']:>13} | {r['question']}")
            if r["answered"]:
                print(f"       -> {r['text'][:160]}")
            if not r["ok"] or args.verbose > 1:
                explain(encoder, r)
    n_a = sum(1 for r in result.rows if r["answerable"])
    n_u = len(result.rows) - n_a
    print(f"answerable questions answered with the right sentence: {result.answered_right:.2f} ({n_a} questions)")
    print(f"unanswerable questions refused:                        {result.refused:.2f} ({n_u} questions)")
    print(f"time per question:                                     {result.ms_per_question:.1f} ms")


if __name__ == "__main__":
    main()
