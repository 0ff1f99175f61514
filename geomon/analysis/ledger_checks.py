"""The ledger plausibility sweep: outlet records that do not fit the map.

Outlets far from any river or lake, a recorded receiving water that is not the nearest water
body, duplicate codes, a code whose district segment is not the district the point lies in
(`ledger_findings`). Every input frame is EPSG:4326; distances are measured on the CGCS2000 GK
plane chosen by `geomon.crs.metric_crs_for`, nearest-water and point-in-polygon queries go
through `shapely.STRtree`. Inputs are never modified. Also importable from
`geomon.analysis.compliance`.

Every check works on whole columns (a national ledger has 200,000 outlets); Python only builds
the findings themselves.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geomon import frames
from geomon.messages import message
from geomon.rules import outlet_codes
from geomon.rules import outlets as ro

FINDING_COLUMNS = ("code", "name", "check", "severity", "message", "evidence")
_CHECKS = (
    *("far_from_water", "receiving_water_mismatch", "duplicate_code"),
    *("code_district_mismatch", "outside_districts"),
)
"""Columns of `ledger_findings`; the index holds the outlet's index label (its row)."""

_PIECE_SEGMENTS = 8  # segments per piece of a river line or lake ring (`_water_pieces`)
_SEARCH_RADII_M = (250.0, 1_000.0, 4_000.0, 16_000.0, 64_000.0)  # boxes `_nearest` tries
_AREAL = (
    shapely.GeometryType.POLYGON,
    shapely.GeometryType.MULTIPOLYGON,
    shapely.GeometryType.GEOMETRYCOLLECTION,
)


class _Found(NamedTuple):
    """The findings of one check: the outlets' positions, with a message and evidence each."""

    check: str
    severity: str
    pos: np.ndarray
    messages: list[str]
    evidence: list[dict[str, Any]]


def _found(
    check: str, severity: str, pos: Any, texts: list[tuple[str, str]], evidence: list[dict]
) -> _Found:
    """A `_Found` from positions and (zh, en) messages (`geomon.messages.message`)."""
    messages = [message(zh, en) for zh, en in texts]
    return _Found(check, severity, np.asarray(pos, dtype=np.intp), messages, evidence)


class _Outlets:
    """The outlet frame and its cleaned codes (`frames.text`), which several checks use."""

    def __init__(self, frame: gpd.GeoDataFrame) -> None:
        self.frame = frame
        self.codes = frames.texts(frame["code"]).to_numpy(dtype=object)

    def findings(self, found: list[_Found]) -> pd.DataFrame:
        """The `ledger_findings` frame of `found`: by check (`_CHECKS` order), then row.

        Each finding gets its outlet's row label (the index), code and name. A label shared
        by several rows sorts at its last position; ties keep the order found.
        """
        pos = np.concatenate([np.empty(0, dtype=np.intp), *(f.pos for f in found)])
        check = np.repeat([_CHECKS.index(f.check) for f in found], [len(f.pos) for f in found])
        index = self.frame.index
        rows = list(index[pos])
        if index.is_unique:
            key = pos
        else:
            last = {r: i for i, r in enumerate(index)}
            key = np.array([last[r] for r in rows], dtype=np.intp)
        order = np.lexsort((key, check)).tolist()
        columns = (
            rows,
            self.codes[pos].tolist(),
            _column_texts(self.frame, "name", pos).tolist(),
            [f.check for f in found for _ in range(len(f.pos))],
            [f.severity for f in found for _ in range(len(f.pos))],
            [m for f in found for m in f.messages],
            [e for f in found for e in f.evidence],
        )
        records = list(zip(*([c[i] for i in order] for c in columns), strict=True))
        return pd.DataFrame(records, columns=["row", *FINDING_COLUMNS]).set_index("row")


def _column_texts(frame: pd.DataFrame, column: str, pos: np.ndarray) -> np.ndarray:
    """`frames.text` of `column` at positions `pos` (all None if there is no such column)."""
    if column not in frame.columns:
        return np.full(len(pos), None, dtype=object)
    return frames.texts(frame[column].iloc[pos]).to_numpy(dtype=object)


