"""Server-rendered pages. Views compose querysets; the only writes are through ai.actions, which makes
AI outputs on demand and caches them (a question, a story briefing)."""

import hashlib
import itertools
import secrets
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import Substr
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template import RequestContext
from django.template.loader import get_template, render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from ai import actions as ai_actions
from ai import queries as ai_queries
from ai.models import AIOutput
from ai.providers import EXTRACTIVE
from articles.models import ACTIVITY_SAMPLE, Article
from comments import queries as comment_queries
from comments.queries import with_comment_counts
from core import pagecache
from readers.actions import record_read
from readers.queries import saved_and_following
from sources.models import Feed, Publisher
from stories.models import STORY_LEADS, STORY_TIMELINE_PAGE, Hashtag, RelatedArticle, Story

ARTICLES_PER_PAGE = 30
TOP_STORIES = 8
TOP_STORY_PUBLISHERS = 4  # named on each top story's card
TRENDING_TAGS = 12
# The home page's publisher filter offers the most active publishers (and the chosen one); the publishers
# page finds any other by name. The publishers page shows this many at a time.
FILTER_PUBLISHERS = 30
PUBLISHERS_PER_PAGE = 50
KEEP_FOR_OFFLINE_HEADER = "Tidings-Keep"  # sent by web/static/web/app/sw.js
# Lists show a headline and a snippet of body_text: the page's HTML is never read for them.
NOT_LISTED = ("body_html_safe", "feed_content_html_safe", "extraction_note")
# Aggregates over all articles (counts, top stories, trending tags, a publisher's extraction methods) scan
# hundreds of thousands of rows at a million articles: they are cached this long, so a count or a
# trending list may lag new articles by up to that much.
AGGREGATE_SECONDS = 60
# Snippets show this many characters of a body at most (the templates truncate to 180 or 220).
SNIPPET_CHARS = 240


def _article_list():
    articles = Article.objects.listed().select_related("publisher").defer(*NOT_LISTED)
    return with_comment_counts(articles).latest_first()


class CountCachedPaginator(Paginator):
    """A paginator whose total is cached for AGGREGATE_SECONDS (counting is a scan of every match)."""

    @property
    def count(self):
        if not hasattr(self, "_cached_count"):
            key = "count:v1:" + hashlib.sha256(str(self.object_list.query).encode()).hexdigest()
            self._cached_count = cache.get_or_set(key, lambda: self.object_list.count(), AGGREGATE_SECONDS)
        return self._cached_count


def _cached(key: str, compute):
    return cache.get_or_set(key, compute, AGGREGATE_SECONDS)


def _top_stories() -> list[Story]:
    """Top stories with only the coverage the home page shows (the lead and the first few publishers): a top
    story can hold hundreds of articles, and unpickling them all from the cache cost more than the page."""
    stories = list(Story.objects.top()[:TOP_STORIES])
    for story in stories:
        first_by_publisher = {}
        for article in story.coverage:
            first_by_publisher.setdefault(article.publisher_id, article)
        story.coverage = list(first_by_publisher.values())[:TOP_STORY_PUBLISHERS]
    return stories


def active_publishers() -> list[Publisher]:
    """The PUBLISHERS_PER_PAGE most active publishers of late (Article.objects.active_publishers), cached."""
    return _cached("publishers:active:v1", lambda: Article.objects.active_publishers(PUBLISHERS_PER_PAGE))


def filter_choices(chosen: Publisher | None) -> list[Publisher]:
    """A publisher filter's options: the most active, and the chosen one wherever it ranks."""
    choices = active_publishers()[:FILTER_PUBLISHERS]
    if chosen is not None and chosen.pk not in {p.pk for p in choices}:
        choices = [*choices, chosen]
    return choices


