"""Cheap entity evidence for clustering, related articles and hashtags: names, numbers, years, months.

Pure Python heuristics, no model and no download, about 0.2 ms for a 500-word article:

* A *name* is a run of capitalised words ("North Korea", "Lee Jae-myung"), optionally joined by a
  lower-case connector ("Papua New Guinea", "Bank of England", "Osama bin Laden"). A capitalised
  word that opens a sentence only counts when it is not a common word ("The", "After", "Police"...),
  and a stop list drops capitalised non-names (days, months, pronouns, titles such as "Mr").
* Headlines in Title Case ("Klitschko Stops Thompson In 6th Round") capitalise every word, so there a
  common word breaks a run instead of joining it.
* A *number* is what tells two look-alike events apart (a 7.1 vs a 6.4 earthquake, 12 vs 40 dead):
  digits with thousands separators removed; ordinals, clock times and 4-digit years are left out
  (years go to ``years``), and so are 0 and 1, which mostly come from "one of", "1-0" style noise.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from analysis.text import MONTHS, WEEKDAY_NAMES, stem

__all__ = ["TextFeatures", "normalise_name", "proper_noun_phrases", "text_features"]


@dataclass(frozen=True)
class TextFeatures:
    names: frozenset[str]  # normalised proper-noun phrases: "north korea", "lindsay lohan"
    numbers: frozenset[str]  # salient numbers: "7.1", "12", "2500"
    years: frozenset[str]  # "2012"
    months: frozenset[str]  # "july"
    # Names of the title and the first LEAD_NAME_WORDS words of the body: who/where the story is about
    # (later paragraphs add background names that look-alike events share).
    lead_names: frozenset[str] = frozenset()


# Words of the body (after the title) whose names make ``lead_names``.
LEAD_NAME_WORDS = 60


# "May" and "March" are also a verb: count them as months only next to a day number or after "in".
AMBIGUOUS_MONTHS = {"may", "march", "mar", "jan", "jun", "dec"}

TITLES = {"mr", "mrs", "ms", "dr", "st", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "jr", "sr", "prof", "no"}

DAYS = WEEKDAY_NAMES | {"today", "tonight"}

# Capitalised words that are not names (or not on their own): never part of a name phrase.
STOP = (
    {
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "if",
        "then",
        "so",
        "yet",
        "nor",
        "for",
        "of",
        "in",
        "on",
        "at",
        "to",
        "by",
        "with",
        "from",
        "as",
        "into",
        "onto",
        "upon",
        "about",
        "after",
        "before",
        "over",
        "under",
        "he",
        "she",
        "it",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "its",
        "their",
        "our",
        "my",
        "your",
        "him",
        "them",
        "us",
        "me",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "who",
        "whom",
        "whose",
        "what",
        "which",
        "when",
        "where",
        "why",
        "how",
        "mr",
        "mrs",
        "ms",
        "dr",
        "sir",
        "prof",
        "jr",
        "sr",
        "st",
        "mr.",
        "mrs.",
        "ms.",
        "dr.",
        "jr.",
        "sr.",
        "st.",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "all",
        "some",
        "any",
        "many",
        "more",
        "most",
        "other",
        "such",
        "each",
        "every",
        "one",
        "two",
        "three",
        "also",
        "just",
        "only",
        "even",
        "still",
        "now",
        "read",
        "said",
        "says",
        "according",
        "while",
        "during",
        "since",
        "until",
        "although",
        "though",
        "because",
        "however",
        "meanwhile",
        "earlier",
        "later",
        "last",
        "next",
        "first",
        "second",
        "third",
        "update",
        "updated",
        "photo",
        "video",
        "watch",
        "breaking",
        "news",
        "report",
        "reports",
        "ap",
        "reuters",
        "afp",
        "via",
        "am",
        "pm",
        "a.m.",
        "p.m.",
        "et",
        "gmt",
        "utc",
        "edt",
        "est",
        "pdt",
        "pst",
        "bst",
        "cet",
        "i'm",
        "i've",
        "i'd",
        "i'll",
        "it's",
        "that's",
        "there's",
        "we're",
        "they're",
        "he's",
        "she's",
        "image",
        "caption",
        "copyright",
        "getty",
        "images",
        "click",
        "share",
        "tweet",
        "comments",
        "advertisement",
    }
    | DAYS
    | set(MONTHS)
    | TITLES
)

# Common words that open sentences or fill Title Case headlines; a capitalised token in one of these
# positions is a name only if it is not here. Kept short on purpose: a false name costs little (names
# are positive evidence), a lost one costs more.
COMMON = STOP | {
    "police",
    "officials",
    "authorities",
    # plural roles that open news sentences ("Prosecutors said...") and are never a name there
    "prosecutors",
    "investigators",
    "detectives",
    "witnesses",
    "residents",
    "experts",
    "analysts",
    "researchers",
    "scientists",
    "doctors",
    # an adverb that opens sentences without an adverb's ending ("Once Microsoft has a fix...")
    "once",
    "government",
    "president",
    "minister",
    "prime",
    "officer",
    "state",
    "city",
    "people",
    "man",
    "woman",
    "men",
    "women",
    "children",
    "family",
    "families",
    "friends",
    "star",
    "actor",
    "actress",
    "singer",
    "rapper",
    "model",
    "judge",
    "court",
    "jury",
    "lawyer",
    "attorney",
    "says",
    "say",
    "said",
    "tells",
    "told",
    "reveals",
    "announces",
    "announced",
    "confirms",
    "confirmed",
    "gets",
    "get",
    "got",
    "goes",
    "go",
    "went",
    "makes",
    "make",
    "made",
    "takes",
    "take",
    "took",
    "gives",
    "give",
    "set",
    "sets",
    "hit",
    "hits",
    "kills",
    "killed",
    "kill",
    "dies",
    "died",
    "dead",
    "death",
    "deaths",
    "wins",
    "win",
    "won",
    "beats",
    "beat",
    "loses",
    "lose",
    "lost",
    "leaves",
    "leave",
    "left",
    "enters",
    "enter",
    "entered",
    "checks",
    "check",
    "checked",
    "back",
    "out",
    "up",
    "down",
    "off",
    "away",
    "again",
    "strikes",
    "strike",
    "struck",
    "quake",
    "earthquake",
    "magnitude",
    "storm",
    "fire",
    "shooting",
    "shot",
    "attack",
    "attacks",
    "arrested",
    "arrest",
    "charged",
    "charges",
    "jail",
    "prison",
    "rehab",
    "trial",
    "deal",
    "plan",
    "plans",
    "launch",
    "launches",
    "launched",
    "unveils",
    "unveiled",
    "release",
    "releases",
    "released",
    "new",
    "old",
    "big",
    "small",
    "top",
    "best",
    "worst",
    "high",
    "low",
    "more",
    "less",
    "than",
    "year",
    "years",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "time",
    "times",
    "home",
    "world",
    "here",
    "what",
    "why",
    "how",
    "will",
    "could",
    "may",
    "now",
    "not",
    "no",
    "after",
    "amid",
    "over",
    "season",
    "film",
    "movie",
    "show",
    "series",
    "album",
    "song",
    "game",
    "games",
    "team",
    "hosts",
    "host",
    "stops",
    "stop",
    "round",
    "title",
    "titles",
    "retain",
    "retains",
    "fight",
    "vs",
    "v",
    "report",
    "study",
    "sales",
    "price",
    "prices",
    "stock",
    "stocks",
    "shares",
    "market",
    "markets",
    "company",
    "firm",
    "bank",
    "billion",
    "million",
    "percent",
    "first",
    "last",
    "final",
    "live",
    "latest",
    "following",
    "despite",
    "as",
    "like",
    "near",
    "per",
    "against",
    "without",
    "within",
    "between",
    "both",
    "either",
    "neither",
    "another",
    "much",
    "very",
    "too",
    "well",
    "good",
    "bad",
    "own",
    "same",
    "among",
    "several",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "many",
    "some",
    "according",
    "believed",
    "reported",
    "reportedly",
    "allegedly",
    "apparently",
    "officially",
    "breaking",
    "exclusive",
    "update",
    "watch",
    "photos",
    "pics",
    "pictures",
    "video",
    "videos",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "be",
    "being",
    "to",
    "in",
    "on",
    "at",
    "for",
    "of",
    "with",
    "by",
    "from",
    "and",
    "or",
    "but",
    "into",
    "about",
    "its",
    "it",
    "his",
    "her",
    "their",
}


# Lower-case words allowed inside a name: "Bank of England", "Osama bin Laden", "Leonardo da Vinci".
CONNECTORS = {"of", "de", "del", "della", "di", "da", "du", "des", "la", "le", "van", "von", "der", "den",
              "bin", "ibn", "al", "el", "y"}  # fmt: skip
ACRONYM_STOP = {"i", "a", "am", "pm", "ap", "afp", "ok", "tv"}

_UPPER = "".join(chr(c) for c in range(0x41, 0x2B0) if chr(c).isupper())
# A capitalised word: "Klitschko", "deGrasse", "Jae-myung", "U.S".
_WORD = rf"(?:[{_UPPER}]|[a-z]+[{_UPPER}])(?:[\w'’\-]*\w)?(?:\.[{_UPPER}](?:[\w'’\-]*\w)?)*"
_CONNECTOR = "|".join(sorted(CONNECTORS))
_RUN = re.compile(rf"\b{_WORD}(?:[ \t]+(?:(?:{_CONNECTOR})[ \t]+)*{_WORD})*")
_SENTENCE_END = frozenset('.!?:;"“”()[]|–—\n')
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?:%|per\s?cent))?(?![\w,]*\d)(?!st|nd|rd|th)"
)
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)\b", re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\s*(?:a\.?m\.?|p\.?m\.?)?|\b\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\d,.])(1[89]\d\d|20\d\d)(?![\d,]|\.\d)")
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?(\s+\d{1,2}\b)?",
)
_IN_MONTH = re.compile(r"\b(?:in|since|until|early|late|mid|last|next|this)\s+(May|March)\b")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def _is_title_case(line: str) -> bool:
    """Headline style: nearly every word of 4+ letters capitalised."""
    words = line.split()
    if len(words) > 40:
        return False  # a paragraph, not a headline
    long_words = [w for w in words if len(w) >= 4 and w[0].isalpha()]
    return len(long_words) >= 3 and sum(1 for w in long_words if w[0].isupper()) >= 0.8 * len(long_words)


def _lower_words(text: str) -> set[str]:
    return set(re.findall(r"\b[a-z][a-z'’\-]+\b", text))


def _opens_sentence(line: str, start: int) -> bool:
    before = line[:start].rstrip()
    if not before:
        return True
    if before[-1] not in _SENTENCE_END:
        return False
    if before[-1] == ".":
        previous = before[:-1].rsplit(None, 1)[-1] if before[:-1].strip() else ""
        if "." in previous or len(previous) == 1 or previous.lower() in TITLES:
            return False  # "U.S. Navy", "J. Smith", "Mr. Smith"
    return True


def proper_noun_phrases(text: str, *, context: str = "") -> Counter[str]:
    """Proper-noun phrases in ``text`` in display form, with counts: {"North Korea": 3, ...}.

    ``context`` (the body, for its headline) helps read Title Case lines: a headline word that the body
    writes in lower case, in any form, is a common word ("Convicts" when the body says "convicted").
    """
    counts: Counter[str] = Counter()
    vocab = _lower_words(text)
    stems = frozenset(map(stem, _lower_words(context))) if context else frozenset()
    for line in text.split("\n"):
        if line.strip():
            counts.update(_phrases_in_line(line, vocab, stems))
    return counts


def _phrases_in_line(line: str, lower_vocab: set[str], context_stems: frozenset[str] = frozenset()) -> list[str]:
    title_case = _is_title_case(line)
    phrases: list[str] = []
    for match in _RUN.finditer(line):
        run: list[str] = []
        opening = _opens_sentence(line, match.start())
        for word in match.group(0).split():
            lower = word.lower()
            if lower in CONNECTORS and word[0].islower():
                if run:
                    run.append(word)
                continue
            acronym = 2 <= len(word) <= 5 and word.isupper() and word.isalpha()
            if acronym and lower not in ACRONYM_STOP:
                run.append(word)
            elif (
                lower in STOP
                or ((opening or title_case) and _common(lower, lower_vocab, title_case))
                or (title_case and stem(lower) in context_stems)
            ):
                _close(run, phrases)
            elif word.isupper() and len(word) > 5 and lower in lower_vocab:
                _close(run, phrases)  # a SHOUTED common word
            elif lower.endswith(("'s", "’s")):
                run.append(word[:-2])  # "Indonesia's West Papua" is two names
                _close(run, phrases)
            else:
                run.append(word)
            opening = False
        _close(run, phrases)
    return phrases


# Adverbs open sentences ("Typically Microsoft releases...", "Relatively few..."): words with these
# endings are adverbs, not names ("Kelly", "Italy", "Beverly" end otherwise).
_ADVERB_ENDINGS = ("ally", "ently", "antly", "ously", "ately", "ively", "edly", "ingly", "fully")


def _common(lower: str, lower_vocab: set[str], title_case: bool) -> bool:
    if lower in COMMON or lower in lower_vocab or lower.endswith(_ADVERB_ENDINGS):
        return True
    # Title Case headlines capitalise adverbs, participles and gerunds too ("Finally", "Undisclosed").
    return title_case and len(lower) > 4 and lower.endswith(("ly", "ed", "ing"))


def _close(run: list[str], phrases: list[str]) -> None:
    while run and run[-1][0].islower() and run[-1].lower() in CONNECTORS:
        run.pop()
    while run and run[0][0].islower() and run[0].lower() in CONNECTORS:
        run.pop(0)
    if run and (len(run) > 1 or len(run[0]) > 1):
        phrases.append(" ".join(run))
    run.clear()


def normalise_name(phrase: str) -> str:
    """ "The Philippines" → "philippines": lower-case, accents kept, a leading article stripped."""
    name = " ".join(phrase.replace("’", "'").split())
    name = _LEADING_ARTICLE.sub("", name).lower()
    return name.removesuffix("'s").strip(" .-'")


def _numbers(text: str) -> set[str]:
    cleaned = _TIME.sub(" ", _ORDINAL.sub(" ", text))
    out: set[str] = set()
    for match in _NUMBER.finditer(cleaned):
        raw = match.group(1).replace(",", "")
        if _YEAR.fullmatch(raw):
            continue
        if "." in raw:
            raw = raw.rstrip("0").rstrip(".") or "0"
        if raw in {"0", "1"}:
            continue
        out.add(raw)
    return out


def _months(text: str) -> set[str]:
    out: set[str] = set()
    for match in _MONTH.finditer(text):
        key = match.group(1).lower()
        if key in AMBIGUOUS_MONTHS and not match.group(2):
            continue
        out.add(MONTHS[key])
    out.update(m.group(1).lower() for m in _IN_MONTH.finditer(text))
    return out


def text_features(title: str, body: str) -> TextFeatures:
    """Names, numbers, years and months of an article (title and body together)."""
    text = f"{title}\n{body}" if body and body != title else title
    names = {normalise_name(p) for p in proper_noun_phrases(text)}
    names.discard("")
    lead = " ".join(body.split()[:LEAD_NAME_WORDS]) if body and body != title else ""
    lead_names = {normalise_name(p) for p in proper_noun_phrases(f"{title}\n{lead}" if lead else title)} & names
    return TextFeatures(
        names=frozenset(names),
        numbers=frozenset(_numbers(text)),
        years=frozenset(_YEAR.findall(text)),
        months=frozenset(_months(text)),
        lead_names=frozenset(lead_names),
    )
