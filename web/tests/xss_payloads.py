"""The XSS payloads the security tests push through every road into a page.

``public_payloads()`` reads the fixture files copied from public attack material (fixtures/xss/README.md
names each source, commit and licence). ``url_payloads()`` generates the script-URL family browsers accept,
after the WHATWG URL standard and the protocol section of PortSwigger's XSS cheat sheet
(https://portswigger.net/web-security/cross-site-scripting/cheat-sheet): any C0 control or space before the
scheme, tab and newline inside it, any letter case, and HTML character references for every character of
the scheme, decimal and hex, padded or not, with or without the semicolon. Each generated script sets
``window.__pwned`` so a run is seen even where no dialog is raised.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xss"
SOURCES = ("payloadsallthethings.json", "h5sc.json", "owasp-xss-filter-evasion.json")
SCRIPT = "window.__pwned=1;alert(document.domain)"


@functools.cache
def public_payloads() -> tuple[str, ...]:
    payloads: list[str] = []
    for name in SOURCES:
        payloads += json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return tuple(payloads)


def _references(text: str) -> list[str]:
    """``text`` spelled with HTML character references, in each spelling browsers decode."""
    return [
        "".join(f"&#{ord(c)};" for c in text),
        "".join(f"&#{ord(c)}" for c in text),
        "".join(f"&#{ord(c):07d}" for c in text),
        "".join(f"&#x{ord(c):x};" for c in text),
        "".join(f"&#X{ord(c):02X}" for c in text),
        "".join(f"&#x{ord(c):08x};" for c in text),
    ]


@functools.cache
def url_payloads() -> tuple[str, ...]:
    scheme = "javascript"
    found = [
        f"{scheme}:{SCRIPT}",
        f"JaVaScRiPt:{SCRIPT}",
        f"JAVASCRIPT:{SCRIPT}",
        f"{scheme}://example.org/%0a{SCRIPT}",
        f"{scheme}:/*--></title></style></textarea></script></xmp><svg/onload='{SCRIPT}'>",
        "vbscript:msgbox(1)",
        "livescript:[window.__pwned=1]",
        f"data:text/html,<script>{SCRIPT}</script>",
        "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
        f"data:image/svg+xml,<svg onload='{SCRIPT}'/>",
        f"DATA:text/html,<script>{SCRIPT}</script>",
        f"java&Tab;script:{SCRIPT}",
        f"java&NewLine;script:{SCRIPT}",
        f"javascript&colon;{SCRIPT}",
        f"&Tab;javascript:{SCRIPT}",
        f"%6Aavascript:{SCRIPT}",
        f"javascript%3A{SCRIPT}",
    ]
    found += [f"{chr(c)}{scheme}:{SCRIPT}" for c in range(0x21)]  # C0 controls and space before the scheme
    found += [f"{chr(c) * 3}{scheme}:{SCRIPT}" for c in (0x00, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x20)]
    for at in range(1, len(scheme) + 1):  # tab, newline and carriage return at every place in the scheme
        for space in ("\t", "\n", "\r", "&#9;", "&#10;", "&#x0D;", "&Tab;"):
            found.append(f"{scheme[:at]}{space}{scheme[at:]}:{SCRIPT}")
    for at in range(len(scheme) + 1):  # one character of the scheme (or the colon) as a reference
        for spelled in _references((scheme + ":")[at]):
            found.append(f"{scheme[:at]}{spelled}{(scheme + ':')[at + 1 :]}{SCRIPT}")
    found += [f"{spelled}{SCRIPT}" for spelled in _references(f"{scheme}:")]
    found += [f"{spelled}{SCRIPT}" for spelled in _references(f" {scheme}:")]
    return tuple(dict.fromkeys(found))


def all_payloads() -> tuple[str, ...]:
    return tuple(dict.fromkeys(public_payloads() + url_payloads()))
