"""WSGI entry point for `tidings web` (gunicorn) and `tidings run`."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
application = get_wsgi_application()

# Load every view now (Django would at the first request), then take what is loaded out of the garbage
# collector's sight: it lives as long as the process, yet each full collection walked its ~140,000 objects,
# 60-70 ms during which every thread of the process waited (the slowest requests of the article page at 1M).
# Frozen, a full collection takes 3 ms at most (docs/benchmarks.md "Scale"). gunicorn loads this module in
# each process after forking it, so nothing frozen is shared between processes.
get_resolver().url_patterns  # noqa: B018 - imports the URL patterns and every view module
gc.collect()
gc.freeze()
