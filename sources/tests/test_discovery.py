import json
from pathlib import Path

import pytest

from sources.discovery import (
    ATOM,
    JSON_FEED,
    RSS,
    FeedLink,
    find_feed_links,
    guess_feed_paths,
    looks_like_feed,
)

PAGES = Path(__file__).parent / "fixtures" / "pages"

# (fixture, base_url, expected links in order)
PAGE_CASES = [
    (
        "wordpress_home",
        "https://riverside-gazette.example/",
        [
            FeedLink("https://riverside-gazette.example/feed/", "Riverside Gazette » Feed", RSS),
            # the comment feed comes after the main one; REST API and oEmbed alternates are not feeds
            FeedLink("https://riverside-gazette.example/comments/feed/", "Riverside Gazette » Comments Feed", RSS),
        ],
    ),
    (
        "ghost_blog",
        "https://ledger.example/",
        [FeedLink("https://ledger.example/rss/", "The Quiet Ledger", RSS)],
    ),
    (
        "news_site_many_feeds",
        "https://morgenkurier.example/welt/index.html",
        [
            FeedLink("https://morgenkurier.example/feeds/topstories.atom", "Morgenkurier – Schlagzeilen", ATOM),
            FeedLink("https://morgenkurier.example/feeds/politik.rss", "Morgenkurier – Politik", RSS),
            # JSON after RSS/Atom; the "#dup" href is the same feed once its fragment is dropped
            FeedLink(
                "https://morgenkurier.example/feeds/topstories.json",
                "Morgenkurier – Schlagzeilen (JSON)",
                JSON_FEED,
            ),
            # "Kommentare" (German) marks a comment feed: last
            FeedLink(
                "https://morgenkurier.example/feeds/kommentare.rss",
                "Morgenkurier – Kommentare der Leser",
                RSS,
            ),
        ],
    ),
    ("no_feed_links", "https://bakery.example/", []),
    (
        "relative_hrefs_with_base",
        "https://static-news.example/",
        [
            # <base href> wins over the page URL; javascript: and empty hrefs are dropped
            FeedLink("https://static-news.example/edition/latest.xml", "Latest", RSS),
            FeedLink("https://static-news.example/atom.xml", "Root atom", ATOM),
            FeedLink("https://cdn.static-news.example/rss.xml", "Protocol-relative", RSS),
        ],
    ),
    (
        "uppercase_attributes",
        "http://portal.example/home/start.htm",
        [
            # REL with several tokens, TYPE in mixed case with parameters, title whitespace collapsed
            FeedLink("http://portal.example/home/news.rss", "Old Portal News", RSS),
            FeedLink("http://portal.example/news.atom", "", ATOM),
        ],
    ),
    (
        "broken_html",
        "https://broken.example/",
        [
            # the atom <link> is swallowed by an unterminated <meta> before it, as in a browser
            FeedLink("https://broken.example/feed.xml", "Broken Times", RSS),
            FeedLink("https://broken.example/late.rss", "Late feed in body", RSS),
            FeedLink("https://broken.example/table.rss", "In a table", RSS),
        ],
    ),
]


@pytest.mark.parametrize(("name", "base_url", "expected"), PAGE_CASES, ids=[case[0] for case in PAGE_CASES])
def test_find_feed_links_in_real_looking_pages(name, base_url, expected):
    html = (PAGES / f"{name}.html").read_bytes()

    assert find_feed_links(html, base_url=base_url) == expected


@pytest.mark.parametrize(("name", "base_url", "expected"), PAGE_CASES, ids=[case[0] for case in PAGE_CASES])
def test_find_feed_links_accepts_str_too(name, base_url, expected):
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")

    assert find_feed_links(html, base_url=base_url) == expected


@pytest.mark.parametrize(
    ("title", "href"),
    [
        ("Site » Comments Feed", "/c1"),
        ("Site » Flux des commentaires", "/c2"),
        ("Comentarios de Site", "/c3"),
        ("Comentários", "/c4"),
        ("Commenti", "/c5"),
        ("Комментарии", "/c6"),
        ("コメント", "/c7"),
        ("评论", "/c8"),
        ("댓글", "/c9"),
        ("", "/comments/feed/"),
    ],
)
def test_comment_feeds_in_many_languages_go_last(title, href):
    html = (
        f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{href}">'
        '<link rel="alternate" type="application/atom+xml" title="Main" href="/main.atom">'
    )

    links = find_feed_links(html, base_url="https://site.example/")

    assert [link.url for link in links] == ["https://site.example/main.atom", f"https://site.example{href}"]


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("", id="empty_str"),
        pytest.param(b"", id="empty_bytes"),
        pytest.param(b"   \n\t", id="whitespace"),
        pytest.param(b"\x00\x01\x02\xff", id="binary"),
        pytest.param('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"/>', id="xml_declaration_str"),
        pytest.param('<link rel="stylesheet" type="application/rss+xml" href="/x">', id="not_alternate"),
        pytest.param('<link rel="alternate" type="application/rss+xml">', id="no_href"),
        pytest.param('<link rel="alternate" type="text/html" href="/fr/">', id="translation"),
    ],
)
def test_find_feed_links_finds_nothing_without_crashing(html):
    assert find_feed_links(html, base_url="https://site.example/") == []


