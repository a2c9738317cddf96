"""The only writer of AI outputs (check_/do_ split for what readers ask).

precompute_digests(articles)   at ingest: key points and summary by the built-in engine, stored
generative_digest(article)     on demand, when a generative model is configured: verified sentences only
check_ask / do_ask             "Ask about this article": validated, rate-limited, grounded
story_briefing(story)          the story page's briefing, cached until the story's text changes
"""

import dataclasses
import hashlib
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import F

from analysis import briefing, embeddings, grounding, keypoints, qa
from analysis.sentences import split_sentences
from articles.models import Article
from core import clock, pagecache, ratelimit

from . import providers
from .models import AIOutput, TokenUsage

# Key points are chosen with the model's word-piece vectors (cheap enough for ingest); answers and
# verification use the whole model.
DIGEST_MODEL = f"{embeddings.MODEL_NAME} word-piece vectors"
EXTRACTIVE_MODEL = embeddings.MODEL_NAME
QUESTION_MAX_CHARS = 300
# On-demand questions cost CPU (and tokens with a generative model): per reader, a few a minute.
ASK_LIMITS = ((60, 6), (86_400, 100))  # (window seconds, questions allowed)


class AskError(ValueError):
    """The question cannot be answered; the message is for the reader."""


class AskRateLimited(AskError):
    """The reader asked too many questions; ``retry_after`` is the wait in whole seconds (HTTP Retry-After)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _encoder():
    return embeddings.get_encoder(settings.MODELS_DIR, threads=settings.ENCODER_THREADS)


def source_hash(*texts: str) -> str:
    return hashlib.sha256("\x1f".join(texts).encode()).hexdigest()


def _body(article: Article) -> str:
    return article.body_text


# ---------------------------------------------------------------- digests


def precompute_digests(articles: Sequence[Article], *, encoder=None) -> int:
    """Key points and summary for each article with a body, unless one exists for the same text and prompt."""
    todo = [a for a in articles if _body(a)]
    if not todo:
        return 0
    existing = {
        (o.article_id): (o.source_hash, o.prompt_version)
        for o in AIOutput.objects.filter(article__in=todo, kind=AIOutput.Kind.DIGEST, engine=providers.EXTRACTIVE).only(
            "article_id", "source_hash", "prompt_version"
        )
    }
    todo = [a for a in todo if existing.get(a.pk) != (source_hash(a.title, _body(a)), providers.PROMPT_VERSION)]
    if not todo:
        return 0
    started = time.monotonic()
    digests = keypoints.digest_many([(a.title, _body(a)) for a in todo], encoder=encoder or keypoints.ingest_encoder())
    per_article_ms = int((time.monotonic() - started) * 1000 / len(todo))
    with transaction.atomic():
        AIOutput.objects.filter(article__in=todo, kind=AIOutput.Kind.DIGEST, engine=providers.EXTRACTIVE).delete()
        AIOutput.objects.bulk_create(
            [
                AIOutput(
                    article=a, kind=AIOutput.Kind.DIGEST, engine=providers.EXTRACTIVE, model=DIGEST_MODEL,
                    prompt_version=providers.PROMPT_VERSION, source_hash=source_hash(a.title, _body(a)),
                    content=d.to_json(), duration_ms=per_article_ms,
                )
                for a, d in zip(todo, digests, strict=True)
            ]
        )  # fmt: skip
        pagecache.forget_articles(a.pk for a in todo)  # the article pages show the digests
    return len(todo)


def precompute_digests_for(article_ids: Sequence[int]) -> int:
    return precompute_digests(list(Article.objects.filter(pk__in=article_ids).exclude(body_text="")))


def generative_settings() -> providers.GenerativeSettings:
    return providers.GenerativeSettings(
        url=settings.LLM_URL, model=settings.LLM_MODEL, api_key=settings.LLM_API_KEY, timeout=settings.LLM_TIMEOUT
    )


def budget_left() -> int:
    used = TokenUsage.objects.filter(day=clock.now().date()).values_list("tokens", flat=True).first() or 0
    return settings.LLM_DAILY_TOKENS - used


def _spend(tokens: int) -> None:
    day = clock.now().date()
    TokenUsage.objects.get_or_create(day=day)
    TokenUsage.objects.filter(day=day).update(tokens=F("tokens") + tokens)


@dataclasses.dataclass(frozen=True)
class Verified:
    items: list[dict]  # {"text", "spans"} of the sentences the verifier accepted
    dropped: list[dict]  # {"text", "reason"} of those it refused


def verify_generated(text: str, body: str, *, encoder=None) -> Verified:
    """Keep only the generated sentences that the article supports; say why each other one was dropped."""
    encoder = encoder or _encoder()
    source = split_sentences(body)
    vectors = encoder.encode([s.text for s in source]) if source else None
    kept, dropped = [], []
    for claim in (s.text for s in split_sentences(text.strip())):
        verdict = grounding.verify(claim, body, source, encoder=encoder, sentence_vectors=vectors)
        if verdict.supported:
            kept.append({"text": claim, "spans": [list(span) for span in verdict.spans]})
        else:
            dropped.append({"text": claim, "reason": verdict.reason})
    return Verified(kept, dropped)


def generative_digest(article: Article, kind: str = AIOutput.Kind.DIGEST) -> AIOutput | None:
    """An abstractive summary (or explainer) by the configured model, verified; None when unavailable."""
    config = generative_settings()
    body = _body(article)
    if not config.configured or not body or budget_left() <= 0:
        return None
    current = source_hash(article.title, body)
    stored = AIOutput.objects.filter(article=article, kind=kind, engine=providers.GENERATIVE).first()
    if stored and (stored.source_hash, stored.prompt_version) == (current, providers.PROMPT_VERSION):
        return stored
    prompt = providers.SUMMARY_PROMPT if kind == AIOutput.Kind.DIGEST else providers.EXPLAINER_PROMPT
    completion = providers.OpenAICompatibleProvider(config).complete(prompt, f"{article.title}\n\n{body}")
    _spend(completion.prompt_tokens + completion.completion_tokens)
    verified = verify_generated(completion.text, body)
    fields = {
        "model": config.model, "prompt_version": providers.PROMPT_VERSION, "source_hash": current,
        "content": {"summary": verified.items, "dropped": verified.dropped},
        "sentences_dropped": len(verified.dropped), "duration_ms": int(completion.seconds * 1000),
        "prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens,
    }  # fmt: skip
    output, _ = AIOutput.objects.update_or_create(
        article=article, kind=kind, engine=providers.GENERATIVE, defaults=fields
    )
    pagecache.forget_articles([article.pk])
    return output


# ---------------------------------------------------------------- questions


def check_ask(article_id: int, question: str, *, reader_keys: list[str]) -> tuple[Article, str]:
    """Validate a question and the reader's allowance; raises AskError with a message for the reader."""
    question = " ".join((question or "").split())
    if not question:
        raise AskError("Type a question about the article.")
    if len(question) > QUESTION_MAX_CHARS:
        raise AskError(f"Questions can be at most {QUESTION_MAX_CHARS} characters long.")
    article = Article.objects.visible().filter(pk=article_id).first()
    if article is None:
        raise AskError("This article does not exist.")
    if not _body(article):
        raise AskError("Tidings could not read this article's text, so it cannot answer questions about it.")
    now = time.time()
    for key in reader_keys:  # per address, and per account when signed in
        if ratelimit.hit(f"ask:{key}", ASK_LIMITS, now=now) is not None:
            wait = max(1, ratelimit.wait_seconds(f"ask:{key}", ASK_LIMITS, now=now))
            raise AskRateLimited(
                "You have asked many questions in a short time. Please wait a little and try again.", wait
            )
    return article, question


