"""Measure projects against constraint features in metres: candidates, relations, areas, distances.

Each project is measured on the CGCS2000 3° Gauss–Krüger plane of ITS OWN zone (chosen from its
centroid longitude by `geomon.crs.metric_crs_for`), even when it spans two zones, and every
figure is also computed geodesically on the CGCS2000 ellipsoid with `pyproj.Geod`. The geometry
work is vectorised with shapely 2: an `STRtree` query over conservatively widened project
geometries (in degrees) picks candidates, and only candidate pairs are measured exactly.

Public because the report maps (`geomon.reports.svg_map`, `period_map`) draw on the same GK
plane through `to_plane`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from geomon import crs as gcrs

GeomArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.int64]

_ELLIPSOID = pyproj.CRS.from_epsg(4490).ellipsoid  # CGCS2000 (a = 6378137, 1/f = 298.257222101)
assert _ELLIPSOID is not None
GEOD = pyproj.Geod(a=_ELLIPSOID.semi_major_metre, rf=_ELLIPSOID.inverse_flattening)
# Shortest ground length of one degree in any direction at latitude φ is ≥ this × cos φ
# (meridian degree ≥ 110,574 m at the equator; parallel degree = 111,320 m × cos φ); a margin
# keeps the degree search distance conservative.
_MIN_METRES_PER_DEGREE = 110_000.0

PAIR_COLUMNS = (
    "project", "feature", "relation", "overlap_area_m2", "overlap_area_geodesic_m2",
    "overlap_length_m", "overlap_length_geodesic_m", "overlap_ratio", "distance_m",
    "distance_geodesic_m", "metric_epsg",
)  # fmt: skip


@functools.lru_cache(maxsize=64)
def _transformers(epsg: int) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    plane = pyproj.CRS.from_epsg(epsg)
    return (
        pyproj.Transformer.from_crs(gcrs.WGS84, plane, always_xy=True),
        pyproj.Transformer.from_crs(plane, gcrs.WGS84, always_xy=True),
    )


def _transform(geoms: npt.ArrayLike, transformer: pyproj.Transformer) -> GeomArray:
    arr = np.asarray(geoms, dtype=object)
    return np.asarray(shapely.transform(arr, transformer.transform, interleaved=False))


def to_plane(geoms: npt.ArrayLike, epsg: int) -> GeomArray:
    """Project lon/lat geometries onto the GK plane `epsg` (x = easting, metres)."""
    return _transform(geoms, _transformers(epsg)[0])


def to_lonlat(geoms: npt.ArrayLike, epsg: int) -> GeomArray:
    """Bring GK-plane geometries of `epsg` back to lon/lat (EPSG:4326)."""
    return _transform(geoms, _transformers(epsg)[1])


def zone_epsg(geoms: GeomArray) -> IntArray:
    """EPSG code (4534–4554) of the CGCS2000 3° GK zone of each geometry's centroid longitude."""
    lons = shapely.get_x(shapely.centroid(geoms))
    zones = np.array([gcrs.gk3_zone(float(lon)) for lon in lons], dtype=np.int64)
    epsg = {z: _epsg_of_zone(int(z)) for z in np.unique(zones)}
    return np.array([epsg[z] for z in zones], dtype=np.int64)


@functools.lru_cache(maxsize=64)
def _epsg_of_zone(zone: int) -> int:
    code = gcrs.metric_crs_for(3.0 * zone).to_epsg()  # raises CRSError outside 75°E–135°E
    assert code is not None
    return int(code)


def degree_margin(geoms: GeomArray, buffer_m: float) -> npt.NDArray[np.float64]:
    """A distance in degrees that is at least `buffer_m` metres around each geometry."""
    _, miny, _, maxy = shapely.bounds(geoms).T
    lat = np.minimum(np.maximum(np.abs(miny), np.abs(maxy)) + 1.0, 89.0)
    margin: npt.NDArray[np.float64] = buffer_m / (_MIN_METRES_PER_DEGREE * np.cos(np.radians(lat)))
    return margin + 1e-9


def candidates(
    tree: shapely.STRtree, geoms: GeomArray, buffer_m: float
) -> tuple[IntArray, IntArray]:
    """Positions (project, feature) of every feature within `buffer_m` (conservatively)."""
    pairs = tree.query(geoms, predicate="dwithin", distance=degree_margin(geoms, buffer_m))
    return pairs[0].astype(np.int64), pairs[1].astype(np.int64)


def _geodesic_area(geoms: GeomArray) -> npt.NDArray[np.float64]:
    return np.array(
        [abs(GEOD.geometry_area_perimeter(g)[0]) if g is not None else 0.0 for g in geoms]
    )


def _geodesic_length(geoms: GeomArray) -> npt.NDArray[np.float64]:
    return np.array([GEOD.geometry_length(g) if g is not None else 0.0 for g in geoms])


