"""Settings for the page benchmark (bench/scale.py): the product's settings, plus a bare reference view.

The bare view lives only here, never in the product's URLconf: bench/scale_urls.py adds it next to every
page of tidings.urls, so both are served by the same gunicorn processes with the same settings.
"""

from pathlib import Path

from tidings.settings import *  # noqa: F403
from tidings.settings import TEMPLATES

ROOT_URLCONF = "bench.scale_urls"
TEMPLATES[0]["DIRS"] = [Path(__file__).resolve().parent / "templates"]
