"""Tests for geomon.siting: relations, areas, distances, verdicts, batch output, JSON shape.

Geometries are built on EPSG:4547 (CGCS2000 / 3° Gauss–Krüger CM 114E, metres, x = easting)
around E 400 km, N 3,365 km (≈ 112.96°E 30.41°N, zone 38, so the check measures on this very
plane) and converted to EPSG:4326, so every expected figure below is worked out on paper: a
1 km square has 1,000,000 m², half of it 500,000 m², a point 300 m west of an edge is 300 m away.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely import LineString, MultiPolygon, Point, Polygon, box

from geomon import crs as gcrs
from geomon import siting
from geomon.errors import CRSError, GeomonError, SitingError, ValidationError
from geomon.siting import measure
from geomon.store import open_store

GK = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
E, N = 400_000.0, 3_365_000.0  # origin of the hand-built cases on EPSG:4547


def gk(x: float, y: float) -> tuple[float, float]:
    return (E + x, N + y)


def sq(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A box given in metres relative to the origin."""
    return box(E + x0, N + y0, E + x1, N + y1)


def frame(rows: list[dict], geoms: list, crs: int = GK) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs).to_crs(4326)


def zones(*items: tuple[str, Polygon]) -> gpd.GeoDataFrame:
    rows = [{"code": f"Z{i}", "source_name": f"水源{i}", "level": lv} for i, (lv, _) in
            enumerate(items, start=1)]  # fmt: skip
    return frame(rows, [g for _, g in items])


def red_lines(*geoms: Polygon, core: bool = False) -> gpd.GeoDataFrame:
    rows = [
        {"code": f"R{i}", "name": f"红线{i}", "core_zone": core} for i in range(1, len(geoms) + 1)
    ]
    return frame(rows, list(geoms))


def units(*items: tuple[str, Polygon]) -> gpd.GeoDataFrame:
    rows = [{"code": f"U{i}", "name": f"单元{i}", "unit_type": t, "admission": f"准入{i}"}
            for i, (t, _) in enumerate(items, start=1)]  # fmt: skip
    return frame(rows, [g for _, g in items])


def projects(*items: tuple[object, dict]) -> gpd.GeoDataFrame:
    rows = [{"id": f"P{i}", "name": f"项目{i}", **attrs} for i, (_, attrs) in
            enumerate(items, start=1)]  # fmt: skip
    return frame(rows, [g for g, _ in items])


FACTORY = {"kind": "工业", "activity": "食品加工", "discharges_wastewater": True}
WAREHOUSE = {"kind": "其他", "activity": "仓储物流", "discharges_wastewater": False}
ROAD = {"kind": "线性基础设施", "activity": "道路建设", "discharges_wastewater": False}
PUMPS = {"kind": "供水设施", "activity": "供水设施改造", "discharges_wastewater": False}


def only_conflict(result: siting.SitingResult) -> pd.Series:
    assert len(result.conflicts) == 1, result.conflicts
    return result.conflicts.iloc[0]


# ------------------------------------------------------------------------------ geometry


def test_square_half_inside_a_zone() -> None:
    """1 km × 1 km project, the zone covers its east half: 500,000 m², ratio 0.5."""
    result = siting.check(
        projects((sq(0, 0, 1000, 1000), WAREHOUSE)),
        {"protection_zones": zones(("二级", sq(500, -1000, 2000, 2000)))},
    )
    c = only_conflict(result)
    assert c["relation"] == "overlaps"
    assert c["overlap_area_m2"] == pytest.approx(500_000.0, rel=1e-4)
    assert c["overlap_area_geodesic_m2"] == pytest.approx(500_000.0, rel=0.005)
    assert c["overlap_ratio"] == pytest.approx(0.5, rel=1e-4)
    assert c["distance_m"] == 0.0
    assert c["metric_crs"] == "EPSG:4547"
    p = result.projects.iloc[0]
    assert p["area_m2"] == pytest.approx(1_000_000.0, rel=1e-4)
    assert p["area_geodesic_m2"] == pytest.approx(1_000_000.0, rel=0.005)
    assert p["metric_crs"] == "EPSG:4547"


