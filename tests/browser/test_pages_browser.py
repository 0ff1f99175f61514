"""Every page in a real browser, offline: it loads, no request leaves the machine, no JS error.

Maps (Leaflet: tiles on the map page, st_folium on the siting and outlet pages); charts (Vega,
which Streamlit bundles) on the dashboard; a real download on the data page; a real drawing on the
siting page, through leaflet-draw and st_folium back to the verdict.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geomon.app import PAGES

pytestmark = pytest.mark.browser
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def _open(page, app_url: str, path: str) -> None:
    page.goto(f"{app_url}/{path}", wait_until="domcontentloaded", timeout=60_000)
    page.locator("h1").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let the script finish and components mount


def _clean(page, watch) -> None:
    assert watch.outside() == []
    assert watch.unexpected() == []
    assert watch.dialogs == []
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("ref", PAGES, ids=[p.url_path for p in PAGES])
def test_page_loads_offline(app_url: str, watched, ref) -> None:
    page, watch = watched
    _open(page, app_url, ref.url_path)

    assert page.locator("h1").first.inner_text().strip()
    _clean(page, watch)


@pytest.mark.parametrize("path", ["", "map", "map?lang=en"])
def test_map_has_its_own_url_and_the_root_forwards_to_it(app_url: str, watched, path) -> None:
    page, watch = watched
    _open(page, app_url, path)
    page.wait_for_url("**/map*", timeout=30_000)

    english = path.endswith("lang=en")
    assert page.locator("h1").first.inner_text().strip() == (
        "Water-environment supervision map" if english else "水环境监管一张图"
    )
    assert page.get_by_text("Page not found").count() == 0
    assert page.url.endswith("/map?lang=en" if english else "/map")
    _clean(page, watch)


def test_outlet_page_map(app_url: str, watched) -> None:
    page, watch = watched
    _open(page, app_url, "outlet?outlet=O1")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)

    assert page.get_by_text("一号排污口").first.is_visible()
    assert frame.locator(".leaflet-control-layers-toggle").count() == 1  # compact: collapsed
    _clean(page, watch)


def _after(page, selector: str) -> tuple[str, str, str]:
    """The ``::after`` text of the first `selector`, its font size, and the element's own size."""
    return page.locator(selector).first.evaluate(
        "e => [getComputedStyle(e, '::after').content, getComputedStyle(e, '::after').fontSize,"
        " getComputedStyle(e).fontSize]"
    )


@pytest.mark.parametrize(
    ("query", "button", "limit"),
    [("", '"选择文件"', '"单个文件不超过 200 MB"'), ("?lang=en", "none", "none")],
)
def test_uploader_speaks_the_language(app_url: str, watched, query, button, limit) -> None:
    page, watch = watched
    _open(page, app_url, "siting" + query)
    zone = '[data-testid="stFileUploaderDropzone"]'
    page.locator(zone).first.wait_for(timeout=30_000)

    text, size, own = _after(page, f'{zone} button [data-testid="stMarkdownContainer"] p')
    assert text == button  # 200 MB: Streamlit's default server.maxUploadSize
    assert (own, size) == (("0px", "14px") if query == "" else ("14px", "14px"))
    text, size, own = _after(
        page, f'{zone} [data-testid="stFileUploaderDropzoneInstructions"] span'
    )
    assert text == limit
    if query == "":
        assert (own, size) == ("0px", "14px")
    # a file dragged over the box: Streamlit's "Drag and drop a file here" overlay
    files = page.evaluate_handle(
        "() => { const d = new DataTransfer(); d.items.add(new File(['x'], 'p.csv')); return d; }"
    )
    page.locator(zone).first.dispatch_event("dragenter", {"dataTransfer": files})
    overlay = f"{zone} > div:not([data-testid]) > span"
    page.locator(overlay).first.wait_for(timeout=10_000)
    text, size, own = _after(page, overlay)
    assert text == ('"将文件拖放到此处"' if query == "" else "none")
    page.locator(zone).first.dispatch_event("dragleave", {"dataTransfer": files})
    _clean(page, watch)


def test_dashboard_charts_render(app_url: str, watched) -> None:
    page, watch = watched
    _open(page, app_url, "dashboard")
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(timeout=60_000)
    page.locator(
        '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
    ).first.wait_for(timeout=30_000)

    assert charts.count() == 3  # district, type, over time: the sections tab is not sent yet
    page.get_by_role("tab", name="断面水质").click()  # runs the sections tab on the server
    page.get_by_text("没有监测数据", exact=False).wait_for(timeout=60_000)  # none in the tiny store
    charts.first.wait_for(state="detached", timeout=30_000)  # only the open tab is on the page
    assert charts.count() == 0
    _clean(page, watch)


def test_data_page_downloads_the_export(app_url: str, watched) -> None:
    page, watch = watched
    _open(page, app_url, "data")
    page.get_by_role("tab", name="导出").click()
    button = page.get_by_role("button", name="下载 outlets.geojson")  # the tab opens on outlets
    button.wait_for(timeout=30_000)

    with page.expect_download(timeout=30_000) as info:
        button.click()
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))

    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in data["features"]] == ["O1", "O2"]
    assert data["features"][1]["properties"]["name"] == "<script>alert(1)</script>"  # data, kept
    _clean(page, watch)


def test_drawing_a_project_gives_a_verdict(app_url: str, watched) -> None:
    page, watch = watched
    _open(page, app_url, "siting")
    page.get_by_text("在地图上绘制", exact=True).click()
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-draw-draw-rectangle").wait_for(timeout=60_000)
    assert (
        frame.locator(".leaflet-draw-draw-polygon").get_attribute("title")
        == "绘制多边形（用地范围）"
    )

    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    verdict = page.locator('[data-testid="stAlert"]').filter(has_text="绘制项目")
    for attempt in range(3):  # a rerun of the page can remount the map mid-drag (slow CI)
        frame.locator(".leaflet-draw-draw-rectangle").click()
        box = page.locator(MAP_FRAME).bounding_box()
        x, y = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 60, y + 40, steps=5)
        page.mouse.up()
        try:
            verdict.first.wait_for(timeout=30_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    button = page.get_by_role("button", name="下载分析报告 (HTML)")
    button.wait_for(timeout=30_000)  # Streamlit sends the verdict before the buttons below it
    assert button.count() == 1
    _clean(page, watch)


def test_sidebar_filter_redraws_the_map_and_keeps_the_url(app_url: str, watched) -> None:
    from test_map_browser import drawn, map_frame

    page, watch = watched
    _open(page, app_url, "")
    frame = map_frame(page)
    assert drawn(frame)["outlets"] == 2

    sidebar = page.locator('[data-testid="stSidebar"]')
    # the box's own "Open" button: a click on the text field only focuses it (React Aria combobox)
    stage = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="整治进度")
    stage.get_by_role("button", name="Open").click()
    page.get_by_role("option", name="已排查").click()
    page.keyboard.press("Escape")

    page.wait_for_function("() => decodeURIComponent(location.search).includes('stage=已排查')")
    frame.wait_for_function("() => window.geomonMap.drawn().outlets === 1", timeout=30_000)
    page.reload()  # the URL brings the filter back
    frame = map_frame(page)
    assert drawn(frame)["outlets"] == 1  # O1 (整治完成) is gone
    _clean(page, watch)
