"""Queue wiring: workers that drain the database-backed task queue.

django-tasks-db's own `db_worker --batch` exits as soon as it finds nothing ready, even while
another worker is running a task that will enqueue more; `ingest --until-idle` needs "the whole
queue is idle" instead, so this worker checks for running tasks too before it stops.
"""

import logging
import os
import time

from django.db import OperationalError, close_old_connections
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

logger = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 0.05
SERVICE_POLL_SECONDS = 1.0


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


def work(*, until_idle: bool, worker_id: str | None = None) -> int:
    """Run tasks until stopped (or, with until_idle, until nothing is ready or running)."""
    worker_id = worker_id or f"worker-{os.getpid()}"
    runner = Worker(
        queue_names=["*"], interval=SERVICE_POLL_SECONDS, batch=until_idle, backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False, max_tasks=None, worker_id=worker_id, excluded_queue_names=[],
    )  # fmt: skip
    done = 0
    while True:
        close_old_connections()
        task_result = _claim_next(worker_id)
        if task_result is not None:
            runner.run_task(task_result)
            done += 1
            continue
        if until_idle and pending_count() == 0:
            return done
        time.sleep(IDLE_POLL_SECONDS if until_idle else SERVICE_POLL_SECONDS)
