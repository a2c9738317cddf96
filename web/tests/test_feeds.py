"""Feeds out: every feed in every format parses back cleanly, says what the article page says, and reads the database
in a pinned number of queries."""

import json
import re
from datetime import datetime, timedelta
from xml.etree import ElementTree

import feedparser
import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from articles.models import Article
from readers import actions as reader_actions
from readers.models import FeedToken
from sources.models import Publisher
from stories.models import ArticleHashtag, Hashtag, Story

pytestmark = pytest.mark.django_db

FORMATS = ("rss", "atom", "json")
QUERIES_FOR_YOU_FEED = 9  # the key and its reader, For You's own (at most eight; seven here), the hashtags
ORIGIN = "http://testserver"
FULL_BODY = '<p>The bridge reopened. <a href="https://conversation.example/cables">Cables</a> were replaced.</p>'
EXCERPT_BODY = "<p>SECRET FULL BODY OF AN EXCERPT-ONLY PUBLISHER</p>"


def make_publisher(name: str, *, full_text: bool, licence: str) -> Publisher:
    policy = Publisher.DisplayPolicy.FULL_TEXT if full_text else Publisher.DisplayPolicy.EXCERPT
    return Publisher.objects.create(name=name, slug=slugify(name), licence=licence, display_policy=policy)


BRIDGE_TEXT = ("The harbour bridge reopened on Monday after eight months of repairs. " * 20).strip()


def make_article(publisher, n: int, *, title: str, body: str, story=None, hours_ago: int = 3, text=BRIDGE_TEXT):
    return Article.objects.create(
        publisher=publisher, url=f"https://{publisher.slug}.example/news/{n}", canonical_url=f"https://x.example/{n}",
        url_hash=f"feeds-{n}", title=title, body_html_safe=body,
        body_text=text,
        published_at=timezone.now() - timedelta(hours=hours_ago), status=Article.Status.READY, story=story,
        byline="Ana Lima" if n == 1 else "", image_url="https://img.example/bridge.jpg", language="en",
    )  # fmt: skip


@pytest.fixture
def news():
    conversation = make_publisher("The Conversation", full_text=True, licence="CC BY-ND 4.0")
    harbour = make_publisher("Harbour Times", full_text=False, licence="All rights reserved (excerpt only)")
    story = Story.objects.create(
        title="Harbour bridge reopens", first_published_at=timezone.now() - timedelta(hours=5),
        last_published_at=timezone.now(), article_count=2, publisher_count=2,
    )  # fmt: skip
    full = make_article(
        conversation, 1, title="Why the bridge needed 212 new cables", body=FULL_BODY, story=story, hours_ago=2
    )
    excerpt = make_article(harbour, 2, title="Bridge <reopens> & traffic returns", body=EXCERPT_BODY, story=story)
    make_article(harbour, 3, title="Ferry timetable changes", body="<p>Ferries.</p>", hours_ago=30, text="Ferries.")
    pending = make_article(harbour, 4, title="Not read yet", body="")
    Article.objects.filter(pk=pending.pk).update(status=Article.Status.PENDING)
    tag = Hashtag.objects.create(slug="harbour-bridge", label="HarbourBridge")
    ArticleHashtag.objects.create(article=full, hashtag=tag, rank=0)
    ArticleHashtag.objects.create(article=excerpt, hashtag=tag, rank=0)
    return {"full": full, "excerpt": excerpt, "story": story, "tag": tag, "harbour": harbour}


def parse(response):
    """feedparser's reading of an RSS or Atom answer, which must be clean (no bozo)."""
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def check_json_feed(document: dict) -> None:
    """The fields JSON Feed 1.1 requires, and the types it gives the optional ones we send."""
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    assert isinstance(document["items"], list)
    for key in ("home_page_url", "feed_url"):
        assert document[key].startswith(f"{ORIGIN}/")
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html") or item.get("content_text"), str)
        assert item["url"].startswith(f"{ORIGIN}/articles/")
        datetime.fromisoformat(item["date_published"])  # RFC 3339
        assert all(isinstance(author["name"], str) for author in item.get("authors", []))
        assert all(isinstance(tag, str) for tag in item.get("tags", []))


def titles_and_links(response, fmt: str) -> list[tuple[str, str]]:
    if fmt == "json":
        document = json.loads(response.content)
        check_json_feed(document)
        return [(item["title"], item["url"]) for item in document["items"]]
    return [(entry.title, entry.link) for entry in parse(response).entries]


