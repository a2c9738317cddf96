"""Full-text search over articles, one function and two backends chosen by the database in use.

SQLite: an FTS5 table `search_articlefts` (rowid = article id, title, body) that SQL triggers on
articles_article keep in step (created by search/migrations/0002_fulltext.py, repaired by search/fulltext.py).
PostgreSQL: a table `search_articlevector` (article_id, the weighted tsvector VECTOR_SQL) with a GIN index,
kept in step by a PL/pgSQL trigger. A stored vector rather than a GIN index on the expression: ranking
needs the vector of every match, and recomputing to_tsvector for thousands of bodies took seconds.

Readers type words (all must match), "exact phrases" and -exclusions. `parse_query` turns that into
parts made only of letters and digits, so nothing a reader types ever reaches MATCH or tsquery syntax
as an operator: FTS5 gets every part quoted, PostgreSQL gets a rebuilt websearch_to_tsquery string.

Snippets come back from the database with sentinel characters around matches; `mark_snippet` escapes
the text and only then turns the sentinels into <mark> tags, so the result is safe to render as HTML.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connections, models
from django.db.models import Exists, OuterRef
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core import clock

# A reader's query is cut to this many characters and this many parts before it is parsed.
MAX_QUERY_CHARS = 500
MAX_PARTS = 16
# Relevance is divided by 1 + age_in_days / FRESHNESS_DAYS: a month-old article counts half as much.
FRESHNESS_DAYS = 30.0
# Title matches weigh this much more than body matches (bm25 column weights; tsvector weight A vs B).
TITLE_WEIGHT = 4.0
SNIPPET_TOKENS = 32
# Only the most recent matches are ranked: a common pair of words matches tens of thousands of articles at a
# million, and ranking reads every match's vector. search_articles keeps one more than this, so a page can
# say "more than MAX_RANKED match" when the count is above it.
MAX_RANKED = 1000
# The ranked ids of a query are cached this long (ranked_ids): new articles join a repeated search's results up
# to a minute late, and the freshness factor is that of the first search.
RANKED_SECONDS = 60

START, STOP = "\x02", "\x03"

FTS_TABLE = "search_articlefts"
VECTOR_TABLE = "search_articlevector"
VECTOR_SQL = (
    "(setweight(to_tsvector('english'::regconfig, {t}.\"title\"), 'A')"
    " || setweight(to_tsvector('english'::regconfig, {t}.\"body_text\"), 'B'))"
)
HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15"

_TOKEN = re.compile(r"[^\W_]+")
_PART = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Part:
    words: tuple[str, ...]
    exclude: bool = False


@dataclass
class ParsedQuery:
    parts: list[Part] = field(default_factory=list)

    @property
    def included(self) -> list[Part]:
        return [p for p in self.parts if not p.exclude]

    @property
    def excluded(self) -> list[Part]:
        return [p for p in self.parts if p.exclude]

    @property
    def problem(self) -> str:
        """Why this query cannot find anything, for the reader; empty when it can be run."""
        if not self.parts:
            return "Type one or more words to search for."
        if not self.included:
            return "Add at least one word to look for: a query of only -excluded words matches nothing."
        return ""

    def fts5(self) -> str:
        """An FTS5 MATCH expression: every part a quoted string of plain words, so no operator survives."""
        included = " AND ".join(_fts5_string(p) for p in self.included)
        if not self.excluded:
            return included
        return f"({included}) NOT ({' OR '.join(_fts5_string(p) for p in self.excluded)})"

    def websearch(self) -> str:
        """A websearch_to_tsquery string: quoted parts only, so words like "or" stay words."""
        return " ".join(("-" if p.exclude else "") + '"' + " ".join(p.words) + '"' for p in self.parts)


def _fts5_string(part: Part) -> str:
    return '"' + " ".join(part.words) + '"'


def parse_query(text: str) -> ParsedQuery:
    """Words, "phrases" and -exclusions; anything not a letter or digit separates words.

    An unbalanced quote runs to the end. A word with inner punctuation ("u.s", "covid-19") becomes a
    phrase of its pieces, which is how both backends' tokenizers see it in the text.
    """
    parsed = ParsedQuery()
    seen: set[Part] = set()
    for match in _PART.finditer((text or "")[:MAX_QUERY_CHARS]):
        quoted_minus, quoted, bare_minus, bare = match.groups()
        words = tuple(w.lower() for w in _TOKEN.findall(quoted if quoted is not None else bare))
        if not words:
            continue
        part = Part(words, exclude=bool(quoted_minus if quoted is not None else bare_minus))
        if part not in seen:
            seen.add(part)
            parsed.parts.append(part)
        if len(parsed.parts) >= MAX_PARTS:
            break
    return parsed


def mark_snippet(raw: str | None) -> SafeString:
    """HTML-escape a snippet, then turn the database's sentinels into balanced <mark> tags."""
    out: list[str] = []
    open_mark = False
    for piece in re.split(f"([{START}{STOP}])", raw or ""):
        if piece == START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == STOP:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(escape(piece))
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # every piece of text above went through escape()


class SnippetField(models.TextField):
    """Read-only output field: converts the raw snippet into escaped HTML with <mark> tags."""

    def from_db_value(self, value, expression, connection):
        return mark_snippet(value)


def _day_start(value: date | datetime, *, next_day: bool = False) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    day = value + timedelta(days=1) if next_day else value
    return timezone.make_aware(datetime.combine(day, time.min))


