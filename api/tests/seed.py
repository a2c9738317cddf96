"""A small newsroom for the API tests and the schema fuzzing: publishers under both licences, articles (one a
folded copy), a story told by two publishers, a hashtag, a digest with spans, related links, comments, and a
reader with an app token."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts import actions as account_actions
from accounts.models import User
from ai.models import AIOutput
from articles.models import Article
from comments.models import Comment
from sources.models import Publisher
from stories.models import ArticleHashtag, Hashtag, RelatedArticle, Story

BODY = (
    "The harbour bridge reopened to traffic on Monday after a two-year repair that cost 140 million dollars. "
    "Engineers replaced all 212 steel cables and resurfaced the deck."
)
PASSWORD = "a long password 1"


@dataclass
class Newsroom:
    wire: Publisher
    times: Publisher
    first: Article
    second: Article
    copy: Article
    story: Story
    hashtag: Hashtag
    reader: User
    token: str
    comment: Comment


def make_publisher(name: str, *, full_text: bool) -> Publisher:
    policy = Publisher.DisplayPolicy.FULL_TEXT if full_text else Publisher.DisplayPolicy.EXCERPT
    licence = "CC BY-ND 4.0" if full_text else "All rights reserved (excerpt only)"
    return Publisher.objects.create(name=name, slug=name.lower().replace(" ", "-"), display_policy=policy,
                                    licence=licence, language="en")  # fmt: skip


def make_article(publisher, n: int, *, title: str = "", hours_ago: float = 1, language: str = "en") -> Article:
    return Article.objects.create(
        publisher=publisher, url=f"https://example.org/{n}", canonical_url=f"https://example.org/{n}",
        url_hash=f"hash-{n}", title=title or f"Bridge story {n}", body_text=BODY,
        body_html_safe=f"<p>{BODY}</p>", status=Article.Status.READY, language=language,
        published_at=timezone.now() - timedelta(hours=hours_ago),
    )  # fmt: skip


def seed() -> Newsroom:
    wire = make_publisher("Open Wire", full_text=True)
    times = make_publisher("Harbour Times", full_text=False)
    first = make_article(wire, 1, title="Harbour bridge reopens", hours_ago=5)
    second = make_article(times, 2, title="Bridge traffic returns", hours_ago=3)
    copy = make_article(times, 3, title="Harbour bridge reopens (copy)", hours_ago=4)
    now = timezone.now()
    story = Story.objects.create(
        title="Harbour bridge reopens", first_published_at=now - timedelta(hours=5),
        last_published_at=now - timedelta(hours=3), article_count=3, publisher_count=2,
    )  # fmt: skip
    Article.objects.filter(pk__in=[first.pk, second.pk, copy.pk]).update(story=story)
    Article.objects.filter(pk=copy.pk).update(duplicate_of=first)
    for n in range(4, 8):
        make_article(times, n, title=f"Other news {n}", hours_ago=10 + n, language="fr" if n == 7 else "en")
    hashtag = Hashtag.objects.create(slug="harbour-bridge", label="HarbourBridge")
    for article in (first, second):
        ArticleHashtag.objects.create(article=article, hashtag=hashtag, rank=0)
    RelatedArticle.objects.create(article=first, related=second, rank=0, score=1.5, reason="Same story")
    cables = BODY.index("Engineers")
    point = {"text": BODY[cables:], "spans": [[cables, len(BODY)]]}
    summary = {"text": BODY[: cables - 1], "spans": [[0, cables - 1]]}
    AIOutput.objects.create(article=first, kind=AIOutput.Kind.DIGEST, engine="extractive", model="m",
                            prompt_version="v", source_hash="h",
                            content={"summary": [summary], "key_points": [summary, point]})  # fmt: skip
    reader = User.objects.create_user("reader", "reader@example.org", PASSWORD)
    _row, token = account_actions.do_create_api_token(reader, "Phone")
    other = User.objects.create_user("other", "other@example.org", "a long password 2")
    comment = Comment.objects.create(article=first, author=other, body="Finally, a way across the water.")
    return Newsroom(wire, times, first, second, copy, story, hashtag, reader, token, comment)
