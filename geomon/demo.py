"""Synthetic demo dataset: 江汉市, a fictional city shaped after a real bureau's H1-2023 report.

Everything here is invented: the city, its districts, rivers, outlets, monitoring sections,
values, zones and projects. Only the *shape* of the numbers follows the 潜江市 H1-2023 work
report (DOMAIN.md §6.2): 113 river outlets of which 110 are rectified, 16 lake outlets, and
6 national + 9 provincial sections of which 5 and 8 are class Ⅰ–Ⅲ on the Jan–Jun cumulative
mean (83.3 % and 88.9 %). The outlet type mix follows the 2023 Yellow River survey (DOMAIN §2.2).

Geometry is built in metres on the CGCS2000 3° Gauss–Krüger plane (EPSG:4547, CM 114°E) and
returned in EPSG:4326. The generator is deterministic: one seeded `numpy.random.Generator`
drawn from in a fixed order, and no use of the clock. ``data/README.md`` describes the data and
its planted problems (an outlet inside a 二级 zone, a section without a target class).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely import ops
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geomon.specs import get_spec
from geomon.store import WriteStats, open_store
from geomon.validate import apply_dtypes

SEED = 2023
METRIC_CRS = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E (DOMAIN §5.1); metres, x = easting
SOURCE = "geomon demo (synthetic)"
VERSION = "演示数据 2023H1"
GDAL_DATE = "2023-07-01T00:00:00Z"  # OGR_CURRENT_DATE while writing: stable GPKG timestamps
CITY = "江汉市"
BASIN = "长江"
_ORIGIN = np.array([397_000.0, 3_365_000.0])  # city centre ≈ 112.9°E 30.4°N on EPSG:4547
_PRECISION = 1e-7  # output grid in degrees (~1 cm)

# code, name, Voronoi seed (km from the centre), townships. All fictional; GB/T 2260-style codes
# under an unused prefecture prefix (4299): 02–03 districts, 21–25 counties, 81 a county city.
_DISTRICTS = (
    ("429902", "明珠区", (0.0, 0.0), ("江滨街道", "东门街道", "西门街道")),
    ("429903", "沙洲区", (22.0, 0.0), ("沙洲街道", "滨湖街道", "东港镇")),
    ("429921", "白鹭县", (-8.0, 11.0), ("白鹭镇", "鹤鸣镇", "北塘镇")),
    ("429922", "柳溪县", (-8.0, -11.0), ("柳溪镇", "南垸镇", "杨桥镇")),
    ("429923", "青石县", (-21.0, -8.0), ("青石镇", "岭口镇", "石门乡")),
    ("429924", "芦荡县", (10.0, 11.0), ("芦荡镇", "鸳鸯镇", "荷塘乡")),
    ("429925", "田畈县", (-21.0, 6.0), ("田畈镇", "西河镇", "禾丰乡")),
    ("429981", "新垸市", (10.0, -11.0), ("新垸街道", "兴农镇", "丰乐镇")),
)
MAIN, TRIB_N, TRIB_S, CANAL, LAKE = "玉带河", "白鹭河", "柳溪河", "兴农运河", "鸳鸯湖"
# Fictional 6-character receiving-water codes (HJ 932-2017 not applied). Outlet codes follow the
# table-driven layout in geomon/rules/outlets.toml: water 6 + district 6 + type 2 + serial 4.
_WATER_CODES = {MAIN: "CJ9001", TRIB_N: "CJ9101", TRIB_S: "CJ9102", CANAL: "CJ9201", LAKE: "CJ9301"}
PLANTED_OUTLET_CODE = "CJ9001429902GM0001"  # the outlet inside a 二级 zone (data/README.md)
PLANTED_SECTION_CODE = "JHMK02"  # the 市控 section with no target class


def _day(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


# ----------------------------------------------------------------------------- geometry helpers


def _km(x: float, y: float) -> np.ndarray:
    """Metric coordinates of a point given in km east/north of the city centre."""
    return _ORIGIN + 1000.0 * np.array([x, y])


def _noisy_ellipse(
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


def _on_line(line: LineString, s: float, offset: float = 0.0) -> Point:
    """The point at chainage `s` (m from the upstream end), `offset` m left of the flow."""
    p, t = _tangent(line, s)
    return Point(p + offset * np.array([-t[1], t[0]]))


def _left_bank(line: LineString, p: Point) -> bool:
    """Whether `p` lies on the left bank (left of the flow, looking downstream)."""
    q, t = _tangent(line, line.project(p))
    return bool(t[0] * (p.y - q[1]) - t[1] * (p.x - q[0]) > 0)


def _parts(geom: BaseGeometry, min_area: float = 0.0) -> list[Polygon]:
    """Polygons of `geom` larger than `min_area` m², largest first."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and g.area > min_area]
    return sorted(parts, key=lambda g: -g.area)


def _largest(geom: BaseGeometry) -> Polygon:
    """The largest polygon of `geom`: drops slivers left by differences."""
    return _parts(geom)[0]


def _box(centre: Sequence[float] | np.ndarray, width: float, height: float) -> Polygon:
    """An axis-aligned width × height rectangle (m) around `centre`."""
    x, y = centre
    return shapely.box(x - width / 2, y - height / 2, x + width / 2, y + height / 2)


# ----------------------------------------------------------------------------- the base map


@dataclass(frozen=True, slots=True)
class _World:
    """The invented city in metres (EPSG:4547): boundary, districts, waters and land use."""

    city: Polygon
    districts: tuple[Polygon, ...]  # in `_DISTRICTS` order; they tile `city`
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
        return _DISTRICTS[self.district_of(geom)][1]

    def township_of(self, p: Point) -> str:
        """Name of the nearest township centre in the same district."""
        i = self.district_of(p)
        return min((c.distance(p), name) for name, j, c in self.townships if j == i)[1]


def _districts(city: Polygon) -> tuple[Polygon, ...]:
    """Warped Voronoi cells around the district seeds, clipped to the city (they tile it)."""
    seeds = MultiPoint([_km(*d[2]) for d in _DISTRICTS])
    edges = shapely.voronoi_polygons(seeds, extend_to=city.buffer(20_000), only_edges=True)
    edges = shapely.transform(shapely.segmentize(edges, 250.0), _warp)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(edges.union(city.exterior))))
    inside = [f for f in faces if city.contains(f.representative_point())]
    cells = tuple(next(f for f in inside if f.contains(Point(_km(*d[2])))) for d in _DISTRICTS)
    if len(inside) != len(cells):
        msg = f"district tiling produced {len(inside)} faces for {len(cells)} districts"
        raise RuntimeError(msg)
    return cells


