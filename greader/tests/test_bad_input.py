"""Bad input answered plainly: wrong passwords, unknown streams and items, bad continuations, huge batches."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import override_settings

from accounts import throttle
from greader import auth, protocol, views
from greader.models import AppPassword, ReadMark
from readers.models import SavedArticle

from .conftest import PASSWORD, make_article

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def login(client, email, password):
    return client.post("/accounts/ClientLogin", urlencode({"Email": email, "Passwd": password}), content_type=FORM)


def authed(client, world):
    token = world.auth(client)
    header = {"HTTP_AUTHORIZATION": f"GoogleLogin auth={token}"}

    def get(path, **params):
        return client.get(path, params, **header)

    def post(path, body):
        return client.post(path, body if isinstance(body, str) else urlencode(body), content_type=FORM, **header)

    return get, post


@pytest.mark.parametrize(
    "email, password",
    [
        ("ana", "wrong-wrong-wrong-wrong"),  # the right account, a wrong app password
        ("ana", PASSWORD),  # the account password is not an app password
        ("nobody", "wrong-wrong-wrong-wrong"),  # no such account
        ("ben", "secret-of-ana"),  # another account, with ana's app password (filled in below)
        ("", ""),
    ],
    ids=["wrong-app-password", "account-password", "no-such-account", "someone-elses-app-password", "empty"],
)
def test_a_failed_sign_in_is_401_and_never_says_which_part_was_wrong(client, world, django_user_model, email, password):
    django_user_model.objects.create_user(username="ben", email="ben@example.org", password=PASSWORD)
    if password == "secret-of-ana":
        password = world.secret
    response = login(client, email, password)
    assert (response.status_code, response["Content-Type"], response.content) == (
        401, "text/plain; charset=utf-8", b"Unauthorized",
    )  # fmt: skip


def test_failed_sign_ins_are_throttled_even_for_the_right_password(client, world):
    for _ in range(throttle.FAILURES_PER_USERNAME):
        assert login(client, "ana", "wrong-wrong-wrong-wrong").status_code == 401
    response = login(client, "ana", world.secret)
    assert (response.status_code, response["Retry-After"], response.content.decode()) == (
        429, "900", throttle.TOO_MANY_MESSAGE,
    )  # fmt: skip
    # The site's sign-in counts the same failures: one ledger per username, however the guesses come.
    assert throttle.is_blocked("ana", None)


def test_guesses_by_username_and_by_email_address_share_one_allowance(client, world):
    for _ in range(3):
        assert login(client, "ana@example.org", "wrong-wrong-wrong-wrong").status_code == 401
    for _ in range(throttle.FAILURES_PER_USERNAME - 3):
        assert login(client, "Ana", "wrong-wrong-wrong-wrong").status_code == 401
    assert login(client, "ana", world.secret).status_code == 429


def test_app_password_ignores_dashes_and_case_as_typed_on_a_phone(client, world):
    typed = world.secret.replace("-", "").upper()
    assert login(client, "ANA", typed).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["", "GoogleLogin auth=", "GoogleLogin auth=1/" + "0" * 64, "Bearer abc", "GoogleLogin auth=x/y", "GoogleLogin x"],
)
def test_a_bad_auth_token_is_401_with_the_bad_token_header(client, world, header):
    response = client.get("/reader/api/0/subscription/list?output=json", HTTP_AUTHORIZATION=header)
    assert (response.status_code, response["X-Reader-Google-Bad-Token"], response.content) == (
        401, "true", b"Unauthorized",
    )  # fmt: skip


def test_revoking_an_app_password_ends_its_tokens(client, world):
    token = world.auth(client)
    AppPassword.objects.filter(user=world.user).delete()
    response = client.get("/reader/api/0/user-info", HTTP_AUTHORIZATION=f"GoogleLogin auth={token}")
    assert response.status_code == 401


def test_a_closed_account_cannot_sign_in_or_use_its_tokens(client, world):
    token = world.auth(client)
    type(world.user).objects.filter(pk=world.user.pk).update(is_active=False)
    assert login(client, "ana", world.secret).status_code == 401
    assert client.get("/reader/api/0/user-info", HTTP_AUTHORIZATION=f"GoogleLogin auth={token}").status_code == 401


def test_a_post_without_the_header_may_carry_the_auth_token_as_t(client, world):
    token = world.auth(client)
    body = urlencode({"T": token, "i": world.articles["gv1"].pk, "a": protocol.READ})
    response = client.post("/reader/api/0/edit-tag", body, content_type=FORM)
    assert response.content == b"OK"
    response = client.post("/reader/api/0/edit-tag", body.replace(token[-8:], "00000000"), content_type=FORM)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "stream, status, message",
    [
        ("feed/999999", 404, "No publisher or feed here is feed/999999."),
        (
            "feed/https://nowhere.example/feed.xml",
            404,
            "No publisher or feed here is feed/https://nowhere.example/feed.xml.",
        ),
        ("user/-/label/Sports", 404, "You have no folder or label named 'Sports'."),
        ("user/-/state/com.google/nonsense", 400, "Unknown stream: 'user/-/state/com.google/nonsense'."),
        ("splat", 400, "Unknown stream: 'splat'."),
    ],
)
def test_an_unknown_stream_is_answered_plainly(client, world, stream, status, message):
    get, _ = authed(client, world)
    for path in ("/reader/api/0/stream/items/ids", "/reader/api/0/stream/contents"):
        response = get(path, s=stream, output="json")
        assert (response.status_code, response["Content-Type"], response.content.decode()) == (
            status, "text/plain; charset=utf-8", message,
        )  # fmt: skip


@pytest.mark.parametrize("continuation", ["abc", "12", "1-2-3", "-5", "99999999999999999999-1", "1700000000000000-x"])
def test_a_malformed_continuation_is_400(client, world, continuation):
    get, _ = authed(client, world)
    response = get("/reader/api/0/stream/items/ids", s=protocol.READING_LIST, c=continuation)
    assert (response.status_code, response.content.decode()) == (
        400, "Not a continuation this server gave: start again without c=.",
    )  # fmt: skip


def test_continuations_walk_the_stream_without_gaps_or_repeats_when_articles_share_a_time(client, world):
    gv = world.publishers["gv"]
    same = [make_article(gv, f"Same minute {i}", hours_ago=6) for i in range(5)]
    from articles.models import Article

    Article.objects.filter(pk__in=[a.pk for a in same]).update(published_at=same[0].published_at)
    get, _ = authed(client, world)
    seen, continuation = [], None
    while True:
        params = {"s": f"feed/{gv.pk}", "n": "2", **({"c": continuation} if continuation else {})}
        data = get("/reader/api/0/stream/items/ids", **params).json()
        seen += [int(ref["id"]) for ref in data["itemRefs"]]
        continuation = data.get("continuation")
        if continuation is None:
            break
    expected = [world.articles[k].pk for k in ("gv1", "gv2", "gv3")] + sorted((a.pk for a in same), reverse=True)
    assert seen == [*expected, world.articles["old"].pk]


@pytest.mark.parametrize("value", ["abc", "0", "-3", "tag:google.com,2005:reader/item/zz", "12.5", "٣"])
def test_a_malformed_item_id_is_400(client, world, value):
    _, post = authed(client, world)
    response = post("/reader/api/0/edit-tag", {"i": value, "a": protocol.READ})
    assert (response.status_code, response.content.decode()) == (400, f"Not an item id: {value!r}.")


def test_an_unknown_item_is_404(client, world):
    _, post = authed(client, world)
    response = post("/reader/api/0/edit-tag", {"i": 987654, "a": protocol.READ})
    assert (response.status_code, response.content.decode()) == (
        404, f"No such item here: {protocol.long_item_id(987654)}.",
    )  # fmt: skip
    response = post("/reader/api/0/stream/items/contents", [("i", 987654), ("i", 987655)])
    assert (response.status_code, response.content.decode()) == (
        404, f"None of these 2 items is here, starting with {protocol.long_item_id(987654)}.",
    )  # fmt: skip
    assert not ReadMark.objects.exists()


def test_a_batch_with_some_unknown_items_serves_the_known_ones(client, world):
    """Retention removes old articles: a client's batch may name one, and must not fail at every sync for it."""
    _, post = authed(client, world)
    gv1 = world.articles["gv1"]
    response = post("/reader/api/0/edit-tag", [("i", gv1.pk), ("i", 987654), ("a", protocol.READ)])
    assert response.content == b"OK"
    assert list(ReadMark.objects.values_list("article_id", flat=True)) == [gv1.pk]
    response = post("/reader/api/0/stream/items/contents", [("i", 987654), ("i", gv1.pk)])
    assert [item["id"] for item in response.json()["items"]] == [protocol.long_item_id(gv1.pk)]


