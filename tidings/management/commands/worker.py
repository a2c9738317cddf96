from django.core.management.base import BaseCommand

from tidings import queue


class Command(BaseCommand):
    help = "Run background tasks from the queue (scaled setup: run as many as you like)."

    def add_arguments(self, parser):
        parser.add_argument("--until-idle", action="store_true")

    def handle(self, until_idle, **options):
        done = queue.work(until_idle=until_idle)
        self.stdout.write(f"Ran {done} tasks.")
