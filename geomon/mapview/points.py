"""Big point layers on the map: compact data, clustered in the browser, drawn on canvas.

A national outlet registry has ~200,000 points. As GeoJSON with a popup per feature that is a
130 MiB page which folium takes ~37 s to build and Chromium cannot draw in a minute (one SVG
element per point). A `PointCloud` sends the points as columns instead — coordinates as integer
micro-degrees, each popup field dictionary-encoded (values formatted once per distinct value),
one style index per point — and the page clusters them with supercluster (vendored, offline),
draws only what is in view (cluster badges, single points as canvas circles) and builds a
popup or tooltip only when a point is clicked or hovered.

The data never passes through Jinja twice (`geomon.mapview.elements.VerbatimScripts`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from geomon.mapview.elements import VerbatimScripts

SUPERCLUSTER = "supercluster/supercluster.min.js"  # under static/vendor (npm ci)
CLUSTER_MAX_ZOOM = 14  # from zoom 15 on every point is drawn on its own
CLUSTER_RADIUS_PX = 60


# Integers travel as fixed-width base-88 text: one byte per digit, no separators, and built
# with numpy in milliseconds (a JSON list of 200k integers takes ~60 ms per column to write).
# The digits are printable ASCII without '"', '\\', '<', '>' and '&', so the text is safe
# inside a JSON string inside a <script> element.
ALPHABET = "".join(chr(c) for c in range(35, 127) if chr(c) not in "\\<>&")
_DIGITS = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_BASE = len(ALPHABET)
SEP = "\x1f"  # between the rows of a text column (ASCII unit separator)


@dataclass(frozen=True, slots=True)
class Column:
    """One popup/tooltip field: its label and its values, in one of two forms.

    Few distinct values (enums, districts, dates): `codes` index `values`, HTML-ready strings
    (escaped, braces as entities), -1 for blank. Mostly distinct text (codes, names): `text`
    holds the raw strings ("" for blank) and the page escapes the one it shows.
    """

    label: str  # HTML-ready
    codes: np.ndarray | None = None
    values: Sequence[str] = ()
    text: str | None = None  # the rows joined by `SEP` (see `join_text`)


@dataclass(frozen=True, slots=True)
class PointData:
    """Everything the browser needs to draw one big point layer."""

    lon: np.ndarray  # EPSG:4326 (or GCJ-02 for AMap) degrees
    lat: np.ndarray
    style_codes: np.ndarray  # per point: an index into `styles`
    styles: Sequence[Mapping[str, Any]]  # Leaflet circleMarker options
    columns: Sequence[Column]  # popup rows, in order
    tooltip: int | None = None  # index of the column shown on hover
    link: tuple[str, str, str] | None = None  # (escaped text, URL with {id}, `join_text` ids)


def fixed_width(values: np.ndarray) -> tuple[int, str]:
    """(width, text): non-negative integers as `width` base-88 digits each, concatenated."""
    v = np.asarray(values, dtype=np.int64)
    if len(v) and v.min() < 0:
        msg = "fixed_width encodes non-negative integers only"
        raise ValueError(msg)
    width, top = 1, int(v.max()) if len(v) else 0
    while _BASE**width <= top:
        width += 1
    digits = np.empty((len(v), width), dtype=np.int64)
    for k in range(width - 1, -1, -1):
        digits[:, k] = v % _BASE
        v = v // _BASE
    return width, _DIGITS[digits].tobytes().decode("ascii")


def join_text(values: pd.Series) -> str:
    """The rows as one string joined by `SEP` ("" for blank, a `SEP` inside a value → space),
    in Arrow: no Python string per row."""
    arr = pa.array(values.astype("string"), type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # Arrow-backed columns may come in chunks
        arr = arr.combine_chunks()
    arr = pc.replace_substring(arr.fill_null(""), SEP, " ")
    rows = pa.LargeListArray.from_arrays(pa.array([0, len(arr)], type=pa.int64()), arr)
    return str(pc.binary_join(rows, pa.scalar(SEP, pa.large_string()))[0].as_py())


def _json(value: object) -> str:
    # no "<" at all inside the page's <script> element: "</script" or "<!--" would change how
    # the HTML parser reads it
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def _ints(values: np.ndarray) -> list[str]:
    width, text = fixed_width(values)
    return [f'{{"w":{width},"s":"', text, '"}']


def _column(col: Column) -> list[str]:
    """Pieces of one column's JSON (joined once, with everything else, by `encode`)."""
    head = f'{{"label":{_json(col.label)},'
    if col.text is not None:
        return [head, '"text":', _json(col.text), "}"]
    codes = np.asarray(col.codes, dtype=np.int64) + 1  # blank (-1) becomes 0
    return [head, '"codes":', *_ints(codes), ',"values":', _json(list(col.values)), "}"]


