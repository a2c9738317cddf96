"""The JSON API the mobile app reads: shapes, licence rules, questions, pinned query counts."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from ai.models import AIOutput
from articles.models import Article
from sources.models import Publisher
from stories.models import RelatedArticle

pytestmark = pytest.mark.django_db

BODY = (
    "The harbour bridge reopened to traffic on Monday after a two-year repair that cost 140 million dollars. "
    "Engineers replaced all 212 steel cables and resurfaced the deck."
)


def make(name="Harbour Times", *, full=False, n=1, title="Bridge reopens"):
    policy = Publisher.DisplayPolicy.FULL_TEXT if full else Publisher.DisplayPolicy.EXCERPT
    publisher, _ = Publisher.objects.get_or_create(name=name, defaults={"slug": name.lower().replace(" ", "-"),
                                                                         "display_policy": policy})  # fmt: skip
    return Article.objects.create(
        publisher=publisher, url=f"https://example.org/{n}", canonical_url=f"https://example.org/{n}",
        url_hash=f"{name}-{n}", title=title, body_text=BODY, status=Article.Status.READY,
        published_at=timezone.now() - timedelta(hours=n),
    )  # fmt: skip


def test_article_list_is_newest_first_with_counts(client, django_assert_num_queries):
    for n in range(3):
        make(n=n, title=f"Story {n}")
    with django_assert_num_queries(2):
        data = client.get("/api/articles").json()
    assert data["count"] == 3
    assert [r["title"] for r in data["results"]] == ["Story 0", "Story 1", "Story 2"]
    assert data["results"][0]["publisher"] == "Harbour Times"


def test_article_detail_respects_the_licence_and_cites_key_points(client):
    excerpt_only = make()
    full = make("Open Wire", full=True, n=2)
    point = {"text": "Engineers replaced all 212 steel cables.", "spans": [[103, 144]]}
    AIOutput.objects.create(
        article=excerpt_only, kind=AIOutput.Kind.DIGEST, engine="extractive", model="m", prompt_version="v",
        source_hash="h", content={"key_points": [point], "summary": []},
    )  # fmt: skip
    RelatedArticle.objects.create(article=excerpt_only, related=full, rank=0, score=1.0, reason="Same story")
    data = client.get(f"/api/articles/{excerpt_only.pk}").json()
    assert data["body_text"] is None
    assert data["excerpt"].startswith("The harbour bridge")
    assert data["attribution"] == "Originally published by Harbour Times. Licence: All rights reserved (excerpt only)."
    assert data["key_points"] == [{"text": "Engineers replaced all 212 steel cables.", "spans": [[103, 144]]}]
    assert data["related"][0]["reason"] == "Same story" and data["related"][0]["publisher"] == "Open Wire"
    assert client.get(f"/api/articles/{full.pk}").json()["body_text"] == BODY
    assert client.get("/api/articles/99999").status_code == 404


def test_ask_answers_from_the_article_or_says_why_not(client):
    article = make()
    ok = client.post(f"/api/articles/{article.pk}/ask", {"question": "How many steel cables were replaced?"},
                     content_type="application/json")  # fmt: skip
    assert ok.status_code == 200
    assert ok.json()["answered"] is True and "212 steel cables" in ok.json()["text"]
    empty = client.post(f"/api/articles/{article.pk}/ask", {"question": " "}, content_type="application/json")
    assert (empty.status_code, empty.json()) == (400, {"detail": "Type a question about the article."})
    broken = client.post(f"/api/articles/{article.pk}/ask", "not json", content_type="application/json")
    assert (broken.status_code, broken.json()) == (400, {"detail": "Cannot parse request body"})


def test_ask_rate_limit_answers_429_with_retry_after(client):
    article = make()
    started = time.time()
    responses = [
        client.post(f"/api/articles/{article.pk}/ask", {"question": "How many steel cables were replaced?"},
                    content_type="application/json")
        for _ in range(7)
    ]  # fmt: skip
    elapsed = time.time() - started
    assert [r.status_code for r in responses] == [200] * 6 + [429]
    assert responses[-1].json() == {
        "detail": "You have asked many questions in a short time. Please wait a little and try again."
    }
    assert 60 - elapsed <= int(responses[-1]["Retry-After"]) <= 60
    assert AIOutput.objects.filter(kind=AIOutput.Kind.ANSWER).count() == 6
