import threading

from django.core.management.base import BaseCommand

from tidings import scheduler


class Command(BaseCommand):
    help = "Queue feed refreshes as they fall due (runs until stopped)."

    def handle(self, **options):
        try:
            scheduler.run_forever(threading.Event())
        except KeyboardInterrupt:
            self.stdout.write("Scheduler stopped.")
