"""Every page issues the same number of queries whatever the amount of data: measured on a small world, then
again after it grew (more articles in the story, on the publisher and the hashtag, more copies, related rows,
comments and follows), anonymous and signed in, with the cache cold and then warm."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from comments.models import Comment
from readers.models import Follow, ReadingHistory
from sources.models import Publisher
from stories.models import ArticleHashtag, Hashtag, RelatedArticle, Story

pytestmark = pytest.mark.django_db

_serial = iter(range(1, 10**6))


def _article(publisher, story, *, title="Harbour bridge cables replaced", duplicate_of=None, hours_ago=1.0):
    n = next(_serial)
    return Article.objects.create(
        publisher=publisher, url=f"https://example.org/{n}", canonical_url=f"https://example.org/{n}",
        url_hash=f"hash-{n}", title=f"{title} {n}", body_text="The harbour bridge cables were replaced. " * 8,
        body_html_safe="<p>The harbour bridge cables were replaced.</p>", status=Article.Status.READY,
        published_at=timezone.now() - timedelta(hours=hours_ago), story=story, duplicate_of=duplicate_of,
    )  # fmt: skip


class World:
    """One story, publisher and hashtag that the measured pages show, and a way to make everything bigger."""

    def __init__(self, reader):
        self.reader = reader
        self.publisher = Publisher.objects.create(name="Harbour Times", slug="harbour-times")
        self.hashtag = Hashtag.objects.create(slug="harbour", label="Harbour")
        now = timezone.now()
        self.story = Story.objects.create(title="Harbour bridge", first_published_at=now, last_published_at=now)
        self.article = _article(self.publisher, self.story, hours_ago=0.5)
        ArticleHashtag.objects.create(article=self.article, hashtag=self.hashtag, rank=0)
        Follow.objects.create(user=reader, hashtag=self.hashtag)
        # Read before: opening it again updates the history row (a first read inserts one, a query more).
        ReadingHistory.objects.create(user=reader, article=self.article, read_at=timezone.now())
        self.size = 0

    def grow(self, n: int) -> None:
        """n more publishers (followed), each with two articles in the story (one a copy of the measured
        article), on the hashtag, related to the measured article and commented on."""
        for _ in range(n):
            k = next(_serial)
            publisher = Publisher.objects.create(name=f"Publisher {k}", slug=f"publisher-{k}")
            Follow.objects.create(user=self.reader, publisher=publisher)
            other = _article(publisher, self.story, hours_ago=1 + k / 100)
            copy = _article(publisher, self.story, duplicate_of=self.article)
            mine = _article(self.publisher, self.story, hours_ago=2 + k / 100)
            for article in (other, mine):
                ArticleHashtag.objects.create(article=article, hashtag=self.hashtag, rank=0)
                Comment.objects.create(article=article, body="Seen from the ferry.", author=self.reader)
            Comment.objects.create(article=self.article, body="Seen from the ferry.", author=self.reader)
            ReadingHistory.objects.create(user=self.reader, article=copy, read_at=timezone.now())
            rank = RelatedArticle.objects.filter(article=self.article).count()
            if rank < 6:
                RelatedArticle.objects.create(article=self.article, related=other, rank=rank, score=0.9,
                                              reason="Same story")  # fmt: skip
            self.size += 1
        Story.objects.filter(pk=self.story.pk).update(
            article_count=Article.objects.filter(story=self.story).count(), publisher_count=self.size + 1
        )

    def pages(self) -> dict[str, str]:
        return {
            "home": reverse("home"),
            "article": self.article.get_absolute_url(),
            "story": self.story.get_absolute_url(),
            "hashtag": self.hashtag.get_absolute_url(),
            "publisher": self.publisher.get_absolute_url(),
            "publishers": reverse("publishers"),
            "search": reverse("search") + "?q=harbour+bridge",
            "for you": reverse("readers:for-you"),
        }


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


# page → (anonymous cold, anonymous warm, signed in cold, signed in warm); For You needs a reader.
EXPECTED = {
    "home": (7, 1, 9, 2),  # cold: the most active publishers are counted, then read (two queries)
    # warm: anonymous readers get the cached page (one query for the article's fingerprint); signed in, the
    # parts are cached, a read is one upsert and the saved / followed state one query. Cold, the shared render
    # asks whether the article has any comment (when it has none, no reader's page reads comments).
    "article": (7, 1, 12, 6),
    "story": (8, 6, 9, 8),  # + the timeline page's count and the first reports (a story is paged)
    "hashtag": (3, 2, 7, 5),
    "publisher": (5, 2, 9, 5),
    "publishers": (2, 0, 4, 1),  # cold: the most active publishers, counted then read
    "search": (4, 1, 6, 2),  # cold: ranked ids, the page, the filter's most active publishers; warm: the page
    "for you": (None, None, 9, 2),  # warm: the picks are cached per reader
}


@pytest.mark.parametrize("page", list(EXPECTED))
def test_query_count_does_not_grow_with_the_data(page, client, django_user_model):
    reader = django_user_model.objects.create_user(username="ana", email="ana@example.org", password="pw-12345")
    world = World(reader)
    measured = {}
    for size in (2, 30):
        world.grow(size - world.size)
        url = world.pages()[page]
        counts = []
        for signed_in in (False, True):
            if signed_in:
                client.force_login(reader)
            else:
                client.logout()
            if page == "for you" and not signed_in:
                counts += [None, None]
                continue
            cache.clear()
            counts.append(queries(client, url))  # cold: what the cache holds is computed
            counts.append(queries(client, url))  # warm
        measured[size] = tuple(counts)
    assert measured == {2: EXPECTED[page], 30: EXPECTED[page]}
