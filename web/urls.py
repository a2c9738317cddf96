from django.urls import path

from . import views

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
]
