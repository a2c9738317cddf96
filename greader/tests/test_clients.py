"""The request sequences real clients send, from their public source, and the answers Miniflux or FreshRSS give.

Sources read for this file (paths in each project's repository):
* NetNewsWire: Modules/Account/Sources/Account/ReaderAPI/ReaderAPICaller.swift (endpoints, POST bodies, n=1000,
  item ids formatted %.16llx with the tag: prefix, ClientLogin lines split on "=" into exactly two parts, the
  token's trailing newline removed), URLRequest+ReaderAPI.swift (ClientLogin as a urlencoded POST),
  ReaderAPIEntry.swift (contents need "id", "updated" and items' "summary"), ReaderAPIUnreadEntry.swift
  (continuation decoded as a string), ReaderAPIAccountDelegate.swift (edit-tag in batches of 1000).
* Read You: app/src/main/java/me/ash/reader/infrastructure/rss/provider/greader/GoogleReaderAPI.kt (ClientLogin
  with output=json read as {"Auth": …}, output=json in every query, T in every POST form, n=10000, it= and xt=)
  and GoogleReaderDTO.kt; domain/service/GoogleReaderRssService.kt (contents in chunks of 100).
* RSS Guard: src/librssguard-greader/src/definitions.h (paths, n=200000, contents batches of 999, edit-tag
  batches of 200) and greadernetwork.cpp (Auth= parsed from lines, c= appended to the URL unescaped, published
  read as a number, read and starred taken from "categories").
* Reeder is closed source: Miniflux's internal/googlereader/item.go records that it sends 16 hex digits without
  the tag: prefix, and FreshRSS's p/api/greader.php that it sends T=x.
Answers are Miniflux's (internal/googlereader/handler.go, response.go) where the two servers agree, FreshRSS's
where only it serves an endpoint (unread-count).
"""

import json
from urllib.parse import urlencode

import pytest

from greader import protocol
from greader.models import ReadMark
from readers.models import Follow, SavedArticle

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def long_id(article) -> str:
    return f"tag:google.com,2005:reader/item/{article.pk:016x}"


class Client:
    """A feed reader: the Django test client with the Authorization header it keeps after ClientLogin."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def get(self, path, **params):
        return self.client.get(path, params, HTTP_AUTHORIZATION=f"GoogleLogin auth={self.token}")

    def post(self, path, body: str | list, query: str = ""):
        data = body if isinstance(body, str) else urlencode(body)
        return self.client.post(
            path + query, data, content_type=FORM, HTTP_AUTHORIZATION=f"GoogleLogin auth={self.token}"
        )


def login_lines(response) -> dict[str, str]:
    """ClientLogin's text answer as NetNewsWire reads it: lines split on "=" into exactly two parts."""
    pairs = [line.split("=") for line in response.content.decode().split("\n") if line]
    assert all(len(pair) == 2 for pair in pairs)
    return dict(pairs)


