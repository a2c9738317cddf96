"""Read-side helpers for AI outputs shown with an article: the digest, and the article text each item cites."""

from articles.models import Article

from .models import AIOutput
from .providers import EXTRACTIVE


def cited(items: list[dict], body: str) -> list[dict]:
    """AI items with the article text they cite (`quotes`), for "where does it say so"."""
    return [
        {**item, "quotes": [body[a:b] for a, b in item.get("spans", []) if 0 <= a < b <= len(body)]} for item in items
    ]


def beyond_summary(digest: dict) -> list[dict]:
    """The key points the summary does not already say (a short article's digest may repeat them)."""
    said = {tuple(map(tuple, item.get("spans", []))) for item in digest.get("summary", [])}
    return [item for item in digest.get("key_points", []) if tuple(map(tuple, item.get("spans", []))) not in said]


def digest_items(digest: AIOutput | None, article: Article) -> tuple[list[dict], list[dict]]:
    """(summary, key points beyond it), each item with its spans and quotes; empty before the digest exists."""
    if digest is None:
        return [], []
    body = article.body_text
    return cited(digest.content.get("summary", []), body), cited(beyond_summary(digest.content), body)


def extractive_digest(outputs) -> AIOutput | None:
    return next((o for o in outputs if o.engine == EXTRACTIVE and o.kind == AIOutput.Kind.DIGEST), None)