def measure_projects(geoms: GeomArray, epsg: IntArray) -> dict[str, npt.NDArray[np.generic]]:
    """
    Area and length of each project on its own GK plane and geodesically.

    Returns one array per measure, one entry per geometry: ``area_m2``, ``area_geodesic_m2``,
    ``length_m``, ``length_geodesic_m`` (lines only; 0 otherwise), ``dimension`` (0 points,
    1 lines, 2 polygons) and ``parts``.
    """
    n = len(geoms)
    area, length = np.zeros(n), np.zeros(n)
    for code in np.unique(epsg):
        sel = epsg == code
        plane = to_plane(geoms[sel], int(code))
        area[sel] = shapely.area(plane)
        length[sel] = shapely.length(plane)
    dims = shapely.get_dimensions(geoms)
    polygonal, linear = dims == 2, dims == 1
    return {
        "area_m2": np.where(polygonal, area, 0.0),
        "area_geodesic_m2": np.where(polygonal, _geodesic_area(geoms), 0.0),
        "length_m": np.where(linear, length, 0.0),
        "length_geodesic_m": np.where(linear, _geodesic_length(geoms), 0.0),
        "dimension": dims,
        "parts": shapely.get_num_geometries(geoms),
    }


def measure_pairs(
    projects: GeomArray,
    features: GeomArray,
    pairs: tuple[IntArray, IntArray],
    epsg: IntArray,
    *,
    buffer_m: float,
    near: bool = True,
) -> dict[str, npt.NDArray[np.generic]]:
    """
    Relation and measures of each candidate pair, on the project's own GK plane.

    Parameters
    ----------
    projects, features
        Geometries in EPSG:4326.
    pairs
        Positions (project, feature) of the candidates, e.g. from `candidates`.
    epsg
        The GK plane of every project (`zone_epsg`).
    buffer_m
        Features farther than this (GK-plane distance) are dropped.
    near
        Whether to keep features that are only within the buffer (relation ``"near"``).

    Returns
    -------
    dict of numpy arrays
        One entry per kept pair in each of the `PAIR_COLUMNS` (plain arrays, not a DataFrame:
        a check of one project has a handful of pairs and pandas would cost more than the
        geometry). ``relation`` is ``"inside"`` (the project is covered by the feature),
        ``"overlaps"`` (their interiors meet) or ``"near"`` (no interior in common, GK distance
        ≤ `buffer_m`; 0 when they only touch). ``overlap_ratio`` is the share of the project's
        area (polygons), length (lines) or points (points) that lies in the feature.
    """
    p_idx, f_idx = pairs
    zones = []
    for code in np.unique(epsg[p_idx]):
        sel = epsg[p_idx] == code
        zone = _measure_zone(
            projects, features, p_idx[sel], f_idx[sel], int(code), buffer_m=buffer_m, near=near
        )
        zones.append(zone)
    if not zones:
        return {c: np.zeros(0) for c in PAIR_COLUMNS}
    if len(zones) == 1:
        return zones[0]
    return {c: np.concatenate([z[c] for z in zones]) for c in PAIR_COLUMNS}


def _measure_zone(
    projects: GeomArray,
    features: GeomArray,
    p_idx: IntArray,
    f_idx: IntArray,
    epsg: int,
    *,
    buffer_m: float,
    near: bool,
) -> dict[str, npt.NDArray[np.generic]]:
    up, p_inv = np.unique(p_idx, return_inverse=True)
    uf, f_inv = np.unique(f_idx, return_inverse=True)
    plane_p, plane_f = to_plane(projects[up], epsg), to_plane(features[uf], epsg)
    for arr in (plane_p, plane_f):
        bad = ~shapely.is_valid(arr)
        arr[bad] = shapely.make_valid(arr[bad])
    shapely.prepare(plane_p)
    p, f = plane_p[p_inv], plane_f[f_inv]  # object arrays of shared (prepared) geometries

    touching = shapely.touches(p, f)
    meeting = shapely.intersects(p, f) & ~touching  # interiors (or a point) in common
    inside = meeting & shapely.covered_by(p, f)
    dist = np.zeros(len(p))
    apart = ~meeting
    dist[apart] = shapely.distance(p[apart], f[apart])
    keep = meeting | (near & (dist <= buffer_m))
    p, f, dist, meeting, inside = p[keep], f[keep], dist[keep], meeting[keep], inside[keep]
    inter = np.full(len(p), None, dtype=object)
    inter[meeting] = shapely.intersection(p[meeting], f[meeting])
    dims = shapely.get_dimensions(p)
    polygonal, linear = meeting & (dims == 2), meeting & (dims == 1)
    geo_area, geo_len = np.zeros(len(p)), np.zeros(len(p))
    if polygonal.any():
        geo_area[polygonal] = _geodesic_area(to_lonlat(inter[polygonal], epsg))
    if linear.any():
        geo_len[linear] = _geodesic_length(to_lonlat(inter[linear], epsg))
    geo_dist = np.zeros(len(p))
    far = dist > 0
    if far.any():
        ends = shapely.get_coordinates(shapely.shortest_line(p[far], f[far])).reshape(-1, 2, 2)
        _, inv = _transformers(epsg)
        lon, lat = inv.transform(ends[:, :, 0].ravel(), ends[:, :, 1].ravel())
        lon, lat = np.reshape(lon, (-1, 2)), np.reshape(lat, (-1, 2))
        geo_dist[far] = GEOD.inv(lon[:, 0], lat[:, 0], lon[:, 1], lat[:, 1])[2]
    return pair_columns(
        p_idx[keep],
        f_idx[keep],
        epsg,
        Overlaps(
            dims=dims,
            project_area=shapely.area(p),
            project_length=shapely.length(p),
            project_parts=shapely.get_num_geometries(p),
            meeting=meeting,
            inside=inside,
            distance=dist,
            area=shapely.area(inter),
            length=shapely.length(inter),
            parts=shapely.get_num_geometries(inter),
            area_geodesic=geo_area,
            length_geodesic=geo_len,
            distance_geodesic=geo_dist,
        ),
    )


