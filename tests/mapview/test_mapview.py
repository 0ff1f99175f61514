"""The folium map: one layer per spec, styles and labels from the specs, escaping, no CDN."""

from __future__ import annotations

import html
import json
import os
from html.parser import HTMLParser

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely import LineString, Point, box

from geomon import mapview
from geomon.errors import CRSError
from geomon.mapview import assets as map_assets
from geomon.mapview.legend import MapControls
from geomon.specs import Label, get_spec
from geomon.validate import apply_dtypes

EVIL = "<script>alert(1)</script>"


def _layer(name: str, rows: list[dict], geoms: list, crs: int | None = 4326) -> gpd.GeoDataFrame:
    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=crs), name)


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    """Outlets first on purpose: the map must still draw districts at the bottom."""
    return {
        "outlets": _layer(
            "outlets",
            [
                {
                    "code": "O1",
                    "name": "一号口",
                    "stage": "整治完成",
                    "sign_installed": True,
                    "deadline": "2024-05-01",
                },
                {"code": "O2", "name": EVIL, "stage": "已排查", "sign_installed": False},
                {"code": "O3", "name": "三号口", "stage": None},
            ],
            [Point(114.25, 30.60), Point(114.35, 30.65), Point(114.30, 30.58)],
        ),
        "sections": _layer(
            "sections",
            [{"code": "S1", "name": "宗关", "control_level": "国控", "target_class": "III"}],
            [Point(114.30, 30.62)],
        ),
        "rivers": _layer(
            "rivers",
            [{"code": "R1", "name": "汉江", "kind": "干流"}],
            [LineString([(114.22, 30.57), (114.38, 30.68)])],
        ),
        "districts": _layer(
            "districts",
            [{"code": "420102", "name": "江岸区", "level": "区县"}],
            [box(114.20, 30.55, 114.40, 30.70)],
        ),
    }


def _geojsons(m: folium.Map) -> list[folium.GeoJson]:
    return [c for c in m._children.values() if isinstance(c, folium.GeoJson)]


def _feature(m: folium.Map, layer_title: str, code: str) -> dict:
    (gj,) = [g for g in _geojsons(m) if g.layer_name == layer_title]
    return next(f for f in gj.data["features"] if f["properties"]["code"] == code)


