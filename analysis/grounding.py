"""Verify a sentence (say, from a generative model) against the article it claims to summarise.

A claim is supported when all three hold:

1. meaning: one article sentence, or two taken together (the normalised mean of their vectors), is
   closer than SUPPORT_THRESHOLD to the claim in all-MiniLM-L6-v2 space;
2. facts: every number, proper name, year and month of the claim appears in the supporting
   sentences or their immediate neighbours (where "he" gets its name);
3. roles: a role or negation word of the claim ("former", "acting", "not", ...) that sits next to a
   name sits next to the same name in a supporting sentence. This is the error DESIGN.md records: a
   small model called the newly inaugurated president "the former president" because "former" in the
   article belonged to his predecessor. Word overlap and embeddings both pass that sentence; only
   asking *whom* the word qualifies catches it. A negation with no name nearby must at least appear
   in the supporting sentences.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.entities import normalise_name, proper_noun_phrases, text_features
from analysis.sentences import Sentence
from analysis.text import NUMBER_WORDS

# Calibrated on the inauguration article of analysis/tests/test_grounding.py (best single-or-pair score):
# 6 faithful paraphrases scored 0.70–0.88; 6 invented events on the same topic 0.03–0.61 (the
# highest, "Kim Moon-soo conceded defeat and called for a recount", 0.61); 3 other-topic sentences
# 0.05–0.22. 0.65 sits in that gap; it is narrow, so facts and roles are checked on top.
SUPPORT_THRESHOLD = 0.65
PAIR_CANDIDATES = 4  # pairs are formed among the best single matches only
NEIGHBOURS = 1  # sentences either side of a support that may hold the claim's names and numbers
QUALIFIER_REACH = 4  # words between a role word and the name it qualifies, at most

# Role and negation words whose attachment changes who did what.
QUALIFIERS = (
    "former",
    "ex-",
    "late",
    "acting",
    "interim",
    "outgoing",
    "incoming",
    "deputy",
    "vice",
    "first",
    "only",
    "alleged",
    "suspected",
    "not",
    "no longer",
    "never",
    "denied",
)
NEGATIONS = frozenset({"not", "no longer", "never", "denied"})
# The number words a claim is checked for (a claim's "thirty" or "thousands" is too loose to pin to a figure).
_NUMBER_WORDS = {
    w: str(NUMBER_WORDS[w])
    for w in ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty",
              "hundred", "dozen")
}  # fmt: skip
_TOKEN = re.compile(r"[\w'’]+(?:-[\w'’]+)*-?|n't")


@dataclass(frozen=True)
class Verdict:
    supported: bool
    spans: tuple[tuple[int, int], ...]  # the supporting sentences, [start, end) into the body
    reason: str  # plain words; "" when supported


def verify(
    claim: str,
    body: str,
    sentences: Sequence[Sentence],
    *,
    encoder,
    sentence_vectors: np.ndarray | None = None,
    threshold: float = SUPPORT_THRESHOLD,
) -> Verdict:
    """Whether ``body`` supports ``claim``; pass ``sentence_vectors`` (encoder rows of ``sentences``) to reuse them."""
    claim = " ".join(claim.split())
    if not claim or not sentences:
        return Verdict(False, (), "the article has no text to check this against" if claim else "the claim is empty")
    if sentence_vectors is None:
        vectors = encoder.encode([claim, *(s.text for s in sentences)])
        claim_vec, sentence_vectors = vectors[0], vectors[1:]
    else:
        claim_vec = encoder.encode([claim])[0]
    support, score = _best_support(claim_vec, sentence_vectors)
    if score < threshold:
        return Verdict(False, (), f"no sentence of the article says this (closest similarity {score:.2f})")
    chosen = [sentences[i] for i in sorted(support)]
    spans = tuple((s.start, s.end) for s in chosen)
    near = sorted({j for i in support for j in range(i - NEIGHBOURS, i + NEIGHBOURS + 1) if 0 <= j < len(sentences)})
    context = " ".join(sentences[j].text for j in near)
    problem = _missing_fact(claim, context, body) or _moved_qualifier(claim, [s.text for s in chosen])
    if problem:
        return Verdict(False, spans, problem)
    return Verdict(True, spans, "")


def _best_support(claim_vec: np.ndarray, vectors: np.ndarray) -> tuple[tuple[int, ...], float]:
    sims = vectors @ claim_vec
    order = np.argsort(-sims)[:PAIR_CANDIDATES]
    best: tuple[tuple[int, ...], float] = ((int(order[0]),), float(sims[order[0]]))
    for a_pos, a in enumerate(order):
        for b in order[a_pos + 1 :]:
            mean = vectors[a] + vectors[b]
            score = float(mean @ claim_vec) / max(float(np.linalg.norm(mean)), 1e-9)
            if score > best[1]:
                best = ((int(a), int(b)), score)
    return best


# --------------------------------------------------------------------------------------------------
# Facts


def _missing_fact(claim: str, context: str, body: str) -> str:
    claimed = text_features("", claim)
    here = text_features("", context)
    everywhere = text_features("", body)
    context_numbers = here.numbers | {_NUMBER_WORDS[w] for w in _words(context) if w in _NUMBER_WORDS}
    body_numbers = everywhere.numbers | {_NUMBER_WORDS[w] for w in _words(body) if w in _NUMBER_WORDS}
    for number in sorted(claimed.numbers | {_NUMBER_WORDS[w] for w in _words(claim) if w in _NUMBER_WORDS}):
        if number not in context_numbers:
            return _absent("the number", number, number in body_numbers)
    for year in sorted(claimed.years):
        if year not in here.years:
            return _absent("the year", year, year in everywhere.years)
    for month in sorted(claimed.months):
        if month not in here.months:
            return _absent("the month", month.capitalize(), month in everywhere.months)
    context_lower, body_lower = _flat(context), _flat(body)
    for phrase in _names(claim):
        name = normalise_name(phrase)
        if name and not _has_name(context_lower, name):
            return _absent("the name", phrase, _has_name(body_lower, name))
    return ""


def _absent(kind: str, value: str, elsewhere: bool) -> str:
    if elsewhere:
        return f"{kind} {value} is in the article, but not in the sentences that support this"
    return f"{kind} {value} is not in the article"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _flat(text: str) -> str:
    words = re.findall(r"[\w'\-]+", text.lower().replace("’", "'"))
    return " " + " ".join(w.removesuffix("'s").strip("'-") for w in words) + " "


def _has_name(flat_text: str, name: str) -> bool:
    """Every word of the name, as a whole word ("Lee" is found in "Lee Jae-myung"; all of "Yoon Suk Yeol")."""
    return all(f" {word} " in flat_text for word in _flat(name).split())


# --------------------------------------------------------------------------------------------------
# Roles and negation


def _moved_qualifier(claim: str, supports: list[str]) -> str:
    attached = _attachments(claim)
    if not attached:
        return ""
    support_attachments = [_attachments(text) for text in supports]
    support_lower = " ".join(_flat(text) for text in supports)
    for word, name in attached:
        if name is None:
            if word in NEGATIONS and f" {word} " not in support_lower:
                return f"the claim says “{word}”, but the supporting sentence does not"
            continue
        if any(_same_name(name, other) for found in support_attachments for w, other in found if w == word and other):
            continue
        owner = next((other for found in support_attachments for w, other in found if w == word and other), None)
        if owner:
            return f"the claim calls {name} “{word}”, but in the article “{word}” belongs to {owner}"
        return f"the claim calls {name} “{word}”, but the article does not say so"
    return ""


def _attachments(text: str) -> list[tuple[str, str | None]]:
    """(qualifier, the name it qualifies or None) for each role/negation word of ``text``."""
    tokens = [m.group(0) for m in _TOKEN.finditer(text)]
    lower = [t.lower().replace("’", "'") for t in tokens]
    names = _name_positions(text, lower)
    out: list[tuple[str, str | None]] = []
    for i, low in enumerate(lower):
        word = None
        if low == "no" and i + 1 < len(lower) and lower[i + 1] == "longer":
            word = "no longer"
        elif low.startswith("ex-"):
            word = "ex-"
        elif low == "n't":
            word = "not"
        elif low in QUALIFIERS:
            word = low
        if word is None:
            continue
        best: tuple[int, int, str] | None = None  # (distance, after-first tie break, name)
        for start, end, name in names:
            if start <= i < end:
                distance = 0  # "ex-Premier Smith" tokenised as one
            elif start > i:
                distance = start - i
            else:
                distance = i - end + 1
            key = (distance, 0 if start > i else 1, name)
            if distance <= QUALIFIER_REACH and (best is None or key < best):
                best = key
        out.append((word, best[2] if best else None))
    return out


def _name_positions(text: str, flat: list[str]) -> list[tuple[int, int, str]]:
    """Token ranges [start, end) in ``flat`` (the lower-cased tokens of ``text``) of its proper-noun phrases."""
    out: list[tuple[int, int, str]] = []
    for phrase in _names(text):
        words = [w.lower().replace("’", "'") for w in _TOKEN.findall(phrase)]
        if not words:
            continue
        for i in range(len(flat) - len(words) + 1):
            if flat[i : i + len(words)] == words:
                out.append((i, i + len(words), phrase))
    return out


def _names(text: str) -> list[str]:
    """Proper-noun phrases without a leading role word: "Former President Lee" → "President Lee"."""
    out = []
    for phrase in proper_noun_phrases(text):
        words = phrase.split()
        while words and (words[0].lower() in QUALIFIERS or words[0].lower().startswith("ex-")):
            words.pop(0)
        if words:
            out.append(" ".join(words))
    return out


def _same_name(a: str, b: str) -> bool:
    """ "Lee" and "Lee Jae-myung" are the same person; "Lee" and "Yoon" are not."""
    wa, wb = set(_flat(normalise_name(a)).split()), set(_flat(normalise_name(b)).split())
    return bool(wa) and bool(wb) and (wa <= wb or wb <= wa)
