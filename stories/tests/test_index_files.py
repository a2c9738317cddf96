"""VectorIndex backed by analysis.ann's files (TIDINGS_VECTOR_INDEX=files) answers as the in-process brute force
does, and two workers loading the same rows write them once."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from analysis.ann import DayIndex
from analysis.embeddings import DIMENSION, to_bytes
from articles.models import Article
from sources.models import Publisher
from stories.index import VectorIndex
from stories.models import ArticleVector

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def store_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    publisher = Publisher.objects.create(name="Harbour Times", slug="harbour-times")
    centres = rng.normal(size=(8, DIMENSION)).astype(np.float32)
    vectors = centres[rng.integers(0, 8, n)] + rng.normal(0, 0.3, (n, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for i, vector in enumerate(vectors):
        published = NOW - timedelta(hours=float(rng.random() * 24 * 10))
        article = Article.objects.create(
            publisher=publisher, url=f"https://example.org/{i}", canonical_url=f"https://example.org/{i}",
            url_hash=f"h{i}", title=f"Headline {i}", status=Article.Status.READY, published_at=published,
        )  # fmt: skip
        ArticleVector.objects.create(article=article, model="test", dimension=DIMENSION, vector=to_bytes(vector),
                                     published_at=published)  # fmt: skip
    return vectors


def test_file_index_answers_like_the_brute_force_and_is_written_once(tmp_path):
    rng = np.random.default_rng(4)
    vectors = store_vectors(400, rng)
    exact, first, second = VectorIndex(), VectorIndex(DayIndex(tmp_path)), VectorIndex(DayIndex(tmp_path))
    for index in (exact, first, second):
        assert index.refresh() == 400
        assert len(index) == 400
    for i in range(0, 400, 40):
        around = NOW - timedelta(days=5)
        expected = exact.nearest(vectors[i], around=around, window=timedelta(hours=72), k=10)
        got = first.nearest(vectors[i], around=around, window=timedelta(hours=72), k=10)
        assert [n.article_id for n in got] == [n.article_id for n in expected]
        assert np.allclose([n.cosine for n in got], [n.cosine for n in expected], atol=1e-5)
    written = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.usearch")}
    assert DayIndex(tmp_path).stored_through() == ArticleVector.objects.order_by("-pk").first().pk
    again = second.nearest(vectors[0], around=NOW - timedelta(days=5), window=timedelta(hours=72), k=10)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.usearch")} == written  # nothing rewritten
    assert [n.article_id for n in again] == [
        n.article_id
        for n in exact.nearest(vectors[0], around=NOW - timedelta(days=5), window=timedelta(hours=72), k=10)
    ]


def test_forgotten_articles_leave_memory_and_files(tmp_path):
    rng = np.random.default_rng(5)
    vectors = store_vectors(200, rng)
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    exact, files = VectorIndex(), VectorIndex(DayIndex(tmp_path))
    for index in (exact, files):
        index.refresh()
        index.nearest(vectors[0], around=NOW - timedelta(days=5), window=timedelta(days=30), k=5)  # files written
    gone = set(ids[::2])
    for index in (exact, files):
        index.forget(gone)
        for i in range(0, 200, 25):
            found = index.nearest(vectors[i], around=NOW - timedelta(days=5), window=timedelta(days=30), k=20)
            assert len(found) == 20 and not gone & {n.article_id for n in found}
        assert not any(index.within(article_id, NOW, timedelta(days=30)) for article_id in gone)
    assert len(DayIndex(tmp_path)) == 100  # another worker's reader sees the files without them
