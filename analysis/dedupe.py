"""Syndicated copies and near-duplicates: MinHash signatures, an LSH index, and which copy is the original.

The same text reaches us from several publishers: AP/Reuters/AFP wire copy under a local headline and
dateline, The Conversation pieces republished by Asia Times and others, a story revised in place. We
fold those into one article. Pure: no Django; the orchestrator stores ``TextSignature.to_bytes()`` in a
BinaryField, fills a ``DuplicateIndex`` with the articles of its time window and writes ``duplicate_of``.

1. ``signature(text)``: word ``SHINGLE_WORDS``-grams over normalised tokens → MinHash (rensa ``RMinHash``).
2. ``DuplicateIndex.candidates(sig)``: banded LSH, tuned to over-collect below ``DUPLICATE_THRESHOLD``.
3. ``similarity(a, b)``: estimated Jaccard; at or above ``DUPLICATE_THRESHOLD`` two texts are one article.
4. ``find_original(article, others)``: the text's own credit wins, else the earliest copy.
5. ``headline_key(title)``: for headline-only items, which have no text to sign.

Why MinHash and not SimHash (trafilatura's ``deduplication.Simhash``): in our trial SimHash missed edited
copies (a paragraph added or cut, a new headline), because one 64-bit fingerprint moves too far;
MinHash estimates set overlap directly, so an added paragraph lowers the similarity only by its share
of the text. rensa computes a 128-permutation signature of a 300-word article in ~0.1 ms.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import rensa

# Word 4-grams. Each changed word breaks n shingles, so a smaller n forgives wire edits (a changed
# dateline, "said" → "told reporters") better; a larger n keeps independently written articles apart.
# On the ECB+ dev mirror (496 articles, 42 events) 4-grams keep different events of one topic at exact
# Jaccard ≤ 0.045 (3-grams: ≤ 0.072) while labelled wire copies stay far above the threshold.
SHINGLE_WORDS = 4

# 128 permutations: the estimate's standard error is sqrt(J(1-J)/128) ≈ 0.04 near the threshold, far
# smaller than the gap between copies (≥ 0.5) and different events (≤ 0.05); the signature is 512 bytes.
NUM_PERM = 128
SEED = 1_2026  # fixed forever: signatures made with another seed are incomparable

# Below 50 words (a feed teaser, a headline with a byline) a text has too few shingles for a stable
# estimate, and two teasers sharing a stock sentence ("Click here to read the full story") would look
# like copies. Such items are left to the canonical-URL and title checks.
MIN_WORDS = 50

# Estimated Jaccard (4-gram shingles) at or above which two texts are the same article. Calibrated on
# ../shared/data/near-duplicates and the ECB+ dev mirror's silver dup groups: at 0.5 every BBC pair with
# 5-gram Jaccard ≥ 0.5 matches (169/169) and 19/20 such ECB+ wire pairs (the miss has a side under
# MIN_WORDS); on the mirror, precision 1.0 (0 false pairs among ~106k) and 0/2,549 same-topic,
# different-event pairs flagged (their highest estimate is 0.04; 0.45–0.7 gives the same precision).
# Copies that share only a paragraph or two (a short brief inside a long article) stay separate.
DUPLICATE_THRESHOLD = 0.5

# A headline-only item (a feed with no text, a page that is its headline) has nothing to sign; it is a
# copy of another headline-only item when the two headlines match word for word after folding case,
# accents and punctuation ("'Death stars' in Orion blast planets…" = "Death stars in Orion blast
# planets…"), and have at least this many words: short stock headlines ("Business Highlights", "Letters
# to the editor") recur with different text under them.
HEADLINE_MIN_WORDS = 6

# LSH bands × rows = NUM_PERM. With 32 bands of 4 rows a pair at Jaccard s becomes a candidate with
# probability 1 - (1 - s^4)^32: 0.87 at s = 0.4, 0.99 at s = 0.5, 0.03 at s = 0.1. Candidates are then
# checked against DUPLICATE_THRESHOLD with similarity().
LSH_BANDS = 32
_ROWS = NUM_PERM // LSH_BANDS

# Serialised form: format version, shingle size, rensa's algorithm version, permutations, shingle count,
# then the values as little-endian u32. A signature whose header differs must be recomputed from text.
_FORMAT = 1
_HEADER = struct.Struct("<BBBHI")
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class TextSignature:
    values: tuple[int, ...]  # NUM_PERM MinHash minima (u32)
    shingles: int = 0  # size of the shingle set, kept so containment can be estimated later

    def to_bytes(self) -> bytes:
        head = _HEADER.pack(_FORMAT, SHINGLE_WORDS, rensa.RMinHash.ALGORITHM_VERSION, len(self.values), self.shingles)
        return head + struct.pack(f"<{len(self.values)}I", *self.values)

    @classmethod
    def from_bytes(cls, data: bytes) -> TextSignature:
        """Raise ValueError for bytes written by another format, shingle size or rensa algorithm."""
        if len(data) < _HEADER.size:
            raise ValueError("not a TextSignature: too short")
        fmt, words, algorithm, num_perm, shingles = _HEADER.unpack_from(data)
        expected = (_FORMAT, SHINGLE_WORDS, rensa.RMinHash.ALGORITHM_VERSION)
        if (fmt, words, algorithm) != expected or len(data) != _HEADER.size + 4 * num_perm:
            raise ValueError(f"stale or foreign signature {fmt, words, algorithm, num_perm}: recompute it")
        return cls(struct.unpack_from(f"<{num_perm}I", data, _HEADER.size), shingles)


def tokens(text: str) -> list[str]:
    """Lower-case, accent-folded words; punctuation and underscores dropped ("4,051" → "4", "051")."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return [t for t in _TOKEN.findall(folded) if not unicodedata.combining(t[0])]


