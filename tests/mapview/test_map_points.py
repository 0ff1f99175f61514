"""Big point layers: compact payload, same colours/popups/legend as GeoJSON, clustered in a page."""

from __future__ import annotations

import json
import re
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from shapely import Point

from geomon import mapview
from geomon.mapview import points as map_points
from geomon.mapview.points import ALPHABET, PointCloud
from geomon.specs import Label
from geomon.validate import apply_dtypes

EVIL = "<script>alert(1)</script>"


def _decode(col: dict, i: int) -> int:
    """The page's reading of fixed-width base-88 integers, in Python."""
    w, s = col["w"], col["s"]
    value = 0
    for ch in s[i * w : (i + 1) * w]:
        value = value * len(ALPHABET) + ALPHABET.index(ch)
    return value


@pytest.fixture
def outlets() -> gpd.GeoDataFrame:
    rows = [
        {"code": "O1", "name": "一号口", "stage": "整治完成", "deadline": "2024-05-01",
         "district": "江岸区", "overdue": False},
        {"code": "O2", "name": EVIL, "stage": "已排查", "district": "江岸区", "overdue": True},
        {"code": "O3", "name": "{{ 7*7 }}", "stage": None, "district": "江汉区", "overdue": False},
        {"code": "O/4 &", "name": "四号口", "stage": "已排查", "district": None, "overdue": False},
    ]  # fmt: skip
    geoms = [Point(114.25, 30.60), Point(114.35, 30.65), Point(114.30, 30.58),
             Point(114.2512346, 30.6054321)]  # fmt: skip
    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), "outlets")


def _cloud(m) -> PointCloud:
    (cloud,) = [c for c in m._children.values() if isinstance(c, PointCloud)]
    return cloud


def _payload(m) -> dict:
    return json.loads(_cloud(m).payload)


def test_fixed_width_uses_the_fewest_digits() -> None:
    # 87 is the largest one-digit value, 88 = "10" in base 88, 7743 = 88² − 1 the largest two-digit
    assert map_points.fixed_width(np.array([0, 87])) == (1, ALPHABET[0] + ALPHABET[87])
    assert map_points.fixed_width(np.array([88, 7743])) == (
        2,
        ALPHABET[1] + ALPHABET[0] + ALPHABET[87] + ALPHABET[87],
    )
    assert map_points.fixed_width(np.array([7744]))[0] == 3
    with pytest.raises(ValueError, match="non-negative"):
        map_points.fixed_width(np.array([-1]))


def test_alphabet_is_safe_in_json_and_html() -> None:
    assert len(ALPHABET) == 88
    assert not set(ALPHABET) & set('"\\<>&')
    assert json.loads(json.dumps(ALPHABET)) == ALPHABET


def test_layers_above_the_limit_become_one_point_cloud(outlets) -> None:
    small = mapview.build_map({"outlets": outlets})
    big = mapview.build_map({"outlets": outlets}, point_limit=3)
    assert not [c for c in small._children.values() if isinstance(c, PointCloud)]
    assert _cloud(big).layer_name == "入河排污口"
    assert not [c for c in big._children.values() if c.__class__.__name__ == "GeoJson"]


def test_coordinates_are_micro_degrees(outlets) -> None:
    data = _payload(mapview.build_map({"outlets": outlets}, point_limit=3))
    assert data["n"] == 4
    assert (data["x0"], data["y0"]) == (114_250_000, 30_580_000)
    lon = [(data["x0"] + _decode(data["x"], i)) / 1e6 for i in range(4)]
    lat = [(data["y0"] + _decode(data["y"], i)) / 1e6 for i in range(4)]
    assert lon == [114.25, 114.35, 114.3, 114.251235]  # rounded to 6 decimals (~0.1 m)
    assert lat == [30.6, 30.65, 30.58, 30.605432]


def test_styles_follow_the_spec_colours(outlets) -> None:
    data = _payload(mapview.build_map({"outlets": outlets}, point_limit=3))
    fills = [data["styles"][_decode(data["style"], i)]["fillColor"] for i in range(4)]
    # layers/outlets.toml: 整治完成 #1a9850, 已排查 #d73027, blank → default #888888
    assert fills == ["#1a9850", "#d73027", "#888888", "#d73027"]


def test_layer_style_rings_overdue_points(outlets) -> None:
    style = mapview.LayerStyle(color_by="stage", colors={"已排查": "#ff0000"}, ring="overdue",
                               ring_color="#111111", default_color="#cccccc")  # fmt: skip
    m = mapview.build_map({"outlets": outlets}, styles={"outlets": style}, point_limit=3)
    data = _payload(m)
    got = [data["styles"][_decode(data["style"], i)] for i in range(4)]
    assert [(s["fillColor"], s["color"], s["weight"]) for s in got] == [
        ("#cccccc", "#ffffff", 1),
        ("#ff0000", "#111111", 3),  # overdue: ringed
        ("#cccccc", "#ffffff", 1),
        ("#ff0000", "#ffffff", 1),
    ]


def _column(data: dict, label: str) -> list[str]:
    (col,) = [c for c in data["columns"] if c["label"] == label]
    if "text" in col:
        return col["text"].split(map_points.SEP)
    return [col["values"][k - 1] if (k := _decode(col["codes"], i)) else "" for i in range(4)]


