"""Production mode passes Django's deployment checklist: `tidings check --deploy` finds nothing.

Settings are read once at start, so each case runs in a subprocess with the environment production
would have (TIDINGS_ENV=production, a secret key, DATABASE_URL). Before HSTS and the SSL redirect were
turned on, this check warned security.W004 and security.W008.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
plain = client.get("/csp-report/", HTTP_HOST="localhost")
proxied = client.get("/csp-report/", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts_seconds": settings.SECURE_HSTS_SECONDS,
    "proxy_header": settings.SECURE_PROXY_SSL_HEADER,
    "plain": [plain.status_code, plain.headers.get("Location", "")],
    "proxied": [proxied.status_code, proxied.headers.get("Strict-Transport-Security", "")],
}))
"""


def _run(tmp_path: Path, args: list[str], **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TIDINGS_", "DATABASE_URL", "DJANGO_"))
    }
    environment |= {
        "TIDINGS_ENV": "production",
        "TIDINGS_SECRET_KEY": secrets.token_urlsafe(60),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tidings.sqlite3'}",
        "TIDINGS_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tidings.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("extra", "silenced"),
    [
        ({}, 0),
        ({"TIDINGS_BEHIND_TLS_PROXY": "1"}, 0),
        ({"TIDINGS_HSTS_PRELOAD": "0"}, 1),  # the operator's explicit choice silences W021 (preload) only
    ],
)
def test_check_deploy_is_clean_in_production(tmp_path, extra, silenced):
    done = _run(tmp_path, ["-m", "tidings.cli", "check", "--deploy", "--fail-level", "WARNING"], **extra)
    expected = f"System check identified no issues ({silenced} silenced)."
    assert (done.returncode, done.stdout.strip()) == (0, expected), done.stderr


def test_production_redirects_plain_http_and_sends_hsts(tmp_path):
    done = _run(tmp_path, ["-c", PROBE])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "ssl_redirect": True,
        "hsts_seconds": 31536000,
        "proxy_header": None,  # X-Forwarded-Proto is not trusted unless the operator says a proxy sets it
        "plain": [301, "https://localhost/csp-report/"],
        "proxied": [301, ""],
    }


def test_behind_a_tls_proxy_its_https_header_is_trusted(tmp_path):
    done = _run(tmp_path, ["-c", PROBE], TIDINGS_BEHIND_TLS_PROXY="1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "ssl_redirect": True,
        "hsts_seconds": 31536000,
        "proxy_header": ["HTTP_X_FORWARDED_PROTO", "https"],
        "plain": [301, "https://localhost/csp-report/"],
        "proxied": [405, "max-age=31536000; includeSubDomains; preload"],
    }
