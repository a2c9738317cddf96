"""End to end through the real commands: a publisher served on 127.0.0.1, `import-opml` from its
URL, `ingest --until-idle` with forked workers over the database queue, the article page rendered."""

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Max
from django_tasks_db.models import DBTaskResult

from articles.models import Article
from core.tests.shared_data import shared_file
from reader.tests.publisher_site import FakeArticle, opml_for, serve_publisher
from sources.models import Feed, FetchAttempt
from stories.models import ClusteringLock, StoryLink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.ALLOW_PRIVATE_HOSTS = frozenset({"127.0.0.1"})


def test_import_ingest_and_read_the_article_page(local_server, client):
    articles = serve_publisher(local_server, site="The Harbour Times")
    local_server.route(
        "/sources.opml",
        opml_for([("The Harbour Times", local_server.url("/feed.xml"))], licence="CC BY 4.0", display="full_text"),
        content_type="text/x-opml",
    )
    out = io.StringIO()
    call_command("import_opml", local_server.url("/sources.opml"), stdout=out)
    assert out.getvalue().startswith("Imported 1 new feeds")

    call_command("ingest", "--until-idle", "--workers", "2", "--progress", "never", stdout=io.StringIO())
    assert Article.objects.filter(status=Article.Status.READY).count() == len(articles)
    assert Feed.objects.get().health == Feed.Health.OK
    # Every stage ran, stories were consolidated after the story stage, and nothing is left waiting.
    tasks = Counter(DBTaskResult.objects.filter(status="SUCCESSFUL").values_list("task_path", flat=True))
    assert tasks["pipeline.tasks.process_stories"] >= 1 and tasks["pipeline.tasks.consolidate_stories"] >= 1
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    assert ClusteringLock.objects.get().consolidated_through == (StoryLink.objects.aggregate(m=Max("pk"))["m"] or 0)

    article = Article.objects.get(title="Harbour bridge reopens after two-year repair")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<h1>Harbour bridge reopens after two-year repair</h1>" in page
    assert "The Harbour Times" in page and "17 hours ago" in page
    assert "Engineers replaced all 212 steel cables" in page
    assert "Most read" not in page.split('class="body"')[1].split("</div>")[0]
    assert "Licence: CC BY 4.0" in page

    # A second ingest of the unchanged publisher: 304 for the feed, no page downloaded again.
    call_command("ingest", "--until-idle", "--workers", "1", "--progress", "never", stdout=io.StringIO())
    assert FetchAttempt.objects.filter(kind=FetchAttempt.Kind.FEED).first().outcome == FetchAttempt.Outcome.NOT_MODIFIED
    assert local_server.hits("/feed.xml") == 2
    assert local_server.hits("/news/harbour-bridge.html") == 1


def test_export_writes_one_json_line_per_article(local_server):
    serve_publisher(local_server)
    local_server.route("/sources.opml", opml_for([("Times", local_server.url("/feed.xml"))]))
    call_command("import_opml", local_server.url("/sources.opml"), stdout=io.StringIO())
    call_command("ingest", "--until-idle", "--workers", "1", "--progress", "never", stdout=io.StringIO())
    out = io.StringIO()
    call_command("export", "--format", "jsonl", stdout=out, stderr=io.StringIO())
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 3
    assert set(rows[0]) == {
        "url", "title", "body_text", "published", "story_id", "related", "duplicate_of", "key_points", "summary",
    }  # fmt: skip
    for row in rows:
        assert row["story_id"] is not None
        assert 1 <= len(row["key_points"]) <= 5 and row["summary"]
        for item in row["key_points"] + row["summary"]:
            assert item["spans"] and all(0 <= a < b <= len(row["body_text"]) for a, b in item["spans"])
    assert all(row["url"].endswith(".html?utm_source=rss") for row in rows)
    assert all(row["published"].endswith("Z") for row in rows)


def test_reprocess_from_embed_rebuilds_stories_and_related_lists(local_server):
    serve_publisher(local_server)
    local_server.route("/sources.opml", opml_for([("Times", local_server.url("/feed.xml"))]))
    call_command("import_opml", local_server.url("/sources.opml"), stdout=io.StringIO())
    call_command("ingest", "--until-idle", "--workers", "1", "--progress", "never", stdout=io.StringIO())
    before = dict(Article.objects.values_list("url", "story__title"))
    out = io.StringIO()
    call_command("reprocess", "--from", "embed", "--progress", "never", stdout=out)
    assert out.getvalue().strip() == "Reprocessed 3 articles from the embed stage."
    assert dict(Article.objects.values_list("url", "story__title")) == before
    assert Article.objects.filter(processed_at__isnull=True).count() == 0
    assert local_server.hits("/news/harbour-bridge.html") == 1


# Two earthquakes in Indonesia, reported three days apart by the same outlets: Aceh (2 July 2013, magnitude
# 6.1) and West Papua (January 2009, a series of quakes up to 7.6). Same country, same kind of event, same words.
ACEH_QUAKE = ["37_1ecbplus", "37_8ecbplus", "37_5ecbplus", "37_11ecbplus"]
WEST_PAPUA_QUAKES = ["37_4ecb", "37_6ecb", "37_1ecb"]


def test_two_earthquakes_in_one_week_become_two_stories(local_server):
    """Look-alike events through the whole pipeline: feeds, pages, extraction, stories, consolidation."""
    truth = shared_file("eval", "mirrors", "ecbplus-dev", "truth.jsonl")
    rows = {row["doc_id"]: row for row in map(json.loads, truth.read_text(encoding="utf-8").splitlines())}
    now = datetime.now(UTC)

    def articles(doc_ids: list[str], days_ago: float) -> list[FakeArticle]:
        return [
            FakeArticle(
                doc_id,
                rows[doc_id]["title"],
                tuple(p for p in rows[doc_id]["body"].split("\n\n") if p.strip()),
                now - timedelta(days=days_ago, minutes=15 * n),
            )
            for n, doc_id in enumerate(doc_ids)
        ]

    aceh, papua = articles(ACEH_QUAKE, 4), articles(WEST_PAPUA_QUAKES, 1)
    # Each outlet carries some of both quakes, so no story can follow a feed.
    serve_publisher(local_server, site="Capital Chronicle", path="/a.xml", articles=aceh[:2] + papua[:2])
    serve_publisher(local_server, site="Civic Review", path="/b.xml", articles=aceh[2:] + papua[2:])
    local_server.route("/sources.opml", opml_for([
        ("Capital Chronicle", local_server.url("/a.xml")), ("Civic Review", local_server.url("/b.xml")),
    ]))  # fmt: skip
    call_command("import_opml", local_server.url("/sources.opml"), stdout=io.StringIO())
    call_command("ingest", "--until-idle", "--workers", "1", "--progress", "never", stdout=io.StringIO())

    story_of = {url.split("/news/")[1].split(".html")[0]: story for url, story in
                Article.objects.values_list("url", "story_id")}  # fmt: skip
    assert len(story_of) == len(ACEH_QUAKE) + len(WEST_PAPUA_QUAKES)
    aceh_stories = {story_of[d] for d in ACEH_QUAKE}
    papua_stories = {story_of[d] for d in WEST_PAPUA_QUAKES}
    assert len(aceh_stories) == 1 and len(papua_stories) == 1, story_of
    assert aceh_stories != papua_stories
    assert None not in aceh_stories
