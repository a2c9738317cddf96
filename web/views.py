"""Server-rendered pages. Views only compose querysets; they never write."""

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from articles.models import Article
from sources.models import Feed, Publisher

ARTICLES_PER_PAGE = 30


def _article_list():
    return Article.objects.visible().exclude(status=Article.Status.PENDING).select_related("publisher").latest_first()


def home(request):
    articles = _article_list()
    publisher = None
    if slug := request.GET.get("publisher"):
        publisher = get_object_or_404(Publisher, slug=slug)
        articles = articles.by_publisher(publisher)
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/home.html",
        {"page": page, "publisher": publisher, "publishers": Publisher.objects.order_by("name")},
    )


def article_detail(request, article_id: int):
    article = get_object_or_404(Article.objects.visible().select_related("publisher"), pk=article_id)
    also_from = _article_list().by_publisher(article.publisher).exclude(pk=article.pk)[:5]
    return render(request, "web/article.html", {"article": article, "also_from": also_from})


def publisher_list(request):
    publishers = Publisher.objects.annotate(
        article_count=Count("articles", filter=Q(articles__duplicate_of__isnull=True))
    ).order_by("name")
    return render(request, "web/publishers.html", {"publishers": publishers})


def publisher_detail(request, slug: str):
    publisher = get_object_or_404(Publisher, slug=slug)
    page = Paginator(_article_list().by_publisher(publisher), ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/publisher.html", {"publisher": publisher, "page": page, "feeds": publisher.feeds.all()})


def sources_health(request):
    feeds = Feed.objects.select_related("publisher").order_by("health", "publisher__name", "url")
    counts = {row["health"]: row["n"] for row in Feed.objects.values("health").annotate(n=Count("pk"))}
    return render(
        request,
        "web/sources.html",
        {"feeds": feeds, "counts": counts, "health_choices": Feed.Health.choices},
    )
