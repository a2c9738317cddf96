from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/save/", views.save_search, name="search-save"),
    path("search/saved/", views.saved_searches, name="search-saved"),
    path("search/saved/<int:saved_id>/", views.open_saved_search, name="search-saved-open"),
    path("search/saved/<int:saved_id>/follow/", views.follow_saved_search, name="search-saved-follow"),
    path("search/saved/<int:saved_id>/delete/", views.delete_saved_search, name="search-saved-delete"),
]
