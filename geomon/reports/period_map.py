"""The map snapshot of a period report: sections by class and outlets by progress, as inline SVG.

Drawn on the CGCS2000 3° Gauss–Krüger plane of the data (grid north up, an exact scale bar) with
the path, scale-bar and north-arrow helpers of the siting maps (`geomon.reports.svg_map`), so it
needs no network and no script. Districts are outlined, rivers and lakes drawn in blue; each
section is a circle in its class colour (`geomon.rules.water_quality.CLASS_COLORS`, as on the
app's map), ringed when it fails its target; each outlet a dot in its progress colour (ringed
red when overdue). Every data text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomon import crs as gcrs
from geomon.reports import _html
from geomon.reports import svg_map as _svg
from geomon.reports._layout import CLASS_NAMES
from geomon.rules import outlets as ro
from geomon.rules import water_quality as wq
from geomon.siting import measure

PROGRESS = (  # (label, colour): what the outlet dots mean, worst first
    ("未溯源", "#d73027"),
    ("已溯源未完成整治", "#fdae61"),
    ("整治完成", "#1a9850"),
    ("已销号", "#006837"),
)
OVERDUE = "#b2182b"
_WATER = "#4a90d9"


def _progress(stages: pd.Series) -> np.ndarray:
    """Index into `PROGRESS` per outlet, from the outlet rules (traced, rectified, closed)."""
    traced = ro.is_traced(stages).to_numpy(dtype=int)
    rectified = ro.is_rectified(stages).to_numpy(dtype=int)
    return traced + rectified + ro.is_closed(stages).to_numpy(dtype=int)


def _district_marks(
    geoms: np.ndarray, names: pd.Series, tx: _svg._Tx
) -> tuple[list[str], list[str]]:
    """District outlines (plane) and their name labels, drawn last so points never hide them."""
    body: list[str] = []
    labels: list[str] = []
    for geom, name in zip(geoms, names, strict=True):
        if geom is None or geom.is_empty:
            continue
        body.append(
            f'<path d="{_svg._path(geom, tx)}" fill="#fbfaf5" stroke="#7a7a7a" '
            'stroke-width="1.2" stroke-dasharray="6 4" fill-rule="evenodd"/>'
        )
        p = geom.representative_point()
        px, py = tx(np.array([p.x]), np.array([p.y]))
        labels.append(  # drawn last, with a halo, so points never hide them
            f'<text x="{px[0]:.1f}" y="{py[0]:.1f}" font-size="13" fill="#777" '
            'stroke="#fbfaf5" stroke-width="3" paint-order="stroke" '
            f'text-anchor="middle">{_html.escape(name)}</text>'
        )
    return body, labels


def _outlet_marks(o: pd.DataFrame, xs: np.ndarray, ys: np.ndarray, overdue: set[str]) -> list[str]:
    """One dot per outlet (page x, y) in its progress colour, ringed when overdue."""
    body: list[str] = []
    rows = zip(
        xs, ys, o["code"], o.get("name", o["code"]), o["stage"], _progress(o["stage"]),
        strict=True,
    )  # fmt: skip
    for x, y, code, name, stage, progress in rows:
        if not np.isfinite(x):
            continue
        _, color = PROGRESS[progress]
        ring = f' stroke="{OVERDUE}" stroke-width="2.2"' if code in overdue else ' stroke="#fff"'
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.6" fill="{color}"{ring}>'
            f"<title>{_html.escape(code)} {_html.escape(name)}（{_html.escape(stage)}）"
            "</title></circle>"
        )
    return body


def snapshot(
    frames: Mapping[str, pd.DataFrame],
    classes: Mapping[str, str | None],
    failing: set[str],
    overdue: set[str],
    *,
    title: str,
    width: int = 900,
    height: int = 600,
) -> str:
    """
    Draw the report map as an SVG string (empty string when there is nothing to draw).

    `frames` holds the layers (EPSG:4326) as read for the report (districts, rivers, lakes,
    sections, outlets; any may be missing), `classes` each section's class by code, `failing`
    the codes of sections failing their target and `overdue` the codes of overdue outlets.
    """
    parts = {n: f for n, f in frames.items() if isinstance(f, gpd.GeoDataFrame) and len(f)}
    if not parts:
        return ""
    everything = np.concatenate([f.geometry.to_numpy() for f in parts.values()])
    everything = everything[~(shapely.is_missing(everything) | shapely.is_empty(everything))]
    if not len(everything):
        return ""
    lons = shapely.get_x(shapely.centroid(everything))
    epsg = int(gcrs.metric_crs_for(lons).to_epsg() or 0)
    frame_of = "districts" if "districts" in parts else None
    extent = measure.to_plane(parts[frame_of].geometry.to_numpy() if frame_of else everything, epsg)
    minx, miny, maxx, maxy = shapely.total_bounds(extent)
    pad = 0.04 * max(maxx - minx, maxy - miny, 1000.0)
    scale = min(width / (maxx - minx + 2 * pad), (height - 40) / (maxy - miny + 2 * pad))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    vx0, vy1 = cx - width / 2 / scale, cy + (height - 40) / 2 / scale

    def tx(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(x) - vx0) * scale, (vy1 - np.asarray(y)) * scale

    def plane(name: str) -> np.ndarray:
        return measure.to_plane(parts[name].geometry.to_numpy(), epsg)

    body: list[str] = []
    labels: list[str] = []
    if "districts" in parts:
        names = parts["districts"].get("name", pd.Series([None] * len(parts["districts"])))
        body, labels = _district_marks(plane("districts"), names, tx)
    if "lakes" in parts:
        for geom in plane("lakes"):
            if geom is not None and not geom.is_empty:
                body.append(
                    f'<path d="{_svg._path(geom, tx)}" fill="{_WATER}" fill-opacity="0.45" '
                    f'stroke="{_WATER}" fill-rule="evenodd"/>'
                )
    if "rivers" in parts:
        for geom in plane("rivers"):
            if geom is not None and not geom.is_empty:
                body.append(
                    f'<path d="{_svg._path(geom, tx, lines=True)}" fill="none" '
                    f'stroke="{_WATER}" stroke-width="2.5" stroke-linecap="round"/>'
                )
    if "outlets" in parts:
        body += _outlet_marks(parts["outlets"], *tx(*_xy(plane("outlets"))), overdue)
    if "sections" in parts:
        s = parts["sections"]
        xs, ys = tx(*_xy(plane("sections")))
        for x, y, code, name in zip(xs, ys, s["code"], s.get("name", s["code"]), strict=True):
            if not np.isfinite(x):
                continue
            klass = classes.get(code)
            color = wq.CLASS_COLORS.get(klass or "", "#bbbbbb")
            ring = "#111" if code in failing else "#fff"
            text = CLASS_NAMES.get(klass or "", "未评价")
            body.append(
                f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" '
                f'transform="rotate(45 {x:.1f} {y:.1f})" fill="{color}" stroke="{ring}" '
                f'stroke-width="{2.4 if code in failing else 1.5}"><title>'
                f"{_html.escape(code)} {_html.escape(name)}：{_html.escape(text)}</title></rect>"
            )
    return _frame(body + labels, width, height, scale, epsg, title)


def _xy(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of point geometries (NaN for missing ones)."""
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[ok], y[ok] = shapely.get_x(geoms[ok]), shapely.get_y(geoms[ok])
    return x, y