def test_popup_columns_are_formatted_like_geojson_popups(outlets) -> None:
    data = _payload(mapview.build_map({"outlets": outlets}, point_limit=3))
    code = _column(data, "排污口编码(国家统一赋码)")
    assert code == ["O1", "O2", "O3", "O/4 &"]  # raw: the page escapes the one it shows
    assert _column(data, "整治进度") == ["整治完成", "已排查", "", "已排查"]
    assert _column(data, "整治时限") == ["2024-05-01", "", "", ""]
    assert _column(data, "所在区县") == ["江岸区", "江岸区", "江汉区", ""]
    assert data["columns"][data["tooltip"]]["label"] == "排污口名称"


def test_english_labels(outlets) -> None:
    data = _payload(mapview.build_map({"outlets": outlets}, point_limit=3, lang="en"))
    assert _column(data, "Rectification stage") == ["Rectified", "Surveyed", "", "Surveyed"]


def test_legend_counts_match_the_geojson_path(outlets) -> None:
    def legend(m) -> list[str]:
        page = mapview.map_html(m)
        literal = re.search(r'div.innerHTML = ("(?:[^"\\]|\\.)*");', page)
        return re.findall(r'</i>([^<]+)<span class="n">(\d+)', json.loads(literal.group(1)))

    small = legend(mapview.build_map({"outlets": outlets}))
    big = legend(mapview.build_map({"outlets": outlets}, point_limit=3))
    assert big == small == [("已排查", "2"), ("整治完成", "1"), ("其他/未填", "1")]


def test_page_text_is_never_markup_or_template(outlets) -> None:
    page = mapview.map_html(mapview.build_map({"outlets": outlets}, point_limit=3))
    script = page[page.index("new L.GeomonPoints(") :]
    payload = script[: script.index("\n")]
    assert "<" not in payload  # no "</script" or "<!--" inside the script element
    assert "\\u003cscript>alert(1)\\u003c/script>" in payload  # the name, as text
    assert "{{ 7*7 }}" in payload and '"49"' not in payload  # never evaluated as Jinja


def test_popup_link_uses_the_raw_id(outlets) -> None:
    style = mapview.LayerStyle(
        color_by="stage", colors={}, link=(Label("档案", "Record"), "/outlet?outlet={id}")
    )
    data = _payload(mapview.build_map({"outlets": outlets}, styles={"outlets": style},
                                      point_limit=3))  # fmt: skip
    assert data["link"] == ["档案", "/outlet?outlet={id}"]
    assert data["ids"]["text"].split(map_points.SEP) == ["O1", "O2", "O3", "O/4 &"]


def test_non_point_geometries_keep_the_geojson_path(outlets) -> None:
    mixed = outlets.copy()
    mixed.loc[3, "geometry"] = Point(114.2, 30.6).buffer(0.01)
    m = mapview.build_map({"outlets": mixed}, point_limit=3)
    assert not [c for c in m._children.values() if isinstance(c, PointCloud)]


@pytest.mark.browser
def test_clusters_expand_and_points_open_escaped_popups(chromium, outlets, tmp_path) -> None:
    page_html = mapview.map_html(
        mapview.build_map({"outlets": outlets}, point_limit=3, center=(30.6, 114.3), zoom=8),
        inline=True,
    )
    path = tmp_path / "map.html"
    path.write_text(page_html, encoding="utf-8")
    page = chromium.new_page(viewport={"width": 1000, "height": 700})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: errors.append("dialog: " + d.message))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(path.as_uri())
        page.wait_for_function("window.geomonPointLayers && window.geomonPointLayers[0].drawn > 0")
        # at zoom 8 the four outlets (≤ 11 km apart) are one cluster of 4
        assert page.locator(".geomon-cluster").all_inner_texts() == ["4"]
        page.locator(".geomon-cluster").click()
        page.wait_for_function("window.geomonPointLayers[0]._map.getZoom() > 8")
        page.wait_for_timeout(400)  # the zoom animation, then moveend redraws
        # zoom in until every outlet is its own canvas point
        deadline = time.monotonic() + 10
        while page.locator(".geomon-cluster").count() and time.monotonic() < deadline:
            page.locator(".geomon-cluster").first.click()
            page.wait_for_timeout(400)
        assert page.locator(".geomon-cluster").count() == 0
        # click the point of O2 (its name is markup)
        x, y = page.evaluate(
            """() => { const l = window.geomonPointLayers[0], m = l._map;
                       m.setView([30.65, 114.35], 15, {animate: false});
                       const p = m.latLngToContainerPoint([30.65, 114.35]);
                       const r = m.getContainer().getBoundingClientRect();
                       return [r.left + p.x, r.top + p.y]; }"""
        )
        page.wait_for_timeout(200)
        page.mouse.click(x, y)
        popup = page.locator(".geomon-popup .leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        assert "排污口编码(国家统一赋码)\tO2" in text and "整治进度\t已排查" in text
        assert EVIL in text  # shown as text, not run
        assert page.locator(".geomon-popup script").count() == 0
    finally:
        page.close()
    assert errors == []
    assert not [u for u in requests if not u.startswith(("file:", "data:"))]


def test_supercluster_is_served_locally(outlets) -> None:
    # st_folium loads each element's default_js itself, so the link must be the vendored file
    cloud = _cloud(mapview.build_map({"outlets": outlets}, point_limit=3, asset_base="/x/vendor"))
    assert cloud.default_js == [("supercluster", "/x/vendor/supercluster/supercluster.min.js")]
    assert (mapview.STATIC_VENDOR_DIR / "supercluster" / "supercluster.min.js").is_file()


def test_join_text_reads_chunked_arrow_columns() -> None:
    chunked = pa.chunked_array([["甲", None], ["乙\x1f丙"]], type=pa.large_string())
    values = pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    assert map_points.join_text(values) == "甲\x1f\x1f乙 丙"  # blank → "", SEP inside → space