@dataclass(frozen=True, slots=True)
class Overlaps:
    """The raw figures of kept pairs, one array entry per pair, on the project's GK plane.

    ``dims``/``project_*``: the project's dimension (0/1/2), area, length and part count;
    ``meeting``: interiors (or a point) in common; ``inside``: the project is covered by the
    feature; ``area``/``length``/``parts``: of their intersection (ignored when not meeting);
    ``*_geodesic``: the same on the ellipsoid (area for polygons, length for lines, distance
    between the nearest points when apart; 0 elsewhere). The in-memory measure computes them
    with shapely, a store that measures in its database with SQL (`geomon.store._siting_pg`);
    `pair_columns` turns both into the same columns.
    """

    dims: npt.NDArray[np.integer]
    project_area: npt.NDArray[np.float64]
    project_length: npt.NDArray[np.float64]
    project_parts: npt.NDArray[np.integer]
    meeting: npt.NDArray[np.bool_]
    inside: npt.NDArray[np.bool_]
    distance: npt.NDArray[np.float64]
    area: npt.NDArray[np.float64]
    length: npt.NDArray[np.float64]
    parts: npt.NDArray[np.integer]
    area_geodesic: npt.NDArray[np.float64]
    length_geodesic: npt.NDArray[np.float64]
    distance_geodesic: npt.NDArray[np.float64]


def pair_columns(
    p_pos: IntArray, f_pos: IntArray, epsg: int | IntArray, o: Overlaps
) -> dict[str, npt.NDArray[np.generic]]:
    """The `PAIR_COLUMNS` of kept pairs from their raw figures (see `measure_pairs`)."""
    n = len(p_pos)
    meeting, dims = o.meeting, o.dims
    polygonal, linear, punctual = (meeting & (dims == d) for d in (2, 1, 0))
    overlap_area = np.where(polygonal, o.area, 0.0)
    overlap_len = np.where(linear, o.length, 0.0)  # stray points add no length
    ratio = np.zeros(n)
    area_p, length_p = o.project_area, o.project_length
    np.divide(overlap_area, area_p, out=ratio, where=polygonal & (area_p > 0))
    np.divide(overlap_len, length_p, out=ratio, where=linear & (length_p > 0))
    n_pts = np.asarray(o.project_parts, dtype=float)
    np.divide(np.asarray(o.parts, dtype=float), n_pts, out=ratio, where=punctual & (n_pts > 0))
    return {
        "project": p_pos,
        "feature": f_pos,
        "relation": np.where(o.inside, "inside", np.where(meeting, "overlaps", "near")),
        "overlap_area_m2": overlap_area,
        "overlap_area_geodesic_m2": np.where(polygonal, o.area_geodesic, 0.0),
        "overlap_length_m": overlap_len,
        "overlap_length_geodesic_m": np.where(linear, o.length_geodesic, 0.0),
        "overlap_ratio": np.clip(ratio, 0.0, 1.0),
        "distance_m": np.where(meeting, 0.0, o.distance),
        "distance_geodesic_m": np.where(o.distance > 0, o.distance_geodesic, 0.0),
        "metric_epsg": np.broadcast_to(np.asarray(epsg, dtype=np.int64), (n,)).copy(),
    }


@dataclass(frozen=True, slots=True)
class MeasuredLayer:
    """One layer's pairs measured where the layer lives (a store's `measure_near`).

    ``columns`` are `PAIR_COLUMNS`, their ``feature`` a position in ``geoms``; ``fields`` holds
    the asked attributes of those features (<NA> when missing), ``geoms`` their geometries
    (EPSG:4326) and ``keys`` the store's row ids of them.
    """

    columns: dict[str, npt.NDArray[np.generic]]
    fields: dict[str, npt.NDArray[np.object_]]
    geoms: GeomArray
    keys: IntArray
