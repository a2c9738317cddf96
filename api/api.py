"""The whole JSON API route table (Django Ninja). OpenAPI at /api/docs."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Status

from ai import actions as ai_actions
from ai.models import AIOutput
from ai.providers import EXTRACTIVE
from articles.models import Article
from core.text import truncate_words
from stories.models import Hashtag, RelatedArticle
from web.views import reader_keys

from .schemas import AnswerOut, ArticleOut, ArticlePage, ErrorOut, QuestionIn

api = NinjaAPI(title="Tidings API", version="1")
PAGE_SIZE = 30


def _summary(article: Article) -> dict:
    return {
        "id": article.pk, "title": article.title, "url": article.url, "publisher": article.publisher.name,
        "published_at": article.published_at, "snippet": truncate_words(article.body_text, 220),
        "story_id": article.story_id,
    }  # fmt: skip


@api.get("/articles", response=ArticlePage)
def list_articles(request, page: int = 1, publisher: str = ""):
    articles = (
        Article.objects.visible().exclude(status=Article.Status.PENDING).select_related("publisher").latest_first()
    )
    if publisher:
        articles = articles.filter(publisher__slug=publisher)
    current = Paginator(articles, PAGE_SIZE).get_page(page)
    return {"count": current.paginator.count, "page": current.number, "results": [_summary(a) for a in current]}


@api.get("/articles/{article_id}", response=ArticleOut)
def get_article(request, article_id: int):
    article = get_object_or_404(Article.objects.visible().select_related("publisher"), pk=article_id)
    digest = AIOutput.objects.filter(article=article, kind=AIOutput.Kind.DIGEST, engine=EXTRACTIVE).first()
    content = digest.content if digest else {}
    related = RelatedArticle.objects.filter(article=article).select_related("related__publisher")
    full = article.publisher.shows_full_text
    return {
        **_summary(article),
        "byline": article.byline,
        "body_text": article.body_text if full else None,
        "excerpt": truncate_words(article.body_text, 500),
        "attribution": f"Originally published by {article.publisher.name}. Licence: {article.publisher.licence}.",
        "hashtags": [f"#{t.label}" for t in Hashtag.objects.filter(article_hashtags__article=article)],
        "key_points": content.get("key_points", []),
        "summary": content.get("summary", []),
        "also_published_by": [c.publisher.name for c in article.copies.select_related("publisher")],
        "related": [
            {
                "id": r.related_id,
                "title": r.related.title,
                "publisher": r.related.publisher.name,
                "published_at": r.related.published_at,
                "reason": r.reason,
            }
            for r in related
        ],
    }


@api.post("/articles/{article_id}/ask", response={200: AnswerOut, 400: ErrorOut, 429: ErrorOut})
def ask(request, response: HttpResponse, article_id: int, payload: QuestionIn):
    try:
        article, question = ai_actions.check_ask(article_id, payload.question, reader_keys=reader_keys(request))
    except ai_actions.AskRateLimited as exc:
        response["Retry-After"] = str(exc.retry_after)
        return Status(429, {"detail": str(exc)})
    except ai_actions.AskError as exc:
        return Status(400, {"detail": str(exc)})
    answer = ai_actions.do_ask(article, question)
    return Status(200, {**answer.content, "engine": answer.engine})
