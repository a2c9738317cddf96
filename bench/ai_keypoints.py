"""Key points cost at ingest, token-embedding vectors vs the full encoder, side by side on ecbplus-dev.

    .venv/bin/python bench/ai_keypoints.py [--mirror PATH] [--limit N] [--batch N] [--no-full]

In one process, over the same bodies, CPU time (time.process_time) and wall time per article of:

* digest_many with the ingest encoder (``TokenEmbeddingEncoder``: SIF-weighted word-piece vectors),
  whole and its encoder calls alone;
* digest_many with the full all-MiniLM-L6-v2 ``Encoder`` (the reference), whole and encoder alone;
* the clustering embedding ingest already pays (title + lead, one text through the full encoder),
  as a measured yardstick for the rest of ingest;

then the agreement of the two selections (mean Jaccard of the chosen key point / summary sentence
sets, share of identical sets; since issue 12 the summary is the article's lead and needs no vectors,
so the two agree on it except where a lead sentence repeats an earlier one), the share of items
passing the project's grounding check, and the key points' CPU cost as a percentage of ingest
(~40 ms/article CPU without key points on the 2-core dev machine: extraction 10–20, clustering
embedding 15–25, clustering + related ~5, DB ~5).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.embeddings import get_encoder, get_token_encoder
from analysis.keypoints import digest_many

WORD = re.compile(r"\w+")
INGEST_MS = 40.0  # CPU ms/article of ingest without key points (see the module doc)
INGEST_MS_LOW = 35.0  # the sum of the components' lower bounds: the worst case for the percentage


class Timed:
    """Wraps an encoder and accumulates the wall and CPU time spent in encode()."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.wall = self.cpu = 0.0
        self.texts = 0

    def encode(self, texts):
        wall, cpu = time.perf_counter(), time.process_time()
        vectors = self.encoder.encode(texts)
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        self.texts += len(texts)
        return vectors


def run(items, encoder, batch):
    timed = Timed(encoder)
    wall, cpu = time.perf_counter(), time.process_time()
    results = []
    for i in range(0, len(items), batch):
        results += digest_many(items[i : i + batch], encoder=timed)
    return results, time.perf_counter() - wall, time.process_time() - cpu, timed


def grounded_share(items, results) -> tuple[int, int]:
    checked = grounded = 0
    for (_, body), result in zip(items, results, strict=True):
        for item in result.key_points + result.summary:
            checked += 1
            cited = " ".join(body[a:b] for a, b in item.spans if 0 <= a < b <= len(body))
            words = [w.lower() for w in WORD.findall(item.text)]
            have = {w.lower() for w in WORD.findall(cited)}
            grounded += bool(words and cited and sum(w in have for w in words) / len(words) >= 0.8)
    return grounded, checked


def agreement(a, b, which: str) -> tuple[float, float]:
    scores = []
    for x, y in zip(a, b, strict=True):
        s = {g.spans[0] for g in getattr(x, which)}
        t = {g.spans[0] for g in getattr(y, which)}
        if s or t:
            scores.append(len(s & t) / len(s | t))
    return float(np.mean(scores)), float(np.mean([j == 1.0 for j in scores]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", default="/work/shared/eval/mirrors/ecbplus-dev/truth.jsonl")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--batch", type=int, default=16, help="articles per digest_many call")
    parser.add_argument("--cache-dir", default="/tmp/tidings-models")
    parser.add_argument("--no-full", action="store_true", help="skip the full encoder (~1 min)")
    args = parser.parse_args()
    with open(args.mirror) as fh:
        rows = [json.loads(line) for line in fh]
    rows = rows[: args.limit] if args.limit else rows
    items = [(r["title"], r["body"]) for r in rows]
    n = len(items)

    def ms(seconds: float) -> str:
        return f"{1000 * seconds / n:8.2f}"

    token = get_token_encoder()
    token.encode(["warm up"])
    digests = {"token": run(items, token, args.batch)}
    if not args.no_full:
        full = get_encoder(args.cache_dir)
        full.encode(["warm up"])
        digests["full"] = run(items, full, args.batch)
        # The clustering embedding ingest already computes: title + lead (~90 tokens) through the full encoder.
        leads = [f"{title}\n\n{' '.join((body or '').split()[:70])}" for title, body in items]
        cluster = Timed(full)
        for i in range(0, n, args.batch):
            cluster.encode(leads[i : i + args.batch])

    print(f"articles {n}, batch {args.batch}")
    print("                                   wall ms/article   cpu ms/article   texts/article")
    for name, (_, wall, cpu, timed) in digests.items():
        label = "token vectors (ingest)" if name == "token" else "full encoder (reference)"
        print(f"digest, {label:26s} {ms(wall)}          {ms(cpu)}       {timed.texts / n:5.1f}")
        print(f"  of which encoder calls           {ms(timed.wall)}          {ms(timed.cpu)}")
    if "full" in digests:
        print(f"clustering embedding (yardstick)   {ms(cluster.wall)}          {ms(cluster.cpu)}       1.0")

    for name, (results, _, cpu, _) in digests.items():
        cpu_ms = 1000 * cpu / n
        grounded, checked = grounded_share(items, results)
        points = sum(len(r.key_points) for r in results) / n
        summary = sum(len(r.summary) for r in results) / n
        print(
            f"{name:5s}: +{100 * cpu_ms / INGEST_MS:.1f}% of ingest (~{INGEST_MS:.0f} ms/article cpu), "
            f"+{100 * cpu_ms / INGEST_MS_LOW:.1f}% worst case ({INGEST_MS_LOW:.0f} ms); "
            f"key points {points:.2f}/article, summary {summary:.2f}/article, "
            f"grounded {grounded}/{checked} = {grounded / max(checked, 1):.1%}"
        )
    if "full" in digests:
        token_results, full_results = digests["token"][0], digests["full"][0]
        for which in ("key_points", "summary"):
            mean, same = agreement(full_results, token_results, which)
            print(f"agreement token vs full, {which:10s}: mean Jaccard {mean:.3f}, identical sets {same:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