def _filter(queryset, *, publisher, hashtag, since, until):
    from stories.models import ArticleHashtag

    queryset = queryset.listed()
    if publisher:
        queryset = queryset.filter(
            **({"publisher__slug": publisher} if isinstance(publisher, str) else {"publisher": publisher})
        )
    if hashtag:
        tags = ArticleHashtag.objects.filter(article=OuterRef("pk"))
        tags = tags.filter(hashtag__slug=hashtag) if isinstance(hashtag, str) else tags.filter(hashtag=hashtag)
        queryset = queryset.filter(Exists(tags))
    if since:
        queryset = queryset.filter(published_at__gte=_day_start(since))
    if until:
        queryset = queryset.filter(published_at__lt=_day_start(until, next_day=True))
    return queryset


def search_articles(queryset, query: str, *, publisher=None, hashtag=None, since=None, until=None, among=None):
    """`queryset` narrowed to visible, non-pending articles matching `query`, best first among the most
    recent MAX_RANKED + 1 matches (so the count is at most MAX_RANKED + 1: more than MAX_RANKED means "many"),
    or among the article ids `among` (a page of ranked_ids) instead.

    Each row gets `rank` (relevance divided by an age factor, higher is better) and `snippet` (escaped
    HTML of the body around the matches, in <mark> tags). publisher and hashtag are slugs or instances;
    since and until are dates (both days included) or aware datetimes. A query with nothing to look for
    (see ParsedQuery.problem) returns queryset.none().
    """
    parsed = parse_query(query)
    if parsed.problem:
        return queryset.none()
    queryset = _filter(queryset, publisher=publisher, hashtag=hashtag, since=since, until=until)
    now = clock.now()
    table = queryset.model._meta.db_table
    published = f'"{table}"."published_at"'
    vendor = connections[queryset.db].vendor
    if vendor == "sqlite":
        index, words = FTS_TABLE, parsed.fts5()
        where = [f"{FTS_TABLE} MATCH %s", f'{FTS_TABLE}.rowid = "{table}"."id"']
        matches = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608 - constants only
        relevance, relevance_params = f"-bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)", []
        age_days, age_params = f"%s - julianday({published})", [now.timestamp() / 86400.0 + 2440587.5]
        snippet, snippet_params = f"snippet({FTS_TABLE}, 1, char(2), char(3), '…', {SNIPPET_TOKENS})", []
    elif vendor == "postgresql":
        index, words = VECTOR_TABLE, parsed.websearch()
        tsquery = "websearch_to_tsquery('english'::regconfig, %s)"
        where = [f'{VECTOR_TABLE}.article_id = "{table}"."id"', f"{VECTOR_TABLE}.vector @@ {tsquery}"]
        # OFFSET 0 keeps the planner from walking articles newest first and testing each one's vector (seconds
        # for a common pair of words): the GIN index finds the matches, then the newest are taken.
        matches = f"SELECT article_id FROM {VECTOR_TABLE} WHERE vector @@ {tsquery} OFFSET 0"  # noqa: S608
        relevance, relevance_params = f"ts_rank_cd({VECTOR_TABLE}.vector, {tsquery})", [words]
        age_days, age_params = f"EXTRACT(EPOCH FROM (%s - {published})) / 86400.0", [now]
        snippet = f'ts_headline(\'english\'::regconfig, "{table}"."body_text", {tsquery}, %s)'
        snippet_params = [words, HEADLINE_OPTIONS]
    else:  # pragma: no cover - Tidings runs on SQLite or PostgreSQL
        raise NotImplementedError(f"Full-text search is not available on {vendor}.")
    # Everything below is constant SQL; the reader's words and the clock travel as parameters.
    clamp = "max" if vendor == "sqlite" else "GREATEST"
    rank = f"({relevance}) / (1.0 + {clamp}(0.0, {age_days}) / {FRESHNESS_DAYS})"
    # The most recent MAX_RANKED + 1 matches (filters applied) are the candidates; only they are ranked. The
    # subquery names no outer table, so Django's aliasing of subqueries cannot break it.
    if among is None:
        among = (
            queryset.filter(pk__in=RawSQL(matches, [words]))  # noqa: S611
            .order_by("-published_at", "-pk")
            .values("pk")[: MAX_RANKED + 1]
        )
    queryset = queryset.filter(pk__in=among)
    queryset = queryset.extra(tables=[index], where=where, params=[words])  # noqa: S610
    queryset = queryset.annotate(
        rank=RawSQL(rank, [*relevance_params, *age_params], output_field=models.FloatField()),  # noqa: S611
        snippet=RawSQL(snippet, snippet_params, output_field=SnippetField()),  # noqa: S611
    )
    return queryset.order_by("-rank", "-published_at", "-pk")


def ranked_ids(query: str, *, publisher=None, hashtag=None, since=None, until=None) -> list[int]:
    """The ids search_articles ranks, best first (at most MAX_RANKED + 1), cached RANKED_SECONDS: a page of
    results and the next one cost one query of their own rows (search_articles(among=…)), not a new ranking."""
    from articles.models import Article  # articles depends on search only lazily

    key_parts = (parse_query(query).websearch(), str(getattr(publisher, "pk", publisher) or ""),
                 str(getattr(hashtag, "pk", hashtag) or ""), str(since or ""), str(until or ""))  # fmt: skip
    key = "search:ranked:v1:" + hashlib.sha256(repr(key_parts).encode()).hexdigest()
    ids = cache.get(key)
    if ids is None:
        found = search_articles(
            Article.objects.all(), query, publisher=publisher, hashtag=hashtag, since=since, until=until
        )
        ids = list(found.values_list("pk", flat=True))
        cache.set(key, ids, RANKED_SECONDS)
    return ids


def in_order(rows, ids: list[int]) -> list:
    """`rows` (articles) in the order of `ids`."""
    position = {pk: n for n, pk in enumerate(ids)}
    return sorted(rows, key=lambda row: position.get(row.pk, len(position)))
