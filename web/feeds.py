"""Feeds out: RSS 2.0, Atom and JSON Feed 1.1 of the latest articles, a publisher, a hashtag, a story, any search,
and a reader's For You and saved articles behind a private key.

Each item's text is the article page's own (web/_article_text.html): the full body only where the publisher's
licence allows it, else the excerpt, with the attribution line either way. Links are absolute. Every feed reads
the database in a fixed number of queries, whatever the number of items.
"""

import json
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import BadRequest
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.http import urlencode
from django.views.decorators.http import conditional_page, require_POST

from articles.models import Article
from readers import actions as reader_actions
from readers import foryou
from readers.models import FeedToken, SavedArticle
from search.forms import SearchForm
from search.queries import parse_query
from sources.models import Publisher
from stories.models import ArticleHashtag, Hashtag, Story

FEED_ITEMS = 50  # what a feed reader polls for: a day of a busy publisher, weeks of a quiet story


class JSONFeed(SyndicationFeed):
    """JSON Feed version 1.1 (https://jsonfeed.org/version/1.1) from the same items Django's RSS and Atom get."""

    content_type = "application/feed+json; charset=utf-8"
    version_url = "https://jsonfeed.org/version/1.1"

    def write(self, outfile, encoding):
        outfile.write(json.dumps(self.as_dict(), ensure_ascii=False, indent=1))

    def as_dict(self) -> dict:
        feed = self.feed
        document = {
            "version": self.version_url,
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed["language"],
            "items": [self._item(item) for item in self.items],
        }
        return {key: value for key, value in document.items() if value not in (None, "")}

    @staticmethod
    def _item(item: dict) -> dict:
        document = {
            "id": item["unique_id"] or item["link"],
            "url": item["link"],
            "external_url": item.get("external_url"),
            "title": item["title"],
            "content_html": item["description"].strip(),
            "summary": item.get("summary"),
            "image": item.get("image"),
            "date_published": _rfc3339(item["pubdate"]),
            "authors": [{"name": item["author_name"]}] if item["author_name"] else None,
            "tags": list(item["categories"]) or None,
            "language": item.get("item_language"),
        }
        return {key: value for key, value in document.items() if value not in (None, "")}


