"""The Google Reader API: the subset Miniflux and FreshRSS serve and clients use.

Answers follow those two servers (status codes, content types, JSON shapes, "OK" as plain text for writes);
docs/clients.md says which clients were checked and how. Errors are plain text a client can show or log.
"""

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import parse_qsl

from django.conf import settings
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt

from accounts import throttle
from articles.models import Article
from core import clock
from readers import actions as reader_actions
from readers.models import Follow
from sources import actions as source_actions
from sources.models import Feed

from . import actions, atom, auth, protocol, streams

logger = logging.getLogger(__name__)

# A client never needs more in one request: NetNewsWire marks read 1000 at a time, RSS Guard fetches 999 items,
# Read You 100. More is refused, not cut short, so a client never takes missing items for deleted ones.
ITEMS_PER_REQUEST = 1000
IDS_PER_PAGE = 10_000  # n= cap for stream/items/ids (Miniflux: MaxEntryIDsLimit 10000)
CONTENTS_PER_PAGE = 1000  # n= cap for stream/contents and /reader/atom
DEFAULT_IDS = 20
DEFAULT_CONTENTS = 20
MAX_FORM_FIELDS = ITEMS_PER_REQUEST + 20  # i= fields plus T, a, r, output…
TOO_MANY_ITEMS = f"Too many items in one request: send at most {ITEMS_PER_REQUEST}."


