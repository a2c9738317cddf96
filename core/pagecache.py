"""Cached parts of pages that only the pipeline rewrites, and how writers invalidate them.

Three entries per article: its page's parts (copies, hashtags, related list, AI outputs); the page rendered
once for every reader with each reader's own parts left as slots (web.views); and that page as every
anonymous reader sees it, comments included. The two page entries also record a fingerprint of the article,
publisher and story rows they were rendered from, so edits to those rows need no invalidation; what lives in
other tables does.

The article page's copies, hashtags and related list change when stories.actions rewrites them (a new
article joins the story, consolidation moves it, a copy is folded in, retention deletes a related article);
its AI outputs when ai.actions writes a digest or an explainer; its comments when comments.actions posts,
edits, deletes, moderates or releases one. Those writers call `forget_articles`, which drops the entries at once
and again when the transaction commits. Every entry also records the article's generation, read before its
rows were (`fetch`). Comment writers renew it (`exact=True`), at once and on commit, so a reader who rendered
from rows read before the comment committed leaves an entry no later reader takes, however the two interleave:
a reader's own new comment shows on the next page, always. The pipeline's writers only drop entries (a
generation would be a cache write for every article each pipeline stage touches), so a render that raced one
of them may be served until it expires.
"""

import secrets
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

# Entries are invalidated explicitly; the lifetime only bounds the cost of an invalidation that was lost
# (a process killed between commit and the cache write).
ARTICLE_PARTS_SECONDS = 6 * 3600
# The article page shows relative times ("5 minutes ago"), so its renders (the one shared by every reader,
# and the anonymous page) live no longer than their finest step.
ARTICLE_PAGE_SECONDS = 60


def article_parts_key(article_id: int) -> str:
    return f"article-parts:v3:{article_id}"


def article_page_key(article_id: int) -> str:
    return f"article-page:v3:{article_id}"


def article_shared_key(article_id: int) -> str:
    return f"article-shared:v4:{article_id}"


def article_generation_key(article_id: int) -> str:
    return f"article-generation:v1:{article_id}"


def fetch(article_id: int, key: str, compute: Callable[[], object], *, seconds: int, fingerprint: str = ""):
    """The value cached under `key` if it was computed at the article's current generation and from rows of
    the same `fingerprint` (a digest of rows the caller already read), else compute()'s, cached. One cache
    round trip when it is there."""
    generation_key = article_generation_key(article_id)
    found = cache.get_many([key, generation_key])
    stamp = (fingerprint, found.get(generation_key))
    entry = found.get(key)
    if entry is not None and entry[0] == stamp:
        return entry[1]
    value = compute()
    cache.set(key, (stamp, value), seconds)
    return value


def forget_articles(article_ids: Iterable[int], *, exact: bool = False) -> None:
    """Drop the articles' entries; `exact` also renews their generation (see the module's docstring)."""
    ids = {pk for pk in article_ids if pk is not None}
    if not ids:
        return
    keys = [key(pk) for pk in ids for key in (article_parts_key, article_page_key, article_shared_key)]

    def forget():
        if exact:
            cache.set_many({article_generation_key(pk): secrets.token_hex(8) for pk in ids}, ARTICLE_PARTS_SECONDS)
        cache.delete_many(keys)

    forget()
    transaction.on_commit(forget, robust=True)
