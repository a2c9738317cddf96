"""The only writer of stories, vectors, hashtags and related lists.

process_articles(article_ids), run after extraction:
    1. a vector (title + lead) and a text signature for each article, stored
    2. hashtags
    3. under the clustering lock: a near-copy of an article in the window is folded into the original;
       every other article joins the best story near it or starts one; then a surname tag of a story
       that also names the person in full takes the full-name tag (refold_story_hashtags)
    4. related lists for the new articles, and new same-story members added to the lists of the
       articles whose story grew

consolidate_stories(), queued after it: the stories touched by new links are re-drawn over all their
links (clustering.consolidate), so the order articles arrived in stops deciding the stories; the tags of
the stories that changed are folded again.
"""

import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.utils.html import strip_tags

from analysis import clustering, dedupe, embeddings, hashtags, related
from articles import actions as article_actions
from articles.models import Article
from core import clock, pagecache

from .index import reset_shared_index, shared_index
from .models import ArticleHashtag, ArticleVector, ClusteringLock, Hashtag, RelatedArticle, Story, StoryLink

# Earlier articles an article is compared with when choosing its story (clustering.assign_story).
NEIGHBOURS = 30
# Candidates ranked for an article's related list: nearest by vector, plus its story's members.
RELATED_CANDIDATES = 60
STORY_MEMBERS_CONSIDERED = 50
RELATED_WINDOW = timedelta(days=7)
RELATED_PER_ARTICLE = 8
# Members of a grown story whose lists take in the new members (the most recent first).
REFRESH_MEMBERS = 60


def article_text(article: Article) -> str:
    """The text the story stages read: the extracted body, else the feed's excerpt."""
    return article.body_text or strip_tags(article.summary_html_safe)


# ---------------------------------------------------------------- signals cache

_SIGNALS_MAX = 50_000
_signals: OrderedDict[int, tuple[clustering.ArticleSignals, str]] = OrderedDict()
_signals_lock = threading.Lock()


def _load_signals(article_ids: Iterable[int]) -> dict[int, tuple[clustering.ArticleSignals, str]]:
    """ArticleSignals (and publisher name) per article; bodies never change once processed, so cache."""
    wanted = set(article_ids)
    with _signals_lock:
        found = {i: _signals[i] for i in wanted if i in _signals}
    missing = wanted - found.keys()
    if missing:
        rows = ArticleVector.objects.filter(article_id__in=missing).values_list(
            "article_id", "vector", "article__title", "article__body_text", "article__summary_html_safe",
            "article__publisher_id", "article__publisher__name", "article__published_at",
        )  # fmt: skip
        for article_id, blob, title, body, summary, publisher_id, publisher_name, published in rows:
            signals = clustering.make_signals(
                article_id=article_id, publisher_id=publisher_id, published=published, title=title,
                body=body or strip_tags(summary), vector=embeddings.from_bytes(bytes(blob)),
            )  # fmt: skip
            found[article_id] = (signals, publisher_name)
        with _signals_lock:
            for article_id in missing & found.keys():
                _signals[article_id] = found[article_id]
            while len(_signals) > _SIGNALS_MAX:
                _signals.popitem(last=False)
    return found


def reset_caches() -> None:
    """Forget what this process cached about stored articles (after a fork, or a rolled-back test)."""
    with _signals_lock:
        _signals.clear()
    reset_shared_index()


# ---------------------------------------------------------------- the stage


