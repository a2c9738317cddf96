"""Where browsers report Content-Security-Policy violations: logged for the operator, never trusted.

Anyone can POST here, so the endpoint reads at most REPORT_MAX_BYTES, accepts both report formats
(the classic ``report-uri`` body ``{"csp-report": {...}}`` and the Reporting API's list of
``{"type": "csp-violation", "body": {...}}``), logs a few short fields per report, at most
``settings.CSP_REPORTS_LOGGED_PER_MINUTE`` a minute in each process, and answers 204 whatever it
was sent (413 when too large, 405 when not a POST). Junk is counted, never raised.
"""

import json
import logging
import threading
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

LOGGER = logging.getLogger("tidings.csp")
# A real report is well under 2 KB; the Reporting API may batch a few.
REPORT_MAX_BYTES = 16 * 1024
# Fields logged, each cut to FIELD_MAX_CHARS: enough to find the page, the directive and the culprit.
FIELDS = {
    "document": ("document-uri", "documentURL"),
    "directive": ("effective-directive", "effectiveDirective", "violated-directive"),
    "blocked": ("blocked-uri", "blockedURL"),
    "source": ("source-file", "sourceFile"),
    "line": ("line-number", "lineNumber"),
    "sample": ("script-sample", "sample"),
}
FIELD_MAX_CHARS = 200
REPORTS_PER_REQUEST = 10


class _Throttle:
    """At most ``limit`` log lines a minute; the rest are counted and summed up in the next line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window_start = 0.0
        self._logged = 0
        self.suppressed = 0

    def allow(self, limit: int, now: float) -> tuple[bool, int]:
        with self._lock:
            if now - self._window_start >= 60:
                self._window_start, self._logged = now, 0
            if self._logged >= limit:
                self.suppressed += 1
                return False, 0
            self._logged += 1
            suppressed, self.suppressed = self.suppressed, 0
            return True, suppressed


_throttle = _Throttle()


def _reports(payload: object) -> list[dict]:
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    if isinstance(payload, list):
        return [
            item["body"]
            for item in payload[:REPORTS_PER_REQUEST]
            if isinstance(item, dict) and item.get("type") == "csp-violation" and isinstance(item.get("body"), dict)
        ]
    return []


def _field(report: dict, names: tuple[str, ...]) -> str:
    for name in names:
        value = report.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)[:FIELD_MAX_CHARS].encode("unicode_escape").decode("ascii")
    return ""


@csrf_exempt
def csp_report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = REPORT_MAX_BYTES + 1
    if declared > REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    body = request.read(REPORT_MAX_BYTES + 1)
    if len(body) > REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, bad UTF-8, or nested too deep
        payload = None
    reports = _reports(payload)
    if not reports:
        LOGGER.debug("Ignored a Content-Security-Policy report that could not be read (%d bytes).", len(body))
    for report in reports:
        allowed, suppressed = _throttle.allow(settings.CSP_REPORTS_LOGGED_PER_MINUTE, time.monotonic())
        if not allowed:
            continue
        fields = {key: _field(report, names) for key, names in FIELDS.items()}
        LOGGER.warning(
            "Content-Security-Policy violation: %s blocked %r on %s (source %s line %s%s)%s",
            fields["directive"] or "?",
            fields["blocked"],
            fields["document"],
            fields["source"] or "-",
            fields["line"] or "-",
            f", sample {fields['sample']!r}" if fields["sample"] else "",
            f"; {suppressed} more reports were not logged" if suppressed else "",
            extra={f"csp_{key}": value for key, value in fields.items()},
        )
    return HttpResponse(status=204)
