"""How layer values look on the map: display text (labels, dates, units, escaped) and colours.

Pure functions over a layer frame, its spec (``layers/*.toml``) and an optional `LayerStyle`;
shared by every way `geomon.mapview` draws a layer (GeoJSON, point cloud, shape layer) so the
popups and colours are the same whichever is used. Each function formats a distinct value once.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geomon.errors import LayerSpecError
from geomon.specs import Label, LayerSpec, get_spec

TEXT = {  # key: (zh, en)
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "legend": ("图例", "Legend"),
    "other": ("其他/未填", "Other / blank"),
    "full": ("全屏", "Full screen"),
    "exit": ("退出全屏", "Exit full screen"),
}


@dataclass(frozen=True, slots=True)
class LayerStyle:
    """
    Colour one layer by a column that need not be a spec field, for this map only.

    The rules add status columns (a section's period ``class``, an outlet's ``overdue``) that
    the specs cannot name; pass a style per layer to `build_map` to draw them. Values missing
    from `colors` get `default_color` (legend: `default_label`). Features whose bool column
    `ring` is true get a thick `ring_color` outline (legend: `ring_label`); points whose bool
    column `alert` is true get a dashed `alert_color` halo outside it (sections with an open
    alert, on the tile map; legend: `alert_label`). `popup` adds rows for derived columns
    (column → label) to the spec's popup fields, in place of `hides`.
    """

    color_by: str
    colors: Mapping[str, str]
    labels: Mapping[str, Label] = field(default_factory=dict)
    title: Label | None = None
    default_color: str = "#9e9e9e"
    default_label: Label | None = None
    ring: str | None = None
    ring_color: str = "#111111"
    ring_label: Label | None = None
    alert: str | None = None
    alert_color: str = "#ff6f00"
    alert_label: Label | None = None
    popup: Mapping[str, Label] = field(default_factory=dict)
    hides: tuple[str, ...] = ()  # spec popup fields a `popup` row supersedes (no repeated row)
    stroke: str = "#ffffff"  # outline of points (a dark one tells sections from outlets)
    stroke_weight: float = 1.0
    link: tuple[Label, str] | None = None  # popup link (new tab): (text, URL with "{id}")

    def label(self, value: object, spec: LayerSpec, lang: str) -> str:
        """The legend/popup text of `value`: own label, else the spec's enum label."""
        if str(value) in self.labels:
            return self.labels[str(value)].get(lang)
        if self.color_by in spec.field_names:
            return spec.field(self.color_by).value_label(value, lang)
        return str(value)


def label_text(key: str, lang: str) -> str:
    return TEXT[key][lang == "en"]


