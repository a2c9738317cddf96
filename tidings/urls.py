from django.contrib import admin
from django.urls import include, path

from api.api import api
from web.csp_reports import csp_report

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("csp-report/", csp_report, name="csp-report"),
    path("", include("accounts.urls")),
    path("", include("comments.urls")),
    path("", include("readers.urls")),
    path("", include("search.urls")),
    path("", include("greader.urls")),
    path("", include("web.urls")),
]
