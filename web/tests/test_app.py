"""The installable app's server side, without a browser: what the service worker is served with, and a page it keeps
for offline reading is not counted as read. (The browser test is test_app_browser.py.)"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from articles.models import Article
from readers.models import ReadingHistory
from sources.models import Publisher

pytestmark = pytest.mark.django_db


def test_service_worker_is_served_from_the_root_for_the_whole_site_with_its_shell(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    source = response.content.decode()
    shell = json.loads(source.split("const SHELL = ", 1)[1].split(";\n", 1)[0])
    assert shell[:3] == ["/", "/offline/", "/manifest.webmanifest"]
    assert "/static/web/app/app.js" in shell
    assert all(client.get(path).status_code == 200 for path in shell if not path.startswith("/static/"))
    version = source.split('const VERSION = "', 1)[1].split('"', 1)[0]
    assert len(version) == 12 and int(version, 16) >= 0


def test_offline_page_and_manifest(client):
    assert "You are offline" in client.get("/offline/").content.decode()
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    assert manifest.json()["display"] == "standalone"


def test_an_article_kept_for_offline_reading_is_not_a_read(client):
    reader = User.objects.create_user("ana", "ana@example.org", "a long enough password 12")
    publisher = Publisher.objects.create(name="Harbour Times", slug="harbour-times")
    article = Article.objects.create(
        publisher=publisher, url="https://example.org/1", canonical_url="https://example.org/1", url_hash="keep-1",
        title="Bridge reopens", published_at=timezone.now() - timedelta(hours=1), status=Article.Status.READY,
    )  # fmt: skip
    client.force_login(reader)
    assert client.get(article.get_absolute_url(), headers={"Tidings-Keep": "offline"}).status_code == 200
    assert ReadingHistory.objects.count() == 0
    assert client.get(article.get_absolute_url()).status_code == 200
    assert list(ReadingHistory.objects.values_list("user", "article")) == [(reader.pk, article.pk)]
