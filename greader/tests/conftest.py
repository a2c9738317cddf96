"""A small Tidings for the Google Reader API's tests: one reader with an app password, three publishers in two
folders (two followed), articles of each licence, an old one (outside the unread window), a pending one and a
folded copy."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from core import clock
from greader import actions
from readers.models import Follow
from sources.models import Feed, Publisher

PASSWORD = "pw-account-12345-long"


@dataclass
class World:
    user: object
    secret: str
    publishers: dict[str, Publisher]
    articles: dict[str, Article] = field(default_factory=dict)

    def auth(self, client) -> str:
        """Sign in as a client does and return the Auth token."""
        response = client.post("/accounts/ClientLogin", {"Email": self.user.username, "Passwd": self.secret})
        assert response.status_code == 200
        return response.content.decode().split("Auth=")[1].strip()


_counter = iter(range(1, 10**6))


def make_publisher(name, slug, *, category, full_text=False, feed_url=None) -> Publisher:
    publisher = Publisher.objects.create(
        name=name, slug=slug, site_url=f"https://{slug}.example/",
        licence="CC BY 3.0" if full_text else "All rights reserved (excerpt only)",
        display_policy=Publisher.DisplayPolicy.FULL_TEXT if full_text else Publisher.DisplayPolicy.EXCERPT,
    )  # fmt: skip
    Feed.objects.create(
        publisher=publisher, url=feed_url or f"https://{slug}.example/feed.xml", category=category,
        next_check_at=timezone.now(),
    )  # fmt: skip
    return publisher


def make_article(publisher, title, *, hours_ago=1.0, status=Article.Status.READY, duplicate_of=None) -> Article:
    n = next(_counter)
    published_at = timezone.now() - timedelta(hours=hours_ago)
    article = Article.objects.create(
        publisher=publisher, url=f"https://{publisher.slug}.example/{n}", canonical_url=f"https://{publisher.slug}.example/{n}",
        url_hash=f"greader-{n}", title=title, published_at=published_at, status=status, duplicate_of=duplicate_of,
        body_text=f"{title}. The full text of the article, sentence after sentence.",
        body_html_safe=f"<p>{title}. The full text of the article, sentence after sentence.</p>",
    )  # fmt: skip
    Article.objects.filter(pk=article.pk).update(discovered_at=published_at + timedelta(minutes=5))
    article.refresh_from_db()
    return article


def build_world(django_user_model) -> World:
    user = django_user_model.objects.create_user(username="ana", email="ana@example.org", password=PASSWORD)
    _, secret = actions.do_create_app_password(user, "newsboat", now=clock.now())
    world = World(
        user=user,
        secret=secret,
        publishers={
            "gv": make_publisher("Global Voices", "global-voices", category="International", full_text=True),
            "dp": make_publisher("Daily Planet", "daily-planet", category="Europe"),
            "ut": make_publisher("Unfollowed Times", "unfollowed-times", category="Europe"),
        },
    )
    gv, dp, ut = world.publishers["gv"], world.publishers["dp"], world.publishers["ut"]
    Follow.objects.create(user=user, publisher=gv)
    Follow.objects.create(user=user, publisher=dp)
    a = world.articles
    a["gv1"] = make_article(gv, "Volunteers map the flood", hours_ago=1)
    a["gv2"] = make_article(gv, "Radio in three languages", hours_ago=2)
    a["gv3"] = make_article(gv, "A library by boat", hours_ago=3)
    a["dp1"] = make_article(dp, "Council votes on the bridge", hours_ago=4)
    a["dp2"] = make_article(dp, "Harbour strike ends", hours_ago=5)
    a["ut1"] = make_article(ut, "Not followed at all", hours_ago=1.5)
    a["old"] = make_article(gv, "Last month's news", hours_ago=24 * 40)
    a["pending"] = make_article(gv, "Still waiting for its page", hours_ago=0.5, status=Article.Status.PENDING)
    a["copy"] = make_article(ut, "Harbour strike ends (copy)", hours_ago=5, duplicate_of=a["dp2"])
    return world


@pytest.fixture
def world(django_user_model) -> World:
    return build_world(django_user_model)
