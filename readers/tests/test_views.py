"""The readers' pages and buttons: sign-in, CSRF, redirects, privacy, pinned query counts."""

import json

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from readers import actions
from readers.models import Follow, Mute, SavedArticle

from .conftest import make_article, make_hashtag, make_publisher, make_story, unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, reader):
    client.force_login(reader)
    return client


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "readers:for-you", []),
        ("get", "readers:saved", []),
        ("get", "readers:learned", []),
        ("get", "readers:export", []),
        ("post", "readers:follow-publisher", ["asia-times"]),
        ("post", "readers:save-article", [1]),
        ("post", "readers:clear-learned", []),
    ],
)
def test_anonymous_readers_are_sent_to_sign_in(client, method, name, args):
    url = reverse(name, args=args)
    response = getattr(client, method)(url)
    assert (response.status_code, response["Location"]) == (302, f"{resolve_url(settings.LOGIN_URL)}?next={url}")


@pytest.mark.parametrize(
    ("name", "key", "model", "field"),
    [
        ("follow-publisher", "asia-times", Follow, "publisher__slug"),
        ("follow-hashtag", "tariffs", Follow, "hashtag__slug"),
        ("follow-story", None, Follow, "story__pk"),
        ("mute-publisher", "asia-times", Mute, "publisher__slug"),
        ("mute-hashtag", "tariffs", Mute, "hashtag__slug"),
    ],
)
def test_button_then_undo_for_each_kind(signed_in, reader, name, key, model, field):
    make_publisher("Asia Times")
    make_hashtag("Tariffs")
    key = key or make_story().pk
    response = signed_in.post(reverse(f"readers:{name}", args=[key]), {"next": "/publishers/"})
    assert (response.status_code, response["Location"]) == (302, "/publishers/")
    assert list(model.objects.filter(user=reader).values_list(field, flat=True)) == [key]
    undo = name.replace("follow", "unfollow").replace("mute", "unmute")
    signed_in.post(reverse(f"readers:{undo}", args=[key]))
    assert model.objects.filter(user=reader).count() == 0


