"""Only http(s) URLs are stored: every URL from outside goes through reader.canonical.http_url_or_none.

The hostile spellings are the ones browsers accept for a script URL (the WHATWG URL standard strips
leading C0 controls and spaces and removes tabs and newlines before reading the scheme, whose case does
not matter), plus the families of OWASP's XSS Filter Evasion Cheat Sheet ("Embedded tab", "Embedded
newline", "Spaces and meta chars before the JavaScript", "Decimal/Hex HTML character references"),
https://cheatsheetseries.owasp.org/cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.html (CC BY-SA 4.0).
"""

import json

import pytest

from articles import actions as article_actions
from articles.models import Article
from pipeline import ingest
from reader import canonical
from reader.fetching import FetchError, FetchOptions, Reason, fetch
from reader.parsing import parse_feed
from sources import actions as source_actions
from sources import discovery, opml
from sources.models import Feed, FetchAttempt

# The literal cases of issue #10 and their families. Each must come back None wherever it appears.
HOSTILE_URLS = [
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(document.domain)",
    "JAVASCRIPT:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\rscript:alert(1)",
    "jav\tas\ncri\rpt:alert(1)",
    " javascript:alert(1)",
    "\x00javascript:alert(1)",
    "\x01\x02\x1f javascript:alert(1)",
    "\x0b\x0cjavascript:alert(1)",
    "javascript:alert(1)\x00",
    "&#106;avascript:alert(1)",
    "&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)",
    "&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)",
    "&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)",
    "javascript&colon;alert(1)",
    "java&Tab;script:alert(1)",
    "java&NewLine;script:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "livescript:alert(1)",
    "file:///etc/passwd",
    "feed:javascript:alert(1)",
    "view-source:javascript:alert(1)",
    "blob:https://example.org/0",
    "mailto:desk@example.org",
    "https://",
    "javascript://example.org/%0aalert(1)",
    "http://[::1",
    "https://example.org:port/",
    "https://example.org/" + "a" * canonical.MAX_URL_LENGTH,
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_are_refused(url):
    assert canonical.http_url_or_none(url, "https://example.org/feed.xml") is None


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://example.org/a?b=1#c", "", "https://example.org/a?b=1#c"),
        ("HTTPS://Example.org/a", "", "https://Example.org/a"),
        ("  http://example.org/a\n", "", "http://example.org/a"),
        ("ht\ttp://example.org/a", "", "http://example.org/a"),  # what a browser would open, too
        ("/news/a.html", "https://example.org/feed.xml", "https://example.org/news/a.html"),
        ("b.html", "https://example.org/news/a.html", "https://example.org/news/b.html"),
        ("//cdn.example.org/i.jpg", "https://example.org/", "https://cdn.example.org/i.jpg"),
        ("https://example.org/a\x01b", "", "https://example.org/a%01b"),
        ("/news/a.html", "", None),  # relative without a base: nothing to resolve against
        ("/news/a.html", "javascript:alert(1)//", None),  # nor against a hostile base
        ("", "https://example.org/", None),
        (None, "https://example.org/", None),
        (["https://example.org/"], "", None),
    ],
)
def test_web_urls_are_kept_and_resolved(url, base, expected):
    assert canonical.http_url_or_none(url, base) == expected


def _rss(items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>T</title><link>javascript:alert(1)</link>{items}</channel></rss>"
    ).encode()


def _item(n: int, link: str, *, image: str = "https://example.org/i.jpg", enclosure: str = "") -> str:
    from xml.sax.saxutils import escape

    enclosure_xml = (
        f'<enclosure url="{escape(enclosure, {chr(34): "&quot;"})}" type="audio/mpeg"/>' if enclosure else ""
    )
    return (
        f"<item><title>Item {n}</title><guid isPermaLink='false'>g{n}</guid><link>{escape(link)}</link>"
        f'<media:content url="{escape(image, {chr(34): "&quot;"})}" medium="image"/>{enclosure_xml}</item>'
    )


def _harmless(url: str) -> bool:
    """Nothing, or an http(s) URL: a hostile value may only survive as a path on the feed's own site,
    as when an XML parser turns the tab of "java&#9;script:" into a space (a relative reference)."""
    return url == "" or canonical.http_url_or_none(url) == url


