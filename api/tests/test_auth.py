"""Tokens for apps (made and revoked on the account page, stored hashed) and the site's session with CSRF."""

import hashlib
import re

import pytest
from django.test import Client

from accounts.models import ApiToken

from .seed import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_token_made_on_the_account_page_is_shown_once_stored_hashed_and_revocable(client, newsroom):
    client.force_login(newsroom.reader)
    made = client.post("/account/api-tokens/", {"name": "  My   tablet "})
    assert made.status_code == 200
    token = re.search(r'value="(tid_[A-Za-z0-9_-]+)"', made.content.decode()).group(1)
    row = ApiToken.objects.get(user=newsroom.reader, name="My tablet")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not ApiToken.objects.filter(token_hash=token).exists()
    page = client.get("/account/").content.decode()
    assert token not in page and f"{token[:10]}…" in page and "My tablet" in page

    app = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert app.get("/api/me").json()["username"] == "reader"
    assert client.post(f"/account/api-tokens/{row.pk}/revoke/").status_code == 302
    refused = app.get("/api/me")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="tidings"'
    assert refused.json()["title"] == "Unauthorized"


def test_a_token_needs_a_name_and_only_its_owner_can_revoke_it(client, newsroom):
    client.force_login(newsroom.reader)
    unnamed = client.post("/account/api-tokens/", {"name": "   "})
    assert unnamed.status_code == 400
    assert "Give the token a name, such as the device it is for." in unnamed.content.decode()
    theirs = ApiToken.objects.get(user=newsroom.reader)
    other = Client()
    other.login(username="other", password="a long password 2")
    other.post(f"/account/api-tokens/{theirs.pk}/revoke/")
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_a_wrong_token_is_refused_even_where_anyone_may_read(client, newsroom):
    for header in ("Bearer tid_wrong", "Bearer ", "Basic cmVhZGVyOnBhc3M="):
        response = client.get("/api/articles", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response["Content-Type"] == "application/problem+json"


def test_reader_endpoints_need_a_reader(client, newsroom):
    response = client.get("/api/me/follows")
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "Sign in, or send an app token made on your account page as 'Authorization: Bearer <token>'."
    )


def test_the_session_works_for_the_site_and_unsafe_methods_need_the_csrf_token(newsroom):
    site = Client(enforce_csrf_checks=True)
    assert site.login(username="reader", password=PASSWORD)
    assert site.get("/api/me/follows").status_code == 200
    refused = site.put("/api/me/follows/publisher/open-wire")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "The request did not carry this site's CSRF token (send X-CSRFToken with the cookie's value)."
    )
    site.get("/account/")  # sets the CSRF cookie, as any page with a form does
    csrf = site.cookies["csrftoken"].value
    assert site.put("/api/me/follows/publisher/open-wire", HTTP_X_CSRFTOKEN=csrf).status_code == 200


def test_an_app_with_a_token_needs_no_csrf_token(newsroom, bearer):
    app = Client(enforce_csrf_checks=True, **bearer)
    assert app.put("/api/me/follows/publisher/open-wire").status_code == 200
