"""Follows, mutes, saves, history and export, through readers.actions, on the real database."""

import pytest
from django.db import IntegrityError, transaction

from readers import actions
from readers.models import Follow, Mute, ReadingHistory, SavedArticle
from search.models import SavedSearch

from .conftest import NEWEST, make_article, make_hashtag, make_publisher, make_story

pytestmark = pytest.mark.django_db


def targets():
    return {
        "publisher": (make_publisher("Asia Times"), "asia-times"),
        "hashtag": (make_hashtag("Tariffs"), "tariffs"),
        "story": (story := make_story(), story.pk),
    }


@pytest.mark.parametrize("kind", ["publisher", "hashtag", "story"])
def test_follow_then_unfollow_each_kind_and_following_twice_keeps_one_row(reader, kind):
    target, key = targets()[kind]
    assert actions.check_follow(reader, kind, key) == target
    first = actions.do_follow(reader, target)
    again = actions.do_follow(reader, target)
    assert (first.pk, first.kind, first.target) == (again.pk, kind, target)
    assert Follow.objects.filter(user=reader).count() == 1
    assert actions.do_unfollow(reader, target) == 1
    assert actions.do_unfollow(reader, target) == 0
    assert Follow.objects.filter(user=reader).count() == 0


@pytest.mark.parametrize("kind", ["publisher", "hashtag"])
def test_mute_then_unmute_each_kind(reader, kind):
    target, key = targets()[kind]
    assert actions.check_mute(reader, kind, key) == target
    mute = actions.do_mute(reader, target)
    actions.do_mute(reader, target)
    assert (Mute.objects.filter(user=reader).count(), mute.kind) == (1, kind)
    assert actions.do_unmute(reader, target) == 1
    assert Mute.objects.filter(user=reader).count() == 0


def test_a_story_cannot_be_muted(reader):
    story = make_story()
    with pytest.raises(actions.ReaderActionError, match=r"^Only publishers and hashtags can be muted\.$"):
        actions.check_mute(reader, "story", story.pk)


def test_unknown_target_raises_does_not_exist(reader):
    with pytest.raises(actions.Publisher.DoesNotExist):
        actions.check_follow(reader, "publisher", "nobody")


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Follow, {"publisher": "p", "hashtag": "h"}),
        (Follow, {"hashtag": "h", "story": "s"}),
        (Follow, {"publisher": "p", "story": "s"}),
        (Follow, {}),
        (Mute, {"publisher": "p", "hashtag": "h"}),
        (Mute, {}),
    ],
    ids=[
        "follow-publisher+hashtag",
        "follow-hashtag+story",
        "follow-publisher+story",
        "follow-nothing",
        "mute-publisher+hashtag",
        "mute-nothing",
    ],
)
def test_exactly_one_target_is_enforced_by_the_database(reader, model, fields):
    objects = {"p": make_publisher("Asia Times"), "h": make_hashtag("Tariffs"), "s": make_story()}
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(user=reader, **{name: objects[ref] for name, ref in fields.items()})


def test_the_same_follow_twice_is_refused_by_the_database(reader):
    publisher = make_publisher("Asia Times")
    Follow.objects.create(user=reader, publisher=publisher)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(user=reader, publisher=publisher)


def test_save_and_unsave_and_a_folded_copy_cannot_be_saved(reader):
    publisher = make_publisher("Asia Times")
    article = make_article(publisher)
    copy = make_article(publisher)
    copy.duplicate_of = article
    copy.save(update_fields=["duplicate_of"])
    saved = actions.do_save(reader, actions.check_save(reader, article.pk), now=NEWEST)
    assert actions.do_save(reader, article).saved_at == saved.saved_at == NEWEST
    with pytest.raises(actions.Article.DoesNotExist):
        actions.check_save(reader, copy.pk)
    assert actions.do_unsave(reader, article) == 1
    assert SavedArticle.objects.count() == 0


def test_record_read_keeps_one_row_per_article_and_moves_read_at(reader):
    article = make_article(make_publisher("Asia Times"))
    first = actions.record_read(reader, article, now=NEWEST)
    later = NEWEST.replace(hour=18)
    second = actions.record_read(reader, article, now=later)
    assert (first.pk, second.read_at) == (second.pk, later)
    assert list(ReadingHistory.objects.values_list("article_id", "read_at")) == [(article.pk, later)]