def text(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8", headers=headers)


def unauthorized() -> HttpResponse:
    return text("Unauthorized", 401, headers={"X-Reader-Google-Bad-Token": "true"})


class Form:
    """Query string and form body together, every value kept (clients repeat i=, a=, r=, s=).

    Django's request.POST stops at DATA_UPLOAD_MAX_NUMBER_FIELDS (1000), and NetNewsWire sends 1000 i= plus T
    and a=, so the body is parsed here with its own cap.
    """

    def __init__(self, request: HttpRequest):
        self.pairs = [(key, value) for key, values in request.GET.lists() for value in values]
        if request.method == "POST" and request.content_type in {"application/x-www-form-urlencoded", "", "text/plain"}:
            body = request.body.decode("utf-8", "replace")
            self.pairs += parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        elif request.method == "POST" and request.content_type == "multipart/form-data":
            self.pairs += [(key, value) for key, values in request.POST.lists() for value in values]

    def get(self, key: str, default: str | None = None) -> str | None:
        return next((value for name, value in self.pairs if name == key), default)

    def getlist(self, key: str) -> list[str]:
        return [value for name, value in self.pairs if name == key]


def api(view: Callable) -> Callable:
    """Authenticate by the Authorization header (or, without it, a POSTed T that is an Auth token, as Miniflux
    allows), parse the form, and turn the protocol's errors into plain 400 and 404 answers."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            form = Form(request)
        except ValueError:  # parse_qsl's field cap
            return text(TOO_MANY_ITEMS, 400)
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        token = ""
        if scheme == "GoogleLogin" and credentials.startswith("auth="):
            token = credentials[len("auth=") :]
        elif not header and request.method == "POST":
            token = form.get("T", "") or ""
        app_password = auth.check_auth_token(token) if token else None
        if app_password is None:
            return unauthorized()
        request.user = app_password.user
        request.greader_token = token
        try:
            return view(request, form, *args, **kwargs)
        except protocol.ProtocolError as exc:
            return text(str(exc), 400)
        except streams.UnknownStream as exc:
            return text(str(exc), 404)
        except UnknownItems as exc:
            return text(str(exc), 404)

    return wrapper


class UnknownItems(LookupError):
    pass


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


# Sign-in -----------------------------------------------------------------------------------------------------


@csrf_exempt
def client_login(request: HttpRequest) -> HttpResponse:
    """POST Email= and Passwd=: the username or e-mail address and an app password. Never by GET (as Miniflux):
    a password in a URL ends up in access logs."""
    if request.method != "POST":
        return text("Sign in with a POST.", 405, headers={"Allow": "POST"})
    try:
        form = Form(request)
    except ValueError:
        return text("Bad Request", 400)
    login = (form.get("Email") or "").strip()
    username, address = auth.throttle_name(login), throttle.client_address(request)
    if throttle.is_blocked(username, address):
        return text(throttle.TOO_MANY_MESSAGE, 429, headers={"Retry-After": str(throttle.WINDOW_SECONDS)})
    app_password = auth.check_login(login, form.get("Passwd") or "")
    if app_password is None:
        throttle.record_failure(username, address)
        logger.warning("greader sign-in failed", extra={"address": address})
        return unauthorized()
    throttle.reset_username(username)
    auth.touch(app_password, clock.now())
    token = auth.auth_token(app_password)
    if form.get("output") == "json":
        return _json({"SID": token, "LSID": token, "Auth": token})
    return text(f"SID={token}\nLSID={token}\nAuth={token}\n")


@api
def token(request, form):
    return text(auth.action_token(request.greader_token) + "\n")


@api
def user_info(request, form):
    user = request.user
    return _json(
        {
            "userId": str(user.pk),
            "userName": user.username,
            "userProfileId": str(user.pk),
            "userEmail": user.email or "",
        }
    )


# Subscriptions and folders ----------------------------------------------------------------------------------


def _followed(user) -> list[Follow]:
    return list(Follow.objects.filter(user=user, publisher__isnull=False).select_related("publisher"))


def _feed_urls(publisher_ids: list[int]) -> dict[int, str]:
    urls: dict[int, str] = {}
    for publisher_id, url in (
        Feed.objects.filter(publisher_id__in=publisher_ids).order_by("pk").values_list("publisher_id", "url")
    ):
        urls.setdefault(publisher_id, url)
    return urls


@api
def subscription_list(request, form):
    follows = _followed(request.user)
    ids = [f.publisher_id for f in follows]
    categories, urls = streams.categories_of(ids), _feed_urls(ids)
    subscriptions = []
    for follow in sorted(follows, key=lambda f: f.publisher.name.casefold()):
        publisher = follow.publisher
        category = categories.get(publisher.pk)
        subscriptions.append(
            {
                "id": protocol.feed_stream(publisher.pk),
                "title": publisher.name,
                "categories": [{"id": protocol.label_stream(category), "label": category, "type": "folder"}]
                if category
                else [],
                "url": urls.get(publisher.pk, ""),
                "htmlUrl": publisher.site_url,
                "iconUrl": "",
                "firstitemmsec": str(int(follow.created_at.timestamp() * 1000)),
            }
        )
    return _json({"subscriptions": subscriptions})


@api
def tag_list(request, form):
    ids = [f.publisher_id for f in Follow.objects.filter(user=request.user, publisher__isnull=False)]
    folders = sorted(set(streams.categories_of(ids).values()), key=str.casefold)
    labels = [name for name in streams.label_names(request.user) if name not in folders]
    tags = [
        {"id": protocol.STARRED},
        *({"id": protocol.label_stream(name), "label": name, "type": "folder"} for name in folders),
        *({"id": protocol.label_stream(name), "label": name, "type": "tag"} for name in labels),
    ]
    return _json({"tags": tags})


@api
def unread_count(request, form):
    now = clock.now()
    user = request.user
    follows = _followed(user)
    ids = [f.publisher_id for f in follows]
    categories = streams.categories_of(ids)
    rows = (
        streams.shown_articles()
        .filter(publisher_id__in=ids)
        .exclude(streams.read_condition(user, now))
        .values("publisher_id")
        .annotate(count=Count("pk"), newest=Max("discovered_at"))
        .order_by("publisher_id")
    )
    counts, folders = [], {}
    total, total_newest = 0, None
    for row in rows:
        newest = row["newest"]
        counts.append(
            {
                "id": protocol.feed_stream(row["publisher_id"]),
                "count": row["count"],
                "newestItemTimestampUsec": str(protocol.to_usec(newest)),
            }
        )
        total += row["count"]
        total_newest = max(total_newest, newest) if total_newest else newest
        if name := categories.get(row["publisher_id"]):
            count, folder_newest = folders.get(name, (0, newest))
            folders[name] = (count + row["count"], max(folder_newest, newest))
    for name, counted in streams.unread_label_counts(user, now).items():
        folders.setdefault(name, counted)  # a folder of the same name is counted already
    for name, (count, newest) in sorted(folders.items()):
        counts.append(
            {
                "id": protocol.label_stream(name),
                "count": count,
                "newestItemTimestampUsec": str(protocol.to_usec(newest)),
            }
        )
    counts.append(
        {
            "id": protocol.READING_LIST,
            "count": total,
            "newestItemTimestampUsec": str(protocol.to_usec(total_newest)) if total_newest else "0",
        }
    )
    return _json({"max": total, "unreadcounts": counts})


def _subscribe_target(user, key: str):
    """The publisher a subscribe names: one here already, or a feed a reader may add when the operator allows."""
    try:
        return streams.publisher_for(key)
    except streams.UnknownStream:
        if not (key.startswith("http://") or key.startswith("https://")):
            raise
    if not settings.READERS_MAY_ADD_FEEDS:
        raise ReadersMayNotAddFeeds
    return source_actions.add_feed(key).publisher


class ReadersMayNotAddFeeds(PermissionError):
    message = (
        "This Tidings does not let readers add feeds: follow publishers from its catalogue, "
        "or ask the operator to add this one."
    )


@api
def quickadd(request, form):
    query = (form.get("quickadd") or "").strip()
    if not query:
        return text("quickadd= is missing: send the address of a feed or site.", 400)
    key = query[len(protocol.FEED_PREFIX) :] if query.startswith(protocol.FEED_PREFIX) else query
    try:
        publisher = _subscribe_target(request.user, key)
    except ReadersMayNotAddFeeds as exc:
        return text(exc.message, 403)
    except streams.UnknownStream:
        return text(f"{query[:200]} is neither a feed address nor a publisher here.", 400)
    except source_actions.AddFeedError as exc:
        return _json({"numResults": 0, "query": query, "error": str(exc)})
    reader_actions.do_follow(request.user, publisher)
    return _json(
        {"numResults": 1, "query": query, "streamId": protocol.feed_stream(publisher.pk), "streamName": publisher.name}
    )


@api
def subscription_edit(request, form):
    action = form.get("ac") or ""
    targets = form.getlist("s")
    if not targets:
        return text("s= is missing: name the subscription, such as feed/12.", 400)
    parsed = [protocol.parse_stream(s) for s in targets]
    if any(stream.kind != "feed" for stream in parsed):
        return text("Only feeds (feed/…) can be subscribed to.", 400)
    if action == "subscribe":
        try:
            publishers = [_subscribe_target(request.user, stream.key) for stream in parsed]
        except ReadersMayNotAddFeeds as exc:
            return text(exc.message, 403)
        except source_actions.AddFeedError as exc:
            return text(str(exc), 400)
        for publisher in publishers:
            reader_actions.do_follow(request.user, publisher)
        return text("OK")
    if action == "unsubscribe":
        publishers = [streams.publisher_for(stream.key) for stream in parsed]
        for publisher in publishers:
            reader_actions.do_unfollow(request.user, publisher)
        return text("OK")
    if action == "edit":
        return text(
            "Tidings does not rename subscriptions or move them between folders: "
            "names and folders come from the catalogue.",
            400,
        )
    return text("ac= must be subscribe, unsubscribe or edit.", 400)


# Streams ---------------------------------------------------------------------------------------------------


def _filters(form) -> dict:
    return {
        "exclude": [protocol.parse_stream(s) for s in form.getlist("xt") if s],
        "include": [protocol.parse_stream(s) for s in form.getlist("it") if s],
        "newer_than": protocol.parse_timestamp(form.get("ot")) if form.get("ot") else None,
        "older_than": protocol.parse_timestamp(form.get("nt")) if form.get("nt") else None,
    }


def _stream_page(request, form, stream_id: str, *, default: int, cap: int, with_publishers: bool = False):
    now = clock.now()
    resolved = streams.resolve(request.user, protocol.parse_stream(stream_id), now)
    articles = streams.apply_filters(resolved.articles, request.user, now, **_filters(form))
    count = protocol.parse_count(form.get("n"), default=default, cap=cap)
    after = protocol.parse_continuation(form.get("c")) if form.get("c") else None
    if with_publishers:
        articles = articles.select_related("publisher")
    rows, continuation = streams.page(articles, count=count, oldest_first=form.get("r") == "o", after=after)
    return now, resolved, rows, continuation


@api
def stream_item_ids(request, form):
    stream_id = form.get("s")
    if not stream_id:
        return text("s= is missing: name a stream, such as user/-/state/com.google/reading-list.", 400)
    _, _, rows, continuation = _stream_page(request, form, stream_id, default=DEFAULT_IDS, cap=IDS_PER_PAGE)
    data = {"itemRefs": [{"id": str(a.pk), "timestampUsec": str(protocol.to_usec(a.published_at))} for a in rows]}
    if continuation:
        data["continuation"] = continuation
    return _json(data)


def item_json(
    article: Article, *, read: bool, starred: bool, category: str | None, labels: list[str], following: bool
) -> dict:
    body = render_to_string("web/_article_text.html", {"article": article})
    categories = []
    if following:
        categories.append(protocol.READING_LIST)
    if category:
        categories.append(protocol.label_stream(category))
    categories += [protocol.label_stream(name) for name in labels if name != category]
    if read:
        categories.append(protocol.READ)
    if starred:
        categories.append(protocol.STARRED)
    publisher = article.publisher
    return {
        "id": protocol.long_item_id(article.pk),
        "crawlTimeMsec": str(int(article.discovered_at.timestamp() * 1000)),
        "timestampUsec": str(protocol.to_usec(article.published_at)),
        "published": int(article.published_at.timestamp()),
        "updated": int((article.extracted_at or article.published_at).timestamp()),
        "title": article.title,
        "author": article.byline,
        "categories": categories,
        "alternate": [{"href": article.url, "type": "text/html"}],
        "canonical": [{"href": article.url}],
        "summary": {"direction": "ltr", "content": body},
        "content": {"direction": "ltr", "content": body},
        "origin": {
            "streamId": protocol.feed_stream(publisher.pk),
            "title": publisher.name,
            "htmlUrl": publisher.site_url,
        },
    }


def items_json(user, articles: list[Article], now) -> list[dict]:
    """Items with their state, in a fixed number of queries whatever their number (marks, saves, follows, folders)."""
    ids = [a.pk for a in articles]
    read, starred, labels = streams.states(user, ids)
    publisher_ids = {a.publisher_id for a in articles}
    followed = set(
        Follow.objects.filter(user=user, publisher_id__in=publisher_ids).values_list("publisher_id", flat=True)
    )
    categories = streams.categories_of(publisher_ids)
    return [
        item_json(
            a,
            read=streams.is_read(a, read, now),
            starred=a.pk in starred,
            category=categories.get(a.publisher_id),
            labels=labels.get(a.pk, []),
            following=a.publisher_id in followed,
        )
        for a in articles
    ]


def _contents(request, resolved_id: str, title: str, items: list[dict], continuation: str | None) -> JsonResponse:
    data = {
        "direction": "ltr",
        "id": resolved_id,
        "title": title,
        "author": request.user.username,
        "self": [{"href": request.build_absolute_uri(request.path)}],
        "updated": int(clock.now().timestamp()),
        "items": items,
    }
    if continuation:
        data["continuation"] = continuation
    return _json(data)


@api
def stream_contents(request, form, stream_id: str = ""):
    stream_id = stream_id or form.get("s") or protocol.READING_LIST
    now, resolved, rows, continuation = _stream_page(
        request, form, stream_id, default=DEFAULT_CONTENTS, cap=CONTENTS_PER_PAGE, with_publishers=True
    )
    return _contents(request, resolved.stream_id, resolved.title, items_json(request.user, rows, now), continuation)


def _articles_for(form) -> list[Article]:
    """The articles named by i=, in the order asked; a folded copy stands for the article it was folded into.

    An id that names nothing a reader can see (never stored, removed by retention, still waiting for its page)
    is left out, as Miniflux and FreshRSS do: a client whose batch holds one pruned article must not fail the
    whole batch at every sync. Only a request that names nothing at all is refused.
    """
    values = form.getlist("i")
    if not values:
        raise protocol.ProtocolError("i= is missing: name at least one item.")
    if len(values) > ITEMS_PER_REQUEST:
        raise TooMany
    ids = list(dict.fromkeys(protocol.parse_item_id(v) for v in values))
    found = {
        a.pk: a
        for a in Article.objects.filter(pk__in=ids).select_related("publisher", "duplicate_of__publisher")
        if a.status != Article.Status.PENDING
    }
    if not found:
        first = protocol.long_item_id(ids[0])
        if len(ids) == 1:
            raise UnknownItems(f"No such item here: {first}.")
        raise UnknownItems(f"None of these {len(ids)} items is here, starting with {first}.")
    articles = [found[pk].duplicate_of or found[pk] for pk in ids if pk in found]
    return list({a.pk: a for a in articles}.values())


class TooMany(ValueError):
    pass


@api
def stream_items_contents(request, form):
    try:
        articles = _articles_for(form)
    except TooMany:
        return text(TOO_MANY_ITEMS, 400)
    if form.get("r") == "o":
        articles.sort(key=lambda a: (a.published_at, a.pk))
    else:
        articles.sort(key=lambda a: (a.published_at, a.pk), reverse=True)
    return _contents(
        request, protocol.READING_LIST, "Reading list", items_json(request.user, articles, clock.now()), None
    )


# Writes ---------------------------------------------------------------------------------------------------


@api
def edit_tag(request, form):
    if request.method != "POST":
        return text("Send edit-tag as a POST.", 405, headers={"Allow": "POST"})
    add = [protocol.parse_stream(s) for s in form.getlist("a") if s]
    remove = [protocol.parse_stream(s) for s in form.getlist("r") if s]
    if not add and not remove:
        return text("a= or r= is missing: say which tag to add or remove.", 400)
    changes = _tag_changes(add, remove)
    try:
        articles = _articles_for(form)
    except TooMany:
        return text(TOO_MANY_ITEMS, 400)
    now, user = clock.now(), request.user
    ids = [a.pk for a in articles]
    if changes.get("read") is True:
        actions.do_mark_read(user, ids, now=now)
    elif changes.get("read") is False:
        actions.do_mark_unread(user, ids)
    if "starred" in changes:
        for article in articles:
            if changes["starred"]:
                reader_actions.do_save(user, article, now=now)
            else:
                reader_actions.do_unsave(user, article)
    for change, adding in changes.items():
        if change.startswith("label:"):
            name = change.removeprefix("label:")
            if adding:
                actions.do_label(user, ids, name, now=now)
            else:
                actions.do_unlabel(user, ids, name)
    return text("OK")


LABEL_MAX = 100  # ItemLabel.name


def _label_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > LABEL_MAX:
        raise protocol.ProtocolError(f"A label is 1 to {LABEL_MAX} characters long.")
    return name


def _tag_changes(add: list[protocol.Stream], remove: list[protocol.Stream]) -> dict[str, bool]:
    """{"read": bool, "starred": bool, "label:<name>": bool} from a= and r=, as Miniflux's checkAndSimplifyTags:
    kept-unread is the opposite of read, and one request cannot both add and remove the same state."""
    changes: dict[str, bool] = {}

    def set_state(name: str, value: bool) -> None:
        if changes.get(name, value) != value:
            raise protocol.ProtocolError(f"One request cannot both add and remove {name}.")
        changes[name] = value

    for streams_, adding in ((add, True), (remove, False)):
        for stream in streams_:
            if stream.kind == "read":
                set_state("read", adding)
            elif stream.kind == "kept-unread":
                set_state("read", not adding)
            elif stream.kind == "starred":
                set_state("starred", adding)
            elif stream.kind == "ignored":
                continue
            elif stream.kind == "label":
                set_state(f"label:{_label_name(stream.key)}", adding)
            else:
                raise protocol.ProtocolError(f"{stream.kind} cannot be added to or removed from an item.")
    return changes


@api
def mark_all_as_read(request, form):
    if request.method != "POST":
        return text("Send mark-all-as-read as a POST.", 405, headers={"Allow": "POST"})
    stream_id = form.get("s")
    if not stream_id:
        return text("s= is missing: name the stream to mark read.", 400)
    now = clock.now()
    resolved = streams.resolve(request.user, protocol.parse_stream(stream_id), now)
    before = protocol.parse_timestamp(form.get("ts")) if form.get("ts") not in (None, "", "0") else now
    actions.do_mark_all_read(request.user, resolved.articles, before=before, now=now)
    return text("OK")


@api
def atom_stream(request, form, stream_id: str):
    """/reader/atom/<stream>: the Atom form of a stream, which newsboat reads in its FeedHQ mode."""
    now, resolved, rows, continuation = _stream_page(
        request, form, stream_id, default=DEFAULT_CONTENTS, cap=CONTENTS_PER_PAGE, with_publishers=True
    )
    body = atom.render(
        resolved, items_json(request.user, rows, now), continuation, now=now, self_url=request.build_absolute_uri()
    )
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")


@csrf_exempt
def not_served(request, rest: str = ""):
    """Endpoints Tidings does not serve (rename-tag, disable-tag, subscription/import…): a plain 501."""
    return text("Tidings does not serve this part of the Google Reader API.", 501)
