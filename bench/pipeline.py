"""Quality and speed of the whole pipeline on the evaluation mirrors, side by side with trafilatura.

For each mirror: serve it on 127.0.0.1, run `tidings migrate / import-opml / ingest --until-idle /
export` against a fresh SQLite data folder (twice: with TIDINGS_STORIES=off, the foundation alone —
fetch, parse, extract, sanitize, store — and with every stage), score the export with score.py, and record wall clock,
articles per second, the CPU seconds of the ingest's process tree (user + system, workers included:
on a shared machine a steadier figure than the wall clock) and the peak memory of the ingest (the sum of
PSS over its process tree, so pages the forked workers share with their parent count once; sampled every
50 ms). Then run
trafilatura alone (default settings) over the same page files and score that too. Prints one table;
`--json FILE` keeps the figures.

usage: .venv/bin/python bench/pipeline.py [zyte-dev ecbplus-dev ...] [--json FILE] [--skip-foundation]
"""

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
TIDINGS = ROOT / ".venv" / "bin" / "tidings"


def _pss_bytes(pid: int) -> int:
    """Proportional set size: shared pages (forked workers share the parent's) counted once overall."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def tree_memory_bytes(pid: int) -> int:
    """PSS of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        with contextlib.suppress(OSError):  # the process ended between the listing and the read
            total += _pss_bytes(p)
        stack.extend(children.get(p, []))
    return total


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(cmd: list[str], env: dict) -> tuple[float, int, float]:
    """Wall-clock seconds, peak tree PSS and CPU seconds (user + system of it and its reaped descendants)."""
    peak = 0
    cpu_before = _children_cpu_seconds()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_memory_bytes(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    cpu = _children_cpu_seconds() - cpu_before
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-2000:]}")
    return elapsed, peak, cpu


def bench_pipeline(mirror: str, *, stories: bool = True) -> dict:
    folder = EVAL / "mirrors" / mirror
    manifest = json.loads((folder / "manifest.json").read_text())
    work = Path(tempfile.mkdtemp(prefix=f"bench-{mirror}-"))
    (work / "state").mkdir()
    server = subprocess.Popen(
        [sys.executable, str(EVAL / "serve_mirror.py"), str(folder), "--port", "0", "--state-dir", str(work / "state")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            if (work / "state" / "server.json").exists():
                break
            time.sleep(0.1)
        base = json.loads((work / "state" / "server.json").read_text())["base_url"]
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{work}/tidings.sqlite3", TIDINGS_DATA_DIR=str(work / "var"),
                   TIDINGS_ALLOW_PRIVATE_HOSTS="127.0.0.1", TIDINGS_STORIES="on" if stories else "off")  # fmt: skip
        subprocess.run([str(TIDINGS), "migrate", "--no-input"], env=env, check=True, capture_output=True)
        subprocess.run([str(TIDINGS), "import-opml", f"{base}/sources.opml"], env=env, check=True, capture_output=True)
        seconds, peak, cpu = run_measured([str(TIDINGS), "ingest", "--until-idle", "--progress", "never"], env)
        export = work / "export.jsonl"
        subprocess.run([str(TIDINGS), "export", "--format", "jsonl", "--output", str(export)], env=env, check=True,
                       capture_output=True)  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    report = score(manifest["dataset"], folder, export, base)
    n = len(export.read_text().splitlines())
    return {"report": report, "articles": n, "seconds": seconds, "articles_per_s": n / seconds,
            "peak_mb": peak / 2**20, "cpu_seconds": cpu, "cpu_ms_per_article": 1000 * cpu / n}  # fmt: skip


def score(dataset: str, folder: Path, export: Path, base: str) -> dict:
    out = export.with_suffix(".report.json")
    subprocess.run(
        [sys.executable, str(EVAL / "score.py"), dataset, "--truth", str(folder / "truth.jsonl"), "--system",
         str(export), "--json", str(out), "--base-url", base],
        check=True, capture_output=True,
    )  # fmt: skip
    return json.loads(out.read_text())


def bench_trafilatura(mirror: str) -> dict:
    """trafilatura.extract with default settings on the mirror's page files, scored the same way."""
    import trafilatura

    folder = EVAL / "mirrors" / mirror
    manifest = json.loads((folder / "manifest.json").read_text())
    base = "http://127.0.0.1:1"
    rows, elapsed, cpu = [], 0.0, 0.0
    for line in (folder / "truth.jsonl").read_text().splitlines():
        truth = json.loads(line)
        path = folder / "site" / truth["url"].replace("{{BASE}}/", "")
        html = path.read_text(errors="replace").replace("{{BASE}}", base)
        t0, c0 = time.perf_counter(), time.process_time()
        text = trafilatura.extract(html, url=truth["url"].replace("{{BASE}}", base)) or ""
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        rows.append({"url": truth["url"].replace("{{BASE}}", base), "title": truth.get("title", ""),
                     "body_text": text, "published": truth.get("published")})  # fmt: skip
    export = Path(tempfile.mkdtemp(prefix="bench-traf-")) / "export.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {"report": score(manifest["dataset"], folder, export, base), "seconds": elapsed,
            "articles_per_s": len(rows) / elapsed, "cpu_seconds": cpu,
            "cpu_ms_per_article": 1000 * cpu / len(rows)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mirrors", nargs="*", default=["zyte-dev", "ecbplus-dev"])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-foundation", action="store_true", help="only the whole pipeline and trafilatura")
    args = parser.parse_args()
    results = {}
    print(f"{'mirror':<12} {'system':<22} {'body P':>7} {'body R':>7} {'body F1':>8} {'cover':>6} "
          f"{'art/s':>7} {'wall s':>7} {'peak MB':>8} {'cpu ms/art':>10} {'vs traf':>7}")  # fmt: skip
    for mirror in args.mirrors:
        foundation = None if args.skip_foundation else bench_pipeline(mirror, stories=False)
        ours = bench_pipeline(mirror)
        alone = bench_trafilatura(mirror)
        results[mirror] = {"foundation": foundation, "tidings": ours, "trafilatura": alone}
        rows = (("fetch+extract+store", foundation), ("whole pipeline", ours), ("trafilatura alone", alone))
        rows = tuple((name, r) for name, r in rows if r is not None)
        for name, r in rows:
            body = r["report"].get("body", {})
            ratio = r["articles_per_s"] / alone["articles_per_s"]  # the same pages, the same run
            print(
                f"{mirror:<12} {name:<22} {body.get('precision', 0):>7.3f} {body.get('recall', 0):>7.3f} "
                f"{body.get('f1', 0):>8.3f} {r['report'].get('coverage', 0):>6.3f} {r['articles_per_s']:>7.1f} "
                f"{r['seconds']:>7.1f} {r.get('peak_mb', 0):>8.0f} {r['cpu_ms_per_article']:>10.1f} {ratio:>7.3f}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