def _world(rng: np.random.Generator) -> _World:
    """Draw the city, its districts, rivers, lake, urban core and industrial parks."""
    city = _noisy_ellipse(rng, _ORIGIN, 30_500.0, 18_500.0, noise=0.035)
    districts = _districts(city)
    west, east = _boundary_point(city, 178.0), _boundary_point(city, -2.0)
    ctrl = [west, _km(-18, 1.5), _km(-8, -1), _km(0, 0.8), _km(8, -0.5), _km(18, 1.2), east]
    main = _meander(ctrl, rng, amplitude=900.0)
    v = shapely.get_coordinates(main)

    def confluence(x_km: float) -> np.ndarray:  # a vertex of the main river
        vertex: np.ndarray = v[int(np.argmin(np.abs(v[:, 0] - _km(x_km, 0)[0])))]
        return vertex

    rivers = {
        MAIN: main,
        TRIB_N: _meander(
            [_boundary_point(city, 100), _km(-6.5, 9), _km(-3.5, 4), confluence(-3.0)],
            rng,
            amplitude=600.0,
        ),
        TRIB_S: _meander(
            [_boundary_point(city, 248), _km(-6, -12), _km(2, -6), confluence(6.0)],
            rng,
            amplitude=600.0,
        ),
        CANAL: _meander(
            [_boundary_point(city, 292), _km(14, -9), _km(15.5, -3), confluence(15.5)],
            rng,
            amplitude=80.0,
            smooth=4,
        ),
    }
    lake = _noisy_ellipse(rng, _km(12.5, 4.1), 2_600.0, 1_350.0, angle_deg=18.0, noise=0.05)
    core = _noisy_ellipse(rng, _km(0.5, 0.0), 4_200.0, 3_300.0, noise=0.05)
    parks = (
        _noisy_ellipse(rng, _km(11.5, -4.2), 1_600.0, 1_000.0, angle_deg=-10.0, noise=0.04),
        _noisy_ellipse(rng, _km(-22.5, 4.2), 1_300.0, 900.0, angle_deg=25.0, noise=0.04),
    )
    west_shore = lake.exterior.interpolate(0.5, normalized=True)
    lake_intake = ops.nearest_points(lake.buffer(-150.0), west_shore)[0]
    townships = []
    for i, (_, _, _, names) in enumerate(_DISTRICTS):
        inner = districts[i].buffer(-1_500.0)
        minx, miny, maxx, maxy = inner.bounds
        for name in names:
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            while not inner.contains(p):
                p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            townships.append((name, i, p))
    return _World(
        city=city,
        districts=districts,
        rivers=rivers,
        lake=lake,
        core=core,
        parks=parks,
        intake_s=main.project(Point(_km(-8.0, -1.0))),
        lake_intake=lake_intake,
        townships=tuple(townships),
    )


def _base_layers(w: _World) -> dict[str, gpd.GeoDataFrame]:
    """Districts, rivers and the lake as frames (metric CRS)."""
    kinds = {MAIN: ("干流", "长江"), TRIB_N: ("支流", MAIN), TRIB_S: ("支流", MAIN)}
    kinds[CANAL] = ("运河", MAIN)
    return {
        "districts": _frame(
            [
                (code, name, "区县", cell)
                for (code, name, _, _), cell in zip(_DISTRICTS, w.districts, strict=True)
            ],
            "code name level",
        ),
        "rivers": _frame(
            [(_WATER_CODES[n], n, *kinds[n], BASIN, g) for n, g in w.rivers.items()],
            "code name kind downstream basin",
        ),
        "lakes": _frame([(_WATER_CODES[LAKE], LAKE, "湖泊", w.lake)], "code name kind"),
    }


def _frame(rows: Sequence[tuple[object, ...]], columns: str) -> gpd.GeoDataFrame:
    """A metric GeoDataFrame from row tuples whose last item is the geometry."""
    return gpd.GeoDataFrame(
        pd.DataFrame(list(rows), columns=[*columns.split(), "geometry"]),
        geometry="geometry",
        crs=METRIC_CRS,
    )


# ----------------------------------------------------------------------------- constraint layers


def _river_zones(
    line: LineString, s: float, up: tuple[float, float, float], land: tuple[float, float]
) -> list[Polygon]:
    """一级, 二级 (and 准 if ``up[2]``) zones along a river around the intake at chainage `s`.

    一级 runs from ``up[0]`` m upstream to 100 m downstream of the intake with ``land[0]`` m on
    each side of the centre line; 二级 a further ``up[1]`` m upstream and 200 m further
    downstream, ``land[1]`` m wide each side, minus 一级; 准 a further ``up[2]`` m upstream,
    minus 二级's footprint. The zones are disjoint. Sizes are illustrative, after HJ 338-2018
    (DOMAIN §3.2); never derive legal zones this way.
    """
    one = ops.substring(line, s - up[0], s + 100.0).buffer(land[0], cap_style="flat")
    foot2 = ops.substring(line, s - up[0] - up[1], s + 300.0).buffer(land[1], cap_style="flat")
    zones = [_largest(one), _largest(foot2.difference(one))]
    if up[2]:
        foot3 = ops.substring(line, max(s - sum(up), 0.0), s - up[0] - up[1])
        zones.append(_largest(foot3.buffer(land[1], cap_style="flat").difference(foot2)))
    return zones


