""" "Ask about this article": extractive, grounded question answering over one article.

The answer is always one or two of the article's own sentences, quoted with their offsets into the
body, or the refusal "The article doesn't say." Nothing is generated, so nothing can be invented;
the whole problem is choosing the right sentence and knowing when none is good enough.

Each sentence is scored for the question by

* the embedding similarity of question and sentence (all-MiniLM-L6-v2, cosine): topical fit;
* lexical evidence: the share of the question's content words the sentence contains, each word
  weighted by how rare it is in the article (a word in every sentence, such as "earthquake" in a
  quake report, tells the sentences apart less than "depth" does), plus the share of the question's
  names the sentence contains;
* words are compared lightly stemmed ("killed"/"kill", "sentenced"/"sentence", "shot"/"shoot") and
  through a few small synonym groups news prose swaps freely ("jury"/"jurors", "penalty"/"sentence",
  "gun"/"revolver");
* the answer type the wh-word asks for: "how many"/"how much"/"how old"... needs a number in the
  sentence ("how many N" a number next to N; a money question an amount), "when" a date, day or
  time, "who"/"whose" a name that is not already in the question. A sentence without the right kind
  of answer cannot answer the question, however similar it is. "What kind of gun" needs the thing
  named more specifically than the question does ("a .357 caliber revolver", not "a gun"); a "who"
  answer's name must not be a place ("in Brooklyn, New York") or a source ("according to The Times").
  A "who" answer may also come in the sentence after the one describing the person, which lends it
  its words (both are quoted).

A headline glued onto the first sentence (ECB+ bodies: "... UNC scoring mark Forward Tyler
Hansbrough broke ...") is cut off before scoring, or its words make the lead win every question.

Refusal comes first from coverage, then from the score: a question naming someone or something
the article never mentions ("the Papua earthquake" asked of an Aceh report, "Andrew Luck" of a Peyton
Manning game) is about another story and is refused whatever the similarity, because look-alike
events embed close together. Then the best sentence must clear a score floor and must contain some
of the question's own words (beyond the names), or the question asks about a detail the article
doesn't give. The thresholds are calibrated on ai/tests/qa_pairs.jsonl (bench/ai_qa.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ai.sentences import Sentence, split_sentences
from stories.entities import normalise_name, proper_noun_phrases

__all__ = [
    "NOT_SAID",
    "Answer",
    "Question",
    "Scored",
    "analyse_question",
    "answer",
    "score_sentences",
    "strip_glued_title",
]

NOT_SAID = "The article doesn't say."


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- thresholds (calibrated on ai/tests/qa_pairs.jsonl, see bench/ai_qa.py) --------------------
# Weight of lexical coverage against cosine similarity. Cosines of a question and its answer
# sentence are only ~0.45-0.7 with MiniLM and a look-alike sentence is often as close, so the
# question's own words, rarity-weighted, carry about as much as the embedding.
LEXICAL_WEIGHT = 0.6
# Weight of the question's names found in the sentence ("Robert Buckley", "Aceh").
NAME_WEIGHT = 0.25
# Below this combined score the best sentence is a topical neighbour, not an answer: in the QA set
# the right sentences score 0.88-1.7, the best sentences for unanswerable questions that pass the
# coverage and answer-type checks 0.55-0.78 (a few, wrongly, over 1.1).
MIN_SCORE = 0.8
# Even a similar sentence answers nothing if it holds few of the question's content words besides
# the names: at least this rarity-weighted share must be present (right sentences in the QA set
# have >= 0.39, look-alikes such as "who was *arrested* for setting the fire" 0.28-0.32).
MIN_COVERAGE = 0.35
# When more than this share of the question's content words (names aside) occur nowhere in the
# article, the question asks about something it doesn't cover ("Hasim Rahman's *weight*", "who was
# *arrested* for *setting* the fire"): refuse, whatever sentence scores best. Half is allowed, since
# one word of a question is often paraphrased ("car" for "Bentley").
MAX_ABSENT = 0.5
# A sentence with "he"/"she"/"they" after one naming the question's subject likely speaks of it:
# it gets this share of the previous sentence's name credit.
PRONOUN_NAME_CREDIT = 0.5
# "who" questions: a new multi-word name ("Tony DiLeo") is likelier a person than a lone place name.
PERSON_BONUS = 0.1
# "why" questions: a sentence stating a reason ("because", "after", "if") is likelier the answer.
WHY_BONUS = 0.1
# Scores are mapped to confidence by dividing by this (a sure answer scores ~1.5: cosine 0.7 plus
# full coverage and names).
CONFIDENCE_SCALE = 1.5
# A second, adjacent sentence is quoted only when it continues the first (pronoun start) and
# scores at least this share of the best one.
CONTINUATION_RATIO = 0.8
# "how much is the contract worth": an amount next to one of the question's words is likelier the answer
# than another amount in the article ("a $70 million offer").
MONEY_NEAR_BONUS = 0.2
# Questions asking for a typed answer (a name, a place, a date, a number).
TYPED_KINDS = frozenset({"person", "place", "date", "count", "money", "measure"})
# "Who" questions: news often describes someone in one sentence ("the driver who killed a 66-year-old
# woman outside the Sam's Club") and names them in the next ("LuAnn Marie Johnson, of Burnsville, was
# walking ..."). A sentence without a new name that holds at least CONTEXT_MIN_COVERAGE of the
# question's words lends the next one CONTEXT_CREDIT of its coverage (and its names); both are quoted.
CONTEXT_KINDS = frozenset({"person"})
CONTEXT_MIN_COVERAGE = 0.8
CONTEXT_CREDIT = 0.8
# A headline glued onto the first sentence is cut off only when the rest is a sentence of this many words.
MIN_LEAD_WORDS = 6
# How near (in words) a number must stand before the counted noun: "31 fire apparatus".
COUNT_WINDOW = 4

# --- question analysis ----------------------------------------------------------------------------

# Words that carry no answer: function words plus question words ("how many", "name", "happen"), which
# a general English list lacks. Kept apart from the other stop lists on purpose (ai/keypoints.py says why).
STOPWORDS = _words(
    """a an the and or but if of in on at to by for with from as into onto about after before over
    under between during since until than then so is are was were be been being am has have had do
    does did doing will would shall should can could may might must not no yes this that these those
    there here it its he she they them his her their him we us our you your i me my what which who
    whom whose when where why how many much long far old often some any all each every other such
    own same very just also only even still get got gets getting give gave say said says tell told
    according s t one ones kind sort type name named happen happened happens make made take took now
    against through out up down off again ever yet per via without within toward towards while because"""
)
# Derivations a question and its answer often use in different forms ("How deep" / "a depth of").
RELATED = {
    "deep": ("depth",),
    "high": ("height",),
    "tall": ("height",),
    "long": ("length",),
    "wide": ("width",),
    "far": ("distance", "miles", "kilometres", "kilometers", "km"),
    "old": ("age", "aged"),
    "die": ("dead", "death", "killed", "kill"),
    "died": ("dead", "death", "killed", "kill"),
    "dead": ("died", "death", "killed"),
    "killed": ("dead", "died", "death"),
    "injured": ("wounded", "hurt", "injuries"),
    "cost": ("$", "million", "billion"),
    "worth": ("$", "million", "billion"),
}
# Small groups of words news prose uses interchangeably for the same thing ("the jury split" /
# "jurors deadlocked", "the death penalty" / "the death sentence"); each word matches the others.
SYNONYM_GROUPS = (
    ("jury", "jurors", "juror"),
    ("penalty", "sentence", "sentenced"),
    ("split", "divided", "deadlocked"),
    ("gun", "guns", "weapon", "firearm", "pistol", "revolver", "rifle", "handgun", "shotgun"),
    ("fight", "bout"),
    ("record", "mark"),
    ("car", "vehicle", "suv"),
    ("died", "dead", "death", "killed"),
    ("wounded", "injured", "hurt"),
    ("buy", "bought", "acquire", "acquired", "acquisition", "purchase"),
)
for _group in SYNONYM_GROUPS:
    for _w in _group:
        RELATED[_w] = tuple(dict.fromkeys((*RELATED.get(_w, ()), *(g for g in _group if g != _w))))
# Irregular forms of common news verbs, mapped to a shared base by _stem().
IRREGULAR = {
    "shot": "shoot", "shooting": "shoot", "shoots": "shoot", "fought": "fight", "fighting": "fight",
    "struck": "strike", "strikes": "strike", "won": "win", "wins": "win", "ran": "run", "beaten": "beat",
    "sold": "sell", "bought": "buy", "paid": "pay", "left": "leave", "lost": "lose", "hit": "hit",
    "stole": "steal", "stolen": "steal", "fled": "flee", "caught": "catch", "held": "hold",
}  # fmt: skip
NUMBER_WORDS = _words(
    """two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds
    thousand thousands million millions billion billions dozen dozens score"""
)
MONEY_WORDS = _words(
    "money cost costs paid pay pays worth price priced bail salary fine fined earn earned earnings damage "
    "damages budget fund funding spend spent value valued deal contract compensation bonus prize"
)
QUANTITY_NOUNS = _words(
    "level rate percentage percent share proportion toll number amount total score age height weight depth "
    "magnitude temperature speed"
)
_DISTANCE = ("metres", "meters", "metre", "meter", "m", "kilometres", "kilometers", "km", "miles", "mile", "feet",
             "ft", "foot", "yards", "inches", "cm")  # fmt: skip
# Units a measuring question implies: "how deep" is answered by "10 kilometres", not by "44 seconds".
UNITS: dict[str, tuple[str, ...]] = {
    "weigh": ("pounds", "lb", "lbs", "kg", "kilograms", "kilos", "stone", "tons", "tonnes", "ounces", "grams"),
    "weight": ("pounds", "lb", "lbs", "kg", "kilograms", "kilos", "stone", "tons", "tonnes", "ounces", "grams"),
    "deep": _DISTANCE,
    "depth": _DISTANCE,
    "far": _DISTANCE,
    "distance": _DISTANCE,
    "tall": _DISTANCE,
    "height": _DISTANCE,
    "high": _DISTANCE,
    "wide": _DISTANCE,
    "old": ("year-old", "years", "year", "aged", "age"),
    "age": ("year-old", "years", "year", "aged", "age"),
    "fast": ("mph", "km/h", "kph", "knots", "miles", "kilometres", "kilometers"),
    "speed": ("mph", "km/h", "kph", "knots", "miles", "kilometres", "kilometers"),
    "temperature": ("degrees", "c", "f"),
}
MEASURE_WH = _words("deep far long old tall high big large fast heavy often wide")
PRONOUN_STARTS = _words("he she it they this that these those his her its their him them there such")

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\$|\d[\d,.]*")
_DIGIT_NUMBER = re.compile(r"(?<![\w])\$?\d[\d,.]*\s*(?:%|percent|per cent)?")
_MONEY = re.compile(
    r"[$€£]\s?\d|\d[\d,.]*\s*(?:million|billion|trillion|dollars|euros|pounds|cents)\b|\bUS\$",
    re.IGNORECASE,
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"\b(?:{_WEEKDAYS}|(?:{_MONTHS})\.?\s+\d{{1,2}}|\d{{1,2}}\s+(?:{_MONTHS})|(?:in|since|until|by)\s+(?:{_MONTHS})"
    r"|(?:1[89]|20)\d\d|yesterday|today|tonight|last (?:night|week|month|year)|this (?:morning|week|month|year)"
    r"|\d{1,2}\s*[:.]\s*\d{2}|\d{1,2}\s*(?:a\.?\s?m|p\.?\s?m)\b|christmas|midnight|noon|ago)",
    re.IGNORECASE,
)
# Words that state a cause: required for "what caused ...". "why" answers are looser ("after",
# "if" ...), so there the broader _REASON only earns a bonus.
_CAUSE = re.compile(
    r"\b(?:because|cause[ds]?|due to|owing to|as a result|result(?:ed)? (?:of|from)|blamed|sparked|triggered|"
    r"led to|started by|set off)\b",
    re.IGNORECASE,
)
_REASON = re.compile(rf"{_CAUSE.pattern}|\b(?:reasons?|so that|in order to|since|after|if|following)\b", re.IGNORECASE)
_CAUSE_QUESTION = re.compile(
    r"\bwhat (?:caused|causes|sparked|started|led to)\b|\bwhat (?:is|was) the (?:cause|reason)\b"
)
# "What kind of gun ...": the answer names the thing more specifically than the question does.
_SORT_QUESTION = re.compile(r"\b(?:what|which) (?:kind|type|sort|make|model|brand|calibre|caliber) of ([a-z]+)")
_ANY_NUMBER = re.compile(rf"\d|\b(?:{'|'.join(sorted(NUMBER_WORDS))})\b", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[\s\-–—/]+")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
# "at the SAP-Arena", "on Mount Sefton", "in Mannheim": a capitalised word after a locative preposition.
_LOCATIVE = re.compile(r"\b(?:in|at|on|near|outside|inside|from|into|off|across)\s+(?:the\s+)?([A-Z][\w'’]*)")
NOT_NAMES = _words(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december"
)
# A name right after these is a source or a place, not the person a "who" question asks for.
_NOT_PERSON_BEFORE = re.compile(r"(?:according to|reported by|told|on|via)\s+(?:the\s+)?$|\b(?:in|at)\s+[a-z]+,\s+$")
# A lone capitalised word opening a sentence or a quote ("Witnesses say", "“ Stay down").
_OPENING_BEFORE = re.compile(r"\s*|.*[\"“‘'(]\s*")
PERSONAL_PRONOUNS = _words("he she his her him they their them")


@dataclass(frozen=True)
class Answer:
    answered: bool
    text: str  # the quoted sentence(s) when answered, else exactly NOT_SAID
    spans: tuple[tuple[int, int], ...]  # offsets into body of the quoted sentences
    confidence: float


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # "count", "money", "measure", "date", "person", "place", "" (no typed answer)
    head: str  # the counted noun of "how many N" ("" when none)
    content: tuple[str, ...]  # lower-case content words, names excluded
    names: tuple[str, ...]  # normalised proper-noun phrases of the question
    name_tokens: frozenset[str]  # their words, lower case
    numbers: tuple[str, ...]  # numbers written in the question
    units: frozenset[str] = frozenset()  # units a "measure" answer must carry ("how deep": metres, miles...)


def _tokens(text: str) -> list[str]:
    return [t.lower().strip("'’-.,").removesuffix("'s").removesuffix("’s") for t in _TOKEN.findall(text)]


def _stem(word: str) -> str:
    """A light stem: "killed"/"kills"/"killing" -> "kill", "sentenced"/"sentences" -> "sentenc",
    "injuries"/"injured" -> "injur", irregular news verbs ("shot", "fought") to their base form."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    for suffix in ("ies", "ied", "ing", "ed", "es", "s", "ly", "y", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def analyse_question(question: str) -> Question:
    q = " ".join(question.split())
    lower = q.lower()
    names = tuple(dict.fromkeys(n for n in (normalise_name(p) for p in proper_noun_phrases(q)) if n))
    name_tokens = frozenset(w for n in names for w in _WORD_SPLIT.split(n) if w)
    words = _tokens(q)
    content = tuple(
        dict.fromkeys(w for w in words if w and w not in STOPWORDS and w not in name_tokens and not w[0].isdigit())
    )
    numbers = tuple(re.findall(r"\d[\d,.]*\d|\d", q))
    kind, head = "", ""
    first = words[0] if words else ""
    m = re.search(r"\bhow (many|much|[a-z]+)\b", lower)
    if m and m.group(1) == "many":
        kind = "count"
        after = _tokens(lower[m.end() :])
        head = next((w for w in after if w not in STOPWORDS and w not in name_tokens), "")
    elif m and m.group(1) == "much":
        kind = "money" if MONEY_WORDS & set(words) or not content else "measure"
    elif m and m.group(1) in MEASURE_WH:
        kind = "measure"
    elif first == "when" or re.search(r"\b(?:what|which) (?:time|date|day|year|month)\b", lower):
        kind = "date"
    elif first in ("who", "whom", "whose") or re.search(r"\bwhat (?:is|was) the name\b|\bwho\b", lower):
        kind = "person"
    elif first == "where":
        kind = "place"
    elif _CAUSE_QUESTION.search(lower):
        kind = "cause"
    elif first == "why":
        kind = "why"
    elif ms := _SORT_QUESTION.search(lower):
        kind, head = "sort", _tokens(ms.group(1))[0]
    elif first in ("what", "which") and QUANTITY_NOUNS & set(words):
        kind = "measure"
    elif MONEY_WORDS & set(words) and re.search(r"\bwhat (?:is|was|were|are) the\b", lower):
        kind = "money"
    units = frozenset(u for w in words for u in UNITS.get(w, ())) if kind == "measure" else frozenset()
    return Question(q, kind, head, content, names, name_tokens, numbers, units)


