"""Comments in a real browser: sign up, comment, reply, edit, report and hide, through comments.js (no reload).

Runs Debian's Chromium (/usr/bin/chromium) with sync Playwright against pytest-django's live server; a missing
browser fails the test, it never skips. Screenshots of every step go to test-artifacts/browser/ (git-ignored).
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from articles.models import Article
from comments.models import Comment, CommentReport
from sources.models import Publisher
from web.tests.browser import browser  # noqa: F401 - the Chromium fixture, shared

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
TIMEOUT_MS = 10_000

FIRST_TEXT = "The new bridge deck looks solid; I walked it this morning."
REPLY_TEXT = "Same here, the cycle lane is much wider now."
EDITED_TEXT = "The new bridge deck looks solid; I walked across it this morning."
READER_PASSWORD = "correct horse battery staple 41"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _new_page(browser, live_server):  # noqa: F811 - the fixture, passed on
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return context, page


def _sign_in(page, username: str, password: str, next_path: str) -> None:
    page.goto(f"/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form.account-form button[type=submit]")
    assert page.url.endswith(next_path), page.url


def _mark_window(page) -> None:
    page.evaluate("window.__noReload = 'still here'")


def _assert_no_reload(page, url: str) -> None:
    assert page.evaluate("window.__noReload") == "still here", "the page reloaded or navigated"
    assert page.url == url


def _status(page):
    return page.locator("#comments .comments-status")


@pytest.mark.django_db(transaction=True)
def test_comment_life_in_a_browser(browser, live_server):  # noqa: F811 - the shared fixture
    publisher = Publisher.objects.create(name="Harbour Times", slug="harbour-times", licence="CC BY 4.0")
    article = Article.objects.create(
        publisher=publisher,
        url="https://example.org/bridge",
        canonical_url="https://example.org/bridge",
        url_hash="hash-browser-bridge",
        title="Bridge reopens after repairs",
        body_text="The harbour bridge reopened on Monday after eight months of repairs. " * 5,
        published_at=timezone.now() - timedelta(hours=2),
        status=Article.Status.READY,
    )
    User.objects.create_user("mona", "mona@example.org", "moderator password 77", role=User.Role.MODERATOR)
    User.objects.create_user("bob", "bob@example.org", "reporter password 88")
    path = f"/articles/{article.pk}/"
    url = f"{live_server.url}{path}"

    # 1. Sign up through the form; `next` brings the new reader back to the article.
    alice_ctx, page = _new_page(browser, live_server)
    page.goto(f"/signup/?next={path}")
    page.fill("#id_username", "alice")
    page.fill("#id_email", "alice@example.org")
    page.fill("#id_password1", READER_PASSWORD)
    page.fill("#id_password2", READER_PASSWORD)
    _shot(page, "01-signup.png")
    with page.expect_navigation():
        page.click("form.account-form button[type=submit]")
    assert page.url == url
    comments = page.locator("#comments")
    assert comments.locator("h2").inner_text() == "Comments (0)"
    assert comments.locator("p.empty").inner_text() == "No comments yet..."
    _shot(page, "02-article.png")

    # 2. Post a comment: it appears without a reload.
    _mark_window(page)
    page.fill("#comment-body", FIRST_TEXT)
    page.click("#comment-form button[type=submit]")
    first = comments.locator(".comment-list > li.thread > article.comment").first
    first.wait_for()
    assert first.locator(".comment-body").inner_text() == FIRST_TEXT
    assert _status(page).inner_text() == "Your comment is posted."
    assert comments.locator("h2").inner_text() == "Comments (1)"
    assert comments.locator("p.empty").count() == 0
    assert page.input_value("#comment-body") == ""
    _assert_no_reload(page, url)
    comment_id = int(first.get_attribute("id").removeprefix("comment-"))
    assert Comment.objects.get(pk=comment_id).body == FIRST_TEXT
    _shot(page, "03-commented.png")

    # 3. Reply: the reply sits in the thread's indented reply list, under the comment.
    first.locator("details.reply > summary").click()
    first.locator(f"#reply-{comment_id}").fill(REPLY_TEXT)
    first.locator("details.reply button[type=submit]").click()
    thread = comments.locator(".comment-list > li.thread").first
    reply = thread.locator("ol.replies > li > article.comment")
    reply.wait_for()
    assert reply.locator(".comment-body").inner_text() == REPLY_TEXT
    assert _status(page).inner_text() == "Your comment is posted."
    assert comments.locator("h2").inner_text() == "Comments (2)"
    reply_box, first_box = reply.bounding_box(), first.bounding_box()
    assert reply_box["y"] > first_box["y"], "the reply is not below the comment"
    assert reply_box["x"] > first_box["x"], "the reply is not indented"
    assert first.locator("details.reply").evaluate("d => d.open") is False
    _assert_no_reload(page, url)
    reply_id = int(reply.get_attribute("id").removeprefix("comment-"))
    assert Comment.objects.get(pk=reply_id).parent_id == comment_id
    _shot(page, "04-replied.png")

    # 4. Edit the comment in place: the body changes and the "edited" mark appears.
    assert first.locator(".edited").count() == 0
    first.locator("details.edit > summary").click()
    first.locator(f"#edit-{comment_id}").fill(EDITED_TEXT)
    first.locator("details.edit button[type=submit]").click()
    first.locator(".edited").wait_for()
    assert first.locator(".edited").inner_text() == "edited"
    assert first.locator(".comment-body").inner_text() == EDITED_TEXT
    assert _status(page).inner_text() == "Your comment is saved."
    assert comments.locator("h2").inner_text() == "Comments (2)"
    # A reader cannot report their own comment: the page offers no Report button on it.
    assert first.locator("form[data-kind=report]").count() == 0
    _assert_no_reload(page, url)
    assert Comment.objects.get(pk=comment_id).body == EDITED_TEXT
    _shot(page, "05-edited.png")

    # 5. A second reader reports the comment (confirm() accepted).
    bob_ctx, bob = _new_page(browser, live_server)
    _sign_in(bob, "bob", "reporter password 88", path)
    _mark_window(bob)
    bob_first = bob.locator(f"#comment-{comment_id}")
    assert bob_first.locator(".comment-body").inner_text() == EDITED_TEXT
    assert bob_first.locator(".edited").inner_text() == "edited"
    assert bob_first.locator("form[data-kind=edit]").count() == 0
    assert bob_first.locator("form[data-kind=hide]").count() == 0
    bob_first.locator("form[data-kind=report] button").click()
    expect_text = "Thank you. A moderator will look at this comment."
    bob.wait_for_function(
        "text => document.querySelector('#comments .comments-status').textContent === text", arg=expect_text
    )
    assert _status(bob).inner_text() == expect_text
    assert bob.locator(f"#comment-{comment_id} form[data-kind=report]").count() == 0  # reported once
    _assert_no_reload(bob, url)
    assert CommentReport.objects.filter(comment_id=comment_id, reporter__username="bob").count() == 1
    _shot(bob, "06-reported.png")
    bob_ctx.close()

    # 6. The moderator hides the comment from the page (confirm() accepted).
    mona_ctx, mona = _new_page(browser, live_server)
    _sign_in(mona, "mona", "moderator password 77", path)
    _mark_window(mona)
    mona.locator(f"#comment-{comment_id} form[data-kind=hide] button").click()
    hidden = mona.locator(f"#comment-{comment_id}")
    hidden.locator("p.placeholder").wait_for()
    assert hidden.locator("p.placeholder").inner_text() == "Comment hidden by a moderator"
    assert hidden.locator(".comment-body").count() == 0
    assert _status(mona).inner_text() == "The comment is hidden."
    assert mona.locator("#comments h2").inner_text() == "Comments (1)"
    _assert_no_reload(mona, url)
    assert Comment.objects.get(pk=comment_id).status == Comment.Status.HIDDEN
    assert not CommentReport.objects.filter(comment_id=comment_id, resolved=False).exists()
    _shot(mona, "07-hidden-by-moderator.png")
    mona_ctx.close()

    # 7. The author reloads: the comment is a placeholder, its reply stays in place under it.
    page.reload()
    thread = page.locator("#comments .comment-list > li.thread").first
    assert thread.locator(f"#comment-{comment_id} p.placeholder").inner_text() == "Comment hidden by a moderator"
    assert EDITED_TEXT not in page.locator("#comments").inner_text()
    assert thread.locator(f"ol.replies > li > #comment-{reply_id} .comment-body").inner_text() == REPLY_TEXT
    assert page.locator("#comments h2").inner_text() == "Comments (1)"
    assert page.locator(f"#comment-{comment_id} form").count() == 0  # no edit, delete or reply on it any more
    _shot(page, "08-author-sees-hidden.png")
    alice_ctx.close()