def test_point_300_m_from_a_zone_is_attention() -> None:
    result = siting.check(
        projects((Point(gk(-300, 500)), WAREHOUSE)),
        {"protection_zones": zones(("一级", sq(0, 0, 1000, 1000)))},
        buffer_m=500.0,
    )
    c = only_conflict(result)
    assert c["relation"] == "near"
    assert c["distance_m"] == pytest.approx(300.0, abs=1.0)
    assert c["distance_geodesic_m"] == pytest.approx(300.0, abs=1.0)
    assert c["overlap_area_m2"] == 0.0
    assert c["verdict"] == "attention"
    assert c["rule_id"] == "water_source.near"
    assert "300 m" in c["reason_zh"]
    assert result.projects.iloc[0]["verdict"] == "attention"
    assert siting.exit_code(result) == 1


def test_point_beyond_the_buffer_is_clear() -> None:
    result = siting.check(
        projects((Point(gk(-300, 500)), FACTORY)),
        {"protection_zones": zones(("一级", sq(0, 0, 1000, 1000)))},
        buffer_m=200.0,
    )
    assert result.conflicts.empty
    p = result.projects.iloc[0]
    assert p["verdict"] == "clear"
    assert p["n_conflicts"] == 0
    assert "200 m" in p["reason_zh"]
    assert siting.exit_code(result) == 0


HOLED = Polygon(
    sq(0, 0, 1000, 1000).exterior.coords, [sq(250, 250, 750, 750).exterior.coords[::-1]]
)  # 1,000,000 − 250,000 = 750,000 m²


@pytest.mark.parametrize(
    ("zone", "relation", "overlap_m2", "ratio", "distance_m"),
    [
        # west half x ∈ [−100, 500]: 500 × 1000 minus the hole's west part 250 × 500 = 375,000
        pytest.param(sq(-100, -100, 500, 1100), "overlaps", 375_000.0, 0.5, 0.0, id="half"),
        # a zone inside the hole does not meet the project: 150 m from the hole's edge
        pytest.param(sq(400, 400, 600, 600), "near", 0.0, 0.0, 150.0, id="in-the-hole"),
    ],
)
def test_polygon_with_a_hole(
    zone: Polygon, relation: str, overlap_m2: float, ratio: float, distance_m: float
) -> None:
    result = siting.check(projects((HOLED, WAREHOUSE)), {"protection_zones": zones(("二级", zone))})
    c = only_conflict(result)
    assert result.projects.iloc[0]["area_m2"] == pytest.approx(750_000.0, rel=1e-4)
    assert c["relation"] == relation
    assert c["overlap_area_m2"] == pytest.approx(overlap_m2, rel=1e-4, abs=1e-6)
    assert c["overlap_ratio"] == pytest.approx(ratio, rel=1e-4)
    assert c["distance_m"] == pytest.approx(distance_m, abs=0.01)


def test_multipolygon_project() -> None:
    """Two 1 km squares 2 km apart; the zone covers the western one: 1,000,000 m², 0.5."""
    parts = MultiPolygon([sq(0, 0, 1000, 1000), sq(3000, 0, 4000, 1000)])
    result = siting.check(
        projects((parts, WAREHOUSE)),
        {"red_lines": red_lines(sq(-500, -500, 1500, 1500))},
    )
    c = only_conflict(result)
    assert result.projects.iloc[0]["area_m2"] == pytest.approx(2_000_000.0, rel=1e-4)
    assert c["relation"] == "overlaps"
    assert c["overlap_area_m2"] == pytest.approx(1_000_000.0, rel=1e-4)
    assert c["overlap_ratio"] == pytest.approx(0.5, rel=1e-4)
    assert c["verdict"] == "prohibited"