# --- sentence evidence ----------------------------------------------------------------------------


def _word_set(text: str) -> set[str]:
    out: set[str] = set()
    for t in _tokens(text):
        if t:
            out.add(t)
            out.add(_stem(t))
    return out


def _matches(word: str, words: set[str]) -> bool:
    if word in words or _stem(word) in words:
        return True
    if any(r in words for r in RELATED.get(word, ())):
        return True
    if len(word) >= 5:  # "fighter" for "fight", "quake" for "earthquake"
        return any(len(w) >= 5 and (w.startswith(word[:5]) or w in word) for w in words)
    return False


def _has_count(sentence: str, head: str) -> bool:
    if not _ANY_NUMBER.search(sentence):
        return False
    if not head:
        return True
    tokens = _tokens(sentence)
    head_words = {head, _stem(head), *RELATED.get(head, ())}
    for i, tok in enumerate(tokens):
        if _is_number(tok):
            window = set()
            for t in tokens[i + 1 : i + 1 + COUNT_WINDOW]:
                window.update((t, _stem(t)))
            if _matches(head, window) or head_words & window:
                return True
    return False


def _is_number(token: str) -> bool:
    """A count or amount, not a year: "31", "2,290", "$1", "five", "dozens"."""
    if token in NUMBER_WORDS:
        return True
    return bool(token) and token[0].isdigit() and not _YEAR.fullmatch(token)


