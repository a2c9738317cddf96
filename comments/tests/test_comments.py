"""Comments over HTTP, both paths: form posts (redirect + message) and comments.js (JSON)."""

import json
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import User
from comments import actions
from comments.models import Comment, CommentReport, ModerationLog

from .conftest import JSON, make_article, signed_in

pytestmark = pytest.mark.django_db


def post(client, article, body, *, parent=None, **extra):
    data = {"body": body} if parent is None else {"body": body, "parent": parent.pk}
    return client.post(reverse("comment-post", args=[article.pk]), data, **extra)


def comment_by(user, article, body="A first comment.", **fields):
    return Comment.objects.create(article=article, author=user, body=body, **fields)


def backdate(comment, minutes):
    Comment.objects.filter(pk=comment.pk).update(created_at=comment.created_at - timedelta(minutes=minutes))


# ---------------------------------------------------------------- posting and replying


def test_post_redirects_to_the_comment_with_a_message_and_shows_it(alice, article):
    client = signed_in(alice)
    response = post(client, article, "The bridge was closed for two years.")
    comment = Comment.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/articles/{article.pk}/#comment-{comment.pk}")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Your comment is posted."]
    assert (comment.author, comment.body, comment.status, comment.author_ip) == (
        alice,
        "The bridge was closed for two years.",
        Comment.Status.VISIBLE,
        "127.0.0.1",
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'Comments (<span class="comment-count">1</span>)' in page
    assert "The bridge was closed for two years." in page
    assert "No comments yet..." not in page


def test_reply_is_indented_under_its_parent(alice, bob, article):
    parent = comment_by(alice, article)
    response = post(signed_in(bob), article, "A reply.", parent=parent)
    assert response.status_code == 302
    reply = Comment.objects.get(parent=parent)
    page = Client().get(article.get_absolute_url()).content.decode()
    replies = page.split(f'id="comment-{parent.pk}"')[1].split('class="replies"')[1].split("</ol>")[0]
    assert f'id="comment-{reply.pk}"' in replies
    assert 'Comments (<span class="comment-count">2</span>)' in page


def test_reply_to_a_reply_is_refused(alice, bob, article):
    parent = comment_by(alice, article)
    reply = comment_by(bob, article, "A reply.", parent=parent)
    response = post(signed_in(alice), article, "A reply to the reply.", parent=reply, **JSON)
    assert (response.status_code, response.json()) == (400, {"error": "You can reply only to a top-level comment."})
    assert Comment.objects.count() == 2


def test_reply_to_a_comment_on_another_article_is_refused(alice, article):
    elsewhere = comment_by(alice, make_article(2))
    response = post(signed_in(alice), article, "Lost reply.", parent=elsewhere, **JSON)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "The comment you replied to is not shown any more."},
    )


def test_anonymous_post_is_sent_to_sign_in_and_nothing_stored(article):
    response = post(Client(), article, "Hello", **JSON)
    assert (response.status_code, response.json()) == (403, {"error": "Sign in to comment."})
    assert Comment.objects.count() == 0


def test_banned_reader_cannot_post(alice, article):
    alice.is_banned = True
    alice.save()
    response = post(signed_in(alice), article, "Let me back in.", **JSON)
    assert (response.status_code, response.json()) == (403, {"error": "Your account can no longer post comments."})
    assert Comment.objects.count() == 0


def test_unknown_article_is_404(alice):
    response = signed_in(alice).post(reverse("comment-post", args=[999]), {"body": "x"}, **JSON)
    assert (response.status_code, response.json()) == (404, {"error": "This article does not exist."})


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Write something before posting."),
        ("  \n\u200b\u202e  ", "Write something before posting."),
        ("x" * 5001, "Comments can be at most 5000 characters long."),
        ("x" * 1_000_000, "Comments can be at most 5000 characters long."),
    ],
    ids=["empty", "only-invisible-characters", "one-over-the-limit", "one-megabyte"],
)
def test_bodies_out_of_bounds_are_refused_and_nothing_stored(alice, article, body, error):
    response = post(signed_in(alice), article, body, **JSON)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert Comment.objects.count() == 0