@pytest.mark.django_db(transaction=True)
def test_record_read_outside_a_transaction_leaves_the_connections_durability_as_it_was(reader):
    """On PostgreSQL the read is committed without waiting for the disk: that setting lasts only as long as
    its own statement's transaction, so whatever the connection writes next waits for the disk as before."""
    from django.db import connection

    article = make_article(make_publisher("Asia Times"))
    entry = actions.record_read(reader, article, now=NEWEST)
    assert ReadingHistory.objects.get() == entry
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone() == ("on",)


def test_record_read_writes_nothing_when_the_reader_keeps_no_history(reader):
    reader.keep_history = False
    reader.save(update_fields=["keep_history"])
    article = make_article(make_publisher("Asia Times"))
    assert actions.record_read(reader, article) is None
    assert ReadingHistory.objects.count() == 0


def test_record_read_ignores_anonymous_readers():
    from django.contrib.auth.models import AnonymousUser

    assert actions.record_read(AnonymousUser(), make_article(make_publisher("Asia Times"))) is None
    assert ReadingHistory.objects.count() == 0


def test_clear_history_keeps_saved_and_follows_and_other_readers_history(reader, other_reader):
    publisher = make_publisher("Asia Times")
    article = make_article(publisher)
    actions.record_read(reader, article)
    actions.record_read(other_reader, article)
    actions.do_save(reader, article)
    actions.do_follow(reader, publisher)
    assert actions.clear_history(reader) == 1
    assert list(ReadingHistory.objects.values_list("user__username", flat=True)) == ["ben"]
    assert (SavedArticle.objects.count(), Follow.objects.count()) == (1, 1)


def test_clear_learned_forgets_history_and_saved_but_keeps_follows_and_mutes(reader, other_reader):
    publisher, muted = make_publisher("Asia Times"), make_publisher("Daily Noise")
    first, second = make_article(publisher), make_article(publisher)
    actions.record_read(reader, first)
    actions.do_save(reader, first)
    actions.do_save(reader, second)
    actions.do_save(other_reader, first)
    actions.do_follow(reader, publisher)
    actions.do_mute(reader, muted)
    assert actions.clear_learned(reader) == {"history": 1, "saved": 2}
    assert (ReadingHistory.objects.filter(user=reader).count(), SavedArticle.objects.filter(user=reader).count()) == (
        0,
        0,
    )
    assert SavedArticle.objects.filter(user=other_reader).count() == 1
    assert (Follow.objects.filter(user=reader).count(), Mute.objects.filter(user=reader).count()) == (1, 1)


def test_export_contains_account_follows_mutes_saved_history_and_comments_of_this_reader_only(reader, other_reader):
    from comments.models import Comment

    publisher, tag, story = make_publisher("Asia Times"), make_hashtag("Tariffs"), make_story()
    article = make_article(publisher, "Ports reopen")
    actions.do_follow(reader, publisher)
    actions.do_follow(reader, tag)
    actions.do_follow(reader, story)
    actions.do_mute(reader, make_hashtag("Celebrities"))
    actions.do_save(reader, article, now=NEWEST)
    actions.record_read(reader, article, now=NEWEST)
    actions.do_follow(other_reader, make_publisher("Other Paper"))
    Comment.objects.create(article=article, author=reader, body="Good news for shippers.")
    Comment.objects.create(article=article, author=other_reader, body="Not mine.")

    data = actions.export_my_data(reader)

    assert data["account"]["username"] == "ana"
    assert data["account"]["email"] == "ana@example.org"
    assert data["account"]["keep_history"] is True
    assert [(f["kind"], f["key"], f["name"]) for f in data["follows"]] == [
        ("publisher", "asia-times", "Asia Times"),
        ("hashtag", "tariffs", "#Tariffs"),
        ("story", story.pk, "“Floods in Valencia”"),
    ]
    assert [(m["kind"], m["key"]) for m in data["mutes"]] == [("hashtag", "celebrities")]
    expected_article = {"article_id": article.pk, "title": "Ports reopen", "url": article.url}
    assert data["saved"] == [{**expected_article, "saved_at": NEWEST.isoformat()}]
    assert data["history"] == [{**expected_article, "read_at": NEWEST.isoformat()}]
    assert [c["body"] for c in data["comments"]] == ["Good news for shippers."]


def test_export_includes_saved_searches(reader, other_reader):
    SavedSearch.objects.create(user=reader, query="port strike", filters={"tag": "ports"})
    SavedSearch.objects.create(user=other_reader, query="not mine")
    searches = actions.export_my_data(reader)["saved_searches"]
    assert [(s["query"], s["filters"]) for s in searches] == [("port strike", {"tag": "ports"})]
    assert "user_id" not in searches[0]