def test_find_feed_links_honours_meta_charset_in_bytes():
    html = (
        '<html><head><meta charset="iso-8859-1">'
        '<link rel="alternate" type="application/rss+xml" title="Él País · Portada" href="/rss">'
        "</head></html>"
    ).encode("iso-8859-1")

    assert find_feed_links(html, base_url="https://pais.example/") == [
        FeedLink("https://pais.example/rss", "Él País · Portada", RSS)
    ]


# --- looks_like_feed -----------------------------------------------------------------------------

RSS2 = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>x</title></channel></rss>'
ATOM_DOC = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'
RDF = (
    b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns="http://purl.org/rss/1.0/"><channel/></rdf:RDF>'
)
STYLED_RSS = (
    b'\xef\xbb\xbf<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="/pretty.xsl"?>\n'
    b'<!-- generator: Hugo -->\n<!DOCTYPE rss [<!ELEMENT rss ANY>]>\n<rss version="2.0"><channel/></rss>'
)
JSON_FEED_DOC = json.dumps(
    {"title": "x", "items": [], "version": "https://jsonfeed.org/version/1.1", "home_page_url": "https://x"}
).encode()
HTML_PAGE = (PAGES / "wordpress_home.html").read_bytes()


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        pytest.param(RSS2, "application/rss+xml", True, id="rss2"),
        pytest.param(RSS2, "text/html; charset=utf-8", True, id="rss2_served_as_html"),
        pytest.param(ATOM_DOC, "application/atom+xml", True, id="atom"),
        pytest.param(RDF, "application/rdf+xml", True, id="rss1_rdf"),
        pytest.param(STYLED_RSS, "text/xml", True, id="bom_stylesheet_comment_doctype"),
        pytest.param("<rss version='2.0'/>".encode("utf-16"), "text/xml", True, id="utf16_rss"),
        pytest.param(b"\n\n   <rss/>", "", True, id="leading_whitespace"),
        pytest.param(JSON_FEED_DOC, "application/feed+json", True, id="json_feed"),
        pytest.param(JSON_FEED_DOC, "application/json", True, id="json_feed_as_json"),
        pytest.param(HTML_PAGE, "text/html", False, id="wordpress_html"),
        pytest.param(HTML_PAGE, "application/rss+xml", False, id="html_mislabelled_as_rss"),
        pytest.param(b'<?xml version="1.0"?><opml version="2.0"/>', "text/xml", False, id="opml"),
        pytest.param(
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
            "application/rdf+xml",
            False,
            id="rdf_but_not_rss",
        ),
        pytest.param(
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "image/svg+xml",
            False,
            id="svg",
        ),
        pytest.param(RSS2, "image/png", False, id="image_content_type"),
        pytest.param(b'{"version": "1.0", "items": []}', "application/json", False, id="other_json"),
        pytest.param(b'{"version": "https://jsonfeed.org/version/1.1"', "application/json", False, id="bad_json"),
        pytest.param(b'["https://jsonfeed.org/version/1"]', "application/json", False, id="json_list"),
        pytest.param(b"", "application/rss+xml", False, id="empty"),
        pytest.param(b" " * 100_000 + b"x", "text/plain", False, id="long_whitespace_no_backtracking"),
        pytest.param(b"<!-- never closed " + b"-" * 20_000, "text/xml", False, id="unclosed_comment"),
    ],
)
def test_looks_like_feed(body, content_type, expected):
    assert looks_like_feed(body, content_type) is expected


# --- guess_feed_paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        pytest.param(
            "https://bakery.example/",
            [
                "https://bakery.example/feed",
                "https://bakery.example/rss",
                "https://bakery.example/rss.xml",
                "https://bakery.example/atom.xml",
                "https://bakery.example/feed.xml",
                "https://bakery.example/index.xml",
            ],
            id="site_root",
        ),
        pytest.param(
            "HTTPS://Bakery.Example/about.html?ref=x#top",
            [
                "https://bakery.example/feed",
                "https://bakery.example/rss",
                "https://bakery.example/rss.xml",
                "https://bakery.example/atom.xml",
                "https://bakery.example/feed.xml",
                "https://bakery.example/index.xml",
            ],
            id="page_at_root_query_dropped",
        ),
        pytest.param(
            "https://example.org/blog/",
            [
                "https://example.org/blog/feed",
                "https://example.org/blog/rss",
                "https://example.org/blog/rss.xml",
                "https://example.org/blog/atom.xml",
                "https://example.org/blog/feed.xml",
                "https://example.org/blog/index.xml",
                "https://example.org/feed",
                "https://example.org/rss",
                "https://example.org/rss.xml",
                "https://example.org/atom.xml",
                "https://example.org/feed.xml",
                "https://example.org/index.xml",
            ],
            id="blog_under_a_path",
        ),
        pytest.param(
            "http://example.org:8080",
            [
                "http://example.org:8080/feed",
                "http://example.org:8080/rss",
                "http://example.org:8080/rss.xml",
                "http://example.org:8080/atom.xml",
                "http://example.org:8080/feed.xml",
                "http://example.org:8080/index.xml",
            ],
            id="no_path_with_port",
        ),
        pytest.param("ftp://example.org/", [], id="not_http"),
        pytest.param("example.org", [], id="no_scheme"),
    ],
)
def test_guess_feed_paths(base_url, expected):
    assert guess_feed_paths(base_url) == expected
