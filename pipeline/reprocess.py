"""Re-run pipeline stages for stored articles (`tidings reprocess --from STAGE`), as if they had just arrived.

Each stage first has its owning app forget what it computed (the page's extraction, the story stage's
vectors, copies, stories, hashtags and related lists, the key points), then runs again in batches of BATCH.
"""

from collections.abc import Callable, Sequence

from ai import actions as ai_actions
from articles import actions as article_actions
from stories import actions as story_actions

from . import ingest

BATCH = 50
STAGES = ("extract", "embed", "ai")


def _embed_and_consolidate(article_ids: Sequence[int]) -> None:
    """As ingest does it: each batch joins stories, then the stories it touched are consolidated."""
    story_actions.process_articles(article_ids)
    story_actions.consolidate_stories()


def reprocess(article_ids: Sequence[int], stage: str, *, progress: Callable[[str, int], Callable[[int], None]]) -> None:
    """Run `stage` and every stage after it over the articles (in the order given: publication order).

    `progress(stage_name, total)` returns the function told how many articles each finished batch held."""
    ids = list(article_ids)
    for name in STAGES[STAGES.index(stage) :]:
        if name == "extract":
            article_actions.mark_pending(ids)
            run = ingest.extract_articles
        elif name == "embed":
            story_actions.forget_stories_of(ids)
            run = _embed_and_consolidate
        else:
            ai_actions.forget_digests(ids)
            run = ai_actions.precompute_digests_for
        advance = progress(name, len(ids))
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            run(chunk)
            advance(len(chunk))
