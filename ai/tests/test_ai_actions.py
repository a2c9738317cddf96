"""AI features on the real database, with the real embedding model and, for the generative path, a
real OpenAI-compatible HTTP server on 127.0.0.1 that returns planted sentences."""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ai import actions
from ai.models import AIOutput, TokenUsage
from ai.tests.fake_llm import FakeChatServer
from articles.models import Article
from sources.models import Publisher
from stories.models import Story

pytestmark = pytest.mark.django_db

ACEH = ["37_3ecbplus", "37_5ecbplus", "37_11ecbplus"]


def store(row, n=0, *, full_text=True) -> Article:
    policy = Publisher.DisplayPolicy.FULL_TEXT if full_text else Publisher.DisplayPolicy.EXCERPT
    publisher, _ = Publisher.objects.get_or_create(
        name=row["publisher"], defaults={"slug": f"p-{row['doc_id']}", "display_policy": policy}
    )
    body_html = "".join(f"<p>{p}</p>" for p in row["body"].split("\n\n"))
    return Article.objects.create(
        publisher=publisher, url=f"https://example.org/{row['doc_id']}", canonical_url=f"https://example.org/{n}",
        url_hash=row["doc_id"], title=row["title"], body_text=row["body"], body_html_safe=body_html,
        status=Article.Status.READY, published_at=timezone.now() - timedelta(hours=3 + n),
    )  # fmt: skip


def test_digest_cites_the_body_and_is_regenerated_only_when_the_text_changes(ecb_rows):
    article = store(ecb_rows[ACEH[0]])
    assert actions.precompute_digests([article]) == 1
    digest = AIOutput.objects.get(article=article, kind=AIOutput.Kind.DIGEST)
    assert (digest.engine, digest.prompt_version) == ("extractive", actions.providers.PROMPT_VERSION)
    points, summary = digest.content["key_points"], digest.content["summary"]
    assert 3 <= len(points) <= 5 and 2 <= len(summary) <= 3
    for item in points + summary:
        assert item["spans"] and all(0 <= a < b <= len(article.body_text) for a, b in item["spans"])
    assert actions.precompute_digests([article]) == 0
    Article.objects.filter(pk=article.pk).update(body_text=article.body_text + "\n\nA late correction was added.")
    assert actions.precompute_digests([Article.objects.get(pk=article.pk)]) == 1
    assert AIOutput.objects.filter(article=article, kind=AIOutput.Kind.DIGEST).count() == 1


def test_article_page_shows_key_points_with_their_source_sentences(client, ecb_rows):
    article = store(ecb_rows[ACEH[0]])
    actions.precompute_digests([article])
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Try our AI features" in page and "Key points" in page
    first = AIOutput.objects.get(article=article).content["key_points"][0]
    a, b = first["spans"][0]
    assert f"“{article.body_text[a:b]}”" in page.replace("&#x27;", "'").replace("&quot;", '"')


def test_article_page_shows_the_summary_first_and_no_key_point_twice(client, ecb_rows):
    article = store(ecb_rows[ACEH[0]])
    short = Article.objects.create(
        publisher=article.publisher, url="https://example.org/short", canonical_url="https://example.org/short",
        url_hash="short", title="Quake in Aceh", status=Article.Status.READY, published_at=timezone.now(),
        body_text="A strong earthquake shook Aceh province on Tuesday morning, officials said.\n\n"
        "Dozens of houses were damaged in the Central Aceh district near the epicentre.",
    )  # fmt: skip
    actions.precompute_digests([article, short])
    for shown in (article, short):
        content = AIOutput.objects.get(article=shown, kind=AIOutput.Kind.DIGEST).content
        page = client.get(shown.get_absolute_url()).content.decode().replace("&#x27;", "'").replace("&quot;", '"')
        section = page[page.index('id="ai-title"') : page.index("Ask about this article")]
        assert section.index("<h3>Summary</h3>") < section.find("<h3>Key points</h3>") or "Key points" not in section
        for item in content["summary"] + content["key_points"]:
            assert section.count(f">{item['text']}</summary>") == 1, item["text"]
    short_digest = AIOutput.objects.get(article=short, kind=AIOutput.Kind.DIGEST).content
    assert {tuple(map(tuple, i["spans"])) for i in short_digest["summary"]} == {
        tuple(map(tuple, i["spans"])) for i in short_digest["key_points"]
    }  # the engine repeated them; the page showed each once


