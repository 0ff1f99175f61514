"""Folium map of geomon layers: one layer per spec, a legend, offline browser assets.

Each layer becomes ONE `folium.GeoJson` (points drawn as circle markers), styled from its spec
(``layers/*.toml`` ``[style]``) and stacked in its own map pane so the z-order (the specs'
``draw_order``: districts at the bottom, outlets on top) survives toggling layers on and off.
Popups and tooltips show the spec's ``popup_fields`` with their labels; every value is
HTML-escaped before it reaches the page.
A point layer above ``GEOMON_MAP_POINT_LIMIT`` features is a `geomon.mapview.points.PointCloud`
instead (clustered, canvas, the same colours, popups and legend).

Scripts and stylesheets are served locally (`geomon.mapview.assets`); the legend and scale bar
are `geomon.mapview.legend`; drawing a footprint is `geomon.mapview.draw`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from geomon.config import MAP_POINT_LIMIT
from geomon.crs import wgs84_to_gcj02
from geomon.errors import CRSError, MapError
from geomon.mapview import values as mv

# re-exported (`x as x`): a map's page and assets are part of the map API callers use
from geomon.mapview.assets import ASSET_BASE as ASSET_BASE
from geomon.mapview.assets import ASSETS as ASSETS
from geomon.mapview.assets import STATIC_VENDOR_DIR as STATIC_VENDOR_DIR
from geomon.mapview.assets import localize_assets as localize_assets
from geomon.mapview.assets import map_html as map_html
from geomon.mapview.draw import add_draw as add_draw
from geomon.mapview.elements import GeoJsonLayer
from geomon.mapview.legend import MapControls, legend_html
from geomon.mapview.legend import legend_layers as legend_layers
from geomon.mapview.points import Column, PointCloud, PointData, join_text
from geomon.mapview.shapes import ShapeLayer, feature_collection_text
from geomon.mapview.values import LayerStyle as LayerStyle
from geomon.specs import LayerSpec, get_spec, map_order

MAX_ZOOM = 18
_PANE_Z0 = 401  # just above Leaflet's overlayPane (400), below shadows/markers (500/600)
_DEFAULT_CENTER, _DEFAULT_ZOOM = (35.0, 105.0), 4  # all of China, when there is no data
_COLOR = "__color"  # feature property carrying the style colour
_RING = "__ring"  # feature property: draw the highlight ring (e.g. overdue, fails target)
_LINK = "__link"  # feature property: a link from the popup to the feature's page

_AMAP = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
_TIANDITU = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
# the map's own look, shared with the tile map; `html .x` outranks leaflet.css, loaded after it
MAP_CSS = Path(__file__).with_name("map.css").read_text(encoding="utf-8")
_CSS = f"<style>\n{MAP_CSS}</style>"


def _ordered(names: Iterable[str]) -> list[str]:
    """Bottom to top by the specs' ``draw_order``; layers without one on top, as given."""
    rank = {name: i for i, name in enumerate(map_order())}
    return sorted(names, key=lambda n: rank.get(n, len(rank)))


def _properties(
    frame: gpd.GeoDataFrame, spec: LayerSpec, lang: str, own: LayerStyle | None = None
) -> pd.DataFrame:
    """The displayed properties only: popup fields, the name, derived columns, the link."""
    shown = dict.fromkeys([*spec.popup_fields, *([spec.name_field] if spec.name_field else [])])
    props = pd.DataFrame({n: mv.display(frame[n], spec, n, lang) for n in shown}, index=frame.index)
    for name in own.popup if own else ():
        props[name] = mv.own_display(frame[name].rename(name), own, spec, lang)
    if own is not None and own.link is not None and spec.id_field:
        text, url = html.escape(own.link[0].get(lang)), own.link[1]
        hrefs = [html.escape(url.format(id=quote(str(v), safe=""))) for v in frame[spec.id_field]]
        # a new tab: the map's sandboxed frame may open pop-ups but not navigate the app
        props[_LINK] = [f'<a href="{h}" target="_blank" rel="noopener">{text}</a>' for h in hrefs]
    return props


