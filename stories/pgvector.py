"""Nearest neighbours inside PostgreSQL with pgvector's HNSW index, where the server has the extension.

Every web and worker machine then sees the same index, and no process holds vectors in memory. Debian's
PostgreSQL 15 here has no pgvector package; the PyPI package `pgserver` (an embedded PostgreSQL 16 with
pgvector 0.6.2) is how the tests and bench/neighbours.py run it for real. Functions take a psycopg 3
connection so they work on any database the operator points them at.

pgvector 0.6 filters an HNSW scan after the fact: the index yields `hnsw.ef_search` candidates by similarity
and the time window is applied to those. One index over every day left a ±72 h window ~7 % of them at a
million vectors (recall@10 0.922 at ef_search 400, 0.977 at 7.8 ms with 1000: docs/benchmarks.md). So the table
is partitioned by day (UTC), each day with its own HNSW graph, as analysis.ann's files are: PostgreSQL prunes
to the window's days and merges their index scans in order, and only the two edge days are filtered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np

from analysis.ann import Hit

TABLE = "stories_vectorindex"
# Candidates per day's graph. At 1M (bench/scale_pgvector.py, ±72 h, k 30): 20 gave a median of 4.7-4.8 ms and
# recall@10 0.993; 10: 3.9 ms, 0.958; 100: 10 ms, 1.000.
EF_SEARCH = 20
SCHEMA = [
    "CREATE EXTENSION IF NOT EXISTS vector",
    f"CREATE TABLE IF NOT EXISTS {TABLE} (article_id bigint NOT NULL, published_at timestamptz NOT NULL,"
    " embedding vector(384) NOT NULL, PRIMARY KEY (article_id, published_at)) PARTITION BY RANGE (published_at)",
    # On the parent: every day's partition gets its own graph, now and when it is created.
    f"CREATE INDEX IF NOT EXISTS {TABLE}_hnsw ON {TABLE} USING hnsw (embedding vector_ip_ops)"
    " WITH (m = 16, ef_construction = 128)",
]
# Held while partitions are created: two workers storing the same new day's first rows at once.
PARTITIONS_LOCK = 7_310_051


def _literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32)) + "]"


def create(connection) -> None:
    """The extension, the table and its index; a table from before partitioning is moved into the new one."""
    with connection.transaction():
        connection.execute(SCHEMA[0])
        connection.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITIONS_LOCK])
        kind = connection.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE]).fetchone()
        unpartitioned = kind is not None and kind[0] == "r"
        old = f"{TABLE}_unpartitioned"
        if unpartitioned:
            connection.execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
            for index in ("hnsw", "published", "pkey"):  # their names are taken by the new table's
                connection.execute(f"ALTER INDEX IF EXISTS {TABLE}_{index} RENAME TO {old}_{index}")
        connection.execute(SCHEMA[1])
        if unpartitioned:  # rows first, graphs after: building a graph from its rows beats growing it row by row
            _ensure_days_of(connection, old)
            connection.execute(f"INSERT INTO {TABLE} SELECT article_id, published_at, embedding FROM {old}")  # noqa: S608
            connection.execute(f"DROP TABLE {old}")
        connection.execute(SCHEMA[2])


def _utc_day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _partition(day: datetime) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def _ensure_days_of(connection, table: str) -> None:
    """A partition for every UTC day `table` (one of ours, never a name from outside) holds rows of."""
    days = connection.execute(f"SELECT DISTINCT date_trunc('day', published_at, 'UTC') FROM {table}")  # noqa: S608
    ensure_partitions(connection, [day for (day,) in days.fetchall()])


def ensure_partitions(connection, days: Iterable[datetime]) -> None:
    """A partition for the UTC day of every time given (call inside a transaction)."""
    connection.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITIONS_LOCK])
    for moment in days:
        day = _utc_day(moment)
        end = day + timedelta(days=1)
        connection.execute(  # bounds are datetimes formatted here, never text from outside
            f"CREATE TABLE IF NOT EXISTS {_partition(day)} PARTITION OF {TABLE}"
            f" FOR VALUES FROM ('{day.isoformat()}') TO ('{end.isoformat()}')"
        )


def add(connection, ids: Iterable[int], vectors: np.ndarray, times: Iterable[datetime]) -> None:
    """Store (or replace) unit vectors with their publication times, in one COPY."""
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE incoming (article_id bigint, published_at timestamptz, embedding vector(384))"
            " ON COMMIT DROP"
        )
        with cursor.copy("COPY incoming (article_id, published_at, embedding) FROM STDIN") as copy:
            for article_id, vector, published in zip(ids, vectors, times, strict=True):
                copy.write_row((int(article_id), published, _literal(vector)))
        _ensure_days_of(connection, "incoming")
        # An article whose time changed moves to its new day's partition.
        cursor.execute(
            "DELETE FROM stories_vectorindex t USING incoming i WHERE t.article_id = i.article_id"
            " AND t.published_at <> i.published_at"
        )
        cursor.execute(
            "INSERT INTO stories_vectorindex SELECT * FROM incoming ON CONFLICT (article_id, published_at) DO UPDATE"
            " SET embedding = EXCLUDED.embedding"
        )


def remove(connection, article_ids: Iterable[int]) -> int:
    """Delete the articles' vectors; a day left with none is dropped (retention empties the oldest days)."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITIONS_LOCK])  # no add() between check and drop
        deleted = connection.execute(
            "DELETE FROM stories_vectorindex WHERE article_id = ANY(%s) RETURNING published_at",
            [list(map(int, article_ids))],
        ).fetchall()
        for day in {_utc_day(published) for (published,) in deleted}:
            partition = _partition(day)
            if connection.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {partition})").fetchone()[0]:  # noqa: S608
                connection.execute(f"DROP TABLE {partition}")
    return len(deleted)


