"""The scheduler loop: every few seconds, queue a refresh for each feed whose next check is due, and
queue again the tasks of workers that died while running them. Several schedulers may run: claiming
a feed is an atomic UPDATE on its next_check_at, requeueing a task a conditional UPDATE on its row."""

import logging
import threading

from django.db import close_old_connections

from core import clock
from pipeline import tasks

from . import queue

logger = logging.getLogger(__name__)

TICK_SECONDS = 15


def run_forever(stop: threading.Event) -> None:
    while not stop.is_set():
        close_old_connections()
        queued = tasks.enqueue_due_feeds(clock.now())
        if queued:
            logger.info("queued feed refreshes", extra={"count": queued})
        queue.requeue_abandoned(clock.now())
        tasks.enqueue_prune_when_due(clock.now())
        stop.wait(TICK_SECONDS)
