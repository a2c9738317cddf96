"""The only HTTP client of Tidings.

Every byte Tidings reads from the network comes through :func:`fetch`. Keeping it in one place
means the protections a feed reader needs are applied everywhere, always:

* a clear User-Agent, connect/read timeouts and a wall-clock deadline for the whole body;
* a size cap on the *decompressed* body, enforced while streaming (decompression bombs included);
* conditional GET (ETag / Last-Modified) and the caching hints servers send back
  (Retry-After, Cache-Control max-age, Expires), reported but not acted on here;
* redirects followed by hand, so every hop is validated and loops are caught;
* an SSRF guard at connect time: names are resolved once, every address is checked, and the
  socket connects to the address that was checked (no second lookup, so no DNS rebinding);
* at most ``per_host_concurrency`` requests in flight per host, process-wide.

This module is pure of Django: options come in as a :class:`FetchOptions` value.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import threading
import time
import typing
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

import httpcore
import httpx
from protego import Protego

from reader import canonical

__all__ = [
    "DEFAULT_OPTIONS",
    "BlockedAddressError",
    "FetchError",
    "FetchOptions",
    "FetchResult",
    "GuardedNetworkBackend",
    "GuardedTransport",
    "Reason",
    "SpecialRange",
    "allowed_by_robots",
    "blocked_range",
    "clear_robots_cache",
    "fetch",
    "is_public_address",
    "make_client",
]

# Statuses that carry a Location we follow. 300 (Multiple Choices) and 305 (Use Proxy) are not
# redirects a feed reader should follow automatically.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Only these two tell us the resource moved for good; the caller re-points a feed after repeats.
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
ALLOWED_SCHEMES = frozenset({"http", "https"})
# We decode bodies ourselves (see _BodyDecoder) so the size cap counts decompressed bytes; only
# advertise what we can decode. br/zstd would need extra packages, which we do not add.
ACCEPT_ENCODING = "gzip, deflate"
# Upper bound for one zlib output step: memory held per step while inflating, whatever the
# compression ratio of the input (zlib can reach ~1000:1).
DECOMPRESS_STEP_BYTES = 64 * 1024
# robots.txt answers are cached per origin this long; an hour keeps us polite without refetching
# robots.txt before every article of a busy publisher.
ROBOTS_TTL_SECONDS = 3600.0
# After a 5xx or a network error we allow, but check again sooner than after a real answer.
ROBOTS_ERROR_TTL_SECONDS = 600.0
# Bounded so a long-running worker that sees thousands of origins does not grow without limit.
ROBOTS_CACHE_SIZE = 2048
# Google reads at most 500 KiB of a robots.txt; anything beyond is not a robots.txt we can trust.
ROBOTS_MAX_BYTES = 512 * 1024
# The product token matched against "User-agent:" lines in robots.txt.
ROBOTS_USER_AGENT_TOKEN = "Tidings"  # noqa: S105 (a product token, not a password)


class Reason(StrEnum):
    """Why a fetch produced no usable HTTP response (stored on FetchAttempt rows, so keep stable)."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    BLOCKED = "blocked"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    INVALID_URL = "invalid_url"
    PROTOCOL = "protocol"