def _waters(
    rivers: gpd.GeoDataFrame | None, lakes: gpd.GeoDataFrame | None, to: pyproj.CRS
) -> tuple[np.ndarray, list[str | None]]:
    """Water geometries (metric) and their names: river lines then lake polygons."""
    geoms, names = [], []
    for frame, layer in ((rivers, "rivers"), (lakes, "lakes")):
        if frame is None or frame.empty:
            continue
        frames.check_frame(frame, layer)
        geoms.append(frames.geoms(frame, to))
        names += [frames.text(n) for n in frame.get("name", pd.Series([None] * len(frame)))]
    return (np.concatenate(geoms) if geoms else np.array([], dtype=object)), names


def _round_m(value: float) -> float:
    return round(float(value), 1)


# ------------------------------------------------------------------------------ nearest water


def _line_pieces(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut lines into pieces of at most `_PIECE_SEGMENTS` segments: (pieces, line of each).

    Consecutive pieces share their end vertex and keep the line's coordinates exactly, so the
    distance to the nearest piece is, to the last bit, the distance to the line (GEOS takes
    the smallest point-to-segment distance).
    """
    if not len(lines):
        return np.array([], dtype=object), np.array([], dtype=np.intp)
    coords, line = shapely.get_coordinates(lines, return_index=True)
    n = np.bincount(line, minlength=len(lines))
    end = np.cumsum(n)
    count = -(-np.maximum(n - 1, 0) // _PIECE_SEGMENTS)  # pieces per line
    owner = np.repeat(np.arange(len(lines)), count)
    nth = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    first = (end - n)[owner] + nth * _PIECE_SEGMENTS
    size = np.minimum(first + _PIECE_SEGMENTS + 1, end[owner]) - first
    take = np.repeat(first - (np.cumsum(size) - size), size) + np.arange(size.sum())
    pieces = shapely.linestrings(coords[take], indices=np.repeat(np.arange(len(owner)), size))
    return np.asarray(pieces, dtype=object).reshape(-1), owner


def _water_pieces(waters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Short pieces of the waters' lines and rings, other parts whole: (pieces, water of each).

    The bounding box of a whole river covers much of the map, so a tree of whole rivers
    measures the exact distance to many rivers per outlet (19 s for 200,000 outlets and 600
    rivers of 240 vertices); a tree of short pieces does not. A point inside a lake is far from
    its rings: `_nearest` adds those points itself.
    """
    parts, water = shapely.get_parts(waters, return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, water = parts[keep], water[keep]
    types = shapely.get_type_id(parts)
    line = np.isin(types, (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING))
    polygon = types == shapely.GeometryType.POLYGON
    rings, ring_of = shapely.get_rings(parts[polygon], return_index=True)
    pieces, piece_of = _line_pieces(np.concatenate([parts[line], rings]))
    line_water = np.concatenate([water[line], water[polygon][ring_of]]).astype(np.intp)
    other = ~line & ~polygon
    return (
        np.concatenate([pieces, parts[other]]),
        np.concatenate([line_water[piece_of], water[other]]).astype(np.intp),
    )


def _closest(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per query, every water at its smallest distance (columns query, water, dist)."""
    query = candidates["query"].to_numpy(dtype=np.int64)
    water = candidates["water"].to_numpy(dtype=np.int64)
    dist = candidates["dist"].to_numpy(dtype=float)
    if not len(query):
        return candidates
    least = np.full(query.max() + 1, np.inf)
    np.fmin.at(least, query, dist)  # as groupby's min: NaN skipped
    at_least = np.flatnonzero(dist == least[query])
    # the first row of each (query, water) pair among them, in their order
    pair = query[at_least] * (water.max() + 1) + water[at_least]
    _, first = np.unique(pair, return_index=True)
    return candidates.iloc[np.sort(at_least[first])]


def _candidates(query: np.ndarray, water: np.ndarray, dist: np.ndarray) -> pd.DataFrame:
    """(query point, water, distance) pairs as a frame."""
    return pd.DataFrame({"query": query, "water": water, "dist": dist})


def _nearest(points: np.ndarray, waters: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point, water, distance) of each point's nearest water, sorted by point.

    The same as ``STRtree(waters).query_nearest(points, return_distance=True)``, which takes
    19 s for a national ledger. Candidates are the pieces of water (`_water_pieces`) in a box
    around each point, with their exact distances, and the areal waters a point lies in (at
    distance 0). A point is settled when its nearest candidate lies well inside its box: every
    piece as near is then a candidate too. Wider boxes (`_SEARCH_RADII_M`), then a nearest
    search over the pieces, settle the rest. A point at the same distance from two waters is
    asked of the tree of whole waters, which picks between them as it always has.
    """
    pieces, owner = _water_pieces(waters)
    piece_bounds = shapely.bounds(pieces)
    areal = np.flatnonzero(np.isin(shapely.get_type_id(waters), _AREAL))
    in_q, in_w = shapely.STRtree(waters[areal]).query(points, predicate="intersects")
    found = [_candidates(in_q, areal[in_w], np.zeros(len(in_q)))]
    todo, settled = np.arange(len(points)), []
    for radius in _SEARCH_RADII_M:
        if not len(todo):
            break
        # the pieces' boxes grown by `radius` that hold a point: its box holds theirs
        grown = shapely.box(*(piece_bounds + np.array([-radius, -radius, radius, radius])).T)
        q, p = shapely.STRtree(grown).query(points[todo])
        found.append(_candidates(todo[q], owner[p], shapely.distance(points[todo[q]], pieces[p])))
        near = _closest(pd.concat(found, ignore_index=True))
        done = near[(near["dist"] < radius * (1 - 1e-6)).to_numpy()]
        settled.append(done)
        is_done = np.zeros(len(points), dtype=bool)
        is_done[done["query"].to_numpy()] = True
        todo = todo[~is_done[todo]]
        found = []
    if len(todo):
        tree = shapely.STRtree(pieces)
        (q, p), dist = tree.query_nearest(points[todo], return_distance=True, all_matches=True)
        settled.append(_closest(_candidates(todo[q], owner[p], dist)))
    near = pd.concat(settled, ignore_index=True)
    tied = near["query"].duplicated(keep=False).to_numpy()
    if tied.any():
        ask = np.unique(near["query"].to_numpy()[tied])
        whole = shapely.STRtree(waters)
        (q, w), dist = whole.query_nearest(points[ask], return_distance=True, all_matches=False)
        near = pd.concat([near[~tied], _candidates(ask[q], w, dist)], ignore_index=True)
    near = near.sort_values("query", kind="stable")
    return (
        near["query"].to_numpy(dtype=np.intp),
        near["water"].to_numpy(dtype=np.intp),
        near["dist"].to_numpy(dtype=float),
    )


def _distances_to_named(
    points: np.ndarray, recorded: np.ndarray, waters: np.ndarray, names: list[str | None]
) -> np.ndarray:
    """Distance from each point to the water body named `recorded` (all parts of that name
    together); NaN where no water has that name."""
    parts_of: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            parts_of.setdefault(name, []).append(i)
    merged = {
        name: shapely.union_all(waters[parts_of[name]])
        for name in set(recorded.tolist())
        if name in parts_of
    }
    geoms = np.empty(len(recorded), dtype=object)
    geoms[:] = [merged.get(name) for name in recorded.tolist()]
    return np.asarray(shapely.distance(points, geoms), dtype=float)


# ------------------------------------------------------------------------------ checks


def _water_checks(
    outlets: _Outlets,
    points: np.ndarray,
    waters: np.ndarray,
    names: list[str | None],
    *,
    max_distance_m: float,
    name_slack_m: float,
) -> list[_Found]:
    """``far_from_water`` and ``receiving_water_mismatch`` findings (metric `points`)."""
    present = frames.present(points)
    if not len(waters) or not present.any():
        return []
    q, water, dist = _nearest(points[present], waters)
    pos = np.flatnonzero(present)[q]
    near_name = np.array(names, dtype=object)[water]
    own = _column_texts(outlets.frame, "receiving_water", pos)
    named = pd.notna(own) & pd.notna(near_name) & (own != near_name)
    own_d = np.full(len(pos), np.nan)
    own_d[named] = _distances_to_named(points[pos[named]], own[named], waters, names)
    mismatch = named & ~(~np.isnan(own_d) & (own_d <= dist + name_slack_m))
    far = np.flatnonzero(dist > max_distance_m)
    far_d, far_near = dist[far].tolist(), near_name[far].tolist()
    most = f"{max_distance_m:g}"
    found = [
        _found(
            "far_from_water",
            "warning",
            pos[far],
            [
                (
                    f"距最近水体（{near}）{d:.0f} 米，超过 {most} 米",
                    f"{d:.0f} m from the nearest water body ({near}), more than {most} m",
                )
                for d, near in zip(far_d, far_near, strict=True)
            ],
            [
                {"distance_m": _round_m(d), "nearest_water": near, "max_distance_m": max_distance_m}
                for d, near in zip(far_d, far_near, strict=True)
            ],
        )
    ]
    odd = np.flatnonzero(mismatch)
    texts, evidence = [], []
    for d, near, recorded, own_m in zip(
        dist[odd].tolist(),
        near_name[odd].tolist(),
        own[odd].tolist(),
        own_d[odd].tolist(),
        strict=True,
    ):
        own_m = None if math.isnan(own_m) else own_m
        where = "图层中无此水体" if own_m is None else f"距其 {own_m:.0f} 米"
        where_en = "not in the water layers" if own_m is None else f"{own_m:.0f} m away"
        texts.append(
            (
                f"登记受纳水体“{recorded}”（{where}），最近水体为“{near}”（{d:.0f} 米）",
                f"recorded receiving water {recorded!r} ({where_en}); nearest is {near!r} "
                f"({d:.0f} m)",
            )
        )
        evidence.append(
            {
                "recorded": recorded,
                "recorded_distance_m": None if own_m is None else _round_m(own_m),
                "nearest_water": near,
                "distance_m": _round_m(d),
            }
        )
    found.append(_found("receiving_water_mismatch", "warning", pos[odd], texts, evidence))
    return found


def _duplicate_checks(outlets: _Outlets) -> list[_Found]:
    """``duplicate_code`` findings: one per outlet whose cleaned code other outlets share."""
    dup = np.flatnonzero(frames.duplicated(pd.Series(outlets.codes, dtype=object))).tolist()
    positions: dict[str, list[int]] = {}
    for pos in dup:
        positions.setdefault(outlets.codes[pos], []).append(pos)
    index = outlets.frame.index
    texts, evidence = [], []
    for pos in dup:
        code = outlets.codes[pos]
        rows = list(index[positions[code]])
        others = [r for r in rows if r != index[pos]]
        texts.append(
            (f"编码“{code}”重复（另见 {others}）", f"code {code!r} is also used by {others}")
        )
        evidence.append({"code": code, "rows": rows})
    return [_found("duplicate_code", "error", dup, texts, evidence)]


def _county_code(code: object) -> str | None:
    """The 6-digit GB/T 2260 county code of a district code; None above county level (…00)."""
    text = frames.text(code)
    if text is None or len(text) < 6 or not text[:6].isdigit() or text[4:6] == "00":
        return None
    return text[:6]


def _code_districts(codes: np.ndarray, rules: ro.OutletRules) -> np.ndarray:
    """The sound district segment of each code (None without one: a malformed code is
    reported by validation, `geomon.rules.outlet_codes.bad_code_issues`)."""
    out = np.full(len(codes), None, dtype=object)
    coded = np.flatnonzero(pd.notna(codes))
    parsed = outlet_codes.parse_codes(pd.Series(codes[coded], dtype=object), rules)
    if "district" in parsed.parts.columns:
        district = parsed.parts["district"]
        sound = (district.notna() & parsed.problems["district"].isna()).to_numpy(dtype=bool)
        out[coded] = np.where(sound, district.to_numpy(dtype=object), None)
    return out


def _district_checks(outlets: _Outlets, districts: gpd.GeoDataFrame) -> list[_Found]:
    """``outside_districts`` and ``code_district_mismatch`` findings (county-level polygons)."""
    frames.check_frame(districts, "districts")
    county = districts["code"].map(_county_code)
    keep = county.notna().to_numpy(dtype=bool)
    polygons, county = districts[keep], county[keep].to_numpy(dtype=object)
    frame = outlets.frame
    o_pos, d_pos = frames.hits(frame, polygons)
    first = np.full(len(frame), -1)
    first[o_pos[::-1]] = d_pos[::-1]  # hits are sorted by outlet, then polygon
    present = frames.present(np.asarray(frame.geometry.values, dtype=object))
    segment = _code_districts(outlets.codes, ro.load_rules())
    matched = np.zeros(len(frame), dtype=bool)
    matched[o_pos[county[d_pos] == segment[o_pos]]] = True
    inside = present & (first >= 0)
    names = polygons["name"] if inside.any() else pd.Series([], dtype=object)
    outside = np.flatnonzero(present & (first < 0))
    found = [
        _found(
            "outside_districts",
            "warning",
            outside,
            [("不在任何区县范围内", "lies in no county-level district polygon")] * len(outside),
            [{"district_polygon": None} for _ in range(len(outside))],
        )
    ]
    odd = np.flatnonzero(inside & pd.notna(segment) & ~matched).tolist()
    texts, evidence = [], []
    for pos in odd:
        code, name = county[first[pos]], frames.text(names.iloc[first[pos]])
        texts.append(
            (
                f"编码中的行政区划代码 {segment[pos]} 与点位所在区县 {code}（{name}）不一致",
                f"district segment {segment[pos]} of the code differs from the district the "
                f"point lies in, {code} ({name})",
            )
        )
        evidence.append(
            {"code_district": segment[pos], "district_polygon": code, "district_name": name}
        )
    found.append(_found("code_district_mismatch", "error", odd, texts, evidence))
    return found


def ledger_findings(
    outlets: gpd.GeoDataFrame,
    *,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    districts: gpd.GeoDataFrame | None = None,
    max_distance_m: float = 200.0,
    name_slack_m: float = 0.0,
) -> pd.DataFrame:
    """Sweep an outlet ledger for implausible records; one row per finding.

    Checks (``check`` column):

    - ``far_from_water``: the outlet is more than `max_distance_m` from every river line and
      lake polygon (evidence: ``distance_m``, ``nearest_water``);
    - ``receiving_water_mismatch``: the recorded ``receiving_water`` is not the name of the
      nearest water body, and that water is not within `name_slack_m` of the nearest one's
      distance either (evidence: ``recorded``, ``recorded_distance_m``, ``nearest_water``,
      ``distance_m``);
    - ``duplicate_code``: the national code is used by several rows (evidence: ``rows``);
    - ``code_district_mismatch``: the code's district segment (layout in rules/outlets.toml) is
      not the county-level district polygon the point lies in (evidence: ``code_district``,
      ``district_polygon``, ``district_name``); ``outside_districts`` if it lies in none.

    Distances are metres on the GK plane of `geomon.crs.metric_crs_for`, one decimal. The
    frame is indexed by the outlet's index label (``row``) and has the columns
    `FINDING_COLUMNS`, ordered by check then row. Water checks need `rivers` or `lakes`;
    district checks need `districts`.
    """
    frames.check_frame(outlets, "outlets")
    ledger = _Outlets(outlets)
    found = _duplicate_checks(ledger)
    if len(outlets) and (rivers is not None or lakes is not None):
        to = frames.metric_crs(outlets)
        waters, names = _waters(rivers, lakes, to)
        found += _water_checks(
            ledger,
            frames.geoms(outlets, to),
            waters,
            names,
            max_distance_m=max_distance_m,
            name_slack_m=name_slack_m,
        )
    if districts is not None and len(outlets) and len(districts):
        found += _district_checks(ledger, districts)
    return ledger.findings(found)
