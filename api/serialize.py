"""Model rows to API dicts, shared by the routers (every list selects what these read, so no query is added)."""

from articles.models import Article
from core.text import truncate_words

SNIPPET_CHARS = 220


def publisher_ref(publisher) -> dict:
    return {"slug": publisher.slug, "name": publisher.name}


def article_summary(article: Article) -> dict:
    """`article` with its publisher selected; `visible_comment_count` read when annotated."""
    return {
        "id": article.pk,
        "title": article.title,
        "url": article.url,
        "publisher": publisher_ref(article.publisher),
        "published_at": article.published_at,
        "language": article.language,
        "snippet": truncate_words(article.body_text, SNIPPET_CHARS),
        "image_url": article.image_url,
        "story_id": article.story_id,
        "comment_count": getattr(article, "visible_comment_count", None),
    }
