"""Running code from an earlier commit beside today's, for benchmarks that compare against it.

Modules moved when the code was arranged in layers (issue 11): the old code imports them by their old
names, and reads at an old commit find them at their old paths.
"""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# today's module -> its name before the move
MOVED = {
    **{
        f"reader.{m}": f"ingest.{m}"
        for m in ("fetching", "parsing", "canonical", "extraction", "boilerplate", "sanitizing")
    },
    **{f"analysis.{m}": f"stories.{m}" for m in ("embeddings", "clustering", "related", "hashtags", "entities", "ann")},
    "analysis.dedupe": "articles.dedupe",
    **{f"analysis.{m}": f"ai.{m}" for m in ("sentences", "keypoints", "qa", "grounding", "briefing")},
}


def show_at(ref: str, path: str, *, cwd: Path) -> str:
    """The text of `path` at commit `ref`, looked up under its old path when it had not moved yet."""
    try:
        return _git_show(ref, path, cwd)
    except subprocess.CalledProcessError:
        module = path.removesuffix(".py").replace("/", ".")
        if module not in MOVED:
            raise
        return _git_show(ref, MOVED[module].replace(".", "/") + ".py", cwd)


def _git_show(ref: str, path: str, cwd: Path) -> str:
    return subprocess.run(["git", "show", f"{ref}:{path}"], cwd=cwd, capture_output=True, text=True, check=True).stdout


@contextlib.contextmanager
def moved_modules_importable() -> Iterator[None]:
    """While old code loads, its imports of a moved module find today's module under the old name."""
    added = []
    for new, old in MOVED.items():
        if old not in sys.modules:
            sys.modules[old] = importlib.import_module(new)
            added.append(old)
    try:
        yield
    finally:
        for old in added:
            sys.modules.pop(old, None)
