"""A benchmark data set of N articles (default 1,000,000) built from the dev mirrors' real texts, bulk-loaded
into its own PostgreSQL database with COPY.

Texts: the ecbplus-dev and zyte-dev articles (title and body) and the uci-dev headlines (given bodies recombined
from paragraphs of the others), ~3,600 in all. Each is encoded once with the project's Encoder (cached under
var/bench/); every generated article copies one real text and takes its vector plus small Gaussian noise around
its story's centre (itself the real vector plus noise), renormalised, so neighbourhoods look like real ones.

Shape: ~1,260 real publisher names with Zipf-like weights (one feed each), dates over the last 90 days, story
sizes drawn from a power law (most stories 1-5 articles, a few of 50 and more), 2% of articles folded copies,
up to 3 hashtags per text (its title's proper nouns), up to 5 related rows per article (same story first, then
the same text's coverage elsewhere), comments on 1% of articles, 2,000 readers, full-text vectors for search.
A reader `bench-reader` (password `bench-reader-password`) follows publishers and hashtags, for For You.

Loading: one transaction per table with session_replication_role=replica (no FK checks or triggers while
copying), secondary indexes dropped first and rebuilt after, search vectors computed in SQL on 2 connections,
then VACUUM ANALYZE. Prints the time of each step and the row counts.

usage: .venv/bin/python bench/scale_data.py --articles 1000000 --database bench_scale_1m [--recreate]
"""

import argparse
import hashlib
import html
import json
import os
import re
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MIRRORS = ROOT.parent / "shared" / "eval" / "mirrors"
CACHE = ROOT / "var" / "bench"
PG = "postgres://postgres@127.0.0.1:5432/"
SPREAD = timedelta(days=90)
PUBLISHERS_WITH_FULL_TEXT = 0.1  # share of publishers whose licence lets the page show the full text
COPY_SHARE = 0.02  # articles folded into another as a syndicated copy
COMMENTED_SHARE = 0.01
READERS = 2000
BENCH_READER = ("bench-reader", "bench-reader-password")
STORY_SIZE_EXPONENT = 2.2  # P(size = s) ∝ s^-2.2, capped at 400: 88% of stories have 1-5 articles
STORY_NOISE, ARTICLE_NOISE = 0.02, 0.012  # per dimension; an article's cosine to its real text is ~0.85-0.9
TABLES = (
    "sources_publisher", "sources_feed", "stories_story", "articles_article", "articles_articlesource",
    "stories_articlevector", "stories_hashtag", "stories_articlehashtag", "stories_relatedarticle",
    "accounts_user", "comments_comment", "search_articlevector",
)  # fmt: skip
_PROPER = re.compile(r"\b([A-Z][a-z]{3,}(?:[A-Z][a-z]+)?)\b")
_TAG_STOP = {"This", "That", "What", "When", "With", "From", "After", "Over", "Into", "Says", "Will", "Have", "More"}


def real_texts() -> list[dict]:
    """Title, body and publisher of every dev mirror row; uci headlines get paragraphs of the other bodies."""
    rows = []
    for mirror in ("ecbplus-dev", "zyte-dev", "uci-dev"):
        for line in (MIRRORS / mirror / "truth.jsonl").read_text().splitlines():
            row = json.loads(line)
            rows.append({"title": row["title"], "body": row.get("body") or "", "publisher": row["publisher"]})
    paragraphs = [p for r in rows for p in r["body"].split("\n\n") if len(p) > 200]
    rng = np.random.default_rng(1)
    for row in rows:
        if not row["body"]:
            picks = rng.choice(len(paragraphs), 4, replace=False)
            row["body"] = "\n\n".join([row["title"] + "."] + [paragraphs[i] for i in picks])
    return rows


def real_vectors(texts: list[dict]) -> np.ndarray:
    """The texts encoded the way the pipeline does, once, cached by the texts' hash."""
    from analysis.clustering import embedding_text
    from analysis.embeddings import get_encoder

    digest = hashlib.sha256(json.dumps(texts, sort_keys=True).encode()).hexdigest()[:16]
    path = CACHE / f"scale-vectors-{digest}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(parents=True, exist_ok=True)
    encoder = get_encoder(CACHE / "models")
    vectors = encoder.encode([embedding_text(t["title"], t["body"]) for t in texts]).astype(np.float32)
    np.save(path, vectors)
    return vectors


