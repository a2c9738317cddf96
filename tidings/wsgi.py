"""WSGI entry point for `tidings web` (gunicorn) and `tidings run`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
application = get_wsgi_application()