def nearest(
    connection,
    vector: np.ndarray,
    *,
    around: datetime,
    window: timedelta,
    k: int,
    exclude: frozenset[int] = frozenset(),
) -> list[tuple[int, float]]:
    """(article id, cosine) of the k most similar vectors published within `window` either side of `around`."""
    with connection.transaction():
        connection.execute(f"SET LOCAL hnsw.ef_search = {EF_SEARCH}")
        rows = connection.execute(
            "SELECT article_id, -(embedding <#> %s::vector) FROM stories_vectorindex"
            " WHERE published_at BETWEEN %s AND %s AND NOT (article_id = ANY(%s))"
            " ORDER BY embedding <#> %s::vector LIMIT %s",
            [_literal(vector), around - window, around + window, list(exclude), _literal(vector), k],
        ).fetchall()
    return [(int(a), float(s)) for a, s in rows]


class PgVectorIndex:
    """The workers' neighbour index in PostgreSQL (TIDINGS_VECTOR_INDEX=pgvector), answering as analysis.ann's
    DayIndex does, so stories.index.VectorIndex can use either.

    It keeps its own autocommit connection: a vector stored here is seen at once by every worker of every
    machine, whatever transaction the story stage is in. Rows are stored once: before adding, it asks which
    of the articles are already there (a new worker on a large database pays one query per CHECK_BATCH rows)."""

    CHECK_BATCH = 5000

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._connection = None

    def _conn(self):
        if self._connection is None or self._connection.closed:
            import psycopg

            connection = psycopg.connect(self._conninfo, autocommit=True)
            try:
                create(connection)
            except psycopg.Error as exc:
                connection.close()
                raise RuntimeError(
                    "TIDINGS_VECTOR_INDEX=pgvector needs the pgvector extension in the PostgreSQL database"
                    f" ({exc.diag.message_primary or exc}). Install it there, or use exact or files."
                ) from exc
            self._connection = connection
        return self._connection

    def __len__(self) -> int:
        return self._conn().execute("SELECT count(*) FROM stories_vectorindex").fetchone()[0]

    def add_new(self, rows: list[tuple[int, int, float, np.ndarray]]) -> int:
        """Store (row number, article id, time, vector) rows whose article is not stored yet; returns how many."""
        connection, added = self._conn(), 0
        for start in range(0, len(rows), self.CHECK_BATCH):
            chunk = rows[start : start + self.CHECK_BATCH]
            known = {
                article_id
                for (article_id,) in connection.execute(
                    "SELECT article_id FROM stories_vectorindex WHERE article_id = ANY(%s)",
                    [[int(r[1]) for r in chunk]],
                )
            }
            fresh = [r for r in chunk if int(r[1]) not in known]
            if fresh:
                add(connection, [r[1] for r in fresh], np.stack([r[3] for r in fresh]),
                    [datetime.fromtimestamp(r[2], UTC) for r in fresh])  # fmt: skip
                added += len(fresh)
        return added

    def nearest(
        self, vector: np.ndarray, *, around: float, window: float, k: int, exclude: frozenset[int] = frozenset()
    ) -> list[Hit]:
        hits = nearest(
            self._conn(), vector, around=datetime.fromtimestamp(around, UTC), window=timedelta(seconds=window), k=k,
            exclude=exclude,
        )  # fmt: skip
        return [Hit(article_id, cosine) for article_id, cosine in hits]

    def remove(self, article_ids: Iterable[int]) -> int:
        return remove(self._conn(), article_ids)
