"""Big line and polygon layers on the map: one GeoJSON string, canvas, styles by index.

folium's `GeoJson` keeps the layer as a Python dict: geopandas or shapely write each geometry,
``json.loads`` reads it back, folium styles every feature and ``json.dumps`` writes it again.
For 5,000 red lines of 200 vertices that is ~2.5 s, mostly parsing and printing a million
coordinate pairs twice. A `ShapeLayer` writes the GeoJSON text once (shapely in C, properties
through pandas' JSON writer), sends one style table plus a style index per feature, and lets the
page draw on a canvas (thousands of SVG paths make panning slow). Popups and tooltips show the
same pre-escaped values as the GeoJSON path, built when a feature is clicked or hovered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from folium.map import Layer
from folium.template import Template

from geomon.mapview.elements import VerbatimScripts

STYLE = "__s"  # feature property: index into the layer's style table


def feature_collection_text(
    geometries: np.ndarray, properties: pd.DataFrame, style_codes: np.ndarray
) -> str:
    """A GeoJSON FeatureCollection as text; no "<" in it (it goes inside a <script>)."""
    shapes = shapely.to_geojson(geometries)
    props = properties.assign(**{STYLE: np.asarray(style_codes, dtype=np.int64)})
    rows = props.to_json(orient="records", lines=True, force_ascii=False).splitlines()
    features = ",".join(
        f'{{"type":"Feature","properties":{p},"geometry":{g}}}'
        for p, g in zip(rows, shapes, strict=True)
    )
    return ('{"type":"FeatureCollection","features":[' + features + "]}").replace("<", "\\u003c")


class ShapeLayer(Layer, VerbatimScripts):
    """A canvas-drawn GeoJSON layer with lazy popups (see the module docstring)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (data, o) {
          function cell(v) { return v === null || v === undefined ? "" : String(v); }
          return L.geoJSON(data, {
            pane: o.pane,
            renderer: L.canvas({pane: o.pane, padding: 0.2}),
            style: function (f) { return o.styles[f.properties.__s]; },
            pointToLayer: function (f, latlng) {  // points of a mixed layer (projects)
              return L.circleMarker(latlng, L.extend({radius: o.radius},
                                                     o.pointStyles[f.properties.__s]));
            },
            onEachFeature: function (f, layer) {
              var p = f.properties;
              if (o.tooltip && cell(p[o.tooltip[0]])) {
                layer.bindTooltip("<b>" + o.tooltip[1] + "</b> " + cell(p[o.tooltip[0]]),
                                  {sticky: true});
              }
              if (!o.popup.length) return;
              layer.bindPopup(function () {
                var rows = [];
                for (var k = 0; k < o.popup.length; k++) {
                  var v = cell(p[o.popup[k][0]]);
                  if (v) rows.push("<tr><th>" + o.popup[k][1] + "</th><td>" + v + "</td></tr>");
                }
                return "<table>" + rows.join("") + "</table>";
              }, {maxWidth: 460, className: "geomon-popup"});
            }
          });
        })({{ this.data }}, {{ this.js_options }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: str,
        *,
        name: str,
        pane: str,
        styles: Sequence[Mapping[str, Any]],
        point_styles: Sequence[Mapping[str, Any]],
        radius: float,
        popup: Sequence[tuple[str, str]],
        tooltip: tuple[str, str] | None,
    ) -> None:
        """
        `data` from `feature_collection_text`; `styles` for lines and polygons and
        `point_styles` for points (same indexes); `popup` and `tooltip` as (property, label).
        """
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "GeomonShapes"
        self.data = data
        options = {"pane": pane, "styles": list(styles), "pointStyles": list(point_styles),
                   "radius": radius, "popup": [list(p) for p in popup],
                   "tooltip": list(tooltip) if tooltip else None}  # fmt: skip
        self.js_options = json.dumps(options, ensure_ascii=False).replace("<", "\\u003c")
