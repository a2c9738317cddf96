""" "Ask about this article": extractive, grounded question answering over one article.

The answer is always one of the article's own sentences, quoted with its offsets into the body, or the
refusal "The article doesn't say." Nothing is generated, so nothing can be invented; the whole problem
is choosing the right sentence and knowing when none answers.

No word lists fitted to test questions (issue 12): the engine it replaces matched its own test questions
through hand-made synonym groups and scored 24/25 there but cited the right sentence for only a fifth of
questions written by someone else. Here every decision uses only general facts about questions:

1. Coverage. A question naming someone or something the article never mentions, or a number it never
   gives, is about another story ("the Papua earthquake" asked of an Aceh report): refused.
2. Answer type. The wh-word says what kind of answer is wanted: "how many"/"how much" a number, "when" a
   date or time, "who" a name the question doesn't already hold, "where" a place after a locative
   preposition. A sentence without that kind of answer cannot answer, however close it is.
3. Meaning and words. Among the sentences that can answer, the candidate has the best score: its cosine
   to the question in all-MiniLM-L6-v2 space (trained, among its billion pairs, on search queries and
   questions paired with the passages that answer them: MS MARCO, Natural Questions, SQuAD, Yahoo
   Answers...) plus LEXICAL_WEIGHT times the share of the question's words it contains, each word weighted
   by how rare it is among the article's sentences (a word in every sentence tells none apart), compared
   lightly stemmed and with no synonym list.
4. Refusal. The candidate must score high enough in absolute terms (MIN_SCORE) and stand out from the
   article's other sentences (MIN_MARGIN over their median): a question on the article's subject that it
   does not answer finds many sentences about equally close, and none very close.

Thresholds are chosen on the tuning half of ai/eval and ai/tests/qa_pairs.jsonl (bench/ai_qa.py); the
held-out half is only scored. docs/decisions/0005-ask-model.md says why no model made for the decision
(a cross-encoder, an extractive QA model with a no-answer head, an NLI model) is used yet: none is
published on PyPI with its weights and a licence we can ship.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.entities import normalise_name, proper_noun_phrases
from analysis.sentences import Sentence, split_sentences
from analysis.text import MONTHS, NUMBER_WORDS, WEEKDAY_NAMES, alternation, light_stem

__all__ = ["NOT_SAID", "Answer", "Answerer", "Question", "analyse_question", "answer", "get_answerer"]

NOT_SAID = "The article doesn't say."

# Chosen on the tuning half (bench/ai_qa.py --split tuning); see the module docstring, step 4.
LEXICAL_WEIGHT = 0.4
MIN_SCORE = 0.6
MIN_MARGIN = 0.1
# A headline glued onto the first sentence is cut off only when the rest is a sentence of this many words.
MIN_LEAD_WORDS = 6


def _word_list(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_NUMBER_WORDS = frozenset(NUMBER_WORDS)
_HAS_NUMBER = re.compile(rf"\d|\b(?:{'|'.join(sorted(_NUMBER_WORDS))})\b", re.IGNORECASE)
_MONTHS = alternation(MONTHS)
_WEEKDAYS = alternation(WEEKDAY_NAMES)
_DATE = re.compile(
    rf"\b(?:{_WEEKDAYS}|{_MONTHS}|(?:1[89]|20)\d\d|\d{{1,2}}s?"
    r"|yesterday|today|tonight|tomorrow|morning|afternoon|evening|night|week|month|year|decade|century"
    r"|midnight|noon|ago|earlier|later|spring|summer|autumn|fall|winter|since|until)\b",
    re.IGNORECASE,
)
# "in Mannheim", "at the SAP-Arena", "near Mount Sefton": a capitalised word after a locative preposition.
_LOCATIVE = re.compile(r"\b(?:in|at|on|near|outside|inside|from|into|off|across|to)\s+(?:the\s+)?[A-Z]")
_WH_KIND = (
    (re.compile(r"\bhow (?:many|much|long|old|far|big|large|tall|high|deep|often|fast)\b"), "number"),
    (re.compile(r"\bwhat (?:percentage|share|proportion|number|amount|age|score|price|rate)\b"), "number"),
    (re.compile(r"^\s*when\b|\b(?:what|which) (?:time|date|day|year|month|season|week)\b"), "time"),
    (re.compile(r"^\s*(?:who|whom|whose)\b|\bwhat (?:is|was) (?:the|his|her|their) name\b"), "person"),
    (re.compile(r"^\s*where\b|\b(?:what|which) (?:city|country|town|state|place|venue|region)\b"), "place"),
)


@dataclass(frozen=True)
class Answer:
    answered: bool
    text: str  # the quoted sentence(s), or NOT_SAID
    spans: tuple[tuple[int, int], ...]  # [start, end) into the body, one per quoted sentence
    confidence: float  # 0..1; the candidate's score, capped at 1 (0 when refused)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # "number", "time", "person", "place", or "" (no particular answer type)
    names: tuple[tuple[str, ...], ...]  # the question's proper names, as lower-case words
    numbers: tuple[str, ...]  # digits the question quotes ("the 2005 killings")


def analyse_question(question: str) -> Question:
    text = " ".join((question or "").split())
    lower = text.lower()
    kind = next((k for pattern, k in _WH_KIND if pattern.search(lower)), "")
    names = []
    for phrase in proper_noun_phrases(text):
        words = tuple(w for w in _WORD.findall(normalise_name(phrase).lower()) if w not in _NUMBER_WORDS)
        if words:
            names.append(words)
    numbers = tuple(re.findall(r"\d[\d,.]*\d|\d", text))
    return Question(text, kind, tuple(names), numbers)


def _words(text: str) -> set[str]:
    words = set()
    for w in _WORD.findall(text.lower().replace("’", "'")):
        words.add(w)
        words.add(w.removesuffix("'s"))
    return words


def covered(q: Question, article_text: str) -> bool:
    """Whether the article mentions every name the question gives (one distinctive word of it is enough:
    "Cheeks" for "Maurice Cheeks") and every number it quotes."""
    words = _words(article_text)
    for name in q.names:
        distinctive = [w for w in name if len(w) >= 3] or list(name)
        if not any(w in words for w in distinctive):
            return False
    flat = article_text.replace(",", "")
    return all(n.replace(",", "") in flat for n in q.numbers)


def can_answer(q: Question, sentence: str) -> bool:
    """Whether ``sentence`` holds the kind of answer the question's wh-word asks for."""
    if q.kind == "number":
        return bool(_HAS_NUMBER.search(sentence))
    if q.kind == "time":
        return bool(_DATE.search(sentence))
    if q.kind == "place":
        return bool(_LOCATIVE.search(sentence))
    if q.kind == "person":
        asked = {w for name in q.names for w in name}
        for phrase in proper_noun_phrases(sentence):
            words = set(_WORD.findall(normalise_name(phrase).lower()))
            if words and not words & asked:
                return True
        return False
    return True