def test_netnewswire_sequence(client, world):
    a = world.articles
    # validateCredentials: POST Email & Passwd, urlencoded; Auth= read from the lines.
    response = client.post(
        "/accounts/ClientLogin", urlencode({"Email": "ana", "Passwd": world.secret}), content_type=FORM
    )
    assert (response.status_code, response["Content-Type"]) == (200, "text/plain; charset=utf-8")
    lines = login_lines(response)
    assert set(lines) == {"SID", "LSID", "Auth"} and lines["SID"] == lines["Auth"]
    nnw = Client(client, lines["Auth"])

    # requestAuthorizationToken: the body, less a trailing newline, is T.
    response = nnw.get("/reader/api/0/token")
    assert (response.status_code, response["Content-Type"]) == (200, "text/plain; charset=utf-8")
    body = response.content.decode()
    assert body.endswith("\n") and len(body.rstrip("\n")) == 57
    token = body.rstrip("\n")

    response = nnw.get("/reader/api/0/tag/list", output="json")
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "tags": [
            {"id": "user/-/state/com.google/starred"},
            {"id": "user/-/label/Europe", "label": "Europe", "type": "folder"},
            {"id": "user/-/label/International", "label": "International", "type": "folder"},
        ]
    }

    subscriptions = nnw.get("/reader/api/0/subscription/list", output="json").json()["subscriptions"]
    dp, gv = world.publishers["dp"], world.publishers["gv"]
    assert [(s["id"], s["title"], s["categories"], s["url"], s["htmlUrl"]) for s in subscriptions] == [
        (f"feed/{dp.pk}", "Daily Planet", [{"id": "user/-/label/Europe", "label": "Europe", "type": "folder"}],
         "https://daily-planet.example/feed.xml", "https://daily-planet.example/"),
        (f"feed/{gv.pk}", "Global Voices",
         [{"id": "user/-/label/International", "label": "International", "type": "folder"}],
         "https://global-voices.example/feed.xml", "https://global-voices.example/"),
    ]  # fmt: skip

    # retrieveItemIDs(.unread): n=1000, reading list less read; decimal ids, no continuation when all fit.
    unread = nnw.get(
        "/reader/api/0/stream/items/ids",
        n="1000", output="json", s="user/-/state/com.google/reading-list", xt="user/-/state/com.google/read",
    ).json()  # fmt: skip
    assert "continuation" not in unread
    assert [ref["id"] for ref in unread["itemRefs"]] == [str(a[k].pk) for k in ("gv1", "gv2", "gv3", "dp1", "dp2")]

    starred = nnw.get("/reader/api/0/stream/items/ids", n="1000", output="json", s="user/-/state/com.google/starred")
    assert starred.json() == {"itemRefs": []}

    # retrieveEntries: POST T, output=json and i= in the long hex form.
    body = f"T={token}&output=json&" + "&".join(f"i={long_id(a[k])}" for k in ("gv1", "dp1"))
    contents = nnw.post("/reader/api/0/stream/items/contents", body)
    assert contents["Content-Type"] == "application/json"
    data = contents.json()
    assert data["id"] == "user/-/state/com.google/reading-list" and isinstance(data["updated"], int)
    assert [item["id"] for item in data["items"]] == [long_id(a["gv1"]), long_id(a["dp1"])]
    gv1 = data["items"][0]
    assert gv1["categories"] == ["user/-/state/com.google/reading-list", "user/-/label/International"]
    assert gv1["origin"] == {"streamId": f"feed/{gv.pk}", "title": "Global Voices", "htmlUrl": gv.site_url}
    assert gv1["alternate"] == [{"href": a["gv1"].url, "type": "text/html"}]
    assert gv1["published"] == int(a["gv1"].published_at.timestamp())
    assert gv1["summary"] == gv1["content"]

    # Mark read, then star: plain "OK".
    response = nnw.post("/reader/api/0/edit-tag", f"T={token}&i={long_id(a['gv1'])}&a=user/-/state/com.google/read")
    assert (response.status_code, response["Content-Type"], response.content) == (
        200, "text/plain; charset=utf-8", b"OK",
    )  # fmt: skip
    response = nnw.post("/reader/api/0/edit-tag", f"T={token}&i={long_id(a['dp1'])}&a=user/-/state/com.google/starred")
    assert response.content == b"OK"
    assert list(ReadMark.objects.filter(user=world.user).values_list("article_id", flat=True)) == [a["gv1"].pk]
    assert list(SavedArticle.objects.filter(user=world.user).values_list("article_id", flat=True)) == [a["dp1"].pk]

    unread = nnw.get(
        "/reader/api/0/stream/items/ids",
        n="1000", output="json", s="user/-/state/com.google/reading-list", xt="user/-/state/com.google/read",
    ).json()  # fmt: skip
    assert [ref["id"] for ref in unread["itemRefs"]] == [str(a[k].pk) for k in ("gv2", "gv3", "dp1", "dp2")]
    starred = nnw.get("/reader/api/0/stream/items/ids", n="1000", output="json", s="user/-/state/com.google/starred")
    assert [ref["id"] for ref in starred.json()["itemRefs"]] == [str(a["dp1"].pk)]


