"""Cached parts of pages that only the pipeline rewrites, and how writers invalidate them.

Three entries per article: its page's parts (copies, hashtags, related list, AI outputs); the page rendered
once for every reader with each reader's own parts left as slots (web.views); and that page as every
anonymous reader sees it, comments included. The two page entries also record a fingerprint of the article,
publisher and story rows they were rendered from, so edits to those rows need no invalidation; what lives in
other tables does.

The article page's copies, hashtags and related list change when stories.actions rewrites them (a new
article joins the story, consolidation moves it, a copy is folded in, retention deletes a related article);
its AI outputs when ai.actions writes a digest or an explainer; its comments when comments.actions posts,
edits, deletes, moderates or releases one. Those writers call `forget_articles`; the
cache entry is dropped at once and again when the transaction commits, so a reader who filled it from the
old rows in between cannot keep them.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

# Entries are invalidated explicitly; the lifetime only bounds the cost of an invalidation that was lost
# (a process killed between commit and delete).
ARTICLE_PARTS_SECONDS = 6 * 3600
# The anonymous page shows relative times ("5 minutes ago"), so it lives no longer than their finest step.
ARTICLE_PAGE_SECONDS = 60


def article_parts_key(article_id: int) -> str:
    return f"article-parts:v2:{article_id}"


def article_page_key(article_id: int) -> str:
    return f"article-page:v2:{article_id}"


def article_shared_key(article_id: int) -> str:
    return f"article-shared:v2:{article_id}"


def forget_articles(article_ids: Iterable[int]) -> None:
    ids = {pk for pk in article_ids if pk is not None}
    keys = [key(pk) for pk in ids for key in (article_parts_key, article_page_key, article_shared_key)]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys), robust=True)
