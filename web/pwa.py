"""The installable app: web app manifest, service worker and offline page.

The service worker is a static file (web/static/web/app/sw.js) served from the site's root, because a worker
controls only the pages under the path it is served from. This view fills in the app shell's addresses and a
version made from the static files' bytes: change any of them and browsers install the new worker, which drops
the cached copies of the old ones.
"""

import hashlib
import json
from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOUR = "#0b5cad"  # the stylesheet's --accent
BACKGROUND_COLOUR = "#ffffff"
SHELL_STATIC = (
    "web/tidings.css",
    "web/tidings.js",
    "web/app/app.css",
    "web/app/app.js",
    "web/app/icon-192.png",
    "web/app/icon-512.png",
)
ICONS = (
    ("web/app/icon-192.png", "192x192", "any"),
    ("web/app/icon-512.png", "512x512", "any"),
    ("web/app/icon-maskable-512.png", "512x512", "maskable"),
)


def _read_static(path: str) -> bytes:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"static file {path} is missing")
    with open(found, "rb") as file:
        return file.read()


@require_GET
@cache_control(max_age=3600)
def manifest(request):
    document = {
        "id": reverse("home"),
        "name": "Tidings",
        "short_name": "Tidings",
        "description": "The news from many publishers, grouped into stories, with your saved articles offline.",
        "start_url": reverse("home"),
        "scope": reverse("home"),
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "lang": "en",
        "icons": [
            {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }
    return JsonResponse(document, content_type="application/manifest+json", json_dumps_params={"indent": 1})


def _static_digest() -> str:
    """A hash of every static file (about 140 files, 1.4 MB: some 50 ms, once per process). Static addresses carry
    no hash of their own, so the worker's version must change whenever any file it may have kept does."""
    digest = hashlib.sha256()
    files = {}
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            files.setdefault(path, storage)  # the first finder's copy wins, as in serving
    for path in sorted(files):
        with files[path].open(path) as file:
            digest.update(path.encode() + b"\0" + file.read())
    return digest.hexdigest()[:12]


@cache
def _service_worker_source(shell: tuple[str, ...]) -> bytes:
    """sw.js with the shell's addresses and a version that changes whenever a static file does (sw.js included)."""
    text = _read_static("web/app/sw.js").decode().replace('"__SHELL__"', json.dumps(list(shell)))
    return text.replace("__VERSION__", _static_digest()).encode()


@require_GET
def service_worker(request):
    shell = (reverse("home"), reverse("offline"), reverse("manifest"), *(static(path) for path in SHELL_STATIC))
    response = HttpResponse(_service_worker_source(shell), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on navigation; a cached copy would delay updates by its age.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request):
    """What the app shows for a page it has not kept while the network is down."""
    return render(request, "web/offline.html")
