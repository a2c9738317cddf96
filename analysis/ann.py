"""Approximate nearest neighbours over stored article vectors, in files every process maps (no Django).

At a million articles the in-process brute force (stories.index) keeps a 1.4 GB matrix in every worker and
answers a ±72 h query in ~190 ms. Here vectors are grouped by UTC day of publication; each day is one
directory entry of four files, written once by whichever process holds the directory's lock and then
memory-mapped read-only by every reader, so workers on one machine share the pages:

  <day>.usearch        an HNSW graph (usearch) over the day's vectors, keyed by article id
  <day>.ids.npy, <day>.times.npy, <day>.vectors.npy   the same rows sorted by publication time

A query over [around - window, around + window] asks the HNSW graph of each day wholly inside the window
for its k nearest, and scans exactly the part of the two edge days that is inside (a contiguous slice of
the time-sorted rows), then keeps the best k. Every day is rewritten with os.replace, so a reader that
mapped the old files keeps a consistent view until it notices the new ones (file identity is checked on
each query). Another machine builds its own files from the database (stories.index syncs them), or uses
pgvector where PostgreSQL has it (stories.pgvector).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embeddings import _import_onnxruntime

DAY = 86_400
# HNSW parameters: links per node, and candidate-list sizes when adding and searching. Measured on real
# MiniLM vectors (bench/neighbours.py --approximate): recall@10 ≥ 0.99 against brute force at 1M vectors.
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
# An edge day's rows inside the window are scanned exactly up to this many (~1 ms); beyond, its graph answers.
EXACT_UP_TO = 4096


def _usearch_index_class(directory: Path):
    """usearch's Index class. Importing usearch 2.26 before onnxruntime 1.32 makes the later onnxruntime
    import crash the process (a native symbol clash), so onnxruntime is imported first, the way the encoder
    does (its cache kept inside our data directory)."""
    _import_onnxruntime(directory)
    from usearch.index import Index

    return Index


@dataclass(frozen=True)
class Hit:
    article_id: int
    cosine: float


class _Day:
    """One day's files, mapped read-only."""

    def __init__(self, directory: Path, day: int) -> None:
        base = directory / str(day)
        self.identity = _identity(base.with_suffix(".usearch"))
        self.graph = _usearch_index_class(directory.parent).restore(str(base.with_suffix(".usearch")), view=True)
        self.ids = np.load(f"{base}.ids.npy", mmap_mode="r")
        self.times = np.load(f"{base}.times.npy", mmap_mode="r")
        self.vectors = np.load(f"{base}.vectors.npy", mmap_mode="r")
        by_id = np.argsort(self.ids, kind="stable")  # to find the time of a graph's answer
        self.sorted_ids = np.asarray(self.ids[by_id])
        self.times_by_id = np.asarray(self.times[by_id])

    def times_of(self, ids: np.ndarray) -> np.ndarray:
        return self.times_by_id[np.searchsorted(self.sorted_ids, ids)]


def _identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