def _has_number(sentence: str) -> bool:
    return any(_is_number(t) for t in _tokens(sentence))


def _has_measure(sentence: str, units: frozenset[str]) -> bool:
    """A number, followed closely by one of ``units`` when the question implies them ("how deep")."""
    tokens = _tokens(sentence)
    for i, tok in enumerate(tokens):
        if _is_number(tok) and (not units or units & set(tokens[i + 1 : i + 3]) or tok[-1:] in units):
            return True
    return False


def _has_type(q: Question, sentence: str, new_names: set[str]) -> bool:
    if q.kind == "count":
        return _has_count(sentence, q.head)
    if q.kind == "money":
        return bool(_MONEY.search(sentence))
    if q.kind == "measure":
        return _has_measure(sentence, q.units)
    if q.kind == "date":
        return bool(_DATE.search(sentence))
    if q.kind == "person":
        return bool(new_names)
    if q.kind == "cause":
        return bool(_CAUSE.search(sentence))
    if q.kind == "place":  # "at the SAP-Arena", not "on the American's chin"
        return any(
            m.group(1).lower() not in q.name_tokens and not m.group(1).endswith(("'s", "’s"))
            for m in _LOCATIVE.finditer(sentence)
        )
    if q.kind == "sort":
        return _names_specifically(sentence, q.head)
    return True  # untyped questions (what, why, how): no hard requirement


