"""The fetcher's SSRF guard against public bypass lists, with a real server on 127.0.0.1 that counts hits.

Sources of the URL families (copied into fixtures/hostile/, see its README):

* PayloadsAllTheThings, "Server Side Request Forgery/README.md" and "SSRF-Cloud-Instances.md"
  (https://github.com/swisskyrepo/PayloadsAllTheThings, MIT licence): localhost, [::], CIDR,
  decimal, octal, IPv6/IPv4 embedding, rare-address, URL-encoding, tricks-combination, enclosed
  alphanumerics and weak-parser forms, cloud metadata endpoints.
* The IANA IPv4 and IPv6 Special-Purpose Address Registries (iana-ipv4-special-registry,
  iana-ipv6-special-registry): one address from every block, in ``fetching.BLOCKED_IPV4`` and
  ``fetching.BLOCKED_IPV6``.
* Our own: hex and mixed-radix IPv4, IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96 and
  64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32) forms of loopback and metadata addresses.

What must hold: no request reaches the server (0 hits) unless its host, as written, is exempted by
TIDINGS_ALLOW_PRIVATE_HOSTS; redirects to any of these are refused at every hop.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from reader.fetching import (
    BLOCKED_IPV4,
    BLOCKED_IPV6,
    FetchError,
    FetchOptions,
    Reason,
    blocked_range,
    fetch,
    is_public_address,
)

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
NO_EXEMPTION = FetchOptions(allow_private_hosts=frozenset(), connect_timeout=1.0, read_timeout=1.0, total_timeout=3.0)
LOOPBACK_MIRROR = FetchOptions(
    allow_private_hosts=frozenset({"127.0.0.1"}), connect_timeout=1.0, read_timeout=1.0, total_timeout=3.0
)


def _lines(name: str) -> list[str]:
    lines = (HOSTILE / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


LOCALHOST_FORMS = _lines("payloadsallthethings-ssrf-localhost.txt")
CLOUD_FORMS = _lines("payloadsallthethings-ssrf-cloud.txt")
# Names a resolver may or may not know here (public wildcard DNS, no network in CI): refused either
# because they resolve to loopback (BLOCKED) or because they do not resolve (CONNECTION).
NEEDS_DNS = ("localtest.me", "nip.io")


# --- the literal cases of the issue -------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("192.0.0.192", "IETF Protocol Assignments"),  # Oracle Cloud metadata; ipaddress calls it global
        ("fec0::1", "Site-Local (deprecated)"),
        ("192.88.99.1", "Deprecated (6to4 Relay Anycast)"),
        ("64:ff9b::a00:1", "Private-Use"),  # NAT64 of 10.0.0.1
        ("64:ff9b:1::808:808", "IPv4-IPv6 Translat. (local use)"),
        ("2002:a00:1::", "6to4"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "TEREDO"),
        ("::ffff:127.0.0.1", "Loopback"),
        ("::127.0.0.1", "IPv4-Compatible IPv6 Address (deprecated)"),
        ("::ffff:169.254.169.254", "Link Local"),
    ],
)
def test_the_addresses_the_issue_names_are_blocked_by_registry_name(address, name):
    assert not is_public_address(address)
    assert blocked_range(address).name == name


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8"]
)
def test_public_addresses_and_their_nat64_and_mapped_forms_pass(address):
    assert (is_public_address(address), blocked_range(address)) == (True, None)


def test_every_block_of_both_registries_is_refused_first_last_and_inside():
    """One address at each end and in the middle of every listed block."""
    for special in (*BLOCKED_IPV4, *BLOCKED_IPV6):
        network = special.network
        for ip in {
            network.network_address,
            network.broadcast_address,
            network.network_address + network.num_addresses // 2,
        }:
            assert not is_public_address(str(ip)), (str(ip), special.name)


def test_every_block_names_its_rfc():
    assert [r for r in (*BLOCKED_IPV4, *BLOCKED_IPV6) if not r.rfc.startswith("RFC ")] == []


def test_ipv6_outside_global_unicast_is_refused():
    for address in ("100::1", "4000::1", "e000::1", "fe00::1", "::2"):
        assert not is_public_address(address), address


def test_a_mapped_address_of_every_ipv4_block_is_refused():
    for special in BLOCKED_IPV4:
        inside = (
            special.network.network_address + 1
            if special.network.num_addresses > 1
            else special.network.network_address
        )
        for wrapped in (f"::ffff:{inside}", f"64:ff9b::{inside}"):
            assert not is_public_address(wrapped), (wrapped, special.name)
        assert not is_public_address(str(ipaddress.IPv6Address(int(inside) | (0x2002 << 112))))  # 6to4 carries it too


# --- against a real server: 0 hits --------------------------------------------------------------


@pytest.mark.parametrize("template", LOCALHOST_FORMS)
def test_loopback_forms_never_reach_the_server(local_server, template):
    local_server.route("/secret", b"secret")
    url = template.format(port=local_server.port)
    with pytest.raises(FetchError) as excinfo:
        fetch(url, options=NO_EXEMPTION)
    expected = {Reason.BLOCKED, Reason.CONNECTION} if any(n in url for n in NEEDS_DNS) else {Reason.BLOCKED}
    if "0177." in url or "ⓛ" in url or "o177." in url or "q177." in url or "\\" in url:
        expected = {Reason.INVALID_URL, Reason.BLOCKED, Reason.CONNECTION}  # httpx refuses or resolves nothing
    assert excinfo.value.reason in expected, (url, excinfo.value.message)
    assert local_server.total_hits() == 0


def test_the_exemption_admits_the_host_as_written_and_nothing_else(local_server):
    """TIDINGS_ALLOW_PRIVATE_HOSTS=127.0.0.1 serves a local mirror; encoded forms of it stay refused."""
    local_server.route("/secret", b"secret")
    reached = []
    for template in LOCALHOST_FORMS:
        url = template.format(port=local_server.port)
        try:
            fetch(url, options=LOOPBACK_MIRROR)
        except FetchError:
            continue
        reached.append(template)
    assert reached == [
        "http://127.0.0.1:{port}/secret",
        "http://127.0.0.1:{port}/%61dmin",
        "http://127.0.0.1:{port}/%2561dmin",
        # httpx, like the WHATWG parser, reads what precedes the last "@" as user info: the host
        # of these is 127.0.0.1 itself, the exempted mirror, and nothing else is reached.
        "http://1.1.1.1 &@127.0.0.1:{port}# @3.3.3.3/secret",
        "http://127.1.1.1:{port}\\@127.0.0.1:{port}/secret",
        "http://127.1.1.1:{port}\\@@127.0.0.1:{port}/secret",
        "http://127.1.1.1:{port}:\\@@127.0.0.1:{port}/secret",
        "http://foo@127.0.0.1:{port}/secret",
    ]


@pytest.mark.parametrize("url", CLOUD_FORMS)
def test_cloud_metadata_and_private_forms_are_refused_before_connecting(url):
    with pytest.raises(FetchError) as excinfo:
        fetch(url, options=LOOPBACK_MIRROR)
    assert excinfo.value.reason == Reason.BLOCKED, excinfo.value.message
    assert excinfo.value.message.startswith("Refused: ")


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/secret",
        "http://2130706433:{port}/secret",
        "http://0x7f000001:{port}/secret",
        "http://127.1:{port}/secret",
        "http://[::ffff:127.0.0.1]:{port}/secret",
        "http://[64:ff9b::7f00:1]:{port}/secret",
        "http://0.0.0.0:{port}/secret",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.0.0.192/latest/",
        "http://[fec0::1]/",
    ],
)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_to_private_forms_are_refused_at_the_hop(local_server, target, status):
    """The redirector is reached as "localhost", exempted for this test; its targets are not."""
    local_server.route("/secret", b"secret")
    local_server.redirect("/hop", target.format(port=local_server.port), status=status)
    local_server.redirect("/first", local_server.url("/hop", host="localhost"), status=302)
    options = FetchOptions(allow_private_hosts=frozenset({"localhost"}), connect_timeout=1.0, read_timeout=1.0)
    with pytest.raises(FetchError) as excinfo:
        fetch(local_server.url("/first", host="localhost"), options=options)
    assert excinfo.value.reason == Reason.BLOCKED, excinfo.value.message
    assert (local_server.hits("/first"), local_server.hits("/hop"), local_server.hits("/secret")) == (1, 1, 0)
