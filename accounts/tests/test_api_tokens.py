"""API tokens: hashed at rest, found by their hash, touched at most hourly, limited per reader."""

from datetime import timedelta

import pytest

from accounts import actions
from accounts.models import ApiToken, User
from core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return User.objects.create_user("reader", "reader@example.org", "a long password 1")


def test_a_token_is_found_by_its_hash_and_only_while_the_account_is_active(reader, django_assert_num_queries):
    row, token = actions.do_create_api_token(reader, "Phone")
    assert token.startswith("tid_") and len(token) > 40 and row.prefix == token[:10]
    with django_assert_num_queries(2):  # the token with its reader, then last_used_at (first use)
        assert actions.user_for_api_token(token) == reader
    with django_assert_num_queries(1):  # used a moment ago: no write
        assert actions.user_for_api_token(token) == reader
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=clock.now() - timedelta(hours=2))
    with django_assert_num_queries(2):
        actions.user_for_api_token(token)
    assert actions.user_for_api_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert actions.user_for_api_token(row.token_hash) is None  # the stored hash is not a token
    User.objects.filter(pk=reader.pk).update(is_active=False)
    assert actions.user_for_api_token(token) is None


def test_a_reader_has_at_most_twenty_tokens(reader):
    for n in range(actions.API_TOKENS_PER_READER):
        actions.check_create_api_token(reader, f"Device {n}")
    with pytest.raises(actions.ApiTokenError) as too_many:
        actions.check_create_api_token(reader, "One more")
    assert str(too_many.value) == "You have 20 tokens: revoke one you no longer use first."
    other = User.objects.create_user("x", "x@example.org", "a long password 2")
    with pytest.raises(actions.ApiTokenError) as too_long:
        actions.check_create_api_token(other, "n" * 101)
    assert str(too_long.value) == "Token names can be at most 100 characters long."