@pytest.mark.parametrize("url", [u for u in HOSTILE_URLS if "\x00" not in u])  # XML cannot carry NUL
@pytest.mark.parametrize("well_formed", [True, False])
def test_feed_parsers_leave_hostile_links_out(url, well_formed):
    items = _item(1, url, image=url, enclosure=url) + _item(2, "https://example.org/good")
    body = _rss(items)
    if not well_formed:
        body = body.replace(b"</channel>", b"<p>&nbsp;</channel>")  # feedparser's loose path
    parsed = parse_feed(body, base_url="https://example.org/feed.xml")
    found = {e.title: e for e in parsed.entries}
    good = found.pop("Item 2")
    assert (good.link, good.image_url, good.enclosures) == ("https://example.org/good", "https://example.org/i.jpg", ())
    for entry in found.values():  # a control character may cost the hostile item itself
        assert all(_harmless(u) for u in (entry.link, entry.image_url, *(e.url for e in entry.enclosures)))
        assert "script:" not in entry.link.lower().replace(" ", "").split("example.org/", 1)[0]
    assert _harmless(parsed.link)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", " vbscript:x"])
def test_literal_cases_in_element_text_leave_the_item_without_a_link(url):
    parsed = parse_feed(_rss(_item(1, url)), base_url="https://example.org/feed.xml")
    assert [e.link for e in parsed.entries] == [""]


def test_json_feed_hostile_urls_are_left_out():
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J",
            "home_page_url": "JaVaScRiPt:alert(1)",
            "feed_url": "java\tscript:alert(1)",
            "items": [
                {"id": "1", "url": "javascript:alert(1)", "external_url": "data:text/html,x", "title": "Bad"},
                {
                    "id": "2",
                    "url": "/good",
                    "title": "Good",
                    "image": "vbscript:msgbox(1)",
                    "attachments": [{"url": "javascript:alert(1)", "mime_type": "audio/mpeg"}],
                },
            ],
        }
    ).encode()
    parsed = parse_feed(body, base_url="https://example.org/feed.json", content_type="application/feed+json")
    assert [(e.title, e.link, e.image_url, e.enclosures) for e in parsed.entries] == [
        ("Bad", "", "", ()),
        ("Good", "https://example.org/good", "", ()),
    ]
    assert parsed.link == ""


def test_atom_id_that_is_not_a_url_stays_the_identity_but_never_the_link():
    body = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        b"<entry><id>javascript:alert(1)</id><title>No link</title><updated>2026-01-01T00:00:00Z</updated></entry>"
        b"<entry><id>urn:uuid:1</id><title>Linked</title><link href='/a'/><updated>2026-01-01T00:00:00Z</updated>"
        b"</entry></feed>"
    )
    parsed = parse_feed(body, base_url="https://example.org/atom.xml")
    assert [(e.guid, e.link) for e in parsed.entries] == [
        ("javascript:alert(1)", ""),
        ("urn:uuid:1", "https://example.org/a"),
    ]


def test_discovery_offers_only_web_feed_links():
    page = """<html><head><base href="javascript:alert(1)//">
    <link rel="alternate" type="application/rss+xml" href="java&#9;script:alert(1)">
    <link rel="alternate" type="application/rss+xml" href="&#x6A;avascript:alert(1)">
    <link rel="alternate" type="application/atom+xml" href="data:application/atom+xml,<feed/>">
    <link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>"""
    links = discovery.find_feed_links(page, base_url="https://example.org/blog/")
    assert [link.url for link in links] == ["https://example.org/feed.xml"]