def test_ask_quotes_the_supporting_sentence(client, ecb_rows):
    article = store(ecb_rows[ACEH[0]])
    response = client.post(
        reverse("article-ask", args=[article.pk]), {"question": "How many houses were damaged in Central Aceh?"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The article says:" in page
    answer = AIOutput.objects.get(kind=AIOutput.Kind.ANSWER)
    assert answer.content["answered"] is True
    assert any("about 1, 500 houses" in article.body_text[a:b] for a, b in answer.content["spans"])


def test_ask_refuses_what_the_article_does_not_cover(client, ecb_rows):
    article = store(ecb_rows[ACEH[0]])
    response = client.post(
        reverse("article-ask", args=[article.pk]), {"question": "What did the president say about tariffs?"}
    )
    assert "The article doesn&#x27;t say." in response.content.decode()
    assert AIOutput.objects.get(kind=AIOutput.Kind.ANSWER).content == {
        "answered": False,
        "text": "The article doesn't say.",
        "spans": [],
    }


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "Type a question about the article."), ("x" * 301, "at most 300 characters")],
)
def test_bad_questions_get_a_clear_message_and_store_nothing(client, ecb_rows, question, message):
    article = store(ecb_rows[ACEH[0]])
    response = client.post(reverse("article-ask", args=[article.pk]), {"question": question})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AIOutput.objects.filter(kind=AIOutput.Kind.ANSWER).exists()


def test_questions_are_rate_limited_per_reader_with_429_and_retry_after(client, ecb_rows):
    article = store(ecb_rows[ACEH[0]])
    url = reverse("article-ask", args=[article.pk])
    started = time.time()
    responses = [client.post(url, {"question": "Where did the quake hit?"}) for _ in range(7)]
    elapsed = time.time() - started
    assert [r.status_code for r in responses] == [200] * 6 + [429]
    assert all("Retry-After" not in r for r in responses[:6])
    # the first of the six questions leaves the one-minute window first
    assert 60 - elapsed <= int(responses[-1]["Retry-After"]) <= 60
    assert "Please wait a little and try again." in responses[-1].content.decode()
    assert AIOutput.objects.filter(kind=AIOutput.Kind.ANSWER).count() == 6


def test_asking_needs_the_csrf_token(ecb_rows):
    article = store(ecb_rows[ACEH[0]])
    response = Client(enforce_csrf_checks=True).post(reverse("article-ask", args=[article.pk]), {"question": "Where?"})
    assert response.status_code == 403


INAUGURATION = (
    "Lee Jae-myung was sworn in as South Korea's president on Wednesday in Seoul, a day after winning the election. "
    "He replaced the former president Yoon Suk Yeol, who was removed from office in April. "
    "Lee won 49.4 percent of the vote, ahead of Kim Moon-soo with 41.2 percent."
)


