"""Grounded QA benchmark: does "Ask about this article" cite the right sentence and refuse what the article lacks?

    .venv/bin/python bench/ai_qa.py [--split tuning|heldout|pairs] [--verbose] [--no-old]

Question sets (ai/eval/README.md; the frozen set comes from the qa-set branch):

* ``tuning``: ai/eval/questions-tuning.jsonl plus ai/tests/qa_pairs.jsonl, which joins it. Tune on this only.
* ``heldout``: ai/eval/questions-heldout.jsonl. Scored once per change; only aggregate figures are printed, never
  a question, an answer or a failure (``--verbose`` is refused for it).
* ``pairs``: ai/tests/qa_pairs.jsonl alone (the suite's own 50 ECB+ pairs).

Articles are read from ../shared (the texts the questions were written on). An answerable question is *cited
right* when the engine answers and one of its cited spans overlaps a gold span (for qa_pairs.jsonl, the
occurrence of ``answer_contains`` in the body); *refused* when it says "The article doesn't say.". An unanswerable
question is either refused or *quoting* something. Figures are printed per corpus and overall, for the current
engine and, from the same run, for the word-list engine it replaced (ai/qa.py at OLD_ENGINE_COMMIT, read with
git). Latency is per question: sentence splitting, encoding and scoring, model loading excluded; the machine is
shared, so times are indicative.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EVAL_DIR = REPO / "ai" / "eval"
PAIRS = REPO / "ai" / "tests" / "qa_pairs.jsonl"
SPLITS = {"tuning": EVAL_DIR / "questions-tuning.jsonl", "heldout": EVAL_DIR / "questions-heldout.jsonl"}
# corpus -> (file under ../shared, text field, key field); cnndm articles have no headline.
CORPORA = {
    "ecbplus-dev": ("eval/mirrors/ecbplus-dev/truth.jsonl", "body", "url"),
    "zyte-dev": ("eval/mirrors/zyte-dev/truth.jsonl", "body", "url"),
    "cnndm-dev": ("data/summaries-dev/cnndm-dev.jsonl", "article", "id"),
}
# The word-list engine this benchmark compares against (main before issue 12's rewrite).
OLD_ENGINE_COMMIT = "ca6f7bb"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.old_code import moved_modules_importable  # noqa: E402


@dataclass(frozen=True)
class Case:
    id: str
    corpus: str
    title: str
    body: str
    question: str
    answerable: bool
    gold: tuple[tuple[int, int], ...]


@dataclass
class Tally:
    answerable: int = 0
    cited_right: int = 0
    answerable_refused: int = 0
    unanswerable: int = 0
    unanswerable_refused: int = 0
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)

    def add(self, case: Case, answered: bool, spans: Any, seconds: float, cpu_seconds: float) -> bool:
        self.seconds.append(seconds)
        self.cpu_seconds.append(cpu_seconds)
        if case.answerable:
            self.answerable += 1
            right = answered and any(a < gb and ga < b for a, b in spans for ga, gb in case.gold)
            self.cited_right += right
            self.answerable_refused += not answered
            return right
        self.unanswerable += 1
        self.unanswerable_refused += not answered
        return not answered

    def figures(self) -> dict[str, float]:
        a, u = max(1, self.answerable), max(1, self.unanswerable)
        return {
            "cited_right": self.cited_right / a,
            "answerable_refused": self.answerable_refused / a,
            "unanswerable_refused": self.unanswerable_refused / u,
            "unanswerable_quoting": (self.unanswerable - self.unanswerable_refused) / u,
        }


def load_articles() -> dict[tuple[str, str], dict[str, str]]:
    articles = {}
    for corpus, (relative, text_field, key_field) in CORPORA.items():
        path = SHARED / relative
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            articles[(corpus, row[key_field])] = {"title": row.get("title", ""), "body": row[text_field]}
    return articles


def load_set(path: Path, articles: dict) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        article = articles[(row["corpus"], row["article"])]
        spans = tuple(tuple(s) for s in row["spans"])
        cases.append(
            Case(row["id"], row["corpus"], article["title"], article["body"], row["question"], row["answerable"], spans)
        )
    return cases


def load_pairs(articles: dict, path: Path = PAIRS) -> list[Case]:
    """qa_pairs.jsonl: ECB+ doc ids, and the answer as a substring of the sentence that gives it."""
    by_doc = {}
    for line in (SHARED / CORPORA["ecbplus-dev"][0]).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        by_doc[row["doc_id"]] = row
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        pair = json.loads(line)
        doc = by_doc[pair["doc_id"]]
        gold: tuple[tuple[int, int], ...] = ()
        if pair["answerable"]:
            start = doc["body"].index(pair["answer_contains"])
            gold = ((start, start + len(pair["answer_contains"])),)
        cases.append(
            Case(f"pair-{n}", "qa_pairs", doc["title"], doc["body"], pair["question"], pair["answerable"], gold)
        )
    return cases


def load_cases(split: str) -> list[Case]:
    articles = load_articles()
    if split == "pairs":
        return load_pairs(articles)
    cases = load_set(SPLITS[split], articles)
    if split == "tuning":
        cases += load_pairs(articles)
    return cases


def new_engine(cache_dir: str) -> Callable[[Case], Any]:
    from analysis import qa

    answerer = qa.get_answerer(cache_dir)
    return lambda case: answerer.answer(case.question, case.title, case.body)


def old_engine(cache_dir: str) -> Callable[[Case], Any] | None:
    """ai/qa.py as it was at OLD_ENGINE_COMMIT, loaded from git; None when git or the commit is not there."""
    try:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{OLD_ENGINE_COMMIT}:analysis/qa.py"], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tempfile.NamedTemporaryFile("wb", suffix=".py", delete=False) as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location("qa_word_lists", fh.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    with moved_modules_importable():
        spec.loader.exec_module(module)
    from analysis.embeddings import get_encoder

    encoder = get_encoder(cache_dir)
    return lambda case: module.answer(case.question, case.title, case.body, encoder=encoder)


def evaluate(engine: Callable[[Case], Any], cases: list[Case]) -> tuple[dict[str, Tally], list[dict]]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    rows = []
    for case in cases:
        started, cpu_started = time.perf_counter(), time.process_time()
        result = engine(case)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        ok = False
        for key in (case.corpus, "all"):
            ok = tallies[key].add(case, result.answered, result.spans, seconds, cpu_seconds)
        rows.append({"case": case, "ok": ok, "result": result})
    return tallies, rows


def latency(seconds: list[float]) -> str:
    ms = sorted(1000 * s for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms"


def report(split: str, tallies: dict[str, dict[str, Tally]]) -> None:
    engines = list(tallies)
    print(f"split: {split}")
    header = f"{'corpus':12} {'n(A/U)':>8}  " + "  ".join(
        f"{name + ' ' + m:>22}" for name in engines for m in ("cited", "A-refused", "U-refused", "U-quoting")
    )
    print(header)
    for corpus in sorted(tallies[engines[0]], key=lambda c: (c == "all", c)):
        t0 = tallies[engines[0]][corpus]
        cells = []
        for name in engines:
            f = tallies[name][corpus].figures()
            cells += [f"{f[k]:22.2f}" for k in ("cited_right", "answerable_refused", "unanswerable_refused",
                                                "unanswerable_quoting")]  # fmt: skip
        print(f"{corpus:12} {t0.answerable:>3}/{t0.unanswerable:<4}  " + "  ".join(cells))
    for name in engines:
        tally = tallies[name]["all"]
        print(f"per question, {name}: wall {latency(tally.seconds)}; CPU {latency(tally.cpu_seconds)}")
    print("(wall time waits for the cores whatever else runs; CPU time is what the question itself costs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["tuning", "heldout", "pairs"], default="tuning")
    parser.add_argument("--cache-dir", default="/tmp/tidings-models")
    parser.add_argument("--verbose", "-v", action="store_true", help="every question and answer (not for heldout)")
    parser.add_argument("--no-old", action="store_true", help="skip the old word-list engine")
    args = parser.parse_args()
    if args.verbose and args.split == "heldout":
        parser.error("the held-out half is scored in aggregate only: its questions and failures are never shown")

    cases = load_cases(args.split)
    engines = {"new": new_engine(args.cache_dir)}
    if not args.no_old and (old := old_engine(args.cache_dir)) is not None:
        engines["old"] = old
    tallies = {}
    for name, engine in engines.items():
        engine(cases[0])  # warm-up: model loading is not part of a question's latency
        tallies[name], rows = evaluate(engine, cases)
        if args.verbose and name == "new":
            for row in rows:
                case, result = row["case"], row["result"]
                mark = "ok  " if row["ok"] else "MISS"
                print(
                    f"{mark} {'A' if case.answerable else 'U'} {result.confidence:.3f} {case.id:>10} | {case.question}"
                )
                if result.answered:
                    print(f"       -> {result.text[:200]}")
                if case.answerable and not row["ok"]:
                    print(f"       gold: {' / '.join(case.body[a:b][:200] for a, b in case.gold)}")
    report(args.split, tallies)


if __name__ == "__main__":
    main()
