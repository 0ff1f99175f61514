"""Helpers shared by the compliance checks on EPSG:4326 layer frames.

Frame and CRS checks, the GK plane for a set of frames, STRtree point-in-polygon hits and the
cleaning of text cells. Used by `geomon.compliance`, `geomon.sections` and
`geomon.ledger_checks`; not part of the public API (`metric_crs` is public as
`geomon.compliance.metric_crs`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geomon import crs as gcrs
from geomon.errors import CRSError
from geomon.report import message


def check_frame(frame: pd.DataFrame, name: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"`{name}` must be a GeoDataFrame in EPSG:4326, got {type(frame).__name__}."
        raise TypeError(msg)
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        msg = message(
            f"图层 {name} 的坐标系为 {frame.crs}，应为 EPSG:4326",
            f"`{name}` is in {frame.crs}, expected EPSG:4326; reproject it with `.to_crs(4326)`",
        )
        raise CRSError(msg)
    return frame


def metric_crs(*frames: gpd.GeoDataFrame) -> pyproj.CRS:
    """Return the GK plane for the frames' features (`geomon.crs.metric_crs_for` their centre)."""
    xs = [np.asarray(shapely.get_coordinates(f.geometry.values)[:, 0]) for f in frames if len(f)]
    return gcrs.metric_crs_for(np.concatenate(xs) if xs else np.array([]))


def geoms(frame: gpd.GeoDataFrame, to: pyproj.CRS) -> np.ndarray:
    return np.asarray(frame.geometry.to_crs(to).values, dtype=object)


def text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def join(values: list[str]) -> str | None:
    return "、".join(values) if values else None


def present(geoms: np.ndarray) -> np.ndarray:
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def hits(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(point position, polygon position) for every point inside or on a polygon (STRtree).

    Both frames are EPSG:4326; "inside" does not depend on the plane. Sorted by point, polygon.
    """
    query = np.asarray(points.geometry.values, dtype=object).copy()
    query[~present(query)] = None
    tree = shapely.STRtree(np.asarray(polygons.geometry.values, dtype=object))
    pairs = tree.query(query, predicate="intersects")
    order = np.lexsort((pairs[1], pairs[0]))
    return pairs[0][order], pairs[1][order]


def blank_columns(frame: pd.DataFrame, *names: str) -> None:
    for name in names:
        frame[name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
