"""Ledgers (台账) in CSV and XLSX: rows → a frame of raw values plus coordinates.

Bureau ledgers give coordinates in many shapes: decimal or DMS text in 经度/纬度 columns,
separate degree/minute/second columns, Gauss–Krüger X/Y (X = northing, as Chinese surveyors
write it) or a WKT column (shared/DOMAIN.md §5.1). `read_ledger` turns a ledger into a frame of
raw values plus geometries in the ledger's own coordinates (``geomon.io.read`` brings them to
EPSG:4326), and reports every coordinate it cannot parse as an `Issue` on its 1-based row
instead of stopping at the first one. Headers are matched to spec fields by
``geomon.io.columns``; XLSX sheets are scanned, bounded and read by ``geomon.io._xlsx``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomon.errors import ReadError
from geomon.io import _xlsx, columns
from geomon.io import cells as gcells
from geomon.io import limits as glimits
from geomon.io.dms import (
    CoordinateParseError,
    _blank,
    _dms_reason,
    _to_number,
    dms_columns_to_degrees,
    parse_dms,
)
from geomon.messages import Issue, cannot_read, message
from geomon.specs import LayerSpec

__all__ = ["ledger_geometry", "read_ledger"]

_HEADER_SCAN_ROWS = 10  # title rows above the header are skipped within this many rows
_LABELS = {  # zh, en names of each coordinate role, for messages
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    "x": ("X坐标（北）", "X (northing)"),
    "y": ("Y坐标（东）", "Y (easting)"),
    "wkt": ("WKT", "WKT"),
}


# --- reading CSV into rows ---------------------------------------------------------------------


def _decode(data: bytes, name: str, encoding: str | None) -> str:
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in tried:
        try:
            return data.decode(enc).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            last = exc
        except LookupError as exc:
            raise cannot_read(name, exc, code="bad_encoding") from exc
    msg = message(
        f"{name} 不是 {'、'.join(tried)} 编码的文本；请另存为 UTF-8 或指定编码",
        f"{name} is not text in {', '.join(tried)} ({last}); save it as UTF-8 or pass encoding=",
    )
    raise ReadError(msg, code="bad_encoding", path=name)


def _csv_rows(data: bytes, name: str, encoding: str | None) -> list[list[Any]]:
    text = _decode(data, name, encoding)
    head = text.splitlines()[:_HEADER_SCAN_ROWS]
    counts = {d: sum(line.count(d) for line in head) for d in (",", "\t", ";", "|")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise cannot_read(name, exc) from exc
    return [[None if v == "" else _unquoted(v) for v in row] for row in rows]


def _unquoted(cell: str) -> str:
    """A CSV cell without the ``'`` that defuses a formula (``'=x`` → ``=x``; see
    `geomon.io.cells`): what Excel does with text typed so, and what `geomon export` writes."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in gcells.TRIGGERS and cell[1:2] else cell


# --- rows to a frame ---------------------------------------------------------------------------


def _combine_headers(header_rows: list[list[Any]], known: set[str]) -> list[str]:
    """One name per column from a header of one or more rows (merged cells already filled)."""
    names = []
    for cells in zip(*header_rows, strict=True):
        texts = list(dict.fromkeys(str(c).strip() for c in cells if not _blank(c)))
        if not texts:
            names.append("")
            continue
        top, bottom = texts[0], texts[-1]
        options = [bottom, top + bottom, top] if top != bottom else [top]
        matched = [o for o in options if columns.normalise_header(o) in known]
        names.append(matched[0] if matched else options[min(1, len(options) - 1)])
    return names


def _frame_from_rows(
    rows: list[list[Any]],
    spans: dict[int, int],
    spec: LayerSpec,
    name: str,
    numbers: list[int] | None = None,
) -> pd.DataFrame:
    """Find the header (skipping title rows) and return the records indexed 1, 2, … ("row").

    `numbers` gives the 0-based sheet row of each of `rows` when empty rows were left out (a
    sparse sheet); records are numbered by sheet row either way.
    """
    width = max((len(r) for r in rows), default=0)
    rows = [r if len(r) == width else [*r, *[None] * (width - len(r))] for r in rows]
    at = numbers if numbers is not None else range(len(rows))
    filled = [i for i, r in enumerate(rows) if not all(map(_blank, r))]
    if not filled:
        raise ReadError(message(f"{name} 是空的", f"{name} is empty"), code="empty", path=name)
    known = set(columns.field_lookup(spec)) | set(columns.coordinate_lookup(spec))
    matches = [
        i
        for i in filled
        if at[i] < _HEADER_SCAN_ROWS
        and sum(columns.normalise_header(v) in known for v in rows[i]) >= 2
    ]
    h = matches[0] if matches else filled[0]
    end = h + 1 + spans.get(h, 0)
    names = _combine_headers(rows[h:end], known)
    headers = columns.unique_names(names)
    last = at[end - 1]  # the header's last sheet row: record n is n rows below it
    records = {
        at[p] - last: r for p, r in enumerate(rows[end:], start=end) if not all(map(_blank, r))
    }
    frame = pd.DataFrame(
        list(records.values()),
        columns=headers,
        index=pd.Index(list(records), name="row", dtype="int64"),
        dtype=object,
    )
    unnamed = [
        c for c, n in zip(headers, names, strict=True) if not n and frame[c].map(_blank).all()
    ]
    return frame.drop(columns=unnamed)


