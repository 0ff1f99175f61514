"""SVG maps for the siting report: projects and the features they touch on the GK plane.

`svg_map` draws an inline, self-contained SVG (no network): features clipped to the view around
the projects and their buffer ring, with a scale bar, a north arrow and a legend. Every text that
came from data or users is escaped (`geomon.reports._html.escape`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geomon.reports import _html
from geomon.siting import measure
from geomon.specs import get_spec

PROJECT_COLOR = "#1f3a93"
_LAYER_DRAW_ORDER = ("control_units", "protection_zones", "red_lines")  # bottom to top
_BACKGROUND_LAYERS = ("control_units",)  # drawn faint and dashed: they tile the whole territory


def _layer_color(layer: str, level: object) -> str:
    style = get_spec(layer).style
    spec = get_spec(layer)
    if style.color_by and style.color_by == spec.level_field and isinstance(level, str):
        return style.colors.get(level, style.default_color)
    return style.default_color


def _nice(length: float) -> float:
    """Round `length` down to 1, 2 or 5 × 10^k."""
    exp = 10 ** math.floor(math.log10(length))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= length))


_Tx = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _path(geom: BaseGeometry, tx: _Tx, *, lines: bool = False) -> str:
    """SVG path data of the polygon rings (or, with `lines`, the lines) in `geom` (plane)."""
    out = []
    for part in shapely.get_parts(shapely.get_parts(np.array([geom], dtype=object))):
        kind = part.geom_type
        if kind == "Polygon" and not lines:
            for ring in (part.exterior, *part.interiors):
                out.append(_ring(np.asarray(ring.coords), tx, close=True))
        elif kind in ("LineString", "LinearRing") and lines:
            out.append(_ring(np.asarray(part.coords), tx, close=False))
    return " ".join(p for p in out if p)


def _ring(xy: np.ndarray, tx: _Tx, *, close: bool) -> str:
    if len(xy) < 2:
        return ""
    sx, sy = tx(xy[:, 0], xy[:, 1])
    pts = " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx, sy, strict=True))
    return f"M{pts}{' Z' if close else ''}"


def _points(geom: BaseGeometry) -> np.ndarray:
    parts = shapely.get_parts(np.array([geom], dtype=object))
    pts = parts[shapely.get_type_id(parts) == 0]
    return shapely.get_coordinates(pts) if len(pts) else np.zeros((0, 2))


def _feature_paths(
    features: gpd.GeoDataFrame,
    epsg: int,
    view: tuple[float, float, float, float],
    scale: float,
    tx: _Tx,
    legend: dict[str, tuple[str, str]],
) -> list[str]:
    """SVG paths of the features, bottom layer first, clipped to `view` (plane x0, y0, x1, y1).

    Adds a legend entry per layer and level to `legend`.
    """
    body: list[str] = []
    order = {name: i for i, name in enumerate(_LAYER_DRAW_ORDER)}
    feats = features.assign(_o=features["layer"].map(order).fillna(len(order)))
    feats = feats.sort_values("_o", kind="stable")
    geoms = measure.to_plane(feats.geometry.to_numpy(), epsg)
    geoms = shapely.clip_by_rect(geoms, *view)
    geoms = shapely.simplify(geoms, 0.5 / scale)
    for geom, (_, row) in zip(geoms, feats.iterrows(), strict=True):
        if geom is None or geom.is_empty:
            continue
        color = _layer_color(row["layer"], row["level"])
        level = row["level"] if isinstance(row["level"], str) else ""
        tip = f"<title>{_html.escape(row['name'])} {_html.escape(level)}</title>"
        background = row["layer"] in _BACKGROUND_LAYERS
        opacity, dash = ("0.12", ' stroke-dasharray="6 3"') if background else ("0.35", "")
        if d := _path(geom, tx):
            body.append(
                f'<path d="{d}" fill="{color}" fill-opacity="{opacity}" stroke="{color}" '
                f'stroke-width="1.2"{dash} fill-rule="evenodd">{tip}</path>'
            )
        if d := _path(geom, tx, lines=True):
            body.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2">'
                        f"{tip}</path>")  # fmt: skip
        title_zh = get_spec(row["layer"]).title.zh
        key = f"{title_zh}（{row['level']}）" if isinstance(row["level"], str) else title_zh
        legend.setdefault(key, (color, "area"))
    return body


def _project_marks(plane_p: np.ndarray, tx: _Tx, labels: Sequence[str] | None) -> list[str]:
    """SVG of the projects (plane): areas, lines on a white casing, points, and their labels."""
    body: list[str] = []
    for i, geom in enumerate(plane_p):
        if d := _path(geom, tx):
            body.append(
                f'<path d="{d}" fill="{PROJECT_COLOR}" fill-opacity="0.25" '
                f'stroke="{PROJECT_COLOR}" stroke-width="2.5" fill-rule="evenodd"/>'
            )
        if d := _path(geom, tx, lines=True):
            body.append(
                f'<path d="{d}" fill="none" stroke="#fff" stroke-width="6" '
                f'stroke-linecap="round"/><path d="{d}" fill="none" stroke="{PROJECT_COLOR}" '
                'stroke-width="3.5" stroke-linecap="round"/>'
            )
        for x, y in _points(geom):
            px, py = tx(np.array([x]), np.array([y]))
            body.append(
                f'<circle cx="{px[0]:.1f}" cy="{py[0]:.1f}" r="6" fill="{PROJECT_COLOR}" '
                'stroke="#fff" stroke-width="2"/>'
            )
        if labels is not None:
            c = geom.representative_point() if geom.geom_type != "Point" else geom
            px, py = tx(np.array([c.x]), np.array([c.y]))
            body.append(
                f'<text x="{px[0] + 8:.1f}" y="{py[0] - 8:.1f}" font-size="13" font-weight="700" '
                f'fill="#111" stroke="#fff" stroke-width="3" paint-order="stroke">'
                f"{_html.escape(labels[i])}</text>"
            )
    return body


def _decorations(
    legend: dict[str, tuple[str, str]], map_w: int, map_h: int, scale: float
) -> list[str]:
    """The scale bar (bottom left), north arrow (top right) and legend (top left)."""
    bar_m = _nice(0.25 * map_w / scale)
    bar_px = bar_m * scale
    bar_label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    y0 = map_h - 18
    deco = [
        f'<rect x="10" y="{y0 - 16}" width="{bar_px + 20:.1f}" height="30" fill="#fff" '
        'fill-opacity="0.85"/>',
        f'<rect x="20" y="{y0}" width="{bar_px / 2:.1f}" height="5" fill="#222"/>',
        f'<rect x="{20 + bar_px / 2:.1f}" y="{y0}" width="{bar_px / 2:.1f}" height="5" '
        'fill="#fff" stroke="#222"/>',
        f'<text x="20" y="{y0 - 4}" font-size="11">0</text>',
        f'<text x="{20 + bar_px:.1f}" y="{y0 - 4}" font-size="11" text-anchor="end">'
        f"{_html.escape(bar_label)}</text>",
        f'<g transform="translate({map_w - 30},16)"><polygon points="0,0 9,26 0,20 -9,26" '
        'fill="#222"/><text x="0" y="40" font-size="12" text-anchor="middle" '
        'font-weight="700">北 N</text></g>',
    ]
    items = list(legend.items())
    lw = 40 + max(len(k) for k, _ in items) * 12.5
    deco.append(
        f'<rect x="8" y="8" width="{lw}" height="{10 + 18 * len(items)}" fill="#fff" '
        'fill-opacity="0.9" stroke="#bbb"/>'
    )
    for i, (text, (color, kind)) in enumerate(items):
        y = 22 + 18 * i
        if kind == "dash":
            deco.append(
                f'<line x1="14" y1="{y - 4}" x2="30" y2="{y - 4}" stroke="{color}" '
                'stroke-dasharray="4 3"/>'
            )
        else:
            deco.append(
                f'<rect x="14" y="{y - 10}" width="16" height="11" fill="{color}" '
                f'fill-opacity="0.45" stroke="{color}"/>'
            )
        deco.append(f'<text x="36" y="{y}" font-size="12">{_html.escape(text)}</text>')
    return deco


def svg_map(
    projects: Sequence[BaseGeometry],
    features: gpd.GeoDataFrame,
    *,
    epsg: int,
    buffer_m: float,
    labels: Sequence[str] | None = None,
    width: int = 640,
    height: int = 420,
    title: str = "",
) -> str:
    """
    Draw projects (EPSG:4326) and features on the GK plane `epsg` as an inline SVG string.

    The view covers the projects and their `buffer_m` ring; features are clipped to it. Grid
    north is up (GK plane); the scale bar is exact on that plane.
    """
    plane_p = measure.to_plane(np.array(list(projects), dtype=object), epsg)
    rings = shapely.buffer(plane_p, buffer_m) if buffer_m > 0 else plane_p
    minx, miny, maxx, maxy = shapely.total_bounds(np.concatenate([plane_p, rings]))
    span = max(maxx - minx, maxy - miny, 400.0)
    pad = 0.08 * span
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    map_w, map_h = width, height
    scale = min(map_w / (maxx - minx + 2 * pad), map_h / (maxy - miny + 2 * pad))
    vx0, vx1 = cx - map_w / 2 / scale, cx + map_w / 2 / scale
    vy0, vy1 = cy - map_h / 2 / scale, cy + map_h / 2 / scale

    def tx(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(x) - vx0) * scale, (vy1 - np.asarray(y)) * scale

    body: list[str] = []
    legend: dict[str, tuple[str, str]] = {}
    if len(features):
        body += _feature_paths(features, epsg, (vx0, vy0, vx1, vy1), scale, tx, legend)
    if buffer_m > 0:
        for ring in rings:
            body.append(
                f'<path d="{_path(ring, tx)}" fill="none" stroke="#555" stroke-width="1" '
                'stroke-dasharray="5 4"/>'
            )
        legend[f"{buffer_m:,.0f} m 缓冲范围"] = ("#555", "dash")
    body += _project_marks(plane_p, tx, labels)
    legend["建设项目"] = (PROJECT_COLOR, "area")

    deco = _decorations(legend, map_w, map_h, scale)
    label = f' aria-label="{_html.escape(title)}"' if title else ""
    return (
        f'<svg viewBox="0 0 {map_w} {map_h}" width="100%" role="img"{label} '
        f'style="max-width:{map_w}px;border:1px solid #c8ccd4;background:#f7f9fb">'
        f"{''.join(body)}{''.join(deco)}</svg>"
    )
