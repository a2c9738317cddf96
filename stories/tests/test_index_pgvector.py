"""VectorIndex backed by pgvector's HNSW index in PostgreSQL (TIDINGS_VECTOR_INDEX=pgvector): the same neighbours
as the in-process brute force, rows stored once for every worker, deleted articles gone, and a plain sentence
when the database has no pgvector."""

import re
from datetime import timedelta

import numpy as np
import pytest

from analysis.embeddings import from_bytes
from stories import pgvector
from stories.index import VectorIndex
from stories.models import ArticleVector
from stories.pgvector import PgVectorIndex
from stories.tests.test_index_files import NOW, store_vectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def pgvector_uri(embedded_postgres):
    embedded_postgres.execute("DROP TABLE IF EXISTS stories_vectorindex")
    return embedded_postgres.uri


def test_pgvector_index_answers_like_the_brute_force(pgvector_uri):
    rng = np.random.default_rng(6)
    vectors = store_vectors(300, rng)
    exact, first, second = (
        VectorIndex(),
        VectorIndex(PgVectorIndex(pgvector_uri)),
        VectorIndex(PgVectorIndex(pgvector_uri)),
    )
    for index in (exact, first, second):
        assert index.refresh() == 300
    found = total = 0
    for i in range(0, 300, 30):
        around = NOW - timedelta(days=5)
        expected = [n.article_id for n in exact.nearest(vectors[i], around=around, window=timedelta(hours=72), k=10)]
        got = [n.article_id for n in first.nearest(vectors[i], around=around, window=timedelta(hours=72), k=10)]
        found, total = found + len(set(got) & set(expected)), total + len(expected)
    assert total and found / total >= 0.95
    assert len(PgVectorIndex(pgvector_uri)) == 300
    # A second worker loading the same rows stores nothing again.
    assert second._approximate.add_new(second._unstored) == 0


def test_forgotten_articles_leave_the_database_index(pgvector_uri):
    rng = np.random.default_rng(7)
    vectors = store_vectors(100, rng)
    index = VectorIndex(PgVectorIndex(pgvector_uri))
    index.refresh()
    around = NOW - timedelta(days=5)
    top = index.nearest(vectors[0], around=around, window=timedelta(days=30), k=5)
    gone = {n.article_id for n in top}
    index.forget(gone)
    again = index.nearest(vectors[0], around=around, window=timedelta(days=30), k=5)
    assert len(again) == 5 and not gone & {n.article_id for n in again}
    assert len(PgVectorIndex(pgvector_uri)) == 95


def test_a_window_reads_only_its_own_days(pgvector_uri, embedded_postgres):
    rng = np.random.default_rng(8)
    vectors = store_vectors(200, rng)
    index = VectorIndex(PgVectorIndex(pgvector_uri))
    index.refresh()
    assert index.nearest(vectors[0], around=NOW - timedelta(days=5), window=timedelta(days=1), k=1)  # stores them
    days = embedded_postgres.execute(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'stories_vectorindex'::regclass"
    ).fetchone()[0]
    plan = " ".join(
        row[0]
        for row in embedded_postgres.execute(
            "EXPLAIN SELECT article_id FROM stories_vectorindex WHERE published_at BETWEEN %s AND %s"
            " ORDER BY embedding <#> %s::vector LIMIT 10",
            [NOW - timedelta(days=6), NOW - timedelta(days=4), pgvector._literal(vectors[0])],
        )
    )
    scanned = set(re.findall(r"stories_vectorindex_p\d{8}\b", plan))
    assert days > 5 and 2 <= len(scanned) <= 3  # the window's two or three days only (at scale, by their graphs)


def test_a_table_from_before_partitioning_is_moved_into_days(pgvector_uri, embedded_postgres):
    store_vectors(50, np.random.default_rng(9))
    embedded_postgres.execute(
        "CREATE TABLE stories_vectorindex (article_id bigint PRIMARY KEY, published_at timestamptz NOT NULL,"
        " embedding vector(384) NOT NULL)"
    )
    embedded_postgres.execute(
        "CREATE INDEX stories_vectorindex_hnsw ON stories_vectorindex USING hnsw (embedding vector_ip_ops)"
    )
    embedded_postgres.execute("CREATE INDEX stories_vectorindex_published ON stories_vectorindex (published_at)")
    with embedded_postgres.transaction(), embedded_postgres.cursor() as cursor:
        for article_id, published, blob in ArticleVector.objects.values_list("article_id", "published_at", "vector"):
            cursor.execute(
                "INSERT INTO stories_vectorindex VALUES (%s, %s, %s::vector)",
                [article_id, published, pgvector._literal(from_bytes(blob))],
            )
    index = PgVectorIndex(pgvector_uri)
    assert len(index) == 50  # connecting moved them
    kind = embedded_postgres.execute("SELECT relkind FROM pg_class WHERE relname = 'stories_vectorindex'").fetchone()
    assert kind == ("p",)
    assert embedded_postgres.execute("SELECT to_regclass('stories_vectorindex_unpartitioned')").fetchone() == (None,)


def test_a_day_left_without_vectors_is_dropped(pgvector_uri, embedded_postgres):
    store_vectors(100, np.random.default_rng(10))
    index = VectorIndex(PgVectorIndex(pgvector_uri))
    index.refresh()
    assert index.nearest(np.ones(384, dtype=np.float32) / np.sqrt(384), around=NOW, window=timedelta(days=30), k=1)

    def days() -> list[str]:
        rows = embedded_postgres.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'stories_vectorindex'::regclass ORDER BY c.relname"
        )
        return [name for (name,) in rows]

    before = days()
    oldest = before[0].removeprefix("stories_vectorindex_p")
    emptied = list(
        ArticleVector.objects.filter(published_at__date=f"{oldest[:4]}-{oldest[4:6]}-{oldest[6:]}").values_list(
            "article_id", flat=True
        )
    )
    index.forget(emptied[:-1])  # one vector left: the day stays
    assert days() == before
    index.forget(emptied[-1:])
    assert days() == before[1:]
    assert len(PgVectorIndex(pgvector_uri)) == 100 - len(emptied)


def test_a_database_without_pgvector_is_named_plainly():
    # This machine's PostgreSQL (Debian's 15, as the suite's own database server) has no pgvector.
    index = PgVectorIndex("postgresql://postgres@127.0.0.1:5432/postgres")
    with pytest.raises(RuntimeError, match="needs the pgvector extension in the PostgreSQL database"):
        len(index)