def escape(text: str) -> str:
    """HTML-escape, and write braces as entities: branca re-parses map scripts as Jinja, so a
    feature named "{{ … }}" would run on the server (tests/hardening/test_template_injection.py).
    """
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def per_distinct(values: pd.Series, fmt: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`fmt` (present values → display text) run once per distinct value; blanks are None."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable values (e.g. lists): format each one
        present = values[values.notna()]
        return fmt(present).reindex(values.index).astype(object).where(values.notna(), None)
    shown = fmt(pd.Series(uniques, name=values.name)).tolist()
    return pd.Series(np.array([*shown, None], dtype=object)[codes], index=values.index)


def _layer_title(name: str, lang: str) -> str:
    """A layer's title (``outlets`` → 排污口 / Outlets); an unknown name as it is."""
    try:
        return get_spec(name).title.get(lang)
    except LayerSpecError:
        return name


def display(values: pd.Series, spec: LayerSpec, name: str, lang: str) -> pd.Series:
    """Format one field for people (enum labels, dates, 是/否, units), HTML-escaped."""
    field = spec.field(name)

    def fmt(present: pd.Series) -> pd.Series:
        present = present.astype(object)
        if field.type == "enum":
            out = present.map(lambda v: field.value_label(v, lang))
        elif field.type == "bool":
            out = present.map(lambda v: label_text("yes", lang) if v else label_text("no", lang))
        elif field.type == "date":
            out = present.map(lambda v: pd.Timestamp(v).strftime("%Y-%m-%d"))
        elif field.type in ("int", "float"):
            unit = f" {field.unit}" if field.unit else ""
            out = present.map(lambda v: (f"{v:g}" if isinstance(v, float) else str(v)) + unit)
        elif field.refers == "layer":
            out = present.map(lambda v: _layer_title(str(v), lang))
        else:
            out = present.map(str)
        return out.map(escape)

    return per_distinct(values, fmt)


def color_keys(
    frame: gpd.GeoDataFrame, spec: LayerSpec, own: LayerStyle | None
) -> tuple[np.ndarray, list[Any]]:
    """
    The colour column factorised once: per-row codes into the distinct keys, blank → key 0.

    Keys are text for a `LayerStyle` (blank is "") and raw values for the spec's own style
    (blank is None); a layer without a colour column has the single key None.
    """
    column = own.color_by if own is not None else spec.style.color_by
    if column is None:
        return np.zeros(len(frame), dtype=np.int64), [None]
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    if own is not None:
        keys = ["", *pd.Series(uniques, dtype=object).astype("string").fillna("").tolist()]
    else:
        keys = [None, *pd.Series(uniques, dtype=object).tolist()]
    return codes.astype(np.int64) + 1, keys


def key_color(key: Any, spec: LayerSpec, own: LayerStyle | None) -> str:
    if own is not None:
        return own.colors.get(key, own.default_color)
    return spec.style.colors.get(key, spec.style.default_color) if key is not None else (
        spec.style.default_color)  # fmt: skip


def colors(frame: gpd.GeoDataFrame, spec: LayerSpec, own: LayerStyle | None) -> pd.Series:
    """Each feature's fill colour (the style's colour of its key, else the default)."""
    codes, keys = color_keys(frame, spec, own)
    palette = np.array([key_color(k, spec, own) for k in keys], dtype=object)
    return pd.Series(palette[codes], index=frame.index, dtype=object)


def key_counts(frame: gpd.GeoDataFrame, spec: LayerSpec, own: LayerStyle | None) -> dict[Any, int]:
    codes, keys = color_keys(frame, spec, own)
    counts: dict[Any, int] = {}
    for key, n in zip(keys, np.bincount(codes, minlength=len(keys)).tolist(), strict=True):
        if n:
            counts[key] = counts.get(key, 0) + n
    return counts


def own_display(values: pd.Series, own: LayerStyle, spec: LayerSpec, lang: str) -> pd.Series:
    """A derived column for people: 是/否, the style's labels for its colour field, else text."""

    def text(v: object) -> str:
        if isinstance(v, bool | np.bool_):
            return label_text("yes", lang) if v else label_text("no", lang)
        if values.name == own.color_by or str(v) in own.labels:
            return own.label(v, spec, lang)
        return str(v)

    return per_distinct(values, lambda present: present.astype(object).map(text).map(escape))


def style_codes(
    frame: gpd.GeoDataFrame, spec: LayerSpec, own: LayerStyle | None
) -> tuple[np.ndarray, list[str]]:
    """
    Per feature, an index into a style table of 2 × len(palette) entries, and the palette.

    Index ``2 × i`` is palette colour i, ``2 × i + 1`` the same colour ringed (the style's
    `ring` column); keys that share a colour share a style.
    """
    codes, keys = color_keys(frame, spec, own)
    color_codes, palette = pd.factorize(
        pd.Series([key_color(k, spec, own) for k in keys], dtype=object)
    )
    ring = np.zeros(len(frame), dtype=bool)
    if own is not None and own.ring:
        ring = frame[own.ring].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return color_codes[codes] * 2 + ring, list(palette)
