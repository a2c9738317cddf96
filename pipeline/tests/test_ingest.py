"""The ingest pipeline against real HTTP on 127.0.0.1 and a real database: feeds in, articles stored,
and every bad input ends with a clear outcome on that feed's health, leaving other feeds alone."""

import gzip

import pytest

from articles.models import Article, ArticleSource
from pipeline import ingest
from reader import parsing
from reader.tests.publisher_site import article_page, rss_feed, sample_articles, serve_publisher
from sources import actions as source_actions
from sources.models import Feed, FetchAttempt

pytestmark = pytest.mark.django_db

Outcome = FetchAttempt.Outcome


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.ALLOW_PRIVATE_HOSTS = frozenset({"127.0.0.1"})
    settings.FETCH_TIMEOUT_SECONDS = 1.0


def make_feed(url: str, name: str = "Test Publisher") -> Feed:
    source_actions.import_feeds(
        [
            source_actions.opml.OpmlFeed(
                feed_url=url, title=name, site_url="", category="", country="", language="", licence="",
                display_policy="excerpt", publisher=name,
            )
        ]
    )  # fmt: skip
    return Feed.objects.get(url=url)


@pytest.fixture
def refresh_and_extract(django_capture_on_commit_callbacks):
    """Poll a feed, then extract the pages of the articles it enqueued once its transaction committed."""

    def run(feed: Feed) -> str:
        new_ids: list[int] = []
        with django_capture_on_commit_callbacks(execute=True):
            outcome = ingest.refresh_feed(feed.pk, enqueue_extraction=new_ids.extend)
        ingest.extract_articles(new_ids)
        return outcome

    return run


def test_feed_entries_become_articles_with_clean_bodies(local_server, refresh_and_extract):
    articles = serve_publisher(local_server)
    feed = make_feed(local_server.url("/feed.xml"))
    outcome = refresh_and_extract(feed)
    assert outcome == Outcome.OK
    stored = {a.title: a for a in Article.objects.all()}
    assert set(stored) == {a.title for a in articles}
    bridge = stored["Harbour bridge reopens after two-year repair"]
    assert bridge.status == Article.Status.READY
    assert "212 steel cables" in bridge.body_text
    for boilerplate in ("cookies", "Advertisement", "Most read", "newsletter", "contribution", "All rights reserved"):
        assert boilerplate not in bridge.body_text
    assert bridge.url.endswith("/news/harbour-bridge.html?utm_source=rss")
    assert bridge.canonical_url.endswith("/news/harbour-bridge.html")
    feed.refresh_from_db()
    assert (feed.health, feed.error_count, feed.etag) == (Feed.Health.OK, 0, '"feed-v1"')


def test_second_poll_of_unchanged_feed_is_a_304_and_downloads_no_page(local_server, refresh_and_extract):
    serve_publisher(local_server)
    feed = make_feed(local_server.url("/feed.xml"))
    refresh_and_extract(feed)
    page_hits = local_server.hits("/news/harbour-bridge.html")
    outcome = refresh_and_extract(Feed.objects.get(pk=feed.pk))
    assert outcome == Outcome.NOT_MODIFIED
    assert local_server.last_request("/feed.xml").headers.get("If-None-Match") == '"feed-v1"'
    assert local_server.hits("/news/harbour-bridge.html") == page_hits == 1
    assert Article.objects.count() == 3


def test_entry_seen_again_updates_in_place(local_server, refresh_and_extract):
    articles = serve_publisher(local_server)
    feed = make_feed(local_server.url("/feed.xml"))
    refresh_and_extract(feed)
    corrected = rss_feed(local_server.base_url, "The Harbour Times", articles,
                         title_override={"harbour-bridge": "Harbour bridge reopens after 2-year repair"})  # fmt: skip
    local_server.route("/feed.xml", corrected, content_type="application/rss+xml", etag='"feed-v2"')
    assert refresh_and_extract(Feed.objects.get(pk=feed.pk)) == Outcome.OK
    assert Article.objects.count() == 3
    assert Article.objects.filter(title="Harbour bridge reopens after 2-year repair").count() == 1


