"""Where the tests find ../shared (the evaluation mirrors and data corpora) and the quality floors.

../shared sits beside the repository root, wherever the checkout lives. A test that needs a corpus asks
`shared_file()`: when the corpus is missing it skips on a developer's machine, and fails under CI=true,
where a silent skip would hide a gate that no longer runs.
"""

import json
import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED = REPOSITORY.parent / "shared"
EVAL = SHARED / "eval"
MIRRORS = EVAL / "mirrors"
DATA = SHARED / "data"

# Every quality floor of the suite, in one file; a floor only rises.
FLOORS = json.loads((REPOSITORY / "tidings" / "tests" / "quality_floors.json").read_text())


def shared_file(*parts: str) -> Path:
    """The path of a file or folder under ../shared; skip the test where it is missing, fail under CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"{path} is missing: the tests read ../shared beside the repository root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
