"""The JSON API v1 (Django Ninja): the routers, authentication and the problem shape. OpenAPI at /api/docs.

Every failure answers application/problem+json (api/problems.py), and the schema says so: each operation
documents the problems it can give (400 bad input, 401 no or wrong token, 404, 422 invalid values, 500; writes
also 403 and 429 with Retry-After), so a client, and the schema fuzzing test, can rely on the schema alone.
"""

from django.urls import re_path
from ninja import NinjaAPI

from . import problems
from .auth import AUTH
from .routers import articles, comments, me, publishers, search, stories

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "message"],
                "properties": {"location": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
PROBLEMS_FOR_EVERY_OPERATION = {
    "400": "The request cannot be used as sent (bad JSON, text with NUL, an unknown cursor, an empty search).",
    "401": "A token was sent and is not valid (or the endpoint needs a signed-in reader).",
    "404": "There is no such thing (or it is not shown any more).",
    "422": "Some values are not valid: `errors` says which.",
    "500": "A fault on the server (logged; no details are given).",
}
PROBLEMS_FOR_WRITES = {
    "403": "Not allowed: the reader may not do this, or the session's CSRF token is missing.",
    "429": "Too many requests in a short time: wait for Retry-After seconds.",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
WRITE_METHODS = ("post", "put", "patch", "delete")


class TidingsAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation):
        """The view's own name ("list_articles"), which client generators turn into method names."""
        return operation.view_func.__name__

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                wanted = dict(PROBLEMS_FOR_EVERY_OPERATION)
                if method in WRITE_METHODS:
                    wanted.update(PROBLEMS_FOR_WRITES)
                responses = operation.setdefault("responses", {})
                for status, description in wanted.items():
                    responses[status] = {"description": description, "content": problem}
                    if status == "429":
                        responses[status]["headers"] = RETRY_AFTER
        return schema

    def _get_urls(self):
        """Ninja's routes, answering an unsupported method with a problem, then a problem 404 for the rest."""
        urls = super()._get_urls()
        for pattern in urls:
            pattern.callback = problems.guarded(pattern.callback)
        return [*urls, re_path(r"^.*$", problems.not_found_view)]


api = TidingsAPI(
    title="Tidings API",
    version="1",
    description=(
        "The news as Tidings shows it, for apps. Sign in with a token made on your account page, sent as "
        "`Authorization: Bearer <token>`; the site's own pages use the session (with its CSRF token). "
        "Every failure is a problem details object (RFC 9457, application/problem+json)."
    ),
)
problems.install(api)
for router in (articles.router, stories.router, publishers.router, search.router, comments.router, me.router):
    api.add_router("/", router)

__all__ = ["AUTH", "api"]
