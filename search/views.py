"""The search page and a reader's saved searches."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from articles.models import Article
from sources.models import Publisher

from .forms import SearchForm
from .models import SavedSearch
from .queries import MAX_RANKED, in_order, parse_query

RESULTS_PER_PAGE = 20
SAVED_SEARCHES_SHOWN = 50
# The publisher filter offers the most active publishers (counted over the latest articles, cached this many
# seconds) and the chosen one: a list of every publisher grows with the data.
FILTER_PUBLISHERS = 30
FILTER_SECONDS = 60


def publisher_choices(chosen_slug: str) -> list[Publisher]:
    choices = cache.get_or_set(
        "search:publisher-choices:v1", lambda: Article.objects.active_publishers(FILTER_PUBLISHERS), FILTER_SECONDS
    )
    if chosen_slug and chosen_slug not in {p.slug for p in choices}:
        choices = [*choices, *Publisher.objects.filter(slug=chosen_slug)]
    return choices


def search(request):
    form = SearchForm(request.GET or None)
    page = None
    problem = ""
    filters: dict[str, str] = {}
    query = request.GET.get("q", "")
    if form.is_bound and form.is_valid():
        filters = form.filters()
        query = form.cleaned_data["q"]
        problem = parse_query(query).problem
        if not problem:
            # The ranked ids (cached), then this page's rows with their snippets: one query when cached.
            ids = form.ranked_ids()
            page = Paginator(ids, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
            page.object_list = in_order(form.results(among=list(page.object_list)), ids)
    elif form.is_bound:
        problem = " ".join(e for errors in form.errors.values() for e in errors)
    else:
        problem = parse_query("").problem
    return render(
        request,
        "search/search.html",
        {
            "form": form,
            "query": query,
            "filters": filters,
            "page": page,
            "problem": problem,
            "max_ranked": MAX_RANKED,
            "publishers": publisher_choices(filters.get("publisher", "")),
        },
    )


@login_required
@require_POST
def save_search(request):
    form = SearchForm(request.POST)
    if not form.is_valid() or parse_query(form.cleaned_data["q"]).problem:
        messages.error(request, "Only a search with words to look for can be saved.")
        return redirect("search")
    saved, created = SavedSearch.objects.get_or_create(
        user=request.user, query=form.cleaned_data["q"][:500], filters=form.filters()
    )
    if request.POST.get("follow") and not saved.notify:
        saved.notify = True
        saved.save(update_fields=["notify"])
    messages.success(request, "Search saved." if created else "You had already saved this search.")
    return redirect("search-saved")


@login_required
def saved_searches(request):
    saved = list(request.user.saved_searches.all()[:SAVED_SEARCHES_SHOWN])
    for item in saved:
        # New since the last visit: articles Tidings found after the reader last opened these results.
        form = SearchForm(item.search_params())
        item.new_count = form.results().filter(discovered_at__gt=item.last_seen_at).count() if form.is_valid() else 0
    return render(request, "search/saved.html", {"saved": saved})


@login_required
def open_saved_search(request, saved_id: int):
    saved = get_object_or_404(SavedSearch, pk=saved_id, user=request.user)
    SavedSearch.objects.filter(pk=saved.pk).update(last_seen_at=timezone.now())
    return redirect(saved.search_url())


@login_required
@require_POST
def follow_saved_search(request, saved_id: int):
    saved = get_object_or_404(SavedSearch, pk=saved_id, user=request.user)
    saved.notify = not saved.notify
    saved.save(update_fields=["notify"])
    messages.success(request, f"{'Following' if saved.notify else 'No longer following'} “{saved.query}”.")
    return redirect("search-saved")


@login_required
@require_POST
def delete_saved_search(request, saved_id: int):
    get_object_or_404(SavedSearch, pk=saved_id, user=request.user).delete()
    messages.success(request, "Saved search removed.")
    return redirect("search-saved")
