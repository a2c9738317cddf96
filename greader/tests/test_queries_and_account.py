"""Query counts on the list endpoints (no query per item), and the app passwords page."""

import pytest
from django.urls import reverse

from greader import protocol
from greader.models import AppPassword
from readers.models import Follow, SavedArticle

from .conftest import PASSWORD, make_article, make_publisher

pytestmark = pytest.mark.django_db


def grow(world, publishers: int, articles_each: int, start: int = 0) -> None:
    """More followed publishers and articles, some read and starred, so per-item queries would show."""
    for p in range(start, start + publishers):
        publisher = make_publisher(f"Extra {p}", f"extra-{p}", category=f"Folder {p % 3}")
        Follow.objects.create(user=world.user, publisher=publisher)
        for n in range(articles_each):
            article = make_article(publisher, f"Extra {p}.{n}", hours_ago=7 + n)
            if n % 2:
                SavedArticle.objects.create(user=world.user, article=article, saved_at=article.published_at)


# (path, params, queries): the sign-in check is one query, and each endpoint a fixed number after it.
ENDPOINTS = [
    ("/reader/api/0/subscription/list", {"output": "json"}, 4),  # token, follows+publishers, folders, feed URLs
    ("/reader/api/0/tag/list", {"output": "json"}, 4),  # token, follows, folders, labels
    ("/reader/api/0/unread-count", {"output": "json"}, 5),  # token, follows, folders, counts, label counts
    ("/reader/api/0/stream/items/ids", {"s": protocol.READING_LIST, "n": "1000"}, 2),  # token, page
    ("/reader/api/0/stream/items/ids", {"s": protocol.STARRED, "xt": protocol.READ}, 2),
    # token, page with publishers, read marks, saves, labels, follows, folders
    ("/reader/api/0/stream/contents/user/-/state/com.google/reading-list", {"n": "1000"}, 7),
    ("/reader/atom/user/-/label/Folder 0", {"n": "1000"}, 9),  # and the label stream's follows and folders
]


@pytest.mark.parametrize("path, params, queries", ENDPOINTS, ids=[f"{e[0]}?{e[1]}" for e in ENDPOINTS])
def test_list_endpoints_make_the_same_queries_for_few_and_many_items(
    client, world, django_assert_num_queries, path, params, queries
):
    header = {"HTTP_AUTHORIZATION": f"GoogleLogin auth={world.auth(client)}"}
    grow(world, publishers=1, articles_each=1)
    with django_assert_num_queries(queries):
        few = client.get(path, params, **header)
    assert few.status_code == 200
    grow(world, publishers=6, articles_each=5, start=1)
    with django_assert_num_queries(queries):
        many = client.get(path, params, **header)
    assert len(many.content) > len(few.content)


def test_items_contents_queries_do_not_grow_with_the_batch(client, world, django_assert_num_queries):
    header = {"HTTP_AUTHORIZATION": f"GoogleLogin auth={world.auth(client)}"}
    grow(world, publishers=4, articles_each=5)
    ids = "&".join(f"i={pk}" for pk in SavedArticle.objects.values_list("article_id", flat=True))
    # token, articles with publishers, read marks, saves, labels, follows, folders
    with django_assert_num_queries(7):
        response = client.post(
            "/reader/api/0/stream/items/contents", ids, content_type="application/x-www-form-urlencoded", **header
        )
    assert len(response.json()["items"]) == 8


def test_a_reader_makes_sees_once_and_revokes_an_app_password(client, world):
    client.login(username="ana", password=PASSWORD)
    page = client.get(reverse("account"))
    assert reverse("app-passwords") in page.content.decode()

    response = client.post(reverse("app-passwords"), {"name": "  NetNewsWire   on my phone "})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    made = AppPassword.objects.get(user=world.user, name="NetNewsWire on my phone")
    assert secret in response.content.decode() and made.digest != secret
    again = client.get(reverse("app-passwords")).content.decode()
    assert secret not in again and "NetNewsWire on my phone" in again and "never used" in again

    login = client.post("/accounts/ClientLogin", {"Email": "ana", "Passwd": secret})
    assert login.status_code == 200
    token = login.content.decode().split("Auth=")[1].strip()
    response = client.post(reverse("revoke-app-password", args=[made.pk]))
    assert response.status_code == 302
    assert not AppPassword.objects.filter(pk=made.pk).exists()
    assert client.get("/reader/api/0/user-info", HTTP_AUTHORIZATION=f"GoogleLogin auth={token}").status_code == 401


def test_a_reader_cannot_revoke_someone_elses_app_password(client, world, django_user_model):
    django_user_model.objects.create_user(username="ben", email="ben@example.org", password=PASSWORD)
    client.login(username="ben", password=PASSWORD)
    anas = AppPassword.objects.get(user=world.user)
    client.post(reverse("revoke-app-password", args=[anas.pk]))
    assert AppPassword.objects.filter(pk=anas.pk).exists()


def test_an_app_password_needs_a_name_and_the_page_needs_a_sign_in(client, world):
    assert client.get(reverse("app-passwords")).status_code == 302
    client.login(username="ana", password=PASSWORD)
    response = client.post(reverse("app-passwords"), {"name": "   "})
    assert response.status_code == 400
    assert "Give the app password a name" in response.content.decode()
    assert AppPassword.objects.filter(user=world.user).count() == 1
