"""Comments under load: N concurrent signed-in readers posting through the JSON path against `tidings run`.

    .venv/bin/python bench/comments_load.py [--readers 200] [--seconds 60] [--pause 0.5] [--articles 3] [--keep]

What it does, all on loopback and in a scratch directory (removed afterwards unless --keep):

1. a fresh SQLite database and data dir (DATABASE_URL, TIDINGS_DATA_DIR, TIDINGS_ALLOWED_HOSTS=127.0.0.1),
   `tidings migrate`, then readers and a few READY articles written by this script in a Django subprocess;
2. `tidings run --bind 127.0.0.1:<free port>`: what an operator starts (gunicorn with its default workers
   and threads, plus the scheduler and the background workers sharing the same SQLite file), so the
   figures include the writers a real site has; `tidings web` would serve the same views without them;
3. every reader signs in through the sign-in form (CSRF token from the cookie), with httpx;
4. exactly N clients (asyncio, one httpx.AsyncClient each, its own session) post for the given seconds,
   each comment a unique text, through the JSON path (X-Requested-With, X-CSRFToken), with a pause
   of `pause` ± 50% between posts; requests still in flight at the deadline are awaited, not cancelled;
5. the server is stopped and the database is read back: every 201's id holds exactly its text and author,
   each text is stored once, nothing is stored that was not acknowledged (per reader: stored == accepted),
   every other answer is 429 or 400 with a JSON {"error": "<sentence>"}, and there is no 5xx or transport error.

All clients share one address (127.0.0.1), and comments are limited per address as well as per reader
(comments/actions.py, 5 a minute and 50 a day). The per-address limit is raised for the run through
TIDINGS_COMMENT_ADDRESS_LIMITS (settings.COMMENT_ADDRESS_LIMITS). The per-reader
limit (POST_LIMITS) stays: in a 60 s run a reader can get at most 5 comments per clock minute accepted,
so most posts are answered 429 by design; the bench checks that this answer is clean, not that it is rare.

Exit status 0 when the integrity check passes and there were no server errors, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load test password 2024"
ADDRESS_LIMITS = "60:1000000,86400:10000000"  # effectively unlimited per address for the run
JSON_HEADERS = {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"}


# ---------------------------------------------------------------- inside the scratch environment (subprocesses)


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    import django

    django.setup()


def seed(readers: int, articles: int) -> dict:
    """Readers (one password hash computed once, shared) and READY articles; says whether the address limit is set."""
    _django()
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from articles.models import Article
    from comments import actions
    from sources.models import Publisher

    password = make_password(PASSWORD)
    User.objects.bulk_create(
        User(username=f"reader{n:03d}", email=f"reader{n:03d}@example.org", password=password) for n in range(readers)
    )
    publisher = Publisher.objects.create(name="Load Gazette", slug="load-gazette", licence="CC BY 4.0")
    ids = []
    for n in range(articles):
        article = Article.objects.create(
            publisher=publisher,
            url=f"https://example.org/load/{n}",
            canonical_url=f"https://example.org/load/{n}",
            url_hash=f"load-{n}",
            title=f"Harbour works, part {n + 1}",
            body_text="The harbour works continue through the winter. " * 10,
            published_at=timezone.now() - timedelta(hours=1),
            status=Article.Status.READY,
        )
        ids.append(article.pk)
    return {"articles": ids, "address_limits": settings.COMMENT_ADDRESS_LIMITS, "reader_limits": actions.POST_LIMITS}


def dump() -> list[dict]:
    _django()
    from comments.models import Comment

    rows = Comment.objects.order_by("pk").values_list("pk", "author__username", "body", "status", "created_at")
    return [
        {"id": pk, "author": author, "body": body, "status": status, "created": created.timestamp()}
        for pk, author, body, status, created in rows
    ]


# ---------------------------------------------------------------- the driver


@dataclass
class Result:
    reader: str
    text: str
    status: int | None  # None: transport error (refused, reset, timeout)
    payload: dict | None
    latency: float
    error: str = ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _in_env(env: dict, *args: str) -> str:
    done = subprocess.run(  # our own interpreter and script
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"{' '.join(args[:3])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _wait_ready(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"tidings run exited with status {server.returncode} before serving")
        try:
            if httpx.get(f"{base}/login/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    sys.exit("tidings run did not answer within a minute")


async def _sign_in(client, username: str) -> None:
    await client.get("/login/")
    data = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]}
    response = await client.post("/login/", data=data)
    if response.status_code != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"{username} could not sign in: {response.status_code}")


async def _reader(client, username: str, articles: list[int], end: float, pause: float, out: list[Result]) -> None:
    import httpx

    n = 0
    while time.monotonic() < end:
        n += 1
        text = f"Load comment {n} from {username}: the harbour works, note {uuid.uuid4().hex[:12]}."
        headers = {**JSON_HEADERS, "X-CSRFToken": client.cookies["csrftoken"]}
        started = time.perf_counter()
        try:
            response = await client.post(f"/articles/{random.choice(articles)}/comments/", data={"body": text},
                                         headers=headers)  # fmt: skip
        except httpx.TransportError as exc:
            out.append(Result(username, text, None, None, time.perf_counter() - started, repr(exc)))
        else:
            latency = time.perf_counter() - started
            try:
                payload = response.json()
            except ValueError:
                payload = None
            out.append(Result(username, text, response.status_code, payload, latency))
        await asyncio.sleep(pause * random.uniform(0.5, 1.5))


async def _load(base: str, usernames: list[str], articles: list[int], seconds: float, pause: float):
    import httpx

    limits = httpx.Limits(max_connections=2, max_keepalive_connections=1)
    clients = {u: httpx.AsyncClient(base_url=base, timeout=30, limits=limits) for u in usernames}
    try:
        gate = asyncio.Semaphore(16)  # sign-in hashes the password (Argon2): don't queue 200 at once

        async def sign_in(username):
            async with gate:
                await _sign_in(clients[username], username)

        started = time.monotonic()
        await asyncio.gather(*(sign_in(u) for u in usernames))
        sign_in_seconds = time.monotonic() - started
        out: list[Result] = []
        started = time.monotonic()
        end = started + seconds
        await asyncio.gather(*(_reader(clients[u], u, articles, end, pause, out) for u in usernames))
        return out, time.monotonic() - started, sign_in_seconds
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()))


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # `tidings run` stops gunicorn and its workers on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own process group, started by us
            server.wait()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def check(results: list[Result], stored: list[dict]) -> list[str]:
    """Integrity problems, as sentences; empty when every answer matches the database."""
    problems = []
    by_id = {row["id"]: row for row in stored}
    texts = Counter(row["body"] for row in stored)
    accepted = [r for r in results if r.status == 201]
    acked_ids = Counter(r.payload.get("id") if r.payload else None for r in accepted)
    for r in accepted:
        cid = r.payload.get("id") if r.payload else None
        row = by_id.get(cid)
        if row is None:
            problems.append(f"201 for {r.reader} (id {cid}) but no such comment is stored")
        elif row["body"] != r.text or row["author"] != r.reader:
            problems.append(
                f"comment {cid} holds {row['author']}: {row['body']!r}, answered for {r.reader}: {r.text!r}"
            )
        if texts[r.text] != 1:
            problems.append(f"text of comment {cid} is stored {texts[r.text]} times")
        if acked_ids[cid] != 1:
            problems.append(f"id {cid} acknowledged {acked_ids[cid]} times")
    unacked = set(by_id) - set(acked_ids)
    if unacked:
        problems.append(f"{len(unacked)} comments stored without a 201 (ids {sorted(unacked)[:10]}...)")
    per_reader_stored = Counter(row["author"] for row in stored)
    per_reader_acked = Counter(r.reader for r in accepted)
    wrong = {u for u in set(per_reader_stored) | set(per_reader_acked) if per_reader_stored[u] != per_reader_acked[u]}
    if wrong:
        problems.append(f"{len(wrong)} readers have stored != accepted comments (e.g. {sorted(wrong)[:5]})")
    for r in results:
        if r.status in (None, 201) or r.status >= 500:
            continue  # transport and server errors are counted separately
        error = (r.payload or {}).get("error")
        if r.status not in (400, 429):
            problems.append(f"unexpected status {r.status} for {r.reader}: {r.payload!r}")
        elif not isinstance(error, str) or not re.fullmatch(r"[A-Z].*[.!?]", error):
            problems.append(f"{r.status} without a JSON error sentence: {r.payload!r}")
    return problems if len(problems) <= 50 else [*problems[:50], f"... and {len(problems) - 50} more"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pause", type=float, default=0.5, help="mean seconds between one reader's posts")
    parser.add_argument("--articles", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (database, server log)")
    parser.add_argument("--_seed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_dump", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._seed:
        print(json.dumps(seed(args.readers, args.articles)))
        return 0
    if args._dump:
        print(json.dumps(dump()))
        return 0

    scratch = Path(tempfile.mkdtemp(prefix="tidings-comments-load-"))
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{scratch / 'load.sqlite3'}",
        TIDINGS_DATA_DIR=str(scratch / "var"),
        TIDINGS_ALLOWED_HOSTS="127.0.0.1",
        TIDINGS_COMMENT_ADDRESS_LIMITS=ADDRESS_LIMITS,
        DJANGO_SETTINGS_MODULE="tidings.settings",
    )
    env.pop("TIDINGS_ENV", None)
    ok = False
    try:
        print(f"scratch: {scratch}")
        _in_env(env, "-m", "tidings.cli", "migrate", "--no-input")
        seeded = json.loads(_in_env(env, __file__, "--_seed", "--readers", str(args.readers),
                                    "--articles", str(args.articles)).strip().splitlines()[-1])  # fmt: skip
        print(f"per-address limit raised for the run: {seeded['address_limits']} (TIDINGS_COMMENT_ADDRESS_LIMITS)")
        print(f"per-reader limit: {seeded['reader_limits']} (window seconds, comments)")

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = (scratch / "server.log").open("w")
        server = subprocess.Popen(  # our own CLI
            [sys.executable, "-m", "tidings.cli", "run", "--bind", f"127.0.0.1:{port}"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            _wait_ready(base, server)
            usernames = [f"reader{n:03d}" for n in range(args.readers)]
            results, elapsed, sign_in_seconds = asyncio.run(
                _load(base, usernames, seeded["articles"], args.seconds, args.pause)
            )
        finally:
            _stop(server)
            log.close()
        stored = json.loads(_in_env(env, __file__, "--_dump").strip().splitlines()[-1])

        statuses = Counter("transport error" if r.status is None else r.status for r in results)
        for error, n in Counter(r.error for r in results if r.status is None).most_common(3):
            print(f"transport error x{n}: {error}")
        accepted = statuses.get(201, 0)
        server_errors = sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)
        transport = statuses.get("transport error", 0)
        latencies = [r.latency for r in results if r.status is not None]
        accepted_latencies = [r.latency for r in results if r.status == 201]
        server_log = (scratch / "server.log").read_text(errors="replace")
        tracebacks = server_log.count("Traceback (most recent call last)")
        logged_5xx = len(re.findall(r'" 5\d\d ', server_log))
        per_minute = Counter((row["author"], int(row["created"] // 60)) for row in stored)
        problems = check(results, stored)

        print(f"\n{args.readers} readers signed in in {sign_in_seconds:.1f} s; load ran {elapsed:.1f} s "
              f"(deadline {args.seconds:.0f} s + requests in flight), pause {args.pause} s ± 50%")  # fmt: skip
        print(f"requests:        {len(results)}")
        print(f"accepted (201):  {accepted}")
        rejected = {s: n for s, n in sorted(statuses.items(), key=str) if s != 201}
        print(f"rejected:        {sum(rejected.values())} {dict(rejected) if rejected else ''}")
        print(f"server errors:   {server_errors} 5xx answered, {transport} transport errors, "
              f"{logged_5xx} 5xx in the access log, {tracebacks} tracebacks in the server log")  # fmt: skip
        print(f"latency all:     p50 {_pct(latencies, 50) * 1000:.0f} ms, p95 {_pct(latencies, 95) * 1000:.0f} ms, "
              f"max {max(latencies, default=0) * 1000:.0f} ms")  # fmt: skip
        print(f"latency 201:     p50 {_pct(accepted_latencies, 50) * 1000:.0f} ms, "
              f"p95 {_pct(accepted_latencies, 95) * 1000:.0f} ms")  # fmt: skip
        print(f"throughput:      {len(results) / elapsed:.1f} requests/s, {accepted / elapsed:.1f} accepted/s")
        print(f"stored:          {len(stored)} comments, {Counter(row['status'] for row in stored)}")
        print(f"per-reader limit held: max {max(per_minute.values(), default=0)} stored comments by one reader "
              f"in one clock minute (limit {seeded['reader_limits'][0][1]})")  # fmt: skip
        if problems:
            print("integrity check: FAILED")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print("integrity check: passed (every 201 stored once with its text and author, nothing stored "
                  "unacknowledged, every rejection a 400/429 with a JSON error sentence)")  # fmt: skip
        if tracebacks:
            start = server_log.index("Traceback (most recent call last)")
            print("first server traceback:\n" + server_log[start : start + 3000])
        ok = not problems and not server_errors and not transport and not tracebacks
        return 0 if ok else 1
    finally:
        if args.keep or not ok:
            print(f"kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
