"""Embedding speed, memory and fidelity: our ONNX encoder against sentence-transformers (PyTorch).

    .venv/bin/python bench/embeddings.py [--texts 500] [--cache-dir var/models]

Each configuration runs in its own process, so "peak RSS" is that configuration's alone (the
process's ru_maxrss after loading the model and encoding every text). Texts are ecbplus titles +
the first ~100 words of the body. Wall-clock figures depend on what else the machine is doing, so
texts per CPU-second are printed too, along with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TRUTH = REPO.parent / "shared" / "eval" / "mirrors" / "ecbplus-dev" / "truth.jsonl"


def load_texts(n: int) -> list[str]:
    docs = [json.loads(line) for line in TRUTH.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [d["title"] + "\n\n" + " ".join(d["body"].split()[:100]) for d in docs]
    return [texts[i % len(texts)] for i in range(n)]  # 496 documents: repeat a few for 500


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(kind: str, threads: int, n: int, cache_dir: Path, out: Path) -> dict:
    texts = load_texts(n)
    started = time.perf_counter()
    if kind == "convert":
        from analysis.embeddings import ensure_onnx

        ensure_onnx(cache_dir)
        return {"seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb()}
    if kind == "onnx":
        from analysis.embeddings import Encoder

        encoder = Encoder(cache_dir, threads=threads)
        encode = lambda batch: encoder.encode(batch, batch_size=32)  # noqa: E731
    else:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        from analysis.embeddings import default_model_dir

        torch.set_num_threads(threads)
        model = SentenceTransformer(str(default_model_dir()), device="cpu")
        encode = lambda batch: model.encode(batch, batch_size=32, convert_to_numpy=True)  # noqa: E731
    load_seconds = time.perf_counter() - started
    encode(texts[:32])  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = encode(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    np.save(out, np.asarray(vectors, dtype=np.float32))
    return {
        "load_s": load_seconds,
        "texts_per_s": n / wall,
        "texts_per_cpu_s": n / cpu,
        "rss_mb": peak_rss_mb(),
    }


def spawn(kind: str, threads: int, n: int, cache_dir: Path, out: Path) -> dict | None:
    cmd = [sys.executable, __file__, "--one", kind, "--threads", str(threads), "--texts", str(n)]
    cmd += ["--cache-dir", str(cache_dir), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        print(f"  {kind} (threads={threads}) failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "models")
    parser.add_argument("--one", choices=["convert", "onnx", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.threads, args.texts, args.cache_dir, args.out)))
        return

    print(f"{args.texts} ecbplus texts (title + first 100 words), batch 32; {os.cpu_count()} CPUs")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="tidings-bench-") as tmp:
        tmp_dir = Path(tmp)
        conv = spawn("convert", 1, args.texts, tmp_dir / "fresh", tmp_dir / "unused.npy")
        if conv:
            print(f"conversion safetensors → ONNX: {conv['seconds']:.2f} s, peak RSS {conv['rss_mb']:.0f} MB")
        runs = [("onnx", 1), ("onnx", 2), ("torch", 1), ("torch", 2)]
        results = {}
        print(f"{'engine':<28}{'texts/s':>9}{'per CPU-s':>11}{'peak RSS':>10}{'load':>8}")
        for kind, threads in runs:
            out = tmp_dir / f"{kind}-{threads}.npy"
            result = spawn(kind, threads, args.texts, args.cache_dir, out)
            if result is None:
                continue
            results[(kind, threads)] = np.load(out)
            label = ("ONNX Runtime fp32" if kind == "onnx" else "sentence-transformers") + f", {threads} thr"
            print(
                f"{label:<28}{result['texts_per_s']:>9.1f}{result['texts_per_cpu_s']:>11.1f}"
                f"{result['rss_mb']:>7.0f} MB{result['load_s']:>7.2f}s"
            )
        ours = results.get(("onnx", 1))
        reference = results.get(("torch", 1))
        if ours is not None and reference is not None:
            cosine = (ours * reference).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1))
            diff = 1.0 - cosine
            print(
                f"cosine(ONNX, PyTorch): min {cosine.min():.7f}; 1 − cosine max {diff.max():.2e}, "
                f"mean {diff.mean():.2e}; max |Δ| per component {np.abs(ours - reference).max():.2e}"
            )
        elif reference is None:
            print("sentence-transformers / torch not importable: no PyTorch comparison")


if __name__ == "__main__":
    main()