def _rfc3339(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


FEED_TYPES = {"rss": Rss201rev2Feed, "atom": Atom1Feed, "json": JSONFeed}
FORMAT_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


class FeedFormatConverter:
    """The format in a feed's address: feed.rss, feed.atom or feed.json."""

    regex = "rss|atom|json"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def with_hashtags(articles):
    """Articles with their hashtags in one more query (the items' categories)."""
    return articles.prefetch_related(_HASHTAGS)


_HASHTAGS = Prefetch("article_hashtags", queryset=ArticleHashtag.objects.select_related("hashtag"))


def listed_articles():
    """What the site's lists show: openable articles whose page has been read or given up on, newest first."""
    articles = Article.objects.listed().select_related("publisher")
    return with_hashtags(articles.latest_first())


class ArticleFeed(Feed):
    """Items are articles; subclasses say which, and the title and page of the whole."""

    description_template = "web/feed_item.html"

    def __init__(self, fmt: str):
        self.feed_type = FEED_TYPES[fmt]

    def get_context_data(self, **kwargs):
        return {"article": kwargs["item"]}

    def item_title(self, article: Article) -> str:
        return article.title

    def item_link(self, article: Article) -> str:
        return article.get_absolute_url()

    def item_pubdate(self, article: Article) -> datetime:
        return article.published_at

    def item_author_name(self, article: Article) -> str:
        return article.byline or article.publisher.name

    def item_categories(self, article: Article) -> list[str]:
        return [link.hashtag.label for link in article.article_hashtags.all()]

    def item_copyright(self, article: Article) -> str:
        return f"{article.publisher.name}. Licence: {article.publisher.licence}."

    def item_extra_kwargs(self, article: Article) -> dict:
        # Read by JSONFeed only; Django's RSS and Atom generators ignore keys they do not know.
        return {
            "external_url": article.url,
            "summary": article.excerpt,
            "image": article.image_url,
            "item_language": article.language,
        }


class LatestFeed(ArticleFeed):
    title = "Tidings — latest articles"
    description = "The latest articles from every publisher Tidings reads."

    def link(self):
        return reverse("home")

    def items(self):
        return listed_articles()[:FEED_ITEMS]


class PublisherFeed(ArticleFeed):
    def get_object(self, request, slug: str):
        return Publisher.objects.get(slug=slug)

    def title(self, publisher: Publisher) -> str:
        return f"{publisher.name} — Tidings"

    def description(self, publisher: Publisher) -> str:
        return f"The latest articles from {publisher.name}, as Tidings shows them (licence: {publisher.licence})."

    def link(self, publisher: Publisher) -> str:
        return publisher.get_absolute_url()

    def items(self, publisher: Publisher):
        return listed_articles().by_publisher(publisher)[:FEED_ITEMS]


class HashtagFeed(ArticleFeed):
    def get_object(self, request, slug: str):
        return Hashtag.objects.get(slug=slug)

    def title(self, hashtag: Hashtag) -> str:
        return f"#{hashtag.label} — Tidings"

    def description(self, hashtag: Hashtag) -> str:
        return f"The latest articles tagged #{hashtag.label}."

    def link(self, hashtag: Hashtag) -> str:
        return hashtag.get_absolute_url()

    def items(self, hashtag: Hashtag):
        return listed_articles().filter(article_hashtags__hashtag=hashtag)[:FEED_ITEMS]


class StoryFeed(ArticleFeed):
    def get_object(self, request, story_id: int):
        story = Story.objects.get(pk=story_id)
        # A story merged into another lives on in its heir (one hop: consolidation keeps it so).
        return Story.objects.get(pk=story.merged_into_id) if story.merged_into_id else story

    def title(self, story: Story) -> str:
        return f"{story.title} — Tidings"

    def description(self, story: Story) -> str:
        return f"Every article on this story, newest first ({story.publisher_count} publishers so far)."

    def link(self, story: Story) -> str:
        return story.get_absolute_url()

    def items(self, story: Story):
        return listed_articles().filter(story=story)[:FEED_ITEMS]


class SearchFeed(ArticleFeed):
    """A search as a feed: the same words and filters as the search page, newest match first."""

    def get_object(self, request):
        form = SearchForm(request.GET)
        if not form.is_valid():
            raise BadRequest(" ".join(e for errors in form.errors.values() for e in errors))
        if problem := parse_query(form.cleaned_data["q"]).problem:
            raise BadRequest(problem)
        return form

    def title(self, form: SearchForm) -> str:
        return f"Search “{form.cleaned_data['q']}” — Tidings"

    def description(self, form: SearchForm) -> str:
        return f"New articles matching “{form.cleaned_data['q']}”."

    def link(self, form: SearchForm) -> str:
        return f"{reverse('search')}?{urlencode({'q': form.cleaned_data['q'], **form.filters()})}"

    def items(self, form: SearchForm):
        return with_hashtags(form.results().order_by("-published_at", "-pk"))[:FEED_ITEMS]


class PrivateFeed(ArticleFeed):
    """A reader's own list, at an address whose key only they know (set and reset on their account page)."""

    def get_object(self, request, key: str):
        return FeedToken.objects.select_related("user").get(key=key).user

    def link(self, user) -> str:
        return reverse(self.page)


class ForYouFeed(PrivateFeed):
    page = "readers:for-you"

    def title(self, user) -> str:
        return f"For You — {user.username} — Tidings"

    def description(self, user) -> str:
        return "Articles picked for you from what you follow, save and read."

    def items(self, user):
        articles = [item.article for item in foryou.for_you(user, limit=FEED_ITEMS)]
        prefetch_related_objects(articles, _HASHTAGS)
        return articles


class SavedFeed(PrivateFeed):
    page = "readers:saved"

    def title(self, user) -> str:
        return f"Saved articles — {user.username} — Tidings"

    def description(self, user) -> str:
        return "The articles you saved on Tidings, most recently saved first."

    def items(self, user):
        saved = SavedArticle.objects.filter(user=user).select_related("article__publisher")[:FEED_ITEMS]
        articles = [row.article for row in saved]
        prefetch_related_objects(articles, _HASHTAGS)
        return articles


def serve(feed_class: type[ArticleFeed], *, private: bool = False):
    """A view answering one kind of feed in the format its address asks for."""

    @conditional_page
    def view(request, fmt: str, **kwargs):
        response = feed_class(fmt)(request, **kwargs)
        # Django dates the feed by its newest item, but an older article read late, a removed one or a changed
        # licence changes the feed too: readers revalidate with the ETag (a hash of the body) alone.
        del response["Last-Modified"]
        if private:
            # The address is a secret: no shared cache keeps the answer, no search engine lists it.
            response["Cache-Control"] = "private, no-store"
            response["X-Robots-Tag"] = "noindex"
            response["Referrer-Policy"] = "no-referrer"
        return response

    view.__name__ = f"{feed_class.__name__}_view"
    return view


@login_required
@require_POST
def reset_private_feeds(request):
    """A new private key: the reader's For You and saved feeds move to new addresses, the old ones stop working."""
    reader_actions.do_reset_feed_token(request.user)
    return redirect(f"{reverse('account')}#private-feeds")


def private_feed_links(user) -> dict[str, dict[str, str]]:
    """The reader's private feed addresses by list and format, for the account page (empty without a key)."""
    token = FeedToken.objects.filter(user=user).first()
    if token is None:
        return {}
    return {
        name: {fmt: reverse(url_name, kwargs={"key": token.key, "fmt": fmt}) for fmt in FEED_TYPES}
        for name, url_name in (("for_you", "feed-for-you"), ("saved", "feed-saved"))
    }