# --- coordinates -------------------------------------------------------------------------------

_SETS = (
    ("lonlat", ("lon", "lat")),
    ("dms", ("lon_d", "lat_d")),
    ("xy", ("x", "y")),
    ("wkt", ("wkt",)),
)


def _bad(row: Any, role: str, raw: Any, zh: str, en: str) -> Issue:
    lz, le = _LABELS[role]
    shown = str(raw) if len(str(raw)) <= 60 else f"{str(raw)[:57]}..."
    text = message(f"{lz}“{shown}”无法解析：{zh}", f"{le} {shown!r} cannot be parsed: {en}")
    return Issue(int(row), role, "bad_coordinate", text)


def _degrees(values: pd.Series, role: str) -> tuple[np.ndarray, list[Issue]]:
    """Decimal or DMS cells → degrees (NaN where blank or bad, with an issue where bad)."""
    stripped = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    out = pd.to_numeric(stripped, errors="coerce").astype(float).to_numpy(copy=True)
    issues = []
    limit = 180 if role == "lon" else 90
    for i in np.flatnonzero(np.isnan(out)):  # blank, DMS text or bad
        if _blank(values.iloc[i]):
            continue
        try:
            out[i] = parse_dms(values.iloc[i])
        except CoordinateParseError as exc:
            issues.append(_bad(values.index[i], role, values.iloc[i], exc.zh, str(exc)))
    for i in np.flatnonzero(np.abs(out) > limit):
        issues.append(
            _bad(values.index[i], role, values.iloc[i], f"超出 ±{limit}", f"beyond ±{limit}")
        )
        out[i] = np.nan
    return out, issues


def _dms_degrees(frame: pd.DataFrame, cols: dict[str, str], axis: str) -> tuple[Any, list[Issue]]:
    blank = pd.Series(None, index=frame.index, dtype=object)
    parts = [frame[cols[f"{axis}_{p}"]] if f"{axis}_{p}" in cols else blank for p in "dms"]
    out = dms_columns_to_degrees(*parts).to_numpy()
    given = ~pd.concat(parts, axis=1).map(_blank).all(axis=1).to_numpy()
    issues = []
    for i in np.flatnonzero(np.isnan(out) & given):
        cells = [p.iloc[i] for p in parts]
        shown = " ".join("" if _blank(c) else str(c) for c in cells)
        issues.append(_bad(frame.index[i], axis, shown, *_dms_reason(*cells)))
    return out, issues


def _numbers(values: pd.Series, role: str) -> tuple[Any, list[Issue]]:
    out = _to_number(values).to_numpy(copy=True)
    issues = [
        _bad(values.index[i], role, values.iloc[i], "不是数字", "not a number")
        for i in np.flatnonzero(np.isnan(out))
        if not _blank(values.iloc[i])
    ]
    return out, issues


def _swap_xy(north: Any, east: Any, index: pd.Index) -> tuple[Any, Any, list[Issue]]:
    """Swap X/Y where X holds a zone-prefixed easting (>= 1e7): no northing in China is that big."""
    swap = (north >= 1e7) & (east < 1e7)
    text = message(
        "X、Y 填反了（X 应为北坐标），已对调",
        "X and Y are swapped (X is the northing); swapped back",
    )
    issues = [
        Issue(int(index[i]), "x", "swapped_xy", text, "warning") for i in np.flatnonzero(swap)
    ]
    return np.where(swap, east, north), np.where(swap, north, east), issues


