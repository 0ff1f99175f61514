"""HTML injection: names and attributes full of payloads render as text and run nothing.

Headless Chromium opens (1) the offline map `geomon.mapview.build_map` makes from layers whose
names, codes and attributes are XSS payloads, written with ``map_html(m, inline=True)``, and
(2) the siting HTML report of projects and zones with such names. Every feature's popup and
tooltip is opened. Nothing may execute: no dialog, ``window.__pwned`` never set, no injected
element (``img[onerror]``, ``svg[onload]``, iframes, scripts written by a payload), and every
payload is shown as the literal text it is (GH issue 8).

Needs Debian's chromium and python playwright (no ``playwright install``) and the vendored
scripts (``npm ci``): missing tools skip these tests locally and fail them when CI=true.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point, box

from geomon import mapview, reports, siting
from geomon.validate import apply_dtypes

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAYLOADS = [
    "<script>window.__pwned=1;alert('script')</script>",
    "<img src=x onerror=\"window.__pwned=2;alert('img')\">",
    '"><svg onload=window.__pwned=3>',
    "</script><script>window.__pwned=4;alert('breakout')</script>",
    "';window.__pwned=5;'",
    '<a href="javascript:window.__pwned=6">点我</a>',
    "[constructor.constructor('window.__pwned=7')()]",
    '<iframe srcdoc="<script>parent.__pwned=8</script>"></iframe>',
    "${window.__pwned=9}",
    "<!--<img src=x onerror=window.__pwned=10>-->",
]
# Jinja delimiters ({{ }}, {% %}) are left out here: folium/branca re-parse map scripts as Jinja
# templates, see test_template_injection.py (server-side template injection, GH issue 8).
INJECTED = """() => ({
    pwned: window.__pwned,
    imgOnerror: document.querySelectorAll('img[onerror]').length,
    svgOnload: document.querySelectorAll('svg[onload]').length,
    iframes: document.querySelectorAll('iframe').length,
    jsLinks: document.querySelectorAll('a[href^="javascript:"]').length,
    payloadScripts: [...document.scripts]
        .filter(s => s.textContent.trim().startsWith('window.__pwned')).length,
})"""
CLEAN = {"pwned": None, "imgOnerror": 0, "svgOnload": 0, "iframes": 0, "jsLinks": 0,
         "payloadScripts": 0}  # fmt: skip


def _missing(msg: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg} (CI=true: browser tests must run)")
    pytest.skip(msg)


@pytest.fixture
def page(chromium):
    """A fresh page that records dialogs (and dismisses them) and page errors."""
    if not (mapview.STATIC_VENDOR_DIR / mapview.ASSETS["leaflet"]).is_file():
        _missing("static/vendor is missing: run `npm ci` in the project root")
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.dialogs, page.errors = [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    page.close()


def payload(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


def hostile_layers() -> dict[str, gpd.GeoDataFrame]:
    """Every layer the map shows, with a payload in each text field a popup or tooltip shows."""
    n = len(PAYLOADS)
    outlets = gpd.GeoDataFrame(
        {
            "code": [f"O{i}{payload(i)}" for i in range(n)],
            "local_code": [payload(i + 1) for i in range(n)],
            "name": PAYLOADS,
            "type_l1": "工业排污口",
            "receiving_water": [payload(i + 2) for i in range(n)],
            "district": [payload(i + 3) for i in range(n)],
            "district_code": "429902",
            "responsible_unit": [payload(i + 4) for i in range(n)],
            "stage": "已排查",
        },
        geometry=[Point(112.90 + i * 0.01, 30.40) for i in range(n)],
        crs=4326,
    )
    sections = gpd.GeoDataFrame(
        {"code": ["S<b>1</b>"], "name": [PAYLOADS[1]], "river": [PAYLOADS[3]],
         "control_level": ["国控"], "target_class": ["III"], "district": [PAYLOADS[0]]},
        geometry=[Point(112.93, 30.42)],
        crs=4326,
    )  # fmt: skip
    zones = gpd.GeoDataFrame(
        {"code": [PAYLOADS[3]], "source_name": [PAYLOADS[1]], "level": ["一级"],
         "district": [PAYLOADS[5]]},
        geometry=[box(112.91, 30.38, 112.95, 30.39)],
        crs=4326,
    )  # fmt: skip
    rivers = gpd.GeoDataFrame(
        {"code": ["R1"], "name": [PAYLOADS[3]], "basin": [PAYLOADS[1]]},
        geometry=[LineString([(112.88, 30.37), (113.0, 30.45)])],
        crs=4326,
    )
    districts = gpd.GeoDataFrame(
        {"code": ["429902"], "name": [PAYLOADS[7]], "level": ["区县"]},
        geometry=[box(112.85, 30.35, 113.05, 30.47)],
        crs=4326,
    )
    frames = {"districts": districts, "rivers": rivers, "protection_zones": zones,
              "sections": sections, "outlets": outlets}  # fmt: skip
    return {name: apply_dtypes(frame, name) for name, frame in frames.items()}


def open_every_feature(page) -> list[str]:
    """Click and hover every interactive feature; return the texts of the popups and tooltips."""
    texts = []
    shapes = page.locator("path.leaflet-interactive, .leaflet-marker-icon")
    for i in range(shapes.count()):
        shape = shapes.nth(i)
        shape.dispatch_event("mouseover")
        shape.dispatch_event("click")
        page.wait_for_timeout(50)
        texts += page.locator(".leaflet-popup-content, .leaflet-tooltip").all_inner_texts()
    return texts


def test_map_shows_payloads_as_text_and_runs_none(page, tmp_path: Path) -> None:
    m = mapview.build_map(hostile_layers())
    html = tmp_path / "map.html"
    html.write_text(mapview.map_html(m, inline=True), "utf-8")

    page.goto(html.as_uri(), wait_until="load")
    page.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
    texts = "\n".join(open_every_feature(page))
    page.wait_for_timeout(500)

    assert page.evaluate(INJECTED) == CLEAN
    assert page.dialogs == []
    assert page.errors == []
    for text in PAYLOADS:  # each payload appears in a popup, as the text it is
        assert text in texts, text


def hostile_siting_result() -> siting.SitingResult:
    projects = gpd.GeoDataFrame(
        {"id": [f"P{i}{p}" for i, p in enumerate(PAYLOADS[:3])], "name": PAYLOADS[:3],
         "developer": PAYLOADS[3:6], "district": PAYLOADS[6:9]},
        geometry=[box(112.90, 30.38, 112.92, 30.40), Point(112.93, 30.385),
                  LineString([(112.90, 30.30), (112.99, 30.43)])],
        crs=4326,
    )  # fmt: skip
    red = gpd.GeoDataFrame(
        {"code": [PAYLOADS[4]], "name": [PAYLOADS[5]], "eco_function": [PAYLOADS[6]],
         "district": [PAYLOADS[7]]},
        geometry=[box(112.915, 30.37, 112.94, 30.39)],
        crs=4326,
    )  # fmt: skip
    zones = gpd.GeoDataFrame(
        {"code": [PAYLOADS[8]], "source_name": [PAYLOADS[9]], "level": ["一级"],
         "district": [PAYLOADS[0]]},
        geometry=[box(112.95, 30.40, 112.97, 30.42)],
        crs=4326,
    )  # fmt: skip
    layers = {"red_lines": apply_dtypes(red, "red_lines"),
              "protection_zones": apply_dtypes(zones, "protection_zones")}  # fmt: skip
    return siting.check(apply_dtypes(projects, "projects"), layers, buffer_m=2000)


def test_siting_report_shows_payloads_as_text_and_runs_none(page, tmp_path: Path) -> None:
    result = hostile_siting_result()
    assert len(result.conflicts) >= 3  # every project touches something: names are printed
    path = reports.write_siting_report(result, tmp_path / "report.html")

    page.goto(path.as_uri(), wait_until="load")
    for element in page.locator("svg title, [title]").all()[:50]:  # map labels and tooltips
        element.dispatch_event("mouseover")
    page.wait_for_timeout(300)
    body = page.locator("body").inner_text()

    assert page.evaluate(INJECTED) == CLEAN
    assert page.dialogs == []
    assert page.errors == []
    shown = pd.concat([result.projects["name"], result.conflicts["name"]]).dropna()
    for text in set(shown):
        assert str(text) in body, text