def test_same_article_in_two_feeds_is_one_article_with_two_sources(local_server, refresh_and_extract):
    articles = serve_publisher(local_server)
    local_server.route(
        "/world.xml", rss_feed(local_server.base_url, "The Harbour Times", articles[:1]),
        content_type="application/rss+xml",
    )  # fmt: skip
    first, second = make_feed(local_server.url("/feed.xml")), make_feed(local_server.url("/world.xml"))
    refresh_and_extract(first)
    refresh_and_extract(second)
    bridge = Article.objects.get(title=articles[0].title)
    assert Article.objects.count() == 3
    assert set(ArticleSource.objects.filter(article=bridge).values_list("feed", flat=True)) == {first.pk, second.pk}


def test_running_extraction_twice_fetches_each_page_once(local_server, django_capture_on_commit_callbacks):
    serve_publisher(local_server)
    feed = make_feed(local_server.url("/feed.xml"))
    new_ids: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        ingest.refresh_feed(feed.pk, enqueue_extraction=new_ids.extend)
    assert ingest.extract_articles(new_ids) == 3
    assert ingest.extract_articles(new_ids) == 0
    assert local_server.hits("/news/river-festival.html") == 1


def _route_bad(server, case: str) -> str:
    """Set up one bad input; returns the feed URL."""
    if case == "http_404":
        return server.url("/missing.xml")
    if case in ("http_410", "http_500"):
        server.route(f"/{case}.xml", b"gone", status=int(case[-3:]))
    elif case == "timeout":
        server.drip("/timeout.xml", interval=1.5, chunks=3)
    elif case == "connection_refused":
        return "http://127.0.0.1:9/feed.xml"
    elif case == "body_50mb":
        server.huge("/body_50mb.xml", content_length=False)
    elif case == "gzip_bomb":
        server.gzip_bomb("/gzip_bomb.xml")
    elif case == "invalid_xml":
        server.route("/invalid_xml.xml", b"\x00\x01<rss><chan", content_type="application/rss+xml")
    elif case == "html_not_feed":
        server.route("/html_not_feed.xml", b"<!doctype html><html><body><p>Welcome!</p></body></html>",
                     content_type="text/html")  # fmt: skip
    elif case == "redirect_loop":
        server.redirect("/redirect_loop.xml", "/redirect_loop2.xml")
        server.redirect("/redirect_loop2.xml", "/redirect_loop.xml")
    elif case == "redirect_to_loopback_name":
        server.redirect("/redirect_to_loopback_name.xml", server.url("/feed.xml", host="localhost"))
    elif case == "redirect_to_metadata":
        server.redirect("/redirect_to_metadata.xml", "http://169.254.169.254/latest/meta-data/")
    return server.url(f"/{case}.xml")


BAD_INPUTS = [
    ("http_404", Outcome.HTTP_ERROR, Feed.Health.FAILING, "not found"),
    ("http_410", Outcome.HTTP_ERROR, Feed.Health.STOPPED, "removed this feed"),
    ("http_500", Outcome.HTTP_ERROR, Feed.Health.FAILING, "server failed"),
    ("timeout", Outcome.TIMEOUT, Feed.Health.FAILING, "second"),
    ("connection_refused", Outcome.CONNECTION, Feed.Health.FAILING, "connect"),
    ("body_50mb", Outcome.TOO_LARGE, Feed.Health.FAILING, "MB"),
    ("gzip_bomb", Outcome.TOO_LARGE, Feed.Health.FAILING, "MB"),
    ("invalid_xml", Outcome.PARSE_ERROR, Feed.Health.FAILING, "feed"),
    ("html_not_feed", Outcome.PARSE_ERROR, Feed.Health.FAILING, "web page"),
    ("redirect_loop", Outcome.HTTP_ERROR, Feed.Health.FAILING, "redirect"),
    ("redirect_to_loopback_name", Outcome.BLOCKED, Feed.Health.FAILING, "private"),
    ("redirect_to_metadata", Outcome.BLOCKED, Feed.Health.FAILING, "169.254.169.254"),
]