def headline_key(title: str) -> str:
    """What two copies of a headline-only item share: its folded words, or "" when it is too short to tell."""
    words = tokens(title)
    return " ".join(words) if len(words) >= HEADLINE_MIN_WORDS else ""


def shingles(words: Sequence[str], n: int = SHINGLE_WORDS) -> set[str]:
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def signature(text: str) -> TextSignature | None:
    """MinHash of the text's word n-grams, or None when it has fewer than MIN_WORDS words."""
    words = tokens(text)
    if len(words) < MIN_WORDS:
        return None
    grams = shingles(words)
    minhash = rensa.RMinHash(NUM_PERM, SEED)
    minhash.update(list(grams))
    return TextSignature(tuple(minhash.digest()), len(grams))


def similarity(a: TextSignature, b: TextSignature) -> float:
    """Estimated Jaccard similarity of the two shingle sets (share of equal MinHash minima)."""
    if len(a.values) != len(b.values):
        raise ValueError(f"signatures of {len(a.values)} and {len(b.values)} permutations are incomparable")
    return sum(x == y for x, y in zip(a.values, b.values, strict=True)) / len(a.values)


class DuplicateIndex:
    """In-process banded LSH over the signatures of recent articles (the caller's time window).

    We band the stored u32 values ourselves instead of using rensa's ``RMinHashLSH``: that index only
    accepts live ``RMinHash`` objects, which cannot be rebuilt from a stored digest except through
    rensa's private pickle format.
    """

    def __init__(self, *, bands: int = LSH_BANDS) -> None:
        if NUM_PERM % bands:
            raise ValueError(f"{bands} bands do not divide {NUM_PERM} permutations")
        self._rows = NUM_PERM // bands
        self._buckets: list[dict[tuple[int, ...], list[int]]] = [{} for _ in range(bands)]
        self._signatures: dict[int, TextSignature] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def _bands(self, sig: TextSignature):
        rows = self._rows
        for band, bucket in enumerate(self._buckets):
            yield bucket, sig.values[band * rows : (band + 1) * rows]

    def add(self, article_id: int, sig: TextSignature) -> None:
        if article_id in self._signatures:
            return
        self._signatures[article_id] = sig
        for bucket, key in self._bands(sig):
            bucket.setdefault(key, []).append(article_id)

    def remove(self, article_id: int) -> None:
        sig = self._signatures.pop(article_id, None)
        if sig is None:
            return
        for bucket, key in self._bands(sig):
            ids = bucket.get(key, [])
            if article_id in ids:
                ids.remove(article_id)
            if not ids:
                bucket.pop(key, None)

    def candidates(self, sig: TextSignature) -> list[int]:
        """Ids sharing at least one band with sig, in insertion order; verify them with similarity()."""
        found: dict[int, None] = {}
        for bucket, key in self._bands(sig):
            for article_id in bucket.get(key, ()):
                found[article_id] = None
        return list(found)

    def near(self, sig: TextSignature, threshold: float = DUPLICATE_THRESHOLD) -> list[tuple[int, float]]:
        """Candidates whose estimated Jaccard reaches threshold, most similar first."""
        scored = [(i, similarity(sig, self._signatures[i])) for i in self.candidates(sig)]
        return sorted((p for p in scored if p[1] >= threshold), key=lambda p: (-p[1], p[0]))


