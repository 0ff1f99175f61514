"""Column and frame helpers shared by the checks on EPSG:4326 layer frames.

Frame and CRS checks, the GK plane for a set of frames, STRtree point-in-polygon hits, the
cleaning of text cells (one at a time, or a whole column at once with the same result) and
grouping of sorted hit pairs. Used by `geomon.validate`, `geomon.rules.outlet_codes` and
`geomon.analysis` (compliance, sections, ledger_checks); not exported from `geomon` itself
(`metric_crs` is, as `geomon.analysis.compliance.metric_crs`).

Column helpers keep Python's own text semantics (``str.strip``, ``str.isspace``) although
pandas' string columns run their ``.str`` methods in Arrow, whose idea of whitespace differs:
they strip exactly `SPACE`, the set of characters Python strips.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geomon import crs as gcrs
from geomon.errors import CRSError
from geomon.messages import message


def check_frame(frame: pd.DataFrame, name: str) -> gpd.GeoDataFrame:
    """Return `frame` if it is a GeoDataFrame in EPSG:4326; raise TypeError / CRSError if not."""
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
    """The frame's geometries in the CRS `to`, as an object array."""
    return np.asarray(frame.geometry.to_crs(to).values, dtype=object)


def text(value: object) -> str | None:
    """A cell as stripped text; None when it is missing or blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def join(values: list[str]) -> str | None:
    """Values joined with the Chinese list comma 、; None for no values."""
    return "、".join(values) if values else None


# Every character for which ``str.isspace()`` is true, i.e. what ``str.strip()`` removes
# (tests/test_frames.py checks this against Python). ``.str.strip(SPACE)`` strips the same in
# Python (object columns) and in Arrow (str columns, whose own whitespace set is another).
SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def is_text_column(series: pd.Series) -> bool:
    """Whether every non-missing value is a Python str (a str dtype, or object holding only str).

    Only for such columns may a cell function be evaluated once per distinct value: in an
    object column ``1``, ``1.0`` and ``True`` are equal keys but different cells.
    """
    if not pd.api.types.is_object_dtype(series.dtype):
        return pd.api.types.is_string_dtype(series.dtype)
    return pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


def holds_no_text(series: pd.Series) -> bool:
    """Numbers, booleans and datetimes: a dtype that cannot hold a str cell."""
    dtype = series.dtype
    return not pd.api.types.is_object_dtype(dtype) and (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    )


def blank_mask(series: pd.Series, stripped: pd.Series | None = None) -> np.ndarray:
    """Missing cells and str cells that are empty or whitespace only (``not v.strip()``).

    `stripped` is `strip` of a text column, if the caller has it already.
    """
    blank = series.isna().to_numpy(dtype=bool)
    if holds_no_text(series):
        return blank
    if stripped is None and (
        is_text_column(series)
        or (
            pd.api.types.is_object_dtype(series.dtype)
            and pd.api.types.infer_dtype(series, skipna=True) in ("mixed", "mixed-integer")
        )
    ):
        stripped = series.str.strip(SPACE)  # NaN for missing and non-str cells
    if stripped is not None:
        return blank | stripped.eq("").fillna(False).to_numpy(dtype=bool)
    as_text = series.astype(object).map(lambda v: isinstance(v, str) and not v.strip())
    return blank | as_text.to_numpy(dtype=bool)


def strip(series: pd.Series) -> pd.Series:
    """``v.strip()`` of every cell of a text column (`is_text_column`); missing stays missing."""
    return series.str.strip(SPACE)


_MIXED = ("mixed", "mixed-integer", "mixed-integer-float", "unknown-array")


def nested_mask(series: pd.Series) -> np.ndarray:
    """True where a cell is a list, dict, tuple or array (a JSON array or object property)."""
    if series.dtype != object or pd.api.types.infer_dtype(series, skipna=True) not in _MIXED:
        return np.zeros(len(series), dtype=bool)  # C-level check: a column of scalars
    nested = (list, dict, tuple, set, np.ndarray)
    return np.fromiter((isinstance(v, nested) for v in series.tolist()), bool, len(series))


def map_cells(series: pd.Series, fn: Callable[[Any], Any], dtype: str | None = None) -> pd.Series:
    """``fn`` of every non-missing cell, missing where the cell is (same index).

    For a text column `fn` runs once per distinct value, otherwise once per cell. The result
    is an object Series with None for missing cells, or, with `dtype` and a text column, a
    Series of that dtype (whose missing value stands for None).
    """
    if not is_text_column(series):
        cells = [None if pd.isna(v) else fn(v) for v in series.astype(object)]
        return pd.Series(cells, index=series.index, dtype=object)
    codes, uniques = pd.factorize(series)
    if dtype is not None:
        mapped = pd.array([fn(v) for v in uniques], dtype=dtype)
        return pd.Series(mapped.take(codes, allow_fill=True), index=series.index)
    objects = np.empty(len(uniques) + 1, dtype=object)
    objects[:] = [None, *(fn(v) for v in uniques)]
    return pd.Series(objects[codes + 1], index=series.index, dtype=object)


def texts(series: pd.Series) -> pd.Series:
    """`text` of every cell (stripped str, None for missing or blank), as an object Series."""
    if not is_text_column(series):
        return pd.Series([text(v) for v in series.astype(object)], index=series.index, dtype=object)
    stripped = strip(series)
    keep = ~(stripped.isna() | (stripped == "")).to_numpy(dtype=bool)
    values = np.where(keep, stripped.to_numpy(dtype=object), None)
    return pd.Series(values, index=series.index, dtype=object)


def text_equals(series: pd.Series, value: str) -> np.ndarray:
    """``text(v) == value`` for every cell (`value` is a non-empty, stripped text)."""
    if not is_text_column(series):
        return (texts(series).to_numpy(dtype=object) == value).astype(bool)
    return strip(series).eq(value).fillna(False).to_numpy(dtype=bool)


def duplicated(series: pd.Series) -> np.ndarray:
    """Non-missing cells whose value other cells hold too (``duplicated(keep=False)``)."""
    codes, _ = pd.factorize(series)
    counts = np.bincount(codes[codes >= 0], minlength=1)
    return (codes >= 0) & (counts[np.maximum(codes, 0)] > 1)


def group_bounds(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) positions of each run of equal values in sorted `keys`."""
    if not len(keys):
        return np.array([], dtype=np.intp), np.array([], dtype=np.intp)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return starts, np.r_[starts[1:], len(keys)]


def join_groups(values: list[str], starts: np.ndarray, ends: np.ndarray) -> list[str | None]:
    """`join` of ``values[start:end]`` for each group (values already as text, in order)."""
    return [join(values[a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def present(geoms: np.ndarray) -> np.ndarray:
    """Mask of geometries that are neither missing nor empty."""
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
    """Set the columns `names` of `frame` (in place) to all-None object columns."""
    for name in names:
        frame[name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