def test_opml_keeps_only_web_addresses():
    document = b"""<?xml version="1.0"?><opml version="2.0"><body>
    <outline text="Bad feed" xmlUrl="java&#9;script:alert(1)" htmlUrl="https://example.org/"/>
    <outline text="Relative" xmlUrl="/feed.xml"/>
    <outline text="Good" xmlUrl="https://example.org/feed.xml" htmlUrl=" JaVaScRiPt:alert(document.domain)"/>
    <outline text="Data" xmlUrl="data:application/rss+xml,x"/>
    </body></opml>"""
    feeds = opml.parse_opml(document)
    assert [(f.title, f.feed_url, f.site_url) for f in feeds] == [("Good", "https://example.org/feed.xml", "")]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("JaVaScRiPt:alert(1)", Reason.INVALID_URL),
        (" javascript:alert(1)", Reason.INVALID_URL),
        ("javascript://example.org/%0aalert(1)", Reason.INVALID_URL),
        ("data:text/html,x", Reason.INVALID_URL),
        ("java\tscript:alert(1)", Reason.PROTOCOL),  # httpx refuses the tab in the header itself
    ],
)
def test_a_redirect_to_a_script_url_is_refused(local_server, location, reason):
    local_server.redirect("/moved", location)
    with pytest.raises(FetchError) as info:
        fetch(local_server.url("/moved"), options=FetchOptions(allow_private_hosts=frozenset({"127.0.0.1"})))
    assert info.value.reason == reason


@pytest.mark.django_db
def test_a_hostile_link_costs_its_item_and_the_feed_lands_with_a_warning(local_server, settings):
    settings.ALLOW_PRIVATE_HOSTS = frozenset({"127.0.0.1"})
    items = "".join(_item(n, url) for n, url in enumerate(HOSTILE_URLS[:12]))
    items += _item(100, local_server.url("/news/good.html")) + _item(101, "/news/relative.html")
    local_server.route("/feed.xml", _rss(items), content_type="application/rss+xml")
    url = local_server.url("/feed.xml")
    source_actions.import_feeds([opml.OpmlFeed(url, "Hostile", "", "", "", "", "", "excerpt", "Hostile")])
    feed = Feed.objects.get(url=url)
    assert ingest.refresh_feed(feed.pk) == FetchAttempt.Outcome.PARSE_WARNING
    stored = dict(Article.objects.values_list("title", "url"))
    assert stored == {
        "Item 100": local_server.url("/news/good.html"),
        "Item 101": local_server.url("/news/relative.html"),
    }
    feed.refresh_from_db()
    assert feed.health == Feed.Health.WARNING
    assert "12 entries had no link, or a link that is not a web (http or https) address" in feed.last_error


@pytest.mark.django_db
def test_the_article_writer_checks_links_and_page_urls_again(settings):
    """The parser is not the only road in: the last writer refuses script URLs by itself."""
    from dataclasses import dataclass, field
    from datetime import UTC, datetime

    from reader.parsing import ParsedEntry

    source_actions.import_feeds([opml.OpmlFeed("https://example.org/feed.xml", "P", "", "", "", "", "", "", "P")])
    feed = Feed.objects.get()
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def entry(guid, link, image=""):
        return ParsedEntry(guid, link, guid, "", "", "", now, now, (), image)

    result = article_actions.upsert_entries(
        feed,
        [entry("a", "javascript:alert(1)"), entry("b", " https://example.org/b\t", "data:image/png,x")],
        now=now,
    )
    assert result.skipped_without_link == 1
    article = Article.objects.get()
    assert (article.url, article.image_url) == ("https://example.org/b", "")

    @dataclass
    class Extracted:
        canonical_url: str = "javascript:alert(1)"
        image_url: str = "java\nscript:alert(1)"
        body_text: str = "Text"
        method: str = "test"
        removed_blocks: int = 0
        rule_removals: list = field(default_factory=list)
        language: str = "en"
        byline: str = ""
        title: str = ""

    article_actions.record_extraction(article.pk, extracted=Extracted(), body_html_safe="<p>Text</p>", now=now)
    article.refresh_from_db()
    assert (article.canonical_url, article.image_url) == ("https://example.org/b", "")


@pytest.mark.django_db
def test_the_feed_writer_takes_only_web_addresses():
    """OPML parsing already refuses them; the writer refuses them too, whoever calls it."""
    result = source_actions.import_feeds(
        [
            opml.OpmlFeed("javascript:alert(1)", "Bad", "", "", "", "", "", "", "Bad"),
            opml.OpmlFeed("https://example.org/feed.xml", "Good", "JaVaScRiPt:alert(1)", "", "", "", "", "", "Good"),
        ]
    )
    assert (result.feeds_created, result.publishers_created) == (1, 1)
    assert list(Feed.objects.values_list("url", "publisher__site_url")) == [("https://example.org/feed.xml", "")]