@pytest.mark.parametrize(("case", "outcome", "health", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gives_clear_health_and_spares_other_feeds(
    local_server, refresh_and_extract, case, outcome, health, message
):
    serve_publisher(local_server)
    good = make_feed(local_server.url("/feed.xml"), "Good Publisher")
    bad = make_feed(_route_bad(local_server, case), "Bad Publisher")
    assert refresh_and_extract(bad) == outcome
    assert refresh_and_extract(good) == Outcome.OK
    bad.refresh_from_db()
    assert bad.health == health
    assert bad.error_count == 1
    assert message.lower() in bad.last_error.lower()
    assert bad.next_check_at > bad.last_checked_at
    assert FetchAttempt.objects.get(feed=bad).outcome == outcome
    assert Article.objects.filter(publisher=bad.publisher).count() == 0
    assert Article.objects.filter(publisher=good.publisher, status=Article.Status.READY).count() == 3


def test_entries_without_link_are_skipped_with_a_warning(local_server):
    local_server.route(
        "/nolink.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>No link here</title><description>Text</description></item>"
        f"<item><title>Linked</title><link>{local_server.url('/news/x.html')}</link></item></channel></rss>",
        content_type="application/rss+xml",
    )
    feed = make_feed(local_server.url("/nolink.xml"))
    assert ingest.refresh_feed(feed.pk) == Outcome.PARSE_WARNING
    feed.refresh_from_db()
    assert feed.health == Feed.Health.WARNING
    assert "1 entries had no link" in feed.last_error
    assert list(Article.objects.values_list("title", flat=True)) == ["Linked"]


def test_feed_with_ten_thousand_entries_keeps_the_newest_thousand(local_server):
    items = "".join(
        f"<item><title>Item {n}</title><link>{local_server.url(f'/n/{n}.html')}</link>"
        f"<pubDate>Mon, 02 Nov 2026 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d} GMT</pubDate></item>"
        for n in range(10_000)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'
    local_server.route("/big.xml", gzip.compress(body.encode()), content_type="application/rss+xml",
                       headers={"Content-Encoding": "gzip"})  # fmt: skip
    feed = make_feed(local_server.url("/big.xml"))
    assert ingest.refresh_feed(feed.pk) == Outcome.PARSE_WARNING
    feed.refresh_from_db()
    assert "only the newest 1000 were read" in feed.last_error
    assert Article.objects.count() == 1000


def test_page_that_cannot_be_fetched_keeps_the_feed_excerpt(local_server, refresh_and_extract):
    articles = sample_articles()
    local_server.route("/feed.xml", rss_feed(local_server.base_url, "Site", articles[:1]),
                       content_type="application/rss+xml")  # fmt: skip
    feed = make_feed(local_server.url("/feed.xml"))
    refresh_and_extract(feed)
    article = Article.objects.get()
    assert article.status == Article.Status.EXCERPT_ONLY
    assert "HTTP 404" in article.extraction_note
    assert "140 million" in article.summary_html_safe


def test_robots_txt_disallow_is_respected_for_pages(local_server, refresh_and_extract):
    serve_publisher(local_server)
    local_server.route("/robots.txt", "User-agent: *\nDisallow: /news/\n", content_type="text/plain")
    feed = make_feed(local_server.url("/feed.xml"))
    refresh_and_extract(feed)
    assert local_server.hits("/news/harbour-bridge.html") == 0
    assert set(Article.objects.values_list("status", flat=True)) == {Article.Status.EXCERPT_ONLY}
    assert "robots.txt" in Article.objects.first().extraction_note


def test_publisher_page_says_how_its_pages_were_read(client, local_server, refresh_and_extract):
    serve_publisher(local_server)
    feed = make_feed(local_server.url("/feed.xml"))
    refresh_and_extract(feed)
    note = Article.objects.exclude(extraction_note="").values_list("extraction_note", flat=True).first()
    assert note.startswith("Removed ") and "blocks of the publisher's template" in note
    page = client.get(feed.publisher.get_absolute_url()).content.decode()
    assert "How Tidings reads this publisher" in page
    assert "3 articles by trafilatura+template" in page


# --- hostile items: a bad item costs that item, never its feed (issue 10, item 3) -------------------


def _hostile_feed(base: str) -> bytes:
    """Two good items, one whose description is "<html>" (lxml's fragment parser asserts "too many
    bodies"), one whose link holds a control character (&#14;: lxml's element.set() refuses it)."""
    items = [
        ("Good one", f"{base}/news/good-one.html", "&lt;p&gt;The first good story.&lt;/p&gt;"),
        ("Whole page", f"{base}/news/whole-page.html", "&lt;html&gt;"),
        ("Control character", f"{base}/news/control.html",
         '&lt;p&gt;See &lt;a href="https://example.org/a&amp;#14;b"&gt;this&lt;/a&gt; and '
         '&lt;img src="&amp;#14;"&gt;that.&lt;/p&gt;'),
        ("Good two", f"{base}/news/good-two.html", "&lt;p&gt;The second good story.&lt;/p&gt;"),
    ]  # fmt: skip
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Mon, 01 Dec 2025 10:0{i}:00 +0000</pubDate><description>{description}</description></item>"
        for i, (title, link, description) in enumerate(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title><link>{base}/</link>'
        f"<description>d</description>{body}</channel></rss>"
    ).encode()


def test_a_bad_item_costs_that_item_not_its_feed(local_server):
    local_server.route("/hostile.xml", _hostile_feed(local_server.base_url), content_type="application/rss+xml")
    feed = make_feed(local_server.url("/hostile.xml"))
    assert ingest.refresh_feed(feed.pk) == Outcome.PARSE_WARNING
    stored = dict(Article.objects.values_list("title", "summary_html_safe"))
    assert stored == {
        "Good one": "<p>The first good story.</p>",
        "Whole page": "",
        "Control character": "<p>See this and that.</p>",
        "Good two": "<p>The second good story.</p>",
    }
    attempt = FetchAttempt.objects.get(feed=feed)
    assert attempt.outcome == Outcome.PARSE_WARNING
    assert attempt.entries_new == 4
    assert attempt.message == (
        "2 entries had HTML that could not be kept as written "
        "(“Whole page”: its HTML was a whole web page rather than a fragment, and was cleaned as it came; "
        "“Control character”: 2 link or image addresses held control characters and were removed)."
    )
    feed.refresh_from_db()
    assert (feed.health, feed.last_error) == (Feed.Health.WARNING, attempt.message)


def test_an_entry_the_database_refuses_is_named_and_the_others_stored(local_server):
    """The parsers no longer emit text a database refuses, so this builds such an entry by hand: a
    title holding half a UTF-16 pair, which neither SQLite's nor PostgreSQL's driver can encode. The
    batch fails, the entries are stored one by one, and the refused one is named."""
    from datetime import UTC, datetime

    base = local_server.base_url

    def entry(title: str, slug: str) -> parsing.ParsedEntry:
        return parsing.ParsedEntry(
            guid=slug, link=f"{base}/news/{slug}.html", title=title, summary="<p>s</p>", content="",
            author="", published=datetime(2025, 12, 1, tzinfo=UTC), updated=None, enclosures=(), image_url="",
        )  # fmt: skip

    feed = make_feed(local_server.url("/unused.xml"))
    stored = ingest._store_entries(
        feed, (entry("First", "first"), entry("Half \ud800 pair", "half"), entry("Last", "last"))
    )
    assert sorted(Article.objects.values_list("title", flat=True)) == ["First", "Last"]
    assert len(stored.new_article_ids) == 2
    assert [(e.guid, reason.split(":")[0]) for e, reason in stored.failed] == [("half", "UnicodeEncodeError")]
    assert ingest._failed_entries_message(stored.failed).startswith(
        "1 entry could not be stored: “Half \\ud800 pair” (UnicodeEncodeError: 'utf-8' codec can't encode"
    )


def test_a_reference_to_no_character_costs_one_character_not_the_feed(local_server):
    """ "&#55296;" (half a UTF-16 pair) and "&#2000000;" (past U+10FFFF) in a feed that is not well-formed:
    feedparser's chr() failed on the whole document; now each is U+FFFD."""
    base = local_server.base_url
    body = (
        f'<rss version="2.0"><channel><title>T & co</title><link>{base}/</link>'
        f"<item><title>Half &#55296; pair</title><link>{base}/a.html</link></item>"
        f"<item><title>Far &#2000000; out</title><link>{base}/b.html</link></item></channel></rss>"
    )
    local_server.route("/refs.xml", body.encode(), content_type="application/rss+xml")
    feed = make_feed(local_server.url("/refs.xml"))
    assert ingest.refresh_feed(feed.pk) == Outcome.PARSE_WARNING
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Far \ufffd out", "Half \ufffd pair"]


def test_a_json_feed_with_half_a_surrogate_pair_is_stored(local_server):
    """ "\\ud800" in JSON decodes to a lone surrogate that no database encoder takes."""
    base = local_server.base_url
    body = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
        f'{{"id": "1", "url": "{base}/a.html", "title": "Half \\ud800 pair", "content_html": "<p>x\\udfff</p>"}},'
        f'{{"id": "2", "url": "{base}/b.html", "title": "Fine", "content_html": "<p>fine</p>"}}]}}'
    )
    local_server.route("/feed.json", body.encode(), content_type="application/feed+json")
    feed = make_feed(local_server.url("/feed.json"))
    assert ingest.refresh_feed(feed.pk) == Outcome.OK
    assert dict(Article.objects.values_list("title", "feed_content_html_safe")) == {
        "Half \ufffd pair": "<p>x\ufffd</p>",
        "Fine": "<p>fine</p>",
    }


def test_a_hostile_page_costs_that_page_alone(local_server, refresh_and_extract, tmp_path):
    """One page names a local DTD and entity (they must not be read) and holds links with control
    characters; another has no text at all. The good page and the hostile one are extracted, the empty
    one keeps the feed's excerpt, and the page log says so."""
    canary = tmp_path / "canary.dtd"
    canary.write_text('<!ENTITY canary "CANARY-LEAKED">')
    articles = serve_publisher(local_server)
    paragraphs = "".join(f"<p>{p}</p>" for p in articles[1].paragraphs)
    hostile = (
        f'<?xml version="1.0"?><!DOCTYPE html SYSTEM "{canary.as_uri()}" [<!ENTITY canary SYSTEM '
        f'"{canary.as_uri()}">]><html><head><title>{articles[1].title} &canary;</title></head><body><article>'
        f'<h1>{articles[1].title}</h1>{paragraphs}<p>Read <a href="https://example.org/a&#14;b">more</a> '
        f'<img src="&#1;"> &canary;</p></article></body></html>'
    )
    local_server.route("/news/river-festival.html", hostile.encode(), content_type="text/html; charset=utf-8")
    local_server.route("/news/school-meals.html", b"<html><body><script>x()</script></body></html>")
    feed = make_feed(local_server.url("/feed.xml"))
    assert refresh_and_extract(feed) == Outcome.OK
    stored = {a.title: a for a in Article.objects.all()}
    bridge, river, meals = (stored[a.title] for a in articles)
    assert (bridge.status, river.status) == (Article.Status.READY, Article.Status.READY)
    assert "CANARY-LEAKED" not in river.body_text + river.body_html_safe + river.title
    assert river.body_html_safe.endswith("<p>Read more &amp;canary;</p>")
    assert (meals.status, meals.extraction_note) == (
        Article.Status.EXCERPT_ONLY,
        "The page has no readable article text.",
    )
    pages = list(FetchAttempt.objects.filter(kind=FetchAttempt.Kind.PAGE).values_list("url", "outcome", "message"))
    assert pages == [(meals.url, Outcome.EXTRACTION_FAILED, "The page has no readable article text.")]


def _fails_first(body: str, failure: str):
    """A handler that fails the first request (HTTP 500, or half the body and the connection closed), then serves."""
    calls = []

    def handle(request):
        calls.append(1)
        data = body.encode()
        if len(calls) == 1 and failure == "500":
            request.send_response(500)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data[: len(data) // 2] if len(calls) == 1 else data)
        request.close_connection = True

    return handle


@pytest.mark.parametrize("failure", ["500", "truncated"])
def test_a_page_that_fails_once_is_asked_for_again_and_extracted(local_server, refresh_and_extract, monkeypatch,
                                                                  failure):  # fmt: skip
    monkeypatch.setattr(ingest, "PAGE_RETRY_DELAYS", (0.01, 0.01))
    articles = serve_publisher(local_server)
    bridge = articles[0]
    local_server.handler(
        f"/news/{bridge.slug}.html",
        _fails_first(article_page(local_server.base_url, "The Harbour Times", bridge), failure),
    )
    refresh_and_extract(make_feed(local_server.url("/feed.xml")))
    article = Article.objects.get(title=bridge.title)
    assert article.status == Article.Status.READY
    assert "212 steel cables" in article.body_text
    assert local_server.hits(f"/news/{bridge.slug}.html") == 2


def test_a_page_that_is_gone_is_not_asked_for_again(local_server, refresh_and_extract, monkeypatch):
    monkeypatch.setattr(ingest, "PAGE_RETRY_DELAYS", (0.01, 0.01))
    articles = sample_articles()
    local_server.route("/feed.xml", rss_feed(local_server.base_url, "Site", articles[:1]),
                       content_type="application/rss+xml")  # fmt: skip
    refresh_and_extract(make_feed(local_server.url("/feed.xml")))
    assert Article.objects.get().status == Article.Status.EXCERPT_ONLY
    assert local_server.hits(f"/news/{articles[0].slug}.html") == 1
