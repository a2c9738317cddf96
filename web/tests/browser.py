"""Headless Chromium for security tests, with a watcher that counts what must never happen.

The one browser fixture of the suite (Debian's /usr/bin/chromium driven by sync
Playwright; a missing browser fails, never skips). ``Watcher`` attaches to a page and records:

* dialogs (alert, confirm, prompt, print all end in one) and ``window.__pwned`` being set;
* Content-Security-Policy violations (``securitypolicyviolation`` events, in every frame) and console errors;
* navigations of any frame to a URL that is not http(s) on the site under test;
* after each load, anything in the DOM that could run script: an on* attribute, a style attribute, a URL
  attribute whose scheme (as the browser resolves it) is not http(s), a script that is not one of the
  site's static files, and frames, objects, embeds or <base>.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 15_000

# Runs in every frame before any page script (Playwright injects it; the CSP does not apply to it).
WATCH_SCRIPT = """
(() => {
  const violations = [];
  Object.defineProperty(window, "__cspViolations", { value: violations });
  document.addEventListener("securitypolicyviolation", (e) => {
    violations.push([e.effectiveDirective, e.blockedURI, e.sourceFile, e.lineNumber, e.sample].join(" | "));
  });
})();
"""

DOM_CHECK = """
() => {
  const found = [];
  const urlAttributes = new Set(["href", "src", "action", "formaction", "xlink:href", "data", "poster",
                                 "background", "cite", "srcset", "ping", "lowsrc", "dynsrc"]);
  const notWeb = (value) => {
    try { return !["http:", "https:"].includes(new URL(value.trim(), document.baseURI).protocol); }
    catch (error) { return false; }  // unparseable: the browser would not follow it either
  };
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.push(`${tag} ${name}=${attr.value.slice(0, 60)}`);
      else if (name === "style") found.push(`${tag} style=${attr.value.slice(0, 60)}`);
      else if (urlAttributes.has(name) && notWeb(attr.value)) found.push(`${tag} ${name}=${attr.value.slice(0, 80)}`);
    }
    if (tag === "script") {
      const src = el.getAttribute("src");
      const ours = src && new URL(src, location.href).origin === location.origin
        && new URL(src, location.href).pathname.startsWith("/static/");
      if (!ours) found.push(`script ${(src || el.textContent).slice(0, 80)}`);
    }
    if (["iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"].includes(tag)) found.push(tag);
    if (tag === "meta" && (el.getAttribute("http-equiv") || "").toLowerCase() === "refresh") found.push("meta refresh");
  }
  return found;
}
"""


@dataclass
class Watcher:
    origin: str
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    violations: dict[str, list[str]] = field(default_factory=dict)
    dom: dict[str, list[str]] = field(default_factory=dict)
    pwned: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.add_init_script(WATCH_SCRIPT)
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("framenavigated", lambda frame: self.navigations.append(frame.url))

    def _console(self, message) -> None:
        # A payload's <img src=x> that 404s, or points at a host that does not resolve, is not an error of the
        # page; everything else the console reports as an error is (a refused script or style included).
        if message.type == "error" and not message.text.startswith("Failed to load resource:"):
            self.console_errors.append(message.text)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message[:80]}")
        dialog.dismiss()

    def visit(self, page, path: str) -> None:
        """Load a page, let it settle, and check it."""
        response = page.goto(path, wait_until="load")
        assert response is not None and response.status == 200, (path, response and response.status)
        self.check(page, path)

    def check(self, page, label: str) -> None:
        page.wait_for_timeout(50)  # timers and load-time handlers a payload may have set
        for frame in page.frames:
            found = frame.evaluate("window.__cspViolations ? Array.from(window.__cspViolations) : []")
            if found:
                self.violations.setdefault(label, []).extend(found)
        if page.evaluate("window.__pwned !== undefined"):
            self.pwned.append(label)
        dom = page.evaluate(DOM_CHECK)
        if dom:
            self.dom[label] = dom

    def foreign_navigations(self) -> list[str]:
        return [u for u in self.navigations if not (u.startswith(self.origin) or u == "about:blank")]

    def summary(self) -> dict:
        return {
            "dialogs": self.dialogs,
            "window.__pwned": self.pwned,
            "csp violations": self.violations,
            "console errors": self.console_errors,
            "page errors": self.page_errors,
            "navigations elsewhere": self.foreign_navigations(),
            "live script in the DOM": self.dom,
        }


CLEAN = {
    "dialogs": [],
    "window.__pwned": [],
    "csp violations": {},
    "console errors": [],
    "page errors": [],
    "navigations elsewhere": [],
    "live script in the DOM": {},
}


@pytest.fixture
def browser(monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium is required for the browser tests and was not found at {CHROMIUM} (apt install chromium)."
        )
    from playwright.sync_api import sync_playwright

    # Sync Playwright keeps an idle event loop in this thread; the test's ORM calls run between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            try:
                chromium.close()
            finally:
                # While Playwright's loop runs, asgiref keeps django.db.connections in a context variable instead
                # of the thread-local, so the test's queries went through a second connection that pytest-django
                # never sees. Close it here, before the loop stops and this storage goes out of reach: left open,
                # it keeps a session on the test database and PostgreSQL refuses to drop that database at the end.
                connections.close_all()


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    # Payloads point images and frames at hosts all over the web; none is reachable here, and waiting for DNS
    # to fail would only slow the test down: anything not on the site under test is refused at once.
    context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
    page = context.new_page()
    watcher = Watcher(origin=live_server.url)
    watcher.attach(page)
    return context, page, watcher
