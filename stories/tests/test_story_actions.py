"""The story stage on the real database with the real embedding model, on real ECB+ news text:
copies folded, look-alike events kept apart, related lists with a reason for every item."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from sources.models import Publisher
from stories import actions
from stories.models import ArticleHashtag, Hashtag, RelatedArticle, Story, StoryLink

pytestmark = pytest.mark.django_db

# The Aceh earthquake of 2 July 2013 (magnitude 6.1), reported by five outlets.
ACEH_QUAKE = ["37_1ecbplus", "37_5ecbplus", "37_11ecbplus", "37_9ecbplus", "37_3ecbplus"]
# One wire report of Klitschko beating Thompson, printed by two outlets (the copy under its own headline).
KLITSCHKO_WIRE_ORIGINAL, KLITSCHKO_WIRE_COPY = "7_10ecbplus", "7_9ecbplus"


def store(rows, doc_ids: list[str], *, minutes_apart: int = 20, hours_ago: float = 6) -> dict[str, Article]:
    """Store these ECB+ texts as extracted articles, `minutes_apart`, in the order given."""
    start = timezone.now() - timedelta(hours=hours_ago)
    stored = {}
    for n, doc_id in enumerate(doc_ids):
        row = rows[doc_id]
        publisher, _ = Publisher.objects.get_or_create(name=row["publisher"], defaults={"slug": f"p{n}-{doc_id}"})
        stored[doc_id] = Article.objects.create(
            publisher=publisher, url=f"https://example.org/{doc_id}", canonical_url=f"https://example.org/{doc_id}",
            url_hash=doc_id, title=row["title"], body_text=row["body"], status=Article.Status.READY,
            published_at=start + timedelta(minutes=minutes_apart * n),
        )  # fmt: skip
    return stored


# Two fires in Alaska reported a day apart in the mirror: the Matanuska Maid dairy warehouse, and
# the Wasilla Bible Church that Sarah Palin attended.
WAREHOUSE_FIRE = ["13_10ecbplus", "13_11ecbplus", "13_8ecbplus"]
CHURCH_FIRE = ["13_3ecb", "13_10ecb", "13_7ecb"]


def test_two_alaska_fires_a_day_apart_become_two_stories(ecb_rows):
    """Same state, same kind of event, 27 hours apart (inside the window stories are searched in)."""
    articles = store(ecb_rows, WAREHOUSE_FIRE, hours_ago=30) | store(ecb_rows, CHURCH_FIRE, hours_ago=3)
    assert actions.process_articles([a.pk for a in articles.values()]) == len(articles)
    story_of = dict(Article.objects.values_list("url_hash", "story_id"))
    warehouse = {story_of[d] for d in WAREHOUSE_FIRE}
    church = {story_of[d] for d in CHURCH_FIRE}
    assert len(warehouse) == 1 and len(church) == 1
    assert warehouse != church
    story = Story.objects.get(pk=church.pop())
    assert story.article_count == len(CHURCH_FIRE)
    assert story.publisher_count == len({ecb_rows[d]["publisher"] for d in CHURCH_FIRE})


def test_wire_copy_is_folded_into_the_original(ecb_rows):
    articles = store(ecb_rows, [KLITSCHKO_WIRE_ORIGINAL, KLITSCHKO_WIRE_COPY])
    actions.process_articles([a.pk for a in articles.values()])
    copy = Article.objects.get(url_hash=KLITSCHKO_WIRE_COPY)
    original = Article.objects.get(url_hash=KLITSCHKO_WIRE_ORIGINAL)
    assert copy.duplicate_of_id == original.pk
    assert copy.story_id == original.story_id
    assert list(Article.objects.visible().values_list("url_hash", flat=True)) == [KLITSCHKO_WIRE_ORIGINAL]


def test_related_lists_give_a_reason_for_every_item_and_refresh_as_the_story_grows(ecb_rows):
    first = store(ecb_rows, ACEH_QUAKE[:2] + CHURCH_FIRE[:2])
    actions.process_articles([a.pk for a in first.values()])
    lead = first[ACEH_QUAKE[0]]
    first_link = RelatedArticle.objects.filter(article=lead).values_list("related__url_hash", "reason").first()
    assert first_link == (ACEH_QUAKE[1], "Same story")
    later = store(ecb_rows, ACEH_QUAKE[2:])
    Article.objects.filter(pk__in=[a.pk for a in later.values()]).update(
        published_at=timezone.now() - timedelta(hours=1)
    )
    actions.process_articles([a.pk for a in later.values()])
    links = list(RelatedArticle.objects.filter(article=lead).select_related("related"))
    assert {link.related.url_hash for link in links if link.reason == "Same story"} == set(ACEH_QUAKE[1:])
    assert all(link.reason for link in links)
    assert lead.pk not in {link.related_id for link in links}


def test_every_processed_article_gets_hashtags(ecb_rows):
    articles = store(ecb_rows, ACEH_QUAKE[:1])
    actions.process_articles([a.pk for a in articles.values()])
    tags = list(ArticleHashtag.objects.order_by("rank").values_list("hashtag__label", flat=True))
    assert 3 <= len(tags) <= 6
    assert "Earthquake" in tags and "Indonesia" in tags


def test_processing_twice_changes_nothing(ecb_rows):
    articles = store(ecb_rows, ACEH_QUAKE[:3])
    ids = [a.pk for a in articles.values()]
    assert actions.process_articles(ids) == 3
    before = list(RelatedArticle.objects.order_by("pk").values_list("article", "related", "rank"))
    assert actions.process_articles(ids) == 0
    assert list(RelatedArticle.objects.order_by("pk").values_list("article", "related", "rank")) == before


def test_a_story_split_by_arrival_order_is_put_back_together(ecb_rows, client):
    """Consolidation re-draws stories over the links stored at arrival: two fragments of one event rejoin,
    the emptied story's page sends readers on, and the moved articles list their story's other reports first."""
    articles = store(ecb_rows, ACEH_QUAKE)
    actions.process_articles([a.pk for a in articles.values()])
    assert len({a.story_id for a in Article.objects.all()}) == 1
    assert StoryLink.objects.count() >= len(ACEH_QUAKE) - 1
    # As if the last two reports had arrived before the others were there to join:
    split_off = [articles[d].pk for d in ACEH_QUAKE[3:]]
    now = timezone.now()
    fragment = Story.objects.create(title="fragment", first_published_at=now, last_published_at=now)
    Article.objects.filter(pk__in=split_off).update(story=fragment)
    main_story = Article.objects.get(pk=articles[ACEH_QUAKE[0]].pk).story_id
    # ...and as if an earlier consolidation had merged another story into the fragment.
    older = Story.objects.create(title="older", first_published_at=now, last_published_at=now, merged_into=fragment)

    assert actions.consolidate_stories() == len(split_off)
    assert set(Article.objects.values_list("story_id", flat=True)) == {main_story}
    fragment.refresh_from_db()
    assert (fragment.merged_into_id, fragment.article_count) == (main_story, 0)
    response = client.get(fragment.get_absolute_url())
    assert (response.status_code, response["Location"]) == (302, f"/stories/{main_story}/")
    older.refresh_from_db()
    assert older.merged_into_id == main_story  # one hop, not older → fragment → main
    assert Story.objects.get(pk=main_story).article_count == len(ACEH_QUAKE)
    moved = RelatedArticle.objects.filter(article_id=split_off[0]).values_list("related__url_hash", "reason")
    assert {d for d, reason in moved if reason == "Same story"} == set(ACEH_QUAKE) - {ACEH_QUAKE[3]}
    # Nothing new linked since: a second run has nothing to do.
    assert actions.consolidate_stories() == 0


def test_merge_chains_made_before_heirs_were_passed_on_are_collapsed():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("stories.migrations.0005_collapse_merge_chains")
    now = timezone.now()
    a, b, c, live = (Story.objects.create(title=t, first_published_at=now, last_published_at=now) for t in "abcd")
    Story.objects.filter(pk=a.pk).update(merged_into=b)
    Story.objects.filter(pk=b.pk).update(merged_into=c)
    Story.objects.filter(pk=c.pk).update(merged_into=live)
    migration.collapse_merge_chains(apps, None)
    heirs = dict(Story.objects.values_list("pk", "merged_into_id"))
    assert heirs == {a.pk: live.pk, b.pk: live.pk, c.pk: live.pk, live.pk: None}


def test_look_alike_events_are_not_linked_so_consolidation_keeps_them_apart(ecb_rows):
    articles = store(ecb_rows, WAREHOUSE_FIRE, hours_ago=30) | store(ecb_rows, CHURCH_FIRE, hours_ago=3)
    actions.process_articles([a.pk for a in articles.values()])
    actions.consolidate_stories()
    story_of = dict(Article.objects.values_list("url_hash", "story_id"))
    assert len({story_of[d] for d in WAREHOUSE_FIRE}) == 1 and len({story_of[d] for d in CHURCH_FIRE}) == 1
    assert story_of[WAREHOUSE_FIRE[0]] != story_of[CHURCH_FIRE[0]]


def test_the_same_headline_from_two_outlets_is_one_article_when_there_is_no_text():
    """Headline-only items (no body to compare): one headline printed word for word by a second outlet is
    a copy; a different headline on the same subject, and a short stock headline, are not."""
    start = timezone.now() - timedelta(hours=3)
    items = [
        ("EarthSky", "Death stars in Orion blast planets before they even form"),
        ("Astronomy Magazine", "'Death stars' in Orion blast planets before they even form"),
        ("Eureka Science News", "Orion's 'death stars' destroy protoplanets, astronomers find"),
        ("AP", "Business Highlights"),
        ("Reuters", "Business Highlights"),
    ]
    stored = []
    for n, (name, title) in enumerate(items):
        publisher, _ = Publisher.objects.get_or_create(name=name, defaults={"slug": f"headline-{n}"})
        article = Article.objects.create(
            publisher=publisher, url=f"https://example.org/h{n}", canonical_url=f"https://example.org/h{n}",
            url_hash=f"h{n}", title=title, body_text=title, status=Article.Status.READY,
            published_at=start + timedelta(minutes=10 * n),
        )  # fmt: skip
        stored.append(article)
    actions.process_articles([a.pk for a in stored])
    duplicate_of = dict(Article.objects.values_list("url_hash", "duplicate_of__url_hash"))
    assert duplicate_of == {"h0": None, "h1": "h0", "h2": None, "h3": None, "h4": None}
    assert Article.objects.get(url_hash="h1").story_id == Article.objects.get(url_hash="h0").story_id


# The Ka'Loni Flynn murder trial: 45_4 calls the defendant "Simpson" (#Simpson); 45_11 names him in full,
# "27 - year - old Christopher Kenyon Simpson"; 45_10 and 45_5 name the victim and her father, both Flynn.
SIMPSON_BY_SURNAME, SIMPSON_IN_FULL = "45_4ecbplus", "45_11ecbplus"
FLYNN_VICTIM, FLYNN_FATHER = "45_10ecbplus", "45_5ecbplus"


def tags_of(doc_id: str) -> list[str]:
    rows = ArticleHashtag.objects.filter(article__url_hash=doc_id).order_by("rank")
    return list(rows.values_list("hashtag__label", flat=True))


def test_a_surname_takes_the_full_name_tag_of_its_story(ecb_rows, client, django_assert_num_queries):
    """The Simpson trial: one report says "Simpson", another "Christopher Kenyon Simpson": one tag, whose
    page lists both reports, while the lone #Simpson page lists none."""
    articles = store(ecb_rows, [SIMPSON_BY_SURNAME, SIMPSON_IN_FULL])
    actions.process_articles([a.pk for a in articles.values()])
    assert len({a.story_id for a in Article.objects.all()}) == 1
    assert tags_of(SIMPSON_BY_SURNAME) == ["ChristopherKenyonSimpson", "Flynn"]  # was #Simpson, same rank
    assert "ChristopherKenyonSimpson" in tags_of(SIMPSON_IN_FULL)
    page = client.get("/tags/christopherkenyonsimpson/")
    assert {a.url_hash for a in page.context["page"]} == {SIMPSON_BY_SURNAME, SIMPSON_IN_FULL}
    assert list(client.get("/tags/simpson/").context["page"]) == []
    assert not Hashtag.objects.trending().filter(slug="simpson").exists()
    # Folding again reads the story's tags and its candidates' texts, and writes nothing.
    story_ids = set(Article.objects.values_list("story_id", flat=True))
    with django_assert_num_queries(2):
        assert actions.refold_story_hashtags(story_ids) == 0


