import os

from django.core.management.base import BaseCommand
from gunicorn.app.wsgiapp import WSGIApplication

# Two processes per core with two threads each, rather than fewer processes with more threads: a gunicorn
# worker keeps the keep-alive connections it accepted, so with 2 processes × 4 threads a burst of clients
# often lands on one process and one core (Python runs one thread at a time) while the other idles. At 1M
# articles on 2 cores, the signed-in article page under 8 connections ran 169-177 req/s in 3 of 5 runs with
# 2 × 4 and 395-421 req/s in 5 of 5 with 4 × 2 (docs/benchmarks.md "Scale").
DEFAULT_WORKERS = 2 * (os.cpu_count() or 1)
DEFAULT_THREADS = 2


class Command(BaseCommand):
    help = "Serve the web site and API with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", dest="web_workers", type=int, default=DEFAULT_WORKERS)
        parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)

    def handle(self, bind, web_workers, threads, **options):
        serve(bind=bind, workers=web_workers, threads=threads)


def serve(*, bind: str, workers: int, threads: int) -> None:
    import sys

    sys.argv = [
        "gunicorn", "tidings.wsgi:application", "--bind", bind, "--workers", str(workers),
        "--threads", str(threads), "--access-logfile", "-", "--timeout", "60",
        # Longer than a reader's pause between requests: closing an idle keep-alive connection just
        # as the client reuses it drops that request (seen under 200 concurrent readers).
        "--keep-alive", "30",
    ]  # fmt: skip
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
