"""The data migration that mends URLs stored before only web addresses were accepted (articles 0004)."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from articles.models import Article
from sources.models import Feed, Publisher

pytestmark = pytest.mark.django_db

migration = importlib.import_module("articles.migrations.0004_drop_non_web_urls")


def test_rows_with_script_urls_stored_before_the_checks_are_mended():
    now = timezone.now()
    publisher = Publisher.objects.create(name="Old Times", slug="old-times", site_url=" JaVaScRiPt:alert(1)")
    good = Feed.objects.create(publisher=publisher, url="https://old.example/feed.xml", next_check_at=now,
                               redirected_to="data:text/html,<script>alert(1)</script>")  # fmt: skip
    bad = Feed.objects.create(publisher=publisher, url="java\tscript:alert(1)//feed", next_check_at=now)

    def article(slug, url, **fields):
        return Article.objects.create(publisher=publisher, url=url, canonical_url=fields.pop("canonical", url),
                                      url_hash=slug, title=slug, published_at=now, **fields)  # fmt: skip

    gone = article("gone", "\x01javascript:alert(document.domain)")
    kept = article("kept", "https://old.example/a", canonical="vbscript:msgbox(1)", image_url="data:image/svg+xml,x")
    fine = article("fine", "https://old.example/b", image_url="https://old.example/b.jpg")

    migration.mend(apps, None)

    assert not Article.objects.filter(pk=gone.pk).exists()
    kept.refresh_from_db()
    assert (kept.canonical_url, kept.image_url) == ("https://old.example/a", "")
    fine.refresh_from_db()
    assert (fine.canonical_url, fine.image_url) == ("https://old.example/b", "https://old.example/b.jpg")
    publisher.refresh_from_db()
    assert publisher.site_url == ""
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.is_active, good.redirected_to) == (True, "")
    assert (bad.is_active, bad.health) == (False, Feed.Health.STOPPED)
    assert bad.last_error == "This feed's address is not a web (http or https) address."