def home(request):
    articles = _article_list()
    publisher = None
    if slug := request.GET.get("publisher"):
        publisher = get_object_or_404(Publisher, slug=slug)
        articles = articles.by_publisher(publisher)
    page = CountCachedPaginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    first_page = page.number == 1 and publisher is None
    return render(
        request,
        "web/home.html",
        {
            "page": page,
            "publisher": publisher,
            # The most active publishers (a list of every one grows with the data); the publishers page
            # finds the others by name.
            "publishers": filter_choices(publisher),
            "top_stories": _cached("home:top-stories:v2", _top_stories) if first_page else [],
            "trending": _cached("home:trending:v1", lambda: list(Hashtag.objects.trending()[:TRENDING_TAGS]))
            if first_page
            else [],
        },
    )


def article_detail(request, article_id: int, *, answer=None, ask_error: str = "", question: str = ""):
    article = get_object_or_404(
        Article.objects.select_related("publisher", "story").defer("feed_content_html_safe", "extraction_note"),
        pk=article_id,
    )
    if article.duplicate_of_id:
        # A folded copy has no page of its own: its original credits it ("Also published by").
        return redirect(article.duplicate_of)
    if KEEP_FOR_OFFLINE_HEADER not in request.headers:  # the app's service worker keeping a saved article is no read
        record_read(request.user, article)
    llm = ai_actions.generative_settings()
    generative_model = llm.model if llm.configured else ""
    plain_visit = answer is None and not ask_error and not question and not request.GET
    if not plain_visit:
        extra = {"answer": answer, "ask_error": ask_error, "question": question}
        return _render_article(request, article, generative_model, **extra)
    fingerprint = _rows_fingerprint(article, article.publisher, article.story, generative_model)
    # One token for the whole page: each get_token() masks the secret anew, a cost per form otherwise.
    csrf_token = get_token(request)
    if request.user.is_authenticated:
        page = _shared_page(request, article, generative_model, fingerprint)
        page = page.fill_signed_in(request, article, csrf_token)
    else:
        page = _anonymous_page(request, article, generative_model, fingerprint)
        page = page.fill(request, article, ["messages"])
    return HttpResponse(page.html.replace(page.csrf_placeholder, csrf_token))


# An article page is rendered once for every reader (core.pagecache) and each reader's own parts are put in
# per request: a placeholder stands for their CSRF token, and a marker for each slot below, filled by its
# template (for a signed-in reader, account and actions come from SharedRender.signed_in_parts instead).
READER_SLOTS = {
    "account": "accounts/_nav.html",
    "messages": "web/_messages.html",
    "actions": "readers/_article_actions.html",
    "comments": "comments/_section.html",
}
ACTION_BUTTONS = "readers/_article_action_buttons.html"  # the actions slot's buttons, given their state


@dataclass(frozen=True)
class SharedRender:
    """A page rendered for every reader. Its placeholder and markers carry a random nonce drawn at render
    time, so no text from a publisher can spell them (a body that named the placeholder in an image address
    would otherwise send each reader's CSRF token to that address). `without_comments`: the article had no
    comment in any state when it was rendered, so no reader's comment section needs a query."""

    html: str
    nonce: str
    without_comments: bool = False
    # What a signed-in reader's account navigation and follow/save buttons look like on this page, rendered
    # with it: the navigation with a placeholder for the reader's name, the buttons in each of their four
    # states, keyed ("actions", saved, follows_publisher). Per request they cost a lookup and a replacement
    # instead of two templates (0.65 ms of the 3.5 a signed-in page took at a million articles).
    signed_in_parts: dict = field(default_factory=dict)

    @property
    def csrf_placeholder(self) -> str:
        return f"tidingscsrf{self.nonce}"

    @property
    def name_placeholder(self) -> str:
        return f"tidingsname{self.nonce}"

    def marker(self, slot: str) -> str:
        return mark_safe(f"<!--tidings-slot-{self.nonce}:{slot}-->")

    def fill(self, request, article, slots, **context) -> "SharedRender":
        """The page with each of `slots` rendered in place of its marker. The slots share one context, so
        the context processors run once a page rather than once a slot; each slot renders in a layer of its
        own, so a variable one sets never reaches the next."""
        templates = [(name, get_template(READER_SLOTS[name]).template) for name in slots]
        shared = RequestContext(request, {"article": article, **context})
        html = self.html
        with shared.bind_template(templates[0][1]):
            for name, template in templates:
                with shared.push():
                    html = html.replace(self.marker(name), template.render(shared))
        return replace(self, html=html)

    def fill_signed_in(self, request, article, csrf_token: str) -> "SharedRender":
        """The page as the signed-in reader of `request` sees it (but for the CSRF placeholder)."""
        saved, follows = saved_and_following(request.user.pk, article.pk, article.publisher_id)
        account = self.signed_in_parts["account"].replace(self.name_placeholder, escape(request.user.username))
        html = self.html.replace(self.marker("account"), account)
        html = html.replace(self.marker("actions"), self.signed_in_parts["actions", saved, follows])
        return replace(self, html=html).fill(request, article, ["messages", "comments"], csrf_token=csrf_token,
                                             comments_known_empty=self.without_comments)  # fmt: skip


