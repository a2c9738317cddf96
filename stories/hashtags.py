"""3–6 topic hashtags per article: the people, places and organisations it is about, plus its news topic.

Pure: no Django, no model. About 2 ms for a 350-word article, a third of it in ``proper_noun_phrases``.

1. Candidates: proper-noun phrases from ``stories.entities.proper_noun_phrases`` (title and body apart),
   and topic words from a small vocabulary (``TOPICS``: "quake" → #Earthquake, "tariff" → #Tariffs).
2. ``normalise`` folds spellings into one slug ("N. Korea", "north korea" → northkorea; "U.S." → us).
3. Generic capitalised words and credits ("Reuters", "Getty Images", "Advertisement") are dropped; a
   role glued to a name keeps only the name ("City Councilman Jumaane Williams" → #JumaaneWilliams);
   a headline phrase the body does not name is cut back to the part it does ("Peter Capaldi Cast" →
   #PeterCapaldi); and a lone surname or part ("Lee", "Palin") is folded into the longer name containing it.
4. Score = body count + ``TITLE_BOOST`` per title mention + up to ``LEAD_BONUS`` for an early first
   mention; keep those reaching ``MIN_SCORE``, best first, at most ``limit`` (3 for headline-only items).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from stories.entities import DAYS, MONTHS, STOP, proper_noun_phrases


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
    for phrases, in_title in ((body_phrases, False), (proper_noun_phrases(title), True)):
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
