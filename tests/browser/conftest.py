"""Headless Chromium against `streamlit run` on the tiny store: shared server and browser.

Needs Debian's chromium and the `playwright` package (no `playwright install`):
    apt-get install -y chromium fonts-noto-cjk && pip install playwright
and the vendored scripts (`npm ci`). Missing tools skip these tests locally and fail them on CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from geomon import mapview

ROOT = Path(__file__).parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _missing(msg: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg} (CI=true: browser tests must run)")
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer at {base} within {timeout:.0f}s")


@pytest.fixture(scope="session")
def app_url(tiny_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on a free port, reading the tiny store."""
    if not Path(CHROMIUM).exists():
        _missing("Debian chromium is missing: apt-get install -y chromium fonts-noto-cjk")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("python playwright is missing: pip install playwright (no `playwright install`)")
    if not (mapview.STATIC_VENDOR_DIR / mapview.ASSETS["leaflet"]).is_file():
        _missing("static/vendor is missing: run `npm ci` in the project root")
    port = _free_port()
    log = (tmp_path_factory.mktemp("streamlit") / "streamlit.log").open("w")
    env = {**os.environ, "GEOMON_STORE": str(tiny_store), "GEOMON_BASEMAP": "none"}
    env.pop("GEOMON_LANG", None)
    cmd = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
           "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
           "--browser.gatherUsageStats=false"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