# Words that carry no content of their own in a question or a sentence.
_FUNCTION_WORDS = _word_list(
    """a an the of in on at to by for with from as and or but is are was were be been being has have had do does
    did what which who whom whose when where why how many much this that these those it its he she they his her
    their them him s t not no about after before over into than then so if will would can could should may might
    must there here one ones also just only other some any all each get got"""
)


def _content_words(text: str) -> set[str]:
    return {light_stem(w) for w in _WORD.findall(text.lower().replace("’", "'")) if w not in _FUNCTION_WORDS}


def word_overlap(question: str, texts: Sequence[str]) -> np.ndarray:
    """Per sentence, the rarity-weighted share of the question's content words it contains (0..1)."""
    asked = _content_words(question)
    sentence_words = [_content_words(t) for t in texts]
    n = len(texts)
    weights = {w: np.log(1.0 + (n + 1) / (1 + sum(w in words for words in sentence_words))) for w in asked}
    total = sum(weights.values())
    if not total:
        return np.zeros(n, dtype=np.float32)
    return np.array([sum(weights[w] for w in asked if w in words) / total for words in sentence_words], np.float32)


def decide(q: Question, texts: Sequence[str], similarities: np.ndarray) -> tuple[int, float] | None:
    """The index of the sentence that answers and its score, or None to refuse (steps 2-4)."""
    scores = np.asarray(similarities, dtype=np.float32) + LEXICAL_WEIGHT * word_overlap(q.text, texts)
    typed = [i for i, text in enumerate(texts) if can_answer(q, text)]
    if not typed:
        return None
    best = max(typed, key=lambda i: scores[i])
    others = np.delete(scores, best)
    baseline = float(np.median(others)) if len(others) else 0.0
    if scores[best] < MIN_SCORE or scores[best] - baseline < MIN_MARGIN:
        return None
    return best, float(scores[best])