def test_line_project_crossing_a_zone() -> None:
    """A 2 km road crosses a 1 km wide red line: 1,000 m inside, share 0.5, no area."""
    road = LineString([gk(-500, 500), gk(1500, 500)])
    result = siting.check(projects((road, ROAD)), {"red_lines": red_lines(sq(0, 0, 1000, 1000))})
    c = only_conflict(result)
    p = result.projects.iloc[0]
    assert p["length_m"] == pytest.approx(2000.0, rel=1e-6)
    assert p["length_geodesic_m"] == pytest.approx(2000.0, rel=0.005)
    assert p["area_m2"] == 0.0
    assert c["relation"] == "overlaps"
    assert c["overlap_length_m"] == pytest.approx(1000.0, rel=1e-6)
    assert c["overlap_length_geodesic_m"] == pytest.approx(1000.0, rel=0.005)
    assert c["overlap_area_m2"] == 0.0
    assert c["overlap_ratio"] == pytest.approx(0.5, rel=1e-6)
    assert c["verdict"] == "restricted"  # 142号 item 6: linear infrastructure that cannot avoid
    assert c["allowed_item"] == 6


def test_project_touching_a_zone_is_near_at_distance_zero() -> None:
    result = siting.check(
        projects((sq(-1000, 0, 0, 1000), WAREHOUSE)),
        {"protection_zones": zones(("一级", sq(0, 0, 1000, 1000)))},
    )
    c = only_conflict(result)
    assert c["relation"] == "near"
    assert c["distance_m"] == 0.0
    assert c["overlap_area_m2"] == 0.0
    assert c["verdict"] == "attention"


def test_point_inside_a_zone() -> None:
    result = siting.check(
        projects((Point(gk(500, 500)), WAREHOUSE)),
        {"protection_zones": zones(("二级", sq(0, 0, 1000, 1000)))},
    )
    c = only_conflict(result)
    assert c["relation"] == "inside"
    assert c["overlap_ratio"] == 1.0
    assert c["verdict"] == "restricted"


# ------------------------------------------------------------------------------ verdicts


@pytest.mark.parametrize(
    ("layers", "attrs", "verdict", "rule_id"),
    [
        pytest.param({"red_lines": red_lines(sq(-500, -500, 1500, 1500))},
                     {"kind": "矿山", "activity": "采矿", "discharges_wastewater": False},
                     "prohibited", "red_line.development", id="mine-in-red-line"),
        pytest.param({"red_lines": red_lines(sq(-500, -500, 1500, 1500), core=True)},
                     ROAD, "prohibited", "red_line.core_zone", id="core-zone-first"),
        pytest.param({"red_lines": red_lines(sq(-500, -500, 1500, 1500))},
                     {"kind": "其他", "activity": "科普宣教", "discharges_wastewater": False},
                     "restricted", "red_line.allowed_activity", id="science-education-item-5"),
        pytest.param({"protection_zones": zones(("一级", sq(-500, -500, 1500, 1500)))},
                     WAREHOUSE, "prohibited", "water_source.level1", id="level1"),
        pytest.param({"protection_zones": zones(("一级", sq(-500, -500, 1500, 1500)))},
                     PUMPS, "restricted", "water_source.level1_water_supply", id="level1-pumps"),
        pytest.param({"protection_zones": zones(("一级", sq(-500, -500, 1500, 1500)))},
                     {"kind": "供水设施", "discharges_wastewater": True},
                     "prohibited", "water_source.level1_discharge", id="level1-discharging"),
        pytest.param({"protection_zones": zones(("二级", sq(-500, -500, 1500, 1500)))},
                     FACTORY, "prohibited", "water_source.level2_discharge", id="level2-dirty"),
        pytest.param({"protection_zones": zones(("二级", sq(-500, -500, 1500, 1500)))},
                     WAREHOUSE, "restricted", "water_source.level2", id="level2-clean"),
        pytest.param({"protection_zones": zones(("二级", sq(-500, -500, 1500, 1500)))},
                     {"kind": "其他", "activity": "网箱养殖", "discharges_wastewater": False},
                     "restricted", "water_source.level2_aquaculture_tourism", id="level2-cages"),
        pytest.param({"protection_zones": zones(("二级", sq(-500, -500, 1500, 1500)))},
                     {"kind": "工业"}, "prohibited", "water_source.level2_discharge",
                     id="unknown-discharge-counts-as-discharging"),
        pytest.param({"protection_zones": zones(("准保护区", sq(-500, -500, 1500, 1500)))},
                     FACTORY, "restricted", "water_source.quasi_discharge", id="quasi-discharging"),
        pytest.param({"protection_zones": zones(("准保护区", sq(-500, -500, 1500, 1500)))},
                     WAREHOUSE, "attention", "water_source.quasi", id="quasi-clean"),
        pytest.param({"protection_zones": zones(("一级", sq(1200, 0, 2000, 1000)))},
                     FACTORY, "attention", "water_source.near_discharge", id="near-discharging"),
        pytest.param({"control_units": units(("优先保护单元", sq(-500, -500, 1500, 1500)))},
                     WAREHOUSE, "restricted", "control_unit.priority", id="priority-unit"),
        pytest.param({"control_units": units(("重点管控单元", sq(-500, -500, 1500, 1500)))},
                     FACTORY, "attention", "control_unit.key_discharge", id="key-unit-discharging"),
        pytest.param({"control_units": units(("重点管控单元", sq(-500, -500, 1500, 1500)))},
                     WAREHOUSE, "clear", "control_unit.key", id="key-unit-clean"),
        pytest.param({"control_units": units(("一般管控单元", sq(-500, -500, 1500, 1500)))},
                     FACTORY, "clear", "control_unit.general", id="general-unit"),
    ],
)  # fmt: skip
def test_verdict_classes(layers: dict, attrs: dict, verdict: str, rule_id: str) -> None:
    result = siting.check(projects((sq(0, 0, 1000, 1000), attrs)), layers)
    c = only_conflict(result)
    assert (c["verdict"], c["rule_id"]) == (verdict, rule_id)
    assert c["citation"]
    assert c["reason_zh"] and c["reason_en"]
    assert result.projects.iloc[0]["verdict"] == verdict
    assert siting.exit_code(result) == (0 if verdict == "clear" else 1)


