import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.tests.shared_data import DATA as SHARED_DATA
from sources.opml import (
    DEFAULT_LICENCE,
    DISPLAY_POLICIES,
    TIDINGS_NS,
    OpmlError,
    OpmlFeed,
    parse_opml,
    render_opml,
)

FIXTURES = Path(__file__).parent / "fixtures" / "opml"
DEFAULT_OPML = Path(__file__).resolve().parents[1] / "default.opml"
NEWS_FEEDS_MD = SHARED_DATA / "news-feeds.md"
CATALOGUE_EVIDENCE_MD = Path(__file__).resolve().parents[1] / "catalogue-evidence.md"
PROPUBLICA_LICENCE = "CC BY-NC-ND 3.0, not for automatic republishing"


def feed(url, title, **overrides):
    values = {
        "feed_url": url,
        "title": title,
        "site_url": "",
        "category": "",
        "country": "",
        "language": "",
        "licence": DEFAULT_LICENCE,
        "display_policy": "excerpt",
        "publisher": title,
    }
    return OpmlFeed(**(values | overrides))


# --- parsing -------------------------------------------------------------------------------------


def test_opml1_flat_export_reads_text_title_and_html_url():
    feeds = parse_opml((FIXTURES / "opml1_flat_newsblur_export.opml").read_bytes())

    assert feeds == [
        feed(
            "https://feeds.arstechnica.com/arstechnica/index",
            "Ars Technica",
            site_url="https://arstechnica.com",
        ),
        feed("https://feeds.npr.org/1004/rss.xml", "NPR World"),
        # a javascript: htmlUrl is dropped, the feed is kept
        feed("https://example.org/feed.xml", "No text, only title"),
    ]


def test_opml2_nested_folders_duplicates_and_tidings_attributes():
    feeds = parse_opml((FIXTURES / "opml2_nested_folders.opml").read_bytes())

    assert feeds == [
        # innermost folder names the category; td: is any prefix bound to our namespace
        feed(
            "https://asiatimes.com/feed/",
            "Asia Times",
            site_url="https://asiatimes.com/",
            category="Asia",
            country="HK",
            language="en",
            publisher="Asia Times Holdings",
        ),
        # the second "Asia Times again" outline repeats the URL and is dropped (first wins)
        # xmlURL in the wrong case still counts
        feed(
            "https://theconversation.com/global/articles.atom",
            "The Conversation",
            category="News",
            licence="CC BY-ND 4.0",
            display_policy="full_text",
        ),
        # an unknown display value falls back to excerpt
        feed("https://www.nature.com/nature.rss", "Bad display value", category="Science"),
        # file:// and blank feed URLs are skipped; a top-level feed uses OPML 2.0 category="…"
        feed("https://www.theverge.com/rss/index.xml", "Top-level with category", category="Gadgets"),
    ]


def test_valid_opml_without_outlines_is_an_empty_list():
    assert parse_opml(b'<opml version="2.0"><head/><body/></opml>') == []


def test_utf16_opml_is_read():
    data = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<opml version="1.0"><body><outline text="Ünïcode" xmlUrl="https://a.example/f"/></body></opml>'
    ).encode("utf-16")

    assert parse_opml(data) == [feed("https://a.example/f", "Ünïcode")]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"   \n", id="whitespace"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", id="binary"),
        pytest.param(b"<html><body><p>Welcome</p></body></html>", id="html_page"),
        pytest.param(b"<html><body><p>Welcome</body>", id="broken_html_page"),
        pytest.param(b'{"version": "https://jsonfeed.org/version/1.1"}', id="json"),
        pytest.param(b'<rss version="2.0"><channel><title>x</title></channel></rss>', id="rss_feed"),
        pytest.param(b'<opml version="2.0"><head><title>x</title></head></opml>', id="opml_without_body"),
        pytest.param(b'<opml version="2.0"><body><outline xmlUrl="https://a.example/f">', id="truncated"),
    ],
)
def test_garbage_raises_a_plain_sentence(data):
    with pytest.raises(OpmlError, match=r"^This file is not an OPML subscription list\.$"):
        parse_opml(data)


def test_opml_error_is_a_value_error():
    assert issubclass(OpmlError, ValueError)


@pytest.mark.parametrize("name", ["hostile_xxe.opml", "hostile_billion_laughs.opml"])
def test_hostile_entities_are_refused_without_expansion(name):
    with pytest.raises(OpmlError, match="declares XML entities"):
        parse_opml((FIXTURES / name).read_bytes())


def test_external_entity_in_element_text_is_refused_not_read():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<opml version="2.0"><head><title>&x;</title></head>'
        b'<body><outline text="a" xmlUrl="https://a.example/f"/></body></opml>'
    )
    with pytest.raises(OpmlError, match="declares XML entities"):
        parse_opml(data)


