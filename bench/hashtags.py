"""Hashtags on a mirror's gold text: distinct tags, and every person fold across a story, listed to check.

The gold clusters stand in for stories. For each story, ``hashtags.person_folds`` decides which lone
surnames take the story's full-name tag; every candidate is printed as FOLD or skip so a reader can check
that each fold is a person (and that "Palmer, Alaska" never is).

    .venv/bin/python bench/hashtags.py [--mirror ecbplus-dev]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.hashtags import fold_candidates, hashtags_for, person_folds  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "mirrors"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", default="ecbplus-dev")
    args = ap.parse_args(argv)

    rows = [json.loads(line) for line in (EVAL / args.mirror / "truth.jsonl").read_text().splitlines() if line]
    tags = {r["doc_id"]: hashtags_for(r["title"], r.get("body") or r["title"]) for r in rows}
    stories: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        stories[r["cluster"]].append(r)

    after: set[str] = set()
    folded_tags = 0
    lines = []
    for story, members in sorted(stories.items()):
        story_tags = [t for r in members for t in tags[r["doc_id"]]]
        candidates = fold_candidates(story_tags)
        folds = person_folds(candidates, [f"{r['title']}\n{r.get('body') or r['title']}" for r in members])
        for candidate in candidates:
            verdict = "FOLD" if candidate.lone.slug in folds else "skip"
            lines.append(f"  {verdict} {story}: #{candidate.lone.label} → #{candidate.full.label}")
        for r in members:
            for tag in tags[r["doc_id"]]:
                after.add(folds[tag.slug].slug if tag.slug in folds else tag.slug)
                folded_tags += tag.slug in folds
    before = {t.slug for ts in tags.values() for t in ts}
    print(f"{args.mirror}: {len(rows)} articles, {len(stories)} gold stories")
    print(f"  distinct tags {len(before)} → {len(after)} after person folds; {folded_tags} article tags folded")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
