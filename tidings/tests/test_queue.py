"""The task queue under the faults a deployment meets: a worker killed mid-task (its task runs again,
once), several workers on one queue (every article ingested once, one story however the work is split),
two schedulers (no feed queued twice).

Workers are real forked processes over the real database (SQLite in one pass, PostgreSQL in the other),
publishers a real HTTP server on 127.0.0.1.
"""

import io
import json
import os
import signal
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from articles.models import Article, ArticleSource
from core.tests.shared_data import shared_file
from pipeline import tasks
from reader.tests.publisher_site import opml_for, rss_feed, serve_publisher
from sources.models import Feed, Publisher
from stories.models import Story
from tidings import queue, workers
from tidings.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 30  # an upper bound for a forked worker to reach a state, never a timing assertion


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.ALLOW_PRIVATE_HOSTS = frozenset({"127.0.0.1"})


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def subscribe(local_server, feeds: list[tuple[str, str]]) -> None:
    local_server.route("/sources.opml", opml_for([(name, local_server.url(path)) for name, path in feeds]))
    call_command("import_opml", local_server.url("/sources.opml"), stdout=io.StringIO())


def test_a_task_left_running_by_a_killed_worker_runs_again_and_ingests_once(local_server):
    articles = serve_publisher(local_server)
    feed_xml = rss_feed(local_server.base_url, "The Harbour Times", articles)
    # The feed answers slowly, so the worker is surely inside the task when it is killed.
    local_server.route("/feed.xml", feed_xml, content_type="application/rss+xml", delay=5.0)
    subscribe(local_server, [("The Harbour Times", "/feed.xml")])
    assert tasks.enqueue_all_feeds(timezone.now()) == 1
    refresh = DBTaskResult.objects.get(task_path=tasks.refresh_feed.module_path)

    (worker,) = workers.start_workers(1, until_idle=False)
    try:
        wait_for(lambda: local_server.hits("/feed.xml") == 1, "the worker to fetch the feed")
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=WAIT_SECONDS)
    finally:
        workers.stop_workers([worker])
    refresh.refresh_from_db()
    assert refresh.status == TaskResultStatus.RUNNING  # what django-tasks-db alone would keep for ever
    assert not Article.objects.exists()

    # While its worker could still be alive, nothing is touched; once it has been silent long enough,
    # the task is queued again, exactly once however many schedulers and idle workers look.
    assert queue.requeue_abandoned(timezone.now()) == 0
    later = timezone.now() + queue.ABANDONED_AFTER + timedelta(seconds=1)
    assert queue.requeue_abandoned(later) == 1
    assert queue.requeue_abandoned(later) == 0

    local_server.route("/feed.xml", feed_xml, content_type="application/rss+xml")
    queue.work(until_idle=True)
    refresh.refresh_from_db()
    assert refresh.status == TaskResultStatus.SUCCESSFUL
    assert len(refresh.worker_ids) == 2
    assert Article.objects.filter(status=Article.Status.READY).count() == len(articles)
    assert ArticleSource.objects.count() == len(articles)
    assert all(local_server.hits(f"/news/{a.slug}.html") == 1 for a in articles)
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()


def test_run_starts_a_killed_worker_and_a_killed_scheduler_again():
    supervisor = workers.Supervisor(1)
    supervisor.start()
    # As in `tidings run`, the parent handles SIGTERM itself once its children run; a child forked later
    # must still stop on SIGTERM.
    parent_handler = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        worker, scheduler = supervisor.children
        first_pids = {worker.process.pid, scheduler.process.pid}
        for child in (worker, scheduler):
            os.kill(child.process.pid, signal.SIGKILL)

        def both_started_again() -> bool:
            supervisor.check()
            return all(c.restarts == 1 and c.process is not None and c.process.is_alive() for c in (worker, scheduler))

        wait_for(both_started_again, "a new worker and a new scheduler")
        assert first_pids.isdisjoint({worker.process.pid, scheduler.process.pid})
        # The new worker takes tasks.
        queued = tasks.consolidate_stories.enqueue()
        wait_for(lambda: DBTaskResult.objects.get(pk=queued.id).status == TaskResultStatus.SUCCESSFUL, "the task")

        # Dying again soon after its start, the worker waits before its next start instead of spinning.
        os.kill(worker.process.pid, signal.SIGKILL)
        wait_for(lambda: supervisor.check() == 0 and worker.process is None, "the supervisor to notice")
        assert worker.start_after - time.monotonic() > workers.RESTART_PAUSE_SECONDS / 2
        assert scheduler.process.is_alive()
    finally:
        supervisor.stop()
        signal.signal(signal.SIGTERM, parent_handler)
    assert not any(c.process is not None and c.process.is_alive() for c in supervisor.children)


