"""Faults a deployment meets, during an ingest of ecbplus-dev on PostgreSQL: does anything get lost or doubled?

usage: .venv/bin/python bench/faults.py [--scenario clean kill mirror ...] [--workers 2] [--kills 20] [--seed 7]

Each scenario ingests the mirror into a fresh PostgreSQL database with `tidings worker` processes run by this
script (as systemd would: a worker that dies is started again), then exports and scores the export:

  clean    no faults: the reference
  kill     kill -9 a random worker at random moments (--kills times) while the ingest runs
  mirror   the mirror answers slowly (--slow-ms), fails the first request of some paths (--fail-rate, HTTP 500)
           and cuts some bodies in half (--truncate-rate); feeds are polled again until every feed was read
  pg       PostgreSQL is restarted in the middle of the ingest (pg_ctlcluster restart; stops every other
           client of the server for a few seconds: run it on a quiet machine)

Printed per scenario: articles, articles doubled, bodies equal to the clean run's, story B³ and related P@5
(score.py), how long a killed worker's task stayed running before it was queued again, and the feeds' health
(what the sources page shows). Needs PostgreSQL on 127.0.0.1:5432 (PG_URL to change it).
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"  # ../shared beside the repository
MIRROR = EVAL / "mirrors" / "ecbplus-dev"
TIDINGS = str(ROOT / ".venv" / "bin" / "tidings")
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
IDLE_FOR = 3.0  # seconds with no task waiting or running before the ingest counts as done
GIVE_UP_AFTER = 1800.0


def database(name: str) -> str:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def serve(state: Path, *flags: str) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, str(EVAL / "serve_mirror.py"), str(MIRROR), "--port", "0", "--state-dir", str(state), *flags],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        if (state / "server.json").exists():
            break
        time.sleep(0.1)
    return server, json.loads((state / "server.json").read_text())["base_url"]


def queue_state(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status")
        return dict(rows.fetchall())


def running_tasks_of(url: str, pid: int) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id, worker_ids FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
        ).fetchall()
    return [str(task_id) for task_id, ids in rows if ids and f"-{pid}-" in ids[-1]]


def task_status(url: str, task_id: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s", [task_id]).fetchone()
    return row[0] if row else "GONE"


class Workers:
    """`tidings worker` processes, started again when one dies (as systemd's Restart=always would)."""

    def __init__(self, env: dict, count: int) -> None:
        self.env = env
        self.procs = [self._start() for _ in range(count)]

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen([TIDINGS, "worker"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def keep_alive(self) -> None:
        self.procs = [p if p.poll() is None else self._start() for p in self.procs]

    def kill_one(self, rng: random.Random) -> int:
        victim = rng.choice(self.procs)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        return victim.pid

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=30)


def run(scenario: str, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"faults-{scenario}-"))
    url = database(f"bench_faults_{scenario}")
    data = ROOT / "var" / "bench-faults"  # one data dir: the model is converted once
    data.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DATABASE_URL=url, TIDINGS_DATA_DIR=str(data), TIDINGS_ALLOW_PRIVATE_HOSTS="127.0.0.1")
    flags = []
    if scenario == "mirror":
        flags = ["--slow-ms", str(args.slow_ms), "--fail-rate", str(args.fail_rate),
                 "--truncate-rate", str(args.truncate_rate), "--seed", str(args.seed)]  # fmt: skip
    server, base = serve(work, *flags)
    rng = random.Random(args.seed)
    requeue_waits: list[float] = []
    feed_passes = 0
    try:
        subprocess.run([TIDINGS, "migrate", "--no-input"], env=env, check=True, capture_output=True)
        subprocess.run([TIDINGS, "import-opml", f"{base}/sources.opml"], env=env, check=True, capture_output=True)
        t0 = time.monotonic()
        workers = Workers(env, args.workers)
        watched: dict[str, float] = {}  # task of a killed worker → when its worker died
        kill_at = sorted(rng.uniform(2, args.kill_window) for _ in range(args.kills)) if scenario == "kill" else []
        restarted = scenario != "pg"
        try:
            while True:
                # Poll every feed that has not been read yet, as the scheduler would when they fall due again.
                subprocess.run([TIDINGS, "ingest"], env=env, check=True, capture_output=True)
                feed_passes += 1
                idle_since = None
                while time.monotonic() - t0 < GIVE_UP_AFTER:
                    workers.keep_alive()
                    elapsed = time.monotonic() - t0
                    if kill_at and elapsed >= kill_at[0]:
                        kill_at.pop(0)
                        died = time.monotonic()
                        pid = workers.kill_one(rng)
                        for task_id in running_tasks_of(url, pid):
                            watched[task_id] = died
                    for task_id, died in list(watched.items()):
                        if task_status(url, task_id) != "RUNNING":
                            requeue_waits.append(time.monotonic() - died)
                            del watched[task_id]
                    if not restarted and elapsed > args.restart_after:
                        subprocess.run(["pg_ctlcluster", args.pg_cluster_version, "main", "restart"], check=True)
                        restarted = True
                    counts = queue_state(url)
                    busy = counts.get("READY", 0) + counts.get("RUNNING", 0) or kill_at or watched
                    if busy:
                        idle_since = None
                    elif idle_since is None:
                        idle_since = time.monotonic()
                    elif time.monotonic() - idle_since >= IDLE_FOR:
                        break
                    time.sleep(0.2)
                if scenario != "mirror" or feed_passes >= 5 or not unread_feeds(url):
                    break
                reset_feed_backoff(url)
        finally:
            workers.stop()
        ingest_s = time.monotonic() - t0
        export = work / "export.jsonl"
        with export.open("w") as fh:
            subprocess.run([TIDINGS, "export", "--format", "jsonl"], env=env, check=True, stdout=fh,
                           stderr=subprocess.DEVNULL)  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    report = work / "report.json"
    subprocess.run([sys.executable, str(EVAL / "score.py"), "ecbplus", "--truth", str(MIRROR / "truth.jsonl"),
                    "--system", str(export), "--json", str(report), "--base-url", base],
                   check=True, capture_output=True)  # fmt: skip
    scores = json.loads(report.read_text())
    rows = [json.loads(line) for line in export.read_text().splitlines()]
    return {
        "rows": rows, "base": base, "ingest_s": ingest_s, "scores": scores, "requeue_waits": requeue_waits,
        "failed_tasks": queue_state(url).get("FAILED", 0), "feed_passes": feed_passes, "health": feed_health(url),
    }  # fmt: skip


