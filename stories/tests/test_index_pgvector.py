"""VectorIndex backed by pgvector's HNSW index in PostgreSQL (TIDINGS_VECTOR_INDEX=pgvector): the same neighbours
as the in-process brute force, rows stored once for every worker, deleted articles gone, and a plain sentence
when the database has no pgvector."""

from datetime import timedelta

import numpy as np
import pytest

from stories.index import VectorIndex
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


def test_a_database_without_pgvector_is_named_plainly():
    # This machine's PostgreSQL (Debian's 15, as the suite's own database server) has no pgvector.
    index = PgVectorIndex("postgresql://postgres@127.0.0.1:5432/postgres")
    with pytest.raises(RuntimeError, match="needs the pgvector extension in the PostgreSQL database"):
        len(index)