def hashtags_of(title: str) -> list[str]:
    words = [w for w in _PROPER.findall(title) if w not in _TAG_STOP]
    return list(dict.fromkeys(words))[:3]


def story_sizes(total: int, rng: np.random.Generator) -> list[int]:
    support = np.arange(1, 401)
    weights = support**-STORY_SIZE_EXPONENT
    sizes = []
    while sum(sizes) < total:
        sizes.extend(int(s) for s in rng.choice(support, 10_000, p=weights / weights.sum()))
    out, n = [], 0
    for s in sizes:
        if n + s >= total:
            out.append(total - n)
            break
        out.append(s)
        n += s
    return out


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70] or "x"


def paragraphs_html(body: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n") if p.strip())


class Timer:
    def __init__(self):
        self.start = time.perf_counter()
        self.steps: list[tuple[str, float]] = []

    def step(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.steps.append((name, now - since))
        print(f"  {name}: {now - since:.1f} s", flush=True)
        return now


def create_database(name: str, recreate: bool) -> None:
    import psycopg

    if not name.startswith("bench_"):
        raise SystemExit("the benchmark database's name must start with bench_ (never test or postgres)")
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not recreate:
            raise SystemExit(f"{name} exists: pass --recreate to drop and load it again")
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def secondary_indexes(conn) -> list[tuple[str, str]]:
    """Indexes of the loaded tables that back no constraint: dropped while copying, rebuilt after."""
    return conn.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
        [list(TABLES)],
    ).fetchall()


def copy(conn, table: str, columns: tuple[str, ...], rows) -> int:
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)
            n += 1
    return n