def ledger_geometry(
    frame: pd.DataFrame, spec: LayerSpec, *, name: str
) -> tuple[Any, str, list[str], list[Issue]]:
    """
    Geometries from a ledger's coordinate columns, in the ledger's own CRS.

    Returns the geometries (None where missing or bad), which column set was used
    (``"lonlat"``, ``"dms"``, ``"xy"`` with x = easting, or ``"wkt"``), the coordinate columns
    (all consumed), and a ``bad_coordinate`` issue per unreadable cell. Sets are tried in that
    order; the first whose columns are all present wins.
    """
    lookup = columns.coordinate_lookup(spec)
    cols: dict[str, str] = {}
    for col in frame.columns:
        role = lookup.get(columns.normalise_header(col))
        if role is not None:
            cols.setdefault(role, col)
    kind = next((k for k, need in _SETS if all(r in cols for r in need)), None)
    if kind is None:
        c = spec.coordinates
        expected = [f"{'/'.join(c.lon)} + {'/'.join(c.lat)}", f"{'/'.join(c.x)} + {'/'.join(c.y)}"]
        expected += ["/".join(c.lon_dms[0] + c.lat_dms[0]), "/".join(c.wkt)]
        shown = "; ".join(e for e in expected if e.strip(" +"))
        msg = message(
            f"没有找到坐标列（应为：{shown}）", f"no coordinate columns found (expected: {shown})"
        )
        raise ReadError(f"{name}: {msg}", code="missing_coordinates", path=name)
    geoms = np.full(len(frame), None, dtype=object)
    if kind == "wkt":
        raw = frame[cols["wkt"]]
        given = ~raw.map(_blank).to_numpy(dtype=bool)
        geoms[given] = shapely.from_wkt(raw[given].astype(str).to_numpy(), on_invalid="ignore")
        issues = []
        for i in np.flatnonzero(given & pd.isna(geoms)):
            try:
                shapely.from_wkt(str(raw.iloc[i]))
            except shapely.errors.GEOSException as exc:
                issues.append(_bad(frame.index[i], "wkt", raw.iloc[i], "不是有效的 WKT", str(exc)))
        return geoms, kind, list(cols.values()), issues
    if kind == "lonlat":
        (x, ix), (y, iy) = _degrees(frame[cols["lon"]], "lon"), _degrees(frame[cols["lat"]], "lat")
    elif kind == "dms":
        (x, ix), (y, iy) = _dms_degrees(frame, cols, "lon"), _dms_degrees(frame, cols, "lat")
    else:  # Gauss–Krüger: X is the northing, Y the easting
        (north, iy), (east, ix) = _numbers(frame[cols["x"]], "x"), _numbers(frame[cols["y"]], "y")
        y, x, swapped = _swap_xy(north, east, frame.index)
        iy += swapped
    issues = ix + iy
    # x is the longitude or easting (column "y" of a GK ledger), y the latitude or northing
    x_role, y_role = ("y", "x") if kind == "xy" else ("lon", "lat")
    flagged = {(i.row, i.field) for i in issues}
    for empty, given, role, other in ((x, y, x_role, y_role), (y, x, y_role, x_role)):
        for i in np.flatnonzero(np.isnan(empty) & ~np.isnan(given)):
            row = int(frame.index[i])
            if (row, role) not in flagged:
                (zh, en), (oz, oe) = _LABELS[role], _LABELS[other]
                text = message(f"有{oz}但{zh}为空", f"{oe} given but {en} is empty")
                issues.append(Issue(row, role, "bad_coordinate", text))
    ok = ~np.isnan(x) & ~np.isnan(y)
    geoms[ok] = shapely.points(x[ok], y[ok])
    return geoms, kind, list(cols.values()), issues


def read_ledger(
    data: bytes,
    spec: LayerSpec,
    *,
    name: str,
    excel: bool,
    encoding: str | None = None,
    sheet: str | int | None = None,
    limits: glimits.UploadLimits | None = None,
) -> tuple[pd.DataFrame, str | None, list[Issue]]:
    """
    Read a CSV/TXT (``excel=False``) or XLSX ledger into raw values and geometries.

    Returns the frame indexed by 1-based record number ("row"), with columns renamed to spec
    fields and coordinate columns consumed. For a spatial layer it is a GeoDataFrame *without*
    a CRS, in the ledger's own coordinates, and the second item says which coordinate columns
    were used (see `ledger_geometry`) so the caller can choose the default CRS. An XLSX sheet
    larger than `limits` allow (default: the environment's) raises ``too_large`` before it is
    loaded.
    """
    if excel:
        rows, spans, numbers = _xlsx.xlsx_rows(data, name, sheet, limits or glimits.current())
    else:
        rows, spans, numbers = _csv_rows(data, name, encoding), {}, None
    table = _frame_from_rows(rows, spans, spec, name, numbers)
    if not spec.is_spatial:
        frame, issues = columns.rename_to_spec(table, spec)
        return frame, None, issues
    geoms, kind, consumed, issues = ledger_geometry(table, spec, name=name)
    frame, renamed = columns.rename_to_spec(table.drop(columns=consumed), spec)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index))
    return gdf, kind, issues + renamed
