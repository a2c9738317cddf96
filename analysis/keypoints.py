"""Key points and a short summary, extracted from the article's own sentences: grounded by construction.

Selection, per article, with sentence vectors from all-MiniLM-L6-v2 (one encoder call for a whole
batch of articles, see ``digest_many``). At ingest these are ``analysis.embeddings.TokenEmbeddingEncoder``
vectors: the SIF-weighted mean of the model's own word-piece embeddings, ~0.1 ms a sentence instead of
~10 ms for the full transformer (``Encoder``), which would have more than doubled ingest time. On the
496 ecbplus-dev bodies the token vectors pick the same summary as the full encoder with a mean Jaccard
of 0.61 and the same key points with 0.56 (0.67 before key points followed the summary; random vectors
over the same candidates: 0.42 / 0.29), see bench/ai_keypoints.py. Any object with
``encode(texts) -> (n, 384) unit rows`` works (``Encoder`` too):


1. candidates: sentences of 6–60 words that do not look like publisher furniture (credits, "click
   here", newsletter boxes, datelines) and are not a bare quotation without attribution; a wire
   dateline or time stamp glued before the first words ("WASHINGTON (Reuters) - ", "(CNN)",
   "Published on Jul 02, 2013 4: 22 PM ", "Scroll down for video ") is cut off, the rest kept;
2. summary: the lead, i.e. the first 3 candidates in article order (2 when the article has fewer
   than 8). A news article's lead is its gist: on CNN/DailyMail with the editors' highlights (tuning
   half of ../shared/data/summaries-dev, bench/ai_summary.py) the most central sentences by these
   vectors scored ROUGE-1 0.355 / ROUGE-2 0.153 against Lead-3's 0.403 / 0.176, and every rule tried
   for replacing a weak lead sentence by a central later one (by vectors or by shared words, any
   margin) or for shortening the lead moved the scores by less than 0.005 or lowered them; so the
   lead stands, cleaned of furniture and non-sentences, and a lead sentence that says an earlier one
   again (cosine above ``REDUNDANCY_CAP``: a DailyMail caption repeating the first sentence) gives
   its place to the next (docs/benchmarks.md keeps the figures);
3. salience, for key points: the mean of the cosine to the article centroid (what the article is
   mostly about) and to the title (what the editor says it is about);
4. key points: what else the article says, none repeating the summary (``MIN_POINTS_BEYOND_SUMMARY``):
   greedy MMR over salience, the summary counting as already said, a candidate never taken when it
   is too close to one already chosen (``REDUNDANCY_CAP``); each third of the article that already
   gave a sentence lowers the next candidate from that third by ``PART_PENALTY`` so later parts can
   contribute, and a long article always gets at least one point after its first third if a salient
   one exists there (no lead-only bias). Shown in article order.

Trimming, and the exact grounding rule: a shown text may drop a leading dateline or time stamp, a
leading discourse marker ("However, ", "Meanwhile, ", "But ") or a trailing attribution (", police
said.") and nothing else.
Its single span ``(a, b)`` then covers exactly the kept words, and

    text == upper_first(body[a:b]) + ("." if body[a:b] does not end in . ! ? or a closing quote else "")

where ``upper_first`` capitalises only the first character (``GroundedText.matches`` checks it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.sentences import Sentence, split_sentences

MIN_WORDS = 6  # shorter lines are headings, datelines, captions or fragments
MAX_WORDS = 60  # longer "sentences" are run-ons or lists: unreadable as a point
# Cosine above which two sentences say the same thing (MiniLM paraphrases sit ~0.8–0.95). The token
# vectors' 99.9th percentile between candidate pairs is 0.76 (full encoder 0.78); 0.7 / 0.9 agreed less.
REDUNDANCY_CAP = 0.80
MMR_LAMBDA = 0.75  # weight of salience against novelty in the greedy selection
PART_PENALTY = 0.04  # per point already taken from the same third of the article
LATER_PART_FLOOR = 0.85  # a later-third sentence replaces the last point if its salience is >= this x the best
# Sentences encoded per article at most. A cheap lexical pre-ranking (content words shared with the
# article and the title) keeps the best MAX_ENCODED candidates, at least MIN_PER_PART from each third,
# and the lead, for the vectors to rank. It was introduced to bound the full encoder's cost (~5–17 ms a
# sentence on 2 busy cores); with token vectors encoding every candidate would be affordable, but it
# agreed less with the full encoder's choices (Jaccard 0.61 vs 0.67), so the pre-filter stays.
MAX_ENCODED = 10
MIN_PER_PART = 2
DANGLING_PENALTY = 0.05  # "He said ..." / "It was ...": who "he" is sits in another sentence
# Key points leave out the summary's sentences when at least this many candidates remain: on ecbplus-dev
# 345 of 496 pages showed the whole summary again as key points. A shorter article repeats rather than
# shows nothing (the page then lists only the points that add to the summary).
MIN_POINTS_BEYOND_SUMMARY = 2
LEAD_SENTENCES = 3  # the summary: the first three candidates (see the module docstring for why)
SHORT_ARTICLE = 8  # fewer candidates than this: a two-sentence summary, so key points have room

_WORDS = re.compile(r"\S+")
_BOILERPLATE = re.compile(
    r"click here|subscribe|sign up|newsletter|all rights reserved|copyright|©|follow us|read more|"
    r"related:|advertisement|cookies?\b|terms of (?:use|service)|privacy policy|^(?:photo|image|video|"
    r"file photo|caption|credit|source|watch|listen|updated?|posted|editing by|reporting by|more information)\b|"
    r"https?://|www\.|@\w+\.\w+|\b(?:AM|PM) (?:EDT|EST|ET|GMT|BST|PDT|PST)\b",
    re.IGNORECASE,
)
# A wire dateline glued before the first words: "(CNN)", "Kathmandu, Nepal (CNN)", "HANOI, Vietnam (AP) — ",
# "WASHINGTON (Reuters) - ", "MADRID — ", "ALASKA - ", "Washington, DC, United States: "; DailyMail's "Scroll
# down for video" and caption labels ("Tragic: The man ...").
_WIRE_DATELINE = re.compile(
    r"(?:(?:[A-Z][\w.'’-]*,?\s+){0,4}?\((?:CNN|AP|Reuters|AFP|UPI|Bloomberg)\)\s*(?:-{1,2}|—|–)?"
    r"|[A-Z][A-Z.'’]+(?:,?\s+[A-Z][A-Z.'’]+){0,3}\s+(?:-{1,2}|—|–)"
    r"|Scroll down for (?:videos?|more)"
    r"|[A-Z][\w.'’-]*(?:,\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)?){0,3}:)\s*(?=[\"“‘'(]?[A-Z0-9])"
)
# Words of a time stamp glued before the first words: "Published on Jul 02, 2013 4: 22 PM A quake ...",
# "Thu Nov 10, 2011 3: 00pm EST A camp ...", "Updated 5: 40 p. m. ET Early Friday ...".
_STAMP_VOCABULARY = (
    "published updated posted edited modified last time on at by - – — | "
    "mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday sun sunday "
    "jan january feb february mar march apr april may jun june jul july aug august sep sept september "
    "oct october nov november dec december am pm a.m. p.m. a. p. m. et edt est gmt bst pdt pst cet utc"
)
_STAMP_WORDS = frozenset(_STAMP_VOCABULARY.split())
_STAMP_NUMBER = re.compile(r"\d{1,4}(?:st|nd|rd|th|[ap]m?)?(?:[.:]\d{0,2}(?:[ap]m?)?)?", re.IGNORECASE)
_STAMP_MARKERS = re.compile(r"\d{1,2}:|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.IGNORECASE)
_STAMP_TOKEN = re.compile(r"[^\s|]+|\|")
_QUOTE_OPEN = "\"“'‘"
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-zß-ÿ]+(?![\w'’-])")
MIN_LOWER_WORDS = 3  # prose has function words ("the", "of", "was"); a name or a heading has few or none
_ATTRIBUTION_WORDS = re.compile(r"\b(?:said|says|told|according|added|stated|asked|wrote)\b", re.IGNORECASE)
_LEADING_MARKER = re.compile(
    r"^(?:However|Meanwhile|But|And|Also|Still|Moreover|Furthermore|In addition|Additionally|"
    r"Nevertheless|Separately|Indeed|Besides|So|Yet|Now),?\s+(?=\w)"
)
# ", he said." / ", police said Tuesday." / ", the ministry said in a statement." — not after a quote.
_TRAILING_ATTRIBUTION = re.compile(
    r"(?<![\"”’']),\s+(?:(?:he|she|they|police|officials|authorities|witnesses|sources)|(?:the|a|an)\s+[\w -]{1,40}?"
    r"|[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})\s+(?:said|says|told\s+\w+|reported|added)"
    r"(?:\s+(?:on\s+)?\w+day|\s+in\s+a\s+statement)?\.$"
)
_DANGLING = re.compile(r"(?:He|She|It|They|This|That|These|Those|His|Her|Their)\b")
_LEX = re.compile(r"[a-z0-9][a-z0-9'’-]+")
# Function words left out of the lexical pre-ranking. Each stop list in the project serves its own
# measure and is tuned with it (this one: which sentences count as central); sharing one would move
# every quality gate at once.
_STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "with",
        "from",
        "as",
        "into",
        "about",
        "after",
        "before",
        "over",
        "under",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
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
        "it",
        "its",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "who",
        "whom",
        "which",
        "what",
        "when",
        "where",
        "why",
        "how",
        "said",
        "says",
        "say",
        "also",
        "than",
        "then",
        "just",
        "more",
        "most",
        "other",
        "some",
        "any",
        "all",
        "one",
        "two",
        "new",
        "after",
        "up",
        "out",
        "we",
        "you",
        "our",
        "your",
        "i",
        "me",
        "my",
        "if",
        "so",
        "while",
        "during",
        "since",
        "until",
        "because",
        "though",
        "yet",
        "per",
    ]
)
_TERMINAL = (".", "!", "?", '"', "”", "’", "'", ")")


@dataclass(frozen=True)
class GroundedText:
    text: str
    spans: tuple[tuple[int, int], ...]  # [start, end) offsets into the body of the cited words

    def matches(self, body: str) -> bool:
        """The exact rule of the module docstring: the text is the cited words, first letter up, maybe a period."""
        if len(self.spans) != 1:
            return False
        a, b = self.spans[0]
        return 0 <= a < b <= len(body) and self.text == _display(body[a:b])


@dataclass(frozen=True)
class Digest:
    key_points: tuple[GroundedText, ...]  # 3–5, in article order, none repeating the summary if avoidable
    summary: tuple[GroundedText, ...]  # 2–3, in article order

    def to_json(self) -> dict:
        """The export format: {"key_points": [{"text", "spans"}], "summary": [...]}."""

        def items(values: tuple[GroundedText, ...]) -> list[dict]:
            return [{"text": v.text, "spans": [list(s) for s in v.spans]} for v in values]

        return {"key_points": items(self.key_points), "summary": items(self.summary)}


EMPTY = Digest((), ())


def ingest_encoder():
    """The encoder key points use at ingest: the process-wide ``TokenEmbeddingEncoder`` (sha256-checked weights)."""
    from analysis.embeddings import get_token_encoder

    return get_token_encoder()


def digest(title: str, body: str, *, encoder=None, max_points: int = 5, max_encoded: int = MAX_ENCODED) -> Digest:
    """Key points and summary of one article; see ``digest_many`` to share one encoder call."""
    return digest_many([(title, body)], encoder=encoder, max_points=max_points, max_encoded=max_encoded)[0]


def digest_many(
    items: Sequence[tuple[str, str]], *, encoder=None, max_points: int = 5, max_encoded: int = MAX_ENCODED
) -> list[Digest]:
    """``digest`` for many (title, body) pairs, with the chosen sentences of every article in one encoder call.

    ``encoder=None`` means ``ingest_encoder()``, the cheap token-embedding vectors; pass a full
    ``analysis.embeddings.Encoder`` for the (~40× dearer) transformer vectors.
    """
    if encoder is None:
        encoder = ingest_encoder()
    plans = [_plan(title, body, max_encoded) for title, body in items]
    texts: list[str] = []
    for plan in plans:
        if plan.candidates:
            texts.extend([plan.title, *(c.text for c in plan.candidates)])
    vectors = encoder.encode(texts) if texts else np.zeros((0, 384), np.float32)
    out: list[Digest] = []
    row = 0
    for plan in plans:
        if not plan.candidates:
            out.append(EMPTY)
            continue
        n = len(plan.candidates)
        title_vec, sent_vecs = vectors[row], vectors[row + 1 : row + 1 + n]
        row += 1 + n
        out.append(_select(plan, title_vec, sent_vecs, max_points=max_points))
    return out


# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    sentence: Sentence
    start: int  # after trimming
    end: int
    text: str  # body[start:end]
    part: int  # 0, 1, 2: which third of the body


@dataclass(frozen=True)
class _Plan:
    title: str
    body: str
    candidates: tuple[_Candidate, ...]  # the ones to encode
    usable: int  # candidates before the lexical pre-filter: decides how many points the article deserves


def _plan(title: str, body: str, max_encoded: int = MAX_ENCODED) -> _Plan:
    sentences = split_sentences(body or "")
    candidates = [c for s in sentences if (c := _candidate(body, s)) is not None]
    if len(candidates) < 3:  # a short or odd article: relax the filters rather than show nothing
        candidates = [c for s in sentences if (c := _candidate(body, s, strict=False)) is not None]
    usable = len(candidates)
    if len(candidates) > max_encoded:
        candidates = _prefilter(title, candidates, max_encoded)
    return _Plan(title.strip() or (candidates[0].text if candidates else ""), body, tuple(candidates), usable)


def _prefilter(title: str, candidates: list[_Candidate], limit: int) -> list[_Candidate]:
    """The ``limit`` lexically most central candidates (at least MIN_PER_PART a third), in article order."""
    bags = [Counter(_content_words(c.text)) for c in candidates]
    article: Counter[str] = Counter()
    for bag in bags:
        article.update(set(bag))  # document frequency over sentences
    title_words = set(_content_words(title))
    scores = []
    for bag in bags:
        if not bag:
            scores.append(0.0)
            continue
        shared = sum(article[w] - 1 for w in bag) / (len(bag) ** 0.5)
        scores.append(shared + 2.0 * len(title_words & bag.keys()))
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    keep: set[int] = set(range(LEAD_SENTENCES + 1))  # the summary, and one more if a lead sentence repeats
    for part in range(3):
        keep.update([i for i in order if candidates[i].part == part][:MIN_PER_PART])
    for i in order:
        if len(keep) >= limit:
            break
        keep.add(i)
    return [candidates[i] for i in sorted(keep)]


def _content_words(text: str) -> list[str]:
    return [w for w in _LEX.findall(text.lower()) if w not in _STOPWORDS]


def _leading_furniture(text: str) -> int:
    """Length of a wire dateline or time stamp glued before the sentence's first words (0 when none)."""
    cut = 0
    while True:
        dateline = _WIRE_DATELINE.match(text, cut)
        if dateline and dateline.end() > cut:
            cut = dateline.end()
            continue
        stamp = _stamp_end(text, cut)
        if stamp > cut:
            cut = stamp
            continue
        return cut