def test_generated_sentences_are_verified_and_unsupported_ones_dropped(settings, ecb_rows):
    article = store({"doc_id": "lee", "publisher": "Seoul Wire", "title": "Lee sworn in", "body": INAUGURATION})
    planted = (
        "Lee Jae-myung became South Korea's president on Wednesday.\n"  # supported
        "The former president Lee Jae-myung took the oath in Seoul.\n"  # "former" belongs to Yoon
        "Lee won 52 percent of the vote.\n"  # wrong number
        "He promised to raise tariffs on Japanese cars."  # not in the article
    )
    with FakeChatServer(planted) as server:
        settings.LLM_URL, settings.LLM_MODEL, settings.LLM_API_KEY = server.url, "test-model", "secret"
        output = actions.generative_digest(article)
        assert server.requests[0]["auth"] == "Bearer secret"
        assert server.requests[0]["payload"]["model"] == "test-model"
    assert [item["text"] for item in output.content["summary"]] == [
        "Lee Jae-myung became South Korea's president on Wednesday."
    ]
    assert output.sentences_dropped == 3
    assert (output.engine, output.model, output.prompt_tokens, output.completion_tokens) == (
        "generative", "test-model", 120, 40,
    )  # fmt: skip
    assert TokenUsage.objects.get().tokens == 160


def test_generative_model_is_skipped_once_the_daily_budget_is_spent(settings, ecb_rows):
    article = store(ecb_rows[ACEH[0]])
    TokenUsage.objects.create(day=timezone.now().date(), tokens=10)
    with FakeChatServer("Anything.") as server:
        settings.LLM_URL, settings.LLM_MODEL, settings.LLM_DAILY_TOKENS = server.url, "m", 10
        assert actions.generative_digest(article) is None
        assert server.requests == []


def test_story_page_briefs_what_happened_with_outlets(client, ecb_rows):
    now = timezone.now()
    story = Story.objects.create(
        title="Aceh quake", first_published_at=now, last_published_at=now, article_count=3, publisher_count=3
    )
    for n, doc_id in enumerate(ACEH):
        article = store(ecb_rows[doc_id], n)
        Article.objects.filter(pk=article.pk).update(story=story)
    page = client.get(story.get_absolute_url()).content.decode()
    assert "What happened" in page
    briefing = AIOutput.objects.get(story=story, kind=AIOutput.Kind.BRIEFING)
    assert 3 <= len(briefing.content["points"]) <= 6
    assert any(len(p["publishers"]) >= 2 for p in briefing.content["points"])
    client.get(story.get_absolute_url())
    assert AIOutput.objects.filter(story=story).count() == 1


def test_reader_asks_for_an_explainer_and_sees_only_verified_sentences(client, settings):
    article = store({"doc_id": "lee", "publisher": "Seoul Wire", "title": "Lee sworn in", "body": INAUGURATION})
    planted = "Lee Jae-myung was sworn in as president in Seoul.\nHe will visit Tokyo next week."
    with FakeChatServer(planted) as server:
        settings.LLM_URL, settings.LLM_MODEL = server.url, "test-model"
        page = client.get(article.get_absolute_url()).content.decode()
        assert "Explain it like I'm new" in page
        response = client.post(reverse("article-generate", args=[article.pk]), {"kind": "explainer"})
        assert (response.status_code, response["Location"]) == (302, f"{article.get_absolute_url()}#ai")
        page = client.get(article.get_absolute_url()).content.decode()
    assert "Explained for newcomers" in page and "Written by test-model" in page
    assert "Lee Jae-myung was sworn in as president in Seoul." in page
    assert "Tokyo" not in page
    assert "1 that the article does not support was left out" in page


def test_without_a_generative_model_the_page_offers_none(client, ecb_rows):
    article = store(ecb_rows[ACEH[0]])
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Explain it like I'm new" not in page
    response = client.post(reverse("article-generate", args=[article.pk]), {"kind": "explainer"})
    assert response.status_code == 400
    assert "The generative model is not available now" in response.content.decode()


def test_a_signed_in_reader_is_limited_per_account_across_addresses(client, ecb_rows):
    from accounts.models import User

    article = store(ecb_rows[ACEH[0]])
    client.force_login(User.objects.create_user("reader", "reader@example.org", "a long passphrase"))
    url = reverse("article-ask", args=[article.pk])
    statuses = [
        client.post(url, {"question": "Where did the quake hit?"}, REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(7)
    ]
    assert statuses == [200] * 6 + [429]
