"""Publishers, with their licence (what Tidings may show of their articles)."""

from django.core.cache import cache
from django.db.models import Count
from django.shortcuts import get_object_or_404
from ninja import Router

from articles.models import Article
from sources.models import Publisher

from ..auth import reader
from ..schemas.common import PublisherOut

router = Router(tags=["publishers"])


# Counting every publisher's articles reads them all (4 s at a million articles), so the counts are kept for
# this long, as the site's own aggregates are: a count may lag new articles by up to a minute.
ARTICLE_COUNTS_SECONDS = 60


def _article_counts() -> dict[int, int]:
    def count() -> dict[int, int]:
        originals = Article.objects.filter(duplicate_of__isnull=True).order_by()
        return dict(originals.values_list("publisher").annotate(n=Count("pk")).values_list("publisher", "n"))

    return cache.get_or_set("api:publisher-article-counts:v1", count, ARTICLE_COUNTS_SECONDS)


def _publisher(p: Publisher, counts: dict[int, int]) -> dict:
    return {"slug": p.slug, "name": p.name, "site_url": p.site_url, "country": p.country, "language": p.language,
            "licence": p.licence, "full_text": p.shows_full_text, "article_count": counts.get(p.pk, 0)}  # fmt: skip


@router.get("/publishers", response=list[PublisherOut], summary="Every publisher Tidings reads")
def list_publishers(request):
    reader(request)
    counts = _article_counts()
    return [_publisher(p, counts) for p in Publisher.objects.order_by("name", "pk")]


@router.get("/publishers/{slug}", response=PublisherOut, summary="One publisher")
def get_publisher(request, slug: str):
    reader(request)
    return _publisher(get_object_or_404(Publisher, slug=slug), _article_counts())