def _refuse(confidence: float = 0.0) -> Answer:
    return Answer(False, NOT_SAID, (), round(max(0.0, float(confidence)), 3))


def answer(
    question: str,
    title: str,
    body: str,
    *,
    encoder: Any,
    sentences: Sequence[Sentence] | None = None,
    sentence_vectors: np.ndarray | None = None,
) -> Answer:
    """Answer ``question`` from ``body`` by quoting it, or refuse with NOT_SAID.

    ``sentences`` and ``sentence_vectors`` (the encoder's rows for them) may be passed to reuse work.
    """
    q = analyse_question(question)
    if not q.text or not body or not body.strip():
        return _refuse()
    if sentences is None:
        sentences, sentence_vectors = split_sentences(body), None
    kept = [i for i, s in enumerate(sentences) if s.text.strip()]
    if not kept:
        return _refuse()
    if not covered(q, f"{title}\n{body}"):
        return _refuse()
    sents = strip_glued_title(title, [sentences[i] for i in kept])
    texts = [s.text for s in sents]
    if sentence_vectors is None or _glued_title(title, sentences[kept[0]]):
        vectors = encoder.encode([*texts, q.text])
        sentence_vectors, question_vector = vectors[:-1], vectors[-1]
    else:
        sentence_vectors = np.asarray(sentence_vectors)[kept]
        question_vector = encoder.encode([q.text])[0]
    chosen = decide(q, texts, sentence_vectors @ question_vector)
    if chosen is None:
        return _refuse()
    index, score = chosen
    best = sents[index]
    return Answer(True, best.text, ((best.start, best.end),), round(min(1.0, score), 3))


class Answerer:
    """``answer`` with the encoder bound, for callers that hold one per process."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder

    def answer(self, question: str, title: str, body: str, **kwargs: Any) -> Answer:
        return answer(question, title, body, encoder=self.encoder, **kwargs)


_ANSWERERS: dict[Path, Answerer] = {}
_ANSWERERS_LOCK = threading.Lock()


def get_answerer(cache_dir: Path | str, **kwargs: Any) -> Answerer:
    """The process-wide Answerer for the model cache in ``cache_dir``."""
    from analysis.embeddings import get_encoder

    key = Path(cache_dir).resolve()
    with _ANSWERERS_LOCK:
        if key not in _ANSWERERS:
            _ANSWERERS[key] = Answerer(get_encoder(key, **kwargs))
        return _ANSWERERS[key]


def strip_glued_title(title: str, sentences: Sequence[Sentence]) -> list[Sentence]:
    """``sentences`` with a headline glued onto the first one cut off (its span starts after it)."""
    out = list(sentences)
    glued = _glued_title(title, out[0]) if out else 0
    if glued:
        first = out[0]
        out[0] = Sentence(first.index, first.start + glued, first.end, first.text[glued:])
    return out


def _glued_title(title: str, first: Sentence) -> int:
    """Length of the headline glued, without a period, onto the front of the body's first sentence.

    Extracted bodies sometimes start with the headline run straight into the lead ("Hansbrough breaks
    30-year-old UNC scoring mark Forward Tyler Hansbrough broke ..."); left there, the headline's words
    make that sentence close to every question about the story. It counts as glued only when a
    capitalised word and at least MIN_LEAD_WORDS words follow it: a headline that is just the lead's
    cut-off beginning is part of the sentence. 0 when there is none.
    """
    words = title.split()
    if not words:
        return 0
    head = r"\s+".join(re.escape(w) for w in words)
    m = re.match(rf"\s*(?i:{head})[\s:|–—-]+(?=[A-Z\"“‘'])", first.text)
    if not m or len(first.text[m.end() :].split()) < MIN_LEAD_WORDS:
        return 0
    return m.end()
