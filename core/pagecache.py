"""Cached parts of pages that only the pipeline rewrites, and how writers invalidate them.

The article page's copies, hashtags and related list change when stories.actions rewrites them (a new
article joins the story, consolidation moves it, a copy is folded in, retention deletes a related article);
its AI outputs when ai.actions writes a digest or an explainer. Those writers call `forget_articles`; the
cache entry is dropped at once and again when the transaction commits, so a reader who filled it from the
old rows in between cannot keep them.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

# Entries are invalidated explicitly; the lifetime only bounds the cost of an invalidation that was lost
# (a process killed between commit and delete).
ARTICLE_PARTS_SECONDS = 6 * 3600


def article_parts_key(article_id: int) -> str:
    return f"article-parts:v2:{article_id}"


def forget_articles(article_ids: Iterable[int]) -> None:
    keys = [article_parts_key(pk) for pk in set(article_ids) if pk is not None]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys), robust=True)
