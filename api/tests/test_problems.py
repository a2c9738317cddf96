"""Every failure is an RFC 9457 problem (application/problem+json), whatever DEBUG says, and a 500 never
shows a stack trace."""

import json
import logging

import pytest
from django.test import Client, override_settings
from django.urls import path
from ninja import Router

from api.api import TidingsAPI
from api.problems import install

pytestmark = pytest.mark.django_db

failing = TidingsAPI(urls_namespace="failing-api")
install(failing)
broken = Router()


@broken.get("/fault")
def fault(request):
    raise RuntimeError("secret internals: /srv/tidings/settings.py line 12")


failing.add_router("/", broken)
urlpatterns = [path("api/", failing.urls)]


def problem(response) -> dict:
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code
    return body


@pytest.mark.parametrize("debug", [False, True])
def test_a_fault_is_a_500_problem_without_a_trace_with_or_without_debug(settings, debug, caplog):
    settings.DEBUG = debug
    with override_settings(ROOT_URLCONF=__name__), caplog.at_level(logging.ERROR, logger="api.problems"):
        response = Client(raise_request_exception=False).get("/api/fault")
    assert response.status_code == 500
    assert problem(response) == {
        "type": "about:blank", "title": "Internal Server Error", "status": 500,
        "detail": "Something went wrong on our side. It has been logged; please try again later.",
    }  # fmt: skip
    assert "secret internals" not in response.content.decode()
    assert "secret internals" in caplog.text  # the operator still sees it, in the log


def test_an_unknown_address_under_api_is_a_404_problem(client):
    response = client.get("/api/no/such/thing")
    assert response.status_code == 404
    assert problem(response)["detail"] == "There is no API endpoint at this address. The list is at /api/docs."


def test_a_method_the_address_does_not_take_is_a_405_problem_with_allow(client, newsroom):
    response = client.delete("/api/articles")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert problem(response)["detail"] == "This address does not take DELETE; it takes GET."


def test_invalid_values_are_a_422_problem_that_says_where(client, newsroom):
    response = client.get("/api/articles?limit=0&story=x")
    assert response.status_code == 422
    body = problem(response)
    assert body["detail"] == "Some values are not valid: query.limit, query.story."
    assert [e["location"] for e in body["errors"]] == ["query.limit", "query.story"]


def test_the_schema_documents_the_problems(client):
    schema = client.get("/api/openapi.json").json()
    ask = schema["paths"]["/api/articles/{article_id}/ask"]["post"]["responses"]
    assert set(ask) == {"200", "400", "401", "403", "404", "422", "429", "500"}
    assert ask["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert list(ask["404"]["content"]) == ["application/problem+json"]
    listing = schema["paths"]["/api/articles"]["get"]["responses"]
    assert set(listing) == {"200", "400", "401", "404", "422", "500"}
    assert json.dumps(schema["components"]["schemas"]["Problem"]["required"]) == '["type", "title", "status", "detail"]'
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)) == 26 and "list_articles" in ids


def test_docs_are_served(client):
    assert client.get("/api/docs").status_code == 200
