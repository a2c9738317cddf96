"""Fixtures shared by every app's tests."""

import json
import socket
from collections.abc import Iterator

import pytest

from core.tests.shared_data import shared_file
from reader import fetching
from reader.tests.local_server import LocalServer


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A LocalServer on 127.0.0.1, started for one test and stopped after it.

    Its port may be one an earlier test's server had: the robots.txt answers cached per origin (an hour)
    would then be that server's, so they are forgotten before and after.
    """
    fetching.clear_robots_cache()
    with LocalServer() as server:
        yield server
    fetching.clear_robots_cache()


@pytest.fixture
def refused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens, so connecting is refused.

    The port was free a moment ago; another process grabbing it in between is possible but rare.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


@pytest.fixture(scope="session")
def embedded_postgres(tmp_path_factory):
    """A real PostgreSQL 16 with pgvector (the PyPI package pgserver): Debian's PostgreSQL here has none."""
    import pgserver
    import psycopg

    server = pgserver.get_server(tmp_path_factory.mktemp("pgvector"), cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        connection.uri = server.get_uri()
        yield connection


@pytest.fixture(scope="session")
def ecb_rows() -> dict[str, dict]:
    """ECB+ news texts (CC BY 3.0, ../shared/eval/mirrors/ecbplus-dev) by doc id: real articles for tests."""
    truth = shared_file("eval", "mirrors", "ecbplus-dev", "truth.jsonl")
    return {row["doc_id"]: row for row in map(json.loads, truth.read_text(encoding="utf-8").splitlines())}


@pytest.fixture(autouse=True)
def _fresh_story_caches(request):
    """Each database test starts with empty in-process story caches and an empty Django cache (pages cache
    parts of articles by id, core.pagecache): a rolled-back database reuses ids."""
    if request.node.get_closest_marker("django_db") is None:
        yield
        return
    from django.core.cache import cache

    from stories.actions import reset_caches

    reset_caches()
    cache.clear()
    yield
    reset_caches()