def encode(data: PointData) -> str:
    """The JSON the page's `L.GeomonPoints` reads: numpy and one final join, no per-row JSON."""
    lon = np.round(np.asarray(data.lon, dtype=float) * 1e6).astype(np.int64)
    lat = np.round(np.asarray(data.lat, dtype=float) * 1e6).astype(np.int64)
    x0, y0 = (int(lon.min()), int(lat.min())) if len(lon) else (0, 0)
    parts = [f'{{"n":{len(lon)},"alphabet":{_json(ALPHABET)},"x0":{x0},"y0":{y0},"x":']
    parts += [*_ints(lon - x0), ',"y":', *_ints(lat - y0), ',"style":', *_ints(data.style_codes)]
    parts += [f',"styles":{_json(list(data.styles))},"columns":[']
    for i, col in enumerate(data.columns):
        parts += [","] * (i > 0) + _column(col)
    parts.append(f'],"tooltip":{"null" if data.tooltip is None else int(data.tooltip)}')
    if data.link is not None:
        text, url, ids = data.link
        parts += [f',"link":{_json([text, url])},"ids":', *_column(Column("", text=ids))]
    parts.append("}")
    return "".join(parts)


# Defined once per page (guarded), instantiated per layer. Plain ES5 + Leaflet 1.9 API.
_CLASS_JS = r"""
if (!L.GeomonPoints) {
  L.GeomonPoints = L.Layer.extend({
    initialize: function (data, options) {
      L.setOptions(this, options);
      var dig = this._dig = new Int16Array(128);
      for (var a = 0; a < data.alphabet.length; a++) dig[data.alphabet.charCodeAt(a)] = a;
      this._d = data;
      this._base = data.alphabet.length;
      this.drawn = 0;
      var n = data.n, pts = new Array(n);
      for (var i = 0; i < n; i++) {
        var lon = (data.x0 + this._int(data.x, i)) / 1e6;
        var lat = (data.y0 + this._int(data.y, i)) / 1e6;
        pts[i] = {type: "Feature", properties: {i: i},
                  geometry: {type: "Point", coordinates: [lon, lat]}};
      }
      this._index = new Supercluster({radius: options.clusterRadius,
        maxZoom: options.clusterMaxZoom, minPoints: 2}).load(pts);
      this._group = L.featureGroup();
      (window.geomonPointLayers = window.geomonPointLayers || []).push(this);
    },
    _int: function (col, i) {
      var v = 0, s = col.s, w = col.w, o = i * w;
      for (var k = 0; k < w; k++) v = v * this._base + this._dig[s.charCodeAt(o + k)];
      return v;
    },
    _text: function (col, i) {  // raw text of row i of a text column
      col.rows = col.rows || col.text.split("\x1f");
      return col.rows[i];
    },
    _value: function (col, i) {  // HTML for row i of a column, "" when blank
      if (col.text !== undefined) {
        var div = document.createElement("div");
        div.textContent = this._text(col, i);
        return div.innerHTML;
      }
      var code = this._int(col.codes, i);
      return code > 0 ? col.values[code - 1] : "";
    },
    onAdd: function (map) {
      this._renderer = this._renderer || L.canvas({pane: this.options.pane, padding: 0.2});
      this._group.addTo(map);
      map.on("moveend", this._update, this);
      this._update();
    },
    onRemove: function (map) {
      map.off("moveend", this._update, this);
      map.removeLayer(this._group);
    },
    _update: function () {
      var map = this._map; if (!map) return;
      var b = map.getBounds().pad(0.2);
      var bbox = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
                  Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
      var items = this._index.getClusters(bbox, Math.round(map.getZoom()));
      this._group.clearLayers();
      for (var k = 0; k < items.length; k++) {
        var f = items[k], c = f.geometry.coordinates, ll = L.latLng(c[1], c[0]);
        var cluster = f.properties.cluster;
        this._group.addLayer(cluster ? this._cluster(f, ll) : this._point(f.properties.i, ll));
      }
      this.drawn = items.length;
    },
    _cluster: function (f, ll) {
      var count = f.properties.point_count;
      var size = count < 100 ? 30 : count < 1000 ? 36 : count < 10000 ? 44 : 52;
      var icon = L.divIcon({html: "<span>" + f.properties.point_count_abbreviated + "</span>",
        className: "geomon-cluster", iconSize: [size, size]});
      var marker = L.marker(ll, {icon: icon, pane: this.options.pane, title: String(count)});
      var index = this._index, id = f.properties.cluster_id, self = this;
      marker.on("click", function () {
        self._map.setView(ll, Math.min(index.getClusterExpansionZoom(id), self._map.getMaxZoom()));
      });
      return marker;
    },
    _point: function (i, ll) {
      var d = this._d, self = this;
      var opts = L.extend({}, d.styles[this._int(d.style, i)],
        {renderer: this._renderer, pane: this.options.pane, radius: this.options.radius});
      var marker = L.circleMarker(ll, opts);
      if (d.tooltip !== null) {
        var col = d.columns[d.tooltip], name = this._value(col, i);
        if (name) marker.bindTooltip(name, {sticky: true});
      }
      marker.bindPopup(function () { return self._popup(i); },
        {maxWidth: 460, className: "geomon-popup"});
      return marker;
    },
    _popup: function (i) {
      var d = this._d, rows = [];
      for (var k = 0; k < d.columns.length; k++) {
        var v = this._value(d.columns[k], i);
        if (v !== "") rows.push("<tr><th>" + d.columns[k].label + "</th><td>" + v + "</td></tr>");
      }
      var div = document.createElement("div");
      div.innerHTML = "<table>" + rows.join("") + "</table>";
      if (d.link) {
        var a = document.createElement("a");
        a.href = d.link[1].replace("{id}", encodeURIComponent(this._text(d.ids, i)));
        a.target = "_blank"; a.rel = "noopener"; a.innerHTML = d.link[0];
        div.appendChild(a);
      }
      return div;
    }
  });
}
"""


class PointCloud(JSCSSMixin, Layer, VerbatimScripts):
    """A clustered, canvas-drawn point layer (see the module docstring); one per big layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.class_js }}
        var {{ this.get_name() }} = new L.GeomonPoints({{ this.payload }}, {{ this.js_options }});
        {% endmacro %}
        """
    )

    def __init__(self, data: PointData, *, name: str, pane: str, radius: float) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "GeomonPoints"
        self.default_js = [("supercluster", SUPERCLUSTER)]  # made absolute by localize_assets
        self.class_js = _CLASS_JS
        self.payload = encode(data)
        self.count = len(data.lon)
        options = {"pane": pane, "radius": radius, "clusterRadius": CLUSTER_RADIUS_PX,
                   "clusterMaxZoom": CLUSTER_MAX_ZOOM}  # fmt: skip
        self.js_options = json.dumps(options)
