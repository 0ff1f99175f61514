"""Geometry of the demo city: drawing helpers in metres, the base map (`World`) and its frames.

Everything is drawn on the CGCS2000 3° Gauss–Krüger plane (EPSG:4547, CM 114°E) in metres,
x = easting; `geomon.demo.build_demo` reprojects the frames to EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import ops
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geomon.demo import tables
from geomon.demo.tables import BASIN, CANAL, LAKE, MAIN, TRIB_N, TRIB_S

METRIC_CRS = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E (DOMAIN §5.1); metres, x = easting
_ORIGIN = np.array([397_000.0, 3_365_000.0])  # city centre ≈ 112.9°E 30.4°N on EPSG:4547


# ----------------------------------------------------------------------------- geometry helpers


def km(x: float, y: float) -> np.ndarray:
    """Metric coordinates of a point given in km east/north of the city centre."""
    return _ORIGIN + 1000.0 * np.array([x, y])


def noisy_ellipse(
    rng: np.random.Generator,
    centre: np.ndarray,
    a: float,
    b: float,
    *,
    angle_deg: float = 0.0,
    noise: float = 0.03,
) -> Polygon:
    """A smooth, irregular, star-shaped polygon around `centre` (semi-axes `a`, `b` in m)."""
    theta = np.linspace(0.0, 2 * np.pi, 240, endpoint=False)
    r = a * b / np.hypot(b * np.cos(theta), a * np.sin(theta))
    k = np.arange(2, 7)
    amp = rng.uniform(0.3, 1.0, k.size) * noise
    phase = rng.uniform(0.0, 2 * np.pi, k.size)
    r = r * (1.0 + (amp[:, None] * np.sin(k[:, None] * theta + phase[:, None])).sum(axis=0))
    rot = theta + np.deg2rad(angle_deg)
    return Polygon(np.column_stack([centre[0] + r * np.cos(rot), centre[1] + r * np.sin(rot)]))


def _boundary_point(city: Polygon, angle_deg: float, inset: float = 400.0) -> np.ndarray:
    """Where a ray from the centre at `angle_deg` leaves the city, moved `inset` m inwards."""
    direction = np.array([np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))])
    ray = LineString([_ORIGIN, _ORIGIN + 200_000.0 * direction])
    hit = shapely.get_coordinates(ray.intersection(city.exterior))[0]
    out: np.ndarray = hit - inset * direction
    return out


def _meander(
    ctrl: Sequence[np.ndarray],
    rng: np.random.Generator,
    *,
    amplitude: float,
    smooth: int = 25,
) -> LineString:
    """A river through control points: corners smoothed, meanders added, both ends kept exact."""
    base = LineString(np.asarray(ctrl))
    s = np.linspace(0.0, base.length, int(base.length // 150.0) + 1)  # a vertex every ~150 m
    path = shapely.get_coordinates(shapely.line_interpolate_point(base, s))
    for _ in range(smooth):
        path[1:-1] = (path[:-2] + path[1:-1] + path[2:]) / 3.0
    tangent = np.gradient(path, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    wavelength = rng.uniform(1_800.0, 9_000.0, 6)
    amp = amplitude * rng.uniform(0.2, 1.0, 6) / 3.0
    phase = rng.uniform(0.0, 2 * np.pi, 6)
    offset = (amp[:, None] * np.sin(2 * np.pi * s / wavelength[:, None] + phase[:, None])).sum(0)
    taper = np.clip(np.minimum(s, s[-1] - s) / 1_500.0, 0.0, 1.0)
    out = path + normal * (offset * taper)[:, None]
    out[0], out[-1] = ctrl[0], ctrl[-1]
    return LineString(out)


def _warp(coords: np.ndarray) -> np.ndarray:
    """A smooth, fixed displacement field (≤ ~1 km) that makes straight boundaries wiggle."""
    x, y = (coords[:, 0] - _ORIGIN[0]) / 1000.0, (coords[:, 1] - _ORIGIN[1]) / 1000.0
    dx = 600 * np.sin(2 * np.pi * y / 9.0 + 0.7) + 300 * np.sin(2 * np.pi * (x + y) / 4.3 + 2.1)
    dy = 600 * np.sin(2 * np.pi * x / 11.0 + 1.9) + 300 * np.sin(2 * np.pi * (x - y) / 3.7 + 0.4)
    out: np.ndarray = coords + np.column_stack([dx, dy])
    return out


def _tangent(line: LineString, s: float) -> tuple[np.ndarray, np.ndarray]:
    """The point at chainage `s` and the unit vector of the flow there."""
    a, p, b = (
        shapely.get_coordinates(line.interpolate(t))[0]
        for t in (max(s - 5.0, 0.0), s, min(s + 5.0, line.length))
    )
    return p, (b - a) / np.linalg.norm(b - a)


def on_line(line: LineString, s: float, offset: float = 0.0) -> Point:
    """The point at chainage `s` (m from the upstream end), `offset` m left of the flow."""
    p, t = _tangent(line, s)
    return Point(p + offset * np.array([-t[1], t[0]]))


def left_bank(line: LineString, p: Point) -> bool:
    """Whether `p` lies on the left bank (left of the flow, looking downstream)."""
    q, t = _tangent(line, line.project(p))
    return bool(t[0] * (p.y - q[1]) - t[1] * (p.x - q[0]) > 0)


def parts(geom: BaseGeometry, min_area: float = 0.0) -> list[Polygon]:
    """Polygons of `geom` larger than `min_area` m², largest first."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and g.area > min_area]
    return sorted(parts, key=lambda g: -g.area)