class DayIndex:
    """Reader and writer of the day files under `directory` (see the module's docstring)."""

    def __init__(self, directory: Path | str, *, dimension: int = 384) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.dimension = dimension
        self._days: dict[int, _Day] = {}
        self._lock = threading.Lock()

    # reading ---------------------------------------------------------------------------------------------

    def days(self) -> list[int]:
        return sorted(int(p.stem) for p in self.directory.glob("*.usearch"))

    def _day(self, day: int) -> _Day | None:
        path = self.directory / f"{day}.usearch"
        try:
            identity = _identity(path)
        except FileNotFoundError:
            self._days.pop(day, None)
            return None
        with self._lock:
            mapped = self._days.get(day)
            if mapped is None or mapped.identity != identity:
                mapped = self._days[day] = _Day(self.directory, day)
            return mapped

    def __len__(self) -> int:
        return sum(len(d.ids) for day in self.days() if (d := self._day(day)) is not None)

    def nearest(
        self, vector: np.ndarray, *, around: float, window: float, k: int, exclude: frozenset[int] = frozenset()
    ) -> list[Hit]:
        """The k most similar vectors published within `window` seconds either side of `around` (epoch s)."""
        low, high = around - window, around + window
        query = np.asarray(vector, dtype=np.float32)
        want = k + len(exclude)
        ids: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for day in range(int(low // DAY), int(high // DAY) + 1):
            mapped = self._day(day)
            if mapped is None or not len(mapped.ids):
                continue
            if low <= day * DAY and (day + 1) * DAY <= high:  # wholly inside: ask the graph
                matches = mapped.graph.search(query, min(want, len(mapped.ids)), threads=1)
                ids.append(np.asarray(matches.keys, dtype=np.int64))
                scores.append(1.0 - np.asarray(matches.distances, dtype=np.float32))
                continue
            # An edge day: part of it is inside the window.
            start = np.searchsorted(mapped.times, low, side="left")
            stop = np.searchsorted(mapped.times, high, side="right")
            if stop <= start:
                continue
            if stop - start > EXACT_UP_TO:  # most of a big day: ask its graph for more, keep those inside
                count = min(len(mapped.ids), int(np.ceil(want * 2 * len(mapped.ids) / (stop - start))))
                matches = mapped.graph.search(query, count, threads=1)
                keys = np.asarray(matches.keys, dtype=np.int64)
                published = mapped.times_of(keys)
                inside = (published >= low) & (published <= high)
                if inside.sum() >= want:
                    ids.append(keys[inside])
                    scores.append(1.0 - np.asarray(matches.distances, dtype=np.float32)[inside])
                    continue
            ids.append(np.asarray(mapped.ids[start:stop]))  # few rows, or too few answers: scan exactly
            scores.append(np.asarray(mapped.vectors[start:stop]) @ query)
        if not ids:
            return []
        all_ids, all_scores = np.concatenate(ids), np.concatenate(scores)
        take = min(len(all_scores), want)
        top = np.argpartition(-all_scores, take - 1)[:take]
        order = top[np.argsort(-all_scores[top], kind="stable")]
        hits = [Hit(int(all_ids[i]), float(all_scores[i])) for i in order if int(all_ids[i]) not in exclude]
        return hits[:k]

    # writing ---------------------------------------------------------------------------------------------

    @contextmanager
    def _writing(self):
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def stored_through(self) -> int:
        """The highest row number (ArticleVector id) `add_new` stored: rows up to it are in the files."""
        try:
            return int((self.directory / "through").read_text())
        except FileNotFoundError:
            return 0

    def add_new(self, rows: list[tuple[int, int, float, np.ndarray]]) -> int:
        """Store (row number, article id, time, vector) rows numbered above stored_through(), under the lock,
        so several workers loading the same rows write each once. Returns how many were stored."""
        with self._writing():
            through = self.stored_through()
            fresh = [row for row in rows if row[0] > through]
            if fresh:
                self._add_unlocked(
                    np.array([r[1] for r in fresh]), np.stack([r[3] for r in fresh]), np.array([r[2] for r in fresh])
                )
                temporary = self.directory / "through.tmp"
                temporary.write_text(str(max(r[0] for r in fresh)))
                os.replace(temporary, self.directory / "through")
        return len(fresh)

    def add(self, ids: Iterable[int], vectors: np.ndarray, times: Iterable[float], *, threads: int = 1) -> int:
        """Store unit vectors with their article ids and publication times (epoch s); ids already stored
        are replaced. Returns how many days were rewritten."""
        with self._writing():
            return self._add_unlocked(ids, vectors, times, threads=threads)

    def _add_unlocked(self, ids, vectors, times, *, threads: int = 1) -> int:
        ids = np.asarray(list(ids), dtype=np.int64)
        times = np.asarray(list(times), dtype=np.float64)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.dimension)
        days = (times // DAY).astype(np.int64)
        for day in np.unique(days):
            chosen = days == day
            self._rewrite(int(day), ids[chosen], vectors[chosen], times[chosen], threads=threads)
        return len(np.unique(days))

    def remove(self, article_ids: Iterable[int]) -> int:
        """Forget these articles (retention deleted them); returns how many rows went."""
        gone = np.asarray(list(article_ids), dtype=np.int64)
        removed = 0
        with self._writing():
            for day in self.days():
                ids, _, _ = self._load(day)
                mask = np.isin(ids, gone)
                if mask.any():
                    removed += int(mask.sum())
                    self._rewrite(day, np.zeros(0, np.int64), np.zeros((0, self.dimension), np.float32),
                                  np.zeros(0), drop=ids[mask])  # fmt: skip
        return removed

    def _load(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        base = self.directory / str(day)
        if not (self.directory / f"{day}.usearch").exists():
            return np.zeros(0, np.int64), np.zeros(0), np.zeros((0, self.dimension), np.float32)
        return np.load(f"{base}.ids.npy"), np.load(f"{base}.times.npy"), np.load(f"{base}.vectors.npy")

    def _rewrite(self, day: int, ids, vectors, times, *, drop: np.ndarray | None = None, threads: int = 1) -> None:
        old_ids, old_times, old_vectors = self._load(day)
        keep = ~np.isin(old_ids, ids if drop is None else np.concatenate([ids, drop]))
        all_ids = np.concatenate([old_ids[keep], ids])
        all_times = np.concatenate([old_times[keep], times])
        all_vectors = np.concatenate([old_vectors[keep], vectors]).astype(np.float32)
        order = np.argsort(all_times, kind="stable")
        all_ids, all_times, all_vectors = all_ids[order], all_times[order], all_vectors[order]
        base = self.directory / str(day)
        if not len(all_ids):
            for suffix in (".usearch", ".ids.npy", ".times.npy", ".vectors.npy"):
                Path(f"{base}{suffix}").unlink(missing_ok=True)
            return
        if drop is None and keep.all() and len(old_ids):  # only new rows: extend the stored graph
            graph = _usearch_index_class(self.directory.parent).restore(f"{base}.usearch")
            graph.add(ids, np.asarray(vectors, dtype=np.float32), threads=threads)
        else:
            index_class = _usearch_index_class(self.directory.parent)
            graph = index_class(ndim=self.dimension, metric="ip", dtype="f32", connectivity=CONNECTIVITY,
                                expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)  # fmt: skip
            graph.add(all_ids, all_vectors, threads=threads)
        # Sidecars first, the graph last: readers notice a new day by the graph file's identity.
        for suffix, array in ((".ids.npy", all_ids), (".times.npy", all_times), (".vectors.npy", all_vectors)):
            temporary = Path(f"{base}{suffix}.tmp.npy")
            np.save(temporary, array)
            os.replace(temporary, f"{base}{suffix}")
        temporary = Path(f"{base}.usearch.tmp")
        graph.save(str(temporary))
        os.replace(temporary, f"{base}.usearch")
