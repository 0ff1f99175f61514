"""A real browser draws the tile map from local assets only: headless Chromium against the app.

The map page sends the map's shell; the browser fetches each layer as vector tiles from the
app's own routes and draws them on canvas, so features are counted through the map's
``window.geomonMap`` hooks and clicked at the pixel Leaflet puts them. Fixtures (the server on
the tiny store, the browser) live in conftest.py.
"""

from __future__ import annotations

import math
import re
import urllib.request

import pytest
from pyproj import Geod

from geomon import mapview

pytestmark = pytest.mark.browser
MAP_FRAME = 'iframe[title="geomon.app.components.tilemap.geomon_tilemap"]'
TINY = {"districts": 1, "rivers": 1, "sections": 1, "outlets": 2}
O1, O2 = (30.60, 114.25), (30.65, 114.35)  # (lat, lon) of the tiny store's outlets


def map_frame(page):
    """The map's frame, once its tiles are drawn."""
    handle = page.wait_for_selector(MAP_FRAME, timeout=60_000)
    frame = None
    for _ in range(100):
        frame = handle.content_frame()
        if frame is not None:
            break
        page.wait_for_timeout(100)
    frame.wait_for_function(
        "() => window.geomonMap && window.geomonMap.pending() === 0 && "
        "Object.values(window.geomonMap.drawn()).some(n => n > 0)",
        timeout=60_000,
    )
    return frame


def drawn(frame) -> dict[str, int]:
    return frame.evaluate("window.geomonMap.drawn()")


def click_at(page, frame, latlng: tuple[float, float]) -> None:
    """Click the map where Leaflet draws `latlng`."""
    x, y = frame.evaluate(
        "([lat, lon]) => { const p = window.geomonMap.map().latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        list(latlng),
    )
    page.frame_locator(MAP_FRAME).locator("#map").click(position={"x": x, "y": y})


def test_static_assets_are_served_as_scripts(app_url: str) -> None:
    for rel, mime in [("leaflet/leaflet.js", "javascript"), ("leaflet/leaflet.css", "text/css")]:
        with urllib.request.urlopen(f"{app_url}{mapview.ASSET_BASE}/{rel}", timeout=10) as r:
            assert r.status == 200
            assert mime in r.headers["Content-Type"]  # nosniff: a wrong type would not run


def test_map_renders_offline_without_errors(app_url: str, watched) -> None:
    page, watch = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    frame = map_frame(page)

    assert drawn(frame) == TINY
    frame.locator(".geomon-legend summary").click()  # folded on a map this small: open it
    legend = frame.locator(".geomon-legend").inner_text()
    assert "入河排污口" in legend
    assert "未评价" in legend  # the tiny store has no monitoring data: sections not assessed
    assert frame.locator(".leaflet-control-layers").count() == 1
    assert frame.locator(".leaflet-control-scale").count() == 1
    assert frame.locator(".leaflet-control-zoom-fullscreen").count() == 1
    tiles = [u for u in watch.requests if "/tiles/" in u]
    assert tiles and all(u.startswith(app_url + "/tiles/") and "&t=" in u for u in tiles)

    # outlet O2 is named "<script>alert(1)</script>": its popup, fetched by id, shows the text
    click_at(page, frame, O2)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert "<script>alert(1)</script>" in popup.inner_text()
    assert "已排查" in popup.inner_text()
    assert any("/feature/outlets/O2?" in u for u in watch.requests)

    page.wait_for_timeout(500)
    assert watch.outside() == []
    assert any(mapview.ASSET_BASE + "/leaflet/leaflet.js" in u for u in watch.requests)
    assert watch.errors == []
    assert watch.dialogs == []


def test_search_zooms_to_a_feature(app_url: str, watched) -> None:
    page, watch = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    map_frame(page)
    box = page.get_by_label("查找排污口、断面（编码或名称）")
    box.fill("O1")
    box.press("Enter")
    page.get_by_text("打开排污口档案：O1").wait_for(timeout=30_000)
    frame = page.frame_locator(MAP_FRAME)
    ring = frame.locator('path[stroke="#ff00ff"]')  # the focus ring around the found outlet
    ring.wait_for(timeout=30_000)

    assert ring.count() == 1
    frame.locator(".leaflet-popup-content", has_text="一号排污口").wait_for(timeout=10_000)
    assert watch.outside() == []
    assert watch.errors == []


def test_popup_opens_the_outlet_record(app_url: str, watched) -> None:
    page, watch = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    frame = map_frame(page)
    click_at(page, frame, O2)  # outlet O2, named "<script>alert(1)</script>"
    link = page.frame_locator(MAP_FRAME).locator(".leaflet-popup-content a",
                                                 has_text="打开排污口档案")  # fmt: skip

    with page.context.expect_page(timeout=30_000) as opened:
        link.click()  # a new tab: the component's sandbox may open pop-ups, not navigate the app
    record = opened.value
    record.wait_for_load_state("domcontentloaded")
    record.locator("h2", has_text="<script>alert(1)</script>").wait_for(timeout=60_000)

    assert record.url.endswith("/outlet?outlet=O2")
    assert watch.outside() == []
    assert watch.errors == []
    assert watch.dialogs == []
    record.close()


