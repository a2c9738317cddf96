"""The fetch log moved from the old ingest app to sources (migration 0003): rows already stored survive."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from sources.models import Feed, FetchAttempt, Publisher

BEFORE = [("sources", "0002_catalogue_corrections")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_an_install_upgraded_from_the_ingest_app_keeps_its_fetch_log():
    publisher = Publisher.objects.create(name="Harbour City Courier", slug="harbour")
    feed = Feed.objects.create(
        publisher=publisher, url="https://harbour.example/feed.xml", next_check_at=timezone.now()
    )
    try:
        migrate(BEFORE)  # the table goes back to its old name, as an install before the move has it
        assert "ingest_fetchattempt" in connection.introspection.table_names()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ingest_fetchattempt (feed_id, kind, url, outcome, message, entries_new, duration_ms,"
                " started_at) VALUES (%s, 'feed', %s, 'ok', '', 3, 120, %s)",
                [feed.pk, feed.url, timezone.now()],
            )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert "ingest_fetchattempt" not in connection.introspection.table_names()
    [attempt] = FetchAttempt.objects.all()
    assert (attempt.feed, attempt.entries_new, attempt.duration_ms) == (feed, 3, 120)
    FetchAttempt.objects.create(feed=feed, url=feed.url, outcome="ok", started_at=timezone.now())
    assert feed.attempts.count() == 2