def test_an_edit_on_an_article_the_reader_cannot_see_is_404(client, world):
    """An article still waiting for its page is in no list and has nothing to show: it cannot be edited."""
    _, post = authed(client, world)
    pending = world.articles["pending"]
    for tag in (protocol.READ, protocol.STARRED):
        response = post("/reader/api/0/edit-tag", {"i": protocol.long_item_id(pending.pk), "a": tag})
        assert (response.status_code, response.content.decode()) == (
            404, f"No such item here: {protocol.long_item_id(pending.pk)}.",
        )  # fmt: skip
    assert not ReadMark.objects.exists() and not SavedArticle.objects.exists()


def test_a_folded_copy_stands_for_the_article_it_was_folded_into(client, world):
    _, post = authed(client, world)
    response = post("/reader/api/0/edit-tag", {"i": world.articles["copy"].pk, "a": protocol.STARRED})
    assert response.content == b"OK"
    assert list(SavedArticle.objects.values_list("article_id", flat=True)) == [world.articles["dp2"].pk]


def test_a_huge_batch_is_refused_at_the_cap_and_served_below_it(client, world):
    _, post = authed(client, world)
    gv1 = world.articles["gv1"].pk
    at_cap = "&".join([f"i={gv1}"] * views.ITEMS_PER_REQUEST) + f"&a={protocol.READ}&T=x"
    assert post("/reader/api/0/edit-tag", at_cap).content == b"OK"
    over = "&".join([f"i={gv1}"] * (views.ITEMS_PER_REQUEST + 1)) + f"&a={protocol.READ}"
    for path in ("/reader/api/0/edit-tag", "/reader/api/0/stream/items/contents"):
        response = post(path, over)
        assert (response.status_code, response.content.decode()) == (400, views.TOO_MANY_ITEMS)
    flood = "&".join(["x=1"] * 50_000)  # more fields than any client sends: refused before any is read
    response = post("/reader/api/0/stream/items/contents", flood)
    assert (response.status_code, response.content.decode()) == (400, views.TOO_MANY_ITEMS)