def unread_feeds(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM sources_feed WHERE last_success_at IS NULL").fetchone()[0]


def reset_feed_backoff(url: str) -> None:
    """The feeds that failed wait out their backoff at once (the bench cannot wait minutes)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE sources_feed SET next_check_at = now(), error_count = 0 WHERE last_success_at IS NULL")


def feed_health(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT health, count(*) FROM sources_feed GROUP BY health").fetchall())


def compare(clean: dict, other: dict) -> dict:
    def by_path(result):
        return {row["url"].replace(result["base"], ""): row for row in result["rows"]}

    reference, seen = by_path(clean), by_path(other)
    doubled = sum(n - 1 for n in Counter(r["url"] for r in other["rows"]).values() if n > 1)
    same_body = sum(
        1 for path, row in seen.items() if path in reference and reference[path]["body_text"] == row["body_text"]
    )
    return {"missing": len(set(reference) - set(seen)), "extra": len(set(seen) - set(reference)),
            "doubled": doubled, "same_body": same_body}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--scenario", nargs="+", default=["clean", "kill", "mirror"], choices=["clean", "kill", "mirror", "pg"]
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--kill-window", type=float, default=60.0, help="seconds over which the kills are spread")
    ap.add_argument("--slow-ms", type=int, default=200)
    ap.add_argument("--fail-rate", type=float, default=0.1)
    ap.add_argument("--truncate-rate", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pg-cluster-version", default="15")
    ap.add_argument("--restart-after", type=float, default=8.0, help="pg: seconds into the ingest")
    args = ap.parse_args()
    scenarios = list(dict.fromkeys(["clean", *args.scenario]))
    results = {name: run(name, args) for name in scenarios}
    print(f"{'scenario':<9} {'articles':>8} {'missing':>7} {'extra':>5} {'doubled':>7} {'same body':>9} "
          f"{'B3 F1':>6} {'P@5':>6} {'failed':>6} {'requeued within (s)':>19} {'s':>6}  feeds")  # fmt: skip
    for name, result in results.items():
        diff = compare(results["clean"], result)
        clustering = result["scores"]["clustering"]["bcubed"]
        related = result["scores"]["related"]
        waits = result["requeue_waits"]
        within = f"{len(waits)} tasks, max {max(waits):.0f}" if waits else "-"
        print(f"{name:<9} {len(result['rows']):>8} {diff['missing']:>7} {diff['extra']:>5} {diff['doubled']:>7} "
              f"{diff['same_body']:>9} {clustering['f1']:>6.3f} {related['p@5']:>6.3f} "
              f"{result['failed_tasks']:>6} {within:>19} {result['ingest_s']:>6.0f}  {result['health']}")  # fmt: skip


if __name__ == "__main__":
    main()
