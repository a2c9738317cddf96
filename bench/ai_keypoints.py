"""Key points cost at ingest: ms/article for digest with and without the encoder, on the ecbplus-dev bodies.

    .venv/bin/python bench/ai_keypoints.py [--mirror PATH] [--limit N] [--batch N]

Prints wall and CPU milliseconds per article for: sentence splitting + selection alone (the encoder
replaced by a precomputed lookup), the encoder call alone, and the whole digest_many; the encoder's
share; and the share of the project's grounding check (run_e2e.py grounding()) met by the output.
Ingest without key points is ~40 ms/article CPU on the 2-core dev machine: compare against that.
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

from ai.keypoints import digest_many
from stories.embeddings import get_encoder

WORD = re.compile(r"\w+")


class Recorder:
    """Wraps the encoder: times it, and remembers vectors so a second pass measures selection alone."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.cache: dict[str, np.ndarray] = {}
        self.wall = self.cpu = 0.0
        self.texts = 0

    def encode(self, texts):
        wall, cpu = time.perf_counter(), time.process_time()
        vectors = self.encoder.encode(texts)
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        self.texts += len(texts)
        self.cache.update(zip(texts, vectors, strict=True))
        return vectors


class Replay:
    def __init__(self, cache):
        self.cache = cache

    def encode(self, texts):
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", default="/work/shared/eval/mirrors/ecbplus-dev/truth.jsonl")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--batch", type=int, default=16, help="articles per digest_many call")
    parser.add_argument("--cache-dir", default="/tmp/tidings-models")
    args = parser.parse_args()
    with open(args.mirror) as fh:
        rows = [json.loads(line) for line in fh]
    rows = rows[: args.limit] if args.limit else rows
    items = [(r["title"], r["body"]) for r in rows]
    n = len(items)

    recorder = Recorder(get_encoder(args.cache_dir))
    recorder.encode(["warm up"])
    recorder.wall = recorder.cpu = 0.0
    recorder.texts = 0
    wall, cpu = time.perf_counter(), time.process_time()
    results = []
    for i in range(0, n, args.batch):
        results += digest_many(items[i : i + args.batch], encoder=recorder)
    total_wall, total_cpu = time.perf_counter() - wall, time.process_time() - cpu

    replay = Replay(recorder.cache)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, n, args.batch):
        digest_many(items[i : i + args.batch], encoder=replay)
    select_wall, select_cpu = time.perf_counter() - wall, time.process_time() - cpu

    checked = grounded = 0
    for (_, body), result in zip(items, results, strict=True):
        for item in result.key_points + result.summary:
            checked += 1
            cited = " ".join(body[a:b] for a, b in item.spans if 0 <= a < b <= len(body))
            words = [w.lower() for w in WORD.findall(item.text)]
            have = {w.lower() for w in WORD.findall(cited)}
            grounded += bool(words and cited and sum(w in have for w in words) / len(words) >= 0.8)

    def ms(seconds: float) -> str:
        return f"{1000 * seconds / n:7.2f}"

    print(f"articles {n}, batch {args.batch}, encoded texts {recorder.texts} ({recorder.texts / n:.1f}/article)")
    print("                        wall ms/article   cpu ms/article")
    print(f"digest (all)            {ms(total_wall)}           {ms(total_cpu)}")
    print(f"  encoder call          {ms(recorder.wall)}           {ms(recorder.cpu)}")
    print(f"  without the encoder   {ms(select_wall)}           {ms(select_cpu)}")
    print(
        f"encoder share           {recorder.wall / total_wall:.0%} wall, {recorder.cpu / max(total_cpu, 1e-9):.0%} cpu"
    )
    print(f"vs ingest ~40 ms/article cpu: +{100 * total_cpu / n / 0.040:.0f}%")
    points = sum(len(r.key_points) for r in results) / n
    summary = sum(len(r.summary) for r in results) / n
    print(f"key points {points:.2f}/article, summary {summary:.2f}/article")
    print(f"grounded items {grounded}/{checked} = {grounded / max(checked, 1):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
