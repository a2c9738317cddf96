"""Warm timing of analysis.ann.DayIndex over the files bench/neighbours.py --approximate built, beside the
in-process brute force over the same vectors (loaded from those files), in the same minute.

Queries: 200 stored vectors plus noise (σ 0.02 per dimension), at their own publication time. Each window is
timed twice over the same queries (first and second pass), then the brute force on the first 100 queries,
with the index's recall@10 against it.

usage: .venv/bin/python bench/scale_neighbours.py [--directory var/bench/neighbours-1000000]
"""

import argparse
import os
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
from analysis.embeddings import _import_onnxruntime  # noqa: E402
from stories.index import VectorIndex  # noqa: E402


def percentiles(ms: list[float]) -> str:
    ms = sorted(ms)
    return f"median {statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--directory", default=str(ROOT / "var" / "bench" / "neighbours-1000000"))
    args = parser.parse_args()
    _import_onnxruntime(ROOT / "var" / "bench")  # before usearch (see analysis.ann)
    index = DayIndex(args.directory)
    days = index.days()
    rng = np.random.default_rng(11)
    queries = []
    for _ in range(200):
        day = index._day(int(rng.choice(days)))
        i = int(rng.integers(len(day.ids)))
        vector = np.asarray(day.vectors[i]) + rng.normal(0, 0.02, day.vectors.shape[1]).astype(np.float32)
        queries.append((vector / np.linalg.norm(vector), float(day.times[i])))
    print(f"{len(index)} vectors in {len(days)} days")
    for hours, k in ((72, 30), (168, 60)):
        for name in ("first pass", "second pass"):
            ms = []
            for vector, t in queries:
                t0 = time.perf_counter()
                index.nearest(vector, around=t, window=hours * 3600, k=k)
                ms.append((time.perf_counter() - t0) * 1000)
            print(f"HNSW files ±{hours} h k={k} {name}: {percentiles(ms)}")
    brute = VectorIndex()
    parts = [index._day(d) for d in days]
    brute._ids = np.concatenate([np.asarray(p.ids) for p in parts])
    brute._times = np.concatenate([np.asarray(p.times) for p in parts])
    brute._matrix = np.concatenate([np.asarray(p.vectors) for p in parts])
    for hours, k in ((72, 30), (168, 60)):
        ms, found = [], 0
        for vector, t in queries[:100]:
            t0 = time.perf_counter()
            exact = brute.nearest(vector, around=datetime.fromtimestamp(t, UTC), window=timedelta(hours=hours), k=k)
            ms.append((time.perf_counter() - t0) * 1000)
            hits = index.nearest(vector, around=t, window=hours * 3600, k=k)
            found += len({h.article_id for h in hits[:10]} & {n.article_id for n in exact[:10]})
        print(f"brute force ±{hours} h k={k}: {percentiles(ms)}; index recall@10 {found / 1000:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
