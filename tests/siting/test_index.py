"""The siting check's per-layer index cache (issue 7): reused while valid, never stale.

Same hand-built geometry as tests/test_siting.py: boxes in metres on EPSG:4547 (CGCS2000 3° GK,
CM 114E) around E 400 km, N 3,365 km, converted to EPSG:4326; the check measures on that very
plane, so a 1 km square half inside a zone overlaps it by 500,000 m², a quarter by 250,000 m².
"""

from __future__ import annotations

import gc

import geopandas as gpd
import pytest
from pandas.testing import assert_frame_equal
from shapely import Polygon, box

from geomon import siting
from geomon.siting import _index, _verdicts

GK = 4547
E, N = 400_000.0, 3_365_000.0
WAREHOUSE = {"kind": "其他", "activity": "仓储物流", "discharges_wastewater": False}
FACTORY = {"kind": "工业", "activity": "食品加工", "discharges_wastewater": True}


def sq(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A box given in metres relative to the origin (EPSG:4547)."""
    return box(E + x0, N + y0, E + x1, N + y1)


def lonlat(geom: Polygon) -> Polygon:
    return gpd.GeoSeries([geom], crs=GK).to_crs(4326).iloc[0]


def zones(*items: tuple[str, Polygon]) -> gpd.GeoDataFrame:
    rows = [{"code": f"Z{i}", "source_name": f"水源{i}", "level": level}
            for i, (level, _) in enumerate(items, start=1)]  # fmt: skip
    return gpd.GeoDataFrame(rows, geometry=[g for _, g in items], crs=GK).to_crs(4326)


def project(attrs: dict = WAREHOUSE) -> gpd.GeoDataFrame:
    """One 1 km × 1 km project at the origin."""
    return gpd.GeoDataFrame(
        [{"id": "P1", "name": "项目1", **attrs}], geometry=[sq(0, 0, 1000, 1000)], crs=GK
    ).to_crs(4326)


def overlap_m2(layer: gpd.GeoDataFrame) -> float:
    result = siting.check(project(), {"protection_zones": layer})
    assert len(result.conflicts) == 1, result.conflicts
    return float(result.conflicts["overlap_area_m2"].iloc[0])


EAST_HALF = sq(500, -1000, 2000, 2000)  # covers x 500–1000 of the project: 500,000 m²
EAST_QUARTER = sq(750, -1000, 2000, 2000)  # covers x 750–1000: 250,000 m²


def test_repeated_checks_reuse_the_layer_index() -> None:
    layer = zones(("二级", EAST_HALF))
    assert overlap_m2(layer) == pytest.approx(500_000.0, rel=1e-4)
    first = _index.layer_index(layer)
    assert overlap_m2(layer) == pytest.approx(500_000.0, rel=1e-4)
    assert _index.layer_index(layer) is first


def test_geometry_edited_with_loc_gets_a_new_index() -> None:
    layer = zones(("二级", EAST_HALF))
    assert overlap_m2(layer) == pytest.approx(500_000.0, rel=1e-4)
    before = _index.layer_index(layer)

    layer.loc[0, "geometry"] = lonlat(EAST_QUARTER)

    assert overlap_m2(layer) == pytest.approx(250_000.0, rel=1e-4)
    assert _index.layer_index(layer) is not before


def test_geometry_array_mutated_in_place_is_noticed() -> None:
    """The same frame and the same GeometryArray object, one element replaced."""
    layer = zones(("二级", EAST_HALF))
    assert overlap_m2(layer) == pytest.approx(500_000.0, rel=1e-4)

    layer.geometry.array[0] = lonlat(EAST_QUARTER)

    assert overlap_m2(layer) == pytest.approx(250_000.0, rel=1e-4)


def test_zone_moved_out_of_reach_leaves_no_conflict() -> None:
    layer = zones(("二级", EAST_HALF))
    assert overlap_m2(layer) == pytest.approx(500_000.0, rel=1e-4)

    layer["geometry"] = gpd.GeoSeries([sq(5000, 0, 6000, 1000)], crs=GK).to_crs(4326).values

    result = siting.check(project(), {"protection_zones": layer})
    assert result.conflicts.empty
    assert result.projects["verdict"].tolist() == ["clear"]


def test_two_frames_do_not_share_an_index() -> None:
    half, quarter = zones(("二级", EAST_HALF)), zones(("二级", EAST_QUARTER))
    assert overlap_m2(half) == pytest.approx(500_000.0, rel=1e-4)
    assert overlap_m2(quarter) == pytest.approx(250_000.0, rel=1e-4)
    assert overlap_m2(half) == pytest.approx(500_000.0, rel=1e-4)
    assert _index.layer_index(half) is not _index.layer_index(quarter)


def test_attributes_are_read_at_every_check() -> None:
    """Only geometry is cached: relabelling a 二级 zone as 一级 changes the verdict at once."""
    layer = zones(("二级", EAST_HALF))
    c = siting.check(project(), {"protection_zones": layer}).conflicts.iloc[0]
    assert (c["verdict"], c["rule_id"], c["level"]) == ("restricted", "water_source.level2", "二级")
    index = _index.layer_index(layer)

    layer.loc[0, "level"] = "一级"

    c = siting.check(project(), {"protection_zones": layer}).conflicts.iloc[0]
    assert (c["verdict"], c["rule_id"], c["level"]) == ("prohibited", "water_source.level1", "一级")
    assert _index.layer_index(layer) is index  # same geometry: same index


def test_index_is_dropped_with_its_frame() -> None:
    gc.collect()
    before = _index.cached_layers()
    layer = zones(("二级", EAST_HALF))
    assert overlap_m2(layer) == pytest.approx(500_000.0, rel=1e-4)
    assert _index.cached_layers() == before + 1

    del layer
    gc.collect()

    assert _index.cached_layers() == before


# ------------------------------------------------------------------------------ rule prefilter


def test_leaving_out_rules_that_cannot_match_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Relations, levels and allowed activities at once: with and without `_candidate_rules`."""
    red_line = gpd.GeoDataFrame(
        [{"code": "R1", "name": "红线1", "core_zone": False}],
        geometry=[sq(6000, -500, 9000, 1500)],
        crs=GK,
    ).to_crs(4326)
    layers = {
        "red_lines": red_line,
        "protection_zones": zones(
            ("一级", sq(-500, -500, 500, 500)),  # overlaps P1
            ("二级", sq(1200, 0, 2000, 1000)),  # 200 m east of P1: near
            ("准保护区", sq(3000, -500, 5000, 2000)),  # P2 lies inside
        ),
    }
    road = {"kind": "线性基础设施", "activity": "道路建设", "discharges_wastewater": False}
    science = {"kind": "其他", "activity": " 科普宣教 ", "discharges_wastewater": False}
    projects = gpd.GeoDataFrame(
        [
            {"id": "P1", "name": "厂房", **FACTORY},
            {"id": "P2", "name": "仓库", **WAREHOUSE},
            {"id": "P3", "name": "道路", **road},  # allowed activity item 6, in the red line
            {"id": "P4", "name": "科普馆", **science},  # item 5 (activity matched stripped)
        ],
        geometry=[
            sq(0, 0, 1000, 1000),
            sq(3500, 0, 4500, 1000),
            sq(6500, 0, 7500, 1000),
            sq(8000, 0, 8500, 1000),
        ],
        crs=GK,
    ).to_crs(4326)
    fast = siting.check(projects, layers)
    monkeypatch.setattr(_verdicts, "_candidate_rules", lambda cols, taken, rules: rules)
    full = siting.check(projects, layers)

    assert_frame_equal(fast.conflicts, full.conflicts)
    assert_frame_equal(fast.projects, full.projects)
    got = fast.conflicts[["project_id", "level", "relation", "verdict", "rule_id"]]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["P1", "一级", "overlaps", "prohibited", "water_source.level1_discharge"],
        ["P1", "二级", "near", "attention", "water_source.near_discharge"],
        ["P2", "准保护区", "inside", "attention", "water_source.quasi"],
        ["P3", None, "inside", "restricted", "red_line.allowed_activity"],
        ["P4", None, "inside", "restricted", "red_line.allowed_activity"],
    ]
    assert fast.conflicts["allowed_item"].tolist()[3:] == [6, 5]
    assert "第6项" in fast.conflicts["citation"].iloc[3]