def test_filter_change_keeps_the_map_mounted_and_refetches_one_layer(app_url: str, watched) -> None:
    page, watch = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    frame = map_frame(page)
    frame.evaluate("() => { window.__mounted = 'yes'; window.geomonMap.map().setZoom(12); }")
    frame.wait_for_function("() => window.geomonMap.pending() === 0")
    view = frame.evaluate(
        "() => [window.geomonMap.map().getCenter(), window.geomonMap.map().getZoom()]"
    )
    before = len(watch.requests)

    sidebar = page.locator('[data-testid="stSidebar"]')
    # the box's own "Open" button: a click on the text field only focuses it (React Aria combobox)
    stage = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="整治进度")
    stage.get_by_role("button", name="Open").click()
    page.get_by_role("option", name="已排查").click()
    page.keyboard.press("Escape")
    frame.wait_for_function("() => window.geomonMap.drawn().outlets === 1", timeout=30_000)

    assert frame.evaluate("() => window.__mounted") == "yes"  # the same document: not remounted
    assert (
        frame.evaluate(
            "() => [window.geomonMap.map().getCenter(), window.geomonMap.map().getZoom()]"
        )
        == view
    )
    refetched = {u.split("/tiles/")[1].split("/")[0] for u in watch.requests[before:]
                 if "/tiles/" in u}  # fmt: skip
    assert refetched == {"outlets"}
    assert drawn(frame) == {**TINY, "outlets": 1}
    assert watch.outside() == []
    assert watch.errors == []


def _near(pixel: tuple[int, ...], colour: str, tol: int = 40) -> bool:
    want = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return all(abs(a - b) <= tol for a, b in zip(pixel[:3], want, strict=True))


def test_print_shows_the_filtered_view_as_png_and_pdf(app_url: str, watched, tmp_path) -> None:
    """Filter to 整治进度 = 已排查 (O2 only), print A4 as PNG and as PDF."""
    from PIL import Image

    from geomon.mapview import printing

    page, watch = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    frame = map_frame(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    # the box's own "Open" button: a click on the text field only focuses it (React Aria combobox)
    stage = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="整治进度")
    stage.get_by_role("button", name="Open").click()
    page.get_by_role("option", name="已排查").click()
    page.keyboard.press("Escape")
    frame.wait_for_function("() => window.geomonMap.drawn().outlets === 1", timeout=30_000)

    control = page.frame_locator(MAP_FRAME)
    control.locator(".geomon-print-button").click()
    control.locator("select[name=paper]").select_option("A4")
    control.locator("select[name=format]").select_option("png")
    with page.expect_download(timeout=60_000) as done:
        control.locator(".geomon-print-make").click()
    png = tmp_path / "map.png"
    done.value.save_as(png)
    assert done.value.suggested_filename.startswith("geomon-map-A4-")

    sheet = Image.open(png).convert("RGB")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert sheet.size == printing.sheet_pixels("A4") == (1754, 1240)
    x, y = (round(v) for v in frame.evaluate("p => window.geomonMap.printPoint(p)", list(O2)))
    around = [sheet.getpixel((x + dx, y + dy)) for dx in range(-4, 5) for dy in range(-4, 5)]
    assert sum(_near(p, "#d73027") for p in around) > 20  # O2 (已排查) is drawn where it is
    box = frame.evaluate("() => window.geomonMap.printed().frame")
    inside = sheet.crop((round(box["x"]), round(box["y"]), round(box["x"] + box["w"]),
                         round(box["y"] + box["h"])))  # fmt: skip
    assert not any(_near(c, "#1a9850", tol=20) for _, c in inside.getcolors(1 << 20))  # O1 not
    # the scale bar: metres per sheet pixel, against the geodesic O1–O2 over their distance there
    legend = frame.evaluate("() => window.geomonMap.printed().legend")
    assert legend["fits"] is True and legend["columns"] == 1 and legend["scale"] == 1
    assert legend["titles"] == ["入河排污口", "水质监测断面", "河流水系", "行政区划"]
    scale = frame.evaluate("() => window.geomonMap.printed().scale")
    x1, y1 = frame.evaluate("p => window.geomonMap.printPoint(p)", list(O1))
    metres = Geod(ellps="WGS84").inv(O1[1], O1[0], O2[1], O2[0])[2]
    assert scale["metres"] / scale["pixels"] == pytest.approx(
        metres / math.hypot(x - x1, y - y1), rel=0.01
    )

    control.locator("select[name=format]").select_option("pdf")
    control.locator(".geomon-print-make").click()
    button = page.get_by_role("button", name=re.compile(r"下载 PDF（A4 横向，\d\d:\d\d 打印）"))
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as done:
        button.click()
    pdf = tmp_path / "map.pdf"
    done.value.save_as(pdf)
    body = pdf.read_bytes()
    assert body.startswith(b"%PDF")
    box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", body)
    assert box and (round(float(box[1])), round(float(box[2]))) == (842, 595)
    assert frame.evaluate("() => window.__printed_once = 'yes'") == "yes"
    assert watch.outside() == []
    assert watch.errors == []


