from django.contrib import admin
from django.urls import include, path

from api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("accounts.urls")),
    path("", include("comments.urls")),
    path("", include("readers.urls")),
    path("", include("search.urls")),
    path("", include("greader.urls")),
    path("", include("web.urls")),
]
