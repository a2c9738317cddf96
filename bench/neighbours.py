"""Time to find an article's nearest neighbours among 100k and 1M stored articles.

The story stage asks stories.index.VectorIndex for the 30 nearest articles inside a ±72 h window
(and the related stage for 60 within ±7 days). This bench fills the index the way the worker does
(no database: vectors go straight into its matrix) with vectors made from real MiniLM embeddings of
the ecbplus-dev articles plus noise, spread over 30 days, then times queries over the whole window
and over 72 h. Prints median and p95 ms and the memory the matrix holds.

With --approximate it also builds analysis.ann.DayIndex (HNSW per day, files under var/bench/) over the same
vectors and prints, side by side, its median and p95 ms and its recall@10 against the brute force above.

usage: .venv/bin/python bench/neighbours.py [--sizes 100000 1000000] [--queries 200] [--approximate]
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")

import django  # noqa: E402

django.setup()

from analysis.ann import DayIndex  # noqa: E402
from analysis.embeddings import get_encoder  # noqa: E402
from stories.index import VectorIndex  # noqa: E402

TRUTH = ROOT.parent / "shared" / "eval" / "mirrors" / "ecbplus-dev" / "truth.jsonl"
SPREAD = timedelta(days=30)


def base_vectors() -> np.ndarray:
    rows = [json.loads(line) for line in TRUTH.read_text().splitlines()]
    texts = [f"{r['title']}. {' '.join(r['body'].split()[:60])}" for r in rows]
    return get_encoder(Path("/tmp/tidings-models")).encode(texts)


def filled_index(size: int, base: np.ndarray, rng: np.random.Generator) -> tuple[VectorIndex, np.ndarray]:
    picks = base[rng.integers(0, len(base), size)]
    vectors = picks + rng.normal(0, 0.05, picks.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    start = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    times = start + rng.random(size) * SPREAD.total_seconds()
    index = VectorIndex()
    index._ids = np.arange(size, dtype=np.int64)
    index._times = times
    index._matrix = vectors.astype(np.float32)
    return index, times


def timed(index: VectorIndex, queries: np.ndarray, times: np.ndarray, window: timedelta, k: int) -> list[float]:
    out = []
    for vector, t in zip(queries, times, strict=True):
        t0 = time.perf_counter()
        index.nearest(vector, around=datetime.fromtimestamp(t, UTC), window=window, k=k)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def windows(hours: list[int]) -> list[tuple[timedelta, int]]:
    """The story stage asks for 30 within ±72 h, the related stage for 60 within ±7 days."""
    return [(timedelta(hours=h), 60 if h == 168 else 30) for h in hours]


def approximate(index: VectorIndex, times: np.ndarray, queries: np.ndarray, query_times: np.ndarray, size: int,
                reuse: bool, spans: list[tuple[timedelta, int]]):  # fmt: skip
    directory = ROOT / "var" / "bench" / f"neighbours-{size}"
    t0 = time.perf_counter()
    if reuse and directory.exists() and len(DayIndex(directory)) == size:
        built = float("nan")  # files of an earlier run over the same seeded vectors
    else:
        shutil.rmtree(directory, ignore_errors=True)
        DayIndex(directory).add(index._ids, index._matrix, times, threads=0)
        built = time.perf_counter() - t0
    files = sum(p.stat().st_size for p in directory.iterdir()) / 2**20
    reader = DayIndex(directory)  # a fresh reader maps the files, as a worker process would
    for window, k in spans:
        ms, found = [], 0
        for vector, t in zip(queries, query_times, strict=True):
            t1 = time.perf_counter()
            hits = reader.nearest(vector, around=t, window=window.total_seconds(), k=k)
            ms.append((time.perf_counter() - t1) * 1000)
            exact = index.nearest(vector, around=datetime.fromtimestamp(t, UTC), window=window, k=10)
            found += len({h.article_id for h in hits[:10]} & {n.article_id for n in exact})
        ms.sort()
        print(
            f"{size:>9} {window.days * 24 + window.seconds // 3600:>7}h {k:>3} {statistics.median(ms):>10.2f} "
            f"{ms[int(len(ms) * 0.95)]:>8.2f} {files:>10.0f}  HNSW per day (files, mapped), "
            f"recall@10 {found / (10 * len(queries)):.3f}, built in {built:.0f} s",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--approximate", action="store_true", help="also the file-backed HNSW index")
    parser.add_argument("--reuse", action="store_true", help="reuse the HNSW files an earlier run built")
    parser.add_argument("--hours", type=int, nargs="+", default=[72, 168, 720], help="windows (± hours) to time")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    base = base_vectors()
    print(f"{'stored':>9} {'window':>8} {'k':>3} {'median ms':>10} {'p95 ms':>8} {'matrix MB':>10}")
    for size in args.sizes:
        index, times = filled_index(size, base, rng)
        queries = base[rng.integers(0, len(base), args.queries)]
        query_times = times[rng.integers(0, size, args.queries)]
        for window, k in windows(args.hours):
            ms = sorted(timed(index, queries, query_times, window, k))
            print(
                f"{size:>9} {window.days * 24 + window.seconds // 3600:>7}h {k:>3} {statistics.median(ms):>10.1f} "
                f"{ms[int(len(ms) * 0.95)]:>8.1f} {index._matrix.nbytes / 2**20:>10.0f}  brute force",
                flush=True,
            )
        if args.approximate:
            approximate(index, times, queries, query_times, size, args.reuse, windows(args.hours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
