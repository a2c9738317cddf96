"""The installable app in a real browser (Debian's Chromium driven by Playwright, as in comments/tests/test_browser.py):
the manifest is found and valid, its icons load, the service worker is activated for the whole site, and with the
network cut a saved article that was opened before still opens (an article never opened shows the offline page);
signing out forgets the reader's kept pages.
"""

import struct
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from articles.models import Article
from sources.models import Publisher
from web.tests.browser import browser  # noqa: F401 - the Chromium fixture, shared

TIMEOUT_MS = 15_000
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
PHONE = {"width": 412, "height": 915}
PASSWORD = "correct horse battery staple 52"
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", body[16:24])


def make_article(publisher, n: int, title: str) -> Article:
    return Article.objects.create(
        publisher=publisher, url=f"https://harbour.example/{n}", canonical_url=f"https://harbour.example/{n}",
        url_hash=f"app-{n}", title=title, body_html_safe=f"<p>{title}: the full text, kept for offline reading.</p>",
        body_text=f"{title}: the full text, kept for offline reading.", status=Article.Status.READY,
        published_at=timezone.now() - timedelta(hours=n),
    )  # fmt: skip


def wait_until_cached(page, cache_name: str, path: str) -> None:
    page.wait_for_function(
        "([name, path]) => caches.open(name).then((c) => c.match(path)).then((r) => !!r)", arg=[cache_name, path]
    )


@pytest.mark.django_db(transaction=True)
def test_installable_app_works_offline(browser, live_server):  # noqa: F811 - the imported fixture
    publisher = Publisher.objects.create(
        name="Harbour Times", slug="harbour-times", licence="CC BY 4.0",
        display_policy=Publisher.DisplayPolicy.FULL_TEXT,
    )  # fmt: skip
    saved = make_article(publisher, 1, "Bridge reopens after eight months of repairs")
    never_opened = make_article(publisher, 2, "Ferry timetable changes for winter")
    User.objects.create_user("ana", "ana@example.org", PASSWORD)

    context = browser.new_context(base_url=live_server.url, viewport=PHONE, service_workers="allow")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # 1. The manifest is linked from every page and has what an installable app needs; its icons load.
    page.goto("/")
    manifest_url = page.eval_on_selector('link[rel="manifest"]', "link => link.href")
    assert manifest_url == f"{live_server.url}/manifest.webmanifest"
    response = context.request.get(manifest_url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["name"], manifest["short_name"]) == ("Tidings", "Tidings")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert manifest["theme_color"] == "#0b5cad" and manifest["background_color"] == "#ffffff"
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for (sizes, _purpose), src in icons.items():
        icon = context.request.get(f"{live_server.url}{src}")
        assert icon.status == 200 and icon.headers["content-type"] == "image/png"
        assert "x".join(map(str, png_size(icon.body()))) == sizes

    # 2. The service worker is served from the root, allowed the whole site, registered and activated.
    worker = context.request.get(f"{live_server.url}/sw.js")
    assert worker.headers["service-worker-allowed"] == "/"
    assert "__SHELL__" not in worker.text() and "__VERSION__" not in worker.text()
    state = page.evaluate("navigator.serviceWorker.ready.then((r) => [r.scope, r.active.state])")
    assert state == [f"{live_server.url}/", "activated"]
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    devtools = context.new_cdp_session(page)
    chromium_view = devtools.send("Page.getAppManifest")
    assert chromium_view["url"] == manifest_url and chromium_view["errors"] == []
    # Chromium's own installability check finds one thing only: Playwright's contexts are private windows.
    installability = devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert installability == [{"errorId": "in-incognito", "errorArguments": []}]

    # 3. A reader signs in, opens an article and saves it: the worker keeps it.
    page.goto(f"/login/?next={saved.get_absolute_url()}")
    page.fill("#id_username", "ana")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form.account-form button[type=submit]")
    with page.expect_navigation():
        page.click(f"form[action$='/save/article/{saved.pk}/'] button")
    assert page.locator(f"form[action$='/unsave/article/{saved.pk}/'] button").inner_text() == "Saved"
    wait_until_cached(page, "tidings-saved", saved.get_absolute_url())
    # Reading pages are kept as they are opened; account pages never are.
    page.goto("/account/")
    assert page.evaluate("caches.match('/account/').then((r) => r === undefined)") is True
    assert page.evaluate(f"caches.match('{saved.get_absolute_url()}').then((r) => r !== undefined)") is True
    page.goto(saved.get_absolute_url())

    # 4. "Download the App": without a browser install prompt, how to install by hand.
    assert page.locator("#install-app h2").inner_text() == "Download the App"
    assert page.locator("#install-how-other").is_visible()
    assert page.locator("#install-app-button").is_hidden()
    page.locator("#install-app").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-article.png"))

    # 5. The network is cut: the saved article still opens, one never opened shows the offline page.
    context.set_offline(True)
    page.goto(saved.get_absolute_url())
    assert page.locator("h1").inner_text() == "Bridge reopens after eight months of repairs"
    assert page.locator(".body").inner_text() == f"{saved.title}: the full text, kept for offline reading."
    # The copy kept is the one after saving, without the one-time "Saved for later." notice.
    assert page.locator(f"form[action$='/unsave/article/{saved.pk}/'] button").inner_text() == "Saved"
    assert page.locator(".messages").count() == 0
    page.screenshot(path=str(ARTIFACTS / "app.png"))
    page.goto(never_opened.get_absolute_url())
    assert page.locator("h1").inner_text() == "You are offline"
    page.screenshot(path=str(ARTIFACTS / "app-offline.png"))

    # 6. Signing out forgets the reader's kept pages on this device: offline, the saved article is gone too.
    context.set_offline(False)
    page.goto("/")
    with page.expect_navigation():
        page.click("form.signout button")
    page.wait_for_function(
        "(path) => caches.keys().then((names) => !names.includes('tidings-saved'))", arg=saved.get_absolute_url()
    )
    context.set_offline(True)
    page.goto(saved.get_absolute_url())
    assert page.locator("h1").inner_text() == "You are offline"
    context.set_offline(False)
    assert errors == []
    context.close()


@pytest.mark.django_db(transaction=True)
def test_download_the_app_uses_the_browsers_prompt_or_explains_the_way(browser, live_server):  # noqa: F811
    publisher = Publisher.objects.create(name="Harbour Times", slug="harbour-times", licence="CC BY 4.0")
    path = make_article(publisher, 1, "Bridge reopens").get_absolute_url()

    # Chromium offers installation through `beforeinstallprompt`, which a headless browser never fires (it cannot
    # install): the event is dispatched here with the two members the page uses, prompt() and userChoice.
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(path)
    page.evaluate(
        """() => {
          const event = new Event("beforeinstallprompt", { cancelable: true });
          event.prompt = () => { window.promptShown = true; };
          event.userChoice = Promise.resolve({ outcome: "accepted" });
          window.dispatchEvent(event);
        }"""
    )
    assert page.locator("#install-app-button").is_visible()
    assert page.locator("#install-how-other").is_hidden()
    page.click("#install-app-button")
    page.wait_for_selector("#install-done", state="visible")
    assert page.evaluate("window.promptShown") is True
    context.close()

    # iPhone Safari has no install prompt: the box says Share → Add to Home Screen.
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, user_agent=IPHONE_UA)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(path)
    assert page.locator("#install-how-ios").inner_text() == (
        "On iPhone and iPad, open this page in Safari, tap Share, then Add to Home Screen."
    )
    assert page.locator("#install-how-other").is_hidden()
    context.close()
