"""Screenshots for the README: ingest the ecbplus-dev mirror into a scratch data folder, serve
Tidings, and photograph pages with Debian's Chromium driven by Playwright (no browser download).

usage: .venv/bin/python docs/screenshots/take.py
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval"
TIDINGS = str(ROOT / ".venv" / "bin" / "tidings")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="tidings-shots-"))
    (work / "state").mkdir()
    mirror = subprocess.Popen([sys.executable, str(EVAL / "serve_mirror.py"), str(EVAL / "mirrors" / "ecbplus-dev"),
                               "--port", "0", "--state-dir", str(work / "state")])  # fmt: skip
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{work}/t.sqlite3", TIDINGS_DATA_DIR=str(work / "var"),
               TIDINGS_ALLOW_PRIVATE_HOSTS="127.0.0.1")  # fmt: skip
    web = None
    try:
        while not (work / "state" / "server.json").exists():
            time.sleep(0.1)
        base = json.loads((work / "state" / "server.json").read_text())["base_url"]
        for args in (["migrate", "-v0"], ["import-opml", f"{base}/sources.opml"], ["ingest", "--until-idle"]):
            subprocess.run([TIDINGS, *args], env=env, check=True)
        web = subprocess.Popen([TIDINGS, "web", "--bind", "127.0.0.1:8123"], env=env)
        wait_for("http://127.0.0.1:8123/")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.goto("http://127.0.0.1:8123/")
            page.screenshot(path=str(ROOT / "docs" / "screenshots" / "home.png"))
            # An article with related coverage: the first top story's lead.
            page.click(".story-card .headline a")
            page.screenshot(path=str(ROOT / "docs" / "screenshots" / "article.png"), full_page=True)
            mobile = browser.new_page(viewport={"width": 390, "height": 844})
            mobile.goto(page.url)
            mobile.screenshot(path=str(ROOT / "docs" / "screenshots" / "article-phone.png"))
            browser.close()
    finally:
        if web:
            web.send_signal(signal.SIGTERM)
        mirror.send_signal(signal.SIGTERM)
    return 0


if __name__ == "__main__":
    sys.exit(main())