def _cached_render(article, key: str, fingerprint: str, render) -> SharedRender:
    """The render cached under `key` if it is current (core.pagecache) and was drawn from the same rows
    (`fingerprint`), else a new one."""
    return pagecache.fetch(article.pk, key, render, seconds=pagecache.ARTICLE_PAGE_SECONDS, fingerprint=fingerprint)


def _shared_page(request, article, generative_model: str, fingerprint: str) -> SharedRender:
    """The page with every reader's own part left as a slot. The fingerprint of the rows it was drawn from
    makes an edit to the article, its publisher (name, licence) or its story show at once."""

    def render() -> SharedRender:
        blank = SharedRender("", secrets.token_hex(12))
        slots = {name: blank.marker(name) for name in READER_SLOTS}
        response = _render_article(request, article, generative_model, csrf_token=blank.csrf_placeholder,
                                   reader_slots=slots)  # fmt: skip
        without_comments = not comment_queries.has_comments(article.pk)
        return SharedRender(response.content.decode(), blank.nonce, without_comments,
                            _signed_in_parts(request, article, blank))  # fmt: skip

    return _cached_render(article, pagecache.article_shared_key(article.pk), fingerprint, render)


def _signed_in_parts(request, article, blank: SharedRender) -> dict:
    """SharedRender.signed_in_parts, from the same templates as the slots they fill (READER_SLOTS)."""
    reader = SimpleNamespace(is_authenticated=True, username=blank.name_placeholder)
    context = {"article": article, "csrf_token": blank.csrf_placeholder}
    parts = {"account": render_to_string(READER_SLOTS["account"], {**context, "user": reader}, request)}
    for saved, follows in itertools.product((False, True), repeat=2):
        state = {"signed_in": True, "saved": saved, "follows_publisher": follows}
        parts["actions", saved, follows] = render_to_string(ACTION_BUTTONS, {**context, "state": state}, request)
    return parts


def _anonymous_page(request, article, generative_model: str, fingerprint: str) -> SharedRender:
    """The page as every anonymous reader sees it (comments included), only the messages left as a slot."""

    def render() -> SharedRender:
        page = _shared_page(request, article, generative_model, fingerprint)
        slots = [name for name in READER_SLOTS if name != "messages"]
        page = page.fill(request, article, slots, csrf_token=page.csrf_placeholder,
                         comments_known_empty=page.without_comments)  # fmt: skip
        return replace(page, signed_in_parts={})  # no reader of this page is signed in

    return _cached_render(article, pagecache.article_page_key(article.pk), fingerprint, render)