def _names_specifically(sentence: str, head: str) -> bool:
    """Whether ``sentence`` names a ``head`` ("gun") more specifically than "a gun": by a word of its
    synonym group ("revolver") or with a modifier that is not a determiner ("a .38 caliber gun")."""
    tokens = _tokens(sentence)
    related = set(RELATED.get(head, ())) - {head, _stem(head)}
    for i, tok in enumerate(tokens):
        if tok in related and _stem(tok) != _stem(head):
            return True
        if (tok == head or _stem(tok) == _stem(head)) and i > 0 and tokens[i - 1] not in STOPWORDS:
            return True
    return False


def _name_phrases(text: str) -> list[list[str]]:
    """Proper-noun phrases of ``text`` as lists of lower-case words, numbers and dates left out."""
    out = []
    for phrase in proper_noun_phrases(text):
        words = [w for w in _WORD_SPLIT.split(normalise_name(phrase)) if w]
        words = [w for w in words if w not in NUMBER_WORDS and w not in NOT_NAMES]
        if words:
            out.append(words)
    return out


def _refuse(confidence: float = 0.0) -> Answer:
    return Answer(False, NOT_SAID, (), round(float(confidence), 3))


@dataclass(frozen=True)
class Scored:
    """One sentence's evidence for a question (kept for the benchmark's diagnostics)."""

    similarity: float
    coverage: float  # rarity-weighted share of the question's content words present
    names: float  # share of the question's names present (or, half, through a pronoun)
    typed: bool  # holds the kind of answer the wh-word asks for
    bonus: float
    score: float  # -1 when not typed
    context: bool = False  # coverage carried over from the previous sentence, which is quoted too


