"""core.pagecache: entries are dropped by their writers, and an entry computed from rows read before a comment
writer committed is never taken afterwards."""

import pytest
from django.core.cache import cache

from core import pagecache

ARTICLE = 41
KEY = pagecache.article_page_key(ARTICLE)
pytestmark = pytest.mark.django_db  # forget_articles acts again when the transaction commits


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def fetch(value, **kwargs):
    return pagecache.fetch(ARTICLE, KEY, lambda: value, seconds=60, **kwargs)


def test_a_cached_value_is_taken_until_the_article_is_forgotten():
    assert fetch("first") == "first"
    assert fetch("second") == "first"
    pagecache.forget_articles([ARTICLE])
    assert fetch("third") == "third"


def test_a_value_computed_while_a_writer_forgot_the_article_is_not_taken_by_the_next_reader():
    """The reader read the old rows, the writer committed and forgot the article, then the reader stored its
    render: the one cache write after the forget must not serve the old rows."""

    def render_from_old_rows():
        pagecache.forget_articles([ARTICLE], exact=True)  # a comment commits while this reader renders
        return "old rows"

    assert pagecache.fetch(ARTICLE, KEY, render_from_old_rows, seconds=60) == "old rows"
    assert fetch("new rows") == "new rows"
    assert fetch("newer rows") == "new rows"  # and the new render is taken


def test_a_different_fingerprint_recomputes_and_other_articles_are_untouched():
    assert fetch("drawn from the old row", fingerprint="a") == "drawn from the old row"
    assert fetch("drawn from the edited row", fingerprint="b") == "drawn from the edited row"
    other = pagecache.article_page_key(ARTICLE + 1)
    assert pagecache.fetch(ARTICLE + 1, other, lambda: "other", seconds=60) == "other"
    pagecache.forget_articles([ARTICLE])
    assert pagecache.fetch(ARTICLE + 1, other, lambda: "recomputed", seconds=60) == "other"
