"""Pages: what a reader sees, escaped, with pinned query counts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.text import slugify

from accounts.models import User
from articles.models import Article
from sources.models import Feed, Publisher
from web.templatetags.tidings import news_time

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=59), "59 minutes ago"),
        (timedelta(hours=17), "17 hours ago"),
        (timedelta(days=1, hours=2), "1 day ago"),
        (timedelta(days=6, hours=23), "6 days ago"),
        (timedelta(days=8), "21 Nov 2026"),
    ],
)
def test_news_time_is_relative_for_a_week_then_a_date(delta, shown):
    assert news_time(NOW - delta, NOW) == shown


def make_publisher(name="Harbour Times", *, full_text=False, licence="All rights reserved (excerpt only)"):
    policy = Publisher.DisplayPolicy.FULL_TEXT if full_text else Publisher.DisplayPolicy.EXCERPT
    return Publisher.objects.create(name=name, slug=slugify(name) or "publisher", licence=licence,
                                    display_policy=policy)  # fmt: skip


def make_article(publisher, n=1, *, title=None, hours_ago=17, body="<p>Body text of the article.</p>"):
    from django.utils import timezone

    return Article.objects.create(
        publisher=publisher, url=f"https://example.org/{publisher.slug}/{n}", canonical_url=f"https://example.org/{n}",
        url_hash=f"{publisher.pk}-{n}", title=title or f"Headline number {n}", body_html_safe=body,
        body_text="Body text of the article. " * 10, published_at=timezone.now() - timedelta(hours=hours_ago),
        status=Article.Status.READY,
    )  # fmt: skip


def test_article_page_shows_headline_source_time_attribution_and_empty_comments(client):
    publisher = make_publisher("The Conversation", full_text=True, licence="CC BY-ND 4.0")
    article = make_article(publisher, title="Why the harbour bridge needed 212 new cables")
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Why the harbour bridge needed 212 new cables</h1>" in page
    assert ">The Conversation</a>" in page
    assert "17 hours ago" in page
    assert "<p>Body text of the article.</p>" in page
    assert "Originally published by" in page and "CC BY-ND 4.0" in page
    assert f'href="{article.url}"' in page
    assert "No comments yet..." in page


def test_excerpt_policy_hides_full_body_and_links_to_the_original(client):
    publisher = make_publisher()
    article = make_article(publisher, body="<p>FULL BODY SHOULD NOT APPEAR</p>")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "FULL BODY SHOULD NOT APPEAR" not in page
    assert "Read the full article at Harbour Times" in page
    assert "Tidings shows an excerpt" in page


def test_publisher_text_is_escaped_everywhere(client):
    publisher = make_publisher("<script>alert('p')</script>")
    make_article(publisher, title="<img src=x onerror=alert(1)> headline")
    for url in (reverse("home"), reverse("publishers"), publisher.get_absolute_url(),
                Article.objects.get().get_absolute_url()):  # fmt: skip
        page = client.get(url).content.decode()
        assert "<script>alert" not in page
        assert "<img src=x onerror" not in page
        assert "&lt;script&gt;alert(&#x27;p&#x27;)&lt;/script&gt;" in page
        if url != reverse("publishers"):
            assert "&lt;img src=x onerror=alert(1)&gt; headline" in page


def test_home_lists_newest_first_paginated_and_filters_by_publisher(client, django_assert_num_queries):
    first, second = make_publisher("Alpha News"), make_publisher("Beta Post")
    for n in range(35):
        make_article(first, n, hours_ago=n + 1)
    make_article(second, 100, title="Only in Beta", hours_ago=0)
    # count, page of articles, the most active publishers for the filter (counted, read), top stories, trending
    with django_assert_num_queries(6):
        page = client.get(reverse("home")).content.decode()
    assert page.index("Only in Beta") < page.index("Headline number 0")
    assert "Page 1 of 2" in page
    assert '<a rel="next" href="?page=2">Older →</a>' in page
    filtered = client.get(reverse("home"), {"publisher": "beta-post"}).content.decode()
    assert "Only in Beta" in filtered and "Headline number 0" not in filtered
    alpha = client.get(reverse("home"), {"publisher": "alpha-news", "page": 2}).content.decode()
    assert '<a rel="prev" href="?publisher=alpha-news&amp;page=1">← Newer</a>' in alpha  # the filter is kept
    assert client.get(reverse("home"), {"publisher": "nobody"}).status_code == 404


def test_sources_page_shows_each_feeds_health(client, django_assert_num_queries):
    from django.utils import timezone

    publisher = make_publisher()
    Feed.objects.create(publisher=publisher, url="https://example.org/ok.xml", next_check_at=timezone.now(),
                        health=Feed.Health.OK, last_checked_at=timezone.now())  # fmt: skip
    Feed.objects.create(publisher=publisher, url="https://example.org/bad.xml", next_check_at=timezone.now(),
                        health=Feed.Health.FAILING, error_count=3,
                        last_error="The feed address was not found (HTTP 404).")  # fmt: skip
    with django_assert_num_queries(2):
        page = client.get(reverse("sources")).content.decode()
    assert "The feed address was not found (HTTP 404)." in page
    assert "3 failed in a row" in page
    assert "Working: 1" in page and "Failing: 1" in page


def test_unknown_article_is_404(client):
    assert client.get(reverse("article", args=[999])).status_code == 404


def make_story_with_coverage():
    from django.utils import timezone

    from stories.models import ArticleHashtag, Hashtag, RelatedArticle, Story

    wire, herald, post = make_publisher("Wire Service"), make_publisher("Herald"), make_publisher("Evening Post")
    story = Story.objects.create(title="Quake hits Aceh", first_published_at=timezone.now(),
                                 last_published_at=timezone.now(), article_count=3, publisher_count=2)  # fmt: skip
    first = make_article(wire, 1, title="Magnitude 6.1 quake hits Aceh", hours_ago=5)
    second = make_article(herald, 2, title="Dozens injured in Aceh earthquake", hours_ago=3)
    copy = make_article(post, 3, title="Quake strikes Indonesia's Aceh", hours_ago=2)
    Article.objects.filter(pk__in=[first.pk, second.pk, copy.pk]).update(story=story)
    Article.objects.filter(pk=copy.pk).update(duplicate_of=first)
    tag = Hashtag.objects.create(slug="aceh", label="Aceh")
    ArticleHashtag.objects.create(article=first, hashtag=tag, rank=0)
    ArticleHashtag.objects.create(article=second, hashtag=tag, rank=0)
    RelatedArticle.objects.create(article=first, related=second, rank=0, score=1.9, reason="Same story")
    return story, first, second, copy


def test_article_page_shows_copies_hashtags_and_related_with_reasons(client, django_assert_num_queries):
    _story, first, _second, _copy = make_story_with_coverage()
    # article (+ publisher, story), copies, hashtags, key points, related (+ publishers), comments (+ authors)
    with django_assert_num_queries(6):
        page = client.get(first.get_absolute_url()).content.decode()
    assert "Also published by" in page and ">Evening Post</a>" in page
    assert '<a class="tag" href="/tags/aceh/">#Aceh</a>' in page
    related = page.split('id="related-title"')[1]
    assert "Dozens injured in Aceh earthquake" in related and "Same story" in related and ">Herald</a>" in related
    assert "Full coverage: 2 publishers" in page


def test_a_folded_copy_redirects_to_its_original(client):
    _story, first, _second, copy = make_story_with_coverage()
    response = client.get(copy.get_absolute_url())
    assert (response.status_code, response["Location"]) == (302, first.get_absolute_url())


def test_story_page_shows_timeline_first_reporter_and_publishers(client):
    story, _first, _second, _copy = make_story_with_coverage()
    page = client.get(story.get_absolute_url()).content.decode()
    assert "First reported by <strong>Wire Service</strong>" in page
    assert "2 publishers · 3 articles" in page
    assert page.index("Magnitude 6.1 quake hits Aceh") < page.index("Dozens injured in Aceh earthquake")
    assert "(republished from Wire Service)" in page


def test_tag_page_lists_latest_news_with_the_tag(client):
    make_story_with_coverage()
    page = client.get(reverse("hashtag", args=["aceh"])).content.decode()
    assert "Latest news with #Aceh" in page
    assert page.index("Dozens injured in Aceh earthquake") < page.index("Magnitude 6.1 quake hits Aceh")


def test_home_shows_top_stories_and_trending_tags(client):
    make_story_with_coverage()
    page = client.get(reverse("home")).content.decode()
    top = page.split('id="top-title"')[1].split("</section>")[0]
    assert "2 publishers" in top and "Wire Service · Herald" in top
    assert '<a class="tag" href="/tags/aceh/">#Aceh</a>' in page.split("Top stories")[0]


def make_big_story(publishers: int, per_publisher: int):
    """A story of publishers × per_publisher articles, one every hour, the first publisher first."""
    from django.utils import timezone

    from stories.models import Story

    story = Story.objects.create(title="Harbour strike", first_published_at=timezone.now(),
                                 last_published_at=timezone.now(), publisher_count=publishers)  # fmt: skip
    hours = publishers * per_publisher
    for p in range(publishers):
        publisher = make_publisher(f"Paper {p}")
        for k in range(per_publisher):
            make_article(publisher, p * 100 + k, title=f"Strike report {p}-{k}", hours_ago=hours - (k * publishers + p))
    Article.objects.update(story=story)
    story.article_count = hours
    story.save(update_fields=["article_count"])
    return story


def test_a_big_story_shows_first_reports_then_pages_its_timeline(client, monkeypatch):
    from web import views

    monkeypatch.setattr(views, "STORY_LEADS", 2)
    monkeypatch.setattr(views, "STORY_TIMELINE_PAGE", 4)
    story = make_big_story(publishers=3, per_publisher=3)  # 9 articles: 3 timeline pages
    first = client.get(story.get_absolute_url()).content.decode()
    leads = first.split('id="leads-title"')[1].split("</section>")[0]
    assert "Strike report 0-0" in leads and "Strike report 1-0" in leads and "Paper 2" not in leads
    assert "the first 2 of 3 publishers here" in leads
    timeline = first.split('id="timeline-title"')[1]
    assert [t for t in ("0-0", "1-0", "2-0", "0-1", "1-1") if f"Strike report {t}<" in timeline] == [
        "0-0", "1-0", "2-0", "0-1"
    ]  # fmt: skip
    assert "Page 1 of 3" in timeline and '<a rel="next" href="?page=2">More coverage →</a>' in timeline
    second = client.get(story.get_absolute_url(), {"page": 2}).content.decode()
    assert 'id="leads-title"' not in second and "First reported by" not in second
    assert "More coverage: timeline, page 2 of 3" in second
    assert "Strike report 1-1<" in second and "Strike report 0-0<" not in second


def test_the_api_pages_a_story_as_the_page_does(client, monkeypatch):
    from api.routers import stories as api_stories
    from web import views

    for module in (views, api_stories):
        monkeypatch.setattr(module, "STORY_LEADS", 2)
        monkeypatch.setattr(module, "STORY_TIMELINE_PAGE", 4)
    story = make_big_story(publishers=3, per_publisher=3)
    page2 = client.get(f"/api/stories/{story.pk}", {"page": 2}).json()
    assert (page2["page"], page2["pages"], page2["briefing"]) == (2, 3, None)
    assert [a["title"] for a in page2["timeline"]] == [f"Strike report {t}" for t in ("1-1", "2-1", "0-2", "1-2")]
    assert [a["title"] for a in page2["leads"]] == ["Strike report 0-0", "Strike report 1-0"]
    html = client.get(story.get_absolute_url(), {"page": 2}).content.decode()
    assert all(f"{a['title']}<" in html for a in page2["timeline"])
    assert client.get(f"/api/stories/{story.pk}", {"page": 4}).status_code == 404


def test_publishers_page_shows_the_most_active_and_finds_any_by_name(client, monkeypatch):
    from web import views

    busy, quiet = make_publisher("Busy Gazette"), make_publisher("Quiet Courier")
    for n in range(3):
        make_article(busy, n)
    make_article(quiet, 10)
    make_publisher("Silent Herald")  # no articles: not among the most active
    page = client.get(reverse("publishers")).content.decode()
    assert page.index("Busy Gazette") < page.index("Quiet Courier") and "Silent Herald" not in page
    assert "the latest 10,000 articles" in page
    found = client.get(reverse("publishers"), {"q": "herald"}).content.decode()
    assert "Silent Herald" in found and "Busy Gazette" not in found and "1 publisher named like" in found
    monkeypatch.setattr(views, "PUBLISHERS_PER_PAGE", 2)
    by_name = client.get(reverse("publishers"), {"sort": "name", "page": 2}).content.decode()
    assert "Silent Herald" in by_name and "Busy Gazette" not in by_name and "Page 2 of 2" in by_name


def test_home_filter_offers_the_most_active_publishers_and_the_chosen_one(client, monkeypatch):
    from web import views

    monkeypatch.setattr(views, "FILTER_PUBLISHERS", 1)
    busy, quiet = make_publisher("Busy Gazette"), make_publisher("Quiet Courier")
    for n in range(3):
        make_article(busy, n)
    make_article(quiet, 10)
    options = client.get(reverse("home")).content.decode().split('id="publisher-filter"')[1].split("</select>")[0]
    assert "Busy Gazette" in options and "Quiet Courier" not in options
    chosen = client.get(reverse("home"), {"publisher": "quiet-courier"}).content.decode()
    options = chosen.split('id="publisher-filter"')[1].split("</select>")[0]
    assert '<option value="quiet-courier" selected>Quiet Courier</option>' in options


def _csrf_field(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_anonymous_article_page_is_rendered_once_and_carries_each_readers_own_csrf_token(django_assert_num_queries):
    article = make_article(make_publisher("Harbour Times"))
    first_reader, second_reader = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page = first_reader.get(article.get_absolute_url()).content.decode()
    with django_assert_num_queries(1):  # the article (with publisher and story); the rest is the cached page
        second_page = second_reader.get(article.get_absolute_url()).content.decode()
    assert "tidingscsrf" not in first_page + second_page
    assert second_page.replace(_csrf_field(second_page), "") == first_page.replace(_csrf_field(first_page), "")
    ask = reverse("article-ask", args=[article.pk])
    for reader, page in ((first_reader, first_page), (second_reader, second_page)):
        response = reader.post(ask, {"question": "What was built?", "csrfmiddlewaretoken": _csrf_field(page)})
        assert response.status_code == 200 and "What was built?" in response.content.decode()
    # Each token belongs to its reader: the other's is refused.
    refused = first_reader.post(ask, {"question": "What was built?", "csrfmiddlewaretoken": _csrf_field(second_page)})
    assert refused.status_code == 403


def test_cached_anonymous_page_shows_edits_to_article_publisher_story_and_comments_at_once(client):
    from comments.actions import do_delete_comment, do_edit_comment, do_post_comment
    from stories.models import Story

    publisher = make_publisher("Harbour Times")
    article = make_article(publisher, title="Bridge reopens")
    assert "<h1>Bridge reopens</h1>" in client.get(article.get_absolute_url()).content.decode()

    def page() -> str:
        return client.get(article.get_absolute_url()).content.decode()

    Article.objects.filter(pk=article.pk).update(title="Bridge reopens after repairs")
    assert "<h1>Bridge reopens after repairs</h1>" in page()
    Publisher.objects.filter(pk=publisher.pk).update(name="Harbour Daily Times")
    assert ">Harbour Daily Times</a>" in page()
    when = article.published_at
    story = Story.objects.create(title="Bridge", article_count=2, publisher_count=3, first_published_at=when,
                                 last_published_at=when)  # fmt: skip
    Article.objects.filter(pk=article.pk).update(story=story)
    assert "Full coverage: 3 publishers" in page()
    Story.objects.filter(pk=story.pk).update(publisher_count=4)
    assert "Full coverage: 4 publishers" in page()

    author = User.objects.create_user("carol", "carol@example.org", "a long password 4")
    comment = do_post_comment(author, article, "The cables look new.")
    assert "The cables look new." in page() and "No comments yet" not in page()
    do_edit_comment(comment, "The cables look brand new.")
    assert "The cables look brand new." in page()
    do_delete_comment(author, comment)
    assert "The cables look brand new." not in page()


def test_signed_in_readers_get_their_own_page_not_the_anonymous_one(client):
    article = make_article(make_publisher("Harbour Times"))
    assert "Sign in to follow" in client.get(article.get_absolute_url()).content.decode()
    reader = User.objects.create_user("dana", "dana@example.org", "a long password 5")
    client.force_login(reader)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Save for later" in page and "Sign in to follow" not in page
    client.logout()
    assert "Sign in to follow" in client.get(article.get_absolute_url()).content.decode()


def test_signed_in_readers_share_one_render_each_with_their_own_name_state_messages_and_token():
    from readers.actions import do_follow, do_save

    article = make_article(make_publisher("Harbour Times"))
    url = article.get_absolute_url()
    dana = User.objects.create_user("dana", "dana@example.org", "a long password 5")
    erin = User.objects.create_user("erin", "erin@example.org", "a long password 7")
    do_save(dana, article)
    do_follow(erin, article.publisher)
    dana_client, erin_client = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    dana_client.force_login(dana)
    erin_client.force_login(erin)
    dana_page, erin_page = dana_client.get(url).content.decode(), erin_client.get(url).content.decode()
    for page in (dana_page, erin_page):
        assert "tidings-slot-" not in page and "tidingscsrf" not in page
        assert 'id="comment-form"' in page and "Sign in to comment" not in page
    assert '<span class="account-name">dana</span>' in dana_page and "erin" not in dana_page
    assert '<span class="account-name">erin</span>' in erin_page and "dana" not in erin_page
    assert 'aria-pressed="true">Saved</button>' in dana_page and "Save for later" in erin_page
    assert 'aria-pressed="true">Following Harbour Times</button>' in erin_page
    assert 'aria-pressed="false">Follow Harbour Times</button>' in dana_page

    form = {"body": "Seen from the ferry.", "csrfmiddlewaretoken": _csrf_field(erin_page)}
    assert erin_client.post(reverse("comment-post", args=[article.pk]), form).status_code == 302
    erin_page = erin_client.get(url).content.decode()
    assert "Your comment is posted." in erin_page and "Seen from the ferry." in erin_page
    dana_page = dana_client.get(url).content.decode()
    assert "Seen from the ferry." in dana_page and "Your comment is posted." not in dana_page
    anonymous_page = Client().get(url).content.decode()
    assert "Seen from the ferry." in anonymous_page and "Sign in to comment" in anonymous_page
    assert 'id="comment-form"' not in anonymous_page and "erin" not in anonymous_page.split("comments-title")[0]


@pytest.mark.parametrize(("saved", "follows"), [(False, False), (True, False), (False, True), (True, True)])
def test_signed_in_parts_rendered_with_the_page_equal_their_templates_for_the_reader(saved, follows, rf):
    """The account navigation and follow/save buttons come from the shared render (SharedRender.
    signed_in_parts), not from their templates per request: what a reader gets must be what the templates
    would give them, name escaped, in each state."""
    from django.template.loader import render_to_string

    from readers.actions import do_follow, do_save

    article = make_article(make_publisher("Harbour Times"))
    amy = User.objects.create_user("amy&<bo>", "amy@example.org", "a long password 6")  # not through the form
    if saved:
        do_save(amy, article)
    if follows:
        do_follow(amy, article.publisher)
    Client().get(article.get_absolute_url())  # the shared render is made by an anonymous reader's visit
    client = Client()
    client.force_login(amy)
    page = client.get(article.get_absolute_url()).content.decode()

    request = rf.get(article.get_absolute_url())
    request.user = amy
    context = {"article": article, "csrf_token": _csrf_field(page), "user": amy}
    navigation = render_to_string("accounts/_nav.html", context, request)
    buttons = render_to_string("readers/_article_actions.html", context, request)
    assert '<span class="account-name">amy&amp;&lt;bo&gt;</span>' in navigation
    assert navigation in page and buttons in page
    assert ('aria-pressed="true">Saved</button>' in page) is saved
    assert ('aria-pressed="true">Following Harbour Times</button>' in page) is follows


def test_an_article_without_comments_reads_none_for_signed_in_readers_and_shows_a_held_one_to_its_author():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from comments.actions import do_post_comment

    article = make_article(make_publisher("Harbour Times"))
    url = article.get_absolute_url()
    dana = User.objects.create_user("dana", "dana@example.org", "a long password 5")
    erin = User.objects.create_user("erin", "erin@example.org", "a long password 7")
    dana_client, erin_client = Client(), Client()
    dana_client.force_login(dana)
    erin_client.force_login(erin)
    assert "No comments yet" in dana_client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert "No comments yet" in erin_client.get(url).content.decode()
    assert not [q["sql"] for q in queries if "comments_comment" in q["sql"]]

    do_post_comment(erin, article, "Held for a moderator to read.", held_reason="first comment")
    assert "Held for a moderator to read." in erin_client.get(url).content.decode()
    dana_page = dana_client.get(url).content.decode()
    assert "Held for a moderator to read." not in dana_page and "No comments yet" in dana_page
