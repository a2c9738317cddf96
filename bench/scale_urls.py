"""The product's URLs plus /bench/bare/: a Django view that reads 20 rows and renders a template, the
reference the page benchmark compares every page with."""

from django.shortcuts import render
from django.urls import include, path

from articles.models import Article


def bare(request):
    rows = list(Article.objects.order_by("-id").values("id", "title", "published_at")[:20])
    return render(request, "bench/bare.html", {"rows": rows})


urlpatterns = [path("bench/bare/", bare), path("", include("tidings.urls"))]