def test_a_surname_two_full_names_end_with_is_not_folded(ecb_rows):
    """#Flynn beside #KaloniFlynn (the victim) and #HerbertFlynn (her father): which one is a guess."""
    articles = store(ecb_rows, [SIMPSON_BY_SURNAME, FLYNN_VICTIM, FLYNN_FATHER])
    actions.process_articles([a.pk for a in articles.values()])
    assert len({a.story_id for a in Article.objects.all()}) == 1
    assert "Flynn" in tags_of(SIMPSON_BY_SURNAME)
    assert {"KaloniFlynn", "HerbertFlynn"} <= set(tags_of(FLYNN_VICTIM)) | set(tags_of(FLYNN_FATHER))


def test_a_state_is_not_folded_into_a_town_in_that_state(ecb_rows):
    """The Matanuska Maid fire: 13_13 is tagged #Alaska and 13_4 #PalmerAlaska (from "Palmer, Alaska"), the
    one tag of the story ending with "Alaska"; the naive fold would have merged them."""
    articles = store(ecb_rows, ["13_10ecbplus", "13_4ecbplus", "13_8ecbplus", "13_5ecbplus", "13_13ecbplus"])
    actions.process_articles([a.pk for a in articles.values()])
    actions.consolidate_stories()
    assert Article.objects.get(url_hash="13_13ecbplus").story_id == Article.objects.get(url_hash="13_4ecbplus").story_id
    assert "Alaska" in tags_of("13_13ecbplus")
    assert "PalmerAlaska" in tags_of("13_4ecbplus")