def test_bad_tags_and_contradictions_in_edit_tag_are_400(client, world):
    _, post = authed(client, world)
    i = world.articles["gv1"].pk
    response = post("/reader/api/0/edit-tag", {"i": i, "a": "user/-/label/" + "x" * 101})
    assert (response.status_code, response.content.decode()) == (400, "A label is 1 to 100 characters long.")
    response = post("/reader/api/0/edit-tag", {"i": i, "a": "user/-/state/com.google/reading-list"})
    assert (response.status_code, response.content.decode()) == (
        400, "reading-list cannot be added to or removed from an item.",
    )  # fmt: skip
    response = post("/reader/api/0/edit-tag", [("i", i), ("a", protocol.READ), ("r", protocol.READ)])
    assert (response.status_code, response.content.decode()) == (400, "One request cannot both add and remove read.")
    response = post("/reader/api/0/edit-tag", {"i": i})
    assert (response.status_code, response.content.decode()) == (
        400, "a= or r= is missing: say which tag to add or remove.",
    )  # fmt: skip
    # Sharing and "like" tags are accepted and ignored, as Miniflux and FreshRSS do.
    assert post("/reader/api/0/edit-tag", {"i": i, "a": "user/-/state/com.google/broadcast"}).content == b"OK"


def test_quickadd_of_a_new_feed_is_refused_plainly_when_readers_may_not_add_feeds(client, world):
    _, post = authed(client, world)
    response = post("/reader/api/0/subscription/quickadd", {"quickadd": "https://new.example/feed.xml"})
    assert (response.status_code, response.content.decode()) == (
        403,
        "This Tidings does not let readers add feeds: follow publishers from its catalogue, "
        "or ask the operator to add this one.",
    )
    response = post("/reader/api/0/subscription/edit", {"s": "feed/https://new.example/feed.xml", "ac": "subscribe"})
    assert response.status_code == 403


