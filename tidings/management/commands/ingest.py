import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tasks_db.models import DBTaskResult
from tqdm import tqdm

from core import clock
from pipeline import tasks
from tidings import queue, workers


class Command(BaseCommand):
    help = "Check feeds now and process everything they bring; with --until-idle, return when done."

    def add_arguments(self, parser):
        parser.add_argument("--until-idle", action="store_true", help="return once the task queue is empty")
        parser.add_argument("--due", action="store_true", help="only feeds whose next check is due")
        parser.add_argument(
            "--workers", dest="worker_count", type=int, default=None, help="worker processes (default TIDINGS_WORKERS)"
        )
        parser.add_argument("--progress", choices=["auto", "always", "never"], default="auto")

    def handle(self, until_idle, due, worker_count, progress, **options):
        started = clock.now()
        now = clock.now()
        queued = tasks.enqueue_due_feeds(now) if due else tasks.enqueue_all_feeds(now)
        self.stdout.write(f"Checking {queued} feeds.")
        if not until_idle:
            return
        count = max(1, worker_count or settings.WORKER_PROCESSES)
        show = progress == "always" or (progress == "auto" and sys.stderr.isatty())
        processes = workers.start_workers(count, until_idle=True)
        try:
            self._wait(processes, show)
        finally:
            workers.stop_workers(processes)
        failed = DBTaskResult.objects.failed().filter(finished_at__gte=started)
        if failed.exists():
            raise CommandError(f"{failed.count()} tasks failed; see the task results in the admin.")
        self.stdout.write("Done: the queue is empty.")

    def _wait(self, processes, show: bool) -> None:
        bar = tqdm(desc="ingest", unit="task", disable=not show, file=sys.stderr)
        done_before = DBTaskResult.objects.finished().count()
        while any(p.is_alive() for p in processes):
            finished = DBTaskResult.objects.finished().count() - done_before
            bar.total = finished + queue.pending_count()
            bar.n = finished
            bar.refresh()
            time.sleep(0.25)
        bar.close()
