"""Story briefing: what happened, across outlets, quoted and cited.

A story is several outlets' articles about one event. The briefing is made of their own sentences:

1. Every source is split into sentences (analysis.sentences, exact offsets); fragments, datelines and
   very long run-ons are left out. All sentences are embedded in one batch (all-MiniLM-L6-v2).
2. Sentences are grouped into *reports of the same fact*: a seed sentence gathers, from each other
   article, its most similar sentence if the cosine reaches SAME_FACT. Seeds are taken in order of
   support (how many other outlets have a sentence that close), so a fact many outlets report forms
   its group first and no sentence joins two groups. Star groups around a seed, not single-link
   chains, so "quake hits Aceh" cannot chain through "quake kills five" into "five injured".
3. Groups reported by more publishers rank higher (then: earlier in the articles, as news puts the
   main facts first). A group's text is its most central sentence: the one closest, on average, to
   the others. Each point cites every sentence in its group.
4. Facts only one outlet reports are shown after the shared ones, at most MAX_EXCLUSIVE of them,
   marked only_in, chosen among those closest to the story as a whole (an outlet's aside about
   something else is not a briefing point).
5. Number differences: the same quantity ("24 dead", "killing at least five", "magnitude 6.1",
   "$5.4 billion") found with different values in different outlets, shown side by side. Each
   article's first mention counts (headline first), as news leads with its current figure; mentions
   in sentences about the past ("In 2004 a tsunami killed 170,000") are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.sentences import split_sentences

__all__ = ["Briefing", "BriefingPoint", "NumberDifference", "Source", "brief", "number_mentions"]

# Two sentences from different outlets report the same fact from this cosine up. Paraphrases of one
# fact ("A 6.1-magnitude quake struck Aceh on Tuesday" / "A strong earthquake hit Indonesia's Aceh
# province") score ~0.7-0.9 with MiniLM; different facts of the same story (the quake vs the
# casualties vs the 2004 tsunami) ~0.4-0.65.
SAME_FACT = 0.68
# A candidate point this close to one already chosen says the same thing again: merged into it.
REDUNDANT = 0.8
# Exclusive facts (one outlet only) shown after the shared ones.
MAX_EXCLUSIVE = 2
MIN_POINTS = 3
# Sentences shorter than this many words are fragments or datelines ("Tuesday, July 2, 2013");
# longer than MAX_WORDS are run-ons where a paragraph lost its punctuation.
MIN_WORDS = 6
# A year this many characters after a number still dates it ("killed 230,000 in 2004").
PAST_AFTER = 40
MAX_WORDS = 70


@dataclass(frozen=True)
class Source:
    article_id: int
    publisher: str
    title: str
    body: str


@dataclass(frozen=True)
class BriefingPoint:
    text: str  # one sentence, quoted from one outlet
    citations: tuple[tuple[int, int, int], ...]  # (article_id, start, end) of every sentence reporting it
    publishers: tuple[str, ...]  # distinct publishers reporting it
    only_in: str | None  # the publisher, when only one reports it


@dataclass(frozen=True)
class NumberDifference:
    what: str  # "dead", "injured", "magnitude", "$"
    values: tuple[tuple[str, tuple[str, ...]], ...]  # value → publishers reporting it


@dataclass(frozen=True)
class Briefing:
    points: tuple[BriefingPoint, ...]
    differences: tuple[NumberDifference, ...]


@dataclass(frozen=True)
class _Item:
    source: int  # index into sources
    start: int
    end: int
    text: str
    position: float  # 0 = first sentence of its article, 1 = last
    fragment: bool  # starts mid-number, cut by a decimal written "6. 1" in the extracted text
    past: bool  # background about an earlier year ("In 2004 ...")


def _items(sources: Sequence[Source]) -> list[_Item]:
    items: list[_Item] = []
    for si, src in enumerate(sources):
        sents = [s for s in split_sentences(src.body or "") if MIN_WORDS <= len(s.text.split()) <= MAX_WORDS]
        for k, s in enumerate(sents):
            before = src.body[max(0, s.start - 4) : s.start]
            fragment = bool(re.match(r"\d", s.text) and re.search(r"\d\.\s*$", before))
            past = any(_past_year(s.text, m.start()) for m in _YEAR.finditer(s.text))
            items.append(_Item(si, s.start, s.end, s.text, k / max(1, len(sents) - 1), fragment, past))
    return items


def brief(sources: Sequence[Source], *, encoder: Any, max_points: int = 6) -> Briefing:
    """A briefing of 3 to ``max_points`` cited points (fewer only when the sources are that short)."""
    sources = list(sources)
    items = _items(sources)
    differences = _differences(sources)
    if not items:
        return Briefing((), differences)
    vectors = np.asarray(encoder.encode([it.text for it in items]), dtype=np.float32)
    sims = vectors @ vectors.T
    groups = _group(items, sims)

    def publishers(group: list[int]) -> list[str]:
        return list(dict.fromkeys(sources[items[i].source].publisher for i in group))

    def dangling(i: int) -> bool:  # "He said ...": cannot stand alone as a point
        first = re.split(r"['’\s]", items[i].text.lstrip("\"'“‘ "), maxsplit=1)[0]
        return first.lower() in _PRONOUNS

    def central(group: list[int]) -> int:
        whole = [i for i in group if not items[i].fragment and not dangling(i)] or group
        sub = sims[np.ix_(whole, group)]
        return whole[int(np.argmax(sub.sum(axis=1)))]

    def past(group: list[int]) -> bool:
        return sum(items[i].past for i in group) * 2 > len(group)

    # More publishers first; background about earlier years after today's news; then lede first.
    shared = [g for g in groups if len(publishers(g)) >= 2]
    shared.sort(
        key=lambda g: (
            all(dangling(i) for i in g),
            past(g),
            -len(publishers(g)),
            float(np.mean([items[i].position for i in g])),
        )
    )
    exclusive = [g for g in groups if len(publishers(g)) < 2]
    story = vectors.mean(axis=0)
    exclusive.sort(key=lambda g: (dangling(g[0]), past(g), -float(vectors[central(g)] @ story)))

    chosen: list[list[int]] = []  # groups; the first member is the quoted sentence
    n_exclusive = 0
    # One slot is kept for what a single outlet adds, when there is such a fact to show.
    shared_slots = max_points - 1 if exclusive and max_points > MIN_POINTS else max_points
    for group in shared + exclusive:
        is_exclusive = len(publishers(group)) < 2
        if len(chosen) >= (max_points if is_exclusive else shared_slots):
            if is_exclusive:
                break
            continue
        if is_exclusive and n_exclusive >= MAX_EXCLUSIVE and len(chosen) >= MIN_POINTS:
            break
        rep = central(group)
        duplicate = next((c for c in chosen if sims[rep, c[0]] >= REDUNDANT), None)
        if duplicate is not None:
            duplicate.extend(i for i in group if i not in duplicate)
            continue
        if is_exclusive and any(sims[rep, c[0]] >= SAME_FACT for c in chosen):
            continue  # nearly a shared point already shown: not a fact of its own
        chosen.append([rep, *(i for i in group if i != rep)])
        n_exclusive += is_exclusive

    points = []
    for group in chosen:
        pubs = tuple(publishers(group))
        citations = tuple((sources[items[i].source].article_id, items[i].start, items[i].end) for i in group)
        rep = items[group[0]]
        points.append(BriefingPoint(rep.text.strip(), citations, pubs, pubs[0] if len(pubs) == 1 else None))
    return Briefing(tuple(points), differences)


def _group(items: list[_Item], sims: np.ndarray) -> list[list[int]]:
    n = len(items)
    source = np.array([it.source for it in items])
    close = (sims >= SAME_FACT) & (source[:, None] != source[None, :])
    # Support: how many other articles hold a sentence this close.
    support = [len({int(source[j]) for j in np.flatnonzero(close[i])}) for i in range(n)]
    order = sorted(range(n), key=lambda i: (-support[i], items[i].position, i))
    assigned = np.zeros(n, dtype=bool)
    groups: list[list[int]] = []
    for seed in order:
        if assigned[seed]:
            continue
        group = [seed]
        assigned[seed] = True
        best_per_source: dict[int, int] = {}
        for j in np.flatnonzero(close[seed] & ~assigned):
            s = int(source[j])
            if s not in best_per_source or sims[seed, j] > sims[seed, best_per_source[s]]:
                best_per_source[s] = int(j)
        for j in best_per_source.values():
            group.append(j)
            assigned[j] = True
        groups.append(group)
    return groups


# --- number differences ---------------------------------------------------------------------------

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100,
}  # fmt: skip
_VAGUE = ("dozens", "hundreds", "thousands", "scores")
_NUM = rf"(?:\d[\d,]*(?:\.\d+)?|{'|'.join(sorted(_WORD_NUMBERS, key=len, reverse=True))}|{'|'.join(_VAGUE)})"
_QUAL = r"(?:(?:at least|more than|over|about|around|nearly|almost|some|up to|an estimated)\s+)?"
_WHO = r"(?:(?:people|persons|others|residents|villagers|children|civilians)\s+)?"
_BE = r"(?:(?:were|was|are|have been|had been|been)\s+)?(?:(?:reported|reportedly|confirmed)\s+)?"
_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "dead": (
        re.compile(rf"\b{_QUAL}({_NUM})\s+{_WHO}{_BE}(?:dead|killed|died)\b", re.IGNORECASE),
        re.compile(rf"\b(?:killing|killed|kills|kill)\s+{_QUAL}({_NUM})\b", re.IGNORECASE),
        re.compile(rf"\bdeath toll\s+(?:\w+\s+){{0,3}}?{_QUAL}({_NUM})\b", re.IGNORECASE),
    ),
    "injured": (
        re.compile(rf"\b{_QUAL}({_NUM})\s+{_WHO}{_BE}(?:injured|hurt|wounded)\b", re.IGNORECASE),
        re.compile(rf"\b(?:injuring|injured|injures|wounding|wounded)\s+{_QUAL}({_NUM})\b", re.IGNORECASE),
    ),
    "magnitude": (
        re.compile(r"\bmagnitude(?:\s*-\s*|\s+of\s+|\s+)(\d{1,2}(?:\.\d)?)\b", re.IGNORECASE),
        re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*(?:-\s*)?magnitude\b", re.IGNORECASE),
    ),
    "$": (re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?(?:\s*(?:million|billion|trillion|bn|m)\b)?)", re.IGNORECASE),),
}
_PRONOUNS = frozenset(["he", "she", "it", "they", "his", "her", "its", "their", "this", "these", "those", "we", "i"])
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_DATED_YEAR = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s*$|\d{1,2}\s+[a-z]{3,9}\.?\s*$",
    re.IGNORECASE,
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


def _normalise_numbers(text: str) -> str:
    """Repair extraction artefacts: "6. 1" → "6.1", "230, 000" → "230,000"."""
    text = re.sub(r"(\d)\. (\d)\b", r"\1.\2", text)
    return re.sub(r"(\d), (\d{3})\b", r"\1,\2", text)


def _past_year(sentence: str, year_at: int) -> bool:
    """Is the year at ``year_at`` a past event's ("In 2004", "the 2004 tsunami"), not a dateline's?"""
    return not _DATED_YEAR.search(sentence[max(0, year_at - 16) : year_at])


def _about_the_past(sentence: str, at: int) -> bool:
    """Does a past year stand in the sentence before position ``at`` (or just after it)?

    "In 2004 a tsunami killed 170,000": the 170,000 belongs to 2004. "6.1-magnitude quake strikes
    Aceh, a region hit by the 2004 tsunami": the 6.1 does not.
    """
    return any(_past_year(sentence, m.start()) for m in _YEAR.finditer(sentence) if m.start() < at + PAST_AFTER)


def _value_key(value: str) -> str:
    v = value.lower().replace(",", "").strip()
    if v in _WORD_NUMBERS:
        return str(_WORD_NUMBERS[v])
    v = re.sub(r"\s+", " ", v).replace(" bn", " billion").replace(" m", " million")
    return v.removesuffix(".0")


def number_mentions(title: str, body: str) -> dict[str, str]:
    """Each quantity's first value in an article (title first): {"dead": "24", "magnitude": "6.1"}."""
    found: dict[str, str] = {}
    text = _normalise_numbers(f"{title}\n{body}")
    for sentence in _SENTENCE_BREAK.split(text):
        for what, patterns in _PATTERNS.items():
            if what in found:
                continue
            hits = [m for p in patterns for m in p.finditer(sentence) if not _about_the_past(sentence, m.start())]
            if hits:
                first = min(hits, key=lambda m: m.start())
                found[what] = " ".join(first.group(1).split())
    return found


def _differences(sources: Sequence[Source]) -> tuple[NumberDifference, ...]:
    by_what: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for src in sources:
        for what, value in number_mentions(src.title or "", src.body or "").items():
            values = by_what.setdefault(what, {})
            _display, pubs = values.setdefault(_value_key(value), (value, []))
            if src.publisher not in pubs:
                pubs.append(src.publisher)
    out = []
    for what in _PATTERNS:
        values = by_what.get(what, {})
        all_publishers = {p for _, pubs in values.values() for p in pubs}
        if len(values) >= 2 and len(all_publishers) >= 2:
            ranked = sorted(values.values(), key=lambda v: -len(v[1]))
            out.append(NumberDifference(what, tuple((display, tuple(pubs)) for display, pubs in ranked)))
    return tuple(out)
