from django.urls import path

from . import views

urlpatterns = [
    path("articles/<int:article_id>/comments/", views.comment_post, name="comment-post"),
    path("comments/<int:comment_id>/edit/", views.comment_edit, name="comment-edit"),
    path("comments/<int:comment_id>/delete/", views.comment_delete, name="comment-delete"),
    path("comments/<int:comment_id>/report/", views.comment_report, name="comment-report"),
    path("comments/<int:comment_id>/hide/", views.comment_hide, name="comment-hide"),
]
