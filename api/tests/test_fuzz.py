"""Property-based fuzzing of the whole API schema with schemathesis, against a live server on 127.0.0.1 over a
seeded database, as an anonymous visitor and as a signed-in reader with an app token.

Every operation gets bounded examples (MAX_EXAMPLES valid and MAX_EXAMPLES invalid inputs): no answer may be a
server error, and every answer must be what the schema documents: status code, content type, headers and body,
the problem shapes included. (The schemathesis pytest plugin does not run under pytest 9, so the operations are
walked here, each with its own Hypothesis run, and every failure is reported at the end.)
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .seed import seed

# Bounded so the whole fuzzing (26 operations, both modes, anonymous and signed in) stays within a few minutes
# on a shared 2-core machine.
MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Operations for which no invalid request can be made (no parameters, or a slug, which may be any text).
UNSATISFIABLE = ["GET /api/hashtags/{slug}", "GET /api/publishers", "GET /api/publishers/{slug}"]
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # nothing written to the work tree
    derandomize=True,  # the same examples every run, so a failure here is reproducible
    phases=[Phase.explicit, Phase.generate],  # no shrinking: it could take minutes; the report names the case
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def newsroom_live(transactional_db, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return seed()


def fuzz(base_url: str, headers: dict) -> tuple[int, list[str], list[str]]:
    """Run every operation of the live schema; (operations run, failures as text, operations that take any input)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    failures, unsatisfiable, count = [], [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        count += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @FUZZ_SETTINGS
            def run(case):
                case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # No invalid input exists for this operation (every string is a valid slug): nothing to send.
                assert mode == GenerationMode.NEGATIVE, operation.label
                unsatisfiable.append(operation.label)
            except Exception as exc:  # a check failed: collect it, fuzz the rest, report all at the end
                failures.append(f"{operation.label} ({mode}): {exc}")
    return count, failures, unsatisfiable


def test_anonymous_requests_get_documented_answers(newsroom_live, live_server):
    count, failures, unsatisfiable = fuzz(live_server.url, {})
    assert count == 26  # every operation in the schema
    assert failures == []
    assert unsatisfiable == UNSATISFIABLE


def test_a_signed_in_readers_requests_get_documented_answers(newsroom_live, live_server):
    count, failures, unsatisfiable = fuzz(live_server.url, {"Authorization": f"Bearer {newsroom_live.token}"})
    assert count == 26  # every operation in the schema
    assert failures == []
    assert unsatisfiable == UNSATISFIABLE
