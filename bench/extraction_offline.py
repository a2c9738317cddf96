"""Offline extraction bench: reader.extraction vs trafilatura default, straight from the mirror files.

    .venv/bin/python bench/extraction_offline.py [zyte-dev ecbplus-dev] [--worst N] [--no-baseline]

For each mirror and publisher it fingerprints all the publisher's pages, then extracts every page
with the template learned from the publisher's OTHER pages (as production does: the other pages of
the batch plus those stored earlier), and scores the body with the eval's own metric (score.py:
4-word shingles, macro-averaged P/R/F1). It also reports the cold start: the template learned from
the first 5 other pages only, and no template at all. Timing is per page, template given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT.parent / "shared" / "eval"  # ../shared beside the repository
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(EVAL_DIR))

import score  # noqa: E402  (the eval's scorer: shingle_tp_fp_fn, prf_from_counts)
import trafilatura  # noqa: E402

from reader import boilerplate  # noqa: E402
from reader.extraction import ExtractionError, extract  # noqa: E402

MIRRORS = EVAL_DIR / "mirrors"
BASE_URL = "http://127.0.0.1:8765"  # what serve_mirror.py substitutes for {{BASE}}
COLD_START_PAGES = 5


def load_pages(mirror: str) -> list[dict]:
    """Truth rows with the page HTML as served (placeholder substituted) and the absolute URL."""
    rows = [json.loads(line) for line in (MIRRORS / mirror / "truth.jsonl").open(encoding="utf-8")]
    for row in rows:
        rel = row["url"].replace("{{BASE}}/", "", 1)
        raw = (MIRRORS / mirror / "site" / rel).read_bytes().decode("utf-8", errors="replace")
        row["html"] = raw.replace("{{BASE}}", BASE_URL)
        row["abs_url"] = row["url"].replace("{{BASE}}", BASE_URL)
    return rows


def templates(pages: list[dict], limit: int | None) -> list[frozenset[str]]:
    """For each page, the template learned from the publisher's other pages (the first `limit`)."""
    fps = [boilerplate.block_fingerprints(p["html"]) for p in pages]
    out = []
    for i in range(len(fps)):
        others = [f for j, f in enumerate(fps) if j != i][:limit]
        counts = Counter(fp for f in others for fp in f)
        out.append(boilerplate.template_from_counts(counts, len(others)))
    return out


VARIANTS = {"full": None, "first5": COLD_START_PAGES, "none": 0}


def run_mirror(mirror: str, worst: int, baseline: bool, variants: tuple[str, ...] = tuple(VARIANTS)) -> dict:
    rows = load_pages(mirror)
    by_pub: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_pub[row["publisher"]].append(row)
    variants = {name: VARIANTS[name] for name in variants}
    counts: dict[str, list] = defaultdict(list)
    per_pub: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    timings, base_timings, failures, methods, per_page = [], [], 0, Counter(), []
    for pub, pages in sorted(by_pub.items()):
        tmpl = {
            name: (templates(pages, lim) if lim != 0 else [frozenset()] * len(pages)) for name, lim in variants.items()
        }
        for i, page in enumerate(pages):
            for name in variants:
                start = time.perf_counter()
                try:  # as the pipeline does: parse once, fingerprint, extract
                    parsed = boilerplate.parse_page(page["html"])
                    boilerplate.block_fingerprints(parsed)
                    art = extract(parsed, url=page["abs_url"], template=tmpl[name][i], site_name=pub)
                    text = art.body_text
                    if name == "full":
                        methods[art.method] += 1
                except ExtractionError:
                    text = ""
                    failures += name == "full"
                if name == "full":
                    timings.append(time.perf_counter() - start)
                c = score.shingle_tp_fp_fn(page["body"], text)
                counts[name].append(c)
                per_pub[pub][name].append(c)
                if name == "full":
                    per_page.append((score.prf_from_counts([c])["f1"], page["url"], text))
            if baseline:
                start = time.perf_counter()
                text = trafilatura.extract(page["html"], url=page["abs_url"]) or ""
                base_timings.append(time.perf_counter() - start)
                c = score.shingle_tp_fp_fn(page["body"], text)
                counts["trafilatura"].append(c)
                per_pub[pub]["trafilatura"].append(c)
    report = {
        "mirror": mirror,
        "pages": len(rows),
        "coverage": 1 - failures / len(rows),
        "methods": dict(methods),
        "ms_median": 1000 * statistics.median(timings),
        "ms_p95": 1000 * sorted(timings)[int(0.95 * (len(timings) - 1))],
        **{name: score.prf_from_counts(c) for name, c in counts.items()},
        "full": score.prf_from_counts(counts["full"]),
        "publishers": {
            pub: {name: score.prf_from_counts(c)["f1"] for name, c in d.items()} for pub, d in per_pub.items()
        },
    }
    if base_timings:
        report["trafilatura_ms_median"] = 1000 * statistics.median(base_timings)
    report["worst"] = sorted(per_page)[:worst]
    return report


def print_report(rep: dict) -> None:
    def prf(d):
        return f"P {d['precision']:.3f}  R {d['recall']:.3f}  F1 {d['f1']:.3f}"

    print(f"== {rep['mirror']}: {rep['pages']} pages, coverage {rep['coverage']:.3f}, methods {rep['methods']}")
    print(f"   tidings (template: all other pages) {prf(rep['full'])}")
    print(f"   tidings (template: first {COLD_START_PAGES} others) {prf(rep['first5'])}")
    print(f"   tidings (no template)               {prf(rep['none'])}")
    if "trafilatura" in rep:
        print(f"   trafilatura.extract default         {prf(rep['trafilatura'])}")
    line = f"   ms/page: median {rep['ms_median']:.1f}, p95 {rep['ms_p95']:.1f}"
    if "trafilatura_ms_median" in rep:
        line += f" (trafilatura default median {rep['trafilatura_ms_median']:.1f})"
    print(line)
    print("   per publisher F1 (all others / first 5 / none / trafilatura):")
    for pub, d in sorted(rep["publishers"].items()):
        cells = " / ".join(f"{d[k]:.3f}" for k in ("full", "first5", "none", "trafilatura") if k in d)
        print(f"     {pub:<24} {cells}")
    for f1, url, _ in rep["worst"]:
        print(f"   worst {f1:.3f} {url}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirrors", nargs="*", default=["zyte-dev", "ecbplus-dev"])
    parser.add_argument("--worst", type=int, default=5, help="list the N lowest-scoring pages")
    parser.add_argument("--no-baseline", action="store_true", help="skip trafilatura default")
    args = parser.parse_args(argv)
    for mirror in args.mirrors:
        print_report(run_mirror(mirror, args.worst, not args.no_baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
