"""One hostile item never costs its feed's batch: fields PostgreSQL would refuse are cleaned before writing."""

from datetime import UTC, datetime

import pytest

from articles import actions
from articles.models import Article
from reader.parsing import ParsedEntry
from sources import actions as source_actions
from sources import opml
from sources.models import Feed

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_nul_characters_in_title_and_author_do_not_fail_the_batch():
    source_actions.import_feeds([opml.OpmlFeed("https://example.org/feed.json", "P", "", "", "", "", "", "", "P")])
    feed = Feed.objects.get()
    entries = [
        ParsedEntry("1", "https://example.org/a", "Bad\x00 title", "", "", "Jo\x00 Writer", NOW, NOW, (), ""),
        ParsedEntry("2", "https://example.org/b", "Good title", "", "", "", NOW, NOW, (), ""),
    ]
    result = actions.upsert_entries(feed, entries, now=NOW)
    assert len(result.new_article_ids) == 2
    assert sorted(Article.objects.values_list("title", "byline")) == [("Bad title", "Jo Writer"), ("Good title", "")]
