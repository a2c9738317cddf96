"""Hostile XML and HTML against every parser path, in a subprocess that measures its peak memory.

Sources of the payload families (copied into fixtures/hostile/, see its README):

* PayloadsAllTheThings, "XXE Injection/Intruders/XXE_Fuzzing.txt", "XXE Injection/Files/Deny Of
  Service - Billion Laugh Attack" and "XXE OOB Attack (Yunusov, 2013).xml"
  (https://github.com/swisskyrepo/PayloadsAllTheThings, MIT licence).
* defusedxml's own test documents, xmltestdata/xmlbomb.xml, external.xml and dtd_element.xml
  (https://github.com/tiran/defusedxml, PSF licence).
* The OWASP XML External Entity Prevention Cheat Sheet's classes (billion laughs, quadratic blowup,
  external DTD, external general and parameter entities), generated here at the fetcher's 5 MB cap.
* The cases issue 10 names: a SYSTEM DTD naming a local file (a file-existence oracle) and
  /proc/self/fd/0 (a hang), a 46 kB quadratic blowup, a 100 kB non-feed document of entities.

Every SYSTEM identifier in the fixtures is also rewritten to a canary DTD that would define
"&canary;" if read, to the same path missing (the two results must be equal: no oracle), to a FIFO
and to /proc/self/fd/0 (opening either would hang the runner), and to a URL on a local server that
counts hits (0 allowed). What must hold: each document ends parsed or with FeedParseError /
ExtractionError, nothing from a named file appears in any output, and the runner's peak memory stays
within 64 MB (plus the largest input) above its warm-up peak.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reader.tests.local_server import LocalServer

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
REPO_ROOT = Path(__file__).resolve().parents[2]
CANARY_TEXT = "CANARY-LEAKED-7f3a"
MEMORY_BUDGET_BYTES = 64 * 1024 * 1024
RUNNER_TIMEOUT_SECONDS = 300  # a hang detector, not a speed assertion
_ENTITY_NAME_RE = re.compile(r"<!ENTITY\s+(?:%\s+)?([A-Za-z_][\w.-]*)")
_SYSTEM_RE = re.compile(r"""(SYSTEM\s+)(["'])[^"']*\2""")


def _rss(prolog: str, title: str, description: str = "d", items: str = "") -> str:
    return (
        f'<?xml version="1.0"?>{prolog}<rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://hostile.example/</link><description>{description}</description>"
        f"<item><title>{title}</title><link>https://hostile.example/1</link>"
        f"<description>{description}</description></item>{items}</channel></rss>"
    )


def _prolog(document: str) -> str:
    """The DOCTYPE (or bare ENTITY declarations) of a payload line, without its XML declaration."""
    document = re.sub(r"^\s*<\?xml[^>]*\?>", "", document)
    end = document.find("]>")
    return document[: end + 2] if end >= 0 else document.split("<foo>")[0].split("<root>")[0]


def _references(document: str) -> str:
    return "".join(f"&{name};" for name in dict.fromkeys(_ENTITY_NAME_RE.findall(document))) or "&xxe;"


def _fixture_documents() -> dict[str, str]:
    documents = {}
    lines = (HOSTILE / "payloadsallthethings-xxe-fuzzing.txt").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        documents[f"patt-xxe-fuzzing-{number}"] = line
    for path in sorted(HOSTILE.glob("*.xml")):
        documents[path.stem] = path.read_text(encoding="utf-8")
    return documents


def _generated_feeds() -> dict[str, str]:
    """Attack classes at sizes near the fetcher's 5 MB cap."""
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    feeds = {
        "billion-laughs-lol9": _rss(f'<!DOCTYPE rss [<!ENTITY l0 "lol">{lol}]>', "&l9;", "&l9;"),
        "billion-laughs-parameter": _rss(
            '<!DOCTYPE rss [<!ENTITY % p0 "lol"><!ENTITY % p1 "%p0;%p0;%p0;%p0;%p0;%p0;%p0;%p0;">'
            '<!ENTITY % p2 "%p1;%p1;%p1;%p1;%p1;%p1;%p1;%p1;"><!ENTITY e "%p2;">]>',
            "&e;",
        ),
        "quadratic-46kB": _rss(f'<!DOCTYPE rss [<!ENTITY a "{"A" * 20_000}">]>', "T", "&a;" * 6_500),
        "quadratic-near-cap": _rss(f'<!DOCTYPE rss [<!ENTITY a "{"A" * 1_000}">]>', "T", "&a;" * 1_200_000),
        "quadratic-under-budget": _rss(f'<!DOCTYPE rss [<!ENTITY a "{"A" * 100}">]>', "T", "&a;" * 4_000),
        "entities-100kB-non-feed": (
            f'<!DOCTYPE html [<!ENTITY a "{"B" * 1_000}">]><html><body><p>{"&a;" * 25_000}</p></body></html>'
        ),
        "declaration-hidden-in-prolog-comment": (
            f'<!--\n<!DOCTYPE rss>\n<!ENTITY a "{"C" * 1_000}">\n-->' + _rss("", "T", "&a;" * 60_000)[21:]
        ),
        "declaration-split-by-declaration": _rss(
            '<!DOC<!DOCTYPE x>TYPE rss [<!ENTITY a "' + "D" * 1000 + '">]>', "T", "&a;" * 60_000
        ),
        "deep-nesting-unclosed": _rss("", "T & U", items="<a>" * 240_000),
        "deep-nesting-closed": _rss("", "T", items="<div>" * 120_000 + "</div>" * 120_000),
        "deep-nesting-lenient": _rss("", "T & U", items="<a>" * 59_000),
        "huge-attribute": _rss("", "T", items=f'<enclosure url="https://hostile.example/{"u" * 5_000_000}"/>'),
        "many-attributes-one-element": _rss("", "T", items="<x " + " ".join(f'a{i}="v"' for i in range(5_000)) + "/>"),
        "many-attributes": _rss("", "T", items=("<x " + " ".join(f'a{i}="v"' for i in range(990)) + "/>") * 100),
        "many-tags": _rss("", "T", items="<x/>" * 240_000),
        "many-entries": _rss(
            "", "T", items="<item><title>i</title><link>https://hostile.example/i</link></item>" * 19_000
        ),
        "too-many-entries": _rss("", "T", items="<item/>" * 200_000),
    }
    return feeds


def _rewritten_prologs(documents: dict[str, str], targets: dict[str, str]) -> dict[str, str]:
    """Each fixture's declarations before an RSS feed that uses every entity they declare, with every
    SYSTEM identifier pointed at each target in turn."""
    feeds = {}
    for name, document in documents.items():
        if "<!DOCTYPE" not in document and "<!ENTITY" not in document:
            continue
        prolog, references = _prolog(document), _references(document)
        feeds[f"{name}-as-feed"] = _rss(prolog, f"T {references}", references)
        for target_name, target in targets.items():
            if _SYSTEM_RE.search(prolog):
                rewritten = _SYSTEM_RE.sub(lambda m, t=target: f"{m.group(1)}{m.group(2)}{t}{m.group(2)}", prolog)
                feeds[f"{name}-system-{target_name}"] = _rss(rewritten, f"T {references}", references)
    return feeds


def _issue_literals(canary: str, missing: str, fifo: str) -> dict[str, str]:
    def doctype(target: str) -> str:
        return _rss(f'<!DOCTYPE rss SYSTEM "{target}">', "T &canary;", "&canary;")

    return {
        "issue-system-dtd-canary": doctype(canary),
        "issue-system-dtd-missing": doctype(missing),
        "issue-system-dtd-stdin": doctype("file:///proc/self/fd/0"),
        "issue-system-dtd-fifo": doctype(fifo),
        "issue-system-dtd-etc-passwd": doctype("file:///etc/passwd"),
        "issue-public-dtd-canary": _rss(f'<!DOCTYPE rss PUBLIC "-//X//DTD X//EN" "{canary}">', "T &canary;"),
        "issue-entity-system-canary": _rss(
            f'<!DOCTYPE rss [<!ENTITY canary SYSTEM "{canary}">]>', "T &canary;", "&canary;"
        ),
        "issue-parameter-entity-canary": _rss(
            f'<!DOCTYPE rss [<!ENTITY % dtd SYSTEM "{canary}"> %dtd;]>', "T &canary;", "&canary;"
        ),
    }


def _pages(canary: str, fifo: str) -> dict[str, str]:
    paragraph = "<p>" + "A sentence of article text that goes on for a while. " * 8 + "&canary;</p>"
    pages = {}
    for name, target in (("canary", canary), ("fifo", fifo), ("stdin", "file:///proc/self/fd/0")):
        pages[f"page-system-dtd-{name}"] = (
            f'<?xml version="1.0"?><!DOCTYPE html SYSTEM "{target}" [<!ENTITY canary SYSTEM "{target}">'
            f'<!ENTITY % p SYSTEM "{target}"> %p;]><html><head><title>T &canary;</title></head>'
            f"<body><article><h1>Head</h1>{paragraph * 3}</article></body></html>"
        )
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    pages["page-billion-laughs"] = (
        f'<!DOCTYPE html [<!ENTITY l0 "lol">{lol}]><html><body><article>{paragraph * 3}&l9;</article></body></html>'
    )
    pages["page-deep-nesting"] = "<html><body>" + "<div>" * 100_000 + paragraph * 3 + "</div>" * 100_000
    return pages


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """Write every case, run them all in one subprocess, return (report, cases, server hits)."""
    tmp = tmp_path_factory.mktemp("hostile")
    canary = tmp / "canary.dtd"
    canary.write_text(f'<!ENTITY canary "{CANARY_TEXT}">\n')
    fifo = tmp / "canary.fifo"
    os.mkfifo(fifo)
    missing = tmp / "missing.dtd"
    with LocalServer() as server:
        server.route("/xxe.dtd", f'<!ENTITY canary "{CANARY_TEXT}">'.encode(), content_type="application/xml-dtd")
        targets = {
            "canary": canary.as_uri(),
            "missing": missing.as_uri(),
            "fifo": fifo.as_uri(),
            "stdin": "file:///proc/self/fd/0",
            "http": server.url("/xxe.dtd"),
        }
        fixtures = _fixture_documents()
        feeds = {**fixtures, **_rewritten_prologs(fixtures, targets), **_generated_feeds()}
        feeds.update(_issue_literals(canary.as_uri(), missing.as_uri(), fifo.as_uri()))
        feeds["utf16-doctype"] = _rss('<!DOCTYPE rss SYSTEM "file:///etc/passwd">', "T").replace(
            '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>'
        )
        feeds["utf7-doctype"] = (
            '<?xml version="1.0" encoding="UTF-7"?>'
            + _rss(
                "+ADw-!DOCTYPE rss +AFs-+ADw-!ENTITY a SYSTEM +ACI-" + canary.as_uri() + "+ACI-+AD4-+AF0-+AD4-", "T &a;"
            )[21:]
        )
        pages = {**{f"page-{k}": v for k, v in fixtures.items()}, **_pages(canary.as_uri(), fifo.as_uri())}
        cases = []
        for kind, documents in (("feed", feeds), ("page", pages)):
            for name, text in documents.items():
                path = tmp / f"{len(cases)}.body"
                encoding = "utf-16" if name == "utf16-doctype" else "utf-8"
                path.write_bytes(text.encode(encoding))
                cases.append({"name": name, "kind": kind, "path": str(path)})
        manifest = tmp / "cases.json"
        manifest.write_text(json.dumps(cases))
        out, err = tmp / "runner.out", tmp / "runner.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "reader.tests.hostile_runner", str(manifest)],
                cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=stdout, stderr=stderr,
            )  # fmt: skip
            try:  # stdin stays open and empty (no communicate(), which closes it): a read blocks
                process.wait(timeout=RUNNER_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail(f"the runner hung (a parser opened a FIFO or stdin?): {err.read_text()[-2000:]}")
            finally:
                process.stdin.close()
        assert process.returncode == 0, err.read_text()[-3000:]
        hits = server.total_hits()
    largest = max(Path(case["path"]).stat().st_size for case in cases)
    return json.loads(out.read_text()), cases, hits, largest


def test_no_parser_crashes_on_any_hostile_document(hostile_run):
    report, cases, _, _ = hostile_run
    allowed = {"parsed", "FeedParseError", "extracted"}
    crashed = {
        name: result
        for name, result in report["results"].items()
        if result["outcome"] not in allowed and not result["outcome"].startswith("ExtractionError")
    }
    assert crashed == {}
    assert len(report["results"]) == len(cases) > 250


def test_no_named_file_or_url_is_ever_read(hostile_run):
    report, _, hits, _ = hostile_run
    leaked = [name for name, r in report["results"].items() if CANARY_TEXT in r["text"] or "root:x:0:0" in r["text"]]
    assert leaked == []
    assert hits == 0  # no parser fetched the DTD or entity URL


def test_an_existing_file_and_a_missing_one_give_the_same_result(hostile_run):
    """No file-existence oracle: the canary and a missing path must be indistinguishable."""
    results = hostile_run[0]["results"]
    pairs = [(n, n.replace("-canary", "-missing")) for n in results if n.endswith("-canary")]
    pairs = [(a, b) for a, b in pairs if b in results]
    assert len(pairs) >= 15
    different = [
        a for a, b in pairs
        if (results[a]["outcome"], results[a]["text"]) != (results[b]["outcome"], results[b]["text"].replace(
            "missing.dtd", "canary.dtd"))
    ]  # fmt: skip
    assert different == []


def test_peak_memory_stays_within_the_budget(hostile_run):
    report, _, _, largest = hostile_run
    growth = (report["peak_kb"] - report["baseline_kb"]) * 1024
    assert growth <= MEMORY_BUDGET_BYTES + largest, f"{growth / 2**20:.0f} MB above the warm-up peak"


@pytest.mark.parametrize(
    ("name", "outcome", "message"),
    [
        ("billion-laughs-lol9", "parsed", "The feed is not well-formed XML (an HTML entity such as “&nbsp;” that XML "
         "does not know, line 1); its entries were read leniently."),
        ("quadratic-46kB", "parsed", "The feed is not well-formed XML (an HTML entity such as “&nbsp;” that XML "
         "does not know, line 1); its entries were read leniently."),
        ("quadratic-near-cap", "FeedParseError", "The feed declares XML entities that would grow it past 1 MB (an "
         "entity expansion attack); it was not read."),
        ("entities-100kB-non-feed", "FeedParseError", "The feed declares XML entities that would grow it past 1 MB "
         "(an entity expansion attack); it was not read."),
        ("declaration-hidden-in-prolog-comment", "FeedParseError", "The feed declares XML entities that would grow "
         "it past 1 MB (an entity expansion attack); it was not read."),
        ("declaration-split-by-declaration", "FeedParseError", "The feed declares XML entities that would grow it "
         "past 1 MB (an entity expansion attack); it was not read."),
        ("deep-nesting-unclosed", "parsed", "The feed is not well-formed XML (a bare “&” that should be written "
         "“&amp;”, line 1); its entries were read leniently."),
        ("many-tags", "parsed", ""),
        ("too-many-entries", "FeedParseError", "The document lists more than 20,000 entries; no feed needs that many."),
        ("many-attributes-one-element", "FeedParseError", "The document has an element with more than 1,000 "
         "attributes; no feed needs that many."),
        ("utf16-doctype", "FeedParseError", "The feed declares a document type in the utf-16-le encoding, which "
         "Tidings does not read (it could hide an entity expansion or file-reading attack)."),
        ("utf7-doctype", "FeedParseError", "The feed declares a document type in the utf-7 encoding, which Tidings "
         "does not read (it could hide an entity expansion or file-reading attack)."),
        ("issue-system-dtd-canary", "parsed", "The feed is not well-formed XML (an HTML entity such as “&nbsp;” that "
         "XML does not know, line 1); its entries were read leniently."),
        ("issue-system-dtd-stdin", "parsed", "The feed is not well-formed XML (an HTML entity such as “&nbsp;” that "
         "XML does not know, line 1); its entries were read leniently."),
    ],
)  # fmt: skip
def test_each_attack_class_ends_with_a_clear_outcome(hostile_run, name, outcome, message):
    result = hostile_run[0]["results"][name]
    assert (result["outcome"], result["message"]) == (outcome, message)


def test_a_quadratic_blowup_under_the_budget_is_read_in_full(hostile_run):
    """8,000 uses of a 100-byte entity (0.8 MB, in the channel's and the item's description): under the
    1 MB budget, put in place as the feed meant, and the feed is well-formed once they are."""
    result = hostile_run[0]["results"]["quadratic-under-budget"]
    assert (result["outcome"], result["message"]) == ("parsed", "")
    assert result["text"].count("A" * 100) == 2 * 4_000