def test_a_long_task_of_a_live_worker_is_left_alone():
    now = timezone.now()
    started = now - timedelta(minutes=10)
    busy = tasks.consolidate_stories.enqueue()
    orphan = tasks.consolidate_stories.enqueue()
    DBTaskResult.objects.filter(pk=busy.id).update(status=TaskResultStatus.RUNNING, started_at=started,
                                                   worker_ids=["host-1-41-a1b2c3"])  # fmt: skip
    DBTaskResult.objects.filter(pk=orphan.id).update(status=TaskResultStatus.RUNNING, started_at=started,
                                                     worker_ids=["host-2-97-d4e5f6"])  # fmt: skip
    WorkerHeartbeat.objects.create(worker_id="host-1-41-a1b2c3", seen_at=now - timedelta(seconds=5))
    WorkerHeartbeat.objects.create(worker_id="host-2-97-d4e5f6", seen_at=now - timedelta(minutes=3))

    assert queue.requeue_abandoned(now) == 1
    assert DBTaskResult.objects.get(pk=busy.id).status == TaskResultStatus.RUNNING
    assert DBTaskResult.objects.get(pk=orphan.id).status == TaskResultStatus.READY


def test_the_heartbeat_is_kept_fresh_while_the_worker_lives_and_removed_when_it_stops():
    with queue.heartbeat("host-1-41-a1b2c3", interval=0.05):
        wait_for(lambda: WorkerHeartbeat.objects.filter(worker_id="host-1-41-a1b2c3").exists(), "a first beat")
        first = WorkerHeartbeat.objects.get().seen_at
        wait_for(lambda: WorkerHeartbeat.objects.get().seen_at > first, "a second beat")
    assert not WorkerHeartbeat.objects.exists()


def test_three_workers_ingest_every_article_once_from_two_feeds_that_share_them(local_server):
    articles = serve_publisher(local_server, path="/feed.xml")
    serve_publisher(local_server, site="The Harbour Times (world)", path="/world.xml")
    subscribe(local_server, [("The Harbour Times", "/feed.xml"), ("The Harbour Times (world)", "/world.xml")])
    call_command("ingest", "--until-idle", "--workers", "3", "--progress", "never", stdout=io.StringIO())

    assert Article.objects.count() == len(articles)
    assert Counter(ArticleSource.objects.values_list("feed__url", flat=True)) == {
        local_server.url("/feed.xml"): len(articles), local_server.url("/world.xml"): len(articles),
    }  # fmt: skip
    assert all(local_server.hits(f"/news/{a.slug}.html") == 1 for a in articles)
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()


def test_two_runners_of_one_worker_run_two_tasks_at_once(local_server):
    # Each feed answers slowly: with one runner the second refresh could only start once the first ended.
    for path, site in (("/feed.xml", "The Harbour Times"), ("/world.xml", "The Harbour Times (world)")):
        articles = serve_publisher(local_server, site=site, path=path)
        feed_xml = rss_feed(local_server.base_url, site, articles)
        local_server.route(path, feed_xml, content_type="application/rss+xml", delay=3.0)
    subscribe(local_server, [("The Harbour Times", "/feed.xml"), ("The Harbour Times (world)", "/world.xml")])
    assert tasks.enqueue_all_feeds(timezone.now()) == 2
    both_running: list[list[str]] = []

    def watch() -> bool:
        running = list(DBTaskResult.objects.running().values_list("worker_ids", flat=True))
        if len(running) == 2:
            both_running.append([ids[-1] for ids in running])
        return bool(both_running)

    def work() -> None:
        try:
            queue.work_in_threads(2, until_idle=True)
        finally:
            connections.close_all()  # this thread's connection

    worker = threading.Thread(target=work)
    worker.start()
    try:
        wait_for(watch, "both refreshes to run at once")
    finally:
        worker.join(timeout=WAIT_SECONDS * 4)
        connections.close_all()
    (runner_ids,) = both_running
    assert len(set(runner_ids)) == 2  # two runners, each under its own worker id and heartbeat
    assert not worker.is_alive()
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
    # The two feeds list the same pages: each is ingested once, from both feeds.
    assert Article.objects.filter(status=Article.Status.READY).count() == len(articles)
    assert ArticleSource.objects.count() == 2 * len(articles)


