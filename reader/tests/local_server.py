"""A small programmable HTTP server on 127.0.0.1 for tests that need real sockets.

Used by the fetcher's tests and by pipeline / end-to-end tests. Nothing here touches Django.

    server = LocalServer().start()          # or the ``local_server`` pytest fixture
    server.route("/feed.xml", body=b"<rss/>", content_type="application/rss+xml", etag='"v1"')
    server.redirect("/old", "/feed.xml", status=301)
    server.huge("/big", size=50 * 1024 * 1024)
    server.gzip_bomb("/bomb")
    fetch(server.url("/feed.xml"), options=FetchOptions(allow_private_hosts=frozenset({"127.0.0.1"})))
    assert server.hits("/feed.xml") == 1
    server.stop()

Routes match the request path exactly (the query string is ignored unless a route was
registered with it). Unknown paths answer 404. Every request is recorded per path (headers
included), and the server tracks how many requests of each path were in flight at once.

The fetcher refuses loopback addresses unless allowed: pass
``FetchOptions(allow_private_hosts=frozenset({"127.0.0.1"}))`` (or ``server.fetch_options()``).
"""

from __future__ import annotations

import email.utils
import functools
import gzip
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["LocalServer", "RecordedRequest", "Route", "gzip_bomb_payload"]

# Size of the chunks huge bodies are written in: small enough that the server never holds
# much, large enough that 50 MB streams in well under a second on loopback.
STREAM_CHUNK_BYTES = 64 * 1024
# The gzip bomb inflates to this much; the fetcher's cap (5 MB by default) must stop far before.
GZIP_BOMB_INFLATED_BYTES = 100 * 1024 * 1024 + 1
# serve_forever() notices stop() only between polls; the stdlib default (0.5 s) would add half a
# second to every test that uses the server.
SHUTDOWN_POLL_SECONDS = 0.02
# Errors a client causes by hanging up early (size cap, timeout); expected in these tests.
CLIENT_GONE_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)

Handler = Callable[[BaseHTTPRequestHandler], None]


