"""The demo's siting layers: protection zones, red lines, control units and proposed projects.

Built in metres (EPSG:4547) on the base map (`geomon.demo.geometry.World`); the projects are
placed so that every siting situation occurs (data/README.md).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import ops
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geomon.demo import geometry, tables
from geomon.demo.tables import CITY, LAKE, MAIN, TRIB_N, TRIB_S


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
    zones = [geometry.largest(one), geometry.largest(foot2.difference(one))]
    if up[2]:
        foot3 = ops.substring(line, max(s - sum(up), 0.0), s - up[0] - up[1])
        zones.append(geometry.largest(foot3.buffer(land[1], cap_style="flat").difference(foot2)))
    return zones


def protection_zones(w: geometry.World) -> gpd.GeoDataFrame:
    """Two city-level sources (river, lake) and four township sources, all fictional."""
    main = w.rivers[MAIN]
    l1 = geometry.largest(w.lake_intake.buffer(400.0).intersection(w.lake.buffer(200.0)))
    l2 = geometry.largest(
        w.lake_intake.buffer(1_500.0).intersection(w.lake.buffer(500.0)).difference(l1)
    )
    city_doc = ("城市级", "汉东政函〔2019〕35号", pd.Timestamp("2019-06-18"))
    town_doc = ("乡镇级", "江汉政函〔2021〕12号", pd.Timestamp("2021-09-27"))
    sources = [  # name, type, (scale, approval), intake, zones 一级/二级/准
        (
            f"{CITY}第一水厂{MAIN}水源地",
            "河流型",
            city_doc,
            geometry.on_line(main, w.intake_s),
            _river_zones(main, w.intake_s, (1000, 2000, 5000), (275, 575)),
        ),
        (f"{CITY}第二水厂{LAKE}水源地", "湖库型", city_doc, w.lake_intake, [l1, l2]),
    ]
    for town, river, frac in (("鹤鸣镇", TRIB_N, 0.3), ("杨桥镇", TRIB_S, 0.55)):
        line, s = w.rivers[river], frac * w.rivers[river].length
        zones = _river_zones(line, s, (500, 1000, 0), (130, 330))
        sources.append(
            (f"{town}水厂{river}水源地", "河流型", town_doc, geometry.on_line(line, s), zones)
        )
    for town, at in (("石门乡", geometry.km(-25.0, -4.0)), ("丰乐镇", geometry.km(5.0, -15.0))):
        well = Point(at)
        zones = [well.buffer(50.0), well.buffer(300.0).difference(well.buffer(50.0))]
        sources.append((f"{town}地下水水源地", "地下水型", town_doc, well, zones))
    rows = []
    for n, (name, stype, (scale, doc, date), intake, geoms) in enumerate(sources, start=1):
        source_code = f"SY{tables.DISTRICTS[w.district_of(intake)][0]}{n:02d}"
        for level, suffix, g in zip(("一级", "二级", "准保护区"), "12Z", geoms, strict=False):
            code = f"{source_code}-{suffix}"
            district = w.district_name(g)
            rows.append(
                (code, name, source_code, level, "水陆域", stype, scale, district, doc, date, g)
            )
    columns = "code source_name source_code level zone_part source_type source_scale district"
    return geometry.frame(rows, f"{columns} approval_doc approval_date")


def red_lines(w: geometry.World) -> gpd.GeoDataFrame:
    """Four red-line polygons: a river wetland, the lake, a hill forest (with a hole), a source."""
    main = w.rivers[MAIN]
    s_a, s_b = (main.project(Point(geometry.km(x, 0.0))) for x in (18.0, 25.5))
    wetland = ops.substring(main, s_a, s_b).buffer(450.0, cap_style="flat")
    rng = np.random.default_rng(
        tables.SEED + 1
    )  # own stream: these shapes stay put when others change
    hills = geometry.noisy_ellipse(
        rng, geometry.km(-18.6, -9.8), 3_600.0, 2_300.0, angle_deg=-15.0, noise=0.06
    )
    village = geometry.noisy_ellipse(
        rng, geometry.km(-17.8, -9.4), 550.0, 420.0, noise=0.08
    )  # the hole
    forest = Polygon(hills.exterior.coords, [village.exterior.coords])
    forest = geometry.largest(forest.intersection(w.city.buffer(-300.0)))
    source = ops.substring(w.rivers[TRIB_S], 800.0, 5_500.0).buffer(350.0, cap_style="flat")
    rows: list[tuple[object, ...]] = []
    for name, function, eco_type, g in (
        (f"{MAIN}下游湿地生态保护红线", "生物多样性维护", "湿地", wetland),
        (f"{LAKE}湖泊生态保护红线", "水源涵养", "湖泊", w.lake),
        ("青石山森林生态保护红线", "水土保持", "森林", forest),
        (f"{TRIB_S}源头水源涵养生态保护红线", "水源涵养", "河流", source),
    ):
        code = f"HX{tables.DISTRICTS[w.district_of(g)][0]}{len(rows) + 1:04d}"
        district = w.district_name(g)
        rows.append((code, name, function, eco_type, False, district, "红线 2023 批复版", g))
    return geometry.frame(rows, "code name eco_function eco_type core_zone district version")


def control_units(
    w: geometry.World, zones: gpd.GeoDataFrame, red: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """三线一单 units: each district split into 优先 / 重点 / 一般 parts that tile the city."""
    red_u = shapely.union_all(red.geometry.values)
    zone_u = shapely.union_all(zones.geometry[zones["level"] != "准保护区"].values)
    prio = red_u.union(zone_u)
    parks = shapely.union_all(list(w.parks)).difference(w.core)
    rows = []
    for (dcode, dname, _, _), cell in zip(tables.DISTRICTS, w.districts, strict=True):
        pieces = (
            ("优先保护单元", "生态保护红线", cell.intersection(red_u)),
            ("优先保护单元", "饮用水水源保护区", cell.intersection(zone_u).difference(red_u)),
            ("重点管控单元", "城镇生活类", cell.intersection(w.core).difference(prio)),
            ("重点管控单元", "产业集聚类", cell.intersection(parks).difference(prio)),
            ("一般管控单元", None, cell.difference(prio.union(w.core).union(parks))),
        )
        serial = dict.fromkeys(tables.UNIT_DIGIT, 0)
        for utype, sub, geom in pieces:
            parts = geometry.parts(geom, min_area=1.0)
            for k, part in enumerate(parts, start=1):
                serial[utype] += 1
                code = f"ZH{dcode}{tables.UNIT_DIGIT[utype]}{serial[utype]:04d}"
                name = f"{dname}{sub or ''}{utype}" + (f"（{k}）" if len(parts) > 1 else "")
                admission = tables.ADMISSION[sub if utype == "重点管控单元" and sub else utype]
                rows.append((code, name, utype, sub, dname, dcode, admission, part))
    return geometry.frame(rows, "code name unit_type subtype district district_code admission")


# ----------------------------------------------------------------------------- projects


def _project_geometries(w: geometry.World, red: gpd.GeoDataFrame) -> list[BaseGeometry]:
    """Footprints, in `tables.PROJECTS` order, each placed to create its siting situation."""
    main, s = w.rivers[MAIN], w.intake_s
    forest = red.geometry[red["eco_type"] == "森林"].iloc[0]
    bank = geometry.on_line(main, main.project(Point(geometry.km(19.5, 0.0))))
    s_road = main.project(Point(geometry.km(22.0, 0.0)))
    road = [(0.0, 5_000.0), (300.0, 1_200.0), (0.0, 0.0), (-400.0, -2_000.0), (0.0, -5_000.0)]
    north = Point(geometry.km(-19.0, -5.0))
    edge = ops.nearest_points(forest, north)[0]
    away = np.array([north.x - edge.x, north.y - edge.y])
    housing = np.array([edge.x, edge.y]) + away / np.linalg.norm(away) * 300.0  # edge ~180 m out
    return [
        geometry.on_line(
            main, s - 2_400.0, 380.0
        ),  # 001 discharging factory in the river 二级 zone
        w.parks[0].centroid,  # 002 in the industrial park, clear of every constraint
        geometry.box((bank.x, bank.y - 950.0), 2_000.0, 1_400.0),  # 003 park partly on the wetland
        LineString(
            [geometry.on_line(main, s_road + ds, off) for ds, off in road]
        ),  # 004 crosses it
        geometry.on_line(main, s, 120.0),  # 005 water-supply works inside the 一级 zone
        geometry.box(housing, 300.0, 200.0),  # 006 housing near, but outside, the forest red line
        geometry.box(
            geometry.km(-19.35, -10.43), 500.0, 350.0
        ),  # 007 quarry inside the forest red line
        Point(geometry.km(-14.5, 13.0)),  # 008 far from everything
        Point(w.lake_intake.x + 120.0, w.lake_intake.y + 60.0),  # 009 tourism in lake 一级
        geometry.on_line(main, s - 5_500.0, -380.0).buffer(140.0, cap_style="square"),  # 010 in 准
        geometry.box(geometry.km(-0.5, 1.6), 600.0, 400.0),  # 011 housing in the urban core, clear
    ]


def projects(w: geometry.World, red: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Proposed projects of every kind, mixed geometry types (see data/README.md)."""
    rows = []
    for line, g in zip(
        tables.PROJECTS.strip().splitlines(), _project_geometries(w, red), strict=True
    ):
        pid, name, kind, activity, wastewater, status, developer = line.split("|")
        district = w.district_name(g)
        rows.append((pid, name, kind, activity, wastewater == "1", status, developer, district, g))
    return geometry.frame(
        rows, "id name kind activity discharges_wastewater status developer district"
    )
