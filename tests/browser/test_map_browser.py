"""A real browser draws the map from local assets only: headless Chromium against `streamlit run`.

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

pytestmark = pytest.mark.browser

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


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def browser(app_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def test_static_assets_are_served_as_scripts(app_url: str) -> None:
    for rel, mime in [("leaflet/leaflet.js", "javascript"), ("leaflet/leaflet.css", "text/css")]:
        with urllib.request.urlopen(f"{app_url}{mapview.ASSET_BASE}/{rel}", timeout=10) as r:
            assert r.status == 200
            assert mime in r.headers["Content-Type"]  # nosniff: a wrong type would not run


def test_map_renders_offline_without_errors(app_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_selector(MAP_FRAME, timeout=60_000)
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)

    # districts, river, one section, two outlets: one SVG path each
    assert frame.locator("path.leaflet-interactive").count() == 5
    assert frame.locator('path[fill="#1a9850"]').count() == 1  # outlet O1, stage 整治完成
    assert frame.locator(".leaflet-control-layers").count() == 1
    assert "入河排污口" in frame.locator(".geomon-legend").inner_text()
    assert frame.locator(".leaflet-control-scale").count() == 1
    assert frame.locator(".leaflet-control-zoom-fullscreen").count() == 1
    assert frame.locator(".leaflet-control-measure").count() == 1

    # outlet O2 is named "<script>alert(1)</script>": its popup shows the text, runs nothing
    frame.locator('path[fill="#d73027"]').click()
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert "<script>alert(1)</script>" in popup.inner_text()
    assert "已排查" in popup.inner_text()

    page.wait_for_timeout(1000)
    outside = [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).hostname not in LOCAL_HOSTS]  # fmt: skip
    assert outside == []
    assert any(mapview.ASSET_BASE + "/leaflet/leaflet.js" in u for u in requests)
    assert errors == []
    assert dialogs == []
    page.close()
