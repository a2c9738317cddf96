"""Nearest neighbours over recent articles, in process.

Each worker holds the vectors of stored articles in one numpy matrix, loaded incrementally
(ArticleVector ids only grow), and answers by brute force: 100k × 384 is a 150 MB matrix and
~10 ms a query on this machine, which an HNSW library would beat only at recall it must prove.
Related lists are precomputed at ingest, so pages never search.

At a million articles that matrix is 1.4 GB in every worker and a ±72 h query ~190 ms: with
TIDINGS_VECTOR_INDEX=files the vectors go instead to analysis.ann's HNSW files under the data directory,
written once (by whichever worker loads them first) and memory-mapped by all; the worker then keeps only
publication times, headline keys and text signatures in memory."""

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from analysis.ann import DayIndex
from analysis.dedupe import DuplicateIndex, TextSignature
from analysis.embeddings import DIMENSION, from_bytes

from .models import ArticleVector
from .pgvector import PgVectorIndex


@dataclass(frozen=True)
class Neighbour:
    article_id: int
    cosine: float


class VectorIndex:
    def __init__(self, approximate: DayIndex | PgVectorIndex | None = None) -> None:
        self._approximate = approximate
        self._unstored: list[tuple[int, int, float, np.ndarray]] = []  # (row, article, time, vector) for the files
        self._lock = threading.Lock()
        self._last_id = 0
        self._ids = np.zeros(0, dtype=np.int64)
        self._times = np.zeros(0, dtype=np.float64)
        self._matrix = np.zeros((0, DIMENSION), dtype=np.float32)
        self._pending: list[tuple[int, float, np.ndarray]] = []
        self._published: dict[int, float] = {}
        self.duplicates = DuplicateIndex()
        self._headlines: dict[str, list[int]] = {}  # headline_key → headline-only articles

    def __len__(self) -> int:
        if self._approximate is not None:
            return len(self._published)
        return len(self._ids) + len(self._pending)

    def refresh(self) -> int:
        """Load vectors stored since the last refresh (by any worker)."""
        rows = ArticleVector.objects.filter(pk__gt=self._last_id).order_by("pk")
        added = 0
        columns = ("pk", "article_id", "vector", "text_signature", "headline_key", "published_at")
        for pk, article_id, blob, signature, headline, published in rows.values_list(*columns).iterator(
            chunk_size=2000
        ):
            with self._lock:
                if self._approximate is None:
                    self._pending.append((article_id, published.timestamp(), from_bytes(bytes(blob))))
                else:
                    self._unstored.append((pk, article_id, published.timestamp(), from_bytes(bytes(blob))))
                self._published[article_id] = published.timestamp()
                if headline:
                    self._headlines.setdefault(headline, []).append(article_id)
            if signature:
                self.duplicates.add(article_id, TextSignature.from_bytes(bytes(signature)))
            self._last_id = pk
            added += 1
        return added

    def forget(self, article_ids: Iterable[int]) -> None:
        """Drop deleted articles (retention): from memory, and from the shared index (files or pgvector) if any."""
        gone = set(article_ids)
        if not gone:
            return
        with self._lock:
            for article_id in gone:
                self._published.pop(article_id, None)
                self.duplicates.remove(article_id)
            for key, ids in list(self._headlines.items()):
                kept = [i for i in ids if i not in gone]
                if kept:
                    self._headlines[key] = kept
                else:
                    del self._headlines[key]
            self._pending = [row for row in self._pending if row[0] not in gone]
            self._unstored = [row for row in self._unstored if row[1] not in gone]
            keep = ~np.isin(self._ids, np.fromiter(gone, dtype=np.int64))
            self._ids, self._times, self._matrix = self._ids[keep], self._times[keep], self._matrix[keep]
        if self._approximate is not None:
            self._approximate.remove(gone)

    def same_headline(self, headline_key: str) -> list[int]:
        """Headline-only articles loaded with this headline_key (analysis.dedupe.headline_key)."""
        with self._lock:
            return list(self._headlines.get(headline_key, ())) if headline_key else []

    def within(self, article_id: int, around: datetime, window: timedelta) -> bool:
        """Whether a loaded article was published within `window` either side of `around`."""
        published = self._published.get(article_id)
        return published is not None and abs(published - around.timestamp()) <= window.total_seconds()

    def _stack(self) -> None:
        if not self._pending:
            return
        ids, times, vectors = zip(*self._pending, strict=True)
        self._ids = np.concatenate([self._ids, np.array(ids, dtype=np.int64)])
        self._times = np.concatenate([self._times, np.array(times, dtype=np.float64)])
        self._matrix = np.vstack([self._matrix, np.stack(vectors).astype(np.float32)])
        self._pending = []

    def nearest(
        self, vector: np.ndarray, *, around: datetime, window: timedelta, k: int, exclude: frozenset[int] = frozenset()
    ) -> list[Neighbour]:
        """The k most similar stored articles published within `window` either side of `around`."""
        if self._approximate is not None:
            with self._lock:
                unstored, self._unstored = self._unstored, []
            if unstored:
                self._approximate.add_new(unstored)
            hits = self._approximate.nearest(
                vector, around=around.timestamp(), window=window.total_seconds(), k=k, exclude=exclude
            )
            return [Neighbour(hit.article_id, hit.cosine) for hit in hits]
        with self._lock:
            self._stack()
            if not len(self._ids):
                return []
            t, w = around.timestamp(), window.total_seconds()
            in_window = np.flatnonzero(np.abs(self._times - t) <= w)
            if not len(in_window):
                return []
            scores = self._matrix[in_window] @ vector.astype(np.float32)
            take = min(len(scores), k + len(exclude))
            top = np.argpartition(-scores, take - 1)[:take]
            order = top[np.argsort(-scores[top])]
            result = []
            for i in order:
                article_id = int(self._ids[in_window[i]])
                if article_id not in exclude:
                    result.append(Neighbour(article_id, float(scores[i])))
                if len(result) == k:
                    break
            return result


_index: VectorIndex | None = None
_index_lock = threading.Lock()


def pgvector_conninfo() -> str:
    """The default database's connection string, for the pgvector index's own connection."""
    from django.db import connections
    from psycopg.conninfo import make_conninfo

    database = connections["default"].settings_dict
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("TIDINGS_VECTOR_INDEX=pgvector needs DATABASE_URL to point at PostgreSQL.")
    parts = {"dbname": database["NAME"], "user": database["USER"], "password": database["PASSWORD"],
             "host": database["HOST"], "port": database["PORT"]}  # fmt: skip
    return make_conninfo(**{key: str(value) for key, value in parts.items() if value})


def shared_index() -> VectorIndex:
    """The process's index (a forked worker starts its own: the parent never loads one)."""
    global _index
    with _index_lock:
        if _index is None:
            from django.conf import settings

            if settings.VECTOR_INDEX == "files":
                _index = VectorIndex(DayIndex(settings.DATA_DIR / "vectors"))
            elif settings.VECTOR_INDEX == "pgvector":
                _index = VectorIndex(PgVectorIndex(pgvector_conninfo()))
            else:
                _index = VectorIndex()
        return _index


def reset_shared_index() -> None:
    """Forget the process's index (a forked worker, or a test whose database was rolled back)."""
    global _index
    with _index_lock:
        _index = None