def _protection_zones(w: _World) -> gpd.GeoDataFrame:
    """Two city-level sources (river, lake) and four township sources, all fictional."""
    main = w.rivers[MAIN]
    l1 = _largest(w.lake_intake.buffer(400.0).intersection(w.lake.buffer(200.0)))
    l2 = _largest(w.lake_intake.buffer(1_500.0).intersection(w.lake.buffer(500.0)).difference(l1))
    city_doc = ("城市级", "汉东政函〔2019〕35号", _day("2019-06-18"))
    town_doc = ("乡镇级", "江汉政函〔2021〕12号", _day("2021-09-27"))
    sources = [  # name, type, (scale, approval), intake, zones 一级/二级/准
        (
            f"{CITY}第一水厂{MAIN}水源地",
            "河流型",
            city_doc,
            _on_line(main, w.intake_s),
            _river_zones(main, w.intake_s, (1000, 2000, 5000), (275, 575)),
        ),
        (f"{CITY}第二水厂{LAKE}水源地", "湖库型", city_doc, w.lake_intake, [l1, l2]),
    ]
    for town, river, frac in (("鹤鸣镇", TRIB_N, 0.3), ("杨桥镇", TRIB_S, 0.55)):
        line, s = w.rivers[river], frac * w.rivers[river].length
        zones = _river_zones(line, s, (500, 1000, 0), (130, 330))
        sources.append((f"{town}水厂{river}水源地", "河流型", town_doc, _on_line(line, s), zones))
    for town, at in (("石门乡", _km(-25.0, -4.0)), ("丰乐镇", _km(5.0, -15.0))):
        well = Point(at)
        zones = [well.buffer(50.0), well.buffer(300.0).difference(well.buffer(50.0))]
        sources.append((f"{town}地下水水源地", "地下水型", town_doc, well, zones))
    rows = []
    for n, (name, stype, (scale, doc, date), intake, geoms) in enumerate(sources, start=1):
        source_code = f"SY{_DISTRICTS[w.district_of(intake)][0]}{n:02d}"
        for level, suffix, g in zip(("一级", "二级", "准保护区"), "12Z", geoms, strict=False):
            code = f"{source_code}-{suffix}"
            district = w.district_name(g)
            rows.append(
                (code, name, source_code, level, "水陆域", stype, scale, district, doc, date, g)
            )
    columns = "code source_name source_code level zone_part source_type source_scale district"
    return _frame(rows, f"{columns} approval_doc approval_date")


def _red_lines(w: _World) -> gpd.GeoDataFrame:
    """Four red-line polygons: a river wetland, the lake, a hill forest (with a hole), a source."""
    main = w.rivers[MAIN]
    s_a, s_b = (main.project(Point(_km(x, 0.0))) for x in (18.0, 25.5))
    wetland = ops.substring(main, s_a, s_b).buffer(450.0, cap_style="flat")
    rng = np.random.default_rng(SEED + 1)  # own stream: these shapes stay put when others change
    hills = _noisy_ellipse(rng, _km(-18.6, -9.8), 3_600.0, 2_300.0, angle_deg=-15.0, noise=0.06)
    village = _noisy_ellipse(rng, _km(-17.8, -9.4), 550.0, 420.0, noise=0.08)  # the hole
    forest = Polygon(hills.exterior.coords, [village.exterior.coords])
    forest = _largest(forest.intersection(w.city.buffer(-300.0)))
    source = ops.substring(w.rivers[TRIB_S], 800.0, 5_500.0).buffer(350.0, cap_style="flat")
    rows: list[tuple[object, ...]] = []
    for name, function, eco_type, g in (
        (f"{MAIN}下游湿地生态保护红线", "生物多样性维护", "湿地", wetland),
        (f"{LAKE}湖泊生态保护红线", "水源涵养", "湖泊", w.lake),
        ("青石山森林生态保护红线", "水土保持", "森林", forest),
        (f"{TRIB_S}源头水源涵养生态保护红线", "水源涵养", "河流", source),
    ):
        code = f"HX{_DISTRICTS[w.district_of(g)][0]}{len(rows) + 1:04d}"
        district = w.district_name(g)
        rows.append((code, name, function, eco_type, False, district, "红线 2023 批复版", g))
    return _frame(rows, "code name eco_function eco_type core_zone district version")


_UNIT_DIGIT = {"优先保护单元": 1, "重点管控单元": 2, "一般管控单元": 3}  # code pattern [M] §4.2
_ADMISSION = {
    "优先保护单元": "禁止开发性、生产性建设活动，仅允许不破坏生态功能的有限人为活动"
    "（自然资发〔2022〕142号）；水源保护区执行水污染防治法第六十五、六十六条。",
    "城镇生活类": "新建项目污水全部纳管；完善雨污分流；禁止新建化工、印染等项目。",
    "产业集聚类": "入园企业废水预处理后排入园区污水处理厂；落实环境风险防控措施。",
    "一般管控单元": "执行区域生态环境保护的基本要求。",
}