def test_the_task_nearest_to_done_is_taken_first():
    # Queued in pipeline order; taken in reverse: what was fetched goes on to its story before more is fetched.
    queued = [
        tasks.refresh_feed.enqueue(1), tasks.extract_articles.enqueue([1]), tasks.consolidate_stories.enqueue(),
        tasks.process_stories.enqueue([1]), tasks.precompute_digests.enqueue([1]),
    ]  # fmt: skip
    taken = [queue._claim_next("host-1-41-a1b2c3") for _ in queued]
    assert [t.task_path for t in taken] == [q.task.module_path for q in reversed(queued)]
    assert queue._claim_next("host-1-41-a1b2c3") is None


def test_two_schedulers_ticking_at_once_queue_each_due_feed_once():
    publisher = Publisher.objects.create(name="Wire", slug="wire")
    due = timezone.now() - timedelta(minutes=1)
    Feed.objects.bulk_create(
        Feed(publisher=publisher, url=f"https://wire.example/{n}.xml", next_check_at=due) for n in range(40)
    )
    start = threading.Barrier(2)
    queued: list[int] = []

    def scheduler() -> None:
        try:
            start.wait()
            for _ in range(5):
                queued.append(tasks.enqueue_due_feeds(timezone.now()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(queued) == 40
    per_feed = Counter(
        args["args"][0]
        for args in DBTaskResult.objects.filter(task_path=tasks.refresh_feed.module_path).values_list(
            "args_kwargs", flat=True
        )
    )
    assert set(per_feed.values()) == {1} and len(per_feed) == 40


# The Aceh earthquake of 2 July 2013, told by six outlets (ECB+, CC BY 3.0).
ACEH_QUAKE = ["37_1ecbplus", "37_8ecbplus", "37_5ecbplus", "37_11ecbplus", "37_3ecbplus", "37_9ecbplus"]


def test_two_workers_on_one_story_at_once_make_one_story():
    truth = shared_file("eval", "mirrors", "ecbplus-dev", "truth.jsonl")
    rows = {row["doc_id"]: row for row in map(json.loads, truth.read_text(encoding="utf-8").splitlines())}
    start = timezone.now() - timedelta(hours=5)
    ids = []
    for n, doc_id in enumerate(ACEH_QUAKE):
        publisher = Publisher.objects.create(name=rows[doc_id]["publisher"] + f" {n}", slug=f"p{n}")
        ids.append(Article.objects.create(
            publisher=publisher, url=f"https://example.org/{doc_id}", canonical_url=f"https://example.org/{doc_id}",
            url_hash=doc_id, title=rows[doc_id]["title"], body_text=rows[doc_id]["body"],
            status=Article.Status.READY, published_at=start + timedelta(minutes=10 * n),
        ).pk)  # fmt: skip
    # Two batches of one story, queued together: two workers take one each, at the same moment.
    tasks.process_stories.enqueue(ids[0::2])
    tasks.process_stories.enqueue(ids[1::2])
    processes = workers.start_workers(2, until_idle=True)
    for process in processes:
        process.join(timeout=300)
    workers.stop_workers(processes)

    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
    stories = set(Article.objects.filter(pk__in=ids).values_list("story_id", flat=True))
    assert len(stories) == 1 and None not in stories
    story = Story.objects.get(pk=stories.pop())
    assert (story.article_count, story.publisher_count) == (len(ids), len(ids))
