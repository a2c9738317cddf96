"""Full-text search at scale: 100k synthetic articles built from real news sentences, 200 varied queries.

Articles reuse the text of the ecbplus-dev mirror: every body is split into sentences, and each synthetic
article gets a real headline (sometimes with a sentence's words mixed in) and 4-14 shuffled sentences,
a random publisher out of 40, a date in the last year, 0-3 of 200 hashtags; a few are pending or copies.
Each query is timed as the search page runs it: the count, then the first page of 20 with snippets.

    .venv/bin/python bench/search.py                     # SQLite, 100k articles, in a scratch directory
    .venv/bin/python bench/search.py --postgres          # and PostgreSQL (DATABASE_URL or the local server)
    .venv/bin/python bench/search.py --articles 20000 --queries 100

The scratch SQLite database is deleted afterwards; the PostgreSQL one (tidings_bench_search) is dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TRUTH = ROOT.parent / "shared" / "eval" / "mirrors" / "ecbplus-dev" / "truth.jsonl"  # ../shared beside the repository
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "tidings_bench_search"
STOP = set(
    re.findall(
        r"\w+",
        "the a an and or of to in on for with at by from that this was were is are be been has have had it its as but"
        " not he she they his her their said says will would after over into than about more who which when what",
    )
)


def load_text() -> tuple[list[str], list[str]]:
    titles, sentences = [], []
    for line in TRUTH.read_text().splitlines():
        doc = json.loads(line)
        titles.append(doc["title"].strip())
        for sentence in re.split(r"(?<=[.!?])\s+", doc["body"].replace("\n", " ")):
            if len(sentence.split()) >= 5:
                sentences.append(sentence.strip())
    return titles, sentences


def make_articles(n: int, seed: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from articles.models import Article
    from sources.models import Publisher
    from stories.models import ArticleHashtag, Hashtag

    rng = random.Random(seed)
    titles, sentences = load_text()
    now = timezone.now()
    publishers = Publisher.objects.bulk_create(
        [Publisher(name=f"Bench Publisher {i}", slug=f"bench-{i}") for i in range(40)]
    )
    words = sorted({w.lower() for t in titles for w in re.findall(r"[A-Za-z]{4,}", t)} - STOP)
    tags = Hashtag.objects.bulk_create(
        [Hashtag(slug=f"{w}-{i}", label=w) for i, w in enumerate(rng.sample(words, 200))]
    )
    batch = 2000
    started = time.perf_counter()
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            title = rng.choice(titles)
            if rng.random() < 0.5:
                title = f"{title}: {' '.join(rng.choice(sentences).split()[:6])}"
            body = " ".join(rng.sample(sentences, rng.randint(4, 14)))
            status = Article.Status.PENDING if rng.random() < 0.03 else Article.Status.READY
            rows.append(
                Article(
                    publisher=rng.choice(publishers),
                    url=f"https://bench.example/{i}",
                    canonical_url=f"https://bench.example/{i}",
                    url_hash=f"bench-{i}",
                    title=title[:500],
                    body_text=body,
                    status=status,
                    published_at=now - timedelta(minutes=rng.randint(0, 525600)),
                )
            )
        with transaction.atomic():
            created = Article.objects.bulk_create(rows)
            if start:  # a few copies folded into an earlier article
                Article.objects.filter(pk__in=[a.pk for a in rng.sample(created, 40)]).update(duplicate_of_id=1)
            ArticleHashtag.objects.bulk_create(
                [
                    ArticleHashtag(article=a, hashtag=tag, rank=r)
                    for a in created
                    for r, tag in enumerate(rng.sample(tags, rng.randint(0, 3)))
                ]
            )
        print(f"\r  {min(n, start + batch):>7} articles  {time.perf_counter() - started:6.1f} s", end="", flush=True)
    print()


def make_queries(count: int, seed: int) -> list[dict]:
    from sources.models import Publisher
    from stories.models import Hashtag

    rng = random.Random(seed + 1)
    titles, sentences = load_text()
    title_words = [[w for w in re.findall(r"[A-Za-z]{3,}", t) if w.lower() not in STOP] for t in titles]
    title_words = [ws for ws in title_words if len(ws) >= 2]
    publishers = list(Publisher.objects.values_list("slug", flat=True))
    tags = list(Hashtag.objects.values_list("slug", flat=True))
    queries = []
    for i in range(count):
        ws = rng.choice(title_words)
        kind = i % 4
        if kind == 0:
            q = rng.choice(ws)
        elif kind == 1:
            q = " ".join(rng.sample(ws, 2))
        elif kind == 2:
            tokens = rng.choice(sentences).split()
            at = rng.randrange(max(1, len(tokens) - 2))
            q = '"' + " ".join(re.sub(r"[^\w-]", "", t) for t in tokens[at : at + 2]) + '"'
        else:
            q = f"{rng.choice(ws)} -{rng.choice(rng.choice(title_words))}"
        filters = {}
        if i % 3 == 0:
            choice = rng.randrange(3)
            if choice == 0:
                filters["publisher"] = rng.choice(publishers)
            elif choice == 1:
                filters["hashtag"] = rng.choice(tags)
            else:
                from django.utils import timezone

                until = timezone.localdate() - timedelta(days=rng.randint(0, 200))
                filters.update(since=until - timedelta(days=rng.randint(3, 60)), until=until)
        queries.append({"q": q, **filters})
    return queries


def run_queries(queries: list[dict]) -> tuple[list[float], list[int]]:
    from articles.models import Article
    from search.queries import search_articles

    timings, counts = [], []
    for spec in queries[:10]:  # warm the caches
        spec = dict(spec)
        list(search_articles(Article.objects.select_related("publisher"), spec.pop("q"), **spec)[:20])
    for spec in queries:
        spec = dict(spec)
        q = spec.pop("q")
        started = time.perf_counter()
        results = search_articles(Article.objects.select_related("publisher"), q, **spec)
        total = results.count()
        page = list(results[:20]) if total else []
        _ = [(a.publisher.name, a.snippet) for a in page]
        timings.append((time.perf_counter() - started) * 1000)
        counts.append(total)
    return timings, counts


def bench_backend(args) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(f"[{connection.vendor}] migrating a scratch database …", flush=True)
    call_command("migrate", verbosity=0)
    print(f"[{connection.vendor}] generating {args.articles} articles …", flush=True)
    make_articles(args.articles, args.seed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE articles_article")
    else:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_articlefts(search_articlefts) VALUES ('optimize')")
            cursor.execute("ANALYZE")
    queries = make_queries(args.queries, args.seed)
    timings, counts = run_queries(queries)
    timings_sorted = sorted(timings)
    p95 = timings_sorted[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
    slowest = max(range(len(timings)), key=timings.__getitem__)
    print(
        f"[{connection.vendor}] {len(timings)} queries over {args.articles} articles: "
        f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[slowest]:.1f} ms "
        f"({queries[slowest]}, {counts[slowest]} results); median results {statistics.median(counts):.0f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        bench_backend(args)
        return
    child = [sys.executable, __file__, "--articles", str(args.articles), "--queries", str(args.queries)]
    child += ["--seed", str(args.seed)]
    with tempfile.TemporaryDirectory(prefix="tidings-bench-search-") as scratch:
        env = {**os.environ, "TIDINGS_DATA_DIR": scratch, "DATABASE_URL": f"sqlite:///{scratch}/bench.sqlite3"}
        subprocess.run([*child, "--backend", "sqlite"], env=env, check=True)
        if args.postgres:
            import psycopg

            admin_url = os.environ.get("DATABASE_URL", "")
            admin_url = admin_url if admin_url.startswith("postgres") else PG_DEFAULT
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
                admin.execute(f"CREATE DATABASE {PG_BENCH_DB}")
            try:
                env["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"
                subprocess.run([*child, "--backend", "postgresql"], env=env, check=True)
            finally:
                with psycopg.connect(admin_url, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
