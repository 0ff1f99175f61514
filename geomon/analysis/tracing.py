"""Upstream tracing (溯源): which outlets discharge upstream of a section, how far along the river.

The rivers layer is read as a directed network: water flows in each line's digitising
direction, and a line whose end (or start) lies within `tolerance_m` (default 1 m) of another
line joins it there (a confluence, or the next reach of the same river). Lines are cut at every
such junction, so a tributary's outlets are upstream of every main-stem point below the
confluence. Outlets and sections are snapped to the nearest line (within `snap_m`); the distance
reported is along the river, from the outlet's foot on the line down to the section's.

Everything is measured in metres on the GK plane of `geomon.crs.metric_crs_for`; inputs are
EPSG:4326. The graph is plain Python (Dijkstra over the reversed edges): a city network has a
few hundred edges.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geomon import crs as gcrs
from geomon.errors import CRSError, TracingError
from geomon.messages import message

DEFAULT_KM = 10.0
TOLERANCE_M = 1.0  # endpoint-to-line distance that still makes a junction
SNAP_M = 500.0  # farthest an outlet or section may lie from a river line to be placed on it
DENSIFY_DEG = 0.001  # ~100 m: a stored segment's curve on the GK plane strays < 1 mm from this


def _check(frame: pd.DataFrame, name: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None or frame.crs.to_epsg() != 4326:
        got = getattr(frame, "crs", None)
        msg = message(
            f"图层 {name} 应为 EPSG:4326 的 GeoDataFrame（现为 {got}）",
            f"`{name}` must be a GeoDataFrame in EPSG:4326 (got {got}); use `.to_crs(4326)`",
        )
        raise CRSError(msg)
    return frame


@dataclass(frozen=True, slots=True)
class _Position:
    """Where points fall on the network: line index, chainage (m) and offset from the line."""

    line: np.ndarray  # int, -1 when farther than snap_m
    chainage: np.ndarray
    offset: np.ndarray


@dataclass(slots=True)
class RiverNetwork:
    """River lines (metric) cut at junctions into directed edges.

    ``breaks[i]`` are the sorted chainages (m from the start of line i) where line i is cut;
    ``node_of[i][k]`` is the node at ``breaks[i][k]``; ``upstream[node]`` lists
    ``(upstream node, length m)`` for the edges that flow into ``node``.
    """

    crs: pyproj.CRS
    lines: np.ndarray  # shapely LineStrings in `crs`
    names: list[str | None]
    codes: list[str | None]
    breaks: list[np.ndarray]
    node_of: list[list[int]]
    upstream: dict[int, list[tuple[int, float]]] = field(default_factory=dict)

    def locate(self, points: np.ndarray, *, snap_m: float = SNAP_M) -> _Position:
        """Snap metric points to their nearest line: line index (-1 if none), chainage, offset."""
        n = len(points)
        line = np.full(n, -1, dtype=int)
        chainage = np.full(n, np.nan)
        offset = np.full(n, np.nan)
        present = ~(shapely.is_missing(points) | shapely.is_empty(points))
        if present.any() and len(self.lines):
            tree = shapely.STRtree(self.lines)
            (p_pos, l_pos), dist = tree.query_nearest(
                points[present], max_distance=snap_m, return_distance=True, all_matches=False
            )
            pos = np.flatnonzero(present)[p_pos]
            line[pos] = l_pos
            offset[pos] = dist
            chainage[pos] = shapely.line_locate_point(self.lines[l_pos], points[pos])
        return _Position(line, chainage, offset)

    def _edge(self, line: int, chainage: float) -> int:
        """Index k of the piece ``breaks[line][k] .. breaks[line][k + 1]`` holding `chainage`."""
        b = self.breaks[line]
        return int(np.clip(np.searchsorted(b, chainage, side="right") - 1, 0, len(b) - 2))

    def distances_up(self, line: int, chainage: float) -> dict[int, float]:
        """Along-river distance (m) from every node upstream of a point down to the point."""
        k = self._edge(line, chainage)
        start = self.node_of[line][k]
        best = {start: chainage - self.breaks[line][k]}
        heap = [(best[start], start)]
        while heap:
            d, node = heapq.heappop(heap)
            if d > best.get(node, np.inf):
                continue
            for up, length in self.upstream.get(node, ()):
                if d + length < best.get(up, np.inf):
                    best[up] = d + length
                    heapq.heappush(heap, (d + length, up))
        return best

    def upstream_distance(self, section: tuple[int, float], points: _Position) -> np.ndarray:
        """Along-river distance (m) from each located point down to `section`; NaN if not above.

        A point on the same piece of line as the section is upstream when its chainage is not
        greater than the section's; any other point is upstream when the node at the lower end
        of its piece is (the shortest way down, if water can reach the section several ways).
        """
        s_line, s_chain = section
        s_edge = self._edge(s_line, s_chain)
        best = self.distances_up(s_line, s_chain)
        out = np.full(len(points.line), np.nan)
        for i, (line, chain) in enumerate(zip(points.line, points.chainage, strict=True)):
            if line < 0:
                continue
            k = self._edge(int(line), float(chain))
            if line == s_line and k == s_edge and chain <= s_chain:
                out[i] = s_chain - chain
                continue
            down = self.node_of[line][k + 1]
            if down in best:
                out[i] = best[down] + (self.breaks[line][k + 1] - chain)
        return out


def _explode(rivers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    parts = rivers[~(rivers.geometry.is_empty | rivers.geometry.isna())]
    parts = parts.explode(index_parts=False)
    return parts[parts.geometry.geom_type == "LineString"]


def _junctions(
    ends: np.ndarray, curves: np.ndarray, lines: np.ndarray, tolerance_m: float
) -> list[tuple[int, int]]:
    """(end, line) pairs where a line end lies within `tolerance_m` of a line, sorted.

    Looked for on both pictures of each line on the plane: densified from the stored lon/lat
    before projecting (`curves`: the data as drawn in lon/lat, where a long straight segment is
    a curve on the plane) and projected vertex by vertex (`lines`: data drawn on a GK plane and
    stored as its vertices), so neither way of drawing loses a junction.
    """
    pairs: set[tuple[int, int]] = set()
    for geoms in (curves, lines):
        e_pos, l_pos = shapely.STRtree(geoms).query(ends, predicate="dwithin", distance=tolerance_m)
        pairs |= set(zip(e_pos.tolist(), l_pos.tolist(), strict=True))
    return sorted(pairs)


def build_network(
    rivers: gpd.GeoDataFrame,
    *,
    tolerance_m: float = TOLERANCE_M,
    metric_crs: pyproj.CRS | None = None,
) -> RiverNetwork:
    """Build the directed river network from a rivers layer (EPSG:4326 lines).

    Every line endpoint that lies within `tolerance_m` of another line (an end on a main stem,
    a reach's end on the next reach's start) cuts that line there and becomes one node with it.
    MultiLineStrings are split into their parts, each flowing in its own digitising direction.
    Junctions are also looked for on the lines densified in lon/lat (`DENSIFY_DEG`) before they
    are projected: an end drawn exactly on a long straight stored segment joins it.
    """
    _check(rivers, "rivers")
    parts = _explode(rivers)
    if parts.empty:
        msg = message(
            "河流图层没有线要素，无法溯源", "the rivers layer has no lines to trace along"
        )
        raise TracingError(msg)
    to = metric_crs or gcrs.metric_crs_for(shapely.get_coordinates(parts.geometry.values)[:, 0])
    # junctions are also looked for on the lines densified where the data was drawn (lon/lat):
    # a long straight stored segment is a curve on the GK plane, metres off its projected chord
    drawn = shapely.segmentize(np.asarray(parts.geometry.values, dtype=object), DENSIFY_DEG)
    curves = np.asarray(gpd.GeoSeries(drawn, crs=parts.crs).to_crs(to).values, dtype=object)
    lines = np.asarray(parts.geometry.to_crs(to).values, dtype=object)  # vertex by vertex
    keep = shapely.length(lines) > tolerance_m  # a line shorter than the snap has no direction
    parts, lines, curves = parts[keep], lines[keep], curves[keep]
    n = len(lines)
    lengths = shapely.length(lines)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    owner = np.concatenate([np.arange(n), np.arange(n)])
    at = np.concatenate([np.zeros(n), lengths])
    cuts: list[list[float]] = [[0.0, float(lengths[i])] for i in range(n)]
    links: list[tuple[tuple[int, float], tuple[int, float]]] = []
    if n:
        for e, line in _junctions(ends, curves, lines, tolerance_m):
            if owner[e] == line:
                continue
            chain = float(shapely.line_locate_point(lines[line], ends[e]))
            cuts[line].append(chain)
            links.append(((int(owner[e]), float(at[e])), (int(line), chain)))
    breaks = []
    for i, raw in enumerate(cuts):
        b = np.unique(np.clip(raw, 0.0, lengths[i]))
        keep = np.concatenate([[True], np.diff(b) > tolerance_m])  # merge cuts closer than tol
        b = b[keep]
        b[-1] = lengths[i]
        breaks.append(b)
    # nodes: union-find over (line, break index)
    key: dict[tuple[int, int], int] = {}
    for i, b in enumerate(breaks):
        for k in range(len(b)):
            key[i, k] = len(key)
    parent = list(range(len(key)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def nearest_break(line: int, chain: float) -> int:
        return int(np.argmin(np.abs(breaks[line] - chain)))

    for (a_line, a_chain), (b_line, b_chain) in links:
        ra = find(key[a_line, nearest_break(a_line, a_chain)])
        rb = find(key[b_line, nearest_break(b_line, b_chain)])
        parent[ra] = rb
    node_of = [[find(key[i, k]) for k in range(len(b))] for i, b in enumerate(breaks)]
    upstream: dict[int, list[tuple[int, float]]] = {}
    for i, b in enumerate(breaks):
        for k in range(len(b) - 1):
            upstream.setdefault(node_of[i][k + 1], []).append(
                (node_of[i][k], float(b[k + 1] - b[k]))
            )

    def text(values: Any) -> list[str | None]:
        return [None if v is None or pd.isna(v) else str(v) for v in values]

    return RiverNetwork(
        crs=to,
        lines=lines,
        names=text(parts.get("name", pd.Series([None] * n))),
        codes=text(parts.get("code", pd.Series([None] * n))),
        breaks=breaks,
        node_of=node_of,
        upstream=upstream,
    )


@dataclass(frozen=True, slots=True)
class TraceResult:
    """Outlets upstream of one section within `km` along the river."""

    section_code: str
    section_name: str | None
    river: str | None  # the line the section was snapped to
    km: float
    section_offset_m: float  # distance from the section point to that line
    outlets: pd.DataFrame  # code, name, stage, ... distance_m; nearest first
    off_network: int  # outlets farther than snap_m from every river line (not traced)


_OUTLET_COLUMNS = (
    "code",
    "name",
    "stage",
    "type_l1",
    "category",
    "district",
    "receiving_water",
    "river",
    "distance_m",
    "offset_m",
)


def upstream_outlets(
    section_code: str,
    *,
    rivers: gpd.GeoDataFrame,
    sections: gpd.GeoDataFrame,
    outlets: gpd.GeoDataFrame,
    km: float = DEFAULT_KM,
    snap_m: float = SNAP_M,
    tolerance_m: float = TOLERANCE_M,
    network: RiverNetwork | None = None,
) -> TraceResult:
    """List the outlets that discharge upstream of a section within `km` along the river.

    Each outlet is placed at its foot on the nearest river line (``offset_m`` away, at most
    `snap_m`); ``distance_m`` is the along-river distance from there down to the section's foot,
    following flow direction through confluences. Outlets downstream, on unconnected rivers or
    beyond `km` are left out. The table keeps the outlets' index and is sorted nearest first.

    Raises
    ------
    TracingError
        If `section_code` is not in `sections` or the section is farther than `snap_m` from
        every river line (e.g. a lake section).
    """
    _check(sections, "sections")
    _check(outlets, "outlets")
    net = network or build_network(rivers, tolerance_m=tolerance_m)
    match = sections[sections["code"].astype(object) == section_code]
    if match.empty:
        msg = message(f"没有断面“{section_code}”", f"no section with code {section_code!r}")
        raise TracingError(msg)
    section = match.iloc[[0]]
    s_pos = net.locate(
        np.asarray(section.geometry.to_crs(net.crs).values, dtype=object), snap_m=snap_m
    )
    if s_pos.line[0] < 0:
        msg = message(
            f"断面“{section_code}”距河流超过 {snap_m:g} 米，无法沿河溯源（湖库断面请按湖库查询）",
            f"section {section_code!r} is more than {snap_m:g} m from every river line; "
            "tracing follows river lines only",
        )
        raise TracingError(msg)
    o_pos = net.locate(
        np.asarray(outlets.geometry.to_crs(net.crs).values, dtype=object), snap_m=snap_m
    )
    dist = net.upstream_distance((int(s_pos.line[0]), float(s_pos.chainage[0])), o_pos)
    within = ~np.isnan(dist) & (dist <= km * 1000.0)
    table = pd.DataFrame(index=outlets.index[within])
    for col in _OUTLET_COLUMNS[:7]:
        values = (
            outlets[col]
            if col in outlets.columns
            else pd.Series([None] * len(outlets), index=outlets.index, dtype=object)
        )
        table[col] = values[within].astype(object).to_numpy()
    table["river"] = [net.names[i] for i in o_pos.line[within]]
    table["distance_m"] = np.round(dist[within], 1)
    table["offset_m"] = np.round(o_pos.offset[within], 1)
    table = table.sort_values(["distance_m", "code"], kind="stable")
    name = match["name"].iloc[0] if "name" in match.columns else None
    return TraceResult(
        section_code=section_code,
        section_name=None if name is None or pd.isna(name) else str(name),
        river=net.names[int(s_pos.line[0])],
        km=float(km),
        section_offset_m=round(float(s_pos.offset[0]), 1),
        outlets=table,
        off_network=int((o_pos.line < 0).sum()),
    )


def trace_store(store: Any, section_code: str, *, km: float = DEFAULT_KM) -> TraceResult:
    """`upstream_outlets` on the ``rivers``, ``sections`` and ``outlets`` layers of a store."""
    return upstream_outlets(
        section_code,
        rivers=store.read("rivers"),
        sections=store.read("sections"),
        outlets=store.read("outlets"),
        km=km,
    )


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def trace_json(result: TraceResult) -> dict[str, Any]:
    """The JSON shape of `geomon trace`: the section, the search distance and the outlets.

    ``{"section": {"code", "name", "river", "offset_m"}, "km", "count", "off_network",
    "outlets": [{"code", "name", "stage", "type_l1", "category", "district",
    "receiving_water", "river", "distance_m", "distance_km", "offset_m"}]}``, nearest first.
    """
    outlets = []
    for rec in result.outlets.to_dict("records"):
        item = {k: _plain(rec.get(k)) for k in _OUTLET_COLUMNS}
        item["distance_km"] = round(float(rec["distance_m"]) / 1000.0, 2)
        outlets.append(item)
    return {
        "section": {
            "code": result.section_code,
            "name": result.section_name,
            "river": result.river,
            "offset_m": result.section_offset_m,
        },
        "km": result.km,
        "count": len(outlets),
        "off_network": result.off_network,
        "outlets": outlets,
    }
