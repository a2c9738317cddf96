"""Server-rendered pages. Views only compose querysets; they never write."""

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render

from articles.models import Article
from sources.models import Feed, Publisher
from stories.models import Hashtag, RelatedArticle, Story

ARTICLES_PER_PAGE = 30
TOP_STORIES = 8
TRENDING_TAGS = 12


def _article_list():
    return Article.objects.visible().exclude(status=Article.Status.PENDING).select_related("publisher").latest_first()


def home(request):
    articles = _article_list()
    publisher = None
    if slug := request.GET.get("publisher"):
        publisher = get_object_or_404(Publisher, slug=slug)
        articles = articles.by_publisher(publisher)
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    first_page = page.number == 1 and publisher is None
    return render(
        request,
        "web/home.html",
        {
            "page": page,
            "publisher": publisher,
            "publishers": Publisher.objects.order_by("name"),
            "top_stories": Story.objects.top()[:TOP_STORIES] if first_page else [],
            "trending": Hashtag.objects.trending()[:TRENDING_TAGS] if first_page else [],
        },
    )


def article_detail(request, article_id: int):
    article = get_object_or_404(Article.objects.select_related("publisher", "story"), pk=article_id)
    if article.duplicate_of_id:
        # A folded copy has no page of its own: its original credits it ("Also published by").
        return redirect(article.duplicate_of)
    related = RelatedArticle.objects.filter(article=article).select_related("related__publisher")
    context = {
        "article": article,
        "copies": article.copies.select_related("publisher").order_by("published_at"),
        "hashtags": Hashtag.objects.filter(article_hashtags__article=article).order_by("article_hashtags__rank"),
        "related": related,
    }
    return render(request, "web/article.html", context)


def story_detail(request, story_id: int):
    story = get_object_or_404(Story, pk=story_id)
    articles = list(
        Article.objects.filter(story=story)
        .select_related("publisher", "duplicate_of__publisher")
        .order_by("published_at")
    )
    by_publisher: dict = {}
    for article in articles:
        by_publisher.setdefault(article.publisher, []).append(article)
    groups = sorted(by_publisher.items(), key=lambda item: item[1][0].published_at)
    return render(
        request,
        "web/story.html",
        {"story": story, "timeline": articles, "groups": groups, "first": articles[0] if articles else None},
    )


def hashtag_detail(request, slug: str):
    hashtag = get_object_or_404(Hashtag, slug=slug)
    articles = _article_list().filter(article_hashtags__hashtag=hashtag)
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/hashtag.html", {"hashtag": hashtag, "page": page})


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
