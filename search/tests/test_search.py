"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector): ranking, syntax, filters, safety, saved searches."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from articles.models import Article
from search.models import SavedSearch
from search.queries import Part, mark_snippet, parse_query, search_articles
from sources.models import Publisher
from stories.models import ArticleHashtag, Hashtag

NOW = timezone.now()
FILLER = "The council met on Tuesday to discuss the budget for roads, schools and the harbour."


def publisher(name="Harbour Times"):
    return Publisher.objects.get_or_create(name=name, defaults={"slug": name.lower().replace(" ", "-")})[0]


def article(title, body=FILLER, *, hours=1, pub=None, status=Article.Status.READY, n=[0], **extra):  # noqa: B006
    n[0] += 1
    return Article.objects.create(
        publisher=pub or publisher(), url=f"https://example.org/{n[0]}", canonical_url=f"https://example.org/{n[0]}",
        url_hash=f"hash-{n[0]}", title=title, body_text=body, status=status,
        published_at=NOW - timedelta(hours=hours), **extra,
    )  # fmt: skip


def titles(query, **filters):
    return [a.title for a in search_articles(Article.objects.all(), query, **filters)]


def fts_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid, title, body FROM search_articlefts ORDER BY rowid")
        return cursor.fetchall()


# Parsing needs no database.


def test_parse_words_phrases_and_exclusions():
    parsed = parse_query('"North Korea" -sports missile -"world cup" "unbalanced')
    assert parsed.parts == [
        Part(("north", "korea")), Part(("sports",), exclude=True), Part(("missile",)),
        Part(("world", "cup"), exclude=True), Part(("unbalanced",)),
    ]  # fmt: skip
    assert parsed.fts5() == '("north korea" AND "missile" AND "unbalanced") NOT ("sports" OR "world cup")'
    assert parsed.websearch() == '"north korea" -"sports" "missile" -"world cup" "unbalanced"'


def test_parse_strips_operators_and_punctuation():
    assert parse_query("NEAR(a* ^b) OR c:d").fts5() == '"near a" AND "b" AND "or" AND "c d"'
    assert parse_query("'; DROP TABLE articles_article; --").fts5() == '"drop" AND "table" AND "articles article"'
    assert parse_query("covid-19 u.s.").fts5() == '"covid 19" AND "u s"'


@pytest.mark.parametrize("query", ["", "   ", '""', "-", "* ^ ( ) : -- ''", '-sports -"world cup"'])
def test_queries_with_nothing_to_look_for_have_a_problem(query):
    assert parse_query(query).problem


def test_long_queries_are_cut():
    parsed = parse_query("word " * 2000)
    assert parsed.parts == [Part(("word",))]
    assert len(parse_query(" ".join(f"w{i}" for i in range(100))).parts) == 16


def test_mark_snippet_escapes_text_and_keeps_only_its_own_marks():
    raw = "<script>alert('x')</script> the \x02volcano\x03 & <mark>lava\x03 \x02end"
    assert mark_snippet(raw) == (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; the <mark>volcano</mark> &amp; "
        "&lt;mark&gt;lava <mark>end</mark>"
    )


# Ranking and operators.


@pytest.mark.django_db
def test_title_match_beats_body_match_and_newer_wins_among_equals():
    article("Council budget")
    article("Roads and schools", "A volcano erupted near the harbour town overnight.", hours=1)
    article("Volcano erupts near harbour", FILLER, hours=2)
    article("Volcano erupts near harbour town", FILLER, hours=30)
    assert titles("volcano") == [
        "Volcano erupts near harbour", "Volcano erupts near harbour town", "Roads and schools",
    ]  # fmt: skip
    ranks = [a.rank for a in search_articles(Article.objects.all(), "volcano")]
    assert ranks == sorted(ranks, reverse=True) and ranks[-1] > 0


@pytest.mark.django_db
def test_exact_equals_are_ordered_newest_first():
    for hours in (5, 1, 3):
        article(f"Storm warning {hours}", "A storm is coming to the coast.", hours=hours)
    article("Council budget")
    assert titles("storm warning") == ["Storm warning 1", "Storm warning 3", "Storm warning 5"]


