from django.urls import path

from . import views

app_name = "readers"


def _change(kind: str, converter: str) -> list:
    """follow-/unfollow-/mute-/unmute-<kind> for one kind (stories cannot be muted)."""
    verbs = ("follow", "unfollow") if kind == "story" else ("follow", "unfollow", "mute", "unmute")
    return [
        path(
            f"{verb}/{kind}/<{converter}:key>/",
            views.change_follow,
            {"kind": kind, "verb": verb},
            name=f"{verb}-{kind}",
        )
        for verb in verbs
    ]


urlpatterns = [
    *_change("publisher", "slug"),
    *_change("hashtag", "slug"),
    *_change("story", "int"),
    path("save/article/<int:article_id>/", views.change_saved, {"verb": "save"}, name="save-article"),
    path("unsave/article/<int:article_id>/", views.change_saved, {"verb": "unsave"}, name="unsave-article"),
    path("for-you/", views.for_you, name="for-you"),
    path("me/saved/", views.saved, name="saved"),
    path("me/learned/", views.learned, name="learned"),
    path("me/learned/clear-history/", views.clear_history, name="clear-history"),
    path("me/learned/clear/", views.clear_learned, name="clear-learned"),
    path("me/export/", views.export, name="export"),
]