def test_project_verdict_is_the_worst_and_conflicts_are_listed_worst_first() -> None:
    """West half in a 二级 zone (restricted), a red line 200 m east (attention)."""
    result = siting.check(
        projects((sq(0, 0, 1000, 1000), WAREHOUSE)),
        {
            "red_lines": red_lines(sq(1200, 0, 2000, 1000)),
            "protection_zones": zones(("二级", sq(-500, 0, 500, 1000))),
        },
    )
    assert list(result.conflicts["verdict"]) == ["restricted", "attention"]
    assert list(result.conflicts["layer"]) == ["protection_zones", "red_lines"]
    assert result.conflicts.iloc[1]["distance_m"] == pytest.approx(200.0, abs=0.01)
    p = result.projects.iloc[0]
    assert p["verdict"] == "restricted"
    assert p["n_conflicts"] == 2
    assert p["reason_zh"].index("二级") < p["reason_zh"].index("红线")


def test_control_units_are_not_reported_when_only_near() -> None:
    """Units tile the land: a unit next door is not a conflict (zones.toml near = false)."""
    result = siting.check(
        projects((sq(0, 0, 1000, 1000), FACTORY)),
        {"control_units": units(("优先保护单元", sq(1100, 0, 2000, 1000)))},
    )
    assert result.conflicts.empty


# ------------------------------------------------------------------------------ CRSs and zones


def test_project_given_in_gcj02() -> None:
    """The same point 300 m from the zone, delivered in GCJ-02 (AMap) coordinates."""
    wgs = frame([{"id": "P1", "name": "高德坐标项目", **WAREHOUSE}], [Point(gk(-300, 500))])
    lon, lat = gcrs.wgs84_to_gcj02(wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy())
    as_delivered = wgs.set_geometry(gpd.points_from_xy(lon, lat), crs=4326)
    layers = {"protection_zones": zones(("一级", sq(0, 0, 1000, 1000)))}

    result = siting.check(gcrs.to_wgs84(as_delivered, "gcj02"), layers)

    assert only_conflict(result)["distance_m"] == pytest.approx(300.0, abs=1.0)
    unconverted = siting.check(as_delivered, layers, buffer_m=2000.0)
    assert abs(only_conflict(unconverted)["distance_m"] - 300.0) > 50.0  # why converting matters


