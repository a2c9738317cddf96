"""Feed autodiscovery for every page's head, and the reader's private feed addresses for the account page."""

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from web import feeds

register = template.Library()


def _formats(url_name: str, label: str, query: str = "", **kwargs) -> list[dict[str, str]]:
    return [
        {
            "href": reverse(url_name, kwargs={**kwargs, "fmt": fmt}) + query,
            "type": feeds.FEED_TYPES[fmt].content_type.split(";")[0],
            "title": f"{label} ({feeds.FORMAT_NAMES[fmt]})",
        }
        for fmt in feeds.FEED_TYPES
    ]


def _page_feeds(context) -> list[dict[str, str]]:
    """The feeds of what this page shows, most specific first."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match else ""
    if name in ("publisher", "home") and (publisher := context.get("publisher")):
        return _formats("feed-publisher", f"{publisher.name} — Tidings", slug=publisher.slug)
    if name == "hashtag" and (hashtag := context.get("hashtag")):
        return _formats("feed-hashtag", f"#{hashtag.label} — Tidings", slug=hashtag.slug)
    if name == "story" and (story := context.get("story")):
        return _formats("feed-story", f"{story.title} — Tidings", story_id=story.pk)
    if name == "article" and (article := context.get("article")):
        found = _formats("feed-publisher", f"{article.publisher.name} — Tidings", slug=article.publisher.slug)
        if article.story_id:
            found += _formats("feed-story", f"{article.story.title} — Tidings", story_id=article.story_id)
        return found
    form = context.get("form")
    if name == "search" and form is not None and form.is_bound and form.is_valid() and not context.get("problem"):
        query = "?" + urlencode({"q": form.cleaned_data["q"], **form.filters()})
        return _formats("feed-search", f"Search “{form.cleaned_data['q']}” — Tidings", query=query)
    return []


@register.inclusion_tag("web/_feed_links.html", takes_context=True)
def feed_links(context):
    """<link rel="alternate"> for the page's own feeds, then the site's latest articles."""
    return {"links": [*_page_feeds(context), *_formats("feed-latest", "Tidings — latest articles")]}


@register.simple_tag(takes_context=True)
def private_feed_addresses(context) -> dict[str, dict[str, str]]:
    """The signed-in reader's private feed addresses, absolute (to paste into a feed reader)."""
    request = context["request"]
    return {
        name: {fmt: request.build_absolute_uri(path) for fmt, path in by_format.items()}
        for name, by_format in feeds.private_feed_links(request.user).items()
    }
