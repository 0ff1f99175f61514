"""Map data served apart from the page: Mapbox Vector Tiles cut from in-memory layers.

The map page carries only the map's shell and style; the browser fetches each layer in tiles
(``/tiles/{layer}/{z}/{x}/{y}.mvt``, `geomon.app.server`) and popups by id. A `TileSource` is
one filtered layer prepared once (web-mercator coordinates, a style code per feature, a spatial
index); `TileSource.tile` cuts one tile from it:

- points: single features with their style code (colour × ring), id and ``a`` = 1 when the
  style's ``alert`` column flags them (a dashed halo: sections with an open alert); a tile
  holding more than `CLUSTER_POINTS` points below `CLUSTER_MAX_ZOOM` is aggregated server-side
  into cells of `CLUSTER_CELL` tile units (16 screen pixels), each cell one feature with its
  count ``n`` and how many of its points are ringed ``r`` (e.g. overdue outlets);
- lines and polygons: clipped to the tile plus a `BUFFER` (so strokes at tile edges join up),
  simplified to half a screen pixel at the tile's zoom, with style code and id;
  a feature smaller than `DOT_PX` pixels at that zoom is sent as a point at its box's centre
  (one per pixel and style) instead of a shape nobody could see, which keeps national low-zoom
  tiles small and quick;
- below the layer's ``min_zoom`` (``[style]`` in ``layers/*.toml``) a tile is empty: dense layers
  (control units, projects) are shown from a city-level view.

Style codes index a palette fixed by the layer's style (`palette`), not by the data, so a tile and
the page agree on colours whatever rows a filter leaves. Coordinates are Web Mercator
(EPSG:3857) normalised to the unit square, y down, as slippy-map tiles are numbered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomon.mapview import mvt
from geomon.mapview import values as mv
from geomon.specs import LayerSpec

EXTENT = 4096  # tile units across a tile (the MVT default)
BUFFER = 64  # tile units kept around a tile: strokes and circles at an edge are not cut
CLUSTER_POINTS = 400  # a tile with more points than this is aggregated into cells …
CLUSTER_MAX_ZOOM = 15  # … below this zoom
CLUSTER_CELL = 256  # tile units per cell side (16 px of a 256 px tile)
DOT_PX = 1.5  # a line or polygon smaller than this (screen pixels) is sent as a point
MAX_LAT = 85.0511287798066  # Web Mercator's edge
ID = "i"  # property: the feature's id (the spec's id field, as text)
STYLE = "s"  # property: the feature's style code (2 × palette index + ringed)
COUNT, RINGED = "n", "r"  # properties of an aggregated cell
ALERT = "a"  # property: 1 on a feature flagged by the style's ``alert`` column (an open alert)
Points = tuple[list[int], list[int], list[dict[str, Any]]]
"""Points of one tile: x and y in tile units, and each point's properties."""


def palette(spec: LayerSpec, own: mv.LayerStyle | None) -> list[str]:
    """Every colour the layer's style can give, default first: what style codes index."""
    if own is not None:
        colors = [own.default_color, *own.colors.values()]
    else:
        colors = [spec.style.default_color, *spec.style.colors.values()]
    return list(dict.fromkeys(colors))


def style_codes(frame: gpd.GeoDataFrame, spec: LayerSpec, own: mv.LayerStyle | None) -> np.ndarray:
    """Each feature's style code: 2 × its colour's index in `palette` + 1 if ringed."""
    index = {c: i for i, c in enumerate(palette(spec, own))}
    codes = mv.colors(frame, spec, own).map(index).fillna(0).to_numpy(dtype=np.int64)
    ring = np.zeros(len(frame), dtype=bool)
    if own is not None and own.ring:
        ring = frame[own.ring].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return codes * 2 + ring


