"""Pages at scale: requests/s and p99 of every page, anonymous and signed in, against a bare Django view that
reads 20 rows and renders a template, served side by side by the same gunicorn (bench/scale_site.py).

Load a data set first (bench/scale_data.py). Then this starts gunicorn on 127.0.0.1 with the settings of
`tidings web` (web.gunicorn_options: its default workers and threads, a listening socket per process,
keep-alive 30 s; access log off), signs in the data set's bench reader, times each page's first request,
warms it in every process (wrk for --warm-seconds, not counted: a server runs warm for days, and a process's
first requests of a page wait for its templates to compile), and runs wrk for --seconds per page. The bare
view is measured before the pages and again after them; the ratio uses their mean. Prints one table
(markdown) for docs/benchmarks.md.

usage: .venv/bin/python bench/scale.py --database bench_scale_1m [--seconds 15] [--warm-seconds 2] [--connections 8]
       [--cache redis://127.0.0.1:6379/14] [--port 18931]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG = "postgres://postgres@127.0.0.1:5432/"


def pick_targets() -> dict[str, str]:
    """One URL per page, chosen as a reader would meet them: a story of typical size, its latest article,
    the busiest publisher and hashtag, a two-word search."""
    from django.db.models import Count

    from articles.models import Article
    from sources.models import Publisher
    from stories.models import Hashtag, Story

    story = Story.objects.filter(article_count__gte=8, article_count__lte=20).order_by("-last_published_at").first()
    article = Article.objects.filter(story=story, duplicate_of__isnull=True).order_by("-published_at").first()
    big_story = Story.objects.order_by("-article_count").first()
    publisher = Publisher.objects.annotate(n=Count("feeds")).order_by("name")[len(Publisher.objects.all()) // 2]
    busiest = Article.objects.values("publisher").annotate(n=Count("pk")).order_by("-n").first()
    publisher = Publisher.objects.get(pk=busiest["publisher"]) if busiest else publisher
    hashtag = Hashtag.objects.annotate(n=Count("article_hashtags")).order_by("-n").first()
    return {
        "home": "/",
        "article": article.get_absolute_url(),
        "story": story.get_absolute_url(),
        "story (largest)": big_story.get_absolute_url(),
        "hashtag": hashtag.get_absolute_url(),
        "publisher": publisher.get_absolute_url(),
        "publishers": "/publishers/",
        "search": "/search/?q=police+election",
    }


def session_cookie() -> str:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench-reader"))
    return f"sessionid={client.cookies['sessionid'].value}"


def wrk(url: str, seconds: int, connections: int, cookie: str = "") -> tuple[float, float]:
    """Requests/s and p99 in ms."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"{url} answered with errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def get(url: str, cookie: str = "") -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        return response.status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_scale_1m")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warm-seconds", type=int, default=2, help="wrk on each page before measuring it")
    parser.add_argument("--port", type=int, default=18931)
    parser.add_argument("--only", nargs="+", default=[], help="measure only these pages (names as printed)")
    parser.add_argument("--cache", default="", help="TIDINGS_CACHE_URL for the served site (default: its own)")
    args = parser.parse_args()
    env = dict(os.environ, DATABASE_URL=PG + args.database, DJANGO_SETTINGS_MODULE="bench.scale_site")
    env.setdefault("TIDINGS_DATA_DIR", str(ROOT / "var" / "bench"))
    if args.cache:
        env["TIDINGS_CACHE_URL"] = args.cache
    os.environ.update(env)
    import django

    django.setup()
    from django.core.cache import cache

    from tidings.management.commands import web

    cache.clear()  # the same cache the served site uses: every run starts cold, then warms each page once
    targets = pick_targets()
    cookie = session_cookie()
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tidings.wsgi:application", "--timeout", "120", "--pythonpath", str(ROOT),
         *web.gunicorn_options(bind=f"127.0.0.1:{args.port}", workers=web.DEFAULT_WORKERS,
                               threads=web.DEFAULT_THREADS)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                get(base + "/bench/bare/")
                break
            except OSError:
                time.sleep(0.3)
        rows = []
        wrk(base + "/bench/bare/", args.warm_seconds, args.connections)
        bare_runs = [wrk(base + "/bench/bare/", args.seconds, args.connections)]
        for who, who_cookie in (("anonymous", ""), ("signed in", cookie)):
            pages = dict(targets)
            if who_cookie:
                pages["For You"] = "/for-you/"
            for name, path in pages.items():
                if args.only and name not in args.only:
                    continue
                t0 = time.perf_counter()
                status = get(base + path, who_cookie)
                cold_ms = (time.perf_counter() - t0) * 1000
                wrk(base + path, args.warm_seconds, args.connections, who_cookie)
                rps, p99 = wrk(base + path, args.seconds, args.connections, who_cookie)
                rows.append((name, who, path, status, cold_ms, rps, p99))
                print(f"  {name:<16} {who:<9} {rps:8.1f} req/s  p99 {p99:7.1f} ms  (first request {cold_ms:.0f} ms)")
        bare_runs.append(wrk(base + "/bench/bare/", args.seconds, args.connections))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    bare_rps = sum(r for r, _ in bare_runs) / len(bare_runs)
    bare_p99 = max(p for _, p in bare_runs)
    runs = " / ".join(f"{r:.1f}" for r, _ in bare_runs)
    print(f"\nbare view: {runs} req/s (mean {bare_rps:.1f}), p99 ≤ {bare_p99:.1f} ms")
    print("\n| page | reader | req/s | p99 ms | ÷ bare view | first request ms |")
    print("|---|---|---:|---:|---:|---:|")
    print(f"| bare view (20 rows, one template) | anonymous | {bare_rps:.1f} | {bare_p99:.1f} | 1.00 | |")
    for name, who, _path, _status, cold_ms, rps, p99 in rows:
        print(f"| {name} | {who} | {rps:.1f} | {p99:.1f} | {rps / bare_rps:.2f} | {cold_ms:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