@functools.cache
def gzip_bomb_payload() -> bytes:
    """A ~100 KB gzip stream of zeros that inflates to just over 100 MB (built once, on first use)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(GZIP_BOMB_INFLATED_BYTES // len(block))]
    parts.append(compressor.compress(bytes(GZIP_BOMB_INFLATED_BYTES % len(block))))
    parts.append(compressor.flush())
    return b"".join(parts)


@dataclass
class Route:
    """What one path answers. Build with LocalServer.route() and friends rather than directly.

    ``body`` may be bytes, or a callable returning an iterable of byte chunks (streamed without
    holding the whole body). ``handler`` takes over completely: it receives the request handler
    and must write a full response itself (send_response, headers, body).
    """

    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/xml"
    etag: str | None = None
    last_modified: str | None = None
    encoding: str | None = None  # "gzip" or "deflate": compress body on the fly
    precompressed: str | None = None  # body is already encoded with this Content-Encoding
    delay: float = 0.0  # seconds to wait before answering
    content_length: bool = True  # False: no Content-Length, close the connection to end the body
    declared_length: int | None = None  # a Content-Length to announce instead of the real one
    handler: Handler | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    at: float


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 so the client's connection pooling is exercised; every response therefore sends
    # a Content-Length or closes the connection.
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self.server.owner._handle(self)

    def do_HEAD(self) -> None:
        self.server.owner._handle(self)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest output is for failures, not access logs."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a request still sleeping in a slow route must not block stop()
    block_on_close = False
    owner: LocalServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up early is the point of several tests; stay quiet about it."""


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 (random free port) with programmable routes."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._max_in_flight: Counter[str] = Counter()
        self._requests: defaultdict[str, list[RecordedRequest]] = defaultdict(list)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LocalServer:
        self._httpd = _Server(("127.0.0.1", 0), _RequestHandler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="LocalServer",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        assert self._httpd is not None, "call start() first"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        """Absolute URL of ``path``; ``host="localhost"`` gives the same server under another name."""
        return f"http://{host or self.host}:{self.port}{path}"

    def fetch_options(self, **overrides: object):
        """FetchOptions that let the fetcher reach this server (127.0.0.1 allowed)."""
        from reader.fetching import FetchOptions

        overrides.setdefault("allow_private_hosts", frozenset({self.host}))
        return FetchOptions(**overrides)

    # -- programming routes ----------------------------------------------------------------

    def route(
        self,
        path: str,
        body: bytes | str | Callable[[], Iterable[bytes]] = b"",
        *,
        status: int = 200,
        **kwargs: object,
    ) -> Route:
        """Answer ``path`` with ``body``; keyword arguments are Route fields.

        ``body`` may be a callable returning an iterable of chunks, streamed as produced.

        With ``etag`` / ``last_modified`` set, a matching If-None-Match / If-Modified-Since gets
        a 304. ``encoding="gzip"`` compresses the body (sent with Content-Encoding).
        """
        if isinstance(body, str):
            body = body.encode()
        route = Route(status=status, body=body, **kwargs)  # type: ignore[arg-type]
        with self._lock:
            self._routes[path] = route
        return route

    def handler(self, path: str, handler: Handler) -> Route:
        """Let ``handler(request_handler)`` write the whole response for ``path``."""
        return self.route(path, handler=handler)

    def redirect(self, path: str, to: str, *, status: int = 302) -> Route:
        """Redirect ``path`` to ``to`` (relative or absolute, any host: the fetcher must judge)."""
        return self.route(path, status=status, headers={"Location": to})

    def huge(self, path: str, size: int = 50 * 1024 * 1024, *, content_length: bool = True) -> Route:
        """A body of ``size`` bytes generated chunk by chunk; never held in memory at once.

        ``content_length=False`` omits the header, so only a streaming cap can stop it.
        """

        def chunks() -> Iterator[bytes]:
            block = b"x" * STREAM_CHUNK_BYTES
            remaining = size
            while remaining > 0:
                yield block[:remaining]
                remaining -= STREAM_CHUNK_BYTES

        return self.route(
            path,
            body=chunks,
            content_type="application/octet-stream",
            content_length=content_length,
            declared_length=size if content_length else None,
        )

    def gzip_bomb(self, path: str) -> Route:
        """~100 KB on the wire, >100 MB once inflated, announced as gzip-encoded XML."""
        return self.route(path, body=gzip_bomb_payload(), precompressed="gzip")

    def drip(self, path: str, *, interval: float, chunks: int, chunk: bytes = b"<") -> Route:
        """Send ``chunks`` pieces ``interval`` seconds apart (a slow-drip server)."""

        def pieces() -> Iterator[bytes]:
            for _ in range(chunks):
                yield chunk
                time.sleep(interval)

        return self.route(path, body=pieces, content_length=False)

    # -- observations ----------------------------------------------------------------------

    def hits(self, path: str) -> int:
        """How many requests reached ``path``."""
        with self._lock:
            return self._hits[path]

    def total_hits(self) -> int:
        """How many requests reached the server at all, whatever their path."""
        with self._lock:
            return sum(self._hits.values())

    def max_concurrency(self, path: str) -> int:
        """The largest number of requests to ``path`` that were being served at the same time."""
        with self._lock:
            return self._max_in_flight[path]

    def requests(self, path: str) -> list[RecordedRequest]:
        """Every request to ``path`` (oldest first), with its headers."""
        with self._lock:
            return list(self._requests[path])

    def last_request(self, path: str) -> RecordedRequest:
        return self.requests(path)[-1]

    # -- serving ---------------------------------------------------------------------------

    def _handle(self, request: _RequestHandler) -> None:
        path = request.path
        with self._lock:
            route = self._routes.get(path) or self._routes.get(path.split("?", 1)[0])
            key = path if path in self._routes else path.split("?", 1)[0]
            self._hits[key] += 1
            self._requests[key].append(
                RecordedRequest(request.command, path, dict(request.headers.items()), time.monotonic())
            )
            self._in_flight[key] += 1
            self._max_in_flight[key] = max(self._max_in_flight[key], self._in_flight[key])
        try:
            if route is None:
                _send_simple(request, 404, b"not found")
            else:
                if route.delay:
                    time.sleep(route.delay)
                if route.handler is not None:
                    route.handler(request)
                else:
                    _send_route(request, route)
        except CLIENT_GONE_ERRORS:
            request.close_connection = True
        finally:
            with self._lock:
                self._in_flight[key] -= 1


def _not_modified(request: BaseHTTPRequestHandler, route: Route) -> bool:
    if route.etag is not None and request.headers.get("If-None-Match"):
        candidates = [tag.strip() for tag in request.headers["If-None-Match"].split(",")]
        return route.etag in candidates or "*" in candidates
    if route.last_modified is not None and request.headers.get("If-Modified-Since"):
        since = email.utils.parsedate_to_datetime(request.headers["If-Modified-Since"])
        return email.utils.parsedate_to_datetime(route.last_modified) <= since
    return False


def _send_simple(request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    request.send_response(status)
    request.send_header("Content-Type", "text/plain")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(body)


def _encode(body: bytes, encoding: str | None) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    return body


def _send_route(request: BaseHTTPRequestHandler, route: Route) -> None:
    validators = {"ETag": route.etag, "Last-Modified": route.last_modified}
    if _not_modified(request, route):
        request.send_response(304)
        for name, value in validators.items():
            if value is not None:
                request.send_header(name, value)
        request.send_header("Content-Length", "0")
        request.end_headers()
        return
    streamed = callable(route.body)
    body = b"" if streamed else _encode(route.body, route.encoding)  # type: ignore[arg-type]
    request.send_response(route.status)
    request.send_header("Content-Type", route.content_type)
    for name, value in validators.items():
        if value is not None:
            request.send_header(name, value)
    if route.encoding or route.precompressed:
        request.send_header("Content-Encoding", route.encoding or route.precompressed)
    for name, value in route.headers.items():
        request.send_header(name, value)
    if route.declared_length is not None:
        request.send_header("Content-Length", str(route.declared_length))
    elif route.content_length and not streamed:
        request.send_header("Content-Length", str(len(body)))
    else:
        request.send_header("Connection", "close")
        request.close_connection = True
    request.end_headers()
    if request.command == "HEAD":
        return
    if streamed:
        for chunk in route.body():  # type: ignore[operator]
            request.wfile.write(chunk)
            request.wfile.flush()
    else:
        request.wfile.write(body)
