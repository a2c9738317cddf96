"""Story clustering and related articles on the gold text of the eval mirrors (no server, no Django).

Builds ArticleSignals for every article of a mirror (Encoder over embedding_text + text_features),
then plays the articles ONLINE one at a time in an arrival order (shuffled with a fixed seed, or by
published time): neighbours are the top-K most cosine-similar earlier arrivals published within
LOOKBACK, assign_story decides, and every 50 arrivals consolidate() re-draws the stories over the
links kept so far (as ingest does after each batch; the row "arrival order only" skips it). At the
end every article gets a related list (related.rank over its top-K candidates). Writes an
export-style JSONL and scores it with ../shared/eval/score.py, next to the baseline "embeddings
alone, single pass" (join the story of the nearest earlier arrival when its
cosine reaches a threshold; the best threshold of a sweep is reported).

    .venv/bin/python bench/stories_offline.py                      # both mirrors, both orders
    .venv/bin/python bench/stories_offline.py --mirror ecbplus-dev --order shuffled --sweep
    .venv/bin/python bench/stories_offline.py --fit               # refit the logistic weights

Vectors are cached per mirror and embedding text in --vector-cache (the encoder is the slow part).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import clustering, related  # noqa: E402
from analysis.clustering import ArticleSignals, Neighbour, assign_story, make_signals  # noqa: E402
from analysis.related import RelatedCandidate  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
MIRRORS = {"ecbplus-dev": "ecbplus", "uci-dev": "uci"}
BASE = "http://127.0.0.1:9"


@dataclass
class Corpus:
    name: str
    rows: list[dict]
    signals: list[ArticleSignals]
    matrix: np.ndarray  # (n, 384) unit vectors
    stamps: np.ndarray  # published, epoch seconds


def load_rows(mirror: str) -> list[dict]:
    path = EVAL / "mirrors" / mirror / "truth.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def body_of(row: dict) -> str:
    return row.get("body") or row["title"]  # uci: headline only


def encode(texts: list[str], cache_dir: Path, vector_cache: Path) -> np.ndarray:
    key = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()[:16]
    path = vector_cache / f"{key}.npy"
    if path.exists():
        return np.load(path)
    from analysis.embeddings import get_encoder

    vectors = get_encoder(cache_dir).encode(texts)
    vector_cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def build_corpus(
    mirror: str, *, cache_dir: Path, vector_cache: Path, lead_words: int = clustering.EMBEDDING_LEAD_WORDS
) -> Corpus:
    rows = load_rows(mirror)
    texts = [clustering.embedding_text(r["title"], body_of(r), lead_words=lead_words) for r in rows]
    matrix = encode(texts, cache_dir, vector_cache).astype(np.float32)
    publishers: dict[str, int] = {}
    signals = []
    for i, r in enumerate(rows):
        signals.append(
            make_signals(
                article_id=i,
                publisher_id=publishers.setdefault(r["publisher"], len(publishers)),
                published=datetime.fromisoformat(r["published"].replace("Z", "+00:00")),
                title=r["title"],
                body=body_of(r),
                vector=matrix[i],
            )
        )
    stamps = np.array([s.published.timestamp() for s in signals])
    return Corpus(mirror, rows, signals, matrix, stamps)


def arrival_order(corpus: Corpus, order: str, seed: int = 13) -> list[int]:
    idx = list(range(len(corpus.rows)))
    if order == "published":
        return sorted(idx, key=lambda i: (corpus.stamps[i], i))
    random.Random(seed).shuffle(idx)
    return idx


def nearest(corpus: Corpus, i: int, pool: np.ndarray, k: int) -> np.ndarray:
    """Indices (into the corpus) of the top-k cosine neighbours of i among pool, within LOOKBACK."""
    if len(pool) == 0:
        return pool
    window = clustering.LOOKBACK.total_seconds()
    pool = pool[np.abs(corpus.stamps[pool] - corpus.stamps[i]) <= window]
    if len(pool) == 0:
        return pool
    sims = corpus.matrix[pool] @ corpus.matrix[i]
    top = np.argsort(-sims)[:k]
    return pool[top]


def run_online(
    corpus: Corpus, order: Sequence[int], *, k: int, threshold: float, weights: dict, consolidate_every: int = 50
) -> tuple[list, float]:
    """Stories as ingest builds them: assign_story per arrival, then consolidate() every
    ``consolidate_every`` arrivals (ingest consolidates after each batch) and at the end; 0: never."""
    story_of: list[int | None] = [None] * len(corpus.rows)
    arrived = np.empty(0, dtype=np.int64)
    links: list[tuple[int, int, float]] = []
    next_story, spent = 0, 0.0
    for n, i in enumerate(order, start=1):
        near = nearest(corpus, i, arrived, k)
        t0 = time.perf_counter()
        neighbours = [Neighbour(corpus.signals[j], story_of[j]) for j in near]
        decision = assign_story(corpus.signals[i], neighbours, threshold=threshold, weights=weights)
        spent += time.perf_counter() - t0
        links += [(i, j, score) for j, score in decision.links]
        if decision.story_id is None:
            story_of[i], next_story = next_story, next_story + 1
        else:
            story_of[i] = decision.story_id
        arrived = np.append(arrived, i)
        if consolidate_every and (n % consolidate_every == 0 or n == len(order)):
            t0 = time.perf_counter()
            moves = clustering.consolidate({a: story_of[a] for a in arrived.tolist()}, links)
            spent += time.perf_counter() - t0
            for a, story in moves.items():
                story_of[a] = story if story >= 0 else next_story - story  # -1, -2 … → fresh ids
            next_story += len(moves) + 1
    return story_of, spent


def run_baseline(corpus: Corpus, order: Sequence[int], *, k: int, threshold: float) -> list:
    """Embeddings alone, single pass: join the nearest earlier arrival's story if cosine ≥ threshold."""
    story_of: list[int | None] = [None] * len(corpus.rows)
    arrived = np.empty(0, dtype=np.int64)
    next_story = 0
    for i in order:
        near = nearest(corpus, i, arrived, k)
        if len(near) and float(corpus.matrix[near[0]] @ corpus.matrix[i]) >= threshold:
            story_of[i] = story_of[near[0]]
        else:
            story_of[i], next_story = next_story, next_story + 1
        arrived = np.append(arrived, i)
    return story_of