def largest(geom: BaseGeometry) -> Polygon:
    """The largest polygon of `geom`: drops slivers left by differences."""
    return parts(geom)[0]


def box(centre: Sequence[float] | np.ndarray, width: float, height: float) -> Polygon:
    """An axis-aligned width × height rectangle (m) around `centre`."""
    x, y = centre
    return shapely.box(x - width / 2, y - height / 2, x + width / 2, y + height / 2)


# ----------------------------------------------------------------------------- the base map


@dataclass(frozen=True, slots=True)
class World:
    """The invented city in metres (EPSG:4547): boundary, districts, waters and land use."""

    city: Polygon
    districts: tuple[Polygon, ...]  # in `tables.DISTRICTS` order; they tile `city`
    rivers: dict[str, LineString]  # flow direction = digitising direction
    lake: Polygon
    core: Polygon  # urban core (城镇生活类 重点管控)
    parks: tuple[Polygon, ...]  # industrial parks (产业集聚类 重点管控)
    intake_s: float  # chainage of the city's river intake on the main river
    lake_intake: Point
    townships: tuple[tuple[str, int, Point], ...]  # (name, district index, centre)

    def district_of(self, geom: BaseGeometry) -> int:
        """Index of the district that contains `geom`'s representative point."""
        p = geom.representative_point()
        return next(i for i, d in enumerate(self.districts) if d.contains(p))

    def district_name(self, geom: BaseGeometry) -> str:
        """Name of the district that contains `geom`'s representative point."""
        return tables.DISTRICTS[self.district_of(geom)][1]

    def township_of(self, p: Point) -> str:
        """Name of the nearest township centre in the same district."""
        i = self.district_of(p)
        return min((c.distance(p), name) for name, j, c in self.townships if j == i)[1]


def _districts(city: Polygon) -> tuple[Polygon, ...]:
    """Warped Voronoi cells around the district seeds, clipped to the city (they tile it)."""
    seeds = MultiPoint([km(*d[2]) for d in tables.DISTRICTS])
    edges = shapely.voronoi_polygons(seeds, extend_to=city.buffer(20_000), only_edges=True)
    edges = shapely.transform(shapely.segmentize(edges, 250.0), _warp)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(edges.union(city.exterior))))
    inside = [f for f in faces if city.contains(f.representative_point())]
    cells = tuple(next(f for f in inside if f.contains(Point(km(*d[2])))) for d in tables.DISTRICTS)
    if len(inside) != len(cells):
        msg = f"district tiling produced {len(inside)} faces for {len(cells)} districts"
        raise RuntimeError(msg)
    return cells


