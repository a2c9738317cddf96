"""`tidings web` as an operator starts it: real gunicorn processes on a port of 127.0.0.1, each with a
listening socket of its own (so the kernel spreads connections over them, docs/benchmarks.md "Scale"), and
a clear refusal, not a silent second server, when the address is taken; the application it serves has its
views loaded and frozen out of the garbage collector's sight (tidings/wsgi.py)."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tidings.management.commands import web

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc/net/tcp")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening_sockets(port: int) -> int:
    """Sockets in the LISTEN state (0A) on `port`, from /proc/net/tcp."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
            count += 1
    return count


def _web(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tidings.cli", "web", "--bind", f"127.0.0.1:{port}", *extra]


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_every_process_listens_and_a_second_server_on_the_port_is_refused():
    port = _free_port()
    stylesheet = "/static/web/tidings.css"  # served without the database
    server = subprocess.Popen(_web(port, "--workers", "2", "--threads", "1"), cwd=settings.BASE_DIR,
                              env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _listening_sockets(port) < (2 if web.SPREAD_CONNECTIONS else 1):
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "tidings web did not start listening within 60 s"
            time.sleep(0.1)
        assert _listening_sockets(port) == (2 if web.SPREAD_CONNECTIONS else 1)
        assert [_get(port, stylesheet) for _ in range(8)] == [200] * 8

        second = subprocess.run(_web(port), cwd=settings.BASE_DIR, env=dict(os.environ), capture_output=True,
                                text=True, timeout=60)  # fmt: skip
        assert second.returncode != 0
        assert f"Another program is already listening at 127.0.0.1:{port}" in second.stderr
        assert _get(port, stylesheet) == 200  # the first server is untouched
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert _listening_sockets(port) == 0


def test_an_address_that_cannot_be_bound_is_a_clear_error():
    result = subprocess.run(_web(0, "--workers", "0"), cwd=settings.BASE_DIR, env=dict(os.environ),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "--workers and --threads must be at least 1." in result.stderr
    not_this_machine = "192.0.2.1:8000"  # TEST-NET-1 (RFC 5737): no interface here has it, no name to resolve
    result = subprocess.run([sys.executable, "-m", "tidings.cli", "web", "--bind", not_this_machine],
                            cwd=settings.BASE_DIR, env=dict(os.environ), capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "Cannot listen at 192.0.2.1:8000: Cannot assign requested address." in result.stderr


def test_the_served_application_loads_every_view_and_freezes_what_it_loaded():
    probe = "import gc, sys, tidings.wsgi; print(gc.get_freeze_count(), 'web.views' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=dict(os.environ),
                            capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    frozen, views_loaded = result.stdout.split()
    assert views_loaded == "True"
    assert int(frozen) > 50_000  # Django, the apps and their views: out of the collector's sight