def test_doctype_without_entities_is_fine():
    data = b'<!DOCTYPE opml><opml version="1.0"><body><outline text="a" xmlUrl="https://a.example/f"/></body></opml>'

    assert parse_opml(data) == [feed("https://a.example/f", "a")]


# --- rendering -----------------------------------------------------------------------------------

ROUND_TRIP = [
    feed(
        "https://theconversation.com/global/articles.atom",
        "The Conversation (Global)",
        site_url="https://theconversation.com/global",
        category="International",
        language="en",
        licence="CC BY-ND 4.0",
        display_policy="full_text",
        publisher="The Conversation",
    ),
    feed("https://example.org/no-category.xml", 'Loose feed & <friends> "quoted"'),
    feed(
        "https://www.scmp.com/rss/91/feed",
        "South China Morning Post (World)",
        category="Asia",
        country="HK",
        language="en",
        publisher="South China Morning Post",
    ),
    feed("https://agenciabrasil.ebc.com.br/rss/ultimasnoticias/feed.xml", "Agência Brasil", category="Americas"),
    feed("https://en.yna.co.kr/RSS/news.xml", "Yonhap", category="Asia", country="KR"),
]


def test_render_then_parse_round_trips():
    data = render_opml(ROUND_TRIP, title="My Tidings")

    parsed = parse_opml(data)

    # grouped by category in first-seen order, so compare as sets and check order within "Asia"
    assert set(parsed) == set(ROUND_TRIP)
    assert [f.feed_url for f in parsed if f.category == "Asia"] == [
        "https://www.scmp.com/rss/91/feed",
        "https://en.yna.co.kr/RSS/news.xml",
    ]


def test_render_is_deterministic_opml2_with_our_namespace():
    data = render_opml(ROUND_TRIP, title="My Tidings")

    assert data == render_opml(ROUND_TRIP, title="My Tidings")
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert f'xmlns:tidings="{TIDINGS_NS}"'.encode() in data
    assert b'<opml xmlns:tidings="https://tidings.example/opml" version="2.0">' in data
    assert b"<title>My Tidings</title>" in data


def test_render_of_nothing_parses_to_nothing():
    assert parse_opml(render_opml([], title="Empty")) == []


def test_default_opml_round_trips():
    feeds = parse_opml(DEFAULT_OPML.read_bytes())

    assert parse_opml(render_opml(feeds, title="Tidings default catalogue")) == feeds


# --- the default catalogue -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_feeds():
    return parse_opml(DEFAULT_OPML.read_bytes())


def test_default_catalogue_has_enough_unique_https_feeds(default_feeds):
    urls = [f.feed_url for f in default_feeds]

    assert len(default_feeds) >= 30
    assert len(set(urls)) == len(urls)
    assert all(urlsplit(url).scheme == "https" for url in urls)
    # parse_opml drops duplicates silently, so count the outlines in the file too
    assert len(re.findall(rb"xmlUrl=", DEFAULT_OPML.read_bytes())) == len(default_feeds)


def test_default_catalogue_every_feed_has_licence_policy_and_publisher(default_feeds):
    for f in default_feeds:
        assert f.licence, f.feed_url
        assert f.display_policy in DISPLAY_POLICIES, f.feed_url
        assert f.publisher, f.feed_url
        assert f.language in {"en", "pt"}, f.feed_url
        assert f.category, f.feed_url


def test_default_catalogue_spans_regions_and_countries(default_feeds):
    regions = {f.category for f in default_feeds}
    countries = {f.country for f in default_feeds if f.country}

    assert {"Asia", "Europe", "North America", "Latin America", "Africa", "Middle East", "Oceania"} <= regions
    assert len(countries) >= 5


def test_default_catalogue_full_text_only_where_the_licence_allows(default_feeds):
    full_text = {f.publisher: f.licence for f in default_feeds if f.display_policy == "full_text"}

    assert full_text == {
        "The Conversation": "CC BY-ND 4.0",
        "Global Voices": "CC BY 3.0",
        "NASA": "Public domain (US government work)",
        "Agência Brasil": "CC BY 4.0",
    }
    assert {f.licence for f in default_feeds if f.display_policy == "excerpt"} == {DEFAULT_LICENCE, PROPUBLICA_LICENCE}


def test_propublica_is_excerpted_because_its_terms_forbid_automatic_republishing(default_feeds):
    """Its CC BY-NC-ND licence comes with "Steal Our Stories" terms: no republishing "wholesale, or automatically"."""
    (propublica,) = [f for f in default_feeds if f.publisher == "ProPublica"]

    assert (propublica.display_policy, propublica.licence) == ("excerpt", PROPUBLICA_LICENCE)