def score_sentences(q: Question, texts: Sequence[str], similarities: np.ndarray) -> list[Scored]:
    sent_words = [_word_set(t) for t in texts]
    n = len(texts)
    # Rarity weight of each content word inside this article; a word the article never uses gets
    # the highest weight, so it pulls coverage down everywhere.
    weights: dict[str, float] = {}
    for w in q.content:
        df = sum(1 for ws in sent_words if _matches(w, ws))
        weights[w] = math.log(1.0 + (n + 1) / (df + 1))
    total_weight = sum(weights.values())
    # A name counts as present when one of its distinctive words is ("Cheeks" for "Maurice Cheeks").
    q_names = [[w for w in _WORD_SPLIT.split(name) if len(w) >= 3] or [name] for name in q.names]

    out: list[Scored] = []
    last_named = 0.0  # name share of the last sentence that named one of the question's names
    for text, ws in zip(texts, sent_words, strict=True):
        coverage = sum(wt for w, wt in weights.items() if _matches(w, ws)) / total_weight if total_weight else 1.0
        names = sum(1 for words in q_names if any(w in ws for w in words)) / len(q_names) if q_names else 0.0
        if names:
            last_named = names
        elif PERSONAL_PRONOUNS & ws:
            names = PRONOUN_NAME_CREDIT * last_named  # "he was driving his Bentley"
        new = _new_names(q, text)
        typed = _has_type(q, text, {w for p in new for w in p})
        bonus = PERSON_BONUS if q.kind == "person" and any(len(p) >= 2 for p in new) else 0.0
        if q.kind == "why" and _REASON.search(text):
            bonus = WHY_BONUS
        if q.kind == "money" and _amount_near(text, q.content):
            bonus = MONEY_NEAR_BONUS
        sim = float(similarities[len(out)])
        context = False
        prev = out[-1] if out else None
        if typed and prev and not prev.typed and q.kind in CONTEXT_KINDS and prev.coverage >= CONTEXT_MIN_COVERAGE:
            # The previous sentence describes what is asked ("the driver who killed a 66-year-old woman
            # outside the Sam's Club") without the answer, this one gives it ("LuAnn Marie Johnson ...").
            carried = CONTEXT_CREDIT * prev.coverage
            if carried > coverage:
                coverage, names, context = carried, max(names, prev.names), True
        score = sim + LEXICAL_WEIGHT * coverage + NAME_WEIGHT * names + bonus if typed else -1.0
        out.append(Scored(sim, coverage, names, typed, bonus, score, context))
    return out