def _stamp_end(text: str, start: int) -> int:
    """End of a run of date and time words from ``start``, when a capitalised sentence follows it."""
    end = start
    for token in _STAMP_TOKEN.finditer(text, start):
        word = token.group(0).lower().strip(",:")
        if word in _STAMP_WORDS or word.rstrip(".") in _STAMP_WORDS or _STAMP_NUMBER.fullmatch(word):
            end = token.end()
            continue
        stamp = text[start:end]
        if any(c.isdigit() for c in stamp) and _STAMP_MARKERS.search(stamp) and token.group(0)[0].isupper():
            return token.start()
        return start
    return len(text) if any(c.isdigit() for c in text[start:]) and _STAMP_MARKERS.search(text[start:]) else start


def _candidate(body: str, sentence: Sentence, *, strict: bool = True) -> _Candidate | None:
    skip = _leading_furniture(sentence.text)
    if skip >= len(sentence.text.rstrip(".")):
        return None  # a dateline or time stamp alone
    if skip:
        rest = sentence.text[skip:]
        sentence = Sentence(sentence.index, sentence.start + skip, sentence.end, rest)
    text = sentence.text
    n_words = len(_WORDS.findall(text))
    if strict:
        if not MIN_WORDS <= n_words <= MAX_WORDS or _BOILERPLATE.search(text):
            return None
        if text[0] in _QUOTE_OPEN and not _ATTRIBUTION_WORDS.search(text):
            return None  # a bare quotation: who said it is in another sentence
        if not text.endswith(_TERMINAL):
            return None  # a heading or caption, not prose
        if len(_LOWER_WORD.findall(text)) < MIN_LOWER_WORDS:
            return None  # a product name or a title in Title Case: "Apple iPad Pro (11-inch, 64GB) - Space Gray"
    elif n_words < 3 or n_words > 2 * MAX_WORDS:
        return None
    start, end = _trim(text)
    part = min(2, 3 * sentence.start // max(1, len(body)))
    begin = sentence.start + start
    return _Candidate(sentence, begin, sentence.start + end, body[begin : sentence.start + end], part)


def _trim(text: str) -> tuple[int, int]:
    """Offsets within ``text`` of the kept words: a leading discourse marker and a trailing attribution cut."""
    start, end = 0, len(text)
    marker = _LEADING_MARKER.match(text)
    if marker and len(_WORDS.findall(text[marker.end() :])) >= MIN_WORDS:
        start = marker.end()
    attribution = _TRAILING_ATTRIBUTION.search(text, start)
    if attribution and len(_WORDS.findall(text[start : attribution.start()])) >= MIN_WORDS:
        end = attribution.start()
    return start, end


def _display(cited: str) -> str:
    text = cited[:1].upper() + cited[1:]
    return text if text.endswith(_TERMINAL) else text + "."


def _select(plan: _Plan, title_vec: np.ndarray, vecs: np.ndarray, *, max_points: int) -> Digest:
    n = len(plan.candidates)
    centroid = vecs.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    centrality = vecs @ centroid
    dangling = np.array([bool(_DANGLING.match(c.text)) for c in plan.candidates])
    salience = 0.5 * centrality + 0.5 * (vecs @ title_vec) - DANGLING_PENALTY * dangling
    similarity = vecs @ vecs.T
    parts = np.array([c.part for c in plan.candidates])

    summary: list[int] = []  # the lead, less a sentence that says an earlier one again (a caption, a recap)
    for i in range(n):
        if len(summary) == (LEAD_SENTENCES if n >= SHORT_ARTICLE else 2):
            break
        if not summary or similarity[i, summary].max() <= REDUNDANCY_CAP:
            summary.append(i)
    said = summary if n - len(summary) >= MIN_POINTS_BEYOND_SUMMARY else []
    k = min(n - len(said), max_points, max(3, plan.usable // 4))
    points = _mmr(salience, similarity, k, parts=parts, part_penalty=PART_PENALTY, said=said)
    if n >= 9 and points and all(parts[i] == 0 for i in points):
        taken = points + said
        later = [
            i for i in range(n) if i not in taken and parts[i] > 0 and similarity[i, taken].max() <= REDUNDANCY_CAP
        ]
        if later:
            best = max(later, key=lambda i: salience[i])
            if salience[best] >= LATER_PART_FLOOR * salience[points].max():
                points[-1] = best

    def grounded(indexes: list[int]) -> tuple[GroundedText, ...]:
        chosen = sorted(indexes, key=lambda i: plan.candidates[i].start)
        return tuple(
            GroundedText(_display(plan.candidates[i].text), ((plan.candidates[i].start, plan.candidates[i].end),))
            for i in chosen
        )

    return Digest(key_points=grounded(points), summary=grounded(summary))


def _mmr(
    salience: np.ndarray,
    similarity: np.ndarray,
    k: int,
    *,
    parts: np.ndarray | None,
    part_penalty: float = 0.0,
    said: Sequence[int] = (),
) -> list[int]:
    """Up to k indexes, greedily; ``said`` (already shown elsewhere) is never chosen but counts as chosen."""
    chosen: list[int] = []
    taken_per_part = np.zeros(3)
    available = np.ones(len(salience), dtype=bool)
    for i in said:
        available[i] = False
        if parts is not None:
            taken_per_part[parts[i]] += 1
    while len(chosen) < k and available.any():
        if chosen or said:
            redundancy = similarity[:, [*said, *chosen]].max(axis=1)
            available &= redundancy <= REDUNDANCY_CAP
            score = MMR_LAMBDA * salience - (1 - MMR_LAMBDA) * redundancy
        else:
            score = salience.copy()
        if parts is not None:
            score = score - part_penalty * taken_per_part[parts]
        score = np.where(available, score, -np.inf)
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        chosen.append(best)
        available[best] = False
        if parts is not None:
            taken_per_part[parts[best]] += 1
    return chosen
