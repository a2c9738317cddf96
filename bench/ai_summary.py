"""Summaries against human references: Lead-3, the engine before issue 12 and today's, side by side.

    .venv/bin/python bench/ai_summary.py [--old-ref COMMIT] [--part tuning|held-out|both] [--no-furniture]
                                         [--llm-url URL --llm-model NAME]

In one run, on ../shared/data/summaries-dev (125 CNN/DailyMail articles with their editors'
highlights; research data, measured here and never shipped), split once by a fixed rule into a
tuning part and a held-out part (``part_of``: sha256 of the id, even → tuning, odd → held-out):

* ROUGE-1/2/L F1 against the highlights of Lead-3 (the first three sentences by ``analysis.sentences``),
  of the old summary (``analysis/keypoints.py`` and ``analysis/sentences.py`` at ``--old-ref``, read with git
  show), and of the new one;
* summary + key points: ROUGE-1/2 recall (how much of the reference they cover together) and their
  redundancy (largest ROUGE-2 F1 between two shown items, mean over articles);
* CPU ms per article of summary + key points (``digest_many``, word-piece vectors, batches of 16)
  against ingest's ~40 ms CPU per article without them (docs/benchmarks.md, bench/ai_keypoints.py);
* on ecbplus-dev and zyte-dev gold bodies (no human summary there), the share of articles whose
  summary quotes publisher furniture, by ``FURNITURE`` below: patterns written from what those pages
  and the CNN/DailyMail articles contain, independently of the engine's own filters.

ROUGE is the stdlib version the data's README describes: lower-case, split on non-alphanumerics,
F1 (and recall) of n-gram overlap; ROUGE-L from the longest common subsequence; means over articles.

With ``--llm-url`` the same articles also go through a generative model behind an OpenAI-compatible
endpoint (``ai.providers``), every sentence verified by ``analysis.grounding`` before it counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
import types
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.old_code import moved_modules_importable, show_at  # noqa: E402

SHARED = ROOT.parent / "shared"
SUMMARIES = SHARED / "data" / "summaries-dev" / "cnndm-dev.jsonl"
MIRRORS = SHARED / "eval" / "mirrors"
OLD_REF = "ca6f7bb"  # main before issue 12: the engine the issue measured (R1 0.347 / R2 0.147)
INGEST_MS = 40.0  # CPU ms/article of ingest without key points and summary (docs/benchmarks.md)
BATCH = 16

_TOKEN = re.compile(r"[a-z0-9]+")

# Publisher furniture, written from the zyte-dev and ecbplus-dev pages and the CNN/DailyMail articles
# (not from the engine's filters): bylines and credits, calls to act, shop widgets, newsletter and
# social appeals, wire datelines and time stamps standing before or instead of a sentence.
FURNITURE = re.compile(
    r"click here|read more|scroll down for|see more photos|sign up|subscribe|newsletter|follow us|"
    r"buy now|get it (?:on|at|by)|available from amazon|may receive a commission|use code|don.t miss|"
    r"story timeline|originally published|this article was reprinted|^provided by|image source|"
    r"all rights reserved|copyright|©|\(reporting by|editing by|(?-i:^By [A-Z][a-z]+ [A-Z])|"
    r"https?://|www\.|pic\.twitter|\S@\w+\.\w|"
    # a wire dateline or a time stamp before the first words: "WASHINGTON (Reuters) - ", "(CNN)",
    # "ALASKA - ", "Published on Jul 02, 2013 4: 22 PM", "Thu Nov 10, 2011 3: 00pm EST", "May 2, 2013 1: 35 pm."
    r"^(?-i:(?:[A-Z][\w.,']*\s*){0,5}\((?:CNN|AP|Reuters|AFP)\))|(?-i:^[A-Z][A-Z .,]{2,40}\s+[-—–(])|"
    r"^(?:published|updated|posted|edited|last modified)\b|"
    r"^(?:on\s+)?(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b,?\s+\d{4}(?!,\s+[a-z])",
    re.IGNORECASE,
)
_DATELINE_ALONE = re.compile(r"^[A-Z][A-Z .,'-]{2,60}$")  # "BAAR, SWITZERLAND"


# ---------------------------------------------------------------- data


def part_of(article_id: str) -> str:
    """The fixed split: sha256 of the id, an even number → tuning, odd → held-out."""
    return "tuning" if int(hashlib.sha256(article_id.encode()).hexdigest(), 16) % 2 == 0 else "held-out"


def id_list_sha256(ids: Sequence[str]) -> str:
    """sha256 of the part's ids, sorted, one a line (each line ending in a newline)."""
    return hashlib.sha256("".join(f"{i}\n" for i in sorted(ids)).encode()).hexdigest()