def test_follow_shows_a_message_and_falls_back_to_the_target_page(signed_in):
    make_publisher("Asia Times")
    response = signed_in.post(reverse("readers:follow-publisher", args=["asia-times"]), follow=True)
    assert response.redirect_chain == [("/publishers/asia-times/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["You now follow Asia Times."]


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/steal", "//evil.example/", "javascript:alert(1)", "http://testserver.evil.example/"],
)
def test_next_to_another_host_is_not_followed(signed_in, next_url):
    make_publisher("Asia Times")
    response = signed_in.post(reverse("readers:follow-publisher", args=["asia-times"]), {"next": next_url})
    assert (response.status_code, response["Location"]) == (302, "/publishers/asia-times/")


def test_follow_without_a_csrf_token_is_refused(reader):
    make_publisher("Asia Times")
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    response = client.post(reverse("readers:follow-publisher", args=["asia-times"]))
    assert response.status_code == 403
    assert Follow.objects.count() == 0


def test_get_on_a_button_url_is_not_allowed(signed_in):
    make_publisher("Asia Times")
    assert signed_in.get(reverse("readers:follow-publisher", args=["asia-times"])).status_code == 405


def test_unknown_targets_are_404(signed_in):
    assert signed_in.post(reverse("readers:follow-publisher", args=["nobody"])).status_code == 404
    assert signed_in.post(reverse("readers:follow-story", args=[999])).status_code == 404
    assert signed_in.post(reverse("readers:save-article", args=[999])).status_code == 404


def test_save_and_unsave_from_the_article_page(signed_in, reader):
    article = make_article(make_publisher("Asia Times"))
    response = signed_in.post(reverse("readers:save-article", args=[article.pk]))
    assert (response.status_code, response["Location"]) == (302, article.get_absolute_url())
    assert list(SavedArticle.objects.filter(user=reader).values_list("article_id", flat=True)) == [article.pk]
    signed_in.post(reverse("readers:unsave-article", args=[article.pk]))
    assert SavedArticle.objects.count() == 0


def test_article_page_shows_follow_and_save_buttons_that_reflect_state(signed_in, reader):
    article = make_article(make_publisher("Asia Times"))
    page = signed_in.get(article.get_absolute_url()).content.decode()
    assert 'action="/follow/publisher/asia-times/"' in page and ">Follow Asia Times</button>" in page
    assert f'action="/save/article/{article.pk}/"' in page and ">Save for later</button>" in page
    actions.do_follow(reader, article.publisher)
    actions.do_save(reader, article)
    page = signed_in.get(article.get_absolute_url()).content.decode()
    assert ">Following Asia Times</button>" in page and ">Saved</button>" in page


def test_publisher_tag_and_story_pages_show_follow_buttons(signed_in, reader):
    publisher, tag, story = make_publisher("Asia Times"), make_hashtag("Tariffs"), make_story()
    make_article(publisher, hashtags=[tag], story=story)
    actions.do_mute(reader, tag)

    def page(url, browser=signed_in):
        return browser.get(url).content.decode()

    assert "Sign in to follow" in page(tag.get_absolute_url(), browser=Client())
    assert 'action="/follow/publisher/asia-times/"' in page(publisher.get_absolute_url())
    tag_html = page(tag.get_absolute_url())
    assert 'action="/unmute/hashtag/tariffs/"' in tag_html and ">Muted</button>" in tag_html
    story_html = page(story.get_absolute_url())
    assert f'action="/follow/story/{story.pk}/"' in story_html and "/mute/story/" not in story_html


def test_for_you_shows_reasons_under_headlines_with_pinned_queries(signed_in, reader, django_assert_num_queries):
    paper, tariffs, story = make_publisher("Asia Times"), make_hashtag("Tariffs"), make_story()
    other = make_publisher("Harbour Post")
    saved = make_article(other, "Rice prices climb", vector=unit((0, 1.0)), hours_ago=30)
    make_article(paper, "Ports reopen", hours_ago=1)
    make_article(other, "Tariff talks stall", hashtags=[tariffs], hours_ago=2)
    make_article(other, "Floods recede", story=story, hours_ago=3)
    make_article(other, "Rice exports cut", vector=unit((0, 1.0), (1, 0.3)), hours_ago=4)
    for target in (paper, tariffs, story):
        actions.do_follow(reader, target)
    actions.do_save(reader, saved)
    # user (the session is read from the cache); follows, mutes, centroid vectors; newest article, candidates,
    # their hashtags, picked articles
    with django_assert_num_queries(8):
        response = signed_in.get(reverse("readers:for-you"))
    page = response.content.decode()
    assert response.status_code == 200
    for title, reason in [
        ("Ports reopen", "You follow Asia Times"),
        ("Tariff talks stall", "You follow #Tariffs"),
        ("Floods recede", "Following this story"),
        ("Rice exports cut", "Similar to articles you saved"),
    ]:
        assert f'{title}</a></h2>\n      <p class="reason">{reason}</p>' in page
    assert "Rice prices climb" not in page


def test_for_you_empty_state_explains_how_to_follow(signed_in):
    page = signed_in.get(reverse("readers:for-you")).content.decode()
    assert "Nothing here yet." in page and "press <strong>Follow</strong>" in page


def test_another_readers_data_is_never_shown(signed_in, other_reader):
    paper, tag = make_publisher("Secret Gazette"), make_hashtag("Hidden Topic")
    article = make_article(paper, "Ben's private read", hashtags=[tag])
    actions.do_follow(other_reader, paper)
    actions.do_mute(other_reader, make_publisher("Ben Muted"))
    actions.do_save(other_reader, article)
    actions.record_read(other_reader, article)
    pages = [
        signed_in.get(reverse(name)).content.decode()
        for name in ("readers:for-you", "readers:saved", "readers:learned", "readers:export")
    ]
    for page in pages:
        assert "Secret Gazette" not in page
        assert "Ben Muted" not in page
        assert "Ben&#x27;s private read" not in page and "Ben's private read" not in page
        assert "Hidden Topic" not in page


def test_saved_list_with_pinned_queries(signed_in, reader, django_assert_num_queries):
    paper = make_publisher("Asia Times")
    for n in range(3):
        actions.do_save(reader, make_article(paper, f"Saved {n}"))
    # user (the session is read from the cache), count, page of saved articles with their publishers
    with django_assert_num_queries(3):
        page = signed_in.get(reverse("readers:saved")).content.decode()
    assert [t for t in ("Saved 0", "Saved 1", "Saved 2") if t in page] == ["Saved 0", "Saved 1", "Saved 2"]


def test_learned_page_lists_choices_topics_and_explains_clearing(signed_in, reader, django_assert_num_queries):
    paper, tariffs, ports = make_publisher("Asia Times"), make_hashtag("Tariffs"), make_hashtag("Ports")
    first = make_article(paper, "Tariff talks", hashtags=[tariffs, ports])
    second = make_article(paper, "More tariffs", hashtags=[tariffs])
    actions.do_follow(reader, paper)
    actions.do_mute(reader, make_hashtag("Celebrities"))
    actions.do_save(reader, first)
    actions.record_read(reader, second)
    # user (the session is read from the cache); follows, mutes, saved count and rows, history count and rows,
    # topics
    with django_assert_num_queries(8):
        page = signed_in.get(reverse("readers:learned")).content.decode()
    topics = page.split('id="topics-title"')[1].split("</section>")[0]
    assert topics.index("#Tariffs") < topics.index("#Ports")
    assert 'action="/unfollow/publisher/asia-times/"' in page
    assert 'action="/unmute/hashtag/celebrities/"' in page
    assert "forgets your reading history <em>and your saved articles</em>" in page
    assert "Your follows and mutes are kept" in page


def test_clear_buttons(signed_in, reader):
    article = make_article(make_publisher("Asia Times"))
    actions.record_read(reader, article)
    actions.do_save(reader, article)
    response = signed_in.post(reverse("readers:clear-history"))
    assert (response.status_code, response["Location"]) == (302, reverse("readers:learned"))
    assert (reader.reading_history.count(), reader.saved_articles.count()) == (0, 1)
    actions.record_read(reader, article)
    signed_in.post(reverse("readers:clear-learned"))
    assert (reader.reading_history.count(), reader.saved_articles.count()) == (0, 0)


def test_export_is_a_json_attachment_with_follows_and_history(signed_in, reader):
    paper = make_publisher("Asia Times")
    article = make_article(paper, "Ports reopen")
    actions.do_follow(reader, paper)
    actions.record_read(reader, article)
    response = signed_in.get(reverse("readers:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="tidings-{reader.pk}.json"'
    data = json.loads(response.content)
    assert [f["key"] for f in data["follows"]] == ["asia-times"]
    assert [h["title"] for h in data["history"]] == ["Ports reopen"]
