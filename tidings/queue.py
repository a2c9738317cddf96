"""Queue wiring: workers that drain the database-backed task queue.

django-tasks-db's own `db_worker --batch` exits as soon as it finds nothing ready, even while
another worker is running a task that will enqueue more; `ingest --until-idle` needs "the whole
queue is idle" instead, so this worker checks for running tasks too before it stops.

django-tasks-db leaves a task RUNNING for ever when its worker dies mid-task. Each worker here
writes a heartbeat while it lives, and a task whose worker has been silent for ABANDONED_AFTER is
queued again, by the scheduler's tick and by every worker between tasks (so `ingest --until-idle`
finishes too, and a busy queue without a scheduler still recovers).
"""

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import OperationalError, close_old_connections, connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 0.05
SERVICE_POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 10.0
# Six missed heartbeats: the worker is gone, not busy (its heartbeat thread beats during long tasks).
ABANDONED_AFTER = timedelta(seconds=60)
# How often a worker looks for abandoned tasks between tasks (a cheap query on the few RUNNING rows).
ABANDONED_CHECK_SECONDS = 15.0


def new_worker_id() -> str:
    """Unique across machines and restarts: host, process id and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@contextmanager
def heartbeat(worker_id: str, *, interval: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Keep `worker_id`'s heartbeat row fresh from a thread of its own while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while True:
                try:
                    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"seen_at": timezone.now()})
                except OperationalError as exc:  # a locked SQLite file or a database restart: try at the next beat
                    logger.warning("worker heartbeat not written", extra={"worker_id": worker_id, "error": str(exc)})
                if stop.wait(interval):
                    return
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=beat, name=f"heartbeat-{worker_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def requeue_abandoned(now: datetime, *, abandoned_after: timedelta = ABANDONED_AFTER) -> int:
    """Queue again every task RUNNING since before `now - abandoned_after` whose worker is silent."""
    cutoff = now - abandoned_after
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True))
    requeued = 0
    stale = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    for pk, worker_ids, started_at, task_path in stale.values_list("pk", "worker_ids", "started_at", "task_path"):
        if worker_ids and worker_ids[-1] in alive:
            continue  # a long task of a live worker
        # Conditional on what was read, so two schedulers never queue one task twice.
        if DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at).update(
            status=TaskResultStatus.READY, started_at=None
        ):
            requeued += 1
            logger.warning(
                "task queued again: its worker stopped while running it",
                extra={"task": task_path, "worker_id": worker_ids[-1] if worker_ids else "", "started_at": started_at},
            )
    return requeued


def pending_count() -> int:
    """Tasks still to run or running now."""
    return DBTaskResult.objects.ready().count() + DBTaskResult.objects.running().count()


def _claim_next(worker_id: str):
    tasks = DBTaskResult.objects.ready().filter(backend_name=DEFAULT_TASK_BACKEND_ALIAS)
    with exclusive_transaction(tasks.db):
        try:
            task_result = tasks.get_locked()
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise
        if task_result is not None:
            task_result.claim(worker_id)
        return task_result


def work_in_threads(threads: int, *, until_idle: bool) -> int:
    """`threads` task runners in this process, each claiming tasks as `work` does, with its own worker id,
    heartbeat and database connection. A runner waiting on a publisher's server leaves the CPU to another;
    the models and caches they share are thread-safe (the web server's threads use them too).

    A runner that fails stops the others between tasks and the process then fails as a single runner
    would, so whatever supervises it (systemd, bench/faults.py) starts a whole worker again rather than
    one running on with fewer runners.
    """
    if threads <= 1:
        return work(until_idle=until_idle)
    done = [0] * threads
    failed = threading.Event()

    def runner(n: int) -> None:
        try:
            done[n] = work(until_idle=until_idle, stop=failed)
        except BaseException:
            logger.exception("task runner stopped")
            failed.set()
        finally:
            connections.close_all()  # this thread's own connections

    helpers = [
        threading.Thread(target=runner, args=(n,), name=f"task-runner-{n}", daemon=True) for n in range(1, threads)
    ]
    for helper in helpers:
        helper.start()
    done[0] = work(until_idle=until_idle, stop=failed)
    for helper in helpers:
        helper.join()
    if failed.is_set():
        raise RuntimeError("A task runner of this worker stopped on an error (logged above), so the worker stops.")
    return sum(done)


def work(*, until_idle: bool, worker_id: str | None = None, stop: threading.Event | None = None) -> int:
    """Run tasks until stopped (or, with until_idle, until nothing is ready or running; or, between
    tasks, once `stop` is set)."""
    worker_id = worker_id or new_worker_id()
    runner = Worker(
        queue_names=["*"], interval=SERVICE_POLL_SECONDS, batch=until_idle, backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False, max_tasks=None, worker_id=worker_id, excluded_queue_names=[],
    )  # fmt: skip
    done = 0
    checked_abandoned = time.monotonic()
    with heartbeat(worker_id):
        while stop is None or not stop.is_set():
            close_old_connections()
            # Between tasks too, not only when idle: on a busy queue no worker is ever idle.
            if time.monotonic() - checked_abandoned >= ABANDONED_CHECK_SECONDS:
                requeue_abandoned(timezone.now())
                checked_abandoned = time.monotonic()
            task_result = _claim_next(worker_id)
            if task_result is not None:
                runner.run_task(task_result)
                done += 1
                continue
            if until_idle and pending_count() == 0:
                return done
            time.sleep(IDLE_POLL_SECONDS if until_idle else SERVICE_POLL_SECONDS)
        return done