class FetchError(Exception):
    """A fetch that produced no HTTP response we can use.

    ``reason`` is machine-readable (a :class:`Reason`); ``message`` is a plain sentence an operator
    understands on the sources health page.
    """

    def __init__(self, reason: Reason, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.url = url

    def __repr__(self) -> str:
        return f"FetchError({self.reason.value!r}, {self.message!r})"


class BlockedAddressError(Exception):
    """Raised by the guarded network backend when a host resolves to a non-public address.

    Deliberately not an httpcore/httpx exception: httpx would turn those into a generic
    ConnectError and we would lose the fact that we refused, rather than failed, to connect.
    """

    def __init__(self, host: str, address: str) -> None:
        found = blocked_range(address)
        kind = f"{found.name}, {found.rfc}" if found is not None and found.rfc else "not a public address"
        super().__init__(f"Refused: {host} resolves to a private address ({address}: {kind}).")
        self.host = host
        self.address = address


@dataclass(frozen=True)
class FetchOptions:
    """Everything fetch() needs to know; built from settings by the caller (never read here)."""

    user_agent: str = "Tidings/0.1 (+https://github.com/tidings-news/tidings; self-hosted news reader)"
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    # Wall-clock limit for one request (headers + body): a server dripping one byte every few
    # seconds never trips the read timeout, but must not hold a worker forever. Checked between
    # chunks, so the real bound is total_timeout + read_timeout.
    total_timeout: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    allow_private_hosts: frozenset[str] = field(default_factory=frozenset)
    per_host_concurrency: int = 2
    accept: str = (
        "application/rss+xml, application/atom+xml, application/feed+json, "
        "application/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
    )


DEFAULT_OPTIONS = FetchOptions()


@dataclass(frozen=True)
class FetchResult:
    """An HTTP response, whatever its status: 404, 410, 429 and 500 are results, not errors."""

    url: str
    effective_url: str
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    retry_after: float | None
    max_age: float | None
    expires: datetime | None
    permanent_redirect_to: str | None
    elapsed: float

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


# --------------------------------------------------------------------------------------------
# SSRF guard


@dataclass(frozen=True)
class SpecialRange:
    """One row of the IANA special-purpose address registries (or the IPv6 address space registry)."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    name: str
    rfc: str


def _ranges(*rows: tuple[str, str, str]) -> tuple[SpecialRange, ...]:
    return tuple(SpecialRange(ipaddress.ip_network(cidr), name, rfc) for cidr, name, rfc in rows)


# Never fetched: every block of the IANA IPv4 Special-Purpose Address Registry
# (iana-ipv4-special-registry), the ones it marks globally reachable included (anycast and AS112
# service addresses serve no feeds), plus multicast. 192.0.0.0/24 holds 192.0.0.192, Oracle
# Cloud's metadata endpoint, which Python's ipaddress calls global.
BLOCKED_IPV4 = _ranges(
    ("0.0.0.0/8", '"This network"', "RFC 791 §3.2"),
    ("10.0.0.0/8", "Private-Use", "RFC 1918"),
    ("100.64.0.0/10", "Shared Address Space", "RFC 6598"),
    ("127.0.0.0/8", "Loopback", "RFC 1122 §3.2.1.3"),
    ("169.254.0.0/16", "Link Local", "RFC 3927"),
    ("172.16.0.0/12", "Private-Use", "RFC 1918"),
    ("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890 §2.1"),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),
    ("192.31.196.0/24", "AS112-v4", "RFC 7535"),
    ("192.52.193.0/24", "AMT", "RFC 7450"),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"),
    ("192.168.0.0/16", "Private-Use", "RFC 1918"),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534"),
    ("198.18.0.0/15", "Benchmarking", "RFC 2544"),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),
    ("224.0.0.0/4", "Multicast", "RFC 5771"),
    ("240.0.0.0/4", "Reserved", "RFC 1112 §4"),
    ("255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919 §7"),
)
# Only global unicast (2000::/3, IPv6 Address Space registry) is fetched, less the blocks of the
# IANA IPv6 Special-Purpose Address Registry inside it. Outside 2000::/3 this blocks, among others,
# ::/128, ::1/128, ::/96 (IPv4-compatible), 100::/64, fc00::/7, fe80::/10, fec0::/10 and ff00::/8.
IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
BLOCKED_IPV6 = _ranges(
    ("::/128", "Unspecified Address", "RFC 4291"),
    ("::1/128", "Loopback Address", "RFC 4291"),
    ("::/96", "IPv4-Compatible IPv6 Address (deprecated)", "RFC 4291 §2.5.5.1"),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)", "RFC 8215"),
    ("100::/64", "Discard-Only Address Block", "RFC 6666"),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"),
    ("2001::/32", "TEREDO", "RFC 4380, RFC 8190"),  # before its /23: the narrower name wins
    ("2001::/23", "IETF Protocol Assignments", "RFC 2928"),
    ("2001:db8::/32", "Documentation", "RFC 3849"),
    ("2002::/16", "6to4", "RFC 3056 (deprecated relays: RFC 7526)"),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534"),
    ("3fff::/20", "Documentation", "RFC 9637"),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),
    ("fc00::/7", "Unique-Local", "RFC 4193, RFC 8190"),
    ("fe80::/10", "Link-Local Unicast", "RFC 4291"),
    ("fec0::/10", "Site-Local (deprecated)", "RFC 3879"),
    ("ff00::/8", "Multicast", "RFC 4291"),
)
# Forms that carry an IPv4 address a packet may end up at: judged as that IPv4 address.
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")  # RFC 4291 §2.5.5.2
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: reaches the IPv4 address through NAT64


def blocked_range(address: str) -> SpecialRange | None:
    """The special-purpose range a literal IP address falls in (None when it may be fetched).

    An unparseable address is blocked. IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
    addresses are judged by the IPv4 address they carry.
    """
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return SpecialRange(ipaddress.ip_network("0.0.0.0/0"), "Not an IP address", "")
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in IPV4_MAPPED or ip in NAT64_WELL_KNOWN:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        else:
            found = next((r for r in BLOCKED_IPV6 if ip in r.network), None)
            if found is None and ip not in IPV6_GLOBAL_UNICAST:
                return SpecialRange(IPV6_GLOBAL_UNICAST, "Outside IPv6 global unicast", "RFC 4291")
            return found
    return next((r for r in BLOCKED_IPV4 if ip in r.network), None)


def is_public_address(address: str) -> bool:
    """True when ``address`` (a literal IP) may be fetched: it is in none of the special-purpose
    ranges above (the embedded IPv4 address judged for mapped and NAT64 forms), and Python's
    ipaddress also calls it global (a second opinion that costs nothing)."""
    if blocked_range(address) is not None:
        return False
    ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip in NAT64_WELL_KNOWN:
        ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)  # ipaddress has no opinion on 64:ff9b::/96
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _is_literal_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _is_exempt(host: str, allow_private_hosts: frozenset[str]) -> bool:
    """The exemption applies to the host *as written in the URL*, not to what it resolves to.

    So allowing ``127.0.0.1`` does not allow ``localhost``, nor a public name that an attacker
    points at 127.0.0.1.
    """
    host = host.strip("[]").lower()
    return any(host == allowed.strip("[]").lower() for allowed in allow_private_hosts)


class GuardedNetworkBackend(httpcore.NetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked address."""

    def __init__(self, allow_private_hosts: frozenset[str] = frozenset()) -> None:
        self._allow = frozenset(h.lower() for h in allow_private_hosts)
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port)
        if not _is_exempt(host, self._allow):
            for address in addresses:
                if not is_public_address(address):
                    raise BlockedAddressError(host, address)
        return self._connect_first(addresses, port, timeout, local_address, socket_options)

    def _resolve(self, host: str, port: int) -> list[str]:
        """All addresses for ``host``, in the resolver's preferred order, without duplicates."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"Could not resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise httpcore.ConnectError(f"Could not resolve {host}.")
        return addresses

    def _connect_first(
        self,
        addresses: list[str],
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.NetworkStream:
        """Connect to the first checked address that accepts (like socket.create_connection).

        Passing a literal IP down means the inner backend does no lookup of its own. TLS still
        verifies the original host name: httpcore passes it to start_tls() as server_hostname.
        """
        last_error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("Unix sockets are not used by the fetcher.")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool rebuilt on the guarded network backend.

    httpx 0.28 builds ``self._pool = httpcore.ConnectionPool(...)`` in HTTPTransport.__init__ and
    offers no way to pass a ``network_backend``. We let it build everything (request/response
    mapping, exception mapping) and swap the private ``_pool`` for one with our backend. This
    couples us to httpx's internals (pinned ``httpx>=0.28,<0.29`` in pyproject.toml); the check
    below fails loudly if a future httpx changes the shape instead of silently dropping the guard.
    """

    def __init__(self, options: FetchOptions, *, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        super().__init__(trust_env=False, limits=limits)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("httpx.HTTPTransport internals changed: cannot install the SSRF guard.")
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(options.allow_private_hosts),
        )


