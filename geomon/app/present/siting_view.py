"""Shape a `geomon.siting.SitingResult` for the page: tables with labels, map layers, reports."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import pandas as pd

from geomon import siting
from geomon.app import i18n
from geomon.reports import siting_html, siting_xlsx
from geomon.rules.zones import RELATION_LABELS, VERDICT_LABELS
from geomon.specs import Label, get_spec, layer_names

ALERT = {"prohibited": "error", "restricted": "warning", "attention": "info", "clear": "success"}
CONFLICT_FIELDS = (
    "project_id", "verdict", "layer_title", "name", "level", "relation",
    "distance_m", "overlap", "overlap_ratio",
)  # fmt: skip
"""What fits the page's width: the project's name and the reasons (with the rules they cite)
are in the verdicts above the table; ids, citations and per-conflict reasons in the downloads."""
SHORT_LAYERS = {
    "red_lines": Label("生态保护红线", "Red line"),
    "protection_zones": Label("饮用水水源保护区", "Source protection zone"),
    "control_units": Label("环境管控单元", "Control unit"),
}
"""Layer names short enough for a table column (the spec titles are plural headings)."""
SHORT_HEADERS = {
    "layer_title": Label("图层", "Layer"),
    "distance_m": Label("距离(m)", "Distance (m)"),
    "overlap": Label("重叠", "Overlap"),
    "overlap_ratio": Label("重叠(%)", "Overlap (%)"),
}
"""Headers short enough for the page; the page's caption says the plane (高斯平面) once."""
NUMBER_FORMATS = {"distance_m": "{:,.0f}", "overlap_ratio": "{:.1f}"}
"""How the page writes the figures: metres whole with separators, shares one decimal."""


def overlap_text(area_m2: object, length_m: object) -> str:
    """A conflict's overlap with its unit: the area a polygon project shares with the
    feature ("685,831 m²"), the length of a line project inside it ("968 m"); blank for a
    point or a feature only near (an area of 0 m² there would read as a finding)."""
    area, length = pd.to_numeric(area_m2, errors="coerce"), pd.to_numeric(length_m, errors="coerce")
    if pd.notna(area) and area > 0:
        return f"{area:,.0f} m²"
    if pd.notna(length) and length > 0:
        return f"{length:,.0f} m"
    return ""


def verdict_label(verdict: str, lang: str) -> str:
    """禁止 / 限制 / 需关注 / 无冲突 (Prohibited, …)."""
    label = VERDICT_LABELS.get(verdict, Label(verdict, verdict)).get(lang)
    return label[:1].upper() + label[1:]


def header(name: str, lang: str) -> str:
    """The page's header of conflict column `name`."""
    if name in SHORT_HEADERS:
        return SHORT_HEADERS[name].get(lang)
    return siting.COLUMN_LABELS[name].get(lang) if name in siting.COLUMN_LABELS else name


def _level(layer: str, value: object, lang: str) -> object:
    """A feature's level or type by its label in `lang` (the enum field of `layer` holding it)."""
    return get_spec(layer).level_label(value, lang) if layer in layer_names() else value


def _layer_name(layer: str, fallback: object, lang: str) -> object:
    if layer in SHORT_LAYERS:
        return SHORT_LAYERS[layer].get(lang)
    return get_spec(layer).title.get(lang) if layer in layer_names() else fallback


def conflict_table(result: siting.SitingResult, lang: str) -> pd.DataFrame:
    """One row per project × feature, headers and words in `lang`, figures rounded, the
    overlap share in percent (`NUMBER_FORMATS` says how to write them)."""
    c = result.conflicts
    table = pd.DataFrame(index=c.index)
    for name in CONFLICT_FIELDS:
        if name in c.columns:
            table[name] = c[name]
        elif name == "overlap":
            length = c["overlap_length_m"] if "overlap_length_m" in c else [None] * len(c)
            table[name] = [
                overlap_text(a, n) for a, n in zip(c["overlap_area_m2"], length, strict=True)
            ]
    table["verdict"] = table["verdict"].map(lambda v: verdict_label(v, lang))
    layers = c["layer"].astype(str).tolist()
    table["layer_title"] = [
        _layer_name(n, t, lang) for n, t in zip(layers, table["layer_title"], strict=True)
    ]
    table["level"] = [_level(n, v, lang) for n, v in zip(layers, table["level"], strict=True)]
    table["relation"] = table["relation"].map(
        lambda r: RELATION_LABELS[r].get(lang) if r in RELATION_LABELS else r
    )
    table["overlap_ratio"] = 100 * pd.to_numeric(table["overlap_ratio"], errors="coerce")
    for col, digits in (("distance_m", 0), ("overlap_ratio", 1)):
        table[col] = pd.to_numeric(table[col], errors="coerce").round(digits)
    for col in ("name", "level"):
        text = table[col].astype(object)
        table[col] = text.where(text.notna(), "")
    return table.rename(columns={n: header(n, lang) for n in table.columns}).reset_index(drop=True)


def issue_rows(report: Iterable[Any], lang: str) -> list[dict[str, Any]]:
    """A project file's issues as table rows, each message in `lang` only."""
    return [{**i.to_dict(), "message": i18n.one_language(i.message, lang)} for i in report]


def result_layers(
    result: siting.SitingResult,
    projects: gpd.GeoDataFrame,
    stored: dict[str, gpd.GeoDataFrame],
) -> dict[str, gpd.GeoDataFrame]:
    """The projects and, per layer, the stored features they touch (full records, for popups).

    Matched by the layer's id: a check against a store numbers its ``feature_row`` among the
    features it read near the projects (or measured in the database), not the whole layer.
    """
    out = {"projects": projects}
    for layer, group in result.features.groupby("layer", sort=False):
        frame = stored.get(str(layer))
        if frame is None:
            continue
        id_field = get_spec(str(layer)).id_field
        if id_field and id_field in frame:
            ids = set(group["feature_id"].dropna().astype(str))
            out[str(layer)] = frame[frame[id_field].astype("string").isin(ids).fillna(False)]
        else:
            out[str(layer)] = frame[frame.index.isin(group["feature_row"])]
    return out


def html_report(result: siting.SitingResult) -> bytes:
    """The self-contained HTML report (`geomon.reports.siting_html`)."""
    return siting_html.render(result).encode("utf-8")


def xlsx_report(result: siting.SitingResult) -> bytes:
    """The XLSX workbook (`geomon.reports.siting_xlsx`)."""
    buf = io.BytesIO()
    siting_xlsx.workbook(result).save(buf)
    return buf.getvalue()
