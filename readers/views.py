"""Readers' own pages (For You, saved, what Tidings learned, export) and the follow/mute/save buttons.

Every view needs a signed-in reader and shows only that reader's rows. Buttons are POST forms; they
redirect to `next` when it is a URL of this site, else to the thing acted on.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from articles.models import Article
from stories.models import Hashtag

from . import actions, foryou
from .models import Follow, Mute, ReadingHistory, SavedArticle

SAVED_PER_PAGE = 30
LEARNED_HISTORY = 20
LEARNED_TOPICS = 10


def _back(request, fallback: str):
    """Redirect to `next` (POST, then GET) if it stays on this site, else to `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


_MESSAGES = {
    "follow": "You now follow {name}.",
    "unfollow": "You no longer follow {name}.",
    "mute": "Muted {name}: it will not appear in For You.",
    "unmute": "{name} is no longer muted.",
}


@login_required
@require_POST
def change_follow(request, kind: str, key: str | int, verb: str):
    """follow / unfollow / mute / unmute one publisher, hashtag or story."""
    check = actions.check_follow if verb in ("follow", "unfollow") else actions.check_mute
    try:
        target = check(request.user, kind, key)
    except (actions.ReaderActionError, ObjectDoesNotExist) as exc:
        raise Http404(f"No such {kind}.") from exc
    do = {
        "follow": actions.do_follow,
        "unfollow": actions.do_unfollow,
        "mute": actions.do_mute,
        "unmute": actions.do_unmute,
    }[verb]
    do(request.user, target)
    messages.success(request, _MESSAGES[verb].format(name=actions.display_name(target)))
    return _back(request, target.get_absolute_url())


@login_required
@require_POST
def change_saved(request, article_id: int, verb: str):
    try:
        article = actions.check_save(request.user, article_id)
    except Article.DoesNotExist as exc:
        raise Http404("No such article.") from exc
    if verb == "save":
        actions.do_save(request.user, article)
        messages.success(request, "Saved for later.")
    else:
        actions.do_unsave(request.user, article)
        messages.success(request, "Removed from your saved articles.")
    return _back(request, article.get_absolute_url())


@login_required
@require_GET
def for_you(request):
    items = foryou.for_you(request.user)
    return render(request, "readers/for_you.html", {"items": items})


@login_required
@require_GET
def saved(request):
    rows = SavedArticle.objects.filter(user=request.user).select_related("article__publisher")
    page = Paginator(rows, SAVED_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "readers/saved.html", {"page": page})


def inferred_topics(user, limit: int = LEARNED_TOPICS):
    """The hashtags that come up most among the reader's saved and read articles."""
    mine = Q(article_hashtags__article__in=SavedArticle.objects.filter(user=user).values("article")) | Q(
        article_hashtags__article__in=ReadingHistory.objects.filter(user=user).values("article")
    )
    return (
        Hashtag.objects.annotate(mentions=Count("article_hashtags", filter=mine, distinct=True))
        .filter(mentions__gt=0)
        .order_by("-mentions", "label")[:limit]
    )


@login_required
@require_GET
def learned(request):
    user = request.user
    context = {
        "follows": Follow.objects.filter(user=user).select_related("publisher", "hashtag", "story"),
        "mutes": Mute.objects.filter(user=user).select_related("publisher", "hashtag"),
        "saved": SavedArticle.objects.filter(user=user).select_related("article__publisher")[:LEARNED_HISTORY],
        "saved_count": SavedArticle.objects.filter(user=user).count(),
        "history": ReadingHistory.objects.filter(user=user).select_related("article__publisher")[:LEARNED_HISTORY],
        "history_count": ReadingHistory.objects.filter(user=user).count(),
        "topics": inferred_topics(user),
    }
    return render(request, "readers/learned.html", context)


@login_required
@require_POST
def clear_history(request):
    count = actions.clear_history(request.user)
    messages.success(request, f"Cleared your reading history ({count} articles).")
    return redirect("readers:learned")


@login_required
@require_POST
def clear_learned(request):
    counts = actions.clear_learned(request.user)
    messages.success(
        request,
        f"Tidings has forgotten what it learned: {counts['history']} read and {counts['saved']} saved articles.",
    )
    return redirect("readers:learned")


@login_required
@require_GET
def export(request):
    body = json.dumps(actions.export_my_data(request.user), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tidings-{request.user.pk}.json"'
    return response