def test_read_you_sequence(client, world):
    a = world.articles
    # reAuthenticate: output=json in the form, answer read as {"Auth": …}.
    response = client.post(
        "/accounts/ClientLogin",
        urlencode({"output": "json", "Email": "ana", "Passwd": world.secret, "client": "ReadYou",
                   "accountType": "HOSTED_OR_GOOGLE", "service": "reader"}),
        content_type=FORM,
    )  # fmt: skip
    assert response["Content-Type"] == "application/json"
    auth = response.json()
    assert set(auth) == {"SID", "LSID", "Auth"}
    ry = Client(client, auth["Auth"])
    token = ry.get("/reader/api/0/token").content.decode()

    assert ry.get("/reader/api/0/user-info", output="json").json() == {
        "userId": str(world.user.pk), "userName": "ana", "userProfileId": str(world.user.pk),
        "userEmail": "ana@example.org",
    }  # fmt: skip

    # getUnreadItemIds: s=reading-list, xt=read, n=10000; then getReadItemIds with it=read (useIt).
    unread = ry.get(
        "/reader/api/0/stream/items/ids", output="json", s=protocol.READING_LIST, xt=protocol.READ, n="10000"
    ).json()
    assert len(unread["itemRefs"]) == 5
    read = ry.get(
        "/reader/api/0/stream/items/ids", output="json", s=protocol.READING_LIST, it=protocol.READ, ot="0", n="10000"
    ).json()
    assert [ref["id"] for ref in read["itemRefs"]] == [str(a["old"].pk)]  # older than the unread window
    read_stream = ry.get("/reader/api/0/stream/items/ids", output="json", s=protocol.READ, ot="0", n="10000").json()
    assert read_stream == read

    # getItemsContents: decimal ids as stream/items/ids gave them, output=json in the query, T in the form.
    ids = [ref["id"] for ref in unread["itemRefs"]]
    response = ry.post(
        "/reader/api/0/stream/items/contents", [("i", i) for i in ids] + [("T", token)], query="?output=json"
    )
    assert [item["id"] for item in response.json()["items"]] == [protocol.long_item_id(int(i)) for i in ids]

    # editTag with a= and r=, then markAllAsRead for one feed with ts in microseconds.
    response = ry.post(
        "/reader/api/0/edit-tag", [("i", ids[0]), ("a", protocol.STARRED), ("T", token)], query="?output=json"
    )
    assert response.content == b"OK"
    response = ry.post(
        "/reader/api/0/edit-tag", [("i", ids[0]), ("r", protocol.STARRED), ("T", token)], query="?output=json"
    )
    assert response.content == b"OK"
    assert not SavedArticle.objects.filter(user=world.user).exists()
    gv = world.publishers["gv"]
    response = ry.post(
        "/reader/api/0/mark-all-as-read",
        [("s", f"feed/{gv.pk}"), ("ts", str(protocol.to_usec(a["gv2"].discovered_at))), ("T", token)],
        query="?output=json",
    )
    assert response.content == b"OK"
    assert set(ReadMark.objects.filter(user=world.user).values_list("article_id", flat=True)) == {
        a["gv2"].pk, a["gv3"].pk,  # crawled at or before ts; gv1 came later
    }  # fmt: skip


def test_rss_guard_sequence(client, world):
    a = world.articles
    response = client.post(
        "/accounts/ClientLogin", f"Email=ana&Passwd={world.secret}", content_type="application/x-www-form-urlencoded"
    )
    rg = Client(client, login_lines(response)["Auth"])
    assert rg.get("/reader/api/0/tag/list?output=json").status_code == 200
    assert len(rg.get("/reader/api/0/subscription/list?output=json").json()["subscriptions"]) == 2

    # itemIds: n=200000 (capped at 10000 here), s percent-encoded, c= appended unescaped; pages of 2 to follow it.
    ids, continuation, pages = [], "", 0
    while True:
        url = "/reader/api/0/stream/items/ids?output=json&n=2&s=user%2F-%2Fstate%2Fcom.google%2Freading-list"
        if continuation:
            url += f"&c={continuation}"
        data = rg.client.get(url, HTTP_AUTHORIZATION=f"GoogleLogin auth={rg.token}").json()
        ids += [ref["id"] for ref in data["itemRefs"]]
        pages += 1
        continuation = data.get("continuation", "")
        if not continuation:
            break
        assert isinstance(continuation, str)
    assert pages == 3
    assert ids == [str(a[k].pk) for k in ("gv1", "gv2", "gv3", "dp1", "dp2", "old")]
    capped = rg.get(
        "/reader/api/0/stream/items/ids?output=json&n=200000&s=user%2F-%2Fstate%2Fcom.google%2Freading-list"
    )
    assert len(capped.json()["itemRefs"]) == 6

    # Item contents: POST ?output=json&n=200000 with i= in the long form; state from "categories".
    ReadMark.objects.create(user=world.user, article=a["gv2"], read_at=a["gv2"].published_at)
    response = rg.post(
        "/reader/api/0/stream/items/contents",
        "&".join(f"i={long_id(a[k])}" for k in ("gv2", "old")),
        query="?output=json&n=200000",
    )
    items = response.json()["items"]
    assert all(protocol.READ in item["categories"] for item in items)
    assert all(isinstance(item["published"], int) for item in items)

    # Stream contents of one feed, percent-encoded in the path.
    dp = world.publishers["dp"]
    response = rg.get(f"/reader/api/0/stream/contents/feed%2F{dp.pk}?output=json&n=50")
    data = response.json()
    assert (data["id"], data["title"]) == (f"feed/{dp.pk}", "Daily Planet")
    assert [item["title"] for item in data["items"]] == ["Council votes on the bridge", "Harbour strike ends"]

    # editLabels: batches of i= then a= and T.
    response = rg.post(
        "/reader/api/0/edit-tag", f"i={long_id(a['dp1'])}&i={long_id(a['dp2'])}&a={protocol.READ}&T=ignored"
    )
    assert response.content == b"OK"
    assert ReadMark.objects.filter(user=world.user).count() == 3