def do_ask(article: Article, question: str) -> AIOutput:
    """Answer from the article only: quoted sentences with their spans, or "The article doesn't say."."""
    body = _body(article)
    encoder = _encoder()
    sentences = split_sentences(body)
    vectors = encoder.encode([s.text for s in sentences]) if sentences else None
    started = time.monotonic()
    result = qa.answer(question, article.title, body, encoder=encoder, sentences=sentences, sentence_vectors=vectors)
    content = {"answered": result.answered, "text": result.text, "spans": [list(s) for s in result.spans]}
    engine, model, tokens, dropped = providers.EXTRACTIVE, EXTRACTIVE_MODEL, (0, 0), 0
    config = generative_settings()
    if result.answered and config.configured and budget_left() > 0:
        try:
            completion = providers.OpenAICompatibleProvider(config).complete(
                providers.ANSWER_PROMPT, f"{article.title}\n\n{body}", question=question
            )
        except providers.ProviderError:
            completion = None  # the built-in answer stands; the page says which engine wrote it
        if completion is not None:
            _spend(completion.prompt_tokens + completion.completion_tokens)
            verified = verify_generated(completion.text, body, encoder=encoder)
            tokens, dropped = (completion.prompt_tokens, completion.completion_tokens), len(verified.dropped)
            if verified.items:
                engine, model = providers.GENERATIVE, config.model
                content = {
                    "answered": True,
                    "text": " ".join(i["text"] for i in verified.items),
                    "items": verified.items,
                    "spans": [span for i in verified.items for span in i["spans"]],
                }
    return AIOutput.objects.create(
        article=article, kind=AIOutput.Kind.ANSWER, engine=engine, model=model,
        prompt_version=providers.PROMPT_VERSION, source_hash=source_hash(article.title, body), question=question,
        content=content, sentences_dropped=dropped, duration_ms=int((time.monotonic() - started) * 1000),
        prompt_tokens=tokens[0], completion_tokens=tokens[1],
    )  # fmt: skip


# ---------------------------------------------------------------- stories


def story_briefing(story) -> AIOutput | None:
    """What happened, across outlets: cached until the story's articles change."""
    articles = list(
        Article.objects.filter(story=story, duplicate_of__isnull=True)
        .exclude(body_text="")
        .select_related("publisher")
        .order_by("published_at")[:30]
    )
    if len(articles) < 2:
        return None
    current = source_hash(*(f"{a.pk}:{source_hash(a.body_text)}" for a in articles))
    stored = AIOutput.objects.filter(story=story, kind=AIOutput.Kind.BRIEFING).order_by("-created_at").first()
    if stored and (stored.source_hash, stored.prompt_version) == (current, providers.PROMPT_VERSION):
        return stored
    started = time.monotonic()
    result = briefing.brief(
        [briefing.Source(a.pk, a.publisher.name, a.title, a.body_text) for a in articles], encoder=_encoder()
    )
    content = {
        "points": [dataclasses.asdict(p) for p in result.points],
        "differences": [dataclasses.asdict(d) for d in result.differences],
    }
    AIOutput.objects.filter(story=story, kind=AIOutput.Kind.BRIEFING).delete()
    return AIOutput.objects.create(
        story=story, kind=AIOutput.Kind.BRIEFING, engine=providers.EXTRACTIVE, model=EXTRACTIVE_MODEL,
        prompt_version=providers.PROMPT_VERSION, source_hash=current, content=content,
        duration_ms=int((time.monotonic() - started) * 1000),
    )  # fmt: skip


def forget_digests(article_ids: Sequence[int]) -> None:
    """Key points and summaries are computed again (tidings reprocess --from ai)."""
    AIOutput.objects.filter(article_id__in=article_ids, kind=AIOutput.Kind.DIGEST).delete()