@pytest.mark.django_db
def test_all_words_must_match_phrases_and_exclusions():
    article("North Korea fires missile", "Officials in Seoul said the launch was detected early.")
    article("Korea north of the border", "Sports teams from the north travelled south.")
    article("North Korea at the world cup", "The sports ministry welcomed the team.")
    article("Council budget")
    assert sorted(titles("korea north")) == [
        "Korea north of the border", "North Korea at the world cup", "North Korea fires missile",
    ]  # fmt: skip
    assert sorted(titles('"north korea"')) == ["North Korea at the world cup", "North Korea fires missile"]
    assert titles('"north korea" -sports') == ["North Korea fires missile"]
    assert titles('korea -"world cup" -seoul') == ["Korea north of the border"]
    assert titles("korea budget") == []


@pytest.mark.django_db
def test_filters_publisher_hashtag_dates_combined_and_only_visible_ready():
    wire, times = publisher("The Wire"), publisher("Harbour Times")
    tag = Hashtag.objects.create(slug="floods", label="Floods")
    a = article("Flood in the valley", pub=wire, hours=24 * 3)
    b = article("Flood on the coast", pub=times, hours=24 * 10)
    c = article("Flood warning lifted", pub=wire, hours=24 * 10)
    for tagged in (a, b):
        ArticleHashtag.objects.create(article=tagged, hashtag=tag, rank=0)
    article("Flood pending", status=Article.Status.PENDING)
    article("Flood copy", duplicate_of=a)
    assert titles("flood") == ["Flood in the valley", "Flood warning lifted", "Flood on the coast"]
    assert titles("flood", publisher="the-wire") == ["Flood in the valley", "Flood warning lifted"]
    assert titles("flood", publisher=times) == ["Flood on the coast"]
    assert titles("flood", hashtag="floods") == ["Flood in the valley", "Flood on the coast"]
    assert titles("flood", hashtag=tag, publisher=wire) == ["Flood in the valley"]
    day = timezone.localdate(c.published_at)
    assert titles("flood", since=day, until=day) == ["Flood warning lifted", "Flood on the coast"]
    assert titles("flood", since=day + timedelta(days=1)) == ["Flood in the valley"]
    assert titles("flood", until=day, publisher="the-wire", hashtag="floods") == []
    assert titles("flood", publisher="nobody") == []


# Highlighting.


@pytest.mark.django_db
def test_snippet_is_escaped_with_marks_intact(client):
    article("Lava update", "<script>alert('x')</script> The volcano & its <b>lava</b> flows 5 < 6 > 2 \"far\".")
    snippet = search_articles(Article.objects.all(), "volcano")[0].snippet
    assert "<mark>volcano</mark>" in snippet
    assert "&amp; its" in snippet and "5 &lt; 6 &gt; 2 &quot;far&quot;" in snippet
    assert "<script" not in snippet and "<b>" not in snippet
    if connection.vendor == "sqlite":  # ts_headline drops anything tag-shaped; FTS5 keeps the text as it was
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in snippet and "&lt;b&gt;lava&lt;/b&gt;" in snippet
    html = client.get("/search/", {"q": "volcano"}).content.decode()
    assert "<mark>volcano</mark>" in html and "5 &lt; 6 &gt; 2 &quot;far&quot;" in html
    assert "<script>alert" not in html and "<b>lava" not in html


# The index follows every way the pipeline writes.


