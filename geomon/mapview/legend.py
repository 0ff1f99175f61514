"""The map's legend (the colours actually on the map, with counts) and the control holding it.

`MapControls` also adds the metric scale bar and keeps a click on the map from scrolling the page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

from geomon.mapview import values as mv
from geomon.mapview.values import LayerStyle
from geomon.specs import LayerSpec, get_spec


class MapControls(MacroElement):
    """A metric scale bar and a legend control holding pre-escaped HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        // A click must not scroll the page around the map's frame (Streamlit puts the map in
        // an iframe; focusing it scrolls the app when the map runs past the window, and the
        // click then misses the feature): focus without scrolling.
        {{ this._parent.get_name() }}.getContainer().addEventListener("mousedown", function (e) {
            if (e.target instanceof SVGElement || e.target instanceof HTMLCanvasElement) {
                e.preventDefault();
            }
            e.currentTarget.focus({preventScroll: true});
        }, true);
        {%- if this.legend %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "geomon-legend");
            div.innerHTML = {{ this.legend|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {%- endif %}
        {%- if this.css_class %}
        {{ this._parent.get_name() }}.getContainer().classList.add({{ this.css_class|tojson }});
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, legend: str, css_class: str | None = None) -> None:
        super().__init__()
        self._name = "GeomonControls"
        self.legend = legend
        self.css_class = css_class


def legend_entries(
    frame: gpd.GeoDataFrame, spec: LayerSpec, own: LayerStyle | None, lang: str
) -> list[tuple[str, str, int]]:
    """(colour, label, count) for each colour on the map, in spec (or style) order."""
    style = spec.style
    if own is None and not (style.color_by and style.colors):
        return [(style.default_color, spec.title.get(lang), len(frame))]
    counts = mv.key_counts(frame, spec, own)
    if own is not None:
        entries = [(c, own.label(v, spec, lang), counts[v])
                   for v, c in own.colors.items() if v in counts]  # fmt: skip
        rest = sum(n for k, n in counts.items() if k not in own.colors)
        other = own.default_label.get(lang) if own.default_label else mv.label_text("other", lang)
        return entries + ([(own.default_color, other, rest)] if rest else [])
    field = spec.field(style.color_by)  # type: ignore[arg-type]
    shown = [k for k in counts if k in style.colors]
    order = [v.value for v in field.values] or sorted(shown, key=str)
    entries = [(style.colors[v], field.value_label(v, lang), counts[v])
               for v in order if v in shown]  # fmt: skip
    rest = sum(n for k, n in counts.items() if k not in style.colors)
    return entries + ([(style.default_color, mv.label_text("other", lang), rest)] if rest else [])


def legend_layers(
    frames: Mapping[str, gpd.GeoDataFrame],
    lang: str,
    styles: Mapping[str, LayerStyle],
    *,
    shapes: bool = False,
) -> list[dict[str, Any]]:
    """The legend as data, top layer first: what `legend_html` shows and the printed map draws.

    Each layer is ``{"name", "title", "sub", "stroke", "rows": [{"kind", "color", "label",
    "count"}]}``;
    `kind` is the swatch: ``pt`` (dot), ``dm`` (diamond, with `shapes`), ``ln`` (line), ``pg``
    (area) or ``ring`` (the ring drawn around flagged points). `frames` are in map order,
    bottom layer first (as `geomon.mapview.build_map` orders them).
    """
    out = []
    for name in reversed(list(frames)):  # top layer first, as on the map
        spec, frame, own = get_spec(name), frames[name], styles.get(name)
        kind = {"Point": "pt", "LineString": "ln"}.get(spec.geometry_type, "pg")
        if shapes and kind == "pt" and spec.style.shape == "diamond":
            kind = "dm"
        rows = [{"kind": kind, "color": color, "label": label, "count": int(count)}
                for color, label, count in legend_entries(frame, spec, own, lang)]  # fmt: skip
        if own is not None and own.ring:
            ringed = int(frame[own.ring].astype("boolean").fillna(False).sum())
            label = own.ring_label.get(lang) if own.ring_label else own.ring
            rows.append({"kind": "ring", "color": own.ring_color, "label": label, "count": ringed})
        if own is not None and own.alert and own.alert in frame:
            flagged = int(frame[own.alert].astype("boolean").fillna(False).sum())
            label = own.alert_label.get(lang) if own.alert_label else own.alert
            rows.append({"kind": "ring", "color": own.alert_color, "label": label,
                         "count": flagged})  # fmt: skip
        out.append({
            "name": name,
            "title": spec.title.get(lang),
            "sub": own.title.get(lang) if own is not None and own.title is not None else None,
            "stroke": own.stroke if own else "#fff",
            "rows": rows,
        })  # fmt: skip
    return out


def legend_html(
    frames: Mapping[str, gpd.GeoDataFrame],
    lang: str,
    styles: Mapping[str, LayerStyle],
    *,
    shapes: bool = False,
) -> str:
    """Legend rows for the colours actually on the map, in spec order, with counts.

    `frames` are in map order, bottom layer first (as `geomon.mapview.build_map` orders them).
    With `shapes`, point layers drawn as diamonds (``[style] shape``) get a diamond swatch.
    """
    rows = [f"<details open><summary>{mv.label_text('legend', lang)}</summary>"]
    for layer in legend_layers(frames, lang, styles, shapes=shapes):
        rows.append(f'<div class="layer">{html.escape(layer["title"])}</div>')
        if layer["sub"] is not None:
            rows.append(f'<div class="sub">{html.escape(layer["sub"])}</div>')
        edge = html.escape(layer["stroke"], quote=True)
        for row in layer["rows"]:
            c = html.escape(row["color"], quote=True)
            swatch = {
                "pt": f"background:{c};border:1px solid {edge};outline:1px solid {c}",
                "dm": f"background:{c};border:1px solid {edge};outline:1px solid {c}",
                "ln": f"border-top-color:{c}",
                "pg": f"background:{c}55;border:1.5px solid {c}",
                "ring": f"border:3px solid {c};height:10px",
            }[row["kind"]]
            rows.append(
                f'<div><i class="{row["kind"]}" style="{swatch}"></i>{html.escape(row["label"])}'
                f'<span class="n">{row["count"]}</span></div>'
            )
    return "".join([*rows, "</details>"])
