"""The signed-in reader: profile, follows, mutes, saved articles and For You (readers.actions does every write)."""

from typing import Literal

from django.core.exceptions import ObjectDoesNotExist
from ninja import Field as NinjaField
from ninja import Query, Router, Schema, Status

from articles.models import Article
from readers import actions, foryou
from readers.models import Follow, Mute, SavedArticle
from stories.models import Story

from ..auth import AUTH, count_write
from ..pagination import page
from ..problems import ApiProblem
from ..schemas.common import ObjectId
from ..schemas.reader import ChoiceOut, ForYouItem, MeOut, SavedOut, SavedPage
from ..serialize import article_summary

router = Router(tags=["the reader"], auth=AUTH)
SAVED_PER_PAGE = 30


@router.get("/me", response=MeOut, summary="The signed-in reader")
def me(request):
    user = request.auth
    return {"username": user.username, "email": user.email, "keep_history": user.keep_history,
            "is_moderator": user.is_moderator, "can_comment": not user.is_banned}  # fmt: skip


def _choice(row: Follow | Mute) -> dict:
    target = row.target
    key = str(target.pk) if isinstance(target, Story) else target.slug
    return {"kind": row.kind, "key": key, "name": actions.display_name(target), "since": row.created_at}


def _target(check, user, kind: str, key: str):
    try:
        return check(user, kind, key)
    except (ObjectDoesNotExist, ValueError) as exc:  # ValueError: a story key that is not a number
        raise ApiProblem(404, f"There is no {kind} {key!r}.") from exc


@router.get("/me/follows", response=list[ChoiceOut], summary="What the reader follows")
def list_follows(request):
    rows = Follow.objects.filter(user=request.auth).select_related("publisher", "hashtag", "story")
    return [_choice(f) for f in rows]


@router.put("/me/follows/{kind}/{key}", response=ChoiceOut, summary="Follow a publisher, hashtag or story")
def follow(request, kind: Literal["publisher", "hashtag", "story"], key: str):
    count_write(request.auth)
    target = _target(actions.check_follow, request.auth, kind, key)
    return _choice(actions.do_follow(request.auth, target))


@router.delete("/me/follows/{kind}/{key}", response={204: None}, summary="Stop following")
def unfollow(request, kind: Literal["publisher", "hashtag", "story"], key: str):
    count_write(request.auth)
    actions.do_unfollow(request.auth, _target(actions.check_follow, request.auth, kind, key))
    return Status(204, None)


@router.get("/me/mutes", response=list[ChoiceOut], summary="What the reader muted")
def list_mutes(request):
    return [_choice(m) for m in Mute.objects.filter(user=request.auth).select_related("publisher", "hashtag")]


@router.put("/me/mutes/{kind}/{key}", response=ChoiceOut, summary="Mute a publisher or hashtag in For You")
def mute(request, kind: Literal["publisher", "hashtag"], key: str):
    count_write(request.auth)
    target = _target(actions.check_mute, request.auth, kind, key)
    return _choice(actions.do_mute(request.auth, target))


@router.delete("/me/mutes/{kind}/{key}", response={204: None}, summary="Unmute")
def unmute(request, kind: Literal["publisher", "hashtag"], key: str):
    count_write(request.auth)
    actions.do_unmute(request.auth, _target(actions.check_mute, request.auth, kind, key))
    return Status(204, None)


class SavedParams(Schema):
    cursor: str | None = None
    limit: int = NinjaField(SAVED_PER_PAGE, ge=1, le=100)


@router.get("/me/saved", response=SavedPage, summary="Saved articles, latest saved first")
def list_saved(request, params: Query[SavedParams]):
    rows = SavedArticle.objects.filter(user=request.auth).select_related("article__publisher")
    rows, next_cursor = page(rows, cursor=params.cursor, limit=params.limit, field="saved_at")
    return {"results": [{"saved_at": s.saved_at, "article": article_summary(s.article)} for s in rows],
            "next_cursor": next_cursor}  # fmt: skip


def _article(user, article_id: ObjectId) -> Article:
    try:
        return actions.check_save(user, article_id)
    except Article.DoesNotExist as exc:
        raise ApiProblem(404, "This article does not exist.") from exc


@router.put("/me/saved/{article_id}", response=SavedOut, summary="Save an article for later")
def save(request, article_id: ObjectId):
    count_write(request.auth)
    article = _article(request.auth, article_id)
    saved = actions.do_save(request.auth, article)
    return {"saved_at": saved.saved_at, "article": article_summary(article)}


@router.delete("/me/saved/{article_id}", response={204: None}, summary="Remove from saved articles")
def unsave(request, article_id: ObjectId):
    count_write(request.auth)
    actions.do_unsave(request.auth, _article(request.auth, article_id))
    return Status(204, None)


@router.get("/me/for-you", response=list[ForYouItem], summary="For You: follows and interests, with a reason each")
def for_you(request):
    return [{"article": article_summary(i.article), "reason": i.reason, "score": i.score}
            for i in foryou.for_you(request.auth)]  # fmt: skip
