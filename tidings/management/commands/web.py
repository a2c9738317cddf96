import errno
import os
import socket
import sys

from django.core.management.base import BaseCommand, CommandError
from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.util import parse_address

# Two processes per core with two threads each, rather than fewer processes with more threads: a process that
# holds several busy keep-alive connections runs their requests one at a time (Python runs one thread at once).
DEFAULT_WORKERS = 2 * (os.cpu_count() or 1)
DEFAULT_THREADS = 2
# Each process listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new connections over them.
# On one shared socket the process that wakes first accepts, and keeps every keep-alive connection it
# accepted: under 8 connections (wrk, or a proxy's pool of upstream connections) all 8 sat on one of the 4
# processes in 4 of 8 runs, which then served half the requests per second; with a socket per process, in
# none (docs/benchmarks.md "Scale"). The cost: a process that dies drops the connections still waiting in its
# own queue. Linux only: other systems accept the option without spreading connections.
SPREAD_CONNECTIONS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
# Longer than a reader's pause between requests: closing an idle connection just as the client reuses it drops
# that request (seen under 200 concurrent readers).
KEEP_ALIVE_SECONDS = 30


class Command(BaseCommand):
    help = "Serve the web site and API with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", dest="web_workers", type=int, default=DEFAULT_WORKERS)
        parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)

    def handle(self, bind, web_workers, threads, **options):
        if web_workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        serve(bind=bind, workers=web_workers, threads=threads)


def gunicorn_options(*, bind: str, workers: int, threads: int) -> list[str]:
    """How `tidings web` runs gunicorn (bench/scale.py serves its pages the same way)."""
    options = ["--bind", bind, "--workers", str(workers), "--threads", str(threads),
               "--keep-alive", str(KEEP_ALIVE_SECONDS)]  # fmt: skip
    if SPREAD_CONNECTIONS and isinstance(parse_address(bind), tuple):  # not for unix: or fd:// addresses
        options.append("--reuse-port")
    return options


def ensure_address_free(bind: str) -> None:
    """Stop with a clear error if something already listens at `bind`. Sockets that all set SO_REUSEPORT may
    share a port, so a second `tidings web` (or an old one never stopped) would otherwise start silently and
    take a share of the connections; a socket without the option cannot bind a port another listens on."""
    address = parse_address(bind)
    if not isinstance(address, tuple):
        return
    host, port = address
    try:
        family, kind, protocol, _name, where = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise CommandError(f"Cannot listen at {bind}: {error.strerror}.") from error
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: a TIME_WAIT is no user
        try:
            probe.bind(where)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandError(f"Another program is already listening at {bind}: stop it, or choose "
                                   "another address with --bind.") from error  # fmt: skip
            raise CommandError(f"Cannot listen at {bind}: {error.strerror}.") from error


def serve(*, bind: str, workers: int, threads: int) -> None:
    ensure_address_free(bind)
    sys.argv = ["gunicorn", "tidings.wsgi:application", "--access-logfile", "-", "--timeout", "60",
                *gunicorn_options(bind=bind, workers=workers, threads=threads)]  # fmt: skip
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
