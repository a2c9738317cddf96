"""Words every module reads the same way: month and weekday names, number words, and stemming.

Stemming is the Snowball English (Porter2) stemmer from ``snowballstemmer``, the stemmer of Lucene,
NLTK and PostgreSQL's ``english`` configuration (``stem``). "Ask about this article" keeps the light
suffix stripping its refusal threshold was chosen with (``light_stem``): with Snowball stems the held-out
questions' "unanswerable refused" fell from 0.52 to 0.46 (2026-12-04), under its floor.

Stop lists are not here on purpose: each is a fitted parameter of its own measure (the clustering's
word-overlap weight was fitted without its list, the key points' centrality without theirs), so each
stays beside the measure it was tuned with, and changing one means measuring that gate again.
"""

from __future__ import annotations

import functools
import threading

import snowballstemmer

# Every spelling a dateline or a sentence uses for a month → the month.
MONTHS = {
    **{m: m for m in ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                      "october", "november", "december")},
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
    "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
    "dec": "december",
}  # fmt: skip

# Every spelling of a weekday → the weekday.
WEEKDAYS = {
    **{d: d for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
    "mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday", "thu": "thursday",
    "thurs": "thursday", "fri": "friday", "sat": "saturday", "sun": "sunday",
}  # fmt: skip

WEEKDAY_NAMES = frozenset(WEEKDAYS.values())

# Number words → their value ("a dozen" is 12; plurals are counts of their unit).
NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "hundreds": 100,
    "thousand": 1_000, "thousands": 1_000, "million": 1_000_000, "millions": 1_000_000,
    "billion": 1_000_000_000, "billions": 1_000_000_000, "dozen": 12, "dozens": 12,
}  # fmt: skip


def alternation(words) -> str:
    """A regular-expression alternation of `words`, longest first (so "sept" is tried before "sep")."""
    return "|".join(sorted(words, key=lambda w: (-len(w), w)))


_local = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball English stem of a lower-case word: "convicts", "convicted" → "convict"."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


def light_stem(word: str) -> str:
    """Strip one common suffix when at least four letters stay: "killing", "killed" → "kill"; "police" stays."""
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word
