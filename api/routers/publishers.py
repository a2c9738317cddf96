"""Publishers, with their licence (what Tidings may show of their articles)."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from ninja import Router

from sources.models import Publisher

from ..auth import reader
from ..schemas.common import PublisherOut

router = Router(tags=["publishers"])


def _publishers():
    return Publisher.objects.annotate(
        article_count=Count("articles", filter=Q(articles__duplicate_of__isnull=True))
    ).order_by("name", "pk")


def _publisher(p: Publisher) -> dict:
    return {"slug": p.slug, "name": p.name, "site_url": p.site_url, "country": p.country, "language": p.language,
            "licence": p.licence, "full_text": p.shows_full_text, "article_count": p.article_count}  # fmt: skip


@router.get("/publishers", response=list[PublisherOut], summary="Every publisher Tidings reads")
def list_publishers(request):
    reader(request)
    return [_publisher(p) for p in _publishers()]


@router.get("/publishers/{slug}", response=PublisherOut, summary="One publisher")
def get_publisher(request, slug: str):
    reader(request)
    return _publisher(get_object_or_404(_publishers(), slug=slug))