def test_tags_of_two_stories_are_never_folded_into_each_other(ecb_rows):
    """The same trial reported a week apart: two stories (outside the window), so #Simpson stays."""
    articles = store(ecb_rows, [SIMPSON_BY_SURNAME], hours_ago=200) | store(ecb_rows, [SIMPSON_IN_FULL])
    actions.process_articles([a.pk for a in articles.values()])
    assert len({a.story_id for a in Article.objects.all()}) == 2
    assert tags_of(SIMPSON_BY_SURNAME) == ["Simpson", "Flynn"]


def test_a_fold_follows_the_article_when_consolidation_moves_it(ecb_rows):
    """Split off, the surname report gets its own tag back; put back by consolidation, it folds again."""
    articles = store(ecb_rows, [SIMPSON_BY_SURNAME, SIMPSON_IN_FULL])
    actions.process_articles([a.pk for a in articles.values()])
    surname = articles[SIMPSON_BY_SURNAME].pk
    main_story = Article.objects.get(pk=surname).story_id
    now = timezone.now()
    fragment = Story.objects.create(title="fragment", first_published_at=now, last_published_at=now)
    Article.objects.filter(pk=surname).update(story=fragment)
    assert actions.refold_story_hashtags([main_story, fragment.pk]) == 1
    assert tags_of(SIMPSON_BY_SURNAME) == ["Simpson", "Flynn"]
    assert actions.consolidate_stories() == 1
    assert Article.objects.get(pk=surname).story_id == main_story
    assert tags_of(SIMPSON_BY_SURNAME) == ["ChristopherKenyonSimpson", "Flynn"]
