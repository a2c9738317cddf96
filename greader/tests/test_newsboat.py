"""newsboat, Debian's build, in its Google Reader (FeedHQ) mode against a live Tidings: the real client.

newsboat signs in with ClientLogin, reads subscription/list, then each subscription as /reader/atom/feed/<id>
(src/feedhqapi.cpp, newsboat 2.21). `make test` installs newsboat (Makefile target /usr/bin/newsboat).
"""

import re
import shutil
import subprocess

import pytest
from django.utils import timezone

from greader import actions

from .conftest import PASSWORD, build_world

NEWSBOAT = shutil.which("newsboat") or "/usr/bin/newsboat"


def newsboat(home, server_url: str, username: str, secret: str) -> subprocess.CompletedProcess:
    """`newsboat -x reload print-unread` with its own config, cache and url files."""
    config = home / "config"
    config.write_text(
        "\n".join(
            [
                'urls-source "feedhq"',
                f'feedhq-url "{server_url}"',
                f'feedhq-login "{username}"',
                f'feedhq-password "{secret}"',
                "feedhq-show-special-feeds no",
                "feedhq-min-items 50",
                "download-retries 1",
                "download-timeout 20",
                "",
            ]
        )
    )
    (home / "urls").write_text("")
    result = subprocess.run(
        [NEWSBOAT, "-C", config, "-c", home / "cache.db", "-u", home / "urls", "-x", "reload", "print-unread"],
        capture_output=True, text=True, timeout=120, env={"HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )  # fmt: skip
    return result


def run_newsboat(home, server_url: str, username: str, secret: str) -> int:
    """The unread count newsboat prints after a reload."""
    result = newsboat(home, server_url, username, secret)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"^(\d+) unread articles?$", result.stdout, re.MULTILINE)
    assert match, result.stdout
    return int(match[1])


@pytest.mark.django_db(transaction=True)
def test_newsboat_counts_what_the_server_counts_and_sees_reads_made_on_the_server(
    live_server, tmp_path, django_user_model, client
):
    world = build_world(django_user_model)
    token = world.auth(client)
    server_count = client.get(
        "/reader/api/0/unread-count?output=json", HTTP_AUTHORIZATION=f"GoogleLogin auth={token}"
    ).json()["max"]
    assert server_count == 5  # three Global Voices and two Daily Planet articles; old, pending and copies are not

    assert run_newsboat(tmp_path, live_server.url, "ana", world.secret) == server_count

    # Marked read elsewhere (the site, another app): newsboat sees it on its next reload.
    actions.do_mark_read(world.user, [world.articles["gv1"].pk, world.articles["dp2"].pk], now=timezone.now())
    assert run_newsboat(tmp_path, live_server.url, "ana", world.secret) == 3

    # Marked unread again: "fresh" on the entry makes newsboat count it again.
    actions.do_mark_unread(world.user, [world.articles["gv1"].pk])
    assert run_newsboat(tmp_path, live_server.url, "ana", world.secret) == 4


@pytest.mark.django_db(transaction=True)
def test_newsboat_with_the_account_password_is_refused(live_server, tmp_path, django_user_model):
    build_world(django_user_model)
    result = newsboat(tmp_path, live_server.url, "ana", PASSWORD)  # the account password, not an app password
    assert (result.returncode, result.stdout) == (1, "Authentication failed.\n")