def make_client(options: FetchOptions = DEFAULT_OPTIONS) -> httpx.Client:
    """A client to share between fetches (connection pooling), guarded by ``options``.

    ``trust_env=False``: a proxy taken from the environment would connect on our behalf and
    bypass the connect-time guard.
    """
    return httpx.Client(
        transport=GuardedTransport(options),
        follow_redirects=False,
        trust_env=False,
        timeout=_timeout(options),
        headers={"User-Agent": options.user_agent},
    )


_shared_clients: dict[FetchOptions, httpx.Client] = {}
_shared_clients_lock = threading.Lock()


def _shared_client(options: FetchOptions) -> httpx.Client:
    """One pooled client per distinct options value, created on first use."""
    with _shared_clients_lock:
        client = _shared_clients.get(options)
        if client is None:
            client = _shared_clients[options] = make_client(options)
        return client


def _timeout(options: FetchOptions) -> httpx.Timeout:
    return httpx.Timeout(
        connect=options.connect_timeout,
        read=options.read_timeout,
        write=options.read_timeout,
        pool=options.connect_timeout,
    )


# --------------------------------------------------------------------------------------------
# Per-host concurrency

_host_semaphores: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_host_semaphores_lock = threading.Lock()


def _host_semaphore(host: str, limit: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore for ``host``.

    Keyed by (host, limit) so that two callers with different limits each get what they asked
    for; in production every caller uses the same options, so this is one semaphore per host.
    """
    key = (host.lower(), max(1, limit))
    with _host_semaphores_lock:
        semaphore = _host_semaphores.get(key)
        if semaphore is None:
            semaphore = _host_semaphores[key] = threading.BoundedSemaphore(key[1])
        return semaphore


# --------------------------------------------------------------------------------------------
# Header parsing


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait, from ``Retry-After: 120`` or ``Retry-After: <HTTP-date>``; never negative."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _parse_http_date(value)
    if when is None:
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def parse_max_age(value: str | None) -> float | None:
    """The ``max-age`` directive of a Cache-Control header, in seconds, or None."""
    if not value:
        return None
    for directive in value.split(","):
        name, _, argument = directive.strip().partition("=")
        if name.strip().lower() == "max-age":
            argument = argument.strip().strip('"')
            return float(argument) if argument.isdigit() else None
    return None


def _parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Body decoding with a decompressed-size cap


class _BodyDecoder:
    """Inflates gzip/deflate chunk by chunk, never producing more than DECOMPRESS_STEP_BYTES at once.

    httpx's own decoders inflate a whole network chunk in one call, so a 64 KB chunk of a gzip
    bomb becomes ~64 MB in memory before we could count it. Here zlib's ``max_length`` bounds
    every step, and the caller counts as it goes.
    """

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._raw_deflate_tried = False
        if encoding == "gzip":
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            self._zlib = None

    def decode(self, chunk: bytes) -> typing.Iterator[bytes]:
        if self._zlib is None:
            if chunk:
                yield chunk
            return
        data = chunk
        while True:
            if self._zlib.eof:
                return  # trailing garbage after the stream end is ignored, as browsers do
            try:
                out = self._zlib.decompress(data, DECOMPRESS_STEP_BYTES)
            except zlib.error:
                if self._encoding == "deflate" and not self._raw_deflate_tried:
                    # Some servers send raw DEFLATE without the zlib header (as httpx tolerates).
                    self._raw_deflate_tried = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            self._raw_deflate_tried = True
            if out:
                yield out
            data = self._zlib.unconsumed_tail
            if not data and len(out) < DECOMPRESS_STEP_BYTES:
                return


def _content_encoding(response: httpx.Response) -> str:
    """The single content coding we must undo, or raise PROTOCOL for one we cannot."""
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return "identity"
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return "gzip" if codings[0] == "x-gzip" else codings[0]
    raise FetchError(
        Reason.PROTOCOL,
        f"The server used a content encoding we do not support ({', '.join(codings)}).",
        url=str(response.request.url),
    )


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def _read_body(response: httpx.Response, options: FetchOptions, deadline: float) -> bytes:
    """Stream and decode the body, enforcing the size cap and the wall-clock deadline."""
    url = str(response.request.url)
    too_large = FetchError(
        Reason.TOO_LARGE, f"The response is larger than the {_megabytes(options.max_bytes)} limit.", url=url
    )
    declared = response.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > options.max_bytes:
        raise too_large
    decoder = _BodyDecoder(_content_encoding(response))
    body = bytearray()
    try:
        for raw in response.iter_raw():
            for piece in decoder.decode(raw):
                if len(body) + len(piece) > options.max_bytes:
                    raise too_large
                body += piece
            if time.monotonic() > deadline:
                raise FetchError(
                    Reason.TIMEOUT,
                    f"The server did not send the whole response within {options.total_timeout:g} seconds.",
                    url=url,
                )
    except zlib.error as exc:
        raise FetchError(Reason.PROTOCOL, f"The compressed response is corrupt ({exc}).", url=url) from exc
    return bytes(body)


# --------------------------------------------------------------------------------------------
# URL checks and error mapping


def _check_url(url: str, options: FetchOptions) -> httpx.URL:
    """Reject what we never fetch before opening any socket: odd schemes, no host, private IPs.

    Literal IPs are checked here for a clear early message; names are checked at connect time.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(Reason.INVALID_URL, f"The address {url!r} is not a valid URL.", url=url) from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise FetchError(Reason.INVALID_URL, f"Only http and https addresses can be fetched, not {url!r}.", url=url)
    if not parsed.host:
        raise FetchError(Reason.INVALID_URL, f"The address {url!r} has no host name.", url=url)
    host = parsed.host
    if (
        _is_literal_ip(host)
        and not _is_exempt(host, options.allow_private_hosts)
        and not is_public_address(host.strip("[]"))
    ):
        found = blocked_range(host)
        kind = f" ({found.name}, {found.rfc})" if found is not None and found.rfc else ""
        raise FetchError(Reason.BLOCKED, f"Refused: {host} is a private address{kind}.", url=url)
    return parsed


def _map_transport_error(exc: Exception, url: str, options: FetchOptions) -> FetchError:
    """Turn an httpx exception into a FetchError with a sentence an operator understands."""
    host = httpx.URL(url).host
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return FetchError(
            Reason.TIMEOUT,
            f"Could not connect to {host} within {options.connect_timeout:g} seconds.",
            url=url,
        )
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(
            Reason.TIMEOUT, f"The server did not answer within {options.read_timeout:g} seconds.", url=url
        )
    if isinstance(exc, httpx.ConnectError):
        return FetchError(Reason.CONNECTION, f"Could not connect to {host} ({exc}).", url=url)
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.CloseError):
        return FetchError(Reason.CONNECTION, f"The connection to {host} was lost ({exc}).", url=url)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchError(Reason.INVALID_URL, f"The address {url!r} cannot be fetched ({exc}).", url=url)
    return FetchError(Reason.PROTOCOL, f"The server sent a malformed response ({exc}).", url=url)


