"""Worker processes for `tidings run` and `tidings ingest`: forked from the parent after Django is
set up (cheap: trafilatura and the ORM are already imported), each draining the task queue."""

import multiprocessing
import signal

from django import db
from django.conf import settings

from stories import actions as story_actions

from . import queue


def _worker_main(until_idle: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    story_actions.reset_caches()  # caches copied from the parent may describe another database state
    queue.work_in_threads(settings.WORKER_THREADS, until_idle=until_idle)


def start_workers(count: int, *, until_idle: bool) -> list[multiprocessing.Process]:
    db.connections.close_all()  # never share a database connection across fork
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_worker_main, args=(until_idle,), name=f"tidings-worker-{n}", daemon=True)
        for n in range(count)
    ]
    for process in processes:
        process.start()
    return processes


def stop_workers(processes) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
