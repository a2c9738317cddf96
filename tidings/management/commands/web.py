from django.core.management.base import BaseCommand
from gunicorn.app.wsgiapp import WSGIApplication


class Command(BaseCommand):
    help = "Serve the web site and API with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", dest="web_workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

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