def test_one_megabyte_form_post_redirects_back_with_the_message(alice, article):
    response = post(signed_in(alice), article, "x" * 1_000_000)
    assert (response.status_code, response["Location"]) == (302, f"/articles/{article.pk}/#comment-form")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Comments can be at most 5000 characters long."]
    assert Comment.objects.count() == 0


def test_exactly_5000_characters_is_accepted(alice, article):
    assert post(signed_in(alice), article, "x" * 5000, **JSON).status_code == 201


# ---------------------------------------------------------------- hostile input


def test_script_tags_are_shown_escaped(alice, article):
    post(signed_in(alice), article, "<script>alert('x')</script> <img src=x onerror=alert(1)>")
    page = Client().get(article.get_absolute_url()).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;" in page


def test_zero_width_and_bidi_characters_are_stripped_before_storing(alice, article):
    post(signed_in(alice), article, "pay\u200bpal \u202egnp.exe\u202c is \u2066fine\u2069")
    assert Comment.objects.get().body == "paypal gnp.exe is fine"


def test_sql_looking_text_is_stored_literally(alice, article):
    body = "Robert'); DROP TABLE comments_comment;-- \" OR 1=1 --"
    post(signed_in(alice), article, body)
    assert Comment.objects.get().body == body
    assert article.comments.count() == 1


def test_links_are_clickable_with_nofollow_ugc(alice, article):
    post(signed_in(alice), article, "The council report is at https://example.org/report for anyone curious.")
    page = Client().get(article.get_absolute_url()).content.decode()
    assert '<a href="https://example.org/report" rel="nofollow ugc noopener">https://example.org/report</a>' in page


# ---------------------------------------------------------------- held comments


def test_duplicate_comment_is_held_and_logged(alice, article):
    client = signed_in(alice)
    post(client, article, "Great article, thanks!")
    response = post(client, article, "great  ARTICLE, thanks!", **JSON)
    assert response.status_code == 201
    assert response.json()["message"] == "Your comment awaits review by a moderator before others can see it."
    held = Comment.objects.get(status=Comment.Status.HELD)
    assert held.held_reason == "repeats a comment posted in the last 24 hours"
    log = ModerationLog.objects.get()
    assert (log.action, log.comment, log.target_user, log.actor) == (ModerationLog.Action.HOLD, held, alice, None)


def test_same_text_a_day_later_is_not_a_duplicate(alice, article):
    backdate(comment_by(alice, article, "Great article, thanks!"), 24 * 60 + 1)
    post(signed_in(alice), article, "Great article, thanks!")
    assert list(Comment.objects.values_list("status", flat=True)) == ["visible", "visible"]


def test_link_stuffed_comment_is_held_and_only_its_author_sees_it(alice, bob, article):
    body = "Deals: https://a.example/1 https://a.example/2 https://a.example/3 https://a.example/4"
    post(signed_in(alice), article, body)
    held = Comment.objects.get()
    assert (held.status, held.held_reason) == (Comment.Status.HELD, "4 links in one comment")
    own_page = signed_in(alice).get(article.get_absolute_url()).content.decode()
    assert "Awaiting review" in own_page and "https://a.example/4" in own_page
    assert 'Comments (<span class="comment-count">0</span>)' in own_page
    for other in (signed_in(bob), Client()):
        page = other.get(article.get_absolute_url()).content.decode()
        assert "https://a.example/4" not in page
        assert "No comments yet..." in page


# ---------------------------------------------------------------- rate limits


@pytest.fixture
def frozen_minute(monkeypatch):
    """Every post lands in the same minute's bucket, however long the test runs."""
    monkeypatch.setattr(actions, "_epoch", lambda: 1_800_000_000.0)


def test_sixth_comment_in_a_minute_is_refused(alice, article, frozen_minute):
    client = signed_in(alice)
    for n in range(5):
        assert post(client, article, f"Comment number {n}", **JSON).status_code == 201
    response = post(client, article, "Comment number 5", **JSON)
    assert (response.status_code, response.json()) == (
        429,
        {"error": "You have posted many comments in the last minute. Please wait a minute."},
    )
    assert Comment.objects.count() == 5


