"""The article page caches its copies, hashtags and related list (core.pagecache): every writer that changes
them makes the next view show the change, through the real story stage on real ECB+ text."""

import pytest
from django.core.cache import cache

from articles import actions as article_actions
from articles.models import Article
from core import pagecache
from stories import actions
from stories.models import RelatedArticle
from stories.tests.test_story_actions import store

pytestmark = pytest.mark.django_db

# The Aceh earthquake of 2 July 2013, five outlets; a church fire in Alaska, unrelated.
ACEH_QUAKE = ["37_1ecbplus", "37_5ecbplus", "37_11ecbplus", "37_9ecbplus", "37_3ecbplus"]
CHURCH_FIRE = ["13_3ecb", "13_10ecb"]
KLITSCHKO_WIRE_ORIGINAL, KLITSCHKO_WIRE_COPY = "7_10ecbplus", "7_9ecbplus"


def related_section(client, article) -> str:
    page = client.get(article.get_absolute_url()).content.decode()
    return page.split('id="related-title"')[1]


def test_related_list_shown_follows_the_story_as_it_grows(client, ecb_rows):
    first = store(ecb_rows, ACEH_QUAKE[:2] + CHURCH_FIRE)
    actions.process_articles([a.pk for a in first.values()])
    lead = first[ACEH_QUAKE[0]]
    before = related_section(client, lead)
    assert cache.get(pagecache.article_parts_key(lead.pk)) is not None  # the page filled the cache
    later = store(ecb_rows, ACEH_QUAKE[2:], hours_ago=1)
    actions.process_articles([a.pk for a in later.values()])
    after = related_section(client, lead)
    shown = list(RelatedArticle.objects.filter(article=lead).select_related("related"))
    newcomers = [link.related for link in shown if link.related_id in {a.pk for a in later.values()}]
    assert newcomers  # the story stage put newcomers in the list...
    for article in newcomers:
        assert f'href="{article.get_absolute_url()}"' not in before
    for link in shown:
        assert f'href="{link.related.get_absolute_url()}"' in after  # ...and the page shows the new list


def test_a_copy_folded_in_later_appears_on_the_originals_page(client, ecb_rows):
    original = store(ecb_rows, [KLITSCHKO_WIRE_ORIGINAL])[KLITSCHKO_WIRE_ORIGINAL]
    actions.process_articles([original.pk])
    assert "Also published by" not in client.get(original.get_absolute_url()).content.decode()
    copy = store(ecb_rows, [KLITSCHKO_WIRE_COPY], hours_ago=5)[KLITSCHKO_WIRE_COPY]
    actions.process_articles([copy.pk])
    assert Article.objects.get(pk=copy.pk).duplicate_of_id == original.pk
    page = client.get(original.get_absolute_url()).content.decode()
    assert f'Also published by <a href="{copy.url}" rel="noopener">{copy.publisher.name}</a>' in page


def test_hashtags_appear_once_the_article_is_processed_although_its_page_was_seen_before(client, ecb_rows):
    article = store(ecb_rows, ACEH_QUAKE[:1])[ACEH_QUAKE[0]]
    assert 'class="hashtags"' not in client.get(article.get_absolute_url()).content.decode()
    actions.process_articles([article.pk])
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<a class="tag" href="/tags/earthquake/">#Earthquake</a>' in page


def test_a_deleted_related_article_leaves_the_cached_list(client, ecb_rows):
    articles = store(ecb_rows, ACEH_QUAKE[:3])
    actions.process_articles([a.pk for a in articles.values()])
    lead, gone = articles[ACEH_QUAKE[0]], articles[ACEH_QUAKE[1]]
    assert gone.get_absolute_url() in related_section(client, lead)
    article_actions.delete_articles([gone.pk])  # as retention does: related rows go by cascade
    assert gone.get_absolute_url() not in related_section(client, lead)


def test_a_new_comment_shows_at_once_on_the_cached_anonymous_page(client, ecb_rows):
    from accounts.models import User
    from comments import actions as comment_actions

    article = store(ecb_rows, ACEH_QUAKE[:1])[ACEH_QUAKE[0]]
    assert "No comments yet" in client.get(article.get_absolute_url()).content.decode()
    author = User.objects.create_user("ayu", "ayu@example.org", "a long password 6")
    comment_actions.do_post_comment(author, article, "The shaking woke the whole town.")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "The shaking woke the whole town." in page and "No comments yet" not in page


def test_key_points_shown_follow_a_new_digest(client, ecb_rows):
    from ai import actions as ai_actions

    lead = store(ecb_rows, ACEH_QUAKE[:1])[ACEH_QUAKE[0]]
    before = client.get(lead.get_absolute_url()).content.decode()
    assert "Key points appear once Tidings has read the article's text." in before  # cached without a digest
    assert ai_actions.precompute_digests([Article.objects.get(pk=lead.pk)]) == 1
    after = client.get(lead.get_absolute_url()).content.decode()
    assert "Key points appear once" not in after and "<h3>Summary</h3>" in after
