from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from articles.models import Article
from sources.models import Publisher

JSON = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_article(n=1, name="Harbour Times"):
    publisher, _ = Publisher.objects.get_or_create(name=name, slug=slugify(name), defaults={"licence": "CC BY 4.0"})
    return Article.objects.create(
        publisher=publisher,
        url=f"https://example.org/{n}",
        canonical_url=f"https://example.org/{n}",
        url_hash=f"hash-{n}",
        title=f"Bridge reopens after repairs {n}",
        body_text="Body. " * 20,
        published_at=timezone.now() - timedelta(hours=3),
        status=Article.Status.READY,
    )


@pytest.fixture
def article(db):
    return make_article()


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", "alice@example.org", "a long password 1")


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", "bob@example.org", "a long password 2")


@pytest.fixture
def moderator(db):
    return User.objects.create_user("mona", "mona@example.org", "a long password 3", role=User.Role.MODERATOR)
