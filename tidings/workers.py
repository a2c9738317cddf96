"""Worker processes for `tidings run` and `tidings ingest`: forked from the parent after Django is
set up (cheap: trafilatura and the ORM are already imported), each draining the task queue.

Under `tidings run` a Supervisor also keeps them alive, with the scheduler in a process of its own: a
worker killed by the kernel's out-of-memory killer, or a scheduler stopped by a database error, is
started again, as systemd does for the separate units of a larger deployment (docs/deploy.md).
"""

import logging
import multiprocessing
import signal
import threading
import time
from dataclasses import dataclass

from django import db
from django.conf import settings

from stories import actions as story_actions

from . import queue, scheduler

logger = logging.getLogger(__name__)

# A child that dies within this long of its start counts as failing; each further quick death waits
# RESTART_PAUSE_SECONDS longer before the next start (up to MAX_RESTART_PAUSE_SECONDS), so a child that
# cannot start (a database that is down) does not spin.
QUICK_DEATH_SECONDS = 60.0
RESTART_PAUSE_SECONDS = 5.0
MAX_RESTART_PAUSE_SECONDS = 60.0


def _signals_for_child() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop,
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # by SIGTERM (a fork keeps the parent's handler)


def _worker_main(until_idle: bool) -> None:
    _signals_for_child()
    story_actions.reset_caches()  # caches copied from the parent may describe another database state
    queue.work_in_threads(settings.WORKER_THREADS, until_idle=until_idle)


def _scheduler_main() -> None:
    _signals_for_child()
    scheduler.run_forever(threading.Event())


def _fork(target, args: tuple, name: str) -> multiprocessing.Process:
    db.connections.close_all()  # never share a database connection across fork
    process = multiprocessing.get_context("fork").Process(target=target, args=args, name=name, daemon=True)
    process.start()
    return process


def start_workers(count: int, *, until_idle: bool) -> list[multiprocessing.Process]:
    return [_fork(_worker_main, (until_idle,), f"tidings-worker-{n}") for n in range(count)]


def stop_workers(processes) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)


@dataclass
class _Child:
    name: str
    target: object
    args: tuple
    process: multiprocessing.Process | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    start_after: float = 0.0  # monotonic time before which a dead child is not started again
    restarts: int = 0


class Supervisor:
    """The worker processes and the scheduler process of `tidings run`, started again when they die.

    The parent only forks and watches: it holds no database connection and runs no thread that could,
    so every fork starts clean.
    """

    def __init__(self, worker_count: int) -> None:
        self.children = [_Child(f"tidings-worker-{n}", _worker_main, (False,)) for n in range(worker_count)]
        self.children.append(_Child("tidings-scheduler", _scheduler_main, ()))

    def start(self) -> None:
        for child in self.children:
            self._start(child)

    def check(self) -> int:
        """Start again every child that has died and whose pause is over; return how many were started."""
        now = time.monotonic()
        started = 0
        for child in self.children:
            process = child.process
            if process is not None and process.is_alive():
                continue
            if process is not None:  # it died: log once, decide the pause
                lived = now - child.started_at
                child.quick_deaths = child.quick_deaths + 1 if lived < QUICK_DEATH_SECONDS else 1
                pause = min(MAX_RESTART_PAUSE_SECONDS, RESTART_PAUSE_SECONDS * (child.quick_deaths - 1))
                child.start_after = now + pause
                child.process = None
                logger.warning(
                    "%s stopped (exit code %s); starting it again in %d s", child.name, process.exitcode, pause
                )
            if now >= child.start_after:
                self._start(child)
                child.restarts += 1
                started += 1
        return started

    def stop(self) -> None:
        stop_workers([c.process for c in self.children if c.process is not None])

    def _start(self, child: _Child) -> None:
        child.process = _fork(child.target, child.args, child.name)
        child.started_at = time.monotonic()
