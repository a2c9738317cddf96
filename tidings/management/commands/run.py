import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from tidings import scheduler, workers


class Command(BaseCommand):
    help = "Start Tidings in one command: web server, scheduler and background workers."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", dest="worker_count", type=int, default=None)

    def handle(self, bind, worker_count, **options):
        count = max(1, worker_count or settings.WORKER_PROCESSES)
        processes = workers.start_workers(count, until_idle=False)
        web = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "tidings.cli", "web", "--bind", bind], env=dict(os.environ)
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"Tidings is running at http://{bind}/ (Ctrl+C to stop).")
        loop = threading.Thread(target=scheduler.run_forever, args=(stop,), daemon=True)
        loop.start()
        try:
            while not stop.is_set() and web.poll() is None:
                stop.wait(1)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            web.terminate()
            web.wait(timeout=10)
            workers.stop_workers(processes)
        self.stdout.write("Tidings stopped.")