def related_lists(corpus: Corpus, story_of: list, *, k: int, baseline: bool = False) -> tuple[list[list[int]], float]:
    everyone = np.arange(len(corpus.rows))
    out, spent = [], 0.0
    for i in everyone:
        near = [j for j in nearest(corpus, i, everyone, k + 1) if j != i]
        if baseline:
            out.append(near[:8])
            continue
        t0 = time.perf_counter()
        cands = [
            RelatedCandidate(corpus.signals[j], story_of[j], frozenset(), corpus.rows[j]["publisher"]) for j in near
        ]
        items = related.rank(corpus.signals[i], story_of[i], frozenset(), cands, k=8)
        spent += time.perf_counter() - t0
        out.append([it.article_id for it in items])
    return out, spent


def quick_scores(corpus: Corpus, story_of: list, lists: list[list[int]]) -> dict[str, float]:
    """B³ and P@5 exactly as score.py computes them (for sweeps; the report uses score.py itself)."""
    gold = [r["cluster"] for r in corpus.rows]
    members_g, members_p = defaultdict(set), defaultdict(set)
    for i, (g, p) in enumerate(zip(gold, story_of, strict=True)):
        members_g[g].add(i)
        members_p[p].add(i)
    ps = [len(members_g[g] & members_p[p]) / len(members_p[p]) for g, p in zip(gold, story_of, strict=True)]
    rs = [len(members_g[g] & members_p[p]) / len(members_g[g]) for g, p in zip(gold, story_of, strict=True)]
    p, r = sum(ps) / len(ps), sum(rs) / len(rs)
    eligible = [i for i in range(len(gold)) if len(members_g[gold[i]]) >= 2]
    p5 = sum(sum(gold[j] == gold[i] for j in lists[i][:5]) / 5 for i in eligible) / len(eligible)
    return {"b3_p": p, "b3_r": r, "b3_f1": 2 * p * r / (p + r), "p@5": p5}


def score_with_eval(corpus: Corpus, story_of: list, lists: list[list[int]]) -> dict[str, float]:
    def url(i: int) -> str:
        return corpus.rows[i]["url"].replace("{{BASE}}", BASE)

    with tempfile.TemporaryDirectory() as tmp:
        export, report = Path(tmp) / "export.jsonl", Path(tmp) / "report.json"
        with export.open("w") as fh:
            for i, _row in enumerate(corpus.rows):
                fh.write(
                    json.dumps({"url": url(i), "story_id": str(story_of[i]), "related": [url(j) for j in lists[i]]})
                )
                fh.write("\n")
        truth = EVAL / "mirrors" / corpus.name / "truth.jsonl"
        cmd = [sys.executable, str(EVAL / "score.py"), MIRRORS[corpus.name], "--truth", str(truth)]
        cmd += ["--system", str(export), "--base-url", BASE, "--json", str(report), "--bootstrap", "0"]
        subprocess.run(cmd, check=True, capture_output=True)
        rep = json.loads(report.read_text())
    bc = rep["clustering"]["bcubed"]
    return {"b3_p": bc["precision"], "b3_r": bc["recall"], "b3_f1": bc["f1"], "p@5": rep["related"]["p@5"]}


