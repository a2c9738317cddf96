"""The JSON API the mobile app reads: articles (cursor pages, filters, the page's licence rules), stories,
hashtags, publishers, search and questions, each list with its query count pinned."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from ai.models import AIOutput
from articles import queries as article_queries
from articles.models import Article

from .seed import BODY, make_article

pytestmark = pytest.mark.django_db


def titles(data):
    return [r["title"] for r in data["results"]]


def test_article_list_is_newest_first_in_one_query(client, newsroom, django_assert_num_queries):
    with django_assert_num_queries(1):
        data = client.get("/api/articles").json()
    # the copy folded into the first article has no entry of its own
    assert titles(data) == ["Bridge traffic returns", "Harbour bridge reopens", "Other news 4", "Other news 5",
                            "Other news 6", "Other news 7"]  # fmt: skip
    assert data["next_cursor"] is None
    first = data["results"][1]
    assert first["publisher"] == {"slug": "open-wire", "name": "Open Wire"}
    assert (first["comment_count"], first["story_id"]) == (1, newsroom.story.pk)


def test_cursor_pages_neither_repeat_nor_skip_when_articles_arrive(client, newsroom, django_assert_num_queries):
    page1 = client.get("/api/articles?limit=2").json()
    assert titles(page1) == ["Bridge traffic returns", "Harbour bridge reopens"]
    make_article(newsroom.times, 50, title="Breaking after the first page", hours_ago=0)
    with django_assert_num_queries(1):
        page2 = client.get(f"/api/articles?limit=2&cursor={page1['next_cursor']}").json()
    assert titles(page2) == ["Other news 4", "Other news 5"]
    page3 = client.get(f"/api/articles?limit=2&cursor={page2['next_cursor']}").json()
    assert (titles(page3), page3["next_cursor"]) == (["Other news 6", "Other news 7"], None)


def test_articles_published_in_the_same_second_page_by_id(client, newsroom):
    moment = timezone.now() + timedelta(minutes=1)
    made = [make_article(newsroom.wire, 100 + n, title=f"Same second {n}") for n in range(3)]
    Article.objects.filter(pk__in=[a.pk for a in made]).update(published_at=moment)
    seen = []
    cursor = ""
    for _ in range(3):
        data = client.get(f"/api/articles?limit=1&cursor={cursor}").json()
        seen += titles(data)
        cursor = data["next_cursor"]
    assert seen == ["Same second 2", "Same second 1", "Same second 0"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("publisher=open-wire", ["Harbour bridge reopens"]),
        ("hashtag=harbour-bridge", ["Bridge traffic returns", "Harbour bridge reopens"]),
        ("language=fr", ["Other news 7"]),
        ("publisher=nobody", []),
    ],
)
def test_article_filters(client, newsroom, query, expected):
    assert titles(client.get(f"/api/articles?{query}").json()) == expected


def test_article_filters_by_story_and_since(client, newsroom):
    data = client.get(f"/api/articles?story={newsroom.story.pk}").json()
    assert titles(data) == ["Bridge traffic returns", "Harbour bridge reopens"]
    since = (timezone.now() - timedelta(hours=4)).isoformat()
    assert titles(client.get("/api/articles", {"since": since}).json()) == ["Bridge traffic returns"]


def test_a_cursor_tidings_did_not_give_is_a_problem(client, newsroom):
    response = client.get("/api/articles?cursor=not-a-cursor")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "This cursor is not one Tidings gave out: start again from the first page (no cursor)."
    )


def test_article_detail_shows_the_excerpt_the_page_shows_for_an_excerpt_licence(client, newsroom):
    data = client.get(f"/api/articles/{newsroom.second.pk}").json()
    shown = article_queries.presentation(newsroom.second)
    assert (data["full_text"], data["body_text"], data["body_html"]) == (False, None, None)
    assert data["excerpt"] == shown.excerpt == BODY.replace("\n", " ")
    assert data["attribution"] == shown.attribution
    assert data["attribution"].endswith(
        "Licence: All rights reserved (excerpt only). Tidings shows an excerpt; the full article is on the "
        "publisher's site."
    )
    page = client.get(newsroom.second.get_absolute_url()).content.decode()
    assert f"<p>{escape(data['excerpt'])}</p>" in page
    assert "Licence: All rights reserved (excerpt only). Tidings shows an excerpt" in page


def test_article_detail_with_full_text_digest_hashtags_related_and_copies(client, newsroom):
    with_story = client.get(f"/api/articles/{newsroom.first.pk}").json()
    assert (with_story["full_text"], with_story["body_text"], with_story["excerpt"]) == (True, BODY, "")
    assert with_story["body_html"] == f"<p>{BODY}</p>"
    cables = BODY.index("Engineers")
    assert with_story["summary"] == [{"text": BODY[: cables - 1], "spans": [[0, cables - 1]],
                                      "quotes": [BODY[: cables - 1]]}]  # fmt: skip
    # key points the summary already says are left out, as on the page
    assert with_story["key_points"] == [{"text": BODY[cables:], "spans": [[cables, len(BODY)]],
                                         "quotes": [BODY[cables:]]}]  # fmt: skip
    assert with_story["hashtags"] == [{"slug": "harbour-bridge", "label": "HarbourBridge"}]
    assert [(r["article"]["id"], r["reason"]) for r in with_story["related"]] == [(newsroom.second.pk, "Same story")]
    copy = with_story["also_published_by"]
    assert [(c["publisher"]["name"], c["url"]) for c in copy] == [("Harbour Times", "https://example.org/3")]
    assert with_story["story"] == {"id": newsroom.story.pk, "title": "Harbour bridge reopens"}
    assert with_story["comment_count"] == 1


def test_a_folded_copy_and_an_unknown_article_are_404_problems(client, newsroom):
    for path in (f"/api/articles/{newsroom.copy.pk}", "/api/articles/99999"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"type": "about:blank", "title": "Not Found", "status": 404,
                                   "detail": "There is nothing here (it may have been removed)."}  # fmt: skip


def test_top_stories_and_story_detail(client, newsroom, django_assert_num_queries):
    with django_assert_num_queries(3):  # stories, their coverage, the leads
        top = client.get("/api/stories").json()
    assert [(s["title"], s["publishers"], s["lead"]["title"]) for s in top] == [
        ("Harbour bridge reopens", ["Open Wire", "Harbour Times"], "Harbour bridge reopens")
    ]
    story = client.get(f"/api/stories/{newsroom.story.pk}").json()
    assert [a["title"] for a in story["timeline"]] == [
        "Harbour bridge reopens", "Harbour bridge reopens (copy)", "Bridge traffic returns"
    ]  # fmt: skip
    assert [(c["publisher"]["name"], [a["title"] for a in c["articles"]]) for c in story["coverage"]] == [
        ("Open Wire", ["Harbour bridge reopens"]),
        ("Harbour Times", ["Harbour bridge reopens (copy)", "Bridge traffic returns"]),
    ]
    assert story["timeline"][1]["duplicate_of"] == newsroom.first.pk
    assert story["briefing"]["points"][0]["publishers"]


def test_hashtags_trending_and_detail(client, newsroom, django_assert_num_queries):
    with django_assert_num_queries(1):
        trending = client.get("/api/hashtags").json()
    assert trending == [{"slug": "harbour-bridge", "label": "HarbourBridge", "recent_articles": 2}]
    detail = client.get("/api/hashtags/harbour-bridge").json()
    assert titles(detail["articles"]) == ["Bridge traffic returns", "Harbour bridge reopens"]
    assert client.get("/api/hashtags/nothing").status_code == 404


def test_publishers_with_counts(client, newsroom, django_assert_num_queries):
    with django_assert_num_queries(2):  # the article counts (kept a minute: they read every article), the rows
        publishers = client.get("/api/publishers").json()
    assert [(p["name"], p["article_count"], p["full_text"]) for p in publishers] == [
        ("Harbour Times", 5, False), ("Open Wire", 1, True)
    ]  # fmt: skip
    with django_assert_num_queries(1):
        assert client.get("/api/publishers").json() == publishers
    one = client.get("/api/publishers/open-wire").json()
    assert (one["licence"], one["article_count"]) == ("CC BY-ND 4.0", 1)


def test_search_finds_by_words_and_says_why_not(client, newsroom, django_assert_num_queries):
    with django_assert_num_queries(2):  # the ranked ids (then cached), the page's rows with snippets
        data = client.get("/api/search", {"q": "traffic returns"}).json()
    with django_assert_num_queries(1):
        assert client.get("/api/search", {"q": "traffic returns"}).json() == data
    assert [h["article"]["title"] for h in data["results"]] == ["Bridge traffic returns"]
    assert (data["page"], data["has_next"]) == (1, False)
    empty = client.get("/api/search", {"q": "-bridge"})
    assert empty.status_code == 400
    assert empty.json()["detail"] == (
        "Add at least one word to look for: a query of only -excluded words matches nothing."
    )


def test_ask_answers_from_the_article_or_says_why_not(client, newsroom):
    path = f"/api/articles/{newsroom.first.pk}/ask"
    ok = client.post(path, {"question": "How many steel cables were replaced?"}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["answered"] is True and "212 steel cables" in ok.json()["text"]
    assert ok.json()["quotes"] and "212 steel cables" in ok.json()["quotes"][0]
    empty = client.post(path, {"question": " "}, content_type="application/json")
    assert (empty.status_code, empty.json()["detail"]) == (400, "Type a question about the article.")
    broken = client.post(path, "not json", content_type="application/json")
    assert (broken.status_code, broken.json()["detail"]) == (400, "The request body is not valid JSON.")
    unknown = client.post("/api/articles/99999/ask", {"question": "Why?"}, content_type="application/json")
    assert unknown.status_code == 404


def test_detail_pages_take_a_fixed_number_of_queries(client, newsroom, django_assert_num_queries):
    for n in range(8, 14):  # more data of every kind must not mean more queries
        make_article(newsroom.times, n)
    # article (+ publisher, story), digest, related (+ publishers), copies, hashtags, comment count
    with django_assert_num_queries(6):
        client.get(f"/api/articles/{newsroom.first.pk}")
    with django_assert_num_queries(2):  # the hashtag, its first page of articles
        client.get("/api/hashtags/harbour-bridge")
    client.get(f"/api/stories/{newsroom.story.pk}")  # writes the briefing once
    # story, the timeline's count and page, the first reports, the briefing's articles, the stored briefing
    with django_assert_num_queries(6):
        client.get(f"/api/stories/{newsroom.story.pk}")


def test_ask_rate_limit_answers_429_with_retry_after(client, newsroom):
    started = time.time()
    responses = [
        client.post(f"/api/articles/{newsroom.first.pk}/ask", {"question": "How many steel cables were replaced?"},
                    content_type="application/json")
        for _ in range(7)
    ]  # fmt: skip
    elapsed = time.time() - started
    assert [r.status_code for r in responses] == [200] * 6 + [429]
    assert responses[-1]["Content-Type"] == "application/problem+json"
    assert responses[-1].json()["detail"] == (
        "You have asked many questions in a short time. Please wait a little and try again."
    )
    assert 60 - elapsed <= int(responses[-1]["Retry-After"]) <= 60
    assert AIOutput.objects.filter(kind=AIOutput.Kind.ANSWER).count() == 6