def test_rate_limit_counts_per_address_too(alice, bob, article, frozen_minute):
    for n in range(5):
        post(signed_in(alice), article, f"Comment number {n}", REMOTE_ADDR="203.0.113.7")
    refused = post(signed_in(bob), article, "Bob from the same address", REMOTE_ADDR="203.0.113.7", **JSON)
    assert refused.status_code == 429
    assert post(signed_in(bob), article, "Bob from elsewhere", REMOTE_ADDR="198.51.100.2", **JSON).status_code == 201
    assert Comment.objects.filter(author=bob).count() == 1


def test_fiftieth_comment_a_day_then_refused(alice, article, monkeypatch):
    day_start = 1_800_000_000 // 86_400 * 86_400
    client = signed_in(alice)
    statuses = []
    for n in range(51):
        monkeypatch.setattr(actions, "_epoch", lambda n=n: float(day_start + 60 * n))  # a new minute for every post
        statuses.append(post(client, article, f"Comment number {n}", REMOTE_ADDR=f"198.51.100.{n}", **JSON).status_code)
    assert statuses == [201] * 50 + [429]
    assert post(client, article, "x", **JSON).json() == {
        "error": "You have reached today's limit of comments. Please come back tomorrow."
    }


# ---------------------------------------------------------------- editing


def test_author_edits_within_15_minutes(alice, article):
    comment = comment_by(alice, article)
    backdate(comment, 14)
    response = signed_in(alice).post(reverse("comment-edit", args=[comment.pk]), {"body": "Corrected."})
    assert (response.status_code, response["Location"]) == (302, f"/articles/{article.pk}/#comment-{comment.pk}")
    comment.refresh_from_db()
    assert comment.body == "Corrected." and comment.edited_at is not None
    assert ">edited</span>" in Client().get(article.get_absolute_url()).content.decode()


def test_edit_after_15_minutes_is_refused(alice, article):
    comment = comment_by(alice, article)
    backdate(comment, 16)
    response = signed_in(alice).post(reverse("comment-edit", args=[comment.pk]), {"body": "Too late."}, **JSON)
    assert (response.status_code, response.json()) == (
        403,
        {"error": "You can edit a comment only in the first 15 minutes."},
    )
    comment.refresh_from_db()
    assert (comment.body, comment.edited_at) == ("A first comment.", None)


def test_edit_page_shows_a_form_to_the_author_only(alice, bob, article):
    comment = comment_by(alice, article)
    page = signed_in(alice).get(reverse("comment-edit", args=[comment.pk]))
    assert page.status_code == 200
    assert '<textarea id="edit-body" name="body" rows="6" maxlength="5000" required>A first comment.</textarea>' in (
        page.content.decode()
    )
    assert signed_in(bob).get(reverse("comment-edit", args=[comment.pk])).status_code == 403


def test_editing_into_link_stuffing_holds_the_comment(alice, article):
    comment = comment_by(alice, article)
    signed_in(alice).post(
        reverse("comment-edit", args=[comment.pk]),
        {"body": "https://a.example/1 https://a.example/2 https://a.example/3 https://a.example/4"},
    )
    comment.refresh_from_db()
    assert comment.status == Comment.Status.HELD
    assert ModerationLog.objects.get().note == "after an edit: 4 links in one comment"


# ---------------------------------------------------------------- deleting


def test_author_deletes_own_comment_row_kept_body_blanked(alice, bob, article):
    comment = comment_by(alice, article)
    comment_by(bob, article, "A reply.", parent=comment)
    response = signed_in(alice).post(reverse("comment-delete", args=[comment.pk]))
    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.status, comment.body) == (Comment.Status.DELETED, "")
    page = Client().get(article.get_absolute_url()).content.decode()
    assert (
        "Comment deleted" in page and "A reply." in page and 'Comments (<span class="comment-count">1</span>)' in page
    )
    assert ModerationLog.objects.count() == 0  # the author's own choice, not moderation


def test_deleted_comment_without_replies_disappears(alice, article):
    comment = comment_by(alice, article)
    signed_in(alice).post(reverse("comment-delete", args=[comment.pk]))
    page = Client().get(article.get_absolute_url()).content.decode()
    assert "Comment deleted" not in page and "No comments yet..." in page


