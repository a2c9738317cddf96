"""The file-backed approximate index (analysis.ann) on real MiniLM vectors of the ecbplus-dev articles and the
uci-dev headlines: recall against brute force, add and remove, and files shared across processes."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.ann import DAY, DayIndex
from analysis.clustering import embedding_text
from analysis.embeddings import get_encoder
from core.tests.shared_data import shared_file

WINDOW = 3 * DAY
START = 1_790_000_000.0  # a Sunday in 2026, epoch seconds


@pytest.fixture(scope="module")
def real_vectors() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """~3,500 real texts encoded as the pipeline does, spread over 12 days (ids, times, vectors)."""
    texts = []
    for mirror in ("ecbplus-dev", "uci-dev"):
        for line in shared_file("eval", "mirrors", mirror, "truth.jsonl").read_text().splitlines():
            row = json.loads(line)
            texts.append(embedding_text(row["title"], row.get("body") or ""))
    vectors = get_encoder("/tmp/tidings-models").encode(texts).astype(np.float32)
    rng = np.random.default_rng(3)
    times = START + rng.random(len(texts)) * 12 * DAY
    return np.arange(1, len(texts) + 1, dtype=np.int64), times, vectors


def brute_force(ids, times, vectors, query, around, k, exclude=frozenset()):
    inside = np.flatnonzero(np.abs(times - around) <= WINDOW)
    scores = vectors[inside] @ query
    order = inside[np.argsort(-scores, kind="stable")]
    return [int(ids[i]) for i in order if int(ids[i]) not in exclude][:k]


def test_recall_at_10_against_brute_force_is_at_least_095(tmp_path, real_vectors):
    ids, times, vectors = real_vectors
    assert len(ids) > 3400
    index = DayIndex(tmp_path)
    index.add(ids, vectors, times)
    assert len(index) == len(ids)
    rng = np.random.default_rng(5)
    found = total = 0
    for i in rng.choice(len(ids), 300, replace=False):
        exclude = frozenset({int(ids[i])})
        hits = index.nearest(vectors[i], around=times[i], window=WINDOW, k=10, exclude=exclude)
        expected = brute_force(ids, times, vectors, vectors[i], times[i], 10, exclude)
        assert all(abs(h.cosine - float(vectors[h.article_id - 1] @ vectors[i])) < 1e-4 for h in hits)
        assert all(abs(times[h.article_id - 1] - times[i]) <= WINDOW for h in hits)
        found += len({h.article_id for h in hits} & set(expected))
        total += len(expected)
    assert found / total >= 0.95


def test_removed_articles_are_never_returned_and_added_ones_are(tmp_path, real_vectors):
    ids, times, vectors = real_vectors
    index = DayIndex(tmp_path)
    index.add(ids[:1000], vectors[:1000], times[:1000])
    query, around = vectors[10], times[10]
    first = [h.article_id for h in index.nearest(query, around=around, window=WINDOW, k=5)]
    assert first[0] == ids[10]
    assert index.remove(first[:3]) == 3
    assert len(index) == 997
    after = [h.article_id for h in index.nearest(query, around=around, window=WINDOW, k=5)]
    assert not set(after) & set(first[:3])
    assert after[:2] == first[3:5]
    index.add(ids[10:11], vectors[10:11], times[10:11])  # stored again
    assert index.nearest(query, around=around, window=WINDOW, k=1)[0].article_id == ids[10]
    assert len(index) == 998


READER = """
import json, sys
import numpy as np
from analysis.ann import DayIndex
index = DayIndex(sys.argv[1])
query = np.load(sys.argv[2])
hits = index.nearest(query, around=float(sys.argv[3]), window=3 * 86400, k=10)
print(json.dumps([h.article_id for h in hits]))
"""


def _read_in_another_process(directory: Path, query: np.ndarray, around: float, tmp_path: Path) -> list[int]:
    np.save(tmp_path / "query.npy", query)
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", READER, str(directory), str(tmp_path / "query.npy"), str(around)],
                         capture_output=True, text=True, check=True, cwd=root)  # fmt: skip
    return json.loads(out.stdout)


def test_files_written_by_one_process_are_read_by_another(tmp_path, real_vectors):
    ids, times, vectors = real_vectors
    directory = tmp_path / "vectors"
    index = DayIndex(directory)
    index.add(ids[:2000], vectors[:2000], times[:2000])
    query, around = vectors[2500], times[2500]
    here = [h.article_id for h in index.nearest(query, around=around, window=WINDOW, k=10)]
    assert _read_in_another_process(directory, query, around, tmp_path) == here
    index.add(ids[2000:], vectors[2000:], times[2000:])  # a writer adds: a reader that mapped the old files
    assert index.nearest(query, around=around, window=WINDOW, k=1)[0].article_id == ids[2500]  # notices
    assert _read_in_another_process(directory, query, around, tmp_path)[0] == ids[2500]


def test_pgvector_hnsw_recall_add_and_remove_on_real_vectors(embedded_postgres, real_vectors):
    from datetime import UTC, datetime, timedelta

    from stories import pgvector

    ids, times, vectors = real_vectors
    connection = embedded_postgres
    pgvector.create(connection)
    when = [datetime.fromtimestamp(t, UTC) for t in times]
    pgvector.add(connection, ids, vectors, when)
    assert connection.execute("SELECT count(*) FROM stories_vectorindex").fetchone()[0] == len(ids)
    plan = connection.execute(
        "EXPLAIN SELECT article_id FROM stories_vectorindex ORDER BY embedding <#> %s::vector LIMIT 10",
        [pgvector._literal(vectors[0])],
    ).fetchall()
    plan = " ".join(row[0] for row in plan)
    assert "Index Scan using stories_vectorindex_p" in plan and "_embedding_idx" in plan  # each day's HNSW graph
    rng = np.random.default_rng(9)
    found = total = 0
    for i in rng.choice(len(ids), 200, replace=False):
        exclude = frozenset({int(ids[i])})
        hits = pgvector.nearest(connection, vectors[i], around=when[i], window=timedelta(seconds=WINDOW), k=10,
                                exclude=exclude)  # fmt: skip
        expected = brute_force(ids, times, vectors, vectors[i], times[i], 10, exclude)
        found += len({a for a, _ in hits} & set(expected))
        total += len(expected)
    assert found / total >= 0.95
    top = pgvector.nearest(connection, vectors[7], around=when[7], window=timedelta(seconds=WINDOW), k=3)
    assert top[0][0] == ids[7] and abs(top[0][1] - 1.0) < 1e-4
    assert pgvector.remove(connection, [ids[7]]) == 1
    again = pgvector.nearest(connection, vectors[7], around=when[7], window=timedelta(seconds=WINDOW), k=3)
    assert ids[7] not in {a for a, _ in again}
    assert [a for a, _ in again][:2] == [a for a, _ in top][1:3]