def test_reeder_sequence(client, world):
    """Reeder (closed source), as the servers document it: 16 hex digits without a prefix, and T=x."""
    a = world.articles
    response = client.post("/accounts/ClientLogin", {"Email": "ana@example.org", "Passwd": world.secret})
    reeder = Client(client, login_lines(response)["Auth"])
    counts = reeder.get("/reader/api/0/unread-count", output="json").json()
    gv, dp = world.publishers["gv"], world.publishers["dp"]
    newest_gv = str(protocol.to_usec(a["gv1"].discovered_at))
    newest_dp = str(protocol.to_usec(a["dp1"].discovered_at))
    assert counts == {
        "max": 5,
        "unreadcounts": [
            {"id": f"feed/{gv.pk}", "count": 3, "newestItemTimestampUsec": newest_gv},  # publishers in id order
            {"id": f"feed/{dp.pk}", "count": 2, "newestItemTimestampUsec": newest_dp},
            {"id": "user/-/label/Europe", "count": 2, "newestItemTimestampUsec": newest_dp},
            {"id": "user/-/label/International", "count": 3, "newestItemTimestampUsec": newest_gv},
            {"id": "user/-/state/com.google/reading-list", "count": 5, "newestItemTimestampUsec": newest_gv},
        ],
    }
    short = f"{a['dp2'].pk:016x}"
    response = reeder.post("/reader/api/0/stream/items/contents", f"i={short}")
    assert [item["title"] for item in response.json()["items"]] == ["Harbour strike ends"]
    response = reeder.post("/reader/api/0/edit-tag", f"T=x&i={short}&a={protocol.READ}")
    assert response.content == b"OK"
    assert reeder.get("/reader/api/0/unread-count", output="json").json()["max"] == 4


def test_newsboat_edit_tag_forms(client, world):
    """The bodies newsboat posts (src/feedhqapi.cpp): read with r=kept-unread, unread with a=kept-unread and
    a=tracking-kept-unread, each with ac=edit and the token."""
    a = world.articles
    nb = Client(client, world.auth(client))
    token = nb.get("/reader/api/0/token").content.decode().strip()
    item = long_id(a["gv3"])
    read = f"i={item}&a={protocol.READ}&r={protocol.KEPT_UNREAD}&ac=edit&T={token}"
    assert nb.post("/reader/api/0/edit-tag", read).content == b"OK"
    assert ReadMark.objects.filter(user=world.user, article=a["gv3"]).exists()
    unread = f"i={item}&r={protocol.READ}&a={protocol.KEPT_UNREAD}&a=user/-/state/com.google/tracking-kept-unread"
    assert nb.post("/reader/api/0/edit-tag", f"{unread}&ac=edit&T={token}").content == b"OK"
    assert not ReadMark.objects.filter(user=world.user, article=a["gv3"]).exists()