def _control_units(w: _World, zones: gpd.GeoDataFrame, red: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """三线一单 units: each district split into 优先 / 重点 / 一般 parts that tile the city."""
    red_u = shapely.union_all(red.geometry.values)
    zone_u = shapely.union_all(zones.geometry[zones["level"] != "准保护区"].values)
    prio = red_u.union(zone_u)
    parks = shapely.union_all(list(w.parks)).difference(w.core)
    rows = []
    for (dcode, dname, _, _), cell in zip(_DISTRICTS, w.districts, strict=True):
        pieces = (
            ("优先保护单元", "生态保护红线", cell.intersection(red_u)),
            ("优先保护单元", "饮用水水源保护区", cell.intersection(zone_u).difference(red_u)),
            ("重点管控单元", "城镇生活类", cell.intersection(w.core).difference(prio)),
            ("重点管控单元", "产业集聚类", cell.intersection(parks).difference(prio)),
            ("一般管控单元", None, cell.difference(prio.union(w.core).union(parks))),
        )
        serial = dict.fromkeys(_UNIT_DIGIT, 0)
        for utype, sub, geom in pieces:
            parts = _parts(geom, min_area=1.0)
            for k, part in enumerate(parts, start=1):
                serial[utype] += 1
                code = f"ZH{dcode}{_UNIT_DIGIT[utype]}{serial[utype]:04d}"
                name = f"{dname}{sub or ''}{utype}" + (f"（{k}）" if len(parts) > 1 else "")
                admission = _ADMISSION[sub if utype == "重点管控单元" and sub else utype]
                rows.append((code, name, utype, sub, dname, dcode, admission, part))
    return _frame(rows, "code name unit_type subtype district district_code admission")


# ----------------------------------------------------------------------------- outlets

# type_l1, type_l2, type_l3, code letters, count. Counts: 58 stormwater (45 %), 34 agricultural or
# rural (26 %), 37 other, after the 2023 Yellow River survey (DOMAIN §2.2). Letters are fictional.
_OUTLET_TYPES = (
    ("工业排污口", "工矿企业排污口", "工业企业排污口", "GS", 13),
    ("工业排污口", "工矿企业排污口", "矿山排污口", "KS", 1),
    ("工业排污口", "工矿企业雨洪排口", "工业企业雨洪排口", "GY", 17),
    ("工业排污口", "工矿企业雨洪排口", "矿山雨洪排口", "KY", 3),
    ("工业排污口", "工业及其他各类园区污水处理厂排污口", None, "YS", 3),
    ("工业排污口", "工业及其他各类园区污水处理厂雨洪排口", None, "YY", 8),
    ("城镇污水处理厂排污口", "城镇污水处理厂排污口", None, "CW", 6),
    ("农业排口", "规模化畜禽养殖排污口", None, "XQ", 4),
    ("农业排口", "规模化水产养殖排污口", None, "SC", 6),
    ("其他排口", "大中型灌区排口", None, "GG", 5),
    ("其他排口", "港口码头排口", None, "GM", 3),
    ("其他排口", "规模以下畜禽养殖排污口", None, "XX", 4),
    ("其他排口", "规模以下水产养殖排污口", None, "SX", 5),
    ("其他排口", "农村污水处理设施排污口", None, "NW", 4),
    ("其他排口", "农村生活污水散排口", None, "NS", 6),
    ("其他排口", "城镇生活污水散排口", None, "CS", 9),
    ("其他排口", "城镇雨洪排口", None, "CY", 30),
    ("其他排口", "其他", None, "QT", 2),
)
# type_l2 → (rectification categories, their probabilities, discharge modes)
_CATEGORY = {
    "工矿企业排污口": (("规范", "合并"), (0.6, 0.4), ("明管", "暗管")),
    "工矿企业雨洪排口": (("规范", "无需整治"), (0.7, 0.3), ("涵闸", "明渠", "暗管")),
    "工业及其他各类园区污水处理厂排污口": (("规范",), (1.0,), ("明管", "暗管")),
    "工业及其他各类园区污水处理厂雨洪排口": (("规范", "无需整治"), (0.7, 0.3), ("涵闸", "暗渠")),
    "城镇污水处理厂排污口": (("规范",), (1.0,), ("明管", "暗管")),
    "规模化畜禽养殖排污口": (("规范", "取缔"), (0.7, 0.3), ("明渠", "暗管")),
    "规模化水产养殖排污口": (("规范", "取缔"), (0.7, 0.3), ("明渠", "涵闸")),
    "大中型灌区排口": (("规范", "无需整治"), (0.5, 0.5), ("涵闸", "明渠")),
    "港口码头排口": (("规范", "合并"), (0.6, 0.4), ("明管", "明渠")),
    "规模以下畜禽养殖排污口": (("取缔", "规范"), (0.6, 0.4), ("明渠", "明管")),
    "规模以下水产养殖排污口": (("取缔", "规范"), (0.6, 0.4), ("明渠", "涵闸")),
    "农村污水处理设施排污口": (("规范",), (1.0,), ("明管", "暗管")),
    "农村生活污水散排口": (("合并", "取缔"), (0.5, 0.5), ("明渠", "明管")),
    "城镇生活污水散排口": (("合并", "取缔"), (0.7, 0.3), ("暗管", "明管")),
    "城镇雨洪排口": (("规范", "无需整治"), (0.7, 0.3), ("泵站", "涵闸", "暗管")),
    "其他": (("取缔", "规范"), (0.5, 0.5), ("其他", "明管")),
}
_COMPANIES = ("华瑞化工", "恒远纺织", "金禾食品", "长盛建材", "新锐机械", "绿源生物", "宏达纸业")
_ROADS = ("江汉大道", "人民路", "建设路", "滨江路", "东风路", "新华路", "光明路", "湖滨路")
_VILLAGES = ("新河", "王场", "李台", "张湾", "刘垸", "陈岭", "杨家台", "周湾", "黄桥", "胡场")
_PARKS = ("江汉经济开发区", "田畈工业园")
_MINE = "江汉鑫磊矿业有限公司"
_RECTIFIED = ("整治完成", "已销号")
_OUTLET_COLUMNS = (
    "code local_code name type_l1 type_l2 type_l3 receiving_water receiving_water_code "
    "water_body_kind discharge_mode district district_code township address responsible_unit "
    "category stage traced_date deadline completed_date sign_installed survey_date notes"
)


def _outlet_identity(
    l2: str, l3: str | None, district: str, township: str, rng: np.random.Generator
) -> tuple[str, str, str]:
    """(what the outlet is named after, name ending, responsible unit) for an outlet type."""
    company = f"江汉{rng.choice(_COMPANIES)}有限公司" if l3 is None or "矿山" not in l3 else _MINE
    town = township.removesuffix("街道").removesuffix("镇").removesuffix("乡")
    village = f"{town}{rng.choice(_VILLAGES)}村"
    gov = f"{township}{'办事处' if township.endswith('街道') else '人民政府'}"
    park, road = str(rng.choice(_PARKS)), str(rng.choice(_ROADS))
    table = {
        "工矿企业排污口": (company, "排污口", company),
        "工矿企业雨洪排口": (company, "雨洪排口", company),
        "工业及其他各类园区污水处理厂排污口": (f"{park}污水处理厂", "排污口", f"{park}管委会"),
        "工业及其他各类园区污水处理厂雨洪排口": (f"{park}污水处理厂", "雨洪排口", f"{park}管委会"),
        "城镇污水处理厂排污口": (f"{township}污水处理厂", "排污口", f"{CITY}水务集团有限公司"),
        "规模化畜禽养殖排污口": (f"{village}生猪养殖场", "排污口", f"{village}生猪养殖合作社"),
        "规模化水产养殖排污口": (f"{village}水产养殖基地", "排污口", f"{village}水产养殖合作社"),
        "大中型灌区排口": (f"{township}灌区退水闸", "排口", f"{CITY}{town}灌区管理所"),
        "港口码头排口": (f"{township}码头", "排口", f"{CITY}港航发展有限公司"),
        "规模以下畜禽养殖排污口": (f"{village}养殖户", "排污口", f"{village}村民委员会"),
        "规模以下水产养殖排污口": (f"{village}鱼塘", "排口", f"{village}村民委员会"),
        "农村污水处理设施排污口": (f"{village}污水处理站", "排污口", gov),
        "农村生活污水散排口": (village, "生活污水散排口", f"{village}村民委员会"),
        "城镇生活污水散排口": (road, "生活污水散排口", gov),
        "城镇雨洪排口": (road, "雨洪排口", f"{district}住房和城乡建设局"),
        "其他": (township, "排口", gov),
    }
    return table[l2]


def _outlet_sites(
    w: _World, zones: gpd.GeoDataFrame, red: gpd.GeoDataFrame, rng: np.random.Generator
) -> list[tuple[str, Point]]:
    """112 river sites ≤ 45 m off a river, 16 lake-shore sites; clear of zones and red lines."""
    keep_out = shapely.union_all(
        [*zones.geometry.buffer(100.0), *red.geometry.buffer(60.0), w.lake.buffer(300.0)]
    )
    borders = shapely.union_all([d.boundary for d in w.districts]).buffer(40.0)
    inner = w.city.buffer(-500.0)
    for g in (keep_out, borders, inner):
        shapely.prepare(g)
    sites: list[tuple[str, Point]] = []

    def free(p: Point) -> bool:
        return (
            not borders.intersects(p)
            and inner.contains(p)
            and all(p.distance(q) > 200.0 for _, q in sites)
        )

    names = (MAIN, TRIB_N, TRIB_S, CANAL)
    while len(sites) < 112:
        river = names[int(rng.choice(4, p=[0.5, 0.17, 0.17, 0.16]))]
        line = w.rivers[river]
        side = rng.choice([-1.0, 1.0]) * rng.uniform(5.0, 45.0)
        p = _on_line(line, rng.uniform(300.0, line.length - 300.0), side)
        if free(p) and not keep_out.intersects(p):
            sites.append((river, p))
    shore, lake_zones = w.lake.exterior, w.lake_intake.buffer(1_900.0)
    while len(sites) < 128:
        q = shore.interpolate(rng.uniform(0.0, shore.length))
        p = ops.nearest_points(w.lake.buffer(rng.uniform(10.0, 40.0)).exterior, q)[0]
        if free(p) and not lake_zones.intersects(p):
            sites.append((LAKE, p))
    return sites


def _progress(
    stage: str,
    category: str | None,
    deadline: pd.Timestamp | None,
    survey: pd.Timestamp,
    rng: np.random.Generator,
) -> tuple[pd.Timestamp | None, pd.Timestamp | None, bool]:
    """Traced date, completed date and sign of an outlet at `stage` (all by 2023-06-30)."""
    if stage in ("已排查", "已监测"):
        return None, None, False
    traced = min(survey + pd.Timedelta(days=int(rng.integers(20, 90))), _day("2023-06-20"))
    if stage not in _RECTIFIED:
        return traced, None, bool(stage in ("已命名编码", "整治中") and rng.random() < 0.3)
    due = deadline if deadline is not None else survey + pd.Timedelta(days=40)
    days = int(rng.integers(10, 60)) if rng.random() < 0.08 else -int(rng.integers(0, 120))
    completed = max(due + pd.Timedelta(days=days), traced + pd.Timedelta(days=10))
    sign = category != "取缔" and rng.random() < 0.93  # a closed-down outlet has no sign
    return traced, min(completed, _day("2023-06-30")), bool(sign)


def _outlets(
    w: _World, zones: gpd.GeoDataFrame, red: gpd.GeoDataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """129 outlets: 113 river (110 rectified, 3 not, one planted in a 二级 zone), 16 lake."""
    kinds = [i for i, t in enumerate(_OUTLET_TYPES) for _ in range(t[4])]
    planted_kind = next(i for i, t in enumerate(_OUTLET_TYPES) if t[1] == "港口码头排口")
    kinds.remove(planted_kind)
    kinds = [planted_kind, *(kinds[i] for i in rng.permutation(len(kinds)))]
    sites = [(MAIN, _on_line(w.rivers[MAIN], w.intake_s - 1_800.0, 35.0))]
    sites += _outlet_sites(w, zones, red, rng)
    # river outlets 0–2 are the three not rectified (0 = planted, 1 overdue); lake stages fixed
    fixed = {0: ("整治中", "规范", "2023-06-30"), 1: ("整治中", "取缔", "2023-03-31")}
    fixed[2] = ("已命名编码", "合并", "2027-12-31")
    lake_stages = ["已排查"] * 3 + ["已监测"] * 2 + ["已溯源"] * 3 + ["已命名编码"] * 3
    lake_stages += ["整治中"] * 3 + ["整治完成"] * 2
    lake_stages = [lake_stages[i] for i in rng.permutation(16)]
    lake_overdue = 2  # two of the three lake outlets 整治中 are past their deadline
    serial: dict[str, int] = {}
    rows = []
    for n, ((water, p), k) in enumerate(zip(sites, kinds, strict=True)):
        l1, l2, l3, letters, _ = _OUTLET_TYPES[k]
        dcode, dname, _, _ = _DISTRICTS[w.district_of(p)]
        serial[dcode] = serial.get(dcode, 0) + 1
        township = w.township_of(p)
        what, ending, unit = _outlet_identity(l2, l3, dname, township, rng)
        cats, probs, modes = _CATEGORY[l2]
        category: str | None = str(rng.choice(cats, p=probs))
        due: str | None = str(rng.choice(["2022-12-31", "2023-06-30"]))
        survey = _day("2022-02-15") + pd.Timedelta(days=int(rng.integers(0, 258)))
        if water == LAKE:
            stage = lake_stages[n - 113]
            survey = _day("2023-02-01") + pd.Timedelta(days=int(rng.integers(0, 100)))
            due = "2023-06-30" if stage in _RECTIFIED else "2027-12-31"
            if stage == "整治中" and lake_overdue:
                due, lake_overdue = "2023-03-31", lake_overdue - 1
        elif n in fixed:
            stage, category, due = fixed[n]
        else:
            stage = "已销号" if rng.random() < 0.6 else "整治完成"
        if stage in ("已排查", "已监测", "已溯源"):
            category, due = None, None  # not yet classified
        deadline = None if due is None or category == "无需整治" else _day(due)
        traced, completed, sign = _progress(stage, category, deadline, survey, rng)
        bank = "沿岸" if water == LAKE else "左岸" if _left_bank(w.rivers[water], p) else "右岸"
        rows.append((
            f"{_WATER_CODES[water]}{dcode}{letters}{serial[dcode]:04d}",
            f"JHPWK{dcode[-2:]}{serial[dcode]:04d}",
            (f"{CITY}{dname}{what}", ending),
            l1, l2, l3, water, _WATER_CODES[water], "湖库" if water == LAKE else "河流",
            str(rng.choice(modes)), dname, dcode, township, f"{dname}{township}{water}{bank}",
            unit, category, stage, traced, deadline, completed, sign, survey,
            "位于饮用水水源二级保护区内（演示数据中的预设问题）" if n == 0 else None,
            p,
        ))  # fmt: skip
    frame = _frame(rows, _OUTLET_COLUMNS)
    frame["name"] = _numbered(frame["name"])
    return frame.sort_values("code", ignore_index=True)


def _numbered(names: pd.Series) -> pd.Series:
    """Turn (prefix, ending) pairs into names, numbering repeats: ``…1号雨洪排口``."""
    keys = names.map("|".join)
    total, seen = keys.map(keys.value_counts()), keys.groupby(keys).cumcount() + 1
    return pd.Series(
        [
            f"{a}{f'{i}号' if t > 1 else ''}{b}"
            for (a, b), t, i in zip(names, total, seen, strict=True)
        ],
        index=names.index,
    )


# ----------------------------------------------------------------------------- sections

# code, name, water, where, control level, target, boundary level, handover, automatic station.
# where: ("s"|"e", km from the upstream|downstream end), ("x", km east of the centre),
# ("f", fraction of the length), ("b", fraction: nearest district-boundary crossing),
# ("i", km from the intake, negative = upstream), ("lake", 0).
_SECTIONS: tuple[
    tuple[str, str, str, tuple[str, float], str, str | None, str | None, str | None, bool], ...
] = (
    ("JHGK01", f"{MAIN}入境", MAIN, ("s", 1.0), "国控", "II", "市界", f"云泽市→{CITY}", True),
    ("JHGK02", f"{MAIN}城区", MAIN, ("x", 3.5), "国控", "III", None, None, True),
    ("JHGK03", f"{MAIN}出境", MAIN, ("e", 1.0), "国控", "III", "市界", f"{CITY}→泽口市", True),
    ("JHGK04", f"{TRIB_N}河口", TRIB_N, ("e", 0.8), "国控", "III", None, None, True),
    ("JHGK05", f"{LAKE}湖心", LAKE, ("lake", 0.0), "国控", "III", None, None, True),
    ("JHGK06", f"{TRIB_S}河口", TRIB_S, ("e", 0.8), "国控", "III", None, None, True),
    ("JHSK01", "第一水厂取水口", MAIN, ("i", -0.1), "省控", "II", None, None, True),
    ("JHSK02", f"{MAIN}县界", MAIN, ("b", 0.2), "省控", "III", "县界", None, True),
    ("JHSK03", f"{TRIB_N}上游", TRIB_N, ("f", 0.15), "省控", "II", None, None, False),
    ("JHSK04", f"{TRIB_N}中游", TRIB_N, ("f", 0.55), "省控", "III", None, None, False),
    ("JHSK05", f"{TRIB_S}上游", TRIB_S, ("f", 0.3), "省控", "III", None, None, False),
    ("JHSK06", f"{TRIB_S}县界", TRIB_S, ("b", 0.7), "省控", "III", "县界", None, False),
    ("JHSK07", f"{CANAL}上游", CANAL, ("f", 0.15), "省控", "III", None, None, False),
    ("JHSK08", f"{CANAL}入河口", CANAL, ("e", 1.0), "省控", "III", None, None, True),
    ("JHSK09", f"{MAIN}东郊", MAIN, ("x", 12.0), "省控", "III", None, None, False),
    ("JHMK01", f"{TRIB_N}城区段", TRIB_N, ("f", 0.8), "市控", "III", None, None, False),
    ("JHMK02", f"{TRIB_S}下游", TRIB_S, ("f", 0.88), "市控", None, None, None, False),
    ("JHMK03", f"{MAIN}城东", MAIN, ("x", 7.5), "市控", "III", None, None, False),
)


def _chainage(w: _World, line: LineString, where: tuple[str, float]) -> tuple[float, str | None]:
    """Chainage (m) of a section on `line`, and the handover text for a boundary section."""
    kind, v = where
    simple = {"s": 1000.0 * v, "e": line.length - 1000.0 * v, "f": v * line.length}
    if kind in simple:
        return simple[kind], None
    if kind == "x":
        return line.project(Point(_km(v, 0.0))), None
    if kind == "i":
        return w.intake_s + 1000.0 * v, None
    borders = shapely.union_all([d.boundary for d in w.districts])
    crossings = shapely.get_parts(line.intersection(borders.intersection(w.city.buffer(-1e3))))
    for s in sorted((line.project(p) for p in crossings), key=lambda c: abs(c - v * line.length)):
        up, down = (w.district_of(_on_line(line, s + d)) for d in (-300.0, 300.0))
        if up != down:
            return s + 300.0, f"{_DISTRICTS[up][1]}→{_DISTRICTS[down][1]}"
    msg = f"no district boundary crossing on a {line.length:.0f} m line"
    raise RuntimeError(msg)


def _sections(w: _World) -> gpd.GeoDataFrame:
    """6 国控, 9 省控 and 3 市控 sections on the rivers and the lake."""
    rows = []
    for code, name, water, where, level, target, blevel, handover, auto in _SECTIONS:
        p = w.lake.centroid
        if water != LAKE:
            s, crossing = _chainage(w, w.rivers[water], where)
            p, handover = _on_line(w.rivers[water], s), handover or crossing
        dcode, dname, _, _ = _DISTRICTS[w.district_of(p)]
        body = "湖库" if water == LAKE else "河流"
        rows.append((
            code, name, water, BASIN, f"{MAIN}水系", level, target, body, blevel is not None,
            blevel, handover, dname, dcode, auto, p,
        ))  # fmt: skip
    columns = "code name river basin water_system control_level target_class water_body_type"
    return _frame(
        rows,
        f"{columns} cross_boundary boundary_level handover district district_code auto_station",
    )


# ----------------------------------------------------------------------------- monitoring

# Designed Jan–Jun means: pH, DO, CODMn, COD, BOD5, NH3N, TP, FC (个/L). Every mean sits ≥ 5 %
# from every GB 3838 表1 limit, so rounding (82号) cannot change a class. JHGK05 (lake) is Ⅳ on
# TP with the lake limits (Ⅱ with river limits); JHSK08 is Ⅴ on NH3N; JHGK02 has one Ⅳ month
# (NH3N, January) and FC that would be Ⅳ if the reference item FC were wrongly assessed.
_MEANS: dict[str, tuple[float, ...]] = {
    "JHGK01": (7.9, 8.4, 3.1, 11.5, 2.2, 0.28, 0.072, 1200),
    "JHGK02": (7.6, 6.9, 4.7, 17.0, 3.3, 0.82, 0.150, 14000),
    "JHGK03": (7.7, 7.0, 4.5, 16.5, 3.2, 0.68, 0.140, 6500),
    "JHGK04": (7.8, 6.9, 4.3, 16.2, 3.3, 0.62, 0.128, 4200),
    "JHGK05": (8.1, 8.3, 5.2, 17.5, 3.5, 0.42, 0.078, 900),
    "JHGK06": (7.7, 6.7, 4.9, 17.8, 3.4, 0.76, 0.162, 3800),
    "JHSK01": (7.9, 8.2, 3.3, 12.0, 2.4, 0.31, 0.078, 900),
    "JHSK02": (7.8, 8.0, 4.4, 16.4, 3.25, 0.58, 0.118, 2600),
    "JHSK03": (7.6, 8.6, 2.8, 10.5, 2.0, 0.22, 0.055, 600),
    "JHSK04": (7.7, 7.0, 4.6, 16.6, 3.4, 0.70, 0.136, 3000),
    "JHSK05": (7.5, 6.6, 4.8, 17.2, 3.3, 0.66, 0.152, 2800),
    "JHSK06": (7.6, 6.5, 5.1, 18.2, 3.6, 0.86, 0.171, 5200),
    "JHSK07": (7.8, 8.1, 3.6, 13.8, 2.6, 0.44, 0.088, 1500),
    "JHSK08": (7.4, 5.6, 5.3, 18.4, 3.7, 1.72, 0.185, 9000),
    "JHSK09": (7.7, 6.8, 4.8, 17.0, 3.3, 0.74, 0.148, 5800),
    "JHMK01": (7.6, 6.6, 4.9, 17.4, 3.5, 0.80, 0.158, 8800),
    "JHMK02": (7.6, 6.8, 4.7, 16.9, 3.3, 0.72, 0.146, 4100),
    "JHMK03": (7.7, 6.7, 4.8, 17.1, 3.4, 0.78, 0.153, 7600),
}
_MEAN_ITEMS = ("pH", "DO", "CODMn", "COD", "BOD5", "NH3N", "TP", "FC")
# Low, class-Ⅰ metal levels (mg/L) and the lake's TN (a reference item, never assessed: §1.3)
_BASE = {"Cu": 0.004, "Zn": 0.018, "As": 0.0021, "Hg": 2e-5, "Cd": 2e-4, "Pb": 0.0018}
_BASE |= {"Cr6": 0.004, "TN": 1.32}
# item → (decimals reported, month-to-month noise σ, Jan..Jun seasonal factor): winter brings
# more DO and NH3-N, the wet season more TP, FC and organic load.
_MODEL = {
    "DO": (1, 0.04, (1.12, 1.09, 1.02, 0.97, 0.92, 0.88)),
    "CODMn": (1, 0.04, (0.94, 0.95, 1.0, 1.02, 1.04, 1.05)),
    "COD": (1, 0.04, (0.94, 0.95, 1.0, 1.02, 1.04, 1.05)),
    "BOD5": (1, 0.04, (0.95, 0.96, 1.0, 1.01, 1.03, 1.05)),
    "NH3N": (3, 0.06, (1.18, 1.12, 1.0, 0.93, 0.89, 0.88)),
    "TP": (3, 0.05, (0.88, 0.9, 0.98, 1.02, 1.08, 1.14)),
    "TN": (2, 0.05, (1.1, 1.08, 1.0, 0.95, 0.93, 0.94)),
    "FC": (0, 0.2, (0.6, 0.7, 0.9, 1.1, 1.3, 1.4)),
    "Cu": (4, 0.12, (1,) * 6),
    "Zn": (3, 0.12, (1,) * 6),
    "As": (4, 0.12, (1,) * 6),
    "Hg": (6, 0.12, (1,) * 6),
    "Cd": (5, 0.12, (1,) * 6),
    "Pb": (4, 0.12, (1,) * 6),
    "Cr6": (3, 0.12, (1,) * 6),
}
_WT = (6.8, 8.5, 13.2, 18.6, 23.1, 26.4)
_GK02_NH3N = (1.26, 0.94, 0.79, 0.71, 0.63, 0.59)  # mean 0.82 (Ⅲ); January alone is Ⅳ


def _monthly(mean: float, item: str, rng: np.random.Generator) -> np.ndarray:
    """Six monthly values on a seasonal pattern, arithmetic mean exactly `mean`, rounded."""
    decimals, noise, season = _MODEL[item]
    v = mean * np.asarray(season) * np.exp(rng.normal(0.0, noise, 6))
    out: np.ndarray = np.round(v * mean / v.mean(), decimals)
    return out


def _monitoring(sections: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One sample a month, Jan–Jun 2023, per section: the 5+X items, a few metals, FC, WT."""
    day = {"国控": 10, "省控": 12, "市控": 15}
    frames = []
    for sec in sections.itertuples():
        means = dict(zip(_MEAN_ITEMS, _MEANS[sec.code], strict=True))
        ph_season = np.array([-0.1, -0.05, 0.0, 0.05, 0.05, 0.05])
        values = {
            "WT": np.round(np.asarray(_WT) + rng.normal(0.0, 0.6, 6), 1),
            "pH": np.round(means["pH"] + ph_season + rng.normal(0.0, 0.08, 6), 2),
        }
        values |= {item: _monthly(means[item], item, rng) for item in _MEAN_ITEMS[1:]}
        if sec.code == "JHGK02":
            values["NH3N"] = np.asarray(_GK02_NH3N)
        for item, base in _BASE.items():
            if item != "TN" or sec.river == LAKE:
                values[item] = _monthly(base * rng.uniform(0.8, 1.2), item, rng)
        dates = [pd.Timestamp(2023, m, day[sec.control_level]) for m in range(1, 7)]
        head = {"section_code": sec.code, "date": dates, "target": sec.target_class}
        frames.append(pd.DataFrame(head | values))
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- projects

# One proposed project per siting situation; geometries are placed in `_project_geometries`.
_PROJECTS = """
XM2023-001|江汉金禾食品有限公司肉制品加工项目|工业|食品加工|1|拟建|江汉金禾食品有限公司
XM2023-002|江汉天成电子有限公司电路板生产线项目|工业|电子元件制造|1|已批|江汉天成电子有限公司
XM2023-003|江汉经济开发区东区扩区|工业园区|园区开发|1|拟建|江汉经济开发区管理委员会
XM2023-004|沙洲大道跨玉带河大桥及接线工程|线性基础设施|道路建设|0|在建|江汉市交通投资集团有限公司
XM2023-005|第一水厂取水泵站改造工程|供水设施|供水设施改造|0|拟建|江汉市水务集团有限公司
XM2023-006|青石山麓安置小区|住房|住宅开发|0|拟建|青石县城市建设投资有限公司
XM2023-007|青石山建筑用石料矿开采项目|矿山|采矿|0|拟建|江汉顺泰石材有限公司
XM2023-008|江汉市北部物流园仓储项目|其他|仓储物流|0|已批|江汉恒通物流有限公司
XM2023-009|鸳鸯湖水上游乐码头|其他|旅游|0|拟建|芦荡县文化旅游发展有限公司
XM2023-010|江汉长盛建材有限公司预拌砂浆扩建项目|工业|建材生产|1|拟建|江汉长盛建材有限公司
XM2023-011|明珠花园住宅小区|住房|住宅开发|0|在建|江汉明珠置业有限公司
"""


def _project_geometries(w: _World, red: gpd.GeoDataFrame) -> list[BaseGeometry]:
    """Footprints, in `_PROJECTS` order, each placed to create its siting situation."""
    main, s = w.rivers[MAIN], w.intake_s
    forest = red.geometry[red["eco_type"] == "森林"].iloc[0]
    bank = _on_line(main, main.project(Point(_km(19.5, 0.0))))
    s_road = main.project(Point(_km(22.0, 0.0)))
    road = [(0.0, 5_000.0), (300.0, 1_200.0), (0.0, 0.0), (-400.0, -2_000.0), (0.0, -5_000.0)]
    north = Point(_km(-19.0, -5.0))
    edge = ops.nearest_points(forest, north)[0]
    away = np.array([north.x - edge.x, north.y - edge.y])
    housing = np.array([edge.x, edge.y]) + away / np.linalg.norm(away) * 300.0  # edge ~180 m out
    return [
        _on_line(main, s - 2_400.0, 380.0),  # 001 discharging factory in the river 二级 zone
        w.parks[0].centroid,  # 002 in the industrial park, clear of every constraint
        _box((bank.x, bank.y - 950.0), 2_000.0, 1_400.0),  # 003 park partly on the wetland
        LineString([_on_line(main, s_road + ds, off) for ds, off in road]),  # 004 crosses it
        _on_line(main, s, 120.0),  # 005 water-supply works inside the 一级 zone
        _box(housing, 300.0, 200.0),  # 006 housing near, but outside, the forest red line
        _box(_km(-19.35, -10.43), 500.0, 350.0),  # 007 quarry inside the forest red line
        Point(_km(-14.5, 13.0)),  # 008 far from everything
        Point(w.lake_intake.x + 120.0, w.lake_intake.y + 60.0),  # 009 tourism in lake 一级
        _on_line(main, s - 5_500.0, -380.0).buffer(140.0, cap_style="square"),  # 010 in 准
        _box(_km(-0.5, 1.6), 600.0, 400.0),  # 011 housing in the urban core, clear
    ]


def _projects(w: _World, red: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Proposed projects of every kind, mixed geometry types (see data/README.md)."""
    rows = []
    for line, g in zip(_PROJECTS.strip().splitlines(), _project_geometries(w, red), strict=True):
        pid, name, kind, activity, wastewater, status, developer = line.split("|")
        district = w.district_name(g)
        rows.append((pid, name, kind, activity, wastewater == "1", status, developer, district, g))
    return _frame(rows, "id name kind activity discharges_wastewater status developer district")


# ----------------------------------------------------------------------------- assembly


def _finish(layer: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Reproject to EPSG:4326 on a 1e-7° grid; exactly the spec's columns, typed per the spec."""
    if isinstance(frame, gpd.GeoDataFrame):
        frame = frame.to_crs(4326)
        frame = frame.set_geometry(shapely.set_precision(frame.geometry.values, _PRECISION))
    spec = get_spec(layer)
    typed = apply_dtypes(frame.reset_index(drop=True), spec)
    return typed[[*spec.field_names, *(["geometry"] if spec.is_spatial else [])]]


def build_demo() -> dict[str, pd.DataFrame]:
    """
    Build the synthetic demo dataset: one typed frame per layer.

    Spatial layers are GeoDataFrames in EPSG:4326; ``monitoring`` is a plain DataFrame. Columns
    are exactly the layer spec's fields (plus ``geometry``), enum values canonical, dates
    pandas Timestamps. Every call returns the same data (fixed seed, no clock).

    Examples
    --------
    >>> frames = build_demo()
    >>> int((frames["outlets"]["water_body_kind"] == "河流").sum())
    113
    """
    rng = np.random.default_rng(SEED)
    w = _world(rng)
    zones = _protection_zones(w)
    red = _red_lines(w)
    outlets = _outlets(w, zones, red, rng)
    sections = _sections(w)
    frames: dict[str, pd.DataFrame] = {
        **_base_layers(w),
        "outlets": outlets,
        "sections": sections,
        "monitoring": _monitoring(sections, rng),
        "protection_zones": zones,
        "red_lines": red,
        "control_units": _control_units(w, zones, red),
        "projects": _projects(w, red),
    }
    return {name: _finish(name, frame) for name, frame in frames.items()}


def write_demo(path: str | Path) -> dict[str, WriteStats]:
    """
    Write the demo dataset to a fresh GeoPackage at `path`, all layers in one store write.

    An existing file is deleted first. GDAL's ``OGR_CURRENT_DATE`` is pinned while writing so
    the GeoPackage's own timestamps do not change between runs (the store's ``imported_at``
    still records the real time). Returns the store's `WriteStats` per layer.
    """
    path = Path(path)
    path.unlink(missing_ok=True)
    frames = build_demo()
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GDAL_DATE})
    try:
        return open_store(path).write(frames, mode="replace", source=SOURCE, version=VERSION)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})