def test_korea_herald_uses_its_current_feed_not_the_legacy_php_one(default_feeds):
    urls = {f.feed_url for f in default_feeds if f.publisher == "The Korea Herald"}

    assert urls == {"https://www.koreaherald.com/rss/newsAll"}


def test_scmp_feeds_carry_the_names_their_channels_give_themselves(default_feeds):
    """/rss/91/feed calls itself "News - South China Morning Post"; World is /rss/5/feed."""
    titles = {f.feed_url: f.title for f in default_feeds if f.publisher == "South China Morning Post"}

    assert titles == {
        "https://www.scmp.com/rss/91/feed": "South China Morning Post (News)",
        "https://www.scmp.com/rss/5/feed": "South China Morning Post (World)",
    }


def test_default_catalogue_reaches_the_regions_it_lacked(default_feeds):
    """Africa's national press, the Arab world, South and Southeast Asia and Latin America, by country."""
    countries_by_region = {
        "Africa": {"NG", "ZA", "GH", "EG"},
        "Middle East": {"SA", "AE", "QA"},
        "Asia": {"PK", "BD", "NP", "IN", "PH", "VN", "TH", "MY", "SG"},
        "Latin America": {"MX", "BR", "CR", "AR"},
    }
    for region, expected in countries_by_region.items():
        found = {f.country for f in default_feeds if f.category == region and f.country}
        assert expected <= found, (region, expected - found)


def test_default_catalogue_urls_appear_verbatim_in_the_checked_lists(default_feeds):
    """Every URL rests on recorded public evidence: shared/data/news-feeds.md, or sources/catalogue-evidence.md."""
    checked = NEWS_FEEDS_MD.read_text(encoding="utf-8") + CATALOGUE_EVIDENCE_MD.read_text(encoding="utf-8")

    # as a whole table cell, so a URL that is only a prefix of a listed one does not pass
    missing = [f.feed_url for f in default_feeds if f"| {f.feed_url} |" not in checked]

    assert missing == []


def evidence_rows() -> list[list[str]]:
    """The table rows of catalogue-evidence.md (header and rule lines left out), as lists of cells."""
    rows = []
    for line in CATALOGUE_EVIDENCE_MD.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and cells[0] not in ("Publisher",) and not line.startswith("|---"):
            rows.append(cells)
    return rows


def test_every_evidence_row_names_its_sources_and_a_confidence(default_feeds):
    urls = {f.feed_url for f in default_feeds}
    rows = evidence_rows()

    assert len(rows) == 25
    for cells in rows:
        url = next(cell for cell in cells if cell.startswith("https://"))
        assert url in urls, url
        assert cells[-1].split(" ")[0] in {"high", "medium"}, cells
        assert re.search(r"\bid\d+|page: |feed: ", cells[-2]), cells


# --- installs made from the earlier catalogue -------------------------------------------------------


@pytest.mark.django_db
def test_catalogue_corrections_change_only_rows_the_earlier_catalogue_wrote():
    from importlib import import_module

    from django.apps import apps
    from django.utils import timezone

    from sources.models import Feed, Publisher

    corrections = import_module("sources.migrations.0002_catalogue_corrections")
    propublica = Publisher.objects.create(name="ProPublica", slug="propublica", licence="CC BY-NC-ND 3.0",
                                          display_policy="full_text")  # fmt: skip
    agencia = Publisher.objects.create(name="Agência Brasil", slug="agencia-brasil")
    herald = Publisher.objects.create(name="The Korea Herald", slug="the-korea-herald")
    chosen = Publisher.objects.create(name="NASA", slug="nasa", licence="Public domain (US government work)",
                                      display_policy="excerpt")  # fmt: skip
    scmp = Publisher.objects.create(name="South China Morning Post", slug="scmp")
    now = timezone.now()
    Feed.objects.create(publisher=herald, url=corrections.LEGACY_KOREA_HERALD, etag='"old"', next_check_at=now)
    Feed.objects.create(publisher=scmp, url=corrections.SCMP_NEWS, title="South China Morning Post (World)",
                        next_check_at=now)  # fmt: skip

    corrections.correct_catalogue(apps, None)

    propublica.refresh_from_db()
    agencia.refresh_from_db()
    chosen.refresh_from_db()
    assert (propublica.licence, propublica.display_policy) == (PROPUBLICA_LICENCE, "excerpt")
    assert (agencia.licence, agencia.display_policy) == ("CC BY 4.0", "full_text")
    assert chosen.display_policy == "excerpt"  # the operator's choice, not the catalogue's: left alone
    assert list(Feed.objects.filter(publisher=herald).values_list("url", "etag")) == [(corrections.KOREA_HERALD, "")]
    assert Feed.objects.get(url=corrections.SCMP_NEWS).title == "South China Morning Post (News)"
