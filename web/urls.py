from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<int:article_id>/", views.article_detail, name="article"),
    path("publishers/", views.publisher_list, name="publishers"),
    path("publishers/<slug:slug>/", views.publisher_detail, name="publisher"),
    path("sources/", views.sources_health, name="sources"),
]