def generate(args, texts, base, conn, timer) -> dict[str, int]:
    rng = np.random.default_rng(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    oldest = now - SPREAD
    counts = {}

    names = sorted({t["publisher"] for t in texts})
    publisher_weights = 1.0 / np.arange(1, len(names) + 1) ** 0.9
    publisher_weights = publisher_weights[rng.permutation(len(names))]
    publisher_weights /= publisher_weights.sum()
    slugs = [f"{slugify(n)[:70]}-{i}" for i, n in enumerate(names)]
    full = rng.random(len(names)) < PUBLISHERS_WITH_FULL_TEXT
    t = time.perf_counter()
    counts["sources_publisher"] = copy(
        conn,
        "sources_publisher",
        ("id", "name", "slug", "site_url", "country", "language", "licence", "display_policy", "template_counts",
         "template_pages", "created_at"),
        ((i + 1, n, s, f"https://{s}.example/", "", "en", "CC BY-ND 4.0" if f else "All rights reserved (excerpt only)",
          "full_text" if f else "excerpt", "{}", 0, oldest)
         for i, (n, s, f) in enumerate(zip(names, slugs, full, strict=True))),
    )  # fmt: skip
    counts["sources_feed"] = copy(
        conn,
        "sources_feed",
        ("id", "publisher_id", "url", "title", "category", "is_active", "etag", "last_modified", "next_check_at",
         "health", "error_count", "last_error", "redirected_to", "redirect_count", "created_at"),
        ((i + 1, i + 1, f"https://{s}.example/feed.xml", n, "", True, "", "", now, "ok", 0, "", "", 0, oldest)
         for i, (n, s) in enumerate(zip(names, slugs, strict=True))),
    )  # fmt: skip

    tag_lists = [hashtags_of(x["title"]) for x in texts]
    tag_ids: dict[str, tuple[int, str]] = {}  # slug → (id, label first seen)
    for tags in tag_lists:
        for tag in tags:
            tag_ids.setdefault(slugify(tag), (len(tag_ids) + 1, tag))
    counts["stories_hashtag"] = copy(
        conn, "stories_hashtag", ("id", "slug", "label"), ((i, slug, label) for slug, (i, label) in tag_ids.items())
    )
    text_tags = [list(dict.fromkeys(tag_ids[slugify(t)][0] for t in tags)) for tags in tag_lists]
    bodies_html = [paragraphs_html(x["body"]) for x in texts]
    timer.step("publishers, feeds, hashtags", t)

    sizes = story_sizes(args.articles, rng)
    stories, articles, sources, vectors, hashtags, related, comments = [], [], [], [], [], [], []
    by_text: dict[int, list[int]] = {}
    article_id = 0
    t = time.perf_counter()
    for story_id, size in enumerate(sizes, 1):
        text = int(rng.integers(len(texts)))
        start = oldest + timedelta(seconds=float(rng.random()) * SPREAD.total_seconds())
        offsets = np.sort(rng.exponential(6 * 3600, size))
        offsets[0] = 0
        times = [min(start + timedelta(seconds=float(o)), now) for o in offsets]
        pubs = rng.choice(len(names), size, p=publisher_weights) + 1
        centre = base[text] + rng.normal(0, STORY_NOISE, base.shape[1]).astype(np.float32)
        vecs = centre + rng.normal(0, ARTICLE_NOISE, (size, base.shape[1])).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        ids = list(range(article_id + 1, article_id + size + 1))
        article_id += size
        original = ids[0]
        title, body = texts[text]["title"], texts[text]["body"]
        stories.append((story_id, title, times[0], times[-1], size, len(set(pubs.tolist())), times[0]))
        for i, (aid, when, pub, vec) in enumerate(zip(ids, times, pubs, vecs, strict=True)):
            is_copy = i > 0 and rng.random() < COPY_SHARE
            url = f"https://{slugs[pub - 1]}.example/{when:%Y/%m/%d}/{slugify(title)[:60]}-{aid}"
            url_hash = hashlib.sha256(url.encode()).hexdigest()
            articles.append((
                aid, int(pub), url, url, url_hash, title, "", "", body, bodies_html[text], "", "", "", "en", when,
                when, when, "trafilatura", "", "ready", original if is_copy else None, story_id, when,
            ))  # fmt: skip
            sources.append((aid, aid, int(pub), url_hash, url, when))
            if is_copy:
                continue
            vectors.append((aid, aid, "all-MiniLM-L6-v2", 384, vec.astype("<f4").tobytes(), None, "", when))
            for rank, tag in enumerate(text_tags[text]):
                hashtags.append((int(aid), int(tag), rank))
            others = [o for o in ids if o != aid][:3]
            elsewhere = by_text.get(text, [])
            if elsewhere:
                others += [elsewhere[int(j)] for j in rng.integers(len(elsewhere), size=2)]
            for rank, other in enumerate(dict.fromkeys(others)):
                same = other in ids
                related.append((aid, other, rank, 0.9 - rank * 0.05, "Same story" if same else "Similar coverage"))
            if rng.random() < COMMENTED_SHARE:
                for _ in range(int(rng.integers(1, 20))):
                    when_c = min(when + timedelta(minutes=float(rng.exponential(120))), now)
                    comments.append((aid, int(rng.integers(1, READERS + 1)), "A reader's view on this.", when_c))
        by_text.setdefault(text, []).extend(ids[:3])
    timer.step(f"generated {article_id} articles in {len(sizes)} stories", t)

    t = time.perf_counter()
    counts["stories_story"] = copy(
        conn, "stories_story",
        ("id", "title", "first_published_at", "last_published_at", "article_count", "publisher_count", "created_at"),
        stories,
    )  # fmt: skip
    t = timer.step("COPY stories_story", t)
    counts["articles_article"] = copy(
        conn, "articles_article",
        ("id", "publisher_id", "url", "canonical_url", "url_hash", "title", "summary_html_safe",
         "feed_content_html_safe", "body_text", "body_html_safe", "byline", "image_url", "image_alt", "language",
         "published_at", "discovered_at", "extracted_at", "extraction_method", "extraction_note", "status",
         "duplicate_of_id", "story_id", "processed_at"),
        articles,
    )  # fmt: skip
    del articles
    t = timer.step("COPY articles_article", t)
    counts["articles_articlesource"] = copy(
        conn, "articles_articlesource", ("id", "article_id", "feed_id", "guid_hash", "entry_url", "first_seen_at"),
        sources,
    )  # fmt: skip
    t = timer.step("COPY articles_articlesource", t)
    counts["stories_articlevector"] = copy(
        conn, "stories_articlevector",
        ("id", "article_id", "model", "dimension", "vector", "text_signature", "headline_key", "published_at"),
        vectors,
    )  # fmt: skip
    t = timer.step("COPY stories_articlevector", t)
    counts["stories_articlehashtag"] = copy(
        conn, "stories_articlehashtag", ("article_id", "hashtag_id", "rank"), hashtags
    )
    counts["stories_relatedarticle"] = copy(
        conn, "stories_relatedarticle", ("article_id", "related_id", "rank", "score", "reason"), related
    )
    t = timer.step("COPY hashtags and related rows", t)
    counts["accounts_user"] = copy(
        conn, "accounts_user",
        ("id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active",
         "date_joined", "role", "is_banned", "keep_history"),
        ((i, "!", False, f"reader{i}", "", "", f"reader{i}@bench.example", False, True, oldest, "reader", False, True)
         for i in range(1, READERS + 1)),
    )  # fmt: skip
    counts["comments_comment"] = copy(
        conn, "comments_comment", ("article_id", "author_id", "body", "status", "held_reason", "created_at"),
        ((a, u, b, "visible", "", c) for a, u, b, c in comments),
    )  # fmt: skip
    timer.step("COPY readers and comments", t)
    return counts


def fill_search(url: str, total: int) -> int:
    """search_articlevector for every article, on two connections (the trigger was off while copying)."""
    import psycopg

    from search.queries import VECTOR_SQL

    expression = VECTOR_SQL.format(t="articles_article")
    half = total // 2
    errors = []

    def run(low: int, high: int) -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    f"INSERT INTO search_articlevector (article_id, vector) SELECT id, {expression} "
                    "FROM articles_article WHERE id > %s AND id <= %s",
                    [low, high],
                )
        except psycopg.Error as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=r) for r in ((0, half), (half, total))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM search_articlevector").fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--database", default="bench_scale_1m")
    parser.add_argument("--recreate", action="store_true", help="drop the database first if it exists")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    url = PG + args.database
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("TIDINGS_DATA_DIR", str(CACHE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    import django

    django.setup()
    import psycopg
    from django.core.management import call_command

    timer = Timer()
    t = time.perf_counter()
    texts = real_texts()
    base = real_vectors(texts)
    t = timer.step(f"{len(texts)} real texts encoded (or read from the cache)", t)
    create_database(args.database, args.recreate)
    call_command("migrate", verbosity=0)
    t = timer.step("database created and migrated", t)
    load_start = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK checks, no search trigger while copying
        indexes = secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        counts = generate(args, texts, base, conn, timer)
        conn.commit()
    t = time.perf_counter()
    counts["search_articlevector"] = fill_search(url, args.articles)
    t = timer.step("search vectors", t)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            conn.execute(definition)
        for table in TABLES[:-1]:  # search_articlevector has no id of its own
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
            )
        t = timer.step(f"{len(indexes)} indexes rebuilt, sequences set", t)
        conn.execute("VACUUM ANALYZE")
        t = timer.step("VACUUM ANALYZE", t)
    setup_bench_reader()
    load_seconds = time.perf_counter() - load_start
    print(f"\nloaded {args.database} in {load_seconds:.0f} s (whole run {time.perf_counter() - timer.start:.0f} s)")
    with psycopg.connect(url) as conn:
        for table in TABLES:
            n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            print(f"  {table:<28} {n:>10,}")
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        print(f"  database size {size}")
    return 0


def setup_bench_reader() -> None:
    """The signed-in reader of the page benchmark: follows 5 publishers and 5 hashtags, has read 50 articles."""
    from accounts.models import User
    from articles.models import Article
    from readers.models import Follow, ReadingHistory
    from sources.models import Publisher
    from stories.models import Hashtag

    user = User.objects.create_user(username=BENCH_READER[0], password=BENCH_READER[1])
    for publisher in Publisher.objects.order_by("?")[:5]:
        Follow.objects.create(user=user, publisher=publisher)
    for hashtag in Hashtag.objects.order_by("?")[:5]:
        Follow.objects.create(user=user, hashtag=hashtag)
    recent = Article.objects.filter(duplicate_of__isnull=True).order_by("-published_at")[:50]
    ReadingHistory.objects.bulk_create(
        [ReadingHistory(user=user, article=a, read_at=a.published_at) for a in recent], ignore_conflicts=True
    )


if __name__ == "__main__":
    sys.exit(main())
