"""Nearest neighbours inside PostgreSQL with pgvector's HNSW index, where the server has the extension.

Every web and worker machine then sees the same index, and no process holds vectors in memory. Debian's
PostgreSQL 15 here has no pgvector package; the PyPI package `pgserver` (an embedded PostgreSQL 16 with
pgvector 0.6.2) is how the tests and bench/neighbours.py run it for real. Functions take a psycopg 3
connection so they work on any database the operator points them at.

pgvector 0.6 filters an HNSW scan after the fact: the index yields `hnsw.ef_search` candidates by similarity
and the time window is applied to those. EF_SEARCH is set high enough that a window holding a fraction of the
vectors still leaves k candidates (recall measured in analysis/tests/test_ann.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np

from analysis.ann import Hit

TABLE = "stories_vectorindex"
EF_SEARCH = 400
SCHEMA = [
    "CREATE EXTENSION IF NOT EXISTS vector",
    f"CREATE TABLE IF NOT EXISTS {TABLE} (article_id bigint PRIMARY KEY, published_at timestamptz NOT NULL,"
    " embedding vector(384) NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_hnsw ON {TABLE} USING hnsw (embedding vector_ip_ops)"
    " WITH (m = 16, ef_construction = 128)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_published ON {TABLE} (published_at)",
]


def _literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32)) + "]"


def create(connection) -> None:
    for statement in SCHEMA:
        connection.execute(statement)


def add(connection, ids: Iterable[int], vectors: np.ndarray, times: Iterable[datetime]) -> None:
    """Store (or replace) unit vectors with their publication times, in one COPY."""
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE incoming (LIKE {TABLE}) ON COMMIT DROP")
        with cursor.copy("COPY incoming (article_id, published_at, embedding) FROM STDIN") as copy:
            for article_id, vector, published in zip(ids, vectors, times, strict=True):
                copy.write_row((int(article_id), published, _literal(vector)))
        cursor.execute(
            "INSERT INTO stories_vectorindex SELECT * FROM incoming ON CONFLICT (article_id) DO UPDATE"
            " SET published_at = EXCLUDED.published_at, embedding = EXCLUDED.embedding"
        )


def remove(connection, article_ids: Iterable[int]) -> int:
    cursor = connection.execute(
        "DELETE FROM stories_vectorindex WHERE article_id = ANY(%s)", [list(map(int, article_ids))]
    )
    return cursor.rowcount


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