def raw_descriptions(xml: bytes) -> dict[str, str]:
    """Item link → the HTML text as sent (feedparser would sanitize it on the way back)."""
    root = ElementTree.fromstring(xml)
    atom = "{http://www.w3.org/2005/Atom}"
    if root.tag == "rss":
        return {item.findtext("link"): item.findtext("description").strip() for item in root.iter("item")}
    return {
        entry.find(f"{atom}link").get("href"): entry.findtext(f"{atom}summary").strip()
        for entry in root.iter(f"{atom}entry")
    }


def absolute_links(markup: str) -> set[str]:
    return set(re.findall(r'(?:href|src)="([^"]*)"', markup))


def test_latest_feed_in_every_format_lists_read_articles_newest_first(client, news):
    for fmt in FORMATS:
        response = client.get(reverse("feed-latest", kwargs={"fmt": fmt}))
        assert response.status_code == 200
        assert titles_and_links(response, fmt) == [
            ("Why the bridge needed 212 new cables", f"{ORIGIN}/articles/{news['full'].pk}/"),
            ("Bridge <reopens> & traffic returns", f"{ORIGIN}/articles/{news['excerpt'].pk}/"),
            ("Ferry timetable changes", f"{ORIGIN}/articles/{news['excerpt'].pk + 1}/"),
        ]
    assert client.get("/feed.rss")["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert client.get("/feed.atom")["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert client.get("/feed.json")["Content-Type"] == "application/feed+json; charset=utf-8"
    assert client.get("/feed.xml").status_code == 404


def test_feed_readers_revalidate_with_the_etag(client, news):
    first = client.get("/feed.atom")
    assert first.status_code == 200
    assert not first.has_header("Last-Modified")
    again = client.get("/feed.atom", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    make_article(news["harbour"], 9, title="Late-read older article", body="<p>Late.</p>", hours_ago=50)
    assert client.get("/feed.atom", headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_feed_items_carry_the_article_pages_own_text_and_attribution(client, news):
    """Full text where the licence allows it, else the excerpt: the very markup the article page shows."""
    for article in (news["full"], news["excerpt"]):
        fragment = render_to_string("web/_article_text.html", {"article": article})
        assert fragment.strip() in client.get(article.get_absolute_url()).content.decode()
        for fmt in ("rss", "atom"):
            assert (
                raw_descriptions(client.get(reverse("feed-latest", kwargs={"fmt": fmt})).content)[
                    f"{ORIGIN}{article.get_absolute_url()}"
                ]
                == fragment.strip()
            )
        items = {i["url"]: i for i in json.loads(client.get("/feed.json").content)["items"]}
        assert items[f"{ORIGIN}{article.get_absolute_url()}"]["content_html"] == fragment.strip()
        assert all(link.startswith("https://") for link in absolute_links(fragment)), absolute_links(fragment)

    full = client.get("/feed.json").json()["items"][0]
    assert '<a href="https://conversation.example/cables">Cables</a>' in full["content_html"]
    assert "Licence: CC BY-ND 4.0." in full["content_html"]
    assert "Tidings shows an excerpt" not in full["content_html"]
    assert full["authors"] == [{"name": "Ana Lima"}]
    assert full["tags"] == ["HarbourBridge"]
    assert full["external_url"] == news["full"].url

    excerpt = client.get("/feed.json").json()["items"][1]
    assert "SECRET FULL BODY" not in excerpt["content_html"]
    assert "Read the full article at Harbour Times" in excerpt["content_html"]
    assert "Licence: All rights reserved (excerpt only). Tidings shows an excerpt;" in excerpt["content_html"]
    assert excerpt["summary"].endswith(" …") and len(excerpt["summary"].split()) == 81  # 80 words and the ellipsis
    assert excerpt["authors"] == [{"name": "Harbour Times"}]
    rss = client.get("/feed.rss").content.decode()
    assert "SECRET FULL BODY" not in rss
    assert "<title>Bridge &lt;reopens&gt; &amp; traffic returns</title>" in rss


def test_publisher_hashtag_and_story_feeds(client, news):
    both = ["Why the bridge needed 212 new cables", "Bridge <reopens> & traffic returns"]
    cases = [
        (reverse("feed-publisher", kwargs={"slug": "harbour-times", "fmt": "rss"}), "Harbour Times — Tidings",
         "/publishers/harbour-times/", ["Bridge <reopens> & traffic returns", "Ferry timetable changes"]),
        (reverse("feed-hashtag", kwargs={"slug": "harbour-bridge", "fmt": "rss"}), "#HarbourBridge — Tidings",
         "/tags/harbour-bridge/", both),
        (reverse("feed-story", kwargs={"story_id": news["story"].pk, "fmt": "rss"}), "Harbour bridge reopens — Tidings",
         f"/stories/{news['story'].pk}/", both),
    ]  # fmt: skip
    for url, title, page, headlines in cases:
        parsed = parse(client.get(url))
        assert parsed.feed.title == title
        assert parsed.feed.link == f"{ORIGIN}{page}"
        assert [entry.title for entry in parsed.entries] == headlines
    for url in ("/publishers/nobody/feed.rss", "/tags/nothing/feed.atom", "/stories/999999/feed.json"):
        assert client.get(url).status_code == 404


def test_a_merged_storys_feed_is_its_heirs(client, news):
    old = Story.objects.create(title="Old", first_published_at=timezone.now(), last_published_at=timezone.now(),
                               merged_into=news["story"])  # fmt: skip
    document = client.get(reverse("feed-story", kwargs={"story_id": old.pk, "fmt": "json"})).json()
    assert document["title"] == "Harbour bridge reopens — Tidings"
    assert len(document["items"]) == 2


def test_search_feed_follows_the_search_page(client, news):
    parsed = parse(client.get("/search/feed.atom?q=cables"))
    assert [entry.title for entry in parsed.entries] == ["Why the bridge needed 212 new cables"]
    assert parsed.feed.title == "Search “cables” — Tidings"
    assert parsed.feed.link == f"{ORIGIN}/search/?q=cables"
    narrowed = client.get("/search/feed.json?q=bridge&publisher=harbour-times").json()
    check_json_feed(narrowed)
    assert [item["title"] for item in narrowed["items"]] == ["Bridge <reopens> & traffic returns"]
    assert narrowed["home_page_url"] == f"{ORIGIN}/search/?q=bridge&publisher=harbour-times"
    for bad in ("/search/feed.rss", "/search/feed.rss?q=", "/search/feed.rss?q=bridge&since=yesterday"):
        assert client.get(bad).status_code == 400


def test_private_feeds_need_the_readers_key_which_they_can_reset(client, news):
    reader = User.objects.create_user("ana", "ana@example.org", "a long enough password 12")
    reader_actions.do_save(reader, news["excerpt"])
    assert client.get("/feeds/not-a-key/saved.rss").status_code == 404
    client.force_login(reader)
    account = client.get(reverse("account")).content.decode()
    assert "Make my private feed addresses" in account
    assert client.get(reverse("private-feeds-reset")).status_code == 405
    assert client.post(reverse("private-feeds-reset"))["Location"] == "/account/#private-feeds"
    key = FeedToken.objects.get(user=reader).key
    account = client.get(reverse("account")).content.decode()
    assert f"{ORIGIN}/feeds/{key}/saved.rss" in account and f"{ORIGIN}/feeds/{key}/for-you.json" in account
    client.logout()

    response = client.get(f"/feeds/{key}/saved.rss")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"
    parsed = parse(response)
    assert parsed.feed.title == "Saved articles — ana — Tidings"
    assert [entry.title for entry in parsed.entries] == ["Bridge <reopens> & traffic returns"]
    assert "SECRET FULL BODY" not in parsed.entries[0].summary
    check_json_feed(client.get(f"/feeds/{key}/saved.json").json())

    empty = client.get(f"/feeds/{key}/for-you.atom")  # follows nothing yet: a valid feed with no items
    assert parse(empty).entries == []
    reader_actions.do_follow(reader, news["harbour"])
    for_you = client.get(f"/feeds/{key}/for-you.json").json()
    check_json_feed(for_you)
    assert for_you["title"] == "For You — ana — Tidings"
    assert [item["title"] for item in for_you["items"]] == ["Ferry timetable changes"]  # For You leaves out the saved

    client.force_login(reader)
    client.post(reverse("private-feeds-reset"))
    client.logout()
    assert client.get(f"/feeds/{key}/saved.rss").status_code == 404
    assert client.get(f"/feeds/{FeedToken.objects.get(user=reader).key}/saved.rss").status_code == 200


def test_private_feeds_reset_needs_a_signed_in_reader(client):
    response = client.post(reverse("private-feeds-reset"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert FeedToken.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "kwargs", "queries"),
    [
        ("feed-latest", {}, 2),  # articles with publishers, their hashtags
        ("feed-publisher", {"slug": "harbour-times"}, 3),  # + the publisher
        ("feed-hashtag", {"slug": "harbour-bridge"}, 3),  # + the hashtag
        ("feed-story", {"story_id": None}, 3),  # + the story
    ],
)
def test_feed_query_counts_do_not_grow_with_items(client, news, django_assert_num_queries, name, kwargs, queries):
    if "story_id" in kwargs:
        kwargs = {"story_id": news["story"].pk}
    for n in range(10, 40):  # more items, more publishers, more hashtags: the same number of queries
        extra = make_article(make_publisher(f"Extra {n}", full_text=n % 2 == 0, licence="CC BY 4.0"), n,
                             title=f"Bridge extra {n}", body="<p>Extra.</p>", story=news["story"])  # fmt: skip
        ArticleHashtag.objects.create(article=extra, hashtag=news["tag"], rank=0)
    for fmt in FORMATS:
        with django_assert_num_queries(queries):
            assert client.get(reverse(name, kwargs={**kwargs, "fmt": fmt})).status_code == 200


def test_search_and_private_feed_query_counts(client, news, django_assert_num_queries):
    reader = User.objects.create_user("ana", "ana@example.org", "a long enough password 12")
    for article in Article.objects.all():
        reader_actions.do_save(reader, article)
    key = reader_actions.do_reset_feed_token(reader).key
    with django_assert_num_queries(2):  # matches with publishers, their hashtags
        client.get("/search/feed.rss?q=bridge")
    with django_assert_num_queries(3):  # the key and its reader, saved articles with publishers, hashtags
        client.get(f"/feeds/{key}/saved.atom")
    follower = User.objects.create_user("bo", "bo@example.org", "a long enough password 12")
    reader_actions.do_follow(follower, news["harbour"])
    follower_key = reader_actions.do_reset_feed_token(follower).key
    with django_assert_num_queries(QUERIES_FOR_YOU_FEED):
        assert len(client.get(f"/feeds/{follower_key}/for-you.json").json()["items"]) == 2


def test_every_page_links_its_feeds_for_autodiscovery(client, news):
    def alternates(url: str) -> list[str]:
        page = client.get(url).content.decode()
        return re.findall(r'<link rel="alternate" type="([^"]+)" title="[^"]+" href="([^"]+)">', page)

    latest = [("application/rss+xml", "/feed.rss"), ("application/atom+xml", "/feed.atom"),
              ("application/feed+json", "/feed.json")]  # fmt: skip
    assert alternates("/") == latest
    assert alternates("/publishers/harbour-times/")[:3] == [
        ("application/rss+xml", "/publishers/harbour-times/feed.rss"),
        ("application/atom+xml", "/publishers/harbour-times/feed.atom"),
        ("application/feed+json", "/publishers/harbour-times/feed.json"),
    ]
    assert alternates("/publishers/harbour-times/")[3:] == latest
    assert alternates("/tags/harbour-bridge/")[0] == ("application/rss+xml", "/tags/harbour-bridge/feed.rss")
    story = news["story"].pk
    assert alternates(f"/stories/{story}/")[0] == ("application/rss+xml", f"/stories/{story}/feed.rss")
    assert [href for _, href in alternates(news["excerpt"].get_absolute_url())] == [
        "/publishers/harbour-times/feed.rss", "/publishers/harbour-times/feed.atom",
        "/publishers/harbour-times/feed.json", f"/stories/{story}/feed.rss", f"/stories/{story}/feed.atom",
        f"/stories/{story}/feed.json", "/feed.rss", "/feed.atom", "/feed.json",
    ]  # fmt: skip
    assert alternates("/search/?q=bridge&publisher=harbour-times")[0] == (
        "application/rss+xml", "/search/feed.rss?q=bridge&amp;publisher=harbour-times",
    )  # fmt: skip
    assert alternates("/search/?q=") == latest
    hostile = client.get("/search/", {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)" not in hostile
    assert 'title="Search “&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;” — Tidings (RSS)"' in hostile