def test_atom_stream_carries_state_as_newsboat_reads_it(client, world):
    a = world.articles
    nb = Client(client, world.auth(client))
    ReadMark.objects.create(user=world.user, article=a["gv2"], read_at=a["gv2"].published_at)
    response = nb.get(f"/reader/atom/feed/{world.publishers['gv'].pk}", n="20")
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    import xml.etree.ElementTree as ET

    ns = {"atom": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(response.content)
    labels = {
        entry.find("atom:id", ns).text: sorted(
            c.get("label")
            for c in entry.findall("atom:category", ns)
            if c.get("scheme") == "http://www.google.com/reader/"
        )
        for entry in root.findall("atom:entry", ns)
    }
    assert labels == {
        long_id(a["gv1"]): ["International", "fresh", "reading-list"],
        long_id(a["gv2"]): ["International", "read", "reading-list"],
        long_id(a["gv3"]): ["International", "fresh", "reading-list"],
        long_id(a["old"]): ["International", "read", "reading-list"],
    }


def test_content_follows_the_licence_as_the_article_page_does(client, world):
    a = world.articles
    nb = Client(client, world.auth(client))
    items = nb.post("/reader/api/0/stream/items/contents", f"i={a['gv1'].pk}&i={a['dp1'].pk}").json()["items"]
    full, excerpt = items[0]["content"]["content"], items[1]["content"]["content"]
    page_full = client.get(a["gv1"].get_absolute_url()).content.decode()
    page_excerpt = client.get(a["dp1"].get_absolute_url()).content.decode()
    assert full.strip() in page_full and excerpt.strip() in page_excerpt  # the page's own markup, word for word
    assert '<div class="body"><p>Volunteers map the flood.' in full and "Licence: CC BY 3.0." in full
    assert '<div class="body">' not in excerpt
    link = f'<a class="button" href="{a["dp1"].url}" rel="noopener">Read the full article at Daily Planet</a>'
    assert link in excerpt
    assert "Tidings shows an excerpt; the full article is on the publisher's site." in excerpt


def test_subscribe_and_unsubscribe_to_a_catalogue_publisher(client, world):
    ut = world.publishers["ut"]
    nb = Client(client, world.auth(client))
    response = nb.post("/reader/api/0/subscription/quickadd", f"quickadd=feed/{ut.pk}")
    assert response.json() == {
        "numResults": 1, "query": f"feed/{ut.pk}", "streamId": f"feed/{ut.pk}", "streamName": "Unfollowed Times",
    }  # fmt: skip
    assert Follow.objects.filter(user=world.user, publisher=ut).exists()
    response = nb.post("/reader/api/0/subscription/edit", f"s=feed/{ut.pk}&ac=unsubscribe")
    assert response.content == b"OK"
    assert not Follow.objects.filter(user=world.user, publisher=ut).exists()
    # NetNewsWire subscribes with the feed's URL.
    response = nb.post(
        "/reader/api/0/subscription/edit", "s=feed/https://unfollowed-times.example/feed.xml&ac=subscribe"
    )
    assert response.content == b"OK"
    assert Follow.objects.filter(user=world.user, publisher=ut).exists()
    response = nb.post("/reader/api/0/subscription/quickadd", "quickadd=https://unfollowed-times.example/feed.xml")
    assert json.loads(response.content)["streamId"] == f"feed/{ut.pk}"


def test_labels_on_items_as_freshrss_keeps_them(client, world):
    """edit-tag a=user/-/label/<name> labels items (FreshRSS editTag); the label is a tag beside the folders."""
    a = world.articles
    c = Client(client, world.auth(client))
    ut1, gv2 = a["ut1"], a["gv2"]
    body = f"i={long_id(ut1)}&i={long_id(gv2)}&a=user/-/label/Read later&T=x"
    assert c.post("/reader/api/0/edit-tag", body).content == b"OK"
    tags = c.get("/reader/api/0/tag/list", output="json").json()["tags"]
    assert tags[-1] == {"id": "user/-/label/Read later", "label": "Read later", "type": "tag"}
    ids = c.get("/reader/api/0/stream/items/ids", s="user/-/label/Read later").json()["itemRefs"]
    assert [ref["id"] for ref in ids] == [str(ut1.pk), str(gv2.pk)]  # newest first
    items = c.post("/reader/api/0/stream/items/contents", f"i={ut1.pk}").json()["items"]
    assert items[0]["categories"] == ["user/-/label/Europe", "user/-/label/Read later"]  # not followed: no reading-list
    counts = {
        row["id"]: row["count"] for row in c.get("/reader/api/0/unread-count", output="json").json()["unreadcounts"]
    }
    assert counts["user/-/label/Read later"] == 2
    assert c.post("/reader/api/0/edit-tag", f"i={ut1.pk}&r=user/-/label/Read later").content == b"OK"
    ids = c.get("/reader/api/0/stream/items/ids", s="user/-/label/Read later").json()["itemRefs"]
    assert [ref["id"] for ref in ids] == [str(gv2.pk)]


def test_items_contents_by_get_and_mark_all_as_read_without_a_time(client, world):
    """FreshRSS and Miniflux take i= in a GET too (Liferea, older clients); ts= left out means "up to now"."""
    a = world.articles
    c = Client(client, world.auth(client))
    response = c.client.get(
        f"/reader/api/0/stream/items/contents?output=json&i={a['gv1'].pk}&i={long_id(a['dp1'])}",
        HTTP_AUTHORIZATION=f"GoogleLogin auth={c.token}",
    )
    assert [item["title"] for item in response.json()["items"]] == [
        "Volunteers map the flood",
        "Council votes on the bridge",
    ]
    assert c.post("/reader/api/0/mark-all-as-read", f"s={protocol.READING_LIST}&T=x").content == b"OK"
    assert c.get("/reader/api/0/unread-count", output="json").json()["max"] == 0
    assert ReadMark.objects.filter(user=world.user).count() == 5