class _Resources(HTMLParser):
    """Collect every URL a page would fetch: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        self.urls += [v for k, v in attrs if k == wanted and v]


def _resources(page: str) -> list[str]:
    parser = _Resources()
    parser.feed(page)
    return parser.urls


def test_one_geojson_per_layer_bottom_to_top(layers) -> None:
    m = mapview.build_map(layers)

    names = [g.layer_name for g in _geojsons(m)]
    assert names == ["行政区划", "河流水系", "水质监测断面", "入河排污口"]
    panes = [c for c in m._children.values() if isinstance(c, folium.map.CustomPane)]
    assert [p.name for p in panes] == [
        "geomon_districts",
        "geomon_rivers",
        "geomon_sections",
        "geomon_outlets",
    ]
    assert [p.z_index for p in panes] == [401, 402, 403, 404]
    assert [g.options["pane"] for g in _geojsons(m)] == [p.name for p in panes]
    assert not [c for c in m._children.values() if isinstance(c, folium.Marker)]


def test_points_are_circle_markers_in_their_pane(layers) -> None:
    outlets = _geojsons(mapview.build_map(layers))[-1]

    assert isinstance(outlets.marker, folium.CircleMarker)
    assert outlets.marker.options["radius"] == get_spec("outlets").style.radius
    assert outlets.marker.options["pane"] == "geomon_outlets"


def test_popup_and_tooltip_use_spec_fields_and_labels(layers) -> None:
    spec = get_spec("outlets")
    outlets = _geojsons(mapview.build_map(layers))[-1]
    popup = next(c for c in outlets._children.values() if isinstance(c, folium.GeoJsonPopup))
    tooltip = next(c for c in outlets._children.values() if isinstance(c, folium.GeoJsonTooltip))

    assert popup.fields == list(spec.popup_fields)
    assert popup.aliases[0] == "排污口编码(国家统一赋码)"
    assert popup.aliases[spec.popup_fields.index("stage")] == "整治进度"
    assert tooltip.fields == ["name"]
    assert tooltip.aliases == ["入河排污口"]
    assert set(spec.popup_fields) <= set(outlets.data["features"][0]["properties"])


def test_english_labels(layers) -> None:
    m = mapview.build_map(layers, lang="en")

    assert [g.layer_name for g in _geojsons(m)][-1] == "River discharge outlets"
    assert _feature(m, "River discharge outlets", "O1")["properties"]["stage"] == "Rectified"


@pytest.mark.parametrize(
    ("layer", "code", "field", "shown"),
    [
        pytest.param("水质监测断面", "S1", "target_class", "Ⅲ类", id="enum-label"),
        pytest.param("入河排污口", "O1", "sign_installed", "是", id="bool-yes"),
        pytest.param("入河排污口", "O2", "sign_installed", "否", id="bool-no"),
        pytest.param("入河排污口", "O3", "sign_installed", None, id="bool-blank"),
        pytest.param("入河排污口", "O1", "deadline", "2024-05-01", id="date"),
        pytest.param("入河排污口", "O2", "name", html.escape(EVIL), id="escaped"),
    ],
)
def test_popup_values_are_formatted(layers, layer, code, field, shown) -> None:
    m = mapview.build_map(layers)

    assert _feature(m, layer, code)["properties"][field] == shown


def test_user_text_is_escaped_everywhere(layers) -> None:
    layers["districts"].loc[0, "name"] = EVIL  # also reaches the tooltip
    page = mapview.map_html(mapview.build_map(layers))

    assert EVIL not in page
    assert "alert(1)" in page  # the text is kept, only defused
    assert "<script>alert" not in page


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("O1", "#1a9850", id="整治完成"),
        pytest.param("O2", "#d73027", id="已排查"),
        pytest.param("O3", "#888888", id="blank-stage-default"),
    ],
)
def test_colour_follows_spec_style(layers, code: str, expected: str) -> None:
    m = mapview.build_map(layers)
    (outlets,) = [g for g in _geojsons(m) if g.layer_name == "入河排污口"]

    style = outlets.style_function(_feature(m, "入河排污口", code))

    assert style["fillColor"] == expected
    assert style["fill"] is True


def test_line_and_polygon_styles_follow_spec(layers) -> None:
    m = mapview.build_map(layers)
    rivers, districts = (
        next(g for g in _geojsons(m) if g.layer_name == t) for t in ("河流水系", "行政区划")
    )

    river = rivers.style_function(rivers.data["features"][0])
    district = districts.style_function(districts.data["features"][0])

    assert (river["color"], river["weight"]) == ("#1f5fa8", 3.0)
    assert district == {
        "color": "#636363",
        "weight": 1.5,
        "fillColor": "#636363",
        "fillOpacity": 0.0,
        "dashArray": "6 4",
    }


def test_legend_lists_colours_on_the_map_with_counts(layers) -> None:
    m = mapview.build_map(layers)
    (controls,) = [c for c in m._children.values() if isinstance(c, MapControls)]

    legend = controls.legend
    assert legend.index("入河排污口") < legend.index("行政区划")  # top layer first
    assert "已排查" in legend
    assert "整治完成" in legend
    assert "已销号" not in legend  # no such outlet
    assert "其他/未填" in legend  # O3 has no stage
    assert "#1a9850" in legend


def test_no_cdn_urls(layers) -> None:
    m = mapview.build_map(layers)
    page = mapview.map_html(m)

    urls = _resources(page)
    assert urls, "the page loads Leaflet"
    assert all(u.startswith(mapview.ASSET_BASE + "/") for u in urls), urls
    assert "cdn" not in page.lower()
    assert "bootstrap" not in page.lower()
    # st_folium ignores the rendered header and loads each element's default_js/css instead
    links = [
        url
        for e in map_assets._walk(m)
        for attr in ("default_js", "default_css")
        for _, url in getattr(e, attr, [])
    ]
    assert links
    assert all(u.startswith(mapview.ASSET_BASE + "/") for u in links), links


def test_asset_base_is_configurable(layers) -> None:
    page = mapview.map_html(mapview.build_map(layers, asset_base="https://gis.example.gov.cn/v/"))

    assert "https://gis.example.gov.cn/v/leaflet/leaflet.js" in _resources(page)


def test_max_zoom_set_without_tiles(layers) -> None:
    m = mapview.build_map(layers)

    assert m.options["maxZoom"] == mapview.MAX_ZOOM
    assert '"maxZoom": 18' in mapview.map_html(m)


def test_fits_the_data(layers) -> None:
    m = mapview.build_map(layers)

    (fit,) = [c for c in m._children.values() if isinstance(c, folium.map.FitBounds)]
    assert fit.bounds == [[30.55, 114.20], [30.70, 114.40]]
    assert not [c for c in m._children.values() if isinstance(c, folium.TileLayer)]


def test_center_and_zoom_override_fit(layers) -> None:
    m = mapview.build_map(layers, center=(30.6, 114.3), zoom=12)

    assert m.location == [30.6, 114.3]
    assert m.options["zoom"] == 12
    assert not [c for c in m._children.values() if isinstance(c, folium.map.FitBounds)]


def test_inputs_are_not_mutated(layers) -> None:
    before = {k: v.copy() for k, v in layers.items()}
    mapview.build_map(layers, basemap="amap")

    for name, frame in layers.items():
        assert_geodataframe_equal(frame, before[name])


def test_empty_layers_are_left_out(layers) -> None:
    layers["rivers"] = layers["rivers"].iloc[:0]
    m = mapview.build_map(layers)

    assert "河流水系" not in [g.layer_name for g in _geojsons(m)]


def test_no_data_gives_an_empty_map_of_china() -> None:
    m = mapview.build_map({})

    assert _geojsons(m) == []
    assert m.location == [35.0, 105.0]
    assert "maxZoom" in m.options


def test_projected_input_is_reprojected(layers) -> None:
    layers["districts"] = layers["districts"].to_crs(4547)  # CGCS2000 GK CM 114E
    m = mapview.build_map(layers)

    ring = _feature(m, "行政区划", "420102")["geometry"]["coordinates"][0]
    assert np.allclose(sorted({x for x, _ in ring}), [114.20, 114.40])


def test_missing_crs_is_an_error(layers) -> None:
    layers["rivers"] = layers["rivers"].set_crs(None, allow_override=True)

    with pytest.raises(CRSError, match="'rivers' has no CRS"):
        mapview.build_map(layers)


def test_non_spatial_layer_is_an_error() -> None:
    monitoring = apply_dtypes(pd.DataFrame({"section_code": ["S1"]}), "monitoring")

    with pytest.raises(mapview.MapError, match="no geometry"):
        mapview.build_map({"monitoring": monitoring})


@pytest.mark.parametrize(
    ("basemap", "key", "url_part", "count"),
    [
        pytest.param("osm", None, "tile.openstreetmap.org", 1, id="osm"),
        pytest.param("tianditu", "KEY123", "tk=KEY123", 2, id="tianditu"),
        pytest.param("https://tiles.example.cn/{z}/{x}/{y}.png", None, "example.cn", 1, id="url"),
        pytest.param("amap", None, "autonavi.com", 1, id="amap"),
    ],
)
def test_basemaps(layers, basemap: str, key: str | None, url_part: str, count: int) -> None:
    m = mapview.build_map(layers, basemap=basemap, tianditu_key=key)

    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == count
    assert all(url_part in t.tiles for t in tiles)
    assert all(t.options["max_zoom"] == mapview.MAX_ZOOM for t in tiles)


def test_amap_shifts_data_to_gcj02(layers) -> None:
    m = mapview.build_map(layers, basemap="amap")

    lon, lat = _feature(m, "水质监测断面", "S1")["geometry"]["coordinates"]
    # near Wuhan GCJ-02 lies about 520 m east and 270 m south of WGS84 (+0.0054°, -0.0024°)
    assert 0.003 < lon - 114.30 < 0.008
    assert -0.004 < lat - 30.62 < 0.0


@pytest.mark.parametrize(
    ("basemap", "message"),
    [
        pytest.param("tianditu", "needs a key", id="tianditu-without-key"),
        pytest.param("google", "unknown basemap 'google'", id="unknown"),
    ],
)
def test_bad_basemap_is_an_error(layers, basemap: str, message: str) -> None:
    with pytest.raises(mapview.MapError, match=message):
        mapview.build_map(layers, basemap=basemap)


def test_localize_assets_rewrites_plugins_and_refuses_unknown_cdns(layers) -> None:
    m = mapview.build_map(layers)
    cluster = folium.plugins.MarkerCluster().add_to(m)
    mapview.localize_assets(m)

    assert cluster.default_js == [
        ("markerclusterjs", "/app/static/vendor/leaflet.markercluster/leaflet.markercluster.js")
    ]
    assert folium.plugins.MarkerCluster.default_js[0][1].startswith("https://")  # class intact

    folium.plugins.MiniMap().add_to(m)  # not vendored
    with pytest.raises(mapview.MapError, match="Control_MiniMap_js would load https://"):
        mapview.localize_assets(m)


def test_jquery_only_when_needed(layers) -> None:
    m = mapview.build_map(layers)
    assert [name for name, _ in m.default_js] == ["leaflet"]

    folium.Popup("x").add_to(folium.CircleMarker((30.6, 114.3)).add_to(m))
    mapview.localize_assets(m)
    assert [name for name, _ in m.default_js] == ["leaflet", "jquery"]


def _require_vendor() -> None:
    if not (mapview.STATIC_VENDOR_DIR / mapview.ASSETS["leaflet"]).is_file():
        msg = "static/vendor is missing: run `npm ci` in the project root"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


def test_every_asset_is_vendored() -> None:
    _require_vendor()
    for rel in mapview.ASSETS.values():
        for lang in ("cn", "en"):
            assert (mapview.STATIC_VENDOR_DIR / rel.format(lang=lang)).is_file(), rel


def test_inline_html_needs_no_server(layers) -> None:
    _require_vendor()
    page = mapview.map_html(mapview.build_map(layers), inline=True)

    assert _resources(page) == []
    assert "L.map(" in page
    assert "Control.FullScreen" in page
    assert 'url("data:image/png;base64,' in page  # the layer-control icon from leaflet.css


# ------------------------------------------------------------------------------ per-map styles

CLASS_STYLE = mapview.LayerStyle(
    color_by="class",
    colors={"II": "#42a5f5", "IV": "#f2c500"},
    labels={"II": Label("Ⅱ类", "Class II"), "IV": Label("Ⅳ类", "Class IV")},
    title=Label("水质类别", "Class"),
    default_label=Label("未评价", "Not assessed"),
    ring="fails_target",
    ring_label=Label("未达标", "Fails target"),
    popup={"class": Label("水质类别", "Class"), "fails_target": Label("未达标", "Fails")},
)


@pytest.fixture
def classed(layers) -> dict[str, gpd.GeoDataFrame]:
    sections = layers["sections"]
    extra = sections.iloc[[0, 0]].assign(code=["S2", "S3"])
    sections = pd.concat([sections, extra], ignore_index=True)
    sections["class"] = ["IV", "II", None]
    sections["fails_target"] = [True, False, False]
    return {**layers, "sections": sections}


@pytest.mark.parametrize(
    ("code", "fill", "stroke", "weight"),
    [
        pytest.param("S1", "#f2c500", "#111111", 3, id="IV-ringed"),
        pytest.param("S2", "#42a5f5", "#ffffff", 1, id="II-plain"),
        pytest.param("S3", "#9e9e9e", "#ffffff", 1, id="unassessed-default"),
    ],
)
def test_layer_style_colours_and_rings(classed, code, fill, stroke, weight) -> None:
    m = mapview.build_map(classed, styles={"sections": CLASS_STYLE})
    (gj,) = [g for g in _geojsons(m) if g.layer_name == "水质监测断面"]

    style = gj.style_function(_feature(m, "水质监测断面", code))

    assert (style["fillColor"], style["color"], style["weight"]) == (fill, stroke, weight)


def test_layer_style_popup_and_legend(classed) -> None:
    m = mapview.build_map(classed, styles={"sections": CLASS_STYLE}, lang="en")
    (gj,) = [g for g in _geojsons(m) if g.layer_name == "Monitoring sections"]
    popup = next(c for c in gj._children.values() if isinstance(c, folium.GeoJsonPopup))
    (controls,) = [c for c in m._children.values() if isinstance(c, MapControls)]

    assert popup.fields[-2:] == ["class", "fails_target"]
    assert popup.aliases[-2:] == ["Class", "Fails"]
    props = _feature(m, "Monitoring sections", "S1")["properties"]
    assert (props["class"], props["fails_target"]) == ("Class IV", "Yes")
    assert _feature(m, "Monitoring sections", "S3")["properties"]["class"] is None
    legend = controls.legend
    assert legend.index("Class II") < legend.index("Class IV")  # style order
    assert "Not assessed" in legend
    assert "Fails target" in legend
    assert "Control level" not in legend  # the spec colours are replaced


def test_layer_style_text_is_escaped(classed) -> None:
    classed["sections"]["class"] = [EVIL, "II", None]
    page = mapview.map_html(mapview.build_map(classed, styles={"sections": CLASS_STYLE}))

    assert EVIL not in page


def test_compact_map_collapses_controls(layers) -> None:
    m = mapview.build_map(layers, compact=True)
    (control,) = [c for c in m._children.values() if isinstance(c, folium.LayerControl)]
    (controls,) = [c for c in m._children.values() if isinstance(c, MapControls)]

    assert control.options["collapsed"] is True
    assert controls.legend.startswith("<details>")


@pytest.mark.parametrize(("lang", "chinese"), [("zh", True), ("en", False)])
def test_draw_is_local_and_localised(layers, lang: str, chinese: bool) -> None:
    m = mapview.add_draw(mapview.build_map(layers, lang=lang), lang=lang)
    page = mapview.map_html(m)

    urls = _resources(page)
    assert mapview.ASSET_BASE + "/leaflet-draw/leaflet.draw.js" in urls
    assert all(u.startswith(mapview.ASSET_BASE + "/") for u in urls), urls
    assert (json.dumps("绘制多边形（用地范围）")[1:-1] in page) is chinese  # tojson escapes
    if chinese:
        assert page.index("L.drawLocal") < page.index("new L.Control.Draw")  # strings first


def test_popup_link_to_the_record_is_escaped(layers) -> None:
    layers["outlets"].loc[1, "code"] = 'O"2&<x>'
    style = mapview.LayerStyle(
        color_by="stage", colors={}, link=(Label("打开档案", "Open"), "/outlet?outlet={id}")
    )
    m = mapview.build_map(layers, styles={"outlets": style})
    (outlets,) = [g for g in _geojsons(m) if g.layer_name == "入河排污口"]
    popup = next(c for c in outlets._children.values() if isinstance(c, folium.GeoJsonPopup))

    assert popup.fields[-1] == mapview._LINK
    links = [f["properties"][mapview._LINK] for f in outlets.data["features"]]
    assert links[0] == '<a href="/outlet?outlet=O1" target="_blank" rel="noopener">打开档案</a>'
    assert (
        links[1]
        == '<a href="/outlet?outlet=O%222%26%3Cx%3E" target="_blank" rel="noopener">打开档案</a>'
    )


def test_legend_layers_are_the_legend_as_data(classed) -> None:
    """What the printed map draws: the same rows as the HTML legend, swatch kind per geometry."""
    frames = {name: classed[name] for name in ("districts", "rivers", "sections", "outlets")}
    layers = mapview.legend_layers(frames, "en", {"sections": CLASS_STYLE}, shapes=True)

    assert [layer["title"] for layer in layers] == [
        get_spec(n).title.get("en") for n in ("outlets", "sections", "rivers", "districts")
    ]
    assert [layer["rows"][0]["kind"] for layer in layers] == ["pt", "dm", "ln", "pg"]
    sections = layers[1]
    assert sections["sub"] == "Class"
    assert [(r["kind"], r["color"], r["label"], r["count"]) for r in sections["rows"]] == [
        ("dm", "#42a5f5", "Class II", 1),
        ("dm", "#f2c500", "Class IV", 1),
        ("dm", CLASS_STYLE.default_color, "Not assessed", 1),
        ("ring", CLASS_STYLE.ring_color, "Fails target", 1),
    ]
    legend = mapview.legend_html(frames, "en", {"sections": CLASS_STYLE}, shapes=True)
    assert all(r["label"] in legend for layer in layers for r in layer["rows"])
