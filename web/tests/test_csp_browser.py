"""Pages whose scripts are not Tidings' own still work under the Content-Security-Policy.

The API's docs page runs django-ninja's bundled Swagger UI (from static files: `ninja` is an installed app;
otherwise it would load a CDN the policy refuses). Tidings' own scripts are exercised under the policy by
tidings/tests/test_hostile_publisher.py and comments/tests/test_browser.py.
"""

import pytest

from web.tests.browser import browser, new_page  # noqa: F401 - browser is a fixture


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_page_renders_without_violations(browser, live_server):  # noqa: F811
    context, page, watcher = new_page(browser, live_server)
    try:
        page.goto("/api/docs")
        page.locator("#swagger-ui .title", has_text="Tidings API").wait_for()
        watcher.check(page, "/api/docs")
    finally:
        context.close()
    assert (watcher.violations, watcher.console_errors, watcher.page_errors, watcher.dialogs) == ({}, [], [], [])
