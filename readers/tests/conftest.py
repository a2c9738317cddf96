"""Builders for readers' tests: publishers, hashtags, stories and articles with hand-made vectors."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.utils.text import slugify

from analysis.embeddings import DIMENSION, to_bytes
from articles.models import Article
from sources.models import Publisher
from stories.models import ArticleHashtag, ArticleVector, Hashtag, Story

NEWEST = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def unit(*weights: tuple[int, float]) -> np.ndarray:
    """A unit vector with the given (axis, weight) components."""
    vec = np.zeros(DIMENSION, dtype=np.float32)
    for axis, weight in weights:
        vec[axis] = weight
    return vec / np.linalg.norm(vec)


def make_publisher(name: str) -> Publisher:
    return Publisher.objects.create(name=name, slug=slugify(name))


def make_hashtag(label: str) -> Hashtag:
    return Hashtag.objects.create(slug=slugify(label), label=label)


def make_story(title: str = "Floods in Valencia") -> Story:
    return Story.objects.create(title=title, first_published_at=NEWEST, last_published_at=NEWEST)


_counter = iter(range(1, 10**6))


def make_article(publisher, title=None, *, hours_ago=1.0, hashtags=(), story=None, vector=None) -> Article:
    n = next(_counter)
    published_at = NEWEST - timedelta(hours=hours_ago)
    article = Article.objects.create(
        publisher=publisher, url=f"https://example.org/{publisher.slug}/{n}", canonical_url=f"https://example.org/{n}",
        url_hash=f"hash-{n}", title=title or f"Headline {n}", published_at=published_at,
        status=Article.Status.READY, story=story,
    )  # fmt: skip
    for rank, tag in enumerate(hashtags):
        ArticleHashtag.objects.create(article=article, hashtag=tag, rank=rank)
    if vector is not None:
        ArticleVector.objects.create(
            article=article, model="test", dimension=DIMENSION, vector=to_bytes(vector), published_at=published_at
        )
    return article


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user(username="ana", email="ana@example.org", password="pw-12345-long")


@pytest.fixture
def other_reader(django_user_model):
    return django_user_model.objects.create_user(username="ben", email="ben@example.org", password="pw-12345-long")
