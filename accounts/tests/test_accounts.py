"""Readers' accounts: sign up, sign in with throttling, password reset and change, deletion, history opt-out."""

import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import throttle
from accounts.models import User
from articles.models import Article
from comments.models import Comment
from sources.models import Publisher

pytestmark = pytest.mark.django_db

PASSWORD = "harbour-bridge-cables-212"
TOO_MANY = "Too many failed sign-in attempts. Try again in 15 minutes."
WRONG_LOGIN = "That username and password don&#x27;t match. Check them and try again."


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """MD5 keeps tests quick. (Throttle counters live in the database, which each test starts empty.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ada():
    return User.objects.create_user("ada", email="ada@example.org", password=PASSWORD)


def signup_data(**overrides):
    return {"username": "grace", "email": "grace@example.org", "password1": PASSWORD, "password2": PASSWORD,
            **overrides}  # fmt: skip


def field_errors(response, field):
    return response.context["form"].errors.get(field, [])


def make_comment(author, body="The cables were replaced, not repaired.", parent=None):
    publisher, _ = Publisher.objects.get_or_create(name="Harbour Times", defaults={"slug": "harbour-times"})
    article, _ = Article.objects.get_or_create(
        url_hash="harbour-1",
        defaults={"publisher": publisher, "url": "https://example.org/1", "canonical_url": "https://example.org/1",
                  "title": "Bridge reopens", "status": Article.Status.READY, "published_at": timezone.now()},
    )  # fmt: skip
    return Comment.objects.create(article=article, author=author, body=body, parent=parent)


# Sign up


def test_sign_up_creates_the_account_and_signs_the_reader_in(client):
    response = client.post("/signup/", signup_data())
    assert response.status_code == 302
    assert response["Location"] == "/"
    grace = User.objects.get(username="grace")
    assert grace.email == "grace@example.org"
    assert grace.role == User.Role.READER
    assert grace.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(grace.pk)
    page = client.get("/account/")
    assert page.status_code == 200
    assert b"Welcome to Tidings, grace. You are signed in." in page.content


def test_sign_up_follows_a_safe_next_and_ignores_another_site(client):
    assert client.post("/signup/?next=/publishers/", signup_data())["Location"] == "/publishers/"
    other = Client()
    response = other.post("/signup/?next=https://evil.example/", signup_data(username="lin", email="lin@example.org"))
    assert response["Location"] == "/"


def test_sign_up_refuses_an_email_already_used_in_any_case(client, ada):
    response = client.post("/signup/", signup_data(email="ADA@Example.org"))
    assert response.status_code == 200
    assert field_errors(response, "email") == [
        "An account with this email address already exists. Sign in, or reset your password if you have forgotten it."
    ]
    assert b"An account with this email address already exists." in response.content
    assert not User.objects.filter(username="grace").exists()


def test_sign_up_refuses_a_username_taken_in_another_case(client, ada):
    response = client.post("/signup/", signup_data(username="ADA"))
    assert response.status_code == 200
    assert field_errors(response, "username") == ["That username is taken. Try another one."]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("1234567890123", "This password is entirely numeric."),
    ],
    ids=["too-short", "common", "numeric"],
)
def test_sign_up_refuses_a_weak_password(client, password, message):
    response = client.post("/signup/", signup_data(password1=password, password2=password))
    assert response.status_code == 200
    assert message in field_errors(response, "password2")
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_sign_up_refuses_two_different_passwords(client):
    response = client.post("/signup/", signup_data(password2=PASSWORD + "x"))
    assert field_errors(response, "password2") == ["The two passwords don't match. Type the same password twice."]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("a" * (1024 * 1024), "Usernames can be at most 150 characters long."),
        ("<script>alert(1)</script>",
         "Usernames can only contain letters, digits and the characters @ . + - _ (no spaces)."),
        ("", "Choose a username."),
    ],
    ids=["one-megabyte", "script-tags", "empty"],
)  # fmt: skip
def test_sign_up_refuses_hostile_usernames_with_a_clear_message(client, username, message):
    response = client.post("/signup/", signup_data(username=username))
    assert response.status_code == 200
    assert field_errors(response, "username") == [message]
    assert not User.objects.exists()
    assert b"<script>alert(1)</script>" not in response.content


def test_sign_up_refuses_a_one_megabyte_password(client):
    huge = "x" * (1024 * 1024)
    response = client.post("/signup/", signup_data(password1=huge, password2=huge))
    assert response.status_code == 200
    assert field_errors(response, "password1") == ["Passwords can be at most 1000 characters long."]
    assert not User.objects.exists()


def test_sign_up_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/signup/", signup_data())
    assert response.status_code == 403
    assert not User.objects.exists()


def test_sign_up_page_carries_a_csrf_token(client):
    response = client.get("/signup/")
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/signup/", "Create an account"),
        ("/login/", "Sign in"),
        ("/password-reset/", "Reset your password"),
        ("/password-reset/sent/", "Check your email"),
        ("/password-reset/complete/", "Password changed"),
        ("/password-reset/MQ/not-a-token/", "This link no longer works"),
    ],
)
def test_public_pages_render(client, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>".encode() in response.content


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/account/", "Your account"),
        ("/account/password/", "Change your password"),
        ("/account/password/done/", "Password changed"),
        ("/account/delete/", "Delete your account"),
    ],
)
def test_account_pages_render_for_a_signed_in_reader(client, ada, url, heading):
    client.force_login(ada)
    response = client.get(url)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>".encode() in response.content


def test_signed_in_reader_visiting_sign_up_or_sign_in_goes_to_their_account_or_home(client, ada):
    client.force_login(ada)
    assert client.get("/signup/")["Location"] == "/account/"
    assert client.get("/login/")["Location"] == "/"


# Sign in and out


def test_sign_in_with_the_right_password(client, ada):
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(ada.pk)


def test_sign_in_with_a_wrong_password_says_so(client, ada):
    response = client.post("/login/", {"username": "ada", "password": "wrong-password-1"})
    assert response.status_code == 200
    assert WRONG_LOGIN.encode() in response.content
    assert "_auth_user_id" not in client.session


def test_nav_shows_sign_in_links_then_the_account_and_a_sign_out_form(client, ada):
    page = client.get("/login/").content.decode()
    assert '<a href="/login/">Sign in</a> / <a href="/signup/">Create account</a>' in page
    client.force_login(ada)
    page = client.get("/account/").content.decode()
    assert '<span class="account-name">ada</span>' in page
    assert re.search(r'<form class="signout" method="post" action="/logout/"><input type="hidden" '
                     r'name="csrfmiddlewaretoken"', page)  # fmt: skip


def test_sign_out_by_get_is_not_allowed(client, ada):
    client.force_login(ada)
    assert client.get("/logout/").status_code == 405
    assert client.session["_auth_user_id"] == str(ada.pk)


def test_sign_out_by_post(client, ada):
    client.force_login(ada)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_a_signed_in_reader_stays_signed_in_when_the_cache_is_cleared_and_out_once_signed_out(client, ada):
    """Sessions are read from the cache but kept in the database: a cleared cache (a Redis restart) signs
    nobody out, and signing out leaves nothing in either to sign back in with."""
    from django.core.cache import cache

    assert client.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 302
    cookie = client.cookies["sessionid"].value
    cache.clear()
    assert '<span class="account-name">ada</span>' in client.get("/account/").content.decode()
    client.post("/logout/")
    client.cookies["sessionid"] = cookie  # the old cookie, kept by someone who copied it
    assert client.get("/account/")["Location"].startswith("/login/")


# Throttling


def fail(client, username="ada", n=1):
    for _ in range(n):
        response = client.post("/login/", {"username": username, "password": "wrong-password-1"})
        assert response.status_code == 200


def test_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(client, ada):
    fail(client, n=5)
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [TOO_MANY]
    assert TOO_MANY.encode() in response.content
    assert "_auth_user_id" not in client.session


def test_throttle_counts_the_username_in_any_case_and_from_another_address(ada):
    fail(Client(REMOTE_ADDR="203.0.113.1"), username="ADA", n=5)
    response = Client(REMOTE_ADDR="203.0.113.2").post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.context["form"].non_field_errors() == [TOO_MANY]


def test_sign_in_works_again_after_the_window(client, ada, monkeypatch):
    fail(client, n=5)
    later = throttle.clock() + throttle.WINDOW_SECONDS + 1
    monkeypatch.setattr(throttle, "clock", lambda: later)
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ada.pk)


def test_a_successful_sign_in_forgives_earlier_failures(client, ada):
    fail(client, n=4)
    assert client.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    fail(client, n=4)
    assert client.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 302


def test_one_address_trying_many_usernames_is_refused(ada):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(throttle.FAILURES_PER_ADDRESS):
        fail(client, username=f"reader{n}")
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.context["form"].non_field_errors() == [TOO_MANY]
    elsewhere = Client(REMOTE_ADDR="198.51.100.8")
    assert elsewhere.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 302


def test_admin_sign_in_obeys_the_same_throttle(client):
    User.objects.create_superuser("root", email="root@example.org", password=PASSWORD)
    fail(client, username="root", n=5)
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 200
    assert TOO_MANY.encode() in response.content
    assert admin_site.login_form.__name__ == "ThrottledAdminAuthenticationForm"


# Passwords


def test_password_reset_email_link_sets_a_new_password(client, ada):
    response = client.post("/password-reset/", {"email": "ADA@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your Tidings password"
    assert message.to == ["ada@example.org"]
    link = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert b"Choose a new password" in form_page.content
    new = "a-brand-new-passphrase-9"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert done["Location"] == "/password-reset/complete/"
    ada.refresh_from_db()
    assert ada.check_password(new)
    assert b"This link no longer works" in client.get(link, follow=True).content


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post("/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


# Password reset throttling

TOO_MANY_RESETS = "Too many password reset requests. Try again in an hour."


def ask_reset(email, address="192.0.2.1"):
    return Client(REMOTE_ADDR=address).post("/password-reset/", {"email": email})


def assert_sent(response):
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"


def assert_refused(response):
    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == [TOO_MANY_RESETS]
    assert TOO_MANY_RESETS.encode() in response.content
    assert b"Reset your password" in response.content


def test_fourth_reset_request_for_one_email_within_the_hour_sends_nothing_and_says_why(ada):
    for n, email in enumerate(["ada@example.org", "ADA@example.org", "Ada@Example.org"]):
        assert_sent(ask_reset(email, address=f"203.0.113.{n + 1}"))
    assert len(mail.outbox) == 3

    assert_refused(ask_reset("ada@example.org", address="203.0.113.9"))
    assert len(mail.outbox) == 3


def test_a_limited_email_does_not_stop_resets_for_another(ada):
    User.objects.create_user("grace", email="grace@example.org", password=PASSWORD)
    for _ in range(throttle.RESETS_PER_EMAIL):
        assert_sent(ask_reset("ada@example.org"))
    assert_refused(ask_reset("ada@example.org"))

    assert_sent(ask_reset("grace@example.org"))
    assert [message.to for message in mail.outbox] == [["ada@example.org"]] * 3 + [["grace@example.org"]]


def test_one_client_address_asking_for_many_emails_is_refused(ada):
    for n in range(throttle.RESETS_PER_ADDRESS):
        assert_sent(ask_reset(f"reader{n}@example.org", address="198.51.100.7"))
    assert_refused(ask_reset("ada@example.org", address="198.51.100.7"))
    assert mail.outbox == []

    assert_sent(ask_reset("ada@example.org", address="198.51.100.8"))
    assert [message.to for message in mail.outbox] == [["ada@example.org"]]


def test_the_reset_window_slides_and_refused_requests_do_not_count(ada, monkeypatch):
    start = throttle.clock()
    hour = throttle.RESET_WINDOW_SECONDS

    def ask_at(seconds):
        monkeypatch.setattr(throttle, "clock", lambda: start + seconds)
        return ask_reset("ada@example.org")

    for seconds in (0, 20 * 60, 40 * 60):
        assert_sent(ask_at(seconds))
    assert_refused(ask_at(hour - 1))  # all three are still within the hour
    assert_sent(ask_at(hour + 1))  # the first has left the window; the refusal above was not counted
    assert_refused(ask_at(hour + 2))  # 20 min, 40 min and just now
    assert_sent(ask_at(hour + 20 * 60 + 1))
    assert len(mail.outbox) == 5


def test_an_unknown_email_is_limited_exactly_like_a_known_one(ada):
    known = [ask_reset("ada@example.org", address="203.0.113.1") for _ in range(4)]
    unknown = [ask_reset("nobody@example.org", address="203.0.113.2") for _ in range(4)]

    for answers in (known, unknown):
        for response in answers[:3]:
            assert_sent(response)
        assert_refused(answers[3])
    assert [message.to for message in mail.outbox] == [["ada@example.org"]] * 3


def test_change_password(client, ada):
    client.force_login(ada)
    new = "a-brand-new-passphrase-9"
    data = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    response = client.post("/account/password/", data)
    assert response.status_code == 302
    assert response["Location"] == "/account/password/done/"
    ada.refresh_from_db()
    assert ada.check_password(new)
    assert client.get("/account/").status_code == 200  # still signed in


def test_change_password_needs_the_old_one(client, ada):
    client.force_login(ada)
    new = "a-brand-new-passphrase-9"
    response = client.post("/account/password/", {"old_password": "wrong", "new_password1": new, "new_password2": new})
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"] == [
        "Your old password was entered incorrectly. Please enter it again."
    ]


# Account page, history, deletion


def test_account_page_needs_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/account/"


def test_reading_history_toggle(client, ada):
    client.force_login(ada)
    response = client.post("/account/reading-history/", {"keep_history": "0"}, follow=True)
    assert b"Tidings will no longer remember which articles you open." in response.content
    ada.refresh_from_db()
    assert ada.keep_history is False
    client.post("/account/reading-history/", {"keep_history": "1"})
    ada.refresh_from_db()
    assert ada.keep_history is True
    assert client.get("/account/reading-history/").status_code == 405


def test_delete_account_keeping_comments(client, ada):
    mine = make_comment(ada)
    reply = make_comment(User.objects.create_user("lin", password=PASSWORD), body="Source?", parent=mine)
    client.force_login(ada)
    response = client.post("/account/delete/", {"password": PASSWORD, "comments": "keep"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not User.objects.filter(username="ada").exists()
    mine.refresh_from_db()
    assert (mine.author, mine.body, mine.status) == (None, "The cables were replaced, not repaired.", "visible")
    reply.refresh_from_db()
    assert reply.parent_id == mine.pk
    assert "_auth_user_id" not in client.session


def test_delete_account_removing_comments(client, ada):
    mine = make_comment(ada)
    reply = make_comment(User.objects.create_user("lin", password=PASSWORD), body="Source?", parent=mine)
    client.force_login(ada)
    response = client.post("/account/delete/", {"password": PASSWORD, "comments": "remove"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.author, mine.body, mine.status) == (None, "", Comment.Status.DELETED)
    reply.refresh_from_db()
    assert (reply.body, reply.parent_id, reply.author.username) == ("Source?", mine.pk, "lin")
    assert "_auth_user_id" not in client.session


def test_delete_account_refuses_a_wrong_password(client, ada):
    mine = make_comment(ada)
    client.force_login(ada)
    response = client.post("/account/delete/", {"password": "not-it", "comments": "remove"})
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [
        "That isn't your password. Your account has not been deleted."
    ]
    assert User.objects.filter(pk=ada.pk).exists()
    mine.refresh_from_db()
    assert mine.body == "The cables were replaced, not repaired."


def test_delete_account_needs_a_choice_about_comments(client, ada):
    client.force_login(ada)
    response = client.post("/account/delete/", {"password": PASSWORD})
    assert response.context["form"].errors["comments"] == ["Choose what happens to your comments."]
    assert User.objects.filter(pk=ada.pk).exists()


# Roles and admin


def test_moderator_role_and_staff_are_moderators(ada):
    assert ada.is_moderator is False
    ada.role = User.Role.MODERATOR
    assert ada.is_moderator is True
    assert User(username="editor", is_staff=True).is_moderator is True


def test_admin_lists_users_and_makes_moderators(client, ada):
    root = User.objects.create_superuser("root", email="root@example.org", password=PASSWORD)
    client.force_login(root)
    listing = client.get("/admin/accounts/user/?role__exact=reader")
    assert listing.status_code == 200
    assert b"Keep history" in listing.content
    response = client.post("/admin/accounts/user/", {"action": "make_moderator", "_selected_action": [ada.pk]})
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.role == User.Role.MODERATOR
    assert client.get("/admin/accounts/user/add/").status_code == 200
