"""Articles: the list (cursor pages, filters), one article as the page shows it, and questions about it."""

from django.shortcuts import get_object_or_404
from ninja import Field as NinjaField
from ninja import Query, Router, Schema

from ai import actions as ai_actions
from ai import queries as ai_queries
from ai.models import AIOutput
from articles import queries as article_queries
from articles.models import Article
from comments.queries import visible_count, with_comment_counts
from stories.models import Hashtag, RelatedArticle

from ..auth import client_address, reader
from ..pagination import page
from ..problems import ApiProblem
from ..schemas.articles import AnswerOut, ArticleOut, ArticlePage, QuestionIn
from ..schemas.common import EARLIEST, LATEST, MAX_ID, Moment, ObjectId
from ..serialize import article_summary, publisher_ref

router = Router(tags=["articles"])
PAGE_SIZE = 30
MAX_PAGE_SIZE = 100


def listed_articles():
    """What lists show (as on the site's pages), with their publisher and comment count."""
    return with_comment_counts(Article.objects.listed().select_related("publisher"))


class ArticleFilters(Schema):
    cursor: str | None = None
    limit: int = NinjaField(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    publisher: str | None = NinjaField(None, description="publisher slug")
    hashtag: str | None = NinjaField(None, description="hashtag slug")
    story: int | None = NinjaField(None, ge=1, le=MAX_ID, description="story id")
    since: Moment | None = NinjaField(None, description="published at or after (ISO 8601, with a time zone)")
    language: str | None = NinjaField(None, description="language code, e.g. en")


def article_page(articles, *, cursor: str | None, limit: int) -> dict:
    rows, next_cursor = page(articles, cursor=cursor, limit=limit)
    return {"results": [article_summary(a) for a in rows], "next_cursor": next_cursor}


@router.get("/articles", response=ArticlePage, summary="Articles, newest first")
def list_articles(request, filters: Query[ArticleFilters]):
    reader(request)
    articles = listed_articles()
    if filters.publisher:
        articles = articles.filter(publisher__slug=filters.publisher)
    if filters.hashtag:
        articles = articles.filter(article_hashtags__hashtag__slug=filters.hashtag)
    if filters.story is not None:
        articles = articles.filter(story_id=filters.story)
    if filters.since:
        if not EARLIEST <= filters.since.date() <= LATEST:
            raise ApiProblem(400, f"Give `since` between {EARLIEST.year} and {LATEST.year}.")
        articles = articles.filter(published_at__gte=filters.since)
    if filters.language:
        articles = articles.filter(language__iexact=filters.language)
    return article_page(articles, cursor=filters.cursor, limit=filters.limit)


def _cited_items(items: list[dict]) -> list[dict]:
    return [{"text": i.get("text", ""), "spans": i.get("spans", []), "quotes": i.get("quotes", [])} for i in items]


@router.get("/articles/{article_id}", response=ArticleOut, summary="One article, as its page shows it")
def get_article(request, article_id: ObjectId):
    reader(request)
    article = get_object_or_404(Article.objects.visible().select_related("publisher", "story"), pk=article_id)
    display = article_queries.presentation(article)
    digest = ai_queries.extractive_digest(
        AIOutput.objects.filter(article=article, kind=AIOutput.Kind.DIGEST, engine=ai_queries.EXTRACTIVE)
    )
    summary, key_points = ai_queries.digest_items(digest, article)
    related = RelatedArticle.objects.filter(article=article).select_related("related__publisher")
    copies = article.copies.select_related("publisher").order_by("published_at")
    hashtags = Hashtag.objects.filter(article_hashtags__article=article).order_by("article_hashtags__rank")
    return {
        **article_summary(article),
        "comment_count": visible_count(article.pk),
        "byline": article.byline,
        "full_text": display.full_text,
        "body_html": display.body_html_safe if display.full_text else None,
        "body_text": display.body_text if display.full_text else None,
        "excerpt": display.excerpt,
        "attribution": display.attribution,
        "story": {"id": article.story.pk, "title": article.story.title} if article.story else None,
        "hashtags": [{"slug": t.slug, "label": t.label} for t in hashtags],
        "summary": _cited_items(summary),
        "key_points": _cited_items(key_points),
        "related": [{"article": article_summary(r.related), "reason": r.reason} for r in related],
        "also_published_by": [
            {"publisher": publisher_ref(c.publisher), "url": c.url, "published_at": c.published_at} for c in copies
        ],
    }


def _reader_keys(request, user) -> list[str]:
    """Who is asking, for the question limits: the address, and the account when signed in."""
    keys = [f"ip:{client_address(request)}"]
    if user.is_authenticated:
        keys.append(f"user:{user.pk}")
    return keys


@router.post("/articles/{article_id}/ask", response=AnswerOut, summary="Ask a question the article answers")
def ask(request, article_id: ObjectId, payload: QuestionIn):
    user = reader(request)
    get_object_or_404(Article.objects.visible(), pk=article_id)
    try:
        article, question = ai_actions.check_ask(article_id, payload.question, reader_keys=_reader_keys(request, user))
    except ai_actions.AskError as exc:
        # Too many questions (ai.actions.AskRateLimited, which carries the wait): 429 with Retry-After.
        retry_after = getattr(exc, "retry_after", None)
        raise ApiProblem(400 if retry_after is None else 429, str(exc), retry_after=retry_after) from exc
    answer = ai_actions.do_ask(article, question)
    content = answer.content
    quotes = ai_queries.cited([content], article.body_text)[0]["quotes"]
    return {"answered": content["answered"], "text": content["text"], "spans": content["spans"],
            "quotes": quotes, "engine": answer.engine}  # fmt: skip
