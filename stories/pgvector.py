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
from datetime import datetime, timedelta

import numpy as np

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