@dataclass(frozen=True)
class Copy:
    article_id: int
    published: datetime
    publisher: str
    text: str  # the start and the end of the body: credits sit in the dateline or the last paragraph


# Wire agencies as they appear in datelines and credits → the names their own feeds might carry.
WIRE_ALIASES = {
    "ap": ("ap", "associated press", "ap news"),
    "associated press": ("ap", "associated press", "ap news"),
    "reuters": ("reuters", "thomson reuters"),
    "afp": ("afp", "agence france presse", "agence france-presse"),
    "agence france presse": ("afp", "agence france presse", "agence france-presse"),
    "upi": ("upi", "united press international"),
    "bloomberg": ("bloomberg", "bloomberg news"),
}

# "This article is republished from The Conversation under a Creative Commons license",
# "It was originally published on The Conversation", "first published by ProPublica",
# "Republished with permission from Grist", "Reprinted from ...", "courtesy of ...".
_NAME = r"(?P<name>(?:the\s+)?[A-Z][\w&'’-]*(?:\s+(?:of\s+|the\s+|&\s+)?[A-Z][\w&'’-]*){0,5})"
_CREDITS = [
    re.compile(r"(?i:originally|first)\s+(?i:published|appeared|ran)\s+(?i:on|in|by|at)\s+" + _NAME),
    re.compile(r"(?i:republished|reprinted|reproduced)\s+(?i:with\s+permission\s+)?(?i:from|by)\s+" + _NAME),
    re.compile(r"(?i:courtesy\s+of)\s+" + _NAME),
]
# Wire datelines: "WASHINGTON (AP) — ", "LONDON, Jan 5 (Reuters) - ", "(AFP) –", near the start only.
_DATELINE = re.compile(r"\((?P<name>AP|Associated Press|Reuters|AFP|UPI|Bloomberg)\)\s*[-—–]")
_DATELINE_WITHIN = 400


def _norm(name: str) -> str:
    words = tokens(name)
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def credited_names(text: str) -> list[str]:
    """Publisher names the text credits as its source, normalised ("the conversation" → "conversation")."""
    names = [m["name"] for pattern in _CREDITS for m in pattern.finditer(text)]
    names += [m["name"] for m in _DATELINE.finditer(text[:_DATELINE_WITHIN])]
    return [n for n in map(_norm, names) if n]


def _names_match(credit: str, publisher: str) -> bool:
    """'conversation' names 'The Conversation UK'; 'ap' names 'Associated Press'."""
    pub = _norm(publisher)
    if not pub:
        return False
    aliases = WIRE_ALIASES.get(credit, (credit,))
    return any(
        pub == alias or pub.startswith(alias + " ") or alias.startswith(pub + " ") for alias in map(_norm, aliases)
    )


def find_original(article: Copy, others: Sequence[Copy]) -> int | None:
    """Which of these near-duplicates is the original.

    1. A credit in any copy's text ("republished from The Conversation", "(AP) —") that names the
       publisher of one of the copies makes that copy the original; the most-credited wins.
    2. Otherwise the earliest published copy (ties: the lowest id, so the choice is stable).
    Returns None when there is nothing to choose among (no others).
    """
    if not others:
        return None
    copies = [article, *others]
    votes: dict[int, int] = {}
    for copy in copies:
        for credit in credited_names(copy.text):
            for named in copies:
                if _names_match(credit, named.publisher):
                    votes[named.article_id] = votes.get(named.article_id, 0) + 1
    by_time = sorted(copies, key=lambda c: (c.published, c.article_id))
    if votes:
        most = max(votes.values())
        return next(c.article_id for c in by_time if votes.get(c.article_id) == most)
    return by_time[0].article_id
