"""The Google Reader API's paths, as clients append them to the server address they were given."""

from django.urls import path, re_path

from . import account_views, views

urlpatterns = [
    path("accounts/ClientLogin", views.client_login, name="greader-client-login"),
    path("reader/api/0/token", views.token),
    path("reader/api/0/user-info", views.user_info),
    path("reader/api/0/subscription/list", views.subscription_list),
    path("reader/api/0/subscription/quickadd", views.quickadd),
    path("reader/api/0/subscription/edit", views.subscription_edit),
    path("reader/api/0/tag/list", views.tag_list),
    path("reader/api/0/unread-count", views.unread_count),
    path("reader/api/0/stream/items/ids", views.stream_item_ids),
    path("reader/api/0/stream/items/contents", views.stream_items_contents),
    path("reader/api/0/stream/contents", views.stream_contents),
    path("reader/api/0/stream/contents/<path:stream_id>", views.stream_contents),
    path("reader/api/0/edit-tag", views.edit_tag),
    path("reader/api/0/mark-all-as-read", views.mark_all_as_read),
    path("reader/atom/<path:stream_id>", views.atom_stream),
    re_path(r"^reader/api/0/(?P<rest>.*)$", views.not_served),
    path("account/app-passwords/", account_views.app_passwords, name="app-passwords"),
    path("account/app-passwords/<int:app_password_id>/revoke/", account_views.revoke, name="revoke-app-password"),
]