def _rows_fingerprint(*rows) -> str:
    """A digest of every loaded column of the given model rows (None and plain values stand as themselves)."""
    digest = hashlib.blake2b(digest_size=16)
    for row in rows:
        if hasattr(row, "_meta"):
            row = [(field.attname, row.__dict__.get(field.attname)) for field in row._meta.concrete_fields]
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _render_article(request, article, generative_model: str, *, answer=None, ask_error="", question="", **extra):
    parts = _article_parts(article)
    context = {
        "article": article,
        **parts,
        "answer": answer,
        "answer_quotes": ai_queries.cited([answer.content], article.body_text)[0]["quotes"] if answer else [],
        "ask_error": ask_error,
        "question": question,
        "generative_model": generative_model,
        **extra,
    }
    return render(request, "web/article.html", context, status=400 if ask_error else 200)


def _article_parts(article) -> dict:
    """The copies, hashtags, related list and rendered AI outputs (summary, key points, explainer) of an
    article's page: cached until stories.actions or ai.actions rewrites them (core.pagecache), so a page costs
    one cache read instead of four queries and the rendering of a dozen cited sentences."""

    def compute() -> dict:
        # Only what the page shows of them (a snippet, a link): the cache holds no bodies.
        related = (
            RelatedArticle.objects.filter(article=article)
            .select_related("related__publisher")
            .defer(*(f"related__{name}" for name in (*NOT_LISTED, "body_text", "summary_html_safe")))
            .annotate(snippet=Substr("related__body_text", 1, SNIPPET_CHARS))
        )
        copies = article.copies.select_related("publisher").defer(*NOT_LISTED, "body_text", "summary_html_safe")
        return {
            "copies": list(copies.order_by("published_at")),
            "hashtags": list(
                Hashtag.objects.filter(article_hashtags__article=article).order_by("article_hashtags__rank")
            ),
            "related": list(related),
            "ai_html": _ai_html(article),
        }

    key = pagecache.article_parts_key(article.pk)
    return pagecache.fetch(article.pk, key, compute, seconds=pagecache.ARTICLE_PARTS_SECONDS)


def _ai_html(article) -> str:
    """The summary, key points and generated texts of the page, rendered (the same for every reader)."""
    outputs = list(AIOutput.objects.filter(article=article, kind__in=[AIOutput.Kind.DIGEST, AIOutput.Kind.EXPLAINER]))
    digest = ai_queries.extractive_digest(outputs)
    summary, key_points = ai_queries.digest_items(digest, article)
    generated = [
        {"output": o, "items": ai_queries.cited(o.content.get("summary", []), article.body_text)}
        for o in outputs
        if o.engine != EXTRACTIVE
    ]
    context = {"digest": digest, "summary": summary, "key_points": key_points, "generated": generated}
    return render_to_string("web/_article_ai.html", context)


def reader_keys(request) -> list[str]:
    """Who is asking, for rate limits: the address, and the account when signed in (each has a limit)."""
    keys = [f"ip:{request.META.get('REMOTE_ADDR', '')}"]
    if request.user.is_authenticated:
        keys.append(f"user:{request.user.pk}")
    return keys


@require_POST
def article_generate(request, article_id: int):
    """An abstractive summary or explainer by the configured model, every sentence verified."""
    kind = request.POST.get("kind", AIOutput.Kind.DIGEST)
    if kind not in (AIOutput.Kind.DIGEST, AIOutput.Kind.EXPLAINER):
        return article_detail(request, article_id, ask_error="Choose a summary or an explanation.")
    article = get_object_or_404(Article.objects.visible(), pk=article_id)
    try:
        output = ai_actions.generative_digest(article, kind)
    except ai_actions.providers.ProviderError as exc:
        return article_detail(request, article_id, ask_error=str(exc))
    if output is None:
        message = "The generative model is not available now (not configured, or today's budget is spent)."
        return article_detail(request, article_id, ask_error=message)
    return redirect(f"{article.get_absolute_url()}#ai")


