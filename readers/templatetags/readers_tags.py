"""State for the follow / mute / save buttons that other apps' pages include."""

from django import template
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from readers.models import MUTE_KINDS, Follow, Mute
from readers.queries import saved_and_following

register = template.Library()


def _key(kind: str, target):
    return target.pk if kind == "story" else target.slug


@register.simple_tag(takes_context=True)
def follow_state(context, kind: str, target) -> dict:
    """Whether the signed-in reader follows / mutes `target`, and the URLs of the buttons."""
    user = context.get("user")
    key = _key(kind, target)
    mutable = kind in MUTE_KINDS
    state = {
        "kind": kind,
        "signed_in": bool(user and user.is_authenticated),
        "mutable": mutable,
        "following": False,
        "muted": False,
        "follow_url": reverse(f"readers:follow-{kind}", args=[key]),
        "unfollow_url": reverse(f"readers:unfollow-{kind}", args=[key]),
        "mute_url": reverse(f"readers:mute-{kind}", args=[key]) if mutable else "",
        "unmute_url": reverse(f"readers:unmute-{kind}", args=[key]) if mutable else "",
    }
    if state["signed_in"]:
        state["following"] = Follow.objects.filter(user=user, **{kind: target}).exists()
        state["muted"] = mutable and Mute.objects.filter(user=user, **{kind: target}).exists()
    return state


@register.simple_tag(takes_context=True)
def article_state(context, article) -> dict:
    """Whether the signed-in reader saved `article` and follows its publisher."""
    user = context.get("user")
    signed_in = bool(user and user.is_authenticated)
    saved, follows = saved_and_following(user.pk, article.pk, article.publisher_id) if signed_in else (False, False)
    return {"signed_in": signed_in, "saved": saved, "follows_publisher": follows}


@register.simple_tag
def login_url() -> str:
    """The sign-in page (settings.LOGIN_URL)."""
    return resolve_url(settings.LOGIN_URL)