@override_settings(READERS_MAY_ADD_FEEDS=True, ALLOW_PRIVATE_HOSTS=frozenset({"127.0.0.1"}))
def test_quickadd_adds_a_feed_when_the_operator_allows_it(client, world, local_server):
    feed_xml = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Lakeside Gazette</title>'
        b"<link>http://127.0.0.1/</link><item><title>Ferry resumes</title><link>http://127.0.0.1/a</link></item>"
        b"</channel></rss>"
    )
    local_server.route("/feed.xml", feed_xml, content_type="application/rss+xml")
    _, post = authed(client, world)
    url = local_server.url("/feed.xml")
    response = post("/reader/api/0/subscription/quickadd", {"quickadd": url})
    data = response.json()
    # sources.actions.add_feed names a publisher found by its feed's address after the host.
    assert (data["numResults"], data["query"], data["streamName"]) == (1, url, "127.0.0.1")
    response = post("/reader/api/0/subscription/quickadd", {"quickadd": local_server.url("/missing.xml")})
    assert response.json() == {
        "numResults": 0, "query": local_server.url("/missing.xml"), "error": "The address answered with HTTP 404.",
    }  # fmt: skip


def test_timestamps_in_every_unit_clients_use():
    moment = protocol.from_usec(1_733_000_000_123_456)
    assert protocol.parse_timestamp("1733000000") == moment.replace(microsecond=0)
    assert protocol.parse_timestamp("1733000000123") == moment.replace(microsecond=123_000)
    assert protocol.parse_timestamp("1733000000123456") == moment
    assert protocol.parse_timestamp("1733000000123456789") == moment
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_timestamp("999999999999")  # seconds, in the year 33658
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_timestamp("soon")
    assert moment - protocol.parse_timestamp("1733000000") < timedelta(seconds=1)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1234", 1234),
        ("tag:google.com,2005:reader/item/00000000000004d2", 1234),
        ("tag:google.com,2005:reader/item/4d2", 1234),
        ("00000000000004d2", 1234),
        (" 1234 ", 1234),
    ],
)
def test_item_ids_in_every_form_clients_send(value, expected):
    assert protocol.parse_item_id(value) == expected


def test_tokens_have_the_protocol_shape(world):
    app_password = AppPassword.objects.get(user=world.user)
    token = auth.auth_token(app_password)
    assert "=" not in token and token.startswith(f"{app_password.pk}/")
    assert len(auth.action_token(token)) == 57
    assert app_password.digest != world.secret and len(app_password.digest) == 64


def test_parts_not_served_and_edits_refused_are_said_plainly(client, world):
    get, post = authed(client, world)
    for path in ("/reader/api/0/rename-tag", "/reader/api/0/disable-tag", "/reader/api/0/subscription/export"):
        response = post(path, "s=user/-/label/Europe&dest=user/-/label/Elsewhere")
        assert (response.status_code, response.content.decode()) == (
            501, "Tidings does not serve this part of the Google Reader API.",
        )  # fmt: skip
    dp = world.publishers["dp"]
    response = post("/reader/api/0/subscription/edit", f"s=feed/{dp.pk}&ac=edit&t=My Planet")
    assert (response.status_code, response.content.decode()) == (
        400,
        "Tidings does not rename subscriptions or move them between folders: "
        "names and folders come from the catalogue.",
    )
    response = get("/reader/api/0/edit-tag", i=world.articles["gv1"].pk, a=protocol.READ)
    assert (response.status_code, response["Allow"]) == (405, "POST")


def test_client_login_by_get_is_refused_so_passwords_stay_out_of_urls(client, world):
    response = client.get("/accounts/ClientLogin", {"Email": "ana", "Passwd": world.secret})
    assert (response.status_code, response["Allow"]) == (405, "POST")


def test_a_control_character_in_a_title_costs_the_character_not_the_atom_feed(client, world):
    import xml.etree.ElementTree as ET

    gv = world.publishers["gv"]
    make_article(gv, "Bell\x07 rings\x0b twice", hours_ago=0.2)
    get, _ = authed(client, world)
    root = ET.fromstring(get(f"/reader/atom/feed/{gv.pk}").content)
    titles = [e.text for e in root.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title")]
    assert titles[0] == "Bell rings twice" and len(titles) == 5