# --------------------------------------------------------------------------------------------
# fetch


@dataclass
class _Hop:
    """One request/response exchange, before we decide whether to follow it."""

    status: int
    headers: httpx.Headers
    body: bytes
    location: str | None


def _request_headers(options: FetchOptions, etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {
        "User-Agent": options.user_agent,
        "Accept": options.accept,
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _exchange(
    client: httpx.Client, url: httpx.URL, headers: dict[str, str], options: FetchOptions, deadline: float
) -> _Hop:
    """One GET, holding the host's concurrency slot for the whole exchange, body included."""
    semaphore = _host_semaphore(url.host, options.per_host_concurrency)
    wait = max(0.0, deadline - time.monotonic())
    if not semaphore.acquire(timeout=wait):
        raise FetchError(
            Reason.TIMEOUT,
            f"Gave up waiting for a free connection slot to {url.host} after {options.total_timeout:g} seconds.",
            url=str(url),
        )
    try:
        with client.stream("GET", url, headers=headers, timeout=_timeout(options)) as response:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                return _Hop(response.status_code, response.headers, b"", location)
            body = _read_body(response, options, deadline) if 200 <= response.status_code < 300 else b""
            return _Hop(response.status_code, response.headers, body, None)
    except BlockedAddressError as exc:
        raise FetchError(Reason.BLOCKED, str(exc), url=str(url)) from exc
    except httpx.InvalidURL as exc:  # httpx reads a redirect's Location even when not following it
        raise FetchError(
            Reason.INVALID_URL,
            "The server redirected to an address that is not a web (http or https) address.",
            url=str(url),
        ) from exc
    except httpx.HTTPError as exc:
        raise _map_transport_error(exc, str(url), options) from exc
    finally:
        semaphore.release()


def _next_url(current: httpx.URL, location: str, options: FetchOptions) -> httpx.URL:
    """Resolve a (possibly relative) Location against the current URL, and check it."""
    # Read the Location as a browser would (tabs, newlines, control characters, scheme case): the final
    # address is stored and shown, so it must be the one helper's http(s) URL like every other.
    checked = canonical.http_url_or_none(location, str(current))
    if checked is None:
        raise FetchError(
            Reason.INVALID_URL,
            f"The server redirected to an address that is not a web (http or https) address ({location[:200]!r}).",
            url=str(current),
        )
    try:
        target = current.join(checked)
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(
            Reason.INVALID_URL,
            f"The server redirected to an invalid address ({location!r}).",
            url=str(current),
        ) from exc
    return _check_url(str(target.copy_with(fragment=None)), options)


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    options: FetchOptions = DEFAULT_OPTIONS,
    client: httpx.Client | None = None,
) -> FetchResult:
    """GET ``url`` safely and return the final response, whatever its status.

    Raises FetchError only when there is no HTTP response to report (see Reason). ``client``
    should come from ``make_client(options)``; without one a shared pooled client is used.
    """
    started = time.monotonic()
    deadline = started + options.total_timeout
    current = _check_url(url, options)
    client = client or _shared_client(options)
    headers = _request_headers(options, etag, last_modified)
    visited = {str(current)}
    permanent_to: str | None = None
    still_permanent = True  # moved permanently only while every hop so far was permanent
    for _ in range(options.max_redirects + 1):
        hop = _exchange(client, current, headers, options, deadline)
        if hop.location is None:
            return _result(url, current, hop, permanent_to, time.monotonic() - started)
        current = _next_url(current, hop.location, options)
        still_permanent = still_permanent and hop.status in PERMANENT_REDIRECT_STATUSES
        if still_permanent:
            permanent_to = str(current)
        if str(current) in visited:
            raise FetchError(Reason.TOO_MANY_REDIRECTS, f"The redirects loop back to {current}.", url=url)
        visited.add(str(current))
    raise FetchError(
        Reason.TOO_MANY_REDIRECTS, f"The server redirected more than {options.max_redirects} times.", url=url
    )


def _result(url: str, final: httpx.URL, hop: _Hop, permanent_to: str | None, elapsed: float) -> FetchResult:
    headers = hop.headers
    return FetchResult(
        url=url,
        effective_url=str(final),
        status=hop.status,
        body=hop.body,
        content_type=headers.get("content-type", ""),
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        retry_after=parse_retry_after(headers.get("retry-after")),
        max_age=parse_max_age(headers.get("cache-control")),
        expires=_parse_http_date(headers.get("expires")),
        permanent_redirect_to=permanent_to,
        elapsed=elapsed,
    )


# --------------------------------------------------------------------------------------------
# robots.txt


@dataclass(frozen=True)
class _RobotsEntry:
    parser: Protego | None  # None: everything allowed
    expires_at: float


_robots_cache: OrderedDict[str, _RobotsEntry] = OrderedDict()
_robots_lock = threading.Lock()


def clear_robots_cache() -> None:
    """Forget every cached robots.txt (tests, or an operator asking for a re-check)."""
    with _robots_lock:
        _robots_cache.clear()


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def _load_robots(origin: str, options: FetchOptions, client: httpx.Client | None) -> _RobotsEntry:
    """Fetch and parse ``origin``/robots.txt through fetch() itself (same guard, same limits).

    A 4xx means there is no robots.txt: everything is allowed (RFC 9309 §2.3.1.3).
    A 5xx or a network error is also treated as allowed, which differs from Google (it treats
    5xx as disallow-all for a while). We fetch feeds that publishers put out precisely for
    readers like us, and one fetch per poll interval is far from crawler load; stopping every
    feed of a publisher because its robots.txt endpoint hiccups would hurt readers more than it
    protects the site. We re-check sooner (ROBOTS_ERROR_TTL_SECONDS) so a real rule applies soon.
    """
    now = time.monotonic()
    robots_options = replace(options, max_bytes=min(options.max_bytes, ROBOTS_MAX_BYTES))
    try:
        result = fetch(f"{origin}/robots.txt", options=robots_options, client=client)
    except FetchError:
        return _RobotsEntry(None, now + ROBOTS_ERROR_TTL_SECONDS)
    if result.ok:
        return _RobotsEntry(Protego.parse(result.body.decode("utf-8", "replace")), now + ROBOTS_TTL_SECONDS)
    if 400 <= result.status < 500:
        return _RobotsEntry(None, now + ROBOTS_TTL_SECONDS)
    return _RobotsEntry(None, now + ROBOTS_ERROR_TTL_SECONDS)


def allowed_by_robots(url: str, *, options: FetchOptions = DEFAULT_OPTIONS, client: httpx.Client | None = None) -> bool:
    """Whether robots.txt of ``url``'s origin lets the "Tidings" user agent fetch ``url``.

    A URL that fetch() would refuse anyway (bad scheme, private literal IP) answers True here:
    fetch() then raises with the precise reason, so callers need one error path, not two.
    """
    try:
        origin = _origin(_check_url(url, options))
    except FetchError:
        return True
    with _robots_lock:
        entry = _robots_cache.get(origin)
        if entry is not None and entry.expires_at > time.monotonic():
            _robots_cache.move_to_end(origin)
        else:
            entry = None
    if entry is None:
        # Fetched outside the lock: a slow robots.txt must not stall other origins. Two threads
        # may fetch the same robots.txt once; that is cheaper than a per-origin lock.
        entry = _load_robots(origin, options, client)
        with _robots_lock:
            _robots_cache[origin] = entry
            _robots_cache.move_to_end(origin)
            while len(_robots_cache) > ROBOTS_CACHE_SIZE:
                _robots_cache.popitem(last=False)
    return entry.parser is None or entry.parser.can_fetch(url, ROBOTS_USER_AGENT_TOKEN)