def _box(frame, selector: str) -> dict[str, float]:
    return frame.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {x: r.left, y: r.top, w: r.width, h: r.height}; }",
        selector,
    )


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])  # fmt: skip


def test_legend_leaves_the_east_of_a_small_map_free(app_url: str, watched) -> None:
    """At 1400 px the map is ~920 px wide: the legend starts folded in the corner."""
    page, watch = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    frame = map_frame(page)
    whole, legend = _box(frame, "#map"), _box(frame, ".geomon-legend")

    assert whole["w"] < 1000
    assert frame.evaluate("() => document.querySelector('.geomon-legend details').open") is False
    assert legend["w"] < 0.12 * whole["w"] and legend["h"] < 40  # "▸ 图例" only
    assert legend["x"] > whole["x"] + 0.85 * whole["w"]
    assert watch.errors == []


def test_wide_map_opens_a_compact_legend_and_popups_pan_clear_of_it(app_url: str, watched) -> None:
    """At 2000 px the legend starts open, at most 220 px wide and about half the map's height;
    a popup opened next to it pans left until it is clear of the legend."""
    page, watch = watched
    page.set_viewport_size({"width": 2000, "height": 1000})
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    frame = map_frame(page)
    whole, legend = _box(frame, "#map"), _box(frame, ".geomon-legend")
    assert frame.evaluate("() => document.querySelector('.geomon-legend details').open")
    assert legend["w"] <= 220.5  # max-width 220 px, padding and border included
    assert legend["h"] <= 0.56 * whole["h"]
    assert legend["x"] >= whole["x"] + whole["w"] - 240

    # put O2 just left of the legend, near the bottom: its popup would open over the legend
    frame.evaluate(
        """([lat, lon, x, y]) => { const m = window.geomonMap.map();
           const at = m.latLngToContainerPoint([lat, lon]);
           m.panBy([at.x - x, at.y - y], {animate: false}); }""",
        [*O2, whole["w"] - legend["w"] - 30, whole["h"] - 40],
    )
    frame.wait_for_function("() => window.geomonMap.pending() === 0")
    click_at(page, frame, O2)
    frame.locator(".leaflet-popup-content").wait_for(timeout=10_000)
    page.wait_for_timeout(800)  # the pan and the check after it
    popup = _box(frame, ".leaflet-popup")
    legend = _box(frame, ".geomon-legend")

    assert frame.evaluate("() => document.querySelector('.geomon-legend details').open")
    assert not _overlap(popup, legend), (popup, legend)
    assert popup["x"] >= whole["x"] and popup["y"] >= whole["y"]
    assert popup["x"] + popup["w"] <= whole["x"] + whole["w"]
    assert watch.errors == []


def test_printed_legend_lists_every_layer_in_full(app_url: str, watched) -> None:
    """Twelve layers (as many as the demo map draws), each with a two-line description and six
    rows, in the A4 legend box (62 × 150 mm at the print dpi): every title and the whole of
    every description and label is printed, the legend shrunk or split in two columns, not cut."""
    from geomon.mapview import printing

    page, _ = watched
    page.goto(app_url, wait_until="domcontentloaded", timeout=60_000)
    frame = map_frame(page)
    mm = printing.PRINT_DPI / 25.4
    sub = "按红黄牌着色（未销号问题逾期即黄牌，超过 30 天或退回 2 次红牌）"
    labels = ["已排查", "已监测", "已溯源", "整治中", "已销号", "黑圈：逾期未完成整治（时限已过）"]
    layers = [
        {"name": f"l{i}", "title": f"图层{i}", "sub": f"{i}{sub}", "stroke": "#fff",
         "rows": [{"kind": "pt", "color": "#d73027", "label": label, "count": 120}
                  for label in labels]}
        for i in range(12)
    ]  # fmt: skip
    plan = frame.evaluate(
        """([layers, mm]) => window.GeomonPrint.planLegend(
             document.createElement("canvas").getContext("2d"), layers,
             {x: 0, y: 0, w: 62 * mm, h: 150 * mm}, mm)""",
        [layers, mm],
    )

    assert plan["fits"] is True
    assert plan["titles"] == [f"图层{i}" for i in range(12)]
    assert plan["subs"] == "".join(f"{i}{sub}" for i in range(12))
    assert plan["rows"] == 72
    assert plan["labels"] == "".join(labels) * 12  # long labels wrap, whole
    assert plan["columns"] == 2 or plan["scale"] < 1