@pytest.mark.django_db
def test_index_follows_bulk_create_update_and_delete():
    pub = publisher()
    Article.objects.bulk_create([
        Article(publisher=pub, url=f"https://example.org/b{i}", canonical_url=f"https://example.org/b{i}",
                url_hash=f"bulk-{i}", title=f"Glacier report {i}", body_text="Ice is melting.",
                status=Article.Status.READY, published_at=NOW - timedelta(hours=i))
        for i in range(3)
    ])  # fmt: skip
    assert titles("glacier") == ["Glacier report 0", "Glacier report 1", "Glacier report 2"]
    Article.objects.filter(title="Glacier report 1").update(title="Avalanche report", body_text="Snow fell.")
    assert titles("glacier") == ["Glacier report 0", "Glacier report 2"]
    assert titles("avalanche snow") == ["Avalanche report"]
    Article.objects.filter(title="Glacier report 0").update(status=Article.Status.PENDING)
    assert titles("glacier") == ["Glacier report 2"]
    Article.objects.filter(title__startswith="Glacier").delete()
    assert titles("glacier") == []
    assert titles("avalanche") == ["Avalanche report"]
    if connection.vendor == "sqlite":
        kept = Article.objects.get()
        assert fts_rows() == [(kept.pk, "Avalanche report", "Snow fell.")]


@pytest.mark.django_db
def test_the_index_survives_a_table_rebuild():
    """SQLite drops a table's triggers when Django rebuilds it to alter it: repair (run after every migrate)
    puts them back and reindexes. PostgreSQL keeps triggers through ALTER TABLE: repair has nothing to do."""
    from search import fulltext

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # before any row: PostgreSQL refuses with deferred checks pending
            cursor.execute("ALTER TABLE articles_article ALTER COLUMN byline TYPE varchar(301)")
    first = article("Harbour crane collapses")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name in fulltext.TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}")
        article("Second crane collapses")
        Article.objects.filter(pk=first.pk).update(title="Harbour crane repaired")
        assert fulltext.repair(connection) is True
    else:
        article("Second crane collapses")
        Article.objects.filter(pk=first.pk).update(title="Harbour crane repaired")
    assert fulltext.repair(connection) is False
    assert titles("crane") == ["Second crane collapses", "Harbour crane repaired"]
    article("Third crane ordered")
    assert len(titles("crane")) == 3


# Hostile input.

HOSTILE = [
    "'; DROP TABLE articles_article; --",
    '" OR 1=1 --',
    '"unbalanced quote',
    "(((parentheses",
    "NEAR(bridge harbour, 2)",
    "bridge*",
    "^bridge",
    "title:bridge",
    "bridge AND OR NOT",
    "-",
    '""',
    "\x00\x02\x03 bridge",
    "bridge " * 2048,
    "x" * 10240,
]


@pytest.mark.django_db
@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_answer_200_and_the_table_survives(client, query):
    article("Harbour bridge reopens", "The bridge reopened on Monday.")
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert Article.objects.count() == 1
    list(search_articles(Article.objects.all(), query))


@pytest.mark.django_db
def test_sql_looking_query_is_words():
    article("How to drop a table", "The table was dropped from the articles list.")
    assert titles("'; DROP TABLE articles_article; --") == []
    assert titles("'; DROP TABLE; --") == ["How to drop a table"]
    assert Article.objects.count() == 1


# The page.


