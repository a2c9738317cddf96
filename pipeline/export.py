"""The JSONL export: one object per article held (format in ../shared/eval/README.md)."""

import json
from collections import defaultdict
from collections.abc import Iterator

from ai.models import AIOutput
from ai.providers import EXTRACTIVE
from articles.models import Article
from stories.models import RelatedArticle


def _related_urls() -> dict[int, list[str]]:
    ranked: dict[int, list[str]] = defaultdict(list)
    rows = RelatedArticle.objects.order_by("article_id", "rank").values_list("article_id", "related__url")
    for article_id, url in rows.iterator(chunk_size=5000):
        ranked[article_id].append(url)
    return ranked


def _digests() -> dict[int, dict]:
    rows = AIOutput.objects.filter(kind=AIOutput.Kind.DIGEST, engine=EXTRACTIVE).values_list("article_id", "content")
    return dict(rows.iterator(chunk_size=2000))


def export_rows() -> Iterator[dict]:
    related = _related_urls()
    digests = _digests()
    articles = Article.objects.select_related("duplicate_of").order_by("pk")
    for article in articles.iterator(chunk_size=500):
        original = article.duplicate_of
        if original is not None:
            # A copy is related to what its original is related to, its original first.
            links = [original.url, *(u for u in related.get(original.pk, []) if u != article.url)]
        else:
            links = related.get(article.pk, [])
        yield {
            "url": article.url,
            "title": article.title,
            "body_text": article.body_text,
            "published": article.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "story_id": str(article.story_id) if article.story_id else None,
            "related": links[:8],
            "duplicate_of": original.url if original else None,
            "key_points": digests.get(article.pk, {}).get("key_points", []),
            "summary": digests.get(article.pk, {}).get("summary", []),
        }


def export_jsonl(stream) -> int:
    count = 0
    for row in export_rows():
        stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