def world(rng: np.random.Generator) -> World:
    """Draw the city, its districts, rivers, lake, urban core and industrial parks."""
    city = noisy_ellipse(rng, _ORIGIN, 30_500.0, 18_500.0, noise=0.035)
    districts = _districts(city)
    west, east = _boundary_point(city, 178.0), _boundary_point(city, -2.0)
    ctrl = [west, km(-18, 1.5), km(-8, -1), km(0, 0.8), km(8, -0.5), km(18, 1.2), east]
    main = _meander(ctrl, rng, amplitude=900.0)
    v = shapely.get_coordinates(main)

    def confluence(x_km: float) -> np.ndarray:  # a vertex of the main river
        vertex: np.ndarray = v[int(np.argmin(np.abs(v[:, 0] - km(x_km, 0)[0])))]
        return vertex

    rivers = {
        MAIN: main,
        TRIB_N: _meander(
            [_boundary_point(city, 100), km(-6.5, 9), km(-3.5, 4), confluence(-3.0)],
            rng,
            amplitude=600.0,
        ),
        TRIB_S: _meander(
            [_boundary_point(city, 248), km(-6, -12), km(2, -6), confluence(6.0)],
            rng,
            amplitude=600.0,
        ),
        CANAL: _meander(
            [_boundary_point(city, 292), km(14, -9), km(15.5, -3), confluence(15.5)],
            rng,
            amplitude=80.0,
            smooth=4,
        ),
    }
    lake = noisy_ellipse(rng, km(12.5, 4.1), 2_600.0, 1_350.0, angle_deg=18.0, noise=0.05)
    core = noisy_ellipse(rng, km(0.5, 0.0), 4_200.0, 3_300.0, noise=0.05)
    parks = (
        noisy_ellipse(rng, km(11.5, -4.2), 1_600.0, 1_000.0, angle_deg=-10.0, noise=0.04),
        noisy_ellipse(rng, km(-22.5, 4.2), 1_300.0, 900.0, angle_deg=25.0, noise=0.04),
    )
    west_shore = lake.exterior.interpolate(0.5, normalized=True)
    lake_intake = ops.nearest_points(lake.buffer(-150.0), west_shore)[0]
    townships = []
    for i, (_, _, _, names) in enumerate(tables.DISTRICTS):
        inner = districts[i].buffer(-1_500.0)
        minx, miny, maxx, maxy = inner.bounds
        for name in names:
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            while not inner.contains(p):
                p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            townships.append((name, i, p))
    return World(
        city=city,
        districts=districts,
        rivers=rivers,
        lake=lake,
        core=core,
        parks=parks,
        intake_s=main.project(Point(km(-8.0, -1.0))),
        lake_intake=lake_intake,
        townships=tuple(townships),
    )


def base_layers(w: World) -> dict[str, gpd.GeoDataFrame]:
    """Districts, rivers and the lake as frames (metric CRS)."""
    kinds = {MAIN: ("干流", "长江"), TRIB_N: ("支流", MAIN), TRIB_S: ("支流", MAIN)}
    kinds[CANAL] = ("运河", MAIN)
    return {
        "districts": frame(
            [
                (code, name, "区县", cell)
                for (code, name, _, _), cell in zip(tables.DISTRICTS, w.districts, strict=True)
            ],
            "code name level",
        ),
        "rivers": frame(
            [(tables.WATER_CODES[n], n, *kinds[n], BASIN, g) for n, g in w.rivers.items()],
            "code name kind downstream basin",
        ),
        "lakes": frame([(tables.WATER_CODES[LAKE], LAKE, "湖泊", w.lake)], "code name kind"),
    }


def frame(rows: Sequence[tuple[object, ...]], columns: str) -> gpd.GeoDataFrame:
    """A metric GeoDataFrame from row tuples whose last item is the geometry."""
    return gpd.GeoDataFrame(
        pd.DataFrame(list(rows), columns=[*columns.split(), "geometry"]),
        geometry="geometry",
        crs=METRIC_CRS,
    )