def _frame(body: list[str], width: int, height: int, scale: float, epsg: int, title: str) -> str:
    """Add the scale bar, north arrow and legend (bottom band) and wrap the SVG."""
    map_h = height - 40
    bar_m = _svg._nice(0.2 * width / scale)
    bar_px = bar_m * scale
    label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    y0 = map_h - 16
    deco = [
        f'<rect x="10" y="{y0 - 16}" width="{bar_px + 20:.1f}" height="30" fill="#fff" '
        'fill-opacity="0.85"/>',
        f'<rect x="20" y="{y0}" width="{bar_px / 2:.1f}" height="5" fill="#222"/>',
        f'<rect x="{20 + bar_px / 2:.1f}" y="{y0}" width="{bar_px / 2:.1f}" height="5" '
        'fill="#fff" stroke="#222"/>',
        f'<text x="20" y="{y0 - 4}" font-size="11">0</text>',
        f'<text x="{20 + bar_px:.1f}" y="{y0 - 4}" font-size="11" text-anchor="end">'
        f"{_html.escape(label)}</text>",
        f'<g transform="translate({width - 30},16)"><polygon points="0,0 9,26 0,20 -9,26" '
        'fill="#222"/><text x="0" y="40" font-size="12" text-anchor="middle" '
        'font-weight="700">北 N</text></g>',
        f'<rect x="0" y="{map_h}" width="{width}" height="40" fill="#fff"/>',
    ]
    items = [(CLASS_NAMES[k], c, "diamond") for k, c in wq.CLASS_COLORS.items()]
    items += [("未评价", "#bbbbbb", "diamond")]
    items += [(f"排污口·{name}", c, "dot") for name, c in PROGRESS]
    items += [("逾期未整治", OVERDUE, "ring")]
    x = 10.0
    y = map_h + 16
    for i, (text, color, kind) in enumerate(items):
        if i == 7:  # second row: outlets
            x, y = 10.0, map_h + 34
        if kind == "diamond":
            shape = (
                f'<rect x="{x + 1}" y="{y - 9}" width="9" height="9" fill="{color}" '
                f'transform="rotate(45 {x + 5.5} {y - 4.5})"/>'
            )
        elif kind == "dot":
            shape = f'<circle cx="{x + 6}" cy="{y - 4}" r="4.5" fill="{color}"/>'
        else:
            shape = (
                f'<circle cx="{x + 6}" cy="{y - 4}" r="4.5" fill="#fff" stroke="{color}" '
                'stroke-width="2.2"/>'
            )
        deco.append(
            f'{shape}<text x="{x + 15}" y="{y}" font-size="11.5">{_html.escape(text)}</text>'
        )
        x += 30 + 12 * len(text)
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{_html.escape(title)}" style="max-width:{width}px;border:1px solid #c8ccd4;'
        f'background:#eef3f7">{"".join(body)}{"".join(deco)}'
        f'<text x="{width - 8}" y="{map_h - 6}" font-size="10" fill="#666" text-anchor="end">'
        f"EPSG:{epsg} 高斯–克吕格平面</text></svg>"
    )