def _new_names(q: Question, text: str) -> list[list[str]]:
    """The proper-noun phrases of ``text`` the question doesn't name; for "who" questions only those
    that may be people: not a place after a locative preposition ("in Brooklyn") or a comma after one
    ("in Brooklyn, New York"), not a source ("according to The New York Times"), not a lone capitalised
    word opening the sentence or a quote ("Witnesses say ...", "“ Stay down")."""
    new = [p for p in _name_phrases(text) if not set(p) & q.name_tokens]
    if q.kind != "person" or not new:
        return new
    places = {m.group(1).lower() for m in _LOCATIVE.finditer(text)}
    lower = text.lower()
    kept = []
    for p in new:
        if p[0] in places:
            continue
        where = lower.find(p[0])
        before = lower[max(0, where - 40) : where] if where >= 0 else ""
        if _NOT_PERSON_BEFORE.search(before):
            continue
        if len(p) == 1 and _OPENING_BEFORE.fullmatch(before[-3:] if where > 3 else before):
            continue
        kept.append(p)
    return kept


def _amount_near(text: str, content: Sequence[str]) -> bool:
    """Whether an amount of money stands within COUNT_WINDOW words of one of the question's content
    words ("believed to be worth between $60 million" for "how much is the contract worth")."""
    tokens = _tokens(text)
    stems = {_stem(w) for w in content}
    near = [i for i, t in enumerate(tokens) if t and _stem(t) in stems]
    money = [i for i, t in enumerate(tokens) if t == "$" or t in ("million", "billion")]
    return any(abs(i - j) <= COUNT_WINDOW for i in near for j in money)


def absent_share(q: Question, texts: Sequence[str]) -> float:
    """Share of the question's content words (equal weights) that occur nowhere in the article."""
    if not q.content:
        return 0.0
    words: set[str] = set()
    for text in texts:
        words |= _word_set(text)
    return sum(1 for w in q.content if not _matches(w, words)) / len(q.content)


