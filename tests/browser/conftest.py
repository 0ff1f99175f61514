"""Headless Chromium against `streamlit run` on the tiny store: shared server and browser.

Needs Debian's chromium and the `playwright` package (no `playwright install`):
    apt-get install -y chromium fonts-noto-cjk && pip install playwright
and the vendored scripts (`npm ci`). Missing tools skip these tests locally and fail them on CI.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from geomon import mapview

CHROMIUM = "/usr/bin/chromium"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _missing(msg: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg} (CI=true: browser tests must run)")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def app_url(tiny_store: Path, app_server_session) -> str:
    """`streamlit run streamlit_app.py` on a free port, reading the tiny store."""
    if not Path(CHROMIUM).exists():
        _missing("Debian chromium is missing: apt-get install -y chromium fonts-noto-cjk")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("python playwright is missing: pip install playwright (no `playwright install`)")
    if not (mapview.STATIC_VENDOR_DIR / mapview.ASSETS["leaflet"]).is_file():
        _missing("static/vendor is missing: run `npm ci` in the project root")
    return app_server_session(tiny_store, GEOMON_LANG=None)


@pytest.fixture(scope="session")
def browser(app_url: str, chromium):
    """The session's shared Chromium (tests/conftest.py), once the app is up."""
    return chromium


class Watch:
    """What a page did: every request, JS error, console error and dialog."""

    def __init__(self, page) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on(
            "response",
            lambda r: self.errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def unexpected(self) -> list[str]:
        """The errors, less Streamlit's own probes for its base path on a deep link.

        Opening ``/dashboard`` first asks ``/dashboard/_stcore/health`` and ``host-config``
        (404, logged by the browser as "Failed to load resource"), then the root ones.
        """
        probes = [e for e in self.errors if e.startswith("HTTP 404 ") and urlsplit(e[9:]).path
                  .endswith(("/_stcore/health", "/_stcore/host-config"))]  # fmt: skip
        rest = [e for e in self.errors if e not in probes]
        for _ in probes:
            logged = next((e for e in rest if "Failed to load resource" in e and "404" in e), None)
            if logged:
                rest.remove(logged)
        return rest

    def outside(self) -> list[str]:
        """Requests that left this machine (http, https, ws, wss to another host)."""
        return [u for u in self.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                and urlsplit(u).hostname not in LOCAL_HOSTS]  # fmt: skip


@pytest.fixture
def watched(browser):
    """A fresh page in the shared browser, and its `Watch`."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    watch = Watch(page)
    yield page, watch
    page.close()