def test_project_given_in_a_gauss_kruger_zone_with_prefix() -> None:
    """EPSG:4526 (CGCS2000 3° zone 38, easting prefixed 38 000 000) goes straight in."""
    prefixed = box(38_000_000 + E, N, 38_000_000 + E + 1000, N + 1000)
    gk_projects = gpd.GeoDataFrame([{"id": "P1", "name": "高斯坐标项目", **WAREHOUSE}],
                                   geometry=[prefixed], crs=4526)  # fmt: skip
    result = siting.check(
        gk_projects, {"protection_zones": zones(("二级", sq(500, -1000, 2000, 2000)))}
    )
    assert only_conflict(result)["overlap_area_m2"] == pytest.approx(500_000.0, rel=1e-4)


def _lonlat_box(lon0: float, lat0: float, lon1: float, lat1: float) -> Polygon:
    return shapely.segmentize(box(lon0, lat0, lon1, lat1), 0.01)


@pytest.mark.parametrize(
    ("lon0", "lon1", "epsg"),
    [
        pytest.param(112.42, 112.62, "EPSG:4547", id="centroid-east-of-112.5-CM114"),
        pytest.param(112.38, 112.58, "EPSG:4546", id="centroid-west-of-112.5-CM111"),
    ],
)
def test_project_straddling_two_zones_is_measured_in_its_own(
    lon0: float, lon1: float, epsg: str
) -> None:
    """~19 km × 11 km across the 112.5°E zone boundary: GK area within 0.5% of geodesic."""
    project = _lonlat_box(lon0, 30.30, lon1, 30.40)
    zone = _lonlat_box(lon0 - 0.05, 30.25, lon1 + 0.05, 30.45)
    geodesic = abs(measure.GEOD.geometry_area_perimeter(project)[0])
    result = siting.check(
        gpd.GeoDataFrame([{"id": "P1", "name": "跨带项目", **WAREHOUSE}], geometry=[project],
                         crs=4326),
        {"red_lines": gpd.GeoDataFrame([{"code": "R1", "name": "红线"}], geometry=[zone],
                                       crs=4326)},
    )  # fmt: skip
    p, c = result.projects.iloc[0], only_conflict(result)
    assert p["metric_crs"] == epsg
    assert c["metric_crs"] == epsg
    assert c["relation"] == "inside"
    assert p["area_m2"] == pytest.approx(geodesic, rel=0.005)
    assert c["overlap_area_m2"] == pytest.approx(geodesic, rel=0.005)
    assert c["overlap_area_geodesic_m2"] == pytest.approx(geodesic, rel=1e-6)


def test_batch_across_zones_one_row_per_project_and_per_conflict() -> None:
    near_111 = Point(110.90, 30.30).buffer(0.001)  # zone 37, CM 111°E
    layers = {
        "red_lines": gpd.GeoDataFrame(
            [{"code": "R1", "name": "红线"}],
            geometry=[Point(110.90, 30.30).buffer(0.01)],
            crs=4326,
        ),
        "protection_zones": zones(("二级", sq(500, -1000, 2000, 2000))),
    }
    batch = gpd.GeoDataFrame(
        [{"id": "A", "name": "甲", **WAREHOUSE}, {"id": "B", "name": "乙", **FACTORY},
         {"id": "C", "name": "丙", **WAREHOUSE}],
        geometry=[near_111, gpd.GeoSeries([sq(0, 0, 1000, 1000)], crs=GK).to_crs(4326)[0],
                  Point(100.0, 30.0)],  # zone 33, CM 99°E: EPSG:4534 + (99 − 75) / 3
        crs=4326,
        index=[10, 20, 30],
    )  # fmt: skip
    result = siting.check(batch, layers)
    assert result.projects.index.tolist() == [10, 20, 30]
    assert result.projects["metric_crs"].tolist() == ["EPSG:4546", "EPSG:4547", "EPSG:4542"]
    assert result.projects["verdict"].tolist() == ["prohibited", "prohibited", "clear"]
    assert result.conflicts["project"].tolist() == [10, 20]
    assert result.conflicts["project_id"].tolist() == ["A", "B"]
    assert set(result.features["layer"]) == {"red_lines", "protection_zones"}


