"""The signed-in reader through the API: follows, mutes, saved articles, For You and comments, every write
through the apps' check_/do_ functions, every list with its query count pinned, writes rate-limited."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from comments.models import Comment, CommentReport
from readers.models import Follow, Mute, SavedArticle

from .seed import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(bearer):
    return Client(**bearer)


def test_me(app, newsroom):
    assert app.get("/api/me").json() == {"username": "reader", "email": "reader@example.org", "keep_history": True,
                                         "is_moderator": False, "can_comment": True}  # fmt: skip


def test_follow_and_unfollow_each_kind(app, newsroom, django_assert_num_queries):
    assert app.put("/api/me/follows/publisher/open-wire").json()["name"] == "Open Wire"
    assert app.put("/api/me/follows/hashtag/harbour-bridge").json()["name"] == "#HarbourBridge"
    again = app.put(f"/api/me/follows/story/{newsroom.story.pk}")
    assert again.json() == app.put(f"/api/me/follows/story/{newsroom.story.pk}").json()  # idempotent
    with django_assert_num_queries(2):  # token, follows with their targets
        follows = app.get("/api/me/follows").json()
    assert [(f["kind"], f["key"]) for f in follows] == [
        ("story", str(newsroom.story.pk)), ("hashtag", "harbour-bridge"), ("publisher", "open-wire")
    ]  # fmt: skip
    assert app.delete("/api/me/follows/publisher/open-wire").status_code == 204
    assert Follow.objects.filter(user=newsroom.reader).count() == 2
    assert app.put("/api/me/follows/story/not-a-number").status_code == 404
    assert app.put("/api/me/follows/hashtag/nothing").json()["detail"] == "There is no hashtag 'nothing'."
    assert app.put("/api/me/follows/reader/someone").status_code == 422


def test_mutes(app, newsroom, django_assert_num_queries):
    assert app.put("/api/me/mutes/hashtag/harbour-bridge").status_code == 200
    with django_assert_num_queries(2):
        assert [m["key"] for m in app.get("/api/me/mutes").json()] == ["harbour-bridge"]
    assert app.put(f"/api/me/mutes/story/{newsroom.story.pk}").status_code == 422  # stories cannot be muted
    assert app.delete("/api/me/mutes/hashtag/harbour-bridge").status_code == 204
    assert not Mute.objects.exists()


def test_saved_articles_page_by_when_they_were_saved(app, newsroom, django_assert_num_queries):
    for article in (newsroom.second, newsroom.first):
        assert app.put(f"/api/me/saved/{article.pk}").status_code == 200
    SavedArticle.objects.filter(article=newsroom.second).update(saved_at=timezone.now() - timedelta(hours=1))
    with django_assert_num_queries(2):
        page1 = app.get("/api/me/saved?limit=1").json()
    assert [s["article"]["title"] for s in page1["results"]] == ["Harbour bridge reopens"]
    page2 = app.get(f"/api/me/saved?limit=1&cursor={page1['next_cursor']}").json()
    assert ([s["article"]["title"] for s in page2["results"]], page2["next_cursor"]) == (
        ["Bridge traffic returns"],
        None,
    )
    assert app.put(f"/api/me/saved/{newsroom.copy.pk}").status_code == 404  # a folded copy has no page
    assert app.delete(f"/api/me/saved/{newsroom.first.pk}").status_code == 204


def test_for_you_gives_a_reason_for_each_article(app, newsroom, django_assert_num_queries):
    app.put("/api/me/follows/publisher/harbour-times")
    make_article(newsroom.times, 60, title="Ferry timetable changes", hours_ago=2)
    with django_assert_num_queries(8):  # token, then For You's own (load_interests, candidates, articles)
        items = app.get("/api/me/for-you").json()
    assert {i["article"]["title"]: i["reason"] for i in items}["Ferry timetable changes"] == "You follow Harbour Times"


def test_comments_read_post_edit_report_delete(client, app, newsroom, django_assert_num_queries):
    path = f"/api/articles/{newsroom.first.pk}/comments"
    with django_assert_num_queries(2):  # article, comments with authors (anonymous: no reports to look up)
        listed = client.get(path).json()
    assert listed["count"] == 1
    assert listed["threads"][0]["comment"]["body"] == "Finally, a way across the water."
    assert listed["threads"][0]["comment"]["can_report"] is False  # anonymous

    posted = app.post(path, {"body": "Took the bus over it today."}, content_type="application/json")
    assert posted.status_code == 201
    mine = posted.json()["comment"]
    assert (posted.json()["message"], mine["author"], mine["can_edit"]) == ("Your comment is posted.", "reader", True)
    reply = app.post(path, {"body": "Agreed!", "parent_id": newsroom.comment.pk}, content_type="application/json")
    assert reply.json()["comment"]["parent_id"] == newsroom.comment.pk

    edited = app.patch(
        f"/api/comments/{mine['id']}", {"body": "Took the bus over it."}, content_type="application/json"
    )
    assert (edited.status_code, edited.json()["comment"]["body"]) == (200, "Took the bus over it.")
    not_mine = app.patch(f"/api/comments/{newsroom.comment.pk}", {"body": "x"}, content_type="application/json")
    assert (not_mine.status_code, not_mine.json()["detail"]) == (403, "You can edit only your own comments.")

    reported = app.post(f"/api/comments/{newsroom.comment.pk}/reports", {"reason": "spam"},
                        content_type="application/json")  # fmt: skip
    assert reported.status_code == 201 and CommentReport.objects.filter(reporter=newsroom.reader).count() == 1
    twice = app.post(f"/api/comments/{newsroom.comment.pk}/reports", {}, content_type="application/json")
    assert (twice.status_code, twice.json()["detail"]) == (400, "You have already reported this comment.")

    assert app.delete(f"/api/comments/{mine['id']}").status_code == 204
    assert Comment.objects.get(pk=mine["id"]).status == Comment.Status.DELETED
    assert app.delete("/api/comments/99999").status_code == 404
    empty = app.post(path, {"body": "   "}, content_type="application/json")
    assert (empty.status_code, empty.json()["detail"]) == (400, "Write something before posting.")
    anonymous = client.post(path, {"body": "Hello"}, content_type="application/json")
    assert anonymous.status_code == 401


def test_comment_limits_answer_429_with_retry_after(app, newsroom):
    path = f"/api/articles/{newsroom.first.pk}/comments"
    for n in range(5):
        assert app.post(path, {"body": f"Comment number {n}"}, content_type="application/json").status_code == 201
    refused = app.post(path, {"body": "One too many"}, content_type="application/json")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json()["detail"] == "You have posted many comments in the last minute. Please wait a minute."


def test_writes_are_rate_limited_per_reader_with_the_time_to_wait(app, newsroom):
    for _ in range(30):
        assert app.put(f"/api/me/saved/{newsroom.first.pk}").status_code == 200
    refused = app.put(f"/api/me/saved/{newsroom.first.pk}")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json() == {"type": "about:blank", "title": "Too Many Requests", "status": 429,
                              "detail": "Too many changes in a short time. Please wait and try again."}  # fmt: skip