def _rounded(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Geometries with coordinates rounded to 6 decimals (~0.1 m): smaller pages."""
    return shapely.transform(frame.geometry.to_numpy(), lambda xy: np.round(xy, 6))


def _feature_collection(
    frame: gpd.GeoDataFrame, spec: LayerSpec, lang: str, own: LayerStyle | None = None
) -> dict[str, Any]:
    """GeoJSON of the displayed properties only, coordinates rounded to ~0.1 m."""
    props = _properties(frame, spec, lang, own)
    props[_COLOR] = mv.colors(frame, spec, own).to_numpy()
    if own is not None and own.ring:
        props[_RING] = frame[own.ring].astype("boolean").fillna(False).to_numpy(dtype=bool)
    # shapely writes each geometry's GeoJSON in C; geopandas' to_json walks coordinates in Python
    shapes = [json.loads(g) for g in shapely.to_geojson(_rounded(frame))]
    rows = props.astype(object).where(props.notna(), None).to_dict("records")
    features = [{"id": str(i), "type": "Feature", "properties": row, "geometry": shape}
                for i, (row, shape) in enumerate(zip(rows, shapes, strict=True))]  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def _point_style(own: LayerStyle | None) -> dict[str, Any]:
    """A point's circle marker, before its fill colour (and ring)."""
    return {"color": own.stroke if own else "#ffffff", "weight": own.stroke_weight if own else 1,
            "fill": True, "fillOpacity": 0.9}  # fmt: skip


def _style_function(spec: LayerSpec, own: LayerStyle | None = None) -> Any:
    ring_color = own.ring_color if own else "#111111"
    point = _point_style(own)
    shape = {"weight": spec.style.weight, "fillOpacity": spec.style.fill_opacity,
             "dashArray": spec.style.dash_array}  # fmt: skip

    def style_for(feature: dict[str, Any]) -> dict[str, Any]:
        color = feature["properties"][_COLOR]
        ring = feature["properties"].get(_RING)
        if feature["geometry"]["type"] in ("Point", "MultiPoint"):
            if ring:
                return {**point, "fillColor": color, "color": ring_color, "weight": 3}
            return {**point, "fillColor": color}
        if ring:
            return {"color": ring_color, "fillColor": color, **shape, "weight": 3}
        return {"color": color, "fillColor": color, **shape}

    return style_for


def _prepare(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        msg = f"layer {name!r} has no CRS; geomon frames are EPSG:4326 (set it with .set_crs())"
        raise CRSError(msg)
    if frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    keep = ~(frame.geometry.isna() | frame.geometry.is_empty)
    return frame[keep].reset_index(drop=True)


def _popup_fields(spec: LayerSpec, lang: str, own: LayerStyle | None) -> list[tuple[str, str]]:
    """(column, escaped label) of the popup rows: the spec's popup fields, then the style's."""
    hidden = set(own.hides) if own else set()
    rows = [
        (f, html.escape(spec.field(f).label.get(lang)))
        for f in spec.popup_fields
        if f not in hidden
    ]
    for name, label in (own.popup if own else {}).items():
        if name not in spec.popup_fields:
            rows.append((name, html.escape(label.get(lang))))
    return rows


def _geojson_layer(
    frame: gpd.GeoDataFrame, spec: LayerSpec, lang: str, pane: str, own: LayerStyle | None = None
) -> folium.GeoJson:
    rows = _popup_fields(spec, lang, own)
    fields, labels = [f for f, _ in rows], [label for _, label in rows]
    if own is not None and own.link is not None and spec.id_field:
        fields.append(_LINK)
        labels.append("")
    title = html.escape(spec.title.get(lang))
    tooltip = popup = marker = None
    if spec.name_field:
        tooltip = folium.GeoJsonTooltip(fields=[spec.name_field], aliases=[title], sticky=True)
    if fields:
        popup = folium.GeoJsonPopup(fields, labels, class_name="geomon-popup", max_width=460)
    if spec.geometry_type in ("Point", "Any"):
        marker = folium.CircleMarker(radius=spec.style.radius)
        marker.options["pane"] = pane  # folium drops unknown CircleMarker options
    data = _feature_collection(frame, spec, lang, own)
    style = _style_function(spec, own)
    return GeoJsonLayer(data, name=title, style_function=style, marker=marker, pane=pane,
                        tooltip=tooltip, popup=popup)  # fmt: skip


def _mostly_distinct(values: pd.Series, sample: int = 2_000) -> bool:
    """Are most values different (a code, a name)? Judged on the first `sample` rows."""
    head = values.iloc[:sample]
    return head.nunique() > len(head) * 3 // 4


def _big_column(
    values: pd.Series, label: str, spec: LayerSpec, lang: str, own: LayerStyle | None
) -> Column:
    """One popup column of a big layer: mostly distinct text goes raw (the page escapes the
    row it shows); anything else is a dictionary whose distinct values are formatted once."""
    name = str(values.name)
    own_column = own is not None and name in own.popup
    if not own_column and spec.field(name).type == "str" and _mostly_distinct(values):
        return Column(label, text=join_text(values))
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(uniques, name=name)
    if own_column:
        shown = mv.own_display(distinct, own, spec, lang)  # type: ignore[arg-type]
    else:
        shown = mv.display(distinct, spec, name, lang)
    return Column(label, codes=codes, values=[s if s is not None else "" for s in shown.tolist()])


def _point_cloud(
    frame: gpd.GeoDataFrame, spec: LayerSpec, lang: str, pane: str, own: LayerStyle | None = None
) -> PointCloud:
    """The big-layer path (`geomon.mapview.points`): same colours, rings, popups and links."""
    style_codes, palette = mv.style_codes(frame, spec, own)
    ringed = {"color": own.ring_color if own else "#111111", "weight": 3}
    styles = [{**_point_style(own), "fillColor": c, **(ringed if r else {})}
              for c in palette for r in (0, 1)]  # fmt: skip
    rows = _popup_fields(spec, lang, own)
    if spec.name_field and spec.name_field not in [f for f, _ in rows]:
        rows.append((spec.name_field, html.escape(spec.field(spec.name_field).label.get(lang))))
    columns = [_big_column(frame[f], label, spec, lang, own) for f, label in rows]
    tooltip = [f for f, _ in rows].index(spec.name_field) if spec.name_field else None
    link = None
    if own is not None and own.link is not None and spec.id_field:
        link = (mv.escape(own.link[0].get(lang)), own.link[1], join_text(frame[spec.id_field]))
    data = PointData(
        lon=shapely.get_x(frame.geometry.to_numpy()),
        lat=shapely.get_y(frame.geometry.to_numpy()),
        style_codes=style_codes,
        styles=styles,
        columns=columns,
        tooltip=tooltip,
        link=link,
    )
    name = html.escape(spec.title.get(lang))
    return PointCloud(data, name=name, pane=pane, radius=spec.style.radius)


def _layer_kind(frame: gpd.GeoDataFrame, point_limit: int) -> Any:
    """
    How to draw a layer: GeoJSON (small), a point cloud (more than `point_limit` points only),
    or a canvas shape layer (more than `point_limit` features or 20 × `point_limit` vertices).
    """
    geoms = frame.geometry.to_numpy()
    if len(frame) > point_limit and bool((shapely.get_type_id(geoms) == 0).all()):  # 0: Point
        return _point_cloud
    big = len(frame) > point_limit or shapely.get_num_coordinates(geoms).sum() > 20 * point_limit
    return _shape_layer if big else _geojson_layer


def _shape_layer(
    frame: gpd.GeoDataFrame, spec: LayerSpec, lang: str, pane: str, own: LayerStyle | None = None
) -> ShapeLayer:
    """The big line/polygon path (`geomon.mapview.shapes`): same colours, rings, popups, links."""
    style_codes, palette = mv.style_codes(frame, spec, own)
    shape = {"weight": spec.style.weight, "fillOpacity": spec.style.fill_opacity,
             "dashArray": spec.style.dash_array}  # fmt: skip
    ringed = {"color": own.ring_color if own else "#111111", "weight": 3}
    styles = [{"color": c, "fillColor": c, **shape, **(ringed if r else {})}
              for c in palette for r in (0, 1)]  # fmt: skip
    point_styles = [{**_point_style(own), "fillColor": c, **(ringed if r else {})}
                    for c in palette for r in (0, 1)]  # fmt: skip
    props = _properties(frame, spec, lang, own)
    data = feature_collection_text(_rounded(frame), props, style_codes)
    popup = _popup_fields(spec, lang, own)
    if _LINK in props:
        popup.append((_LINK, ""))
    title = html.escape(spec.title.get(lang))
    tooltip = (spec.name_field, title) if spec.name_field else None
    return ShapeLayer(data, name=title, pane=pane, styles=styles, point_styles=point_styles,
                      radius=spec.style.radius, popup=popup, tooltip=tooltip)  # fmt: skip


def _to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    return frame.set_geometry(shapely.transform(frame.geometry.to_numpy(), shift), crs=4326)


def _add_basemap(m: folium.Map, basemap: str, tianditu_key: str | None) -> None:
    tile = {"overlay": False, "control": False, "max_zoom": MAX_ZOOM}
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", **tile).add_to(m)
    elif basemap == "amap":
        folium.TileLayer(_AMAP, attr="© 高德地图 AutoNavi", subdomains="1234", **tile).add_to(m)
    elif basemap == "tianditu":
        if not tianditu_key:
            msg = "basemap 'tianditu' needs a key: pass `tianditu_key=` (apply at tianditu.gov.cn)"
            raise MapError(msg)
        for layer in ("vec", "cva"):  # vector map, then its annotation (labels) on top
            url = _TIANDITU.format(layer=layer, key=quote(tianditu_key, safe=""))
            folium.TileLayer(url, attr="© 天地图", subdomains="01234567", **tile).add_to(m)
    elif basemap.startswith(("http://", "https://", "/")) and "{z}" in basemap:
        attr = html.escape(urlsplit(basemap).netloc or "tiles")
        folium.TileLayer(basemap, attr=attr, **tile).add_to(m)
    else:
        msg = (
            f"unknown basemap {basemap!r}; use 'none', 'osm', 'tianditu', 'amap' or a tile URL "
            "template containing {z}/{x}/{y}"
        )
        raise MapError(msg)


def build_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    lang: str = "zh",
    basemap: str = "none",
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
    asset_base: str = ASSET_BASE,
    tianditu_key: str | None = None,
    styles: Mapping[str, LayerStyle] | None = None,
    compact: bool = False,
    point_limit: int = MAP_POINT_LIMIT,
) -> folium.Map:
    """
    Build the monitoring map ("一张图") of `layers`, keyed by layer name (``layers/*.toml``).

    Parameters
    ----------
    layers
        Spatial layers in EPSG:4326 as read from the store; empty frames are left out.
    lang
        ``"zh"`` (default) or ``"en"`` for layer titles, field labels, enum labels, controls.
    basemap
        ``"none"`` (default, offline: districts and rivers are the background), ``"osm"``,
        ``"tianditu"`` (needs `tianditu_key`), ``"amap"`` (geometries are shifted to GCJ-02
        so they sit on AMap's tiles) or a tile URL template with ``{z}/{x}/{y}``.
    center, zoom
        Initial view as (lat, lon) and zoom level; by default the map fits the data.
    asset_base
        URL prefix of the vendored scripts (see `localize_assets`).
    styles
        Per-layer `LayerStyle` overriding the spec's colours (e.g. sections by their period
        water-quality class, overdue outlets ringed); the columns it names must be in the frame.
    compact
        For a small map: the layer control and the legend start collapsed (no overlap).
    point_limit
        A point layer with more features than this is sent compactly, clustered in the browser
        and drawn on canvas (`geomon.mapview.points`); smaller layers are GeoJSON with SVG markers.
    """
    if lang not in ("zh", "en"):
        msg = f"`lang` must be 'zh' or 'en', got {lang!r}"
        raise MapError(msg)
    styles = dict(styles or {})
    frames = {}
    for name in _ordered(layers):
        spec = get_spec(name)
        if not spec.is_spatial:
            msg = f"layer {name!r} has no geometry and cannot be mapped"
            raise MapError(msg)
        frame = _prepare(layers[name], name)
        if len(frame):
            frames[name] = _to_gcj02(frame) if basemap == "amap" else frame
    m = folium.Map(location=center or _DEFAULT_CENTER, zoom_start=zoom or _DEFAULT_ZOOM, tiles=None)
    m.options["maxZoom"] = MAX_ZOOM  # tiles=None leaves it unset; MarkerCluster needs it
    m.get_root().header.add_child(Element(_CSS), name="geomon_css")
    if basemap != "none":
        _add_basemap(m, basemap, tianditu_key)
    for i, (name, frame) in enumerate(frames.items()):
        pane = f"geomon_{name}"
        folium.map.CustomPane(pane, z_index=_PANE_Z0 + i, pointer_events=True).add_to(m)
        layer = _layer_kind(frame, point_limit)
        layer(frame, get_spec(name), lang, pane, styles.get(name)).add_to(m)
    legend = legend_html(frames, lang, styles) if frames else ""
    if compact:
        legend = legend.replace("<details open>", "<details>", 1)
    MapControls(legend, css_class="geomon-nobasemap" if basemap == "none" else None).add_to(m)
    if frames and center is None:
        minx, miny, maxx, maxy = np.array([f.total_bounds for f in frames.values()]).T
        m.fit_bounds([[miny.min(), minx.min()], [maxy.max(), maxx.max()]], max_zoom=15)
    folium.LayerControl(collapsed=compact).add_to(m)
    folium.plugins.Fullscreen(
        title=mv.label_text("full", lang), title_cancel=mv.label_text("exit", lang)
    ).add_to(m)
    folium.plugins.MeasureControl("topleft", "meters", "kilometers", "sqmeters", "hectares").add_to(
        m
    )
    return localize_assets(m, asset_base=asset_base, lang=lang)


def popup_html(
    frame: gpd.GeoDataFrame, spec: LayerSpec, lang: str, own: LayerStyle | None = None
) -> list[str]:
    """Each row's popup as an HTML table (values escaped, blank rows left out): what a map
    popup shows, built on the server for the tile map's popups by id."""
    props = _properties(frame, spec, lang, own)
    rows = _popup_fields(spec, lang, own)
    if _LINK in props:
        rows.append((_LINK, ""))
    out = []
    for record in props.to_dict("records"):
        cells = [
            f"<tr><th>{label}</th><td>{record[name]}</td></tr>"
            for name, label in rows
            if record.get(name) is not None and str(record[name]) != ""
        ]
        out.append("<table>" + "".join(cells) + "</table>")
    return out


def to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`frame` shifted to GCJ-02, to sit on AMap's tiles (geomon keeps WGS84 everywhere else)."""
    return _to_gcj02(frame)


def basemap_tiles(basemap: str, tianditu_key: str | None) -> list[dict[str, Any]]:
    """The basemap as tile layers for a map built in the browser: url, attribution, subdomains."""
    m = folium.Map(tiles=None)
    if basemap != "none":
        _add_basemap(m, basemap, tianditu_key)
    return [
        {"url": child.tiles, "attr": child.options.get("attribution", ""),
         "subdomains": child.options.get("subdomains", "abc")}
        for child in m._children.values()
        if isinstance(child, folium.TileLayer)
    ]  # fmt: skip
