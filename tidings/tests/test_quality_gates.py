"""Quality gates through the whole pipeline: ../shared/eval/run_e2e.py serves a labelled mirror,
runs `tidings migrate / import-opml / ingest --until-idle / export` in a fresh SQLite data folder
and scores the export with score.py. The floors live in quality_floors.json and may only rise.

These runs use their own SQLite database whatever DATABASE_URL says, so `make test` runs them
once, in the SQLite pass (marker `mirror`)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval"
FLOORS = json.loads((Path(__file__).with_name("quality_floors.json")).read_text())

pytestmark = pytest.mark.mirror


def run_mirror(mirror: str, *extra: str) -> subprocess.CompletedProcess:
    assert (EVAL / "run_e2e.py").exists(), f"the evaluation harness is missing: {EVAL}"
    mins = [arg for metric, floor in FLOORS[mirror].items() for arg in ("--min", f"{metric}={floor}")]
    if any(metric.startswith("ai_") for metric in FLOORS[mirror]):
        mins.append("--grounding")
    return subprocess.run(
        [sys.executable, str(EVAL / "run_e2e.py"), mirror, *mins, *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip


@pytest.mark.parametrize("mirror", ["zyte-dev", "ecbplus-dev", "uci-dev"])
def test_quality_through_the_pipeline(mirror):
    """Extraction (zyte, ecbplus), stories and related (ecbplus, uci), grounded key points (ecbplus)."""
    result = run_mirror(mirror)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    print(summary)
    assert result.returncode == 0, f"{mirror} below its floors: {summary}\n{result.stdout[-3000:]}"


def test_second_ingest_of_unchanged_mirror_is_all_304_and_downloads_no_page():
    result = run_mirror("zyte-dev", "--twice", "--min", "second_pass_feed_304_share=1.0",
                        "--min", "second_pass_no_page_downloads=1.0")  # fmt: skip
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, summary
