"""Content-Security-Policy on every response, and the endpoint browsers report violations to.

The policy's browser-level proof (Tidings' own scripts work, 0 violations, hostile content never runs)
is in web/tests/test_xss_browser.py and tidings/tests/test_hostile_publisher.py.
"""

import json
import logging
import re

import pytest

from web import csp_reports
from web.tests.test_pages import make_article, make_publisher

pytestmark = pytest.mark.django_db

REQUIRED = {
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "default-src": "'self'",
    "img-src": "'self' https: http:",  # publishers' images; plain http only outside production
    "report-uri": "/csp-report/",
}


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/publishers/", "/sources/", "/search/?q=x", "/login/", "/signup/",
                                  "/no-such-page/", "/api/v1/openapi.json", "/api/docs", "/csp-report/"])  # fmt: skip
def test_every_response_carries_the_policy(client, path):
    response = client.get(path)
    policy = _policy(response)
    assert {key: policy.get(key) for key in REQUIRED} == REQUIRED
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


def test_article_page_carries_the_policy_and_no_inline_script_or_style(client):
    article = make_article(make_publisher())
    response = client.get(article.get_absolute_url())
    page = response.content.decode()
    assert _policy(response)["script-src"] == "'self'"
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert re.findall(r"<style\b|\sstyle=|\son[a-z]+=", page) == []


@pytest.fixture
def reports(caplog):
    csp_reports._throttle = csp_reports._Throttle()
    caplog.set_level(logging.DEBUG, logger="tidings.csp")
    return lambda: [r for r in caplog.records if r.name == "tidings.csp" and r.levelno == logging.WARNING]


def test_a_classic_report_is_logged_for_the_operator(client, reports):
    body = {
        "csp-report": {
            "document-uri": "https://news.example/articles/7/",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "blocked-uri": "inline",
            "source-file": "https://news.example/articles/7/",
            "line-number": 12,
            "script-sample": "alert(document.domain)",
        }
    }
    response = client.post("/csp-report/", json.dumps(body), content_type="application/csp-report")
    assert response.status_code == 204
    [record] = reports()
    assert record.getMessage() == (
        "Content-Security-Policy violation: script-src-elem blocked 'inline' on https://news.example/articles/7/ "
        "(source https://news.example/articles/7/ line 12, sample 'alert(document.domain)')"
    )
    assert record.csp_blocked == "inline"


def test_a_reporting_api_batch_is_logged(client, reports):
    body = [
        {"type": "csp-violation", "body": {"documentURL": "https://news.example/", "effectiveDirective": "img-src",
                                           "blockedURL": "ftp://x.example/a.png"}},
        {"type": "deprecation", "body": {"id": "x"}},
    ]  # fmt: skip
    response = client.post("/csp-report/", json.dumps(body), content_type="application/reports+json")
    assert response.status_code == 204
    assert [r.getMessage() for r in reports()] == [
        "Content-Security-Policy violation: img-src blocked 'ftp://x.example/a.png' on https://news.example/ "
        "(source - line -)"
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[]",
        b"{}",
        b'{"csp-report": "x"}',
        b'{"csp-report": {"blocked-uri": ["a", {"b": 1}], "line-number": true}}',
        b"[" * 5000 + b"]" * 5000,  # nested deeper than json.loads recurses
        json.dumps([{"type": "csp-violation", "body": None}]).encode(),
    ],
)
def test_junk_never_raises(client, reports, body):
    response = client.post("/csp-report/", body, content_type="application/csp-report")
    assert response.status_code == 204
    logged = reports()
    assert len(logged) == (1 if body.startswith(b'{"csp-report": {') else 0)


def test_a_report_carries_no_control_characters_into_the_log(client, reports):
    body = {"csp-report": {"blocked-uri": "https://x.example/\n2026-01-01 WARNING forged line", "document-uri": "a"}}
    client.post("/csp-report/", json.dumps(body), content_type="application/csp-report")
    [record] = reports()
    assert "\n" not in record.getMessage()
    assert "\\n2026-01-01 WARNING forged line" in record.getMessage()


def test_oversized_reports_are_refused_unread(client, reports):
    big = json.dumps({"csp-report": {"blocked-uri": "x" * csp_reports.REPORT_MAX_BYTES}})
    assert client.post("/csp-report/", big, content_type="application/csp-report").status_code == 413
    assert reports() == []


def test_only_post_is_accepted(client):
    response = client.get("/csp-report/")
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")


def test_logging_is_throttled_and_the_rest_counted(client, reports, settings):
    settings.CSP_REPORTS_LOGGED_PER_MINUTE = 3
    body = json.dumps({"csp-report": {"blocked-uri": "inline", "document-uri": "https://news.example/"}})
    for _ in range(10):
        assert client.post("/csp-report/", body, content_type="application/csp-report").status_code == 204
    assert len(reports()) == 3
    assert csp_reports._throttle.suppressed == 7
    csp_reports._throttle._window_start -= 61  # a minute later
    client.post("/csp-report/", body, content_type="application/csp-report")
    assert reports()[-1].getMessage().endswith("; 7 more reports were not logged")
