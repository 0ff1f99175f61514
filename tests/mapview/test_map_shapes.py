"""Big line/polygon layers: one GeoJSON text, canvas, styles by index, lazy escaped popups."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Point, box

from geomon import mapview
from geomon.mapview.shapes import ShapeLayer, feature_collection_text
from geomon.validate import apply_dtypes

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture
def red_lines() -> gpd.GeoDataFrame:
    rows = [
        {"code": "HB-01", "name": "东湖湿地", "eco_type": "湿地", "district": "武昌区"},
        {"code": "HB-02", "name": EVIL, "eco_type": "森林", "district": None},
        {"code": "HB-03", "name": "{{ 7*7 }}", "eco_type": None, "district": "洪山区"},
    ]
    geoms = [box(114.30, 30.50, 114.40, 30.60), box(114.50, 30.50, 114.6000004, 30.60),
             box(114.70, 30.50, 114.80, 30.60)]  # fmt: skip
    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), "red_lines")


def _shapes(m) -> ShapeLayer:
    (layer,) = [c for c in m._children.values() if isinstance(c, ShapeLayer)]
    return layer


def test_feature_collection_text_is_geojson_without_markup() -> None:
    props = pd.DataFrame({"name": ["<b>甲</b>", None], "n": ["1", "2"]})
    geoms = np.array([Point(1, 2), LineString([(0, 0), (1, 1)])])
    text = feature_collection_text(geoms, props, np.array([3, 0]))
    assert "<" not in text
    assert json.loads(text) == {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "<b>甲</b>", "n": "1", "__s": 3},
             "geometry": {"type": "Point", "coordinates": [1.0, 2.0]}},
            {"type": "Feature", "properties": {"name": None, "n": "2", "__s": 0},
             "geometry": {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]}},
        ],
    }  # fmt: skip


def test_layers_above_the_limit_become_shape_layers(red_lines) -> None:
    assert not [
        c for c in mapview.build_map({"red_lines": red_lines})._children.values()
        if isinstance(c, ShapeLayer)
    ]  # fmt: skip
    layer = _shapes(mapview.build_map({"red_lines": red_lines}, point_limit=2))
    assert layer.layer_name == "生态保护红线"
    # 3 boxes × 5 vertices = 15 ≤ 20 × 2 vertices, but 3 features > 2
    assert _shapes(mapview.build_map({"red_lines": red_lines.iloc[:1]}, point_limit=0))


def test_vertices_alone_can_make_a_layer_big(red_lines) -> None:
    one = red_lines.iloc[:1]  # 1 feature, 5 vertices: big only when 20 × limit < 5
    assert _shapes(mapview.build_map({"red_lines": one}, point_limit=0))
    m = mapview.build_map({"red_lines": one}, point_limit=1)  # 5 ≤ 20
    assert not [c for c in m._children.values() if isinstance(c, ShapeLayer)]


def test_styles_popups_and_coordinates(red_lines) -> None:
    layer = _shapes(mapview.build_map({"red_lines": red_lines}, point_limit=2))
    data = json.loads(layer.data)
    options = json.loads(layer.js_options)
    fills = [options["styles"][f["properties"]["__s"]]["fillColor"] for f in data["features"]]
    assert fills == ["#e34a33", "#b30000", "#d7301f"]  # 湿地, 森林, blank → default
    style = options["styles"][0]
    assert (style["weight"], style["fillOpacity"]) == (1.5, 0.25)  # layers/red_lines.toml
    # coordinates rounded to 6 decimals, as in the GeoJSON path
    assert data["features"][1]["geometry"]["coordinates"][0][0] == [114.6, 30.5]
    props = [f["properties"] for f in data["features"]]
    assert [p["code"] for p in props] == ["HB-01", "HB-02", "HB-03"]
    assert props[1]["name"] == "&lt;img src=x onerror=alert(1)&gt;"  # pre-escaped, as GeoJSON
    assert props[2]["name"] == "&#123;&#123; 7*7 &#125;&#125;"
    assert props[1]["district"] is None
    assert options["popup"][:2] == [["code", "红线编码"], ["name", "红线名称"]]
    assert options["tooltip"] == ["name", "生态保护红线"]


def test_mixed_geometries_draw_points_as_circle_markers() -> None:
    geoms = [box(114, 30, 114.1, 30.1), LineString([(114, 30), (114.2, 30.2)]),
             Point(114.3, 30.3)]  # fmt: skip
    rows = {"code": ["P1", "P2", "P3"], "name": ["厂区", "道路", "泵站"]}
    projects = apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), "projects")
    layer = _shapes(mapview.build_map({"projects": projects}, point_limit=2))
    options = json.loads(layer.js_options)
    assert options["radius"] == mapview.get_spec("projects").style.radius
    assert options["pointStyles"][0]["fill"] is True
    assert len(options["pointStyles"]) == len(options["styles"])


def test_legend_matches_the_geojson_path(red_lines) -> None:
    def legend(m) -> list[tuple[str, str]]:
        page = mapview.map_html(m)
        literal = re.search(r'div.innerHTML = ("(?:[^"\\]|\\.)*");', page)
        return re.findall(r'</i>([^<]+)<span class="n">(\d+)', json.loads(literal.group(1)))

    small = legend(mapview.build_map({"red_lines": red_lines}))
    big = legend(mapview.build_map({"red_lines": red_lines}, point_limit=2))
    assert big == small == [("湿地", "1"), ("森林", "1"), ("其他/未填", "1")]


@pytest.mark.browser
def test_polygons_are_drawn_on_canvas_with_escaped_popups(chromium, red_lines, tmp_path) -> None:
    m = mapview.build_map({"red_lines": red_lines}, point_limit=2, center=(30.55, 114.55), zoom=10)
    path = tmp_path / "map.html"
    path.write_text(mapview.map_html(m, inline=True), encoding="utf-8")
    page = chromium.new_page(viewport={"width": 1000, "height": 700})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: errors.append("dialog: " + d.message))
    try:
        page.goto(path.as_uri())
        page.wait_for_selector(".leaflet-pane canvas")
        assert page.locator("path.leaflet-interactive").count() == 0  # no SVG paths
        # the middle of HB-02 (its name is markup)
        x, y = page.evaluate(
            """() => { const m = Object.values(window).find(v => v instanceof L.Map);
                       const p = m.latLngToContainerPoint([30.55, 114.55]);
                       const r = m.getContainer().getBoundingClientRect();
                       return [r.left + p.x, r.top + p.y]; }"""
        )
        page.mouse.click(x, y)
        popup = page.locator(".geomon-popup .leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        assert "红线编码\tHB-02" in text and "类型\t森林" in text
        assert EVIL in text  # shown as text
        assert page.locator(".geomon-popup img").count() == 0
        assert "所在区县" not in text  # blank rows are left out
    finally:
        page.close()
    assert errors == []