def test_project_outside_china_zones_raises() -> None:
    far_west = gpd.GeoDataFrame({"id": ["X"]}, geometry=[Point(10.0, 50.0)], crs=4326)
    with pytest.raises(CRSError, match="3°"):
        siting.check(far_west, {"red_lines": red_lines(sq(0, 0, 10, 10))})


# ------------------------------------------------------------------------------ contract


def test_matches_geopandas_overlay_on_random_polygons() -> None:
    """Vectorised candidates + exact geometry give the areas a plain overlay gives."""
    rng = np.random.default_rng(7)
    centres = rng.uniform(-5000, 5000, size=(60, 2))
    radii = rng.uniform(100, 900, size=60)
    reds = red_lines(*[Point(gk(x, y)).buffer(r, quad_segs=8) for (x, y), r in
                       zip(centres, radii, strict=True)])  # fmt: skip
    proj = projects((Point(gk(0, 0)).buffer(3000, quad_segs=32), WAREHOUSE))
    result = siting.check(proj, {"red_lines": reds}, buffer_m=0.0)
    overlay = gpd.overlay(proj.to_crs(GK), reds.to_crs(GK), how="intersection")
    expected = dict(zip(overlay["code"], overlay.area, strict=True))
    got = dict(zip(result.conflicts["feature_id"], result.conflicts["overlap_area_m2"],
                   strict=True))  # fmt: skip
    assert set(got) == {k for k, v in expected.items() if v > 0}
    for code, area in expected.items():
        assert got[code] == pytest.approx(area, rel=1e-6)


def test_check_json_shape_and_exit_code() -> None:
    result = siting.check(
        projects((sq(0, 0, 1000, 1000), WAREHOUSE), (Point(gk(5000, 5000)), WAREHOUSE)),
        {"protection_zones": zones(("二级", sq(500, -1000, 2000, 2000)))},
    )
    doc = siting.check_json(result)
    assert list(doc)[:1] == ["projects"]
    first, second = doc["projects"]
    assert list(first)[:5] == ["id", "name", "verdict", "area_m2", "conflicts"]
    assert (first["id"], first["verdict"], second["verdict"]) == ("P1", "restricted", "clear")
    assert second["conflicts"] == []
    (conflict,) = first["conflicts"]
    assert list(conflict)[:9] == [
        "layer", "feature_id", "name", "level", "relation", "overlap_area_m2",
        "overlap_ratio", "distance_m", "rule",
    ]  # fmt: skip
    assert conflict["rule"] == "水污染防治法 第六十六条"
    assert conflict["overlap_area_m2"] == pytest.approx(500_000.0, rel=1e-4)
    assert conflict["level"] == "二级"
    assert "GK" in doc["methods"]["overlap_area_m2"]
    json.dumps(doc, ensure_ascii=False, allow_nan=False)  # no numpy scalars, no NaN
    assert siting.exit_code(result) == 1


def test_store_input_reports_data_sources(tmp_path) -> None:
    store = open_store(tmp_path / "s.gpkg")
    store.write({"protection_zones": zones(("二级", sq(500, -1000, 2000, 2000)))},
                source="水源地批复.shp", version="2021 批复版")  # fmt: skip
    result = siting.check(projects((sq(0, 0, 1000, 1000), WAREHOUSE)), store)
    assert result.layers == ("red_lines", "protection_zones", "control_units")
    by_layer = {s.layer: s for s in result.sources}
    assert by_layer["protection_zones"].version == "2021 批复版"
    assert by_layer["protection_zones"].source == "水源地批复.shp"
    assert by_layer["protection_zones"].imported_at
    assert by_layer["protection_zones"].rows == 1
    assert not by_layer["red_lines"].stored
    assert only_conflict(result)["overlap_area_m2"] == pytest.approx(500_000.0, rel=1e-4)


