"""pgvector's HNSW index at scale: the neighbour query of TIDINGS_VECTOR_INDEX=pgvector (stories.pgvector)
over the million vectors of bench/scale_data.py, timed warm beside the exact answer of the same query in the
same run, with recall@10 against it and how many of the k asked for came back.

Debian's PostgreSQL here has no pgvector, so this runs the embedded PostgreSQL 16 + pgvector 0.6.2 of the PyPI
package `pgserver` in a folder of its own (kept between runs: loading and indexing are paid once; --reload
starts over). Vectors come from the data set's `stories_articlevector` rows in the system PostgreSQL.

Queries: --queries stored vectors plus noise (σ 0.02 per dimension, normalised), each at its own publication
time, excluding itself, window ±--hours, k --k: what the story stage asks for a new article.

usage: .venv/bin/python bench/scale_pgvector.py [--database bench_scale_1m] [--queries 200] [--reload]
       [--ef-search N]
"""

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stories import pgvector  # noqa: E402  (pure: no Django needed)

PG = "postgres://postgres@127.0.0.1:5432/"
LOAD_BATCH = 20_000


def load(source, target) -> tuple[int, float]:
    """Copy every stored vector into the pgvector table; returns (rows, seconds)."""
    started = time.perf_counter()
    target.execute(pgvector.SCHEMA[0])  # the extension
    target.execute(f"DROP TABLE IF EXISTS {pgvector.TABLE}")
    target.execute(pgvector.SCHEMA[1])  # the table, without its index: built once, after the rows
    days = source.execute(
        "SELECT DISTINCT date_trunc('day', published_at, 'UTC') FROM stories_articlevector"
    ).fetchall()
    with target.transaction():
        pgvector.ensure_partitions(target, [day for (day,) in days])
    rows = 0
    with source.cursor(name="vectors") as cursor:
        cursor.itersize = LOAD_BATCH
        cursor.execute("SELECT article_id, published_at, vector FROM stories_articlevector ORDER BY article_id")
        with target.cursor() as out, out.copy(f"COPY {pgvector.TABLE} FROM STDIN") as copy:
            for article_id, published_at, blob in cursor:
                vector = np.frombuffer(blob, dtype="<f4")
                copy.write_row((article_id, published_at, pgvector._literal(vector)))
                rows += 1
    return rows, time.perf_counter() - started


def build_indexes(target) -> float:
    """The HNSW graph of every day's partition, each built by PostgreSQL from its rows at once."""
    started = time.perf_counter()
    target.execute("SET maintenance_work_mem = '3GB'")
    target.execute("SET max_parallel_maintenance_workers = 1")
    for statement in pgvector.SCHEMA[2:]:
        target.execute(statement)
    target.execute(f"ANALYZE {pgvector.TABLE}")
    return time.perf_counter() - started


def exact(connection, vector, *, around, window, k, exclude) -> list[tuple[int, float]]:
    """The same query with the HNSW index out of the planner's reach: every vector in the window compared."""
    with connection.transaction():
        connection.execute("SET LOCAL enable_indexscan = off")
        rows = connection.execute(
            f"SELECT article_id, -(embedding <#> %s::vector) FROM {pgvector.TABLE}"
            " WHERE published_at BETWEEN %s AND %s AND NOT (article_id = ANY(%s))"
            " ORDER BY embedding <#> %s::vector LIMIT %s",
            [pgvector._literal(vector), around - window, around + window, list(exclude), pgvector._literal(vector), k],
        ).fetchall()
    return [(int(a), float(s)) for a, s in rows]


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    return f"median {statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_scale_1m")
    parser.add_argument("--directory", type=Path, default=ROOT / "var" / "bench" / "pgvector")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hours", type=float, default=72)
    parser.add_argument("--k", type=int, default=30)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--ef-search", type=int, default=pgvector.EF_SEARCH, help="hnsw.ef_search (at most 1000)")
    args = parser.parse_args()
    pgvector.EF_SEARCH = args.ef_search
    import pgserver

    args.directory.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(args.directory, cleanup_mode=None)  # left running: the next run reuses it
    with psycopg.connect(PG + args.database) as source, psycopg.connect(server.get_uri(), autocommit=True) as target:
        stored = target.execute("SELECT to_regclass(%s) IS NOT NULL", [pgvector.TABLE]).fetchone()[0]
        count = target.execute(f"SELECT count(*) FROM {pgvector.TABLE}").fetchone()[0] if stored else 0
        expected = source.execute("SELECT count(*) FROM stories_articlevector").fetchone()[0]
        if args.reload or count != expected:
            rows, seconds = load(source, target)
            print(f"loaded {rows:,} vectors in {seconds:.0f} s")
            print(f"built the HNSW graphs (m 16, ef_construction 128) in {build_indexes(target):.0f} s")
        days, size = target.execute(
            "SELECT count(*), pg_size_pretty(sum(pg_relation_size(oid))) FROM pg_class"
            " WHERE relname LIKE 'stories\\_vectorindex\\_p%\\_embedding\\_idx'"
        ).fetchone()
        print(f"{expected:,} vectors; {days} daily HNSW graphs, {size}; hnsw.ef_search {pgvector.EF_SEARCH}")

        rng = np.random.default_rng(7)
        sample = source.execute(
            "SELECT article_id, published_at, vector FROM stories_articlevector TABLESAMPLE SYSTEM (0.1) REPEATABLE (7)"
            " LIMIT %s",
            [args.queries],
        ).fetchall()
        window = timedelta(hours=args.hours)
        queries = []
        for article_id, published_at, blob in sample:
            vector = np.frombuffer(blob, dtype="<f4") + rng.normal(0, 0.02, 384).astype(np.float32)
            queries.append((vector / np.linalg.norm(vector), published_at, frozenset({article_id})))
        approximate, reference, approximate_ms, exact_ms = [], [], [], []
        for _pass in range(2):  # the first pass reads the index from disk; the second is the warm figure
            approximate, approximate_ms = [], []
            for vector, around, exclude in queries:
                started = time.perf_counter()
                approximate.append(pgvector.nearest(target, vector, around=around, window=window, k=args.k,
                                                    exclude=exclude))  # fmt: skip
                approximate_ms.append((time.perf_counter() - started) * 1000)
        for vector, around, exclude in queries:
            started = time.perf_counter()
            reference.append(exact(target, vector, around=around, window=window, k=args.k, exclude=exclude))
            exact_ms.append((time.perf_counter() - started) * 1000)
    recall = [
        len({a for a, _ in got[:10]} & {a for a, _ in want[:10]}) / max(1, min(10, len(want)))
        for got, want in zip(approximate, reference, strict=True)
    ]
    short = sum(len(got) < min(args.k, len(want)) for got, want in zip(approximate, reference, strict=True))
    print(f"{len(queries)} queries, ±{args.hours:g} h, k {args.k}")
    print(f"  pgvector HNSW (warm): {summary(approximate_ms)}; recall@10 {statistics.mean(recall):.3f};"
          f" {short} of {len(queries)} returned fewer than k")  # fmt: skip
    print(f"  exact, same query without the HNSW index: {summary(exact_ms)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