def to_unit(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat (degrees) to Web Mercator normalised to [0, 1] × [0, 1], y down."""
    lat = np.clip(lat, -MAX_LAT, MAX_LAT)
    x = (np.asarray(lon, dtype=float) + 180.0) / 360.0
    y = 0.5 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
    return x, y


def _unit_xy(xy: np.ndarray) -> np.ndarray:
    x, y = to_unit(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def tile_bounds(z: int, x: int, y: int, buffer: float = 0.0) -> tuple[float, float, float, float]:
    """The tile's box in unit coordinates (minx, miny, maxx, maxy), grown by `buffer` tile units."""
    n = 2.0**z
    pad = buffer / EXTENT
    return ((x - pad) / n, (y - pad) / n, (x + 1 + pad) / n, (y + 1 + pad) / n)


def valid_tile(z: int, x: int, y: int, max_zoom: int = 22) -> bool:
    """Whether (z, x, y) names a tile of the slippy-map grid."""
    return 0 <= z <= max_zoom and 0 <= x < 2**z and 0 <= y < 2**z


@dataclass
class TileSource:
    """One filtered layer ready to be cut into tiles (build with `tile_source`)."""

    name: str
    ids: np.ndarray  # object: the id of each feature, as text
    min_zoom: int
    styles: np.ndarray  # int64 style codes
    points: bool  # every geometry a Point: the fast path (coordinates only)
    ux: np.ndarray = field(default_factory=lambda: np.empty(0))  # points, sorted by ux
    uy: np.ndarray = field(default_factory=lambda: np.empty(0))
    geoms: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))  # unit coords
    bounds: np.ndarray = field(default_factory=lambda: np.empty((0, 4)))  # of geoms
    tree: shapely.STRtree | None = None
    alerts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))  # as `ids`

    def _props(self, i: int, style: int) -> dict[str, Any]:
        props: dict[str, Any] = {ID: self.ids[i], STYLE: style}
        if len(self.alerts) and self.alerts[i]:
            props[ALERT] = 1
        return props

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The MVT tile (z, x, y) of this layer: one MVT layer named after it (maybe empty)."""
        if z >= self.min_zoom and self.points:  # the hot path: written straight to bytes
            xs, ys, props = self._points(z, x, y)
            points = zip(zip(xs, ys, strict=True), props, strict=True)
            return mvt.layer(self.name, list(points), EXTENT)
        features = self._shape_features(z, x, y) if z >= self.min_zoom else []
        return mvt.layer(self.name, [(f["geometry"], f["properties"]) for f in features], EXTENT)

    def _points(self, z: int, x: int, y: int) -> Points:
        """The points of tile (z, x, y) in tile units with their properties, or their cells."""
        x0, y0, x1, y1 = tile_bounds(z, x, y, BUFFER)
        lo, hi = np.searchsorted(self.ux, [x0, x1], side="left")
        inside = lo + np.flatnonzero((self.uy[lo:hi] >= y0) & (self.uy[lo:hi] <= y1))
        n = 2.0**z
        tx = np.rint((self.ux[inside] * n - x) * EXTENT).astype(np.int64)
        ty = np.rint((self.uy[inside] * n - y) * EXTENT).astype(np.int64)
        if len(inside) > CLUSTER_POINTS and z < CLUSTER_MAX_ZOOM:
            return _cells(tx, ty, self.styles[inside] % 2, inside, self.ids, self.styles)
        props = [
            self._props(i, s)
            for i, s in zip(inside.tolist(), self.styles[inside].tolist(), strict=True)
        ]
        return tx.tolist(), ty.tolist(), props

    def _shape_features(self, z: int, x: int, y: int) -> list[dict[str, Any]]:
        if self.tree is None:
            return []
        box = tile_bounds(z, x, y, BUFFER)
        hits = np.sort(self.tree.query(shapely.box(*box)))
        if not len(hits):
            return []
        n = 2.0**z
        extent = self.bounds[hits]
        size = np.fmax(extent[:, 2] - extent[:, 0], extent[:, 3] - extent[:, 1])
        dot = size < DOT_PX / (256 * n)
        features = self._dots(hits[dot], extent[dot], z, x, y)
        hits = hits[~dot]
        clipped = shapely.clip_by_rect(self.geoms[hits], *box)
        if z < 16:  # half a screen pixel at this zoom; only what the tile holds
            clipped = shapely.simplify(clipped, 0.5 / (256 * n), preserve_topology=True)
        scale = np.array([n * EXTENT, n * EXTENT])
        offset = np.array([x * EXTENT, y * EXTENT])
        local = shapely.transform(clipped, lambda xy: np.rint(xy * scale - offset))
        keep = ~shapely.is_empty(local)
        return features + [
            {"geometry": g, "properties": self._props(i, int(self.styles[i]))}
            for g, i in zip(local[keep], hits[keep].tolist(), strict=True)
        ]

    def _dots(
        self, rows: np.ndarray, extent: np.ndarray, z: int, x: int, y: int
    ) -> list[dict[str, Any]]:
        """Features too small to see as points at their box centre, one per pixel and style."""
        if not len(rows):
            return []
        n = 2.0**z
        tx = np.rint(((extent[:, 0] + extent[:, 2]) / 2 * n - x) * EXTENT).astype(np.int64)
        ty = np.rint(((extent[:, 1] + extent[:, 3]) / 2 * n - y) * EXTENT).astype(np.int64)
        pixel = EXTENT // 256
        key = np.stack([tx // pixel, ty // pixel, self.styles[rows]])
        _, first = np.unique(key, axis=1, return_index=True)
        return [
            {"geometry": (int(tx[k]), int(ty[k])),
             "properties": {ID: self.ids[rows[k]], STYLE: int(self.styles[rows[k]])}}
            for k in np.sort(first).tolist()
        ]  # fmt: skip


def _cells(
    tx: np.ndarray,
    ty: np.ndarray,
    ringed: np.ndarray,
    rows: np.ndarray,
    ids: np.ndarray,
    styles: np.ndarray,
) -> Points:
    """Points aggregated per `CLUSTER_CELL` cell: a lone point stays itself, others a count."""
    cx, cy = np.floor_divide(tx, CLUSTER_CELL), np.floor_divide(ty, CLUSTER_CELL)
    key = (cx + 64) * 1024 + (cy + 64)
    cells, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    mean_x = np.rint(np.bincount(inverse, weights=tx) / counts).astype(np.int64)
    mean_y = np.rint(np.bincount(inverse, weights=ty) / counts).astype(np.int64)
    rings = np.bincount(inverse, weights=ringed).astype(np.int64)
    first = np.full(len(cells), -1, dtype=np.int64)
    first[inverse[::-1]] = rows[::-1]  # one member of each cell (for a lone point)
    props: list[dict[str, Any]] = []
    for k in range(len(cells)):
        if counts[k] == 1:
            row = int(first[k])
            props.append({ID: ids[row], STYLE: int(styles[row])})
        else:
            props.append({COUNT: int(counts[k]), RINGED: int(rings[k])})
    return mean_x.tolist(), mean_y.tolist(), props


def tile_source(
    name: str, frame: gpd.GeoDataFrame, spec: LayerSpec, own: mv.LayerStyle | None = None
) -> TileSource:
    """Prepare `frame` (EPSG:4326, already filtered) for tiles: coordinates, styles, index."""
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if spec.id_field and spec.id_field in frame:
        ids = frame[spec.id_field].astype("string").fillna("").to_numpy(dtype=object)
    else:
        ids = np.array([str(i) for i in range(len(frame))], dtype=object)
    styles = style_codes(frame, spec, own)
    alerts = np.zeros(len(frame), dtype=bool)
    if own is not None and own.alert and own.alert in frame:
        alerts = frame[own.alert].astype("boolean").fillna(False).to_numpy(dtype=bool)
    geoms = frame.geometry.to_numpy()
    if len(geoms) and bool((shapely.get_type_id(geoms) == 0).all()):  # 0: Point
        ux, uy = to_unit(shapely.get_x(geoms), shapely.get_y(geoms))
        order = np.argsort(ux, kind="stable")
        return TileSource(
            name, ids[order], spec.style.min_zoom, styles[order], True, ux[order], uy[order],
            alerts=alerts[order],
        )  # fmt: skip
    unit = shapely.transform(geoms, _unit_xy)
    tree = shapely.STRtree(unit) if len(unit) else None
    return TileSource(
        name,
        ids,
        spec.style.min_zoom,
        styles,
        False,
        geoms=unit,
        bounds=shapely.bounds(unit),
        tree=tree,
        alerts=alerts,
    )


def feature_rows(frame: pd.DataFrame, spec: LayerSpec, feature_id: str) -> pd.DataFrame:
    """The rows of `frame` whose id (the spec's id field, as text) is `feature_id`."""
    if spec.id_field and spec.id_field in frame:
        return frame[frame[spec.id_field].astype("string") == feature_id]
    if feature_id.isdigit() and int(feature_id) < len(frame):
        return frame.iloc[[int(feature_id)]]
    return frame.iloc[0:0]


def covering(
    box: tuple[float, float, float, float], widths: tuple[int, int]
) -> list[tuple[int, int, int]]:
    """The tiles (z, x, y) of `box` (south, west, north, east) at each zoom a map between
    `widths` pixels wide fits it to (the zoom a browser opens it at), lowest zoom first."""
    south, west, north, east = box
    (x0, x1), (y1, y0) = to_unit(np.array([west, east]), np.array([south, north]))
    span = max(x1 - x0, 1e-12)
    zooms = range(
        int(np.floor(np.log2(widths[0] / (256 * span)))),
        int(np.floor(np.log2(widths[1] / (256 * span)))) + 1,
    )
    out = []
    for z in (z for z in zooms if 0 <= z <= 22):
        n = 2**z
        xs = range(int(x0 * n), min(int(x1 * n), n - 1) + 1)
        ys = range(int(y0 * n), min(int(y1 * n), n - 1) + 1)
        out += [(z, x, y) for x in xs for y in ys]
    return out


def bounds(frames: Mapping[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) around every non-empty frame, or None."""
    boxes = [f.total_bounds for f in frames.values() if len(f)]
    boxes = [b for b in boxes if np.isfinite(b).all()]
    if not boxes:
        return None
    minx, miny, maxx, maxy = np.array(boxes).T
    return float(miny.min()), float(minx.min()), float(maxy.max()), float(maxx.max())