@pytest.mark.parametrize("url_name", ["comment-edit", "comment-delete"])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_another_reader_cannot_edit_or_delete_my_comment(alice, bob, article, url_name, as_json):
    comment = comment_by(alice, article)
    extra = JSON if as_json else {}
    response = signed_in(bob).post(reverse(url_name, args=[comment.pk]), {"body": "Hijacked."}, **extra)
    assert response.status_code == 403
    comment.refresh_from_db()
    assert (comment.body, comment.status, comment.edited_at) == ("A first comment.", Comment.Status.VISIBLE, None)


def test_moderator_deleting_someone_elses_comment_is_logged(alice, moderator, article):
    comment = comment_by(alice, article, "Rude words.")
    assert signed_in(moderator).post(reverse("comment-delete", args=[comment.pk]), **JSON).status_code == 200
    log = ModerationLog.objects.get()
    assert (log.action, log.actor, log.target_user, log.note) == ("delete", moderator, alice, "Rude words.")


# ---------------------------------------------------------------- moderation on the page


def test_moderator_can_hide_and_readers_cannot(alice, bob, moderator, article):
    comment = comment_by(alice, article)
    assert signed_in(bob).post(reverse("comment-hide", args=[comment.pk]), **JSON).status_code == 403
    assert "Hide</button>" not in signed_in(bob).get(article.get_absolute_url()).content.decode()
    assert "Hide</button>" in signed_in(moderator).get(article.get_absolute_url()).content.decode()
    response = signed_in(moderator).post(reverse("comment-hide", args=[comment.pk]), **JSON)
    assert (response.status_code, response.json()["message"], response.json()["count"]) == (
        200,
        "The comment is hidden.",
        0,
    )
    comment.refresh_from_db()
    assert comment.status == Comment.Status.HIDDEN
    log = ModerationLog.objects.get()
    assert (log.action, log.actor, log.comment, log.target_user) == ("hide", moderator, comment, alice)


# ---------------------------------------------------------------- reports


def test_report_once_then_refused(alice, bob, article):
    comment = comment_by(alice, article)
    client = signed_in(bob)
    first = client.post(reverse("comment-report", args=[comment.pk]), {"reason": "spam"}, **JSON)
    assert (first.status_code, first.json()["message"]) == (200, "Thank you. A moderator will look at this comment.")
    second = client.post(reverse("comment-report", args=[comment.pk]), **JSON)
    assert (second.status_code, second.json()) == (400, {"error": "You have already reported this comment."})
    assert list(CommentReport.objects.values_list("reporter__username", "reason")) == [("bob", "spam")]
    assert "Report</button>" not in client.get(article.get_absolute_url()).content.decode()


def test_cannot_report_own_comment(alice, article):
    comment = comment_by(alice, article)
    response = signed_in(alice).post(reverse("comment-report", args=[comment.pk]), **JSON)
    assert (response.status_code, response.json()) == (403, {"error": "You cannot report your own comment."})
    assert CommentReport.objects.count() == 0


# ---------------------------------------------------------------- the JavaScript path


def test_json_post_returns_the_rendered_comment(alice, article):
    response = post(signed_in(alice), article, "Posted <b>without</b> a reload.", **JSON)
    comment = Comment.objects.get()
    data = response.json()
    assert response.status_code == 201 and response["Content-Type"] == "application/json"
    assert set(data) == {"html", "message", "id", "parent_id", "count"}
    assert (data["message"], data["id"], data["parent_id"], data["count"]) == (
        "Your comment is posted.",
        comment.pk,
        None,
        1,
    )
    assert data["html"].startswith(f'<article class="comment comment-visible" id="comment-{comment.pk}">')
    assert "Posted &lt;b&gt;without&lt;/b&gt; a reload." in data["html"]
    assert ">Edit</summary>" in data["html"] and "Report</button>" not in data["html"]


def test_json_reply_names_its_parent(alice, bob, article):
    parent = comment_by(alice, article)
    data = json.loads(post(signed_in(bob), article, "A reply.", parent=parent, **JSON).content)
    assert (data["parent_id"], data["count"]) == (parent.pk, 2)


def test_accept_json_alone_selects_the_json_path(alice, article):
    response = post(signed_in(alice), article, "Hello", HTTP_ACCEPT="application/json")
    assert response.status_code == 201 and response.json()["message"] == "Your comment is posted."