@pytest.mark.django_db
def test_search_page_results_pagination_and_pinned_query_count(client, django_assert_num_queries):
    pub = publisher()
    for i in range(25):
        article(f"Election result {i}", "Votes were counted overnight.", hours=i + 1, pub=pub)
    # count, the page of results with publishers, the publisher filter (the most active: counted, then read)
    with django_assert_num_queries(4):
        response = client.get("/search/", {"q": "election", "publisher": "harbour-times"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "25 results" in html
    assert html.count('class="item search-result"') == 20
    assert '<a href="/articles/' in html and "Harbour Times" in html and "1 hour ago" in html
    assert "?q=election&amp;publisher=harbour-times&amp;page=2" in html
    page2 = client.get("/search/", {"q": "election", "publisher": "harbour-times", "page": 2}).content.decode()
    assert page2.count('class="item search-result"') == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": ""}, "Type one or more words to search for."),
        ({}, "Type one or more words to search for."),
        ({"q": "-sports"}, "Add at least one word to look for"),
        ({"q": "flood", "since": "31/05/2026"}, "Dates must be written as YYYY-MM-DD"),
        ({"q": "flood", "since": "2026-06-02", "until": "2026-06-01"}, "must not be after"),
        ({"q": "nothingmatchesthis"}, "No articles match these words."),
    ],
)
def test_search_page_messages(client, params, message, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get("/search/", params)
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.django_db
def test_search_box_is_in_the_header(client):
    html = client.get("/search/", {"q": "a&b"}).content.decode()
    assert 'role="search"' in html and 'action="/search/"' in html and 'value="a&amp;b"' in html


# Saved searches.


@pytest.mark.django_db
def test_saved_search_create_list_follow_with_csrf():
    user = get_user_model().objects.create_user(username="reader", email="r@example.org", password="a long password 1")
    other = get_user_model().objects.create_user(username="other", email="o@example.org", password="a long password 2")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    article("Flood in the valley", hours=2)
    page = browser.get("/search/", {"q": "flood", "since": "2020-01-01"}).content.decode()
    assert 'action="/search/save/"' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    assert browser.post("/search/save/", {"q": "flood"}).status_code == 403  # no token
    response = browser.post(
        "/search/save/", {"q": "flood", "since": "2020-01-01", "follow": "1", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and response["Location"] == "/search/saved/"
    saved = SavedSearch.objects.get()
    assert (saved.user, saved.query, saved.filters, saved.notify) == (user, "flood", {"since": "2020-01-01"}, True)
    browser.post("/search/save/", {"q": "flood", "since": "2020-01-01", "csrfmiddlewaretoken": token})
    assert SavedSearch.objects.count() == 1

    SavedSearch.objects.filter(pk=saved.pk).update(last_seen_at=timezone.now() - timedelta(minutes=5))
    article("Flood waters recede", hours=1)
    listing = browser.get("/search/saved/").content.decode()
    assert "Your saved searches" in listing and "<strong>1 new</strong>" not in listing
    assert "<strong>2 new</strong>" in listing and "Unfollow" in listing

    assert browser.post(f"/search/saved/{saved.pk}/follow/").status_code == 403
    browser.post(f"/search/saved/{saved.pk}/follow/", {"csrfmiddlewaretoken": token})
    saved.refresh_from_db()
    assert saved.notify is False

    opened = browser.get(f"/search/saved/{saved.pk}/")
    assert opened["Location"] == "/search/?q=flood&since=2020-01-01"
    assert "<strong>" not in browser.get("/search/saved/").content.decode().split("<tbody>")[1]

    intruder = Client()
    intruder.force_login(other)
    assert intruder.post(f"/search/saved/{saved.pk}/follow/").status_code == 404
    assert intruder.get("/search/saved/").content.decode().count("<tr>") == 0
    browser.post(f"/search/saved/{saved.pk}/delete/", {"csrfmiddlewaretoken": token})
    assert not SavedSearch.objects.exists()


@pytest.mark.django_db
def test_saving_needs_a_signed_in_reader(client):
    response = client.post("/search/save/", {"q": "flood"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not SavedSearch.objects.exists()
    assert client.get("/search/", {"q": "flood"}).status_code == 200


@pytest.mark.django_db
def test_only_the_most_recent_matches_are_ranked_and_the_page_says_so(client, monkeypatch):
    from search import queries, views

    monkeypatch.setattr(queries, "MAX_RANKED", 3)
    monkeypatch.setattr(views, "MAX_RANKED", 3)
    for hours in range(1, 7):  # six matches; the oldest says "election" in its title too, so it would rank first
        article("Election night" if hours == 6 else f"Count {hours}", "The election count went on.", hours=hours)
    article("Election fair", "Stalls and rides.", hours=2, pub=publisher("Fair News"))
    assert titles("election", publisher="fair-news") == ["Election fair"]  # filters apply before the cut
    ranked = titles("election")
    assert len(ranked) == 4 and "Election night" not in ranked and "Count 5" not in ranked  # the 4 most recent
    page = client.get("/search/", {"q": "election"}).content.decode()
    assert "More than 3 articles match: these are the best of the 3 most recent." in page