@require_POST
def article_ask(request, article_id: int):
    question = request.POST.get("question", "")
    try:
        article, question = ai_actions.check_ask(article_id, question, reader_keys=reader_keys(request))
    except ai_actions.AskError as exc:
        get_object_or_404(Article, pk=article_id)
        page = article_detail(request, article_id, ask_error=str(exc), question=question[:300])
        if isinstance(exc, ai_actions.AskRateLimited):
            page.status_code = 429
            page["Retry-After"] = str(exc.retry_after)
        return page
    answer = ai_actions.do_ask(article, question)
    return article_detail(request, article_id, answer=answer, question=question)


def story_detail(request, story_id: int):
    """Page 1: each publisher's first report (STORY_LEADS at most), the briefing and the timeline's first page;
    ?page=N: "more coverage", the timeline's Nth page. Bounded whatever the story's size."""
    story = get_object_or_404(Story, pk=story_id)
    if story.merged_into_id:  # its coverage was found to be part of another story
        return redirect("story", story.merged_into_id)
    timeline = (
        story.timeline()
        .select_related("publisher", "duplicate_of__publisher")
        .defer(*NOT_LISTED, *(f"duplicate_of__{name}" for name in (*NOT_LISTED, "body_text")))
    )
    page = Paginator(timeline, STORY_TIMELINE_PAGE).get_page(request.GET.get("page"))
    context = {"story": story, "page": page, "timeline": page.object_list}
    if page.number == 1:
        leads = list(story.leads().select_related("publisher").defer(*NOT_LISTED)[: STORY_LEADS + 1])
        briefing = ai_actions.story_briefing(story)
        context.update(
            first=page.object_list[0] if page.object_list else None,
            leads=leads[:STORY_LEADS],
            more_publishers=len(leads) > STORY_LEADS,
            briefing=briefing.content if briefing else None,
        )
    return render(request, "web/story.html", context)


def hashtag_detail(request, slug: str):
    hashtag = get_object_or_404(Hashtag, slug=slug)
    articles = _article_list().filter(article_hashtags__hashtag=hashtag)
    page = CountCachedPaginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/hashtag.html", {"hashtag": hashtag, "page": page})


def publisher_list(request):
    """The most active publishers of late; any publisher by name (?q=), or all of them A–Z (?q= empty and
    ?sort=name), PUBLISHERS_PER_PAGE at a time."""
    query = request.GET.get("q", "").strip()[:100]
    by_name = bool(query) or request.GET.get("sort") == "name"
    page = None
    if by_name:
        publishers = Publisher.objects.order_by("name", "pk")
        if query:
            publishers = publishers.filter(name__icontains=query)
        page = Paginator(publishers, PUBLISHERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "query": query,
        "by_name": by_name,
        "page": page,
        "publishers": page.object_list if page else active_publishers(),
        "sample": ACTIVITY_SAMPLE,
    }
    return render(request, "web/publishers.html", context)


def publisher_detail(request, slug: str):
    publisher = get_object_or_404(Publisher, slug=slug)
    methods = _cached(
        f"publisher:{publisher.pk}:methods:v1",
        lambda: list(
            Article.objects.filter(publisher=publisher)
            .exclude(extraction_method="")
            .values("extraction_method")
            .annotate(n=Count("pk"))
            .order_by("-n")
        ),
    )
    latest_note = _cached(
        f"publisher:{publisher.pk}:latest-note:v1",
        lambda: (
            Article.objects.filter(publisher=publisher)
            .exclude(extraction_note="")
            .order_by("-extracted_at")
            .values_list("extraction_note", flat=True)
            .first()
            or ""
        ),
    )
    articles = _article_list().by_publisher(publisher)
    page = CountCachedPaginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"publisher": publisher, "page": page, "methods": methods, "latest_note": latest_note}
    return render(request, "web/publisher.html", context)


def sources_health(request):
    feeds = Feed.objects.select_related("publisher").order_by("health", "publisher__name", "url")
    counts = {row["health"]: row["n"] for row in Feed.objects.values("health").annotate(n=Count("pk"))}
    return render(
        request,
        "web/sources.html",
        {"feeds": feeds, "counts": counts, "health_choices": Feed.Health.choices},
    )