def process_articles(article_ids: Sequence[int]) -> int:
    articles = list(
        Article.objects.filter(pk__in=article_ids, processed_at__isnull=True)
        .exclude(status=Article.Status.PENDING)
        .select_related("publisher")
        .order_by("published_at", "pk")
    )
    if not articles:
        return 0
    # 1. vectors and signatures
    encoder = embeddings.get_encoder(
        settings.MODELS_DIR, threads=settings.ENCODER_THREADS, precision=settings.ENCODER_PRECISION
    )
    texts = [article_text(a) for a in articles]
    vectors = encoder.encode([clustering.embedding_text(a.title, t) for a, t in zip(articles, texts, strict=True)])
    signatures = [dedupe.signature(t) for t in texts]
    headlines = [  # only headline-only items have nothing better to compare than the headline
        dedupe.headline_key(a.title) if clustering.is_short(a.title, t) else ""
        for a, t in zip(articles, texts, strict=True)
    ]
    ArticleVector.objects.bulk_create(
        [
            ArticleVector(
                article=a, model=encoder.vector_model, dimension=embeddings.DIMENSION,
                vector=embeddings.to_bytes(v), text_signature=s.to_bytes() if s else None, headline_key=h,
                published_at=a.published_at,
            )
            for a, v, s, h in zip(articles, vectors, signatures, headlines, strict=True)
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    # 2. hashtags
    _store_hashtags(articles, texts)
    # 3. copies and stories
    grown: dict[int, set[int]] = defaultdict(set)  # story → articles that joined it now
    with transaction.atomic():
        ClusteringLock.objects.select_for_update().get_or_create(name="stories")
        index = shared_index()
        index.refresh()
        links: list[StoryLink] = []
        for article, vector, signature, headline in zip(articles, vectors, signatures, headlines, strict=True):
            story_id = _fold_copy(article, signature, headline, index) or _assign_story(article, vector, index, links)
            grown[story_id].add(article.pk)
        StoryLink.objects.bulk_create(links, ignore_conflicts=True)
        _update_story_counts(grown.keys())
        refold_story_hashtags(grown.keys())
    # 4. related lists
    new_ids = [a.pk for a in articles]
    refresh_related(new_ids, grown)
    article_actions.mark_processed(new_ids, now=clock.now())
    return len(articles)


def _store_hashtags(articles: list[Article], texts: list[str]) -> None:
    tags_by_article = {a.pk: hashtags.hashtags_for(a.title, t) for a, t in zip(articles, texts, strict=True)}
    all_tags = {tag.slug: tag for tags in tags_by_article.values() for tag in tags}
    if not all_tags:
        return
    Hashtag.objects.bulk_create(
        [Hashtag(slug=t.slug[:100], label=t.label[:100]) for t in all_tags.values()], ignore_conflicts=True
    )
    ids = dict(Hashtag.objects.filter(slug__in=list(all_tags)).values_list("slug", "pk"))
    ArticleHashtag.objects.bulk_create(
        [
            ArticleHashtag(article_id=article_id, hashtag_id=ids[tag.slug], rank=n)
            for article_id, tags in tags_by_article.items()
            for n, tag in enumerate(tags)
        ],
        ignore_conflicts=True,
    )
    pagecache.forget_articles(tags_by_article)  # a page seen before processing cached no tags


def refold_story_hashtags(story_ids: Iterable[int]) -> int:
    """Give one person one tag across each story (hashtags.person_folds); returns how many rows changed.

    Run under the clustering lock whenever stories gain or lose articles. Each article keeps its own tag in
    ``folded_from``, so a fold is undone when its evidence leaves the story. Three queries per call at most:
    the stories' tags, the texts of the articles carrying a candidate, one bulk update. A tag left with no
    article drops out of trending and lists nothing on its page, as when reprocessing changes tags.
    """
    rows = list(
        ArticleHashtag.objects.filter(article__story_id__in=list(story_ids)).values_list(
            "pk", "article_id", "article__story_id", "hashtag_id", "hashtag__slug", "hashtag__label",
            "folded_from_id", "folded_from__slug", "folded_from__label",
        )
    )  # fmt: skip
    if not rows:
        return 0
    own: dict[int, hashtags.Hashtag] = {}  # row → the article's own tag
    own_ids: dict[str, int] = {}
    story_tags: dict[int, set[hashtags.Hashtag]] = defaultdict(set)
    for pk, _, story_id, tag_id, slug, label, from_id, from_slug, from_label in rows:
        tag = hashtags.Hashtag(from_slug, from_label) if from_id else hashtags.Hashtag(slug, label)
        own[pk] = tag
        own_ids[tag.slug] = from_id or tag_id
        story_tags[story_id].add(tag)
    candidates = {story_id: hashtags.fold_candidates(tags) for story_id, tags in story_tags.items()}
    wanted = {story_id: set().union(*(c.slugs for c in cands)) for story_id, cands in candidates.items() if cands}
    carriers = {article_id for pk, article_id, story_id, *_ in rows if own[pk].slug in wanted.get(story_id, ())}
    texts: dict[int, list[str]] = defaultdict(list)
    for story_id, title, body, summary in Article.objects.filter(pk__in=carriers).values_list(
        "story_id", "title", "body_text", "summary_html_safe"
    ):
        texts[story_id].append(f"{title}\n{body or strip_tags(summary)}")
    folds = {story_id: hashtags.person_folds(candidates[story_id], texts[story_id]) for story_id in wanted}
    changed = []
    tags_of: dict[int, set[int]] = defaultdict(set)
    for _, article_id, _, tag_id, *_ in rows:
        tags_of[article_id].add(tag_id)
    for pk, article_id, story_id, tag_id, *_ in rows:
        tag = folds.get(story_id, {}).get(own[pk].slug, own[pk])
        target = own_ids[tag.slug]
        if target == tag_id or target in tags_of[article_id]:
            continue  # unchanged, or the article already carries the tag (never two rows for one tag)
        tags_of[article_id].add(target)  # (the tag it leaves is not reused in the same update: no swaps)
        folded_from = own_ids[own[pk].slug] if tag != own[pk] else None
        changed.append(ArticleHashtag(pk=pk, article_id=article_id, hashtag_id=target, folded_from_id=folded_from))
    ArticleHashtag.objects.bulk_update(changed, ["hashtag", "folded_from"])
    pagecache.forget_articles(row.article_id for row in changed)
    return len(changed)


def _fold_copy(article: Article, signature, headline: str, index) -> int | None:
    """Fold a near-copy of an earlier article into the original; returns the story it joins.

    A copy is a text whose MinHash ``signature`` is near, or for a headline-only item, the same ``headline``."""
    if signature is not None:
        candidates = [article_id for article_id, _ in index.duplicates.near(signature)]
    else:
        candidates = index.same_headline(headline)
    near = [
        article_id
        for article_id in candidates
        if article_id != article.pk and index.within(article_id, article.published_at, clustering.LOOKBACK)
    ]
    if not near:
        return None
    group = list(
        Article.objects.filter(pk__in=near, duplicate_of__isnull=True, story__isnull=False).select_related("publisher")
    )
    if not group:
        return None
    copies = [_as_copy(a) for a in group]
    original_id = dedupe.find_original(_as_copy(article), copies)
    if original_id == article.pk:
        # The newcomer is the original (its text is credited, or it was published first).
        story_id = group[0].story_id
        article_actions.fold_copies([a.pk for a in group], into=article.pk)
        article_actions.place_in_story([article.pk], story_id)
        pagecache.forget_articles([article.pk, *(a.pk for a in group)])
        return story_id
    original = next(a for a in group if a.pk == original_id)
    article_actions.fold_copies([article.pk], into=original.pk, story_id=original.story_id)
    pagecache.forget_articles([article.pk, original.pk])  # the original's page lists its copies
    return original.story_id


def _as_copy(article: Article) -> dedupe.Copy:
    text = article_text(article)
    return dedupe.Copy(article.pk, article.published_at, article.publisher.name, text[:2000] + " " + text[-1000:])


def _assign_story(article: Article, vector: np.ndarray, index, links: list[StoryLink]) -> int:
    """Join the best story near the article or start one; its links to earlier articles go into ``links``."""
    found = index.nearest(
        vector, around=article.published_at, window=clustering.LOOKBACK, k=NEIGHBOURS, exclude=frozenset({article.pk})
    )
    signals = _load_signals([article.pk, *(n.article_id for n in found)])
    story_of = dict(Article.objects.filter(pk__in=[n.article_id for n in found]).values_list("pk", "story_id"))
    neighbours = [
        clustering.Neighbour(signals[n.article_id][0], story_of.get(n.article_id))
        for n in found
        if n.article_id in signals
    ]
    assignment = clustering.assign_story(signals[article.pk][0], neighbours)
    links += [StoryLink(article_id=article.pk, earlier_id=other, score=score) for other, score in assignment.links]
    story_id = assignment.story_id
    if story_id is None:
        story_id = Story.objects.create(
            title=article.title, first_published_at=article.published_at, last_published_at=article.published_at
        ).pk
    article_actions.place_in_story([article.pk], story_id)
    pagecache.forget_articles([article.pk])
    return story_id


def recount_stories(story_ids: Iterable[int]) -> int:
    """After articles were deleted: counts and dates brought up to date, stories left empty deleted
    (with their follows and briefings). Returns how many stories were deleted."""
    story_ids = set(story_ids)
    kept = set(Article.objects.filter(story_id__in=story_ids).values_list("story_id", flat=True).distinct())
    emptied = story_ids - kept
    # The fragments merged into an emptied story point nowhere once it goes: they go too.
    Story.objects.filter(Q(pk__in=emptied) | Q(merged_into__in=emptied)).delete()
    _update_story_counts(kept)
    return len(emptied)


def _update_story_counts(story_ids: Iterable[int]) -> None:
    for story_id in story_ids:
        stats = Article.objects.filter(story_id=story_id).aggregate(
            first=Min("published_at"), last=Max("published_at"), articles=Count("pk"),
        )  # fmt: skip
        publishers = (
            Article.objects.filter(story_id=story_id, duplicate_of__isnull=True).values("publisher").distinct().count()
        )
        Story.objects.filter(pk=story_id).update(
            first_published_at=stats["first"], last_published_at=stats["last"],
            article_count=stats["articles"], publisher_count=publishers,
        )  # fmt: skip


# ---------------------------------------------------------------- consolidation


def consolidate_stories() -> int:
    """Re-draw the stories that links made since the last run touch; returns how many articles moved.

    The region re-drawn: the stories of both ends of each new link, and every story linked to those
    (one hop), so a story can take in a neighbour's fragment or give back an article that belongs to it.
    Articles that move get fresh related lists; the lists of the stories they left and joined are re-ranked.
    """
    with transaction.atomic():
        lock, _ = ClusteringLock.objects.select_for_update().get_or_create(name="stories")
        newest = StoryLink.objects.aggregate(newest=Max("pk"))["newest"] or 0
        if newest <= lock.consolidated_through:
            return 0
        fresh = StoryLink.objects.filter(pk__gt=lock.consolidated_through, pk__lte=newest)
        stories = {s for pair in fresh.values_list("article__story_id", "earlier__story_id") for s in pair}
        stories.discard(None)
        touching = StoryLink.objects.filter(Q(article__story_id__in=stories) | Q(earlier__story_id__in=stories))
        stories |= {s for pair in touching.values_list("article__story_id", "earlier__story_id") for s in pair}
        stories.discard(None)
        current = dict(
            Article.objects.filter(story_id__in=stories, duplicate_of__isnull=True).values_list("pk", "story_id")
        )
        links = StoryLink.objects.filter(article__story_id__in=stories, earlier__story_id__in=stories)
        moves = clustering.consolidate(current, links.values_list("article_id", "earlier_id", "score"))
        grown = _apply_moves(current, moves)
        refold_story_hashtags(grown.keys())
        ClusteringLock.objects.filter(pk=lock.pk).update(consolidated_through=newest)
    if moves:
        refresh_related(sorted(moves), grown)
    return len(moves)


def _apply_moves(current: dict[int, int], moves: dict[int, int]) -> dict[int, set[int]]:
    """Store consolidate()'s moves (copies follow their original); returns story → articles that joined it,
    with an empty set for each story that only lost articles."""
    if not moves:
        return {}
    by_target: dict[int, list[int]] = defaultdict(list)
    for article_id, target in moves.items():
        by_target[target].append(article_id)
    rows = Article.objects.filter(pk__in=list(moves)).values_list("pk", "published_at", "title")
    published_and_title = {pk: (published, title) for pk, published, title in rows}
    grown: dict[int, set[int]] = {current[a]: set() for a in moves}
    by_article_target: dict[int, int] = {}
    for target, members in sorted(by_target.items()):
        if target < 0:  # a story to create, named after its first article
            published, title = published_and_title[min(members, key=lambda a: (published_and_title[a][0], a))]
            target = Story.objects.create(title=title, first_published_at=published, last_published_at=published).pk
        by_article_target.update(dict.fromkeys(members, target))
        article_actions.move_to_story(members, target)
        pagecache.forget_articles(members)
        grown.setdefault(target, set()).update(members)
    # A story left with no article points to the story that took most of its articles (its page redirects).
    emptied = set(Story.objects.filter(pk__in=list(grown), articles__isnull=True).values_list("pk", flat=True))
    heirs: dict[int, Counter] = defaultdict(Counter)
    for article_id in moves:
        if current[article_id] in emptied:
            heirs[current[article_id]][by_article_target[article_id]] += 1
    for story_id in emptied:
        heir = heirs[story_id].most_common(1)[0][0]
        Story.objects.filter(pk=story_id).update(merged_into=heir, article_count=0, publisher_count=0)
        # Stories merged into this one earlier now point at its heir: a redirect is always one hop.
        Story.objects.filter(merged_into=story_id).update(merged_into=heir)
    left = set(grown) - emptied
    _update_story_counts(left)
    # The headline of a story is its first article's (one query reads each story's first title).
    first_title = Article.objects.filter(story=OuterRef("pk"), duplicate_of__isnull=True).order_by("published_at", "pk")
    renamed = Story.objects.filter(pk__in=left).annotate(first=Subquery(first_title.values("title")[:1]))
    for story_id, title in renamed.exclude(title=F("first")).values_list("pk", "first"):
        Story.objects.filter(pk=story_id).update(title=title)
    return {story_id: joined for story_id, joined in grown.items() if story_id in left}


# ---------------------------------------------------------------- related


def refresh_related(new_ids: Sequence[int], grown: dict[int, set[int]]) -> None:
    """Rank related lists for new articles; take them into the lists they may belong to.

    Besides its own list, a new article is offered to the lists of (a) the members of its story (the
    most recent REFRESH_MEMBERS) and (b) its related.REVERSE_NEIGHBOURS nearest articles whatever their
    story: an early article's list then still takes in a later close article, in its story or not
    (headline-only items often sit in small stories whose lists are filled by other stories' articles).
    Each such list is re-ranked over what it holds plus the newcomers offered to it.
    """
    index = shared_index()
    candidates: dict[int, set[int]] = {}
    offered: dict[int, set[int]] = defaultdict(set)  # article already listed → newcomers offered to its list
    story_of = dict(Article.objects.filter(pk__in=new_ids).values_list("pk", "story_id"))
    new_signals = _load_signals(new_ids)
    members = _story_members(grown.keys())
    for article_id in new_ids:
        if article_id not in new_signals:
            continue
        signals = new_signals[article_id][0]
        near = index.nearest(signals.vector, around=signals.published, window=RELATED_WINDOW, k=RELATED_CANDIDATES,
                             exclude=frozenset({article_id}))  # fmt: skip
        candidates[article_id] = {n.article_id for n in near} | set(members.get(story_of.get(article_id), ()))
        for n in near[: related.REVERSE_NEIGHBOURS]:
            offered[n.article_id].add(article_id)
    for story_id, joined in grown.items():
        for member in members.get(story_id, [])[:REFRESH_MEMBERS]:
            offered[member] |= joined
    # Only lists already stored: an article another worker is still processing ranks its own list (and
    # a refresh read before that write would overwrite it with the newcomers alone).
    refreshed = list(
        Article.objects.filter(
            pk__in=[a for a in offered if a not in candidates], processed_at__isnull=False
        ).values_list("pk", flat=True)
    )
    current: dict[int, set[int]] = defaultdict(set)
    for article_id, related_id in RelatedArticle.objects.filter(article_id__in=refreshed).values_list(
        "article_id", "related_id"
    ):
        current[article_id].add(related_id)
    for article_id in refreshed:
        candidates[article_id] = current[article_id] | offered[article_id]
    _rank_and_store(candidates)


def _story_members(story_ids: Iterable[int]) -> dict[int, list[int]]:
    members: dict[int, list[int]] = defaultdict(list)
    rows = (
        Article.objects.filter(story_id__in=list(story_ids), duplicate_of__isnull=True)
        .order_by("-published_at")
        .values_list("story_id", "pk")
    )
    for story_id, article_id in rows:
        if len(members[story_id]) < STORY_MEMBERS_CONSIDERED:
            members[story_id].append(article_id)
    return members


def _rank_and_store(candidates: dict[int, set[int]]) -> None:
    everyone = set(candidates) | {c for cands in candidates.values() for c in cands}
    signals = _load_signals(everyone)
    meta = {
        pk: (story_id, duplicate_of)
        for pk, story_id, duplicate_of in Article.objects.filter(pk__in=everyone).values_list(
            "pk", "story_id", "duplicate_of_id"
        )
    }
    tags: dict[int, set[str]] = defaultdict(set)
    for article_id, label in ArticleHashtag.objects.filter(article_id__in=everyone).values_list(
        "article_id", "hashtag__label"
    ):
        tags[article_id].add("#" + label)
    stored: dict[int, list[tuple[int, float, str]]] = defaultdict(list)
    for article_id, related_id, score, reason in (
        RelatedArticle.objects.filter(article_id__in=list(candidates))
        .order_by("article_id", "rank")
        .values_list("article_id", "related_id", "score", "reason")
    ):
        stored[article_id].append((related_id, score, reason))
    rows, changed = [], []
    for article_id, cands in candidates.items():
        if article_id not in signals or meta.get(article_id, (None, None))[1] is not None:
            if stored.get(article_id):
                changed.append(article_id)  # a copy (or a vanished article) lists nothing
            continue
        story_id = meta[article_id][0]
        pool = [
            related.RelatedCandidate(
                signals=signals[c][0], story_id=meta[c][0], hashtags=frozenset(tags[c]), publisher_name=signals[c][1]
            )
            for c in cands
            if c in signals and c != article_id and meta.get(c, (None, 1))[1] is None
        ]
        ranked = related.rank(signals[article_id][0], story_id, frozenset(tags[article_id]), pool,
                              k=RELATED_PER_ARTICLE, cache=related.shared_similarities)  # fmt: skip
        fresh = [(item.article_id, item.score, item.reason[:300]) for item in ranked]
        if fresh == stored.get(article_id, []):
            continue  # most lists a newcomer is offered to do not change: leave their rows alone
        changed.append(article_id)
        rows += [
            RelatedArticle(article_id=article_id, related_id=related_id, rank=n, score=score, reason=reason)
            for n, (related_id, score, reason) in enumerate(fresh)
        ]
    with transaction.atomic():
        RelatedArticle.objects.filter(article_id__in=changed).delete()
        RelatedArticle.objects.bulk_create(rows, ignore_conflicts=True)
    pagecache.forget_articles(changed)


def forget_stories_of(article_ids: Sequence[int]) -> None:
    """Story results are rebuilt in publication order, as if the articles had just arrived."""
    with transaction.atomic():
        RelatedArticle.objects.filter(article_id__in=article_ids).delete()
        ArticleHashtag.objects.filter(article_id__in=article_ids).delete()
        ArticleVector.objects.filter(article_id__in=article_ids).delete()
        StoryLink.objects.filter(article_id__in=article_ids).delete()
        article_actions.forget_stories(article_ids)
        Story.objects.filter(articles__isnull=True).delete()
    reset_caches()


def forget_vectors(article_ids: Sequence[int]) -> None:
    """Deleted articles leave this process's neighbour index and the shared one (HNSW files or pgvector).
    Other workers' in-memory indexes keep them until they restart; a deleted neighbour has no row left, so the
    story stage passes over it."""
    shared_index().forget(article_ids)
