from django.conf import settings
from django.core.management.base import BaseCommand

from tidings import queue


class Command(BaseCommand):
    help = "Run background tasks from the queue (scaled setup: run as many as you like)."

    def add_arguments(self, parser):
        parser.add_argument("--until-idle", action="store_true")
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="tasks run at once in this process (default TIDINGS_WORKER_THREADS)",
        )

    def handle(self, until_idle, threads, **options):
        done = queue.work_in_threads(threads or settings.WORKER_THREADS, until_idle=until_idle)
        self.stdout.write(f"Ran {done} tasks.")
