"""3–6 topic hashtags per article: the people, places and organisations it is about, plus its news topic.

Pure: no Django, no model. About 2 ms for a 350-word article, a third of it in ``proper_noun_phrases``.

1. Candidates: proper-noun phrases from ``analysis.entities.proper_noun_phrases`` (title and body apart),
   and topic words from a small vocabulary (``TOPICS``: "quake" → #Earthquake, "tariff" → #Tariffs).
2. ``normalise`` folds spellings into one slug ("N. Korea", "north korea" → northkorea; "U.S." → us).
3. Generic capitalised words and credits ("Reuters", "Getty Images", "Advertisement") are dropped; a
   role glued to a name keeps only the name ("City Councilman Jumaane Williams" → #JumaaneWilliams);
   a headline phrase the body does not name is cut back to the part it does ("Peter Capaldi Cast" →
   #PeterCapaldi); and a lone surname or part ("Lee", "Palin") is folded into the longer name containing it.
4. Score = body count + ``TITLE_BOOST`` per title mention + up to ``LEAD_BONUS`` for an early first
   mention; keep those reaching ``MIN_SCORE``, best first, at most ``limit`` (3 for headline-only items).

Across the articles of one story, ``person_folds`` gives one person one tag: a lone surname (#Simpson)
folds into the story's one full name ending with it (#ChristopherKenyonSimpson), only when the texts show
a person (an honorific, a verb of speech, an age) and the name is written as one (never "Palmer, Alaska").
On the ECB+ dev gold stories (bench/hashtags.py) it folds 29 article tags for 14 people, and nothing else.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.entities import DAYS, STOP, proper_noun_phrases
from analysis.text import MONTHS


@dataclass(frozen=True)
class Hashtag:
    slug: str  # "northkorea": lower-case ASCII, the unique key
    label: str  # "NorthKorea": shown as "#NorthKorea"


# Names written several ways → one display form (keys are lower-case, dots dropped, words split on
# anything but letters and digits: "U.S." → "us", "N. Korea" → "n korea").
ALIASES = {
    "us": "US",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "uk": "UK",
    "united kingdom": "UK",
    "britain": "UK",
    "great britain": "UK",
    "n korea": "North Korea",
    "dprk": "North Korea",
    "s korea": "South Korea",
    "republic of korea": "South Korea",
    "un": "UN",
    "united nations": "UN",
    "eu": "EU",
    "european union": "EU",
    "uae": "UAE",
    "united arab emirates": "UAE",
    # demonyms count for their country ("the American", "Greek police")
    "american": "US",
    "americans": "US",
    "british": "UK",
    "greek": "Greece",
    "ukrainian": "Ukraine",
    "russian": "Russia",
    "chinese": "China",
    "indian": "India",
    "japanese": "Japan",
    "french": "France",
    "german": "Germany",
    "israeli": "Israel",
    "iranian": "Iran",
    "indonesian": "Indonesia",
    "mexican": "Mexico",
    "north korean": "North Korea",
    "south korean": "South Korea",
}

# Capitalised words that are credits, page furniture or too generic to follow as a tag.
GENERIC = frozenset(
    {
        "reuters", "ap", "afp", "associated press", "agence france presse", "upi", "bloomberg",
        "getty images", "getty", "afp getty images", "epa", "shutterstock", "bbc", "cnn", "bbc news",
        "advertisement", "sponsored", "video", "photo", "photos", "image", "images", "watch", "listen",
        "read more", "related", "share", "copyright", "updated", "breaking", "breaking news", "exclusive",
        "live", "opinion", "analysis", "editorial", "comment", "comments", "subscribe", "newsletter",
        "government", "county", "city", "state", "police", "court", "president", "minister",
        "prime minister", "university", "department", "ministry", "officials", "national", "international",
        "north", "south", "east", "west", "internet", "web", "online", "tv", "mp", "ceo", "published",
        "xinhua", "gmt", "utc", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    }
    | DAYS
    | MONTHS.keys()
)  # fmt: skip

# News topics: display label → keywords that name it (lower-case, matched as whole-word prefixes, so
# "tariff" also counts "tariffs"). Kept small on purpose: a tag must mean the same to every reader.
TOPICS = {
    "Earthquake": ("earthquake", "quake", "aftershock", "tremor"),
    "Tsunami": ("tsunami",),
    "Wildfire": ("wildfire", "bushfire", "forest fire"),
    "Flooding": ("flood", "flash flood"),
    "Hurricane": ("hurricane", "typhoon", "cyclone"),
    "Climate": ("climate change", "global warming", "greenhouse gas", "emissions"),
    "Election": ("election", "electoral", "ballot", "polling station"),
    "Tariffs": ("tariff",),
    "Inflation": ("inflation", "consumer prices"),
    "InterestRates": ("interest rate",),
    "Layoffs": ("layoff", "job cuts", "laid off"),
    "Mergers": ("acquisition", "takeover", "merger", "to acquire", "agreed to buy"),
    "Protests": ("protest", "demonstrators", "riot"),
    "Shooting": ("shooting", "gunman", "shot dead", "opened fire"),
    "Murder": ("murder", "homicide"),
    "Rehab": ("rehab",),
    "Boxing": ("boxing", "heavyweight", "knockout"),
    "Pandemic": ("pandemic", "covid", "coronavirus"),
    "AI": ("artificial intelligence",),
}
_TOPIC_OF = {keyword: label for label, keywords in TOPICS.items() for keyword in keywords}
# One alternation over lower-cased text: ten times faster than a case-insensitive pattern per topic.
_TOPIC_WORDS = re.compile(r"\b(" + "|".join(map(re.escape, sorted(_TOPIC_OF, key=len, reverse=True))) + ")")

TITLE_BOOST = 3.0  # a name in the headline is what the article is about
LEAD_BONUS = 1.0  # first mention at the very start of the body; falls to 0 at the end
MIN_SCORE = 2.0  # a name mentioned once, late in the body, is not a tag
TOPIC_MIN_BODY_HITS = 2  # one passing "election" in a sports story is not the story's topic
SUBSTANCE_WORDS = 50  # below this many body words, an item is headline-only: at most HEADLINE_LIMIT tags
HEADLINE_LIMIT = 3
MAX_NAME_WORDS = 4  # "Government of Prime Minister Costas Karamanlis" is a run, not a tag

# Job titles and roles written in front of a name ("Alaska Gov. Sarah Palin", "Chargers WR Jackson"): the
# tag is the person, so a phrase keeps only the words after its last role word. Left out on purpose, as
# they more often open a name than describe a person: "Doctor" (Doctor Who), "General" (General Motors),
# "Star" (Star Wars, Star Tribune), "Captain" (Captain America), "King", "Queen", "Prince", "Pope".
ROLE_WORDS = frozenset(
    {
        "councilman", "councilwoman", "councillor", "councilor", "alderman", "governor", "gov", "senator",
        "sen", "representative", "rep", "congressman", "congresswoman", "assemblyman", "assemblywoman",
        "mayor", "president", "minister", "premier", "chancellor", "secretary", "secretary-general",
        "ambassador", "spokesman", "spokeswoman", "chairman", "chairwoman", "commissioner", "director",
        "manager", "chief", "officer", "sheriff", "deputy", "detective", "trooper", "prosecutor", "judge",
        "attorney", "lawyer", "actor", "actress", "singer", "rapper", "coach", "quarterback", "pastor",
        "defender", "executive",
    }
)  # fmt: skip
# Sports positions count as roles only in capitals ("WR Jackson"): "Te", "Lb" are not positions.
POSITION_ABBREVIATIONS = frozenset({"QB", "RB", "WR", "TE", "NT", "LB", "CB"})
_ROLE = re.compile(
    r"(?<![\w'’\-])(?:(?i:"
    + "|".join(map(re.escape, sorted(ROLE_WORDS, key=len, reverse=True)))
    + ")|"
    + "|".join(sorted(POSITION_ABBREVIATIONS))
    + r")(?![\w'’\-])\.?"
)
# A lower-case head glued to a capitalised name by a scrape ("Firefighters baAlaska Republican").
_GLUED_WORD = re.compile(r"[a-z]+([A-Z][\w'’\-]*)")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _key(phrase: str) -> str:
    """Alias/lookup key: "U.S." → "us", "Lee Jae-myung" → "lee jae myung", "N. Korea" → "n korea"."""
    folded = _fold(phrase).lower().replace("’", "'").replace(".", "")
    folded = re.sub(r"'s\b", "", folded)
    return " ".join(re.findall(r"[a-z0-9]+", folded))


@functools.lru_cache(maxsize=65536)
def normalise(phrase: str) -> Hashtag:
    """One Hashtag per name however it is written: aliases first, then CamelCase of the folded words."""
    key = _key(phrase)
    display = ALIASES.get(key, _fold(phrase).replace(".", "") if key not in ALIASES else "")
    words = re.findall(r"[A-Za-z0-9]+", display.replace("'s", "").replace("'", "").replace("’", ""))
    shouting = len(words) > 1 and all(w.isupper() for w in words)
    parts = [
        w if (w.isupper() and not shouting) else (w[0].upper() + (w[1:].lower() if shouting else w[1:])) for w in words
    ]
    label = "".join(parts)
    return Hashtag(slug=label.lower(), label=label)


def _is_noise(phrase: str) -> bool:
    words = phrase.split()
    if len(words) > MAX_NAME_WORDS or _key(phrase) in GENERIC or not _key(phrase):
        return True
    letters = [w for w in words if w.isalpha()]
    return bool(letters) and all(w.isupper() for w in letters) and (len(words) > 1 or len(phrase) > 6)


def _without_role(phrase: str) -> str:
    """ "Brooklyn Councilman Jumaane Williams" → "Jumaane Williams"; "" when no name follows the role."""
    role_ends = [role.end() for role in _ROLE.finditer(phrase)]
    if not role_ends:
        return phrase
    after = phrase[role_ends[-1] :].strip()
    # "Governor of Alaska", "Secretary of Commerce Gary Locke": the office runs on, and where its name
    # ends and the person's begins is a guess; the person is nearly always named plainly elsewhere.
    return "" if after[:1].islower() else after


def _unglued(phrases: Counter[str]) -> Counter[str]:
    """Split a phrase at a word glued onto a name the text uses alone: "Firefighters baAlaska Republican"
    → "Firefighters", "Alaska Republican" ("deGrasse" stays whole: "Grasse" is not a name on its own)."""
    out: Counter[str] = Counter()
    for phrase, count in phrases.items():
        words = phrase.split()
        for i, word in enumerate(words):
            glued = _GLUED_WORD.fullmatch(word)
            if glued and glued.group(1) in phrases:
                out.update({" ".join(words[:i]): count, " ".join([glued.group(1), *words[i + 1 :]]): count})
                break
        else:
            out[phrase] += count
    out.pop("", None)
    return out


def _headline_copy_end(title: str, body: str) -> int:
    """Where the body's copy of the headline ends, or 0 when the body does not open with one.

    Mirrors often glue the headline to the first sentence ("Chargers ' Jackson arrested on suspicion of
    DUI San Diego Chargers wide receiver..."): read as one line, the copy fuses the headline's last name
    with the sentence's first ("DUI San Diego Chargers") and escapes the Title Case rules that keep the
    headline's own fragments out ("Tara Reid Finally Checks"). Many titles are instead the first
    sentence cut short: those run on in lower case or punctuation (", her husband Todd...") or end
    on a common word ("...confirmed to" + " People") and stay body text, as does a name the cut splits
    ("...Alaska Gov. Sarah" + " Palin"): one used elsewhere in the body, or whose first half is not.
    """
    title = title.strip()
    if not title or not body.startswith(title) or not body[len(title) : len(title) + 1].isspace():
        return 0
    rest = body[len(title) :]
    last, first = title.split()[-1], rest.split(None, 1)[0] if rest.strip() else ""
    if not first[:1].isupper() or last.lower() in STOP:
        return 0  # "...the American Pie star's rep confirmed to" + " People": a sentence cut short
    if last[-1].isalnum() and last[0].isupper() and first.lower() not in STOP:
        last_alone = re.search(rf"(?<!\w){re.escape(last)}(?!\w)(?!\s+{re.escape(first)})", rest)
        if f"{last} {first}" in rest[len(first) + 1 :] or not last_alone:
            return 0
    return len(title)


def _name_scores(title: str, body: str, *, headline_only: bool) -> dict[str, tuple[float, str]]:
    """slug → (score, label) for proper-noun phrases.

    Title Case headlines capitalise every word ("Charges Filed In Parking Lot Drunken Hit-And-Run"),
    so a headline phrase only counts when the body names it too, unless there is no body to ask; one
    the body does not name in full is cut back to the part it does ("Peter Capaldi Cast").
    """
    scores: dict[str, float] = Counter()
    labels: dict[str, str] = {}
    length = max(1, len(body))
    copy_end = _headline_copy_end(title, body)
    # The copy on a line of its own, same length, so first-mention offsets (LEAD_BONUS) are unchanged.
    lines = f"{body[:copy_end]}\n{body[copy_end + 1 :]}" if copy_end else body
    body_phrases = _unglued(proper_noun_phrases(lines))
    title_phrases = proper_noun_phrases(title, context="" if headline_only else body)
    for phrases, in_title in ((body_phrases, False), (title_phrases, True)):
        for written, count in phrases.items():
            phrase = _without_role(written)
            if not phrase or _is_noise(phrase):
                continue
            if in_title and not headline_only:
                phrase = _cut_to_body_name(phrase, scores)
            tag = normalise(phrase)
            if not tag.slug or (in_title and not headline_only and not _confirmed(tag, scores)):
                continue
            scores[tag.slug] += TITLE_BOOST * count if in_title else count
            if not in_title:
                at = body.find(phrase)
                scores[tag.slug] += LEAD_BONUS * (1 - at / length) if at >= 0 else 0
            labels.setdefault(tag.slug, tag.label)
            labels[tag.slug] = max(labels[tag.slug], tag.label, key=len)
    return _fold_parts(scores, labels)


def _confirmed(tag: Hashtag, body_scores: dict[str, float]) -> bool:
    """The body names the headline phrase, or one of its words ("Lohan" for "Lindsay Lohan")."""
    return tag.slug in body_scores or any(w.lower() in body_scores for w in _parts(tag.label))


def _cut_to_body_name(phrase: str, body_scores: dict[str, float]) -> str:
    """The longest run of two or more of the headline phrase's words that the body names, when the words
    cut off are not names there: "Peter Capaldi Cast" → "Peter Capaldi", "Charger Jamal Williams" →
    "Jamal Williams", but "Kansas City Chiefs" stays whole while the body names "Chiefs". A single word is
    never the cut: the headline's "Lindsay Lohan" must not shrink to the body's "Lohan".
    """
    words = phrase.split()
    if len(words) < 3 or normalise(phrase).slug in body_scores:
        return phrase
    for size in range(len(words) - 1, 1, -1):
        for start in range(len(words) - size + 1):
            kept, cut = words[start : start + size], words[:start] + words[start + size :]
            if normalise(" ".join(kept)).slug in body_scores and not any(normalise(w).slug in body_scores for w in cut):
                return " ".join(kept)
    return phrase


def _parts(label: str) -> list[str]:
    return re.findall(r"[A-Z0-9]+[a-z0-9]*|[a-z0-9]+", label)


def _fold_parts(scores: dict[str, float], labels: dict[str, str]) -> dict[str, tuple[float, str]]:
    """Give a one-word name's score to the strongest longer name that contains it ("Lee" → "LeeJaeMyung")."""
    words = {slug: [w.lower() for w in _parts(labels[slug])] for slug in scores}
    merged = dict(scores)
    for slug, parts in words.items():
        if len(parts) != 1:
            continue
        containers = [s for s, p in words.items() if len(p) > 1 and parts[0] in p]
        if containers:
            best = max(containers, key=lambda s: (scores[s], s))
            merged[best] += merged.pop(slug)
    return {slug: (score, labels[slug]) for slug, score in merged.items()}


def _topic_scores(title: str, body: str) -> dict[str, tuple[float, str]]:
    in_title = Counter(_TOPIC_OF[k] for k in _TOPIC_WORDS.findall(title.lower()))
    in_body = Counter(_TOPIC_OF[k] for k in _TOPIC_WORDS.findall(body.lower()))
    return {
        label.lower(): (TITLE_BOOST * in_title[label] + in_body[label], label)
        for label in in_title.keys() | in_body.keys()
        if in_title[label] or in_body[label] >= TOPIC_MIN_BODY_HITS
    }


def hashtags_for(title: str, body: str, *, limit: int = 6) -> list[Hashtag]:
    """The article's best tags, best first: up to ``limit``, at most HEADLINE_LIMIT for a headline-only item."""
    headline_only = len(body.split()) < SUBSTANCE_WORDS
    if headline_only:
        limit = min(limit, HEADLINE_LIMIT)
    candidates = _name_scores(title, body, headline_only=headline_only)
    for slug, scored in _topic_scores(title, body).items():
        if slug not in candidates or candidates[slug][0] < scored[0]:
            candidates[slug] = scored
    ranked = sorted(candidates.items(), key=lambda item: (-item[1][0], item[0]))
    return [Hashtag(slug, label) for slug, (score, label) in ranked if score >= MIN_SCORE][:limit]


# ---------------------------------------------------------------- one tag per person across a story

# Titles written right before a surname ("Mr. Simpson", "Sen. Palin", "Officer Williams"): the word after
# one is a person. Left out, as they also open names of things: "General" (General Motors), "Doctor"
# (Doctor Who), "Captain" (Captain America), "King", "Prince", "Saint", "Lord".
HONORIFICS = frozenset(
    {
        "Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Rev", "Sen", "Senator", "Gov", "Governor", "Rep",
        "President", "Mayor", "Judge", "Justice", "Officer", "Sgt", "Sergeant", "Det", "Detective", "Lt",
        "Capt", "Deputy", "Trooper", "Sheriff", "Coach",
    }
)  # fmt: skip
# Verbs of speech written right after a surname ("Simpson said", "Palin told reporters"); "according to"
# is written before one. A team or a country speaks too, but as "the Chargers said", never bare.
SPEECH_VERBS = frozenset(
    {"said", "says", "told", "added", "explained", "testified", "wrote", "asked", "insisted", "recalled", "admitted"}
)
# "Christopher Kenyon Simpson, 27, of Fort Coffee", "27-year-old Christopher Kenyon Simpson" (the mirrors
# space it "27 - year - old"): news writes a person's age beside the full name, and only a person's.
_AGE_AFTER = r",[^\S\n]*\d{1,3}[^\S\n]*,"
_AGE_BEFORE = r"(?<![\w.])\d{1,3}[^\S\n]*-?[^\S\n]*years?[^\S\n]*-?[^\S\n]*old[^\S\n]+"
# A name is adjacent capitalised words on one line: "Palmer, Alaska" (town, state) is never a name, and
# a name does not run across a line break (a headline glued to the first sentence).
_SPACE = r"[^\S\n]+"
# ...and it is written inside a sentence at least once, after a word or a comma: a sentence's first word
# is capitalised whatever it is ("Typically Microsoft releases...", "Once Microsoft..." were tags).
_INSIDE_SENTENCE = r"(?<=[\w,;)] )"
_HONORIFIC = r"(?<![\w'’\-])(?:" + "|".join(sorted(HONORIFICS, key=len, reverse=True)) + r")\.?" + _SPACE
_WORD_END = r"(?![\w'’\-])"


def _written_full(full: Hashtag, lone: Hashtag) -> str:
    """A pattern for the full name as written: its words before the lone word (joined as the label's
    parts were: "Ka'Loni" → "KaLoni"), then a space, then the lone word."""
    before = _parts(full.label[: -len(lone.label)])
    joined = r"(?:[^\S\n]+|['’\-]|)".join(map(re.escape, before))
    return r"(?<![\w'’\-])" + joined + _SPACE + re.escape(lone.label) + _WORD_END


@dataclass(frozen=True)
class FoldCandidate:
    """A lone word and the one person it may stand for in a story: "Simpson" → #ChristopherKenyonSimpson
    (``shorter`` holds that name written without a middle name: #ChristopherSimpson)."""

    lone: Hashtag
    full: Hashtag
    shorter: tuple[Hashtag, ...] = ()

    @property
    def slugs(self) -> set[str]:
        return {self.lone.slug, self.full.slug, *(tag.slug for tag in self.shorter)}


def fold_candidates(tags: Iterable[Hashtag]) -> list[FoldCandidate]:
    """Lone-word tags of one story with the one longer tag that ends with them ("Simpson" →
    #ChristopherKenyonSimpson). Longer tags that differ only by middle names are one name
    (#ChristopherSimpson, #ChristopherKenyonSimpson); two different ones leave the lone word out, as which
    one it means is a guess ("Flynn" with #KaLoniFlynn and #HerbertFlynn)."""
    by_slug = {tag.slug: tag for tag in tags}
    out: list[FoldCandidate] = []
    for lone in sorted(by_slug.values(), key=lambda t: t.slug):
        if not _LONE_WORD.fullmatch(lone.label) or lone.label in TOPICS:
            continue
        ending = [t for t in by_slug.values() if len(t.label) > len(lone.label) and t.label.endswith(lone.label)]
        if not ending:
            continue
        full = max(ending, key=lambda t: (len(_parts(t.label)), t.slug))
        shorter = tuple(sorted((t for t in ending if t is not full), key=lambda t: t.slug))
        if all(_without_middle_names(t, full) for t in shorter):
            out.append(FoldCandidate(lone, full, shorter))
    return out


def _without_middle_names(short: Hashtag, full: Hashtag) -> bool:
    """ "ChristopherSimpson" is "ChristopherKenyonSimpson" without its middle name: same first and last
    word, its words in the same order. "HerbertFlynn" is not "KaLoniFlynn"."""
    words, full_words = _parts(short.label), _parts(full.label)
    if len(words) < 2 or words[0] != full_words[0] or len(words) >= len(full_words):
        return False
    rest = iter(full_words[1:])
    return all(word in rest for word in words[1:])


# A one-word name as a tag label: "Simpson", or a surname whose prefix keeps its own capital ("McCain",
# "DiLeo", "OBrien" from "O'Brien"); never a run of words ("InternetExplorer") or an acronym ("US").
SURNAME_PREFIXES = ("Mc", "Mac", "O", "D", "Di", "De", "Da", "Du", "La", "Le")
_LONE_WORD = re.compile(r"(?:" + "|".join(SURNAME_PREFIXES) + r")?[A-Z][a-z]+")
_SPEECH = r"(?:" + "|".join(sorted(SPEECH_VERBS)) + r")\b"


def person_folds(candidates: Sequence[FoldCandidate], texts: Iterable[str]) -> dict[str, Hashtag]:
    """Which of a story's ``candidates`` (``fold_candidates`` of its tags) name a person: slug → full-name tag
    ("simpson" and "christophersimpson" → #ChristopherKenyonSimpson), read from the story's ``texts``.

    A fold needs all of: the lone word has one full name in the story (the candidate); that name,
    and any shorter form folded with it, is written as adjacent words inside a sentence ("Palmer,
    Alaska" never is); and the texts show a person: the lone word right after an honorific ("Mr.
    Simpson"), right before a verb of speech ("Simpson said", not "the Chargers said") or after
    "according to"; or the full name after an honorific or beside an age ("Christopher Kenyon Simpson, 27,",
    "27-year-old Christopher Kenyon Simpson").
    """
    if not candidates:
        return {}
    text = "\n".join(_fold(t) for t in texts)
    folds: dict[str, Hashtag] = {}
    for candidate in candidates:
        lone, full = candidate.lone, candidate.full
        names = [_written_full(name, lone) for name in (full, *candidate.shorter)]
        if not all(re.search(_INSIDE_SENTENCE + name, text) for name in names):
            continue
        word = re.escape(lone.label)
        evidence = (
            _HONORIFIC + word + _WORD_END,
            r"(?<![Tt]he )(?<![\w'’\-])" + word + _SPACE + _SPEECH,
            r"\baccording to " + word + _WORD_END,
            _HONORIFIC + names[0],
            names[0] + _AGE_AFTER,
            _AGE_BEFORE + names[0],
        )
        if any(re.search(pattern, text) for pattern in evidence):
            folds.update(dict.fromkeys([lone.slug, *(t.slug for t in candidate.shorter)], full))
    return folds
