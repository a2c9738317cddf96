from django.urls import path, register_converter

from . import feeds, pwa, views

register_converter(feeds.FeedFormatConverter, "feedformat")

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<int:article_id>/", views.article_detail, name="article"),
    path("articles/<int:article_id>/ask/", views.article_ask, name="article-ask"),
    path("articles/<int:article_id>/generate/", views.article_generate, name="article-generate"),
    path("stories/<int:story_id>/", views.story_detail, name="story"),
    path("tags/<slug:slug>/", views.hashtag_detail, name="hashtag"),
    path("publishers/", views.publisher_list, name="publishers"),
    path("publishers/<slug:slug>/", views.publisher_detail, name="publisher"),
    path("sources/", views.sources_health, name="sources"),
    # Feeds out (web/feeds.py): feed.rss, feed.atom and feed.json beside each page they follow.
    path("feed.<feedformat:fmt>", feeds.serve(feeds.LatestFeed), name="feed-latest"),
    path("publishers/<slug:slug>/feed.<feedformat:fmt>", feeds.serve(feeds.PublisherFeed), name="feed-publisher"),
    path("tags/<slug:slug>/feed.<feedformat:fmt>", feeds.serve(feeds.HashtagFeed), name="feed-hashtag"),
    path("stories/<int:story_id>/feed.<feedformat:fmt>", feeds.serve(feeds.StoryFeed), name="feed-story"),
    path("search/feed.<feedformat:fmt>", feeds.serve(feeds.SearchFeed), name="feed-search"),
    path("feeds/<str:key>/for-you.<feedformat:fmt>", feeds.serve(feeds.ForYouFeed, private=True), name="feed-for-you"),
    path("feeds/<str:key>/saved.<feedformat:fmt>", feeds.serve(feeds.SavedFeed, private=True), name="feed-saved"),
    path("account/private-feeds/reset/", feeds.reset_private_feeds, name="private-feeds-reset"),
    # The installable app (web/pwa.py): served from the root so the service worker's scope is the whole site.
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
]