def test_csrf_is_enforced(alice, article):
    client = signed_in(alice, enforce_csrf_checks=True)
    comment = comment_by(alice, article)
    for url, data in (
        (reverse("comment-post", args=[article.pk]), {"body": "x"}),
        (reverse("comment-edit", args=[comment.pk]), {"body": "y"}),
        (reverse("comment-delete", args=[comment.pk]), {}),
        (reverse("comment-report", args=[comment.pk]), {}),
    ):
        assert client.post(url, data, **JSON).status_code == 403
    assert list(Comment.objects.values_list("body", "status")) == [("A first comment.", "visible")]


def test_get_is_not_allowed_on_post_only_urls(alice, article):
    assert signed_in(alice).get(reverse("comment-post", args=[article.pk])).status_code == 405


# ---------------------------------------------------------------- pages


def test_article_without_comments_says_so_and_invites_sign_in(article):
    page = Client().get(article.get_absolute_url()).content.decode()
    assert 'Comments (<span class="comment-count">0</span>)' in page
    assert '<p class="empty">No comments yet...</p>' in page
    assert "Sign in to comment</a>" in page
    assert 'id="comment-form"' not in page


def test_deleted_user_is_shown_as_such(alice, article):
    comment_by(alice, article)
    alice.delete()
    assert '<span class="author">deleted user</span>' in Client().get(article.get_absolute_url()).content.decode()


def test_home_shows_visible_comment_counts(alice, bob, article, django_assert_num_queries):
    quiet = make_article(2)
    comment_by(alice, article)
    comment_by(bob, article, "Second.")
    comment_by(bob, article, "Held.", status=Comment.Status.HELD)
    comment_by(bob, quiet, "Hidden.", status=Comment.Status.HIDDEN)
    with django_assert_num_queries(6):  # cold cache: the filter's most active publishers take two
        page = Client().get(reverse("home")).content.decode()
    assert f'<a class="comments-link" href="/articles/{article.pk}/#comments">2 comments</a>' in page
    assert f'href="/articles/{quiet.pk}/#comments"' not in page


# ---------------------------------------------------------------- admin


@pytest.fixture
def admin_client_for(db):
    staff = User.objects.create_superuser("root", "root@example.org", "a long password 9")
    client = Client()
    client.force_login(staff)
    return staff, client


def admin_action(client, action, comments):
    return client.post(
        reverse("admin:comments_comment_changelist"), {"action": action, "_selected_action": [c.pk for c in comments]}
    )


def test_admin_queue_lists_held_and_reported_first(alice, bob, article, admin_client_for):
    _staff, client = admin_client_for
    plain = comment_by(alice, article, "Plain comment.")
    reported = comment_by(alice, article, "Reported comment.")
    CommentReport.objects.create(comment=reported, reporter=bob)
    held = comment_by(alice, article, "Held comment.", status=Comment.Status.HELD)
    response = client.get(reverse("admin:comments_comment_changelist"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["cl"].result_list] == [held.pk, reported.pk, plain.pk]


def test_admin_actions_go_through_the_log(alice, bob, article, admin_client_for):
    staff, client = admin_client_for
    held = comment_by(alice, article, "Held.", status=Comment.Status.HELD)
    rude = comment_by(bob, article, "Rude.")
    assert admin_action(client, "approve", [held]).status_code == 302
    assert admin_action(client, "hide", [rude]).status_code == 302
    assert admin_action(client, "restore", [rude]).status_code == 302
    assert admin_action(client, "ban_author", [rude]).status_code == 302
    held.refresh_from_db()
    rude.refresh_from_db()
    bob.refresh_from_db()
    assert (held.status, rude.status, bob.is_banned) == ("visible", "visible", True)
    log = list(ModerationLog.objects.order_by("pk").values_list("action", "actor", "comment", "target_user"))
    assert log == [
        ("approve", staff.pk, held.pk, alice.pk),
        ("hide", staff.pk, rude.pk, bob.pk),
        ("restore", staff.pk, rude.pk, bob.pk),
        ("ban", staff.pk, rude.pk, bob.pk),
    ]


def test_moderation_log_is_read_only_in_the_admin(admin_client_for):
    _staff, client = admin_client_for
    assert client.get(reverse("admin:comments_moderationlog_changelist")).status_code == 200
    assert client.get(reverse("admin:comments_moderationlog_add")).status_code == 403