def answer(
    question: str,
    title: str,
    body: str,
    *,
    encoder: Any,
    sentences: Sequence[Sentence] | None = None,
    sentence_vectors: np.ndarray | None = None,
) -> Answer:
    """Answer ``question`` from ``body`` by quoting it, or refuse with NOT_SAID."""
    q = analyse_question(question or "")
    if not body or not body.strip() or not q.text:
        return _refuse()
    sents = [s for s in (sentences if sentences is not None else split_sentences(body)) if s.text.strip()]
    if sentences is not None and sentence_vectors is not None and len(sents) != len(sentences):
        sentence_vectors = None  # blank sentences were dropped: re-encode to keep rows aligned
    if not sents:
        return _refuse()

    # Coverage: every name and number of the question must occur in the article, else the question
    # is about another story (a look-alike event, another person) and is refused outright.
    article_words = _word_set(f"{title}\n{body}")
    article_lower = f"{title}\n{body}".lower()
    for token in q.name_tokens:
        if len(token) >= 2 and token not in article_words and _stem(token) not in article_words:
            return _refuse()
    for number in q.numbers:
        if number not in article_lower:
            return _refuse()

    glued = _glued_title(title, sents[0])
    sents = strip_glued_title(title, sents)
    texts = [s.text for s in sents]
    if sentence_vectors is None:
        vectors = encoder.encode([*texts, q.text])
        sentence_vectors, qvec = vectors[:-1], vectors[-1]
    else:
        if glued:
            fresh = encoder.encode([texts[0], q.text])
            sentence_vectors = np.vstack([fresh[:1], np.asarray(sentence_vectors)[1:]])
            qvec = fresh[1]
        else:
            qvec = encoder.encode([q.text])[0]
    scored = score_sentences(q, texts, np.asarray(sentence_vectors, dtype=np.float32) @ qvec)
    scores = [s.score for s in scored]
    if absent_share(q, texts) > MAX_ABSENT:
        return _refuse()

    best = int(np.argmax(scores))
    best_score = scores[best]
    top = scored[best]
    # Every one of two or more names of the question in a sentence holding the asked-for kind of
    # answer ("Where did Klitschko fight Hasim Rahman?": "Wladimir Klitschko stopped Hasim Rahman ...
    # at the SAP-Arena") pins the event down even when its verb is paraphrased.
    pinned = len(q.names) >= 2 and top.names >= 1.0 and q.kind in TYPED_KINDS
    if best_score < MIN_SCORE or (q.content and top.coverage < MIN_COVERAGE and not pinned):
        return _refuse(max(best_score, 0.0) / CONFIDENCE_SCALE)

    chosen = [best]
    n = len(sents)
    if top.context:
        chosen.insert(0, best - 1)
    elif best + 1 < n and _continues(texts[best + 1]) and scores[best + 1] >= CONTINUATION_RATIO * best_score:
        chosen.append(best + 1)
    elif best > 0 and _continues(texts[best]) and scores[best - 1] >= CONTINUATION_RATIO * best_score:
        chosen.insert(0, best - 1)
    quoted = [sents[i] for i in chosen]
    text = " ".join(s.text.strip() for s in quoted)
    confidence = min(1.0, best_score / CONFIDENCE_SCALE)
    return Answer(True, text, tuple((s.start, s.end) for s in quoted), round(confidence, 3))


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
    make that sentence the best match for every question about the story. It counts as glued only when
    a capitalised word and at least MIN_LEAD_WORDS words follow it: a headline that is just the lead's
    cut-off beginning ("... to retain his IBF, IBO" + " and WBO titles") is part of the sentence.
    0 when there is none.
    """
    words = title.split()
    if not words:
        return 0
    head = r"\s+".join(re.escape(w) for w in words)
    m = re.match(rf"\s*(?i:{head})[\s:|–—-]+(?=[A-Z\"“‘'])", first.text)
    if not m or len(first.text[m.end() :].split()) < MIN_LEAD_WORDS:
        return 0
    return m.end()


def _continues(sentence: str) -> bool:
    words = sentence.strip().split(None, 2)
    if not words:
        return False
    first = words[0].lower().strip("\"'“”‘’(")
    return first in PRONOUN_STARTS