def fit(corpora: list[Corpus], *, k: int, short: bool) -> dict[str, float]:
    """Logistic regression (plain gradient descent) on neighbour pairs: same gold cluster or not.

    ``short``: fit on the pairs where either side is short (SHORT_WEIGHTS), else on the others (WEIGHTS).
    """
    xs, ys, ws = [], [], []
    for corpus in corpora:
        everyone = np.arange(len(corpus.rows))
        rows = []
        for i in everyone:
            for j in nearest(corpus, i, everyone[everyone < i], k):
                if (corpus.signals[i].short or corpus.signals[j].short) != short:
                    continue
                f = clustering.pair_features(corpus.signals[i], corpus.signals[j])
                rows.append((list(f.values()), corpus.rows[i]["cluster"] == corpus.rows[j]["cluster"]))
        if not rows:
            continue
        names = list(f.keys())
        for x, y in rows:
            xs.append(x)
            ys.append(float(y))
            ws.append(1.0 / len(rows))  # each mirror weighs the same
    x, y, w = np.array(xs), np.array(ys), np.array(ws)
    x1 = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(x1.shape[1])
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(x1 @ beta)))
        grad = x1.T @ ((p - y) * w) / w.sum() + 1e-4 * np.r_[0, beta[1:]]
        beta -= 2.0 * grad
    return dict(zip(["bias", *names], (round(float(b), 2) for b in beta), strict=True))


def fmt(s: dict[str, float]) -> str:
    return f"{s['b3_p']:6.3f} {s['b3_r']:6.3f} {s['b3_f1']:6.3f} {s['p@5']:6.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirror", choices=sorted(MIRRORS), action="append")
    ap.add_argument("--order", choices=["shuffled", "published"], action="append")
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threshold", type=float, default=clustering.JOIN_THRESHOLD)
    ap.add_argument("--baseline-thresholds", default="0.5,0.55,0.6,0.65,0.7,0.75")
    ap.add_argument("--sweep", action="store_true", help="also sweep JOIN_THRESHOLD (quick scorer)")
    ap.add_argument("--fit", action="store_true", help="print refitted logistic weights and exit")
    ap.add_argument("--lead-words", type=int, default=clustering.EMBEDDING_LEAD_WORDS)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/tidings-models"))
    ap.add_argument("--vector-cache", type=Path, default=Path("/tmp/tidings-bench-vectors"))
    args = ap.parse_args(argv)
    mirrors = args.mirror or list(MIRRORS)
    orders = args.order or ["shuffled", "published"]
    corpora = [
        build_corpus(m, cache_dir=args.cache_dir, vector_cache=args.vector_cache, lead_words=args.lead_words)
        for m in mirrors
    ]
    if args.fit:
        print("WEIGHTS      ", json.dumps(fit(corpora, k=args.k, short=False)))
        print("SHORT_WEIGHTS", json.dumps(fit(corpora, k=args.k, short=True)))
        return 0
    print(f"{'mirror':12} {'order':9} {'system':28} {'B3 P':>6} {'B3 R':>6} {'B3 F1':>6} {'P@5':>6}  ms/article")
    for corpus in corpora:
        for order_name in orders:
            order = arrival_order(corpus, order_name, args.seed)
            best = None
            for t in (float(x) for x in args.baseline_thresholds.split(",")):
                stories = run_baseline(corpus, order, k=args.k, threshold=t)
                lists, _ = related_lists(corpus, stories, k=8, baseline=True)
                s = quick_scores(corpus, stories, lists)
                if best is None or s["b3_f1"] > best[0]["b3_f1"]:
                    best = (s, t, stories, lists)
            s = score_with_eval(corpus, best[2], best[3])
            label = f"embeddings alone (cos≥{best[1]:.2f})"
            print(f"{corpus.name:12} {order_name:9} {label:28} {fmt(s)}")
            if args.sweep:
                for t in (0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
                    stories, _ = run_online(corpus, order, k=args.k, threshold=t, weights=None)
                    s = quick_scores(corpus, stories, related_lists(corpus, stories, k=args.k)[0])
                    print(f"{'':22} sweep t={t:.2f}{'':15} {fmt(s)}")
            for every, label in ((0, "tidings, arrival order only"), (50, f"tidings (t={args.threshold:.2f})")):
                stories, spent_assign = run_online(
                    corpus, order, k=args.k, threshold=args.threshold, weights=None, consolidate_every=every
                )
                lists, spent_rank = related_lists(corpus, stories, k=args.k)
                s = score_with_eval(corpus, stories, lists)
                ms = 1000 * (spent_assign + spent_rank) / len(corpus.rows)
                print(f"{corpus.name:12} {order_name:9} {label:28} {fmt(s)}  {ms:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
