"""One shape for every failure: RFC 9457 problem details (application/problem+json).

Every answer other than 2xx is {type, title, status, detail}; a 422 adds `errors` (where and what), a 429
carries Retry-After. `type` is "about:blank": the status says what kind of problem it is, `detail` says it
to the reader. The handlers do not depend on DEBUG: a 500 never shows a stack trace, it is logged.
"""

import functools
import json
import logging
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class FieldError(Schema):
    location: str  # e.g. "query.limit", "body.question"
    message: str


class Problem(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None  # only for 422


class ApiProblem(Exception):
    """Raised anywhere in the API to answer with a problem; `detail` is a sentence for the reader."""

    def __init__(self, status: int, detail: str, *, retry_after: int | None = None):
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


def problem_response(status: int, detail: str, *, errors=None, headers=None) -> HttpResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


SIGN_IN = "Sign in, or send an app token made on your account page as 'Authorization: Bearer <token>'."


def _location(error: dict) -> str:
    return ".".join(str(part) for part in error.get("loc", ()))


def install(api) -> None:
    """Register the problem handlers on a NinjaAPI, replacing Ninja's defaults (which vary with DEBUG)."""

    @api.exception_handler(ApiProblem)
    def _api_problem(request, exc: ApiProblem):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return problem_response(exc.status, exc.detail, headers=headers)

    @api.exception_handler(ValidationError)
    def _invalid(request, exc: ValidationError):
        errors = [{"location": _location(e), "message": str(e.get("msg", "invalid"))} for e in exc.errors]
        where = ", ".join(sorted({e["location"] for e in errors})) or "the request"
        return problem_response(422, f"Some values are not valid: {where}.", errors=errors)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return problem_response(401, SIGN_IN, headers={"WWW-Authenticate": 'Bearer realm="tidings"'})

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        detail = str(exc)
        if exc.status_code == 403 and "CSRF" in detail:
            detail = "The request did not carry this site's CSRF token (send X-CSRFToken with the cookie's value)."
        elif exc.status_code == 400 and detail.startswith("Cannot parse request body"):
            detail = "The request body is not valid JSON."
        return problem_response(exc.status_code, detail)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem_response(404, "There is nothing here (it may have been removed).")

    @api.exception_handler(Exception)
    def _server_error(request, exc):
        logger.exception("API request failed", extra={"path": request.path, "method": request.method})
        return problem_response(500, "Something went wrong on our side. It has been logged; please try again later.")


def not_found_view(request, *args, **kwargs):
    """Any /api/ path that names no endpoint."""
    return problem_response(404, "There is no API endpoint at this address. The list is at /api/docs.")


NUL = "\x00"
NUL_REFUSED = "Text with a NUL character (\\u0000) cannot be used."


def _carries_nul(request) -> bool:
    """PostgreSQL cannot store or compare text with NUL: refuse it at the door, for every field at once."""
    if NUL in request.path or any(NUL in key or NUL in value for key, values in request.GET.lists()
                                   for value in values):  # fmt: skip
        return True
    return b"\x00" in request.body or b"\\u0000" in request.body


def guarded(view):
    """Ninja's view with two answers Ninja would give in its own shape: text with NUL in it (400), and a method
    the address does not take (Ninja's bare 405, Allow kept)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            if _carries_nul(request):
                return problem_response(400, NUL_REFUSED)
        except RequestDataTooBig:
            return problem_response(413, "The request body is too large.")
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "") != PROBLEM_JSON:
            allowed = response.get("Allow", "")
            return problem_response(
                405, f"This address does not take {request.method}; it takes {allowed}.", headers={"Allow": allowed}
            )
        return response

    return wrapper
