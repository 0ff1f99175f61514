"""A real browser draws the map from local assets only: headless Chromium against `streamlit run`.

Fixtures (the server on the tiny store, the browser) live in conftest.py.
"""

from __future__ import annotations

import urllib.request

import pytest

from geomon import mapview

pytestmark = pytest.mark.browser
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def test_static_assets_are_served_as_scripts(app_url: str) -> None:
    for rel, mime in [("leaflet/leaflet.js", "javascript"), ("leaflet/leaflet.css", "text/css")]:
        with urllib.request.urlopen(f"{app_url}{mapview.ASSET_BASE}/{rel}", timeout=10) as r:
            assert r.status == 200
            assert mime in r.headers["Content-Type"]  # nosniff: a wrong type would not run


def test_map_renders_offline_without_errors(app_url: str, watched) -> None:
    page, watch = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_selector(MAP_FRAME, timeout=60_000)
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)

    # districts, river, one section, two outlets: one SVG path each
    assert frame.locator("path.leaflet-interactive").count() == 5
    assert frame.locator('path[fill="#1a9850"]').count() == 1  # outlet O1, stage 整治完成
    assert frame.locator(".leaflet-control-layers").count() == 1
    legend = frame.locator(".geomon-legend").inner_text()
    assert "入河排污口" in legend
    assert "未评价" in legend  # the tiny store has no monitoring data: sections not assessed
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
    assert watch.outside() == []
    assert any(mapview.ASSET_BASE + "/leaflet/leaflet.js" in u for u in watch.requests)
    assert watch.errors == []
    assert watch.dialogs == []


def test_search_zooms_to_a_feature(app_url: str, watched) -> None:
    page, watch = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_selector(MAP_FRAME, timeout=60_000)
    box = page.get_by_label("查找排污口、断面（编码或名称）")
    box.fill("O1")
    box.press("Enter")
    page.get_by_text("打开排污口档案：O1").wait_for(timeout=30_000)
    frame = page.frame_locator(MAP_FRAME)
    ring = frame.locator('path[stroke="#ff00ff"]')  # the focus ring around the found outlet
    ring.wait_for(timeout=30_000)

    assert ring.count() == 1
    assert watch.outside() == []
    assert watch.errors == []


def test_popup_opens_the_outlet_record(app_url: str, watched) -> None:
    page, watch = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    page.wait_for_selector(MAP_FRAME, timeout=60_000)
    frame = page.frame_locator(MAP_FRAME)
    frame.locator('path[fill="#d73027"]').click()  # outlet O2, named "<script>alert(1)</script>"
    link = frame.locator(".leaflet-popup-content a", has_text="打开排污口档案")

    with page.context.expect_page(timeout=30_000) as opened:
        link.click()  # a new tab: st_folium's sandbox lets the map open pop-ups, not navigate
    record = opened.value
    record.wait_for_load_state("domcontentloaded")
    record.locator("h2", has_text="<script>alert(1)</script>").wait_for(timeout=60_000)

    assert record.url.endswith("/outlet?outlet=O2")
    assert watch.outside() == []
    assert watch.errors == []
    assert watch.dialogs == []
    record.close()