def test_inputs_are_not_mutated() -> None:
    proj = projects((sq(0, 0, 1000, 1000), WAREHOUSE))
    layer = zones(("二级", sq(500, -1000, 2000, 2000)))
    before_p, before_l = proj.copy(), layer.copy()
    siting.check(proj, {"protection_zones": layer})
    assert_geodataframe_equal(proj, before_p)
    assert_geodataframe_equal(layer, before_l)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"buffer_m": -1.0}, "`buffer_m` must be a distance in metres ≥ 0, got -1.0",
            id="negative-buffer",
        ),
        pytest.param(
            {"layers": ["nope"]}, "`layers`: unknown layer(s) ['nope']; known: ",
            id="unknown-layer",
        ),
        pytest.param(
            {"layers": ["monitoring"]},
            "`layers`: ['monitoring'] have no geometry and cannot be compared with projects",
            id="table-layer",
        ),
    ],
)  # fmt: skip
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(SitingError) as info:
        siting.check(projects((sq(0, 0, 10, 10), WAREHOUSE)), {}, **kwargs)
    assert str(info.value).startswith(message)
    assert isinstance(info.value, GeomonError) and isinstance(info.value, ValueError)


def test_repeated_project_labels_are_refused() -> None:
    one = projects((sq(0, 0, 10, 10), WAREHOUSE))
    with pytest.raises(SitingError) as info:
        siting.check(pd.concat([one, one]), {})
    assert str(info.value) == (
        "`projects` index has duplicate labels; call `.reset_index(drop=True)` first"
    )


def test_bad_inputs() -> None:
    layers = {"red_lines": red_lines(sq(0, 0, 10, 10))}
    no_crs = gpd.GeoDataFrame({"id": ["P1"]}, geometry=[Point(113, 30)])
    with pytest.raises(CRSError, match="to_wgs84"):
        siting.check(no_crs, layers)
    empty_geom = gpd.GeoDataFrame({"id": ["P1"]}, geometry=[None], crs=4326)
    with pytest.raises(ValidationError, match="P1"):
        siting.check(empty_geom, layers)
    with pytest.raises(TypeError, match="Store"):
        siting.check(projects((sq(0, 0, 10, 10), WAREHOUSE)), [layers])  # type: ignore[arg-type]


def test_load_projects_reads_a_ledger(tmp_path) -> None:
    ledger = tmp_path / "projects.csv"
    ledger.write_text(
        "项目编号,项目名称,项目类型,是否排放废水,经度,纬度\nP1,食品厂,工业,是,112.96,30.41\n",
        encoding="utf-8",
    )
    validated = siting.load_projects(ledger)
    assert validated.report.valid, validated.report.summary()
    row = validated.frame.iloc[0]
    assert (row["id"], row["kind"], bool(row["discharges_wastewater"])) == ("P1", "工业", True)
    assert validated.frame.crs.to_epsg() == 4326


def test_demo_projects_get_sensible_verdicts() -> None:
    """Smoke test on the synthetic demo city (geomon.demo): every verdict class appears."""
    demo = pytest.importorskip("geomon.demo")
    layers = demo.build_demo()
    result = siting.check(layers["projects"], layers)
    verdicts = dict(zip(result.projects["id"], result.projects["verdict"], strict=True))
    assert set(verdicts.values()) == {"prohibited", "restricted", "attention", "clear"}
    kinds = dict(zip(result.projects["id"], result.projects["kind"], strict=True))
    mines = [pid for pid, kind in kinds.items() if kind == "矿山"]
    assert mines and all(verdicts[m] == "prohibited" for m in mines)  # quarry in a red line
