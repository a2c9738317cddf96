import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from tidings import workers


class Command(BaseCommand):
    help = "Start Tidings in one command: web server, scheduler and background workers."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", dest="worker_count", type=int, default=None)

    def handle(self, bind, worker_count, **options):
        supervisor = workers.Supervisor(max(1, worker_count or settings.WORKER_PROCESSES))
        supervisor.start()
        web = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "tidings.cli", "web", "--bind", bind], env=dict(os.environ)
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"Tidings is running at http://{bind}/ (Ctrl+C to stop).")
        try:
            while not stop.is_set() and web.poll() is None:
                supervisor.check()  # a worker or the scheduler that died is started again
                stop.wait(1)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            web.terminate()
            web.wait(timeout=10)
            supervisor.stop()
        self.stdout.write("Tidings stopped.")