def load_summaries(path: Path = SUMMARIES) -> list[dict]:
    with path.open() as fh:
        return [json.loads(line) for line in fh]


def parts(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {"tuning": [], "held-out": []}
    for row in rows:
        out[part_of(row["id"])].append(row)
    return out


# ---------------------------------------------------------------- ROUGE


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _prf(overlap: int, n_candidate: int, n_reference: int) -> tuple[float, float, float]:
    p = overlap / n_candidate if n_candidate else 0.0
    r = overlap / n_reference if n_reference else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def rouge_n(candidate: list[str], reference: list[str], n: int) -> tuple[float, float, float]:
    """(precision, recall, F1) of n-gram overlap."""
    c = Counter(tuple(candidate[i : i + n]) for i in range(len(candidate) - n + 1))
    r = Counter(tuple(reference[i : i + n]) for i in range(len(reference) - n + 1))
    return _prf(sum((c & r).values()), sum(c.values()), sum(r.values()))


def rouge_l(candidate: list[str], reference: list[str]) -> tuple[float, float, float]:
    """(precision, recall, F1) of the longest common subsequence."""
    previous = [0] * (len(reference) + 1)
    for word in candidate:
        current = [0]
        for j, other in enumerate(reference):
            current.append(previous[j] + 1 if word == other else max(previous[j + 1], current[j]))
        previous = current
    return _prf(previous[-1], len(candidate), len(reference))


def rouge(candidate: str, reference: str) -> dict[str, float]:
    c, r = tokens(candidate), tokens(reference)
    r1, r2, rl = rouge_n(c, r, 1), rouge_n(c, r, 2), rouge_l(c, r)
    return {"r1": r1[2], "r2": r2[2], "rl": rl[2], "r1_recall": r1[1], "r2_recall": r2[1], "words": len(c)}


def mean_scores(pairs: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Mean ROUGE over (candidate, reference) pairs."""
    rows = [rouge(c, r) for c, r in pairs]
    return {k: sum(row[k] for row in rows) / len(rows) for k in rows[0]} if rows else {}


def redundancy(items: Sequence[str]) -> float:
    """The largest ROUGE-2 F1 between two of the items (0 with fewer than two)."""
    toks = [tokens(t) for t in items]
    return max((rouge_n(a, b, 2)[2] for i, a in enumerate(toks) for b in toks[i + 1 :]), default=0.0)


# ---------------------------------------------------------------- systems


def lead3(article: str) -> str:
    from analysis.sentences import split_sentences

    return " ".join(s.text for s in split_sentences(article)[:3])


def load_engine(ref: str) -> types.ModuleType:
    """``analysis.keypoints`` as it was at ``ref`` (with that commit's ``analysis.sentences``), from git show."""

    def source(path: str) -> str:
        return show_at(ref, path, cwd=ROOT)

    sentences = types.ModuleType("ai_old_sentences")
    sys.modules[sentences.__name__] = sentences  # dataclasses look their module up there
    exec(compile(source("analysis/sentences.py"), f"{ref}:analysis/sentences.py", "exec"), sentences.__dict__)
    saved = sys.modules.get("analysis.sentences")
    keypoints = types.ModuleType("ai_old_keypoints")
    sys.modules[keypoints.__name__] = keypoints
    try:
        import analysis.sentences  # noqa: F401  (the real one, restored below)

        with moved_modules_importable():
            # the old keypoints imports the old splitter, under its name then or now
            sys.modules["analysis.sentences"] = sys.modules["ai.sentences"] = sentences
            exec(compile(source("analysis/keypoints.py"), f"{ref}:analysis/keypoints.py", "exec"), keypoints.__dict__)
    finally:
        if saved is not None:
            sys.modules["analysis.sentences"] = saved
        else:
            sys.modules.pop("analysis.sentences", None)
    return keypoints


def run_engine(digest_many: Callable, items: list[tuple[str, str]], encoder) -> tuple[list, float]:
    """Digests of (title, body) pairs in batches, and the CPU ms per article they took."""
    started = time.process_time()
    out = []
    for i in range(0, len(items), BATCH):
        out += digest_many(items[i : i + BATCH], encoder=encoder)
    return out, 1000 * (time.process_time() - started) / max(1, len(items))


def cnndm_items(rows: list[dict]) -> list[tuple[str, str]]:
    """CNN/DailyMail rows carry no headline: the engine gets an empty title, as for a feed item without one."""
    return [("", row["article"]) for row in rows]


def furniture(text: str) -> bool:
    text = text.strip()
    return bool(FURNITURE.search(text) or _DATELINE_ALONE.match(text))


# ---------------------------------------------------------------- report


def shown_items(digest) -> list:
    """What the article page shows: the summary, then the key points that are not summary sentences."""
    said = {item.spans for item in digest.summary}
    return list(digest.summary) + [item for item in digest.key_points if item.spans not in said]


def summary_report(name: str, rows: list[dict], digests: list) -> dict[str, float]:
    refs = [row["reference"] for row in rows]
    summary = mean_scores([(" ".join(i.text for i in d.summary), r) for d, r in zip(digests, refs, strict=True)])
    shown = [shown_items(d) for d in digests]
    both = mean_scores([(" ".join(i.text for i in items), r) for items, r in zip(shown, refs, strict=True)])
    return {
        "name": name,
        **summary,
        "both_r1_recall": both["r1_recall"],
        "both_r2_recall": both["r2_recall"],
        "both_r1": both["r1"],
        "redundancy": sum(redundancy([i.text for i in items]) for items in shown) / max(1, len(shown)),
        "sentences": sum(len(d.summary) for d in digests) / max(1, len(digests)),
        "points": sum(len(items) - len(d.summary) for items, d in zip(shown, digests, strict=True)) / len(digests),
    }


def print_table(part: str, rows: list[dict], lines: list[dict]) -> None:
    print(f"\n{part}: {len(rows)} articles, id list sha256 {id_list_sha256([r['id'] for r in rows])}")
    print(
        f"{'system':34s} {'R1':>6s} {'R2':>6s} {'RL':>6s} {'words':>6s} | summary + key points:"
        f" {'R1 rec':>6s} {'R2 rec':>6s} {'redund':>6s} {'points':>6s}"
    )
    for line in lines:
        tail = ""
        if "both_r1_recall" in line:
            tail = (
                f"{'':22s} {line['both_r1_recall']:6.3f} {line['both_r2_recall']:6.3f}"
                f" {line['redundancy']:6.3f} {line['points']:6.2f}"
            )
        print(f"{line['name']:34s} {line['r1']:6.3f} {line['r2']:6.3f} {line['rl']:6.3f} {line['words']:6.1f} | {tail}")


def furniture_report(engines: dict[str, Callable], encoder) -> None:
    print("\nsummaries quoting publisher furniture (gold bodies, no human summary):")
    for mirror in ("ecbplus-dev", "zyte-dev"):
        path = MIRRORS / mirror / "truth.jsonl"
        with path.open() as fh:
            rows = [json.loads(line) for line in fh]
        items = [(r["title"], r["body"]) for r in rows]
        for name, digest_many in engines.items():
            digests, _ = run_engine(digest_many, items, encoder)
            in_summary = [d for d in digests if any(furniture(i.text) for i in d.summary)]
            in_points = [d for d in digests if any(furniture(i.text) for i in d.key_points)]
            print(
                f"  {mirror:12s} {name:10s} summaries with furniture {len(in_summary)}/{len(rows)}"
                f" = {len(in_summary) / len(rows):.3f}; key points {len(in_points)}/{len(rows)}"
            )


def llm_report(rows: list[dict], url: str, model: str, encoder_dir: str) -> dict[str, float]:
    """A generative model's summaries, verified sentence by sentence; unverified sentences do not count."""
    from ai import providers
    from analysis import grounding
    from analysis.embeddings import get_encoder
    from analysis.sentences import split_sentences

    encoder = get_encoder(encoder_dir)
    provider = providers.OpenAICompatibleProvider(providers.GenerativeSettings(url=url, model=model, timeout=600))
    pairs, raw_pairs, kept = [], [], 0
    claims = 0
    seconds = 0.0
    for row in rows:
        completion = provider.complete(providers.SUMMARY_PROMPT, row["article"])
        seconds += completion.seconds
        raw_pairs.append((completion.text, row["reference"]))
        source = split_sentences(row["article"])
        vectors = encoder.encode([s.text for s in source])
        verified = []
        for claim in (s.text for s in split_sentences(completion.text.strip())):
            claims += 1
            verdict = grounding.verify(claim, row["article"], source, encoder=encoder, sentence_vectors=vectors)
            if verdict.supported:
                verified.append(claim)
        kept += len(verified)
        pairs.append((" ".join(verified), row["reference"]))
    scores = mean_scores(pairs)
    raw = {f"raw_{k}": v for k, v in mean_scores(raw_pairs).items()}
    return {"name": f"LLM {model}, verified", **scores, **raw, "kept": kept, "claims": claims, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old-ref", default=OLD_REF, help="commit of the engine to compare against")
    parser.add_argument("--part", choices=["tuning", "held-out", "both"], default="both")
    parser.add_argument("--no-furniture", action="store_true", help="skip the ecbplus-dev / zyte-dev furniture check")
    parser.add_argument("--llm-url", default="", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:18500/v1")
    parser.add_argument("--llm-model", default="")
    parser.add_argument("--llm-limit", type=int, default=0, help="articles per part through the model (0: all)")
    parser.add_argument("--cache-dir", default="/tmp/tidings-models")
    args = parser.parse_args()

    from analysis import keypoints
    from analysis.embeddings import get_token_encoder

    encoder = get_token_encoder()
    encoder.encode(["warm up"])
    old = load_engine(args.old_ref)
    split = parts(load_summaries())
    names = ["tuning", "held-out"] if args.part == "both" else [args.part]
    cpu: dict[str, list[float]] = {"old": [], "new": []}
    for part in names:
        rows = split[part]
        items = cnndm_items(rows)
        old_digests, old_ms = run_engine(old.digest_many, items, encoder)
        new_digests, new_ms = run_engine(keypoints.digest_many, items, encoder)
        cpu["old"].append(old_ms)
        cpu["new"].append(new_ms)
        lead = mean_scores([(lead3(r["article"]), r["reference"]) for r in rows])
        lines = [
            {"name": "Lead-3", **lead},
            summary_report(f"old summary ({args.old_ref})", rows, old_digests),
            summary_report("new summary", rows, new_digests),
        ]
        if args.llm_url:
            subset = rows[: args.llm_limit] if args.llm_limit else rows
            llm = llm_report(subset, args.llm_url, args.llm_model, args.cache_dir)
            lead_subset = mean_scores([(lead3(r["article"]), r["reference"]) for r in subset])
            unverified = {k.removeprefix("raw_"): v for k, v in llm.items() if k.startswith("raw_")}
            lines += [
                {"name": f"Lead-3 on the same {len(subset)}", **lead_subset},
                {"name": f"LLM {args.llm_model}, unverified", **unverified},
                llm,
            ]
            print(
                f"{part}: LLM kept {llm['kept']} of {llm['claims']} sentences after verification,"
                f" {llm['seconds'] / len(subset):.1f} s an article"
            )
        print_table(part, rows, lines)
    for name, values in cpu.items():
        ms = sum(values) / len(values)
        print(
            f"{name} summary + key points: {ms:.2f} ms CPU per article = +{100 * ms / INGEST_MS:.1f}% of ingest"
            f" (~{INGEST_MS:.0f} ms CPU per article without them)"
        )
    if not args.no_furniture:
        furniture_report({"old": old.digest_many, "new": keypoints.digest_many}, encoder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
