"""The ledger sweep on whole columns (issue 7): nearest water, named water, duplicates, districts.

Geometry is drawn in EPSG:4547 (CGCS2000 GK CM 114°E, metres) near E 490 000 m, N 3 400 000 m
and stored in EPSG:4326, as in test_compliance.py; coordinates in the comments are metres east
and north of that origin, and the expected distances are worked out on that plane by hand.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, box

from geomon.analysis import compliance, ledger_checks
from geomon.analysis.compliance import metric_crs

X0, Y0 = 490_000.0, 3_400_000.0
GK_114E = 4547


def _at(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def _frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=GK_114E).to_crs(4326)
    frame.index = pd.RangeIndex(1, len(rows) + 1, name="row")
    return frame


def _outlets(*where: tuple[float, float], water: str | None = None) -> gpd.GeoDataFrame:
    rows = [
        {"code": f"CJ9001429902GS{i:04d}", "name": f"P{i}", "receiving_water": water}
        for i in range(1, len(where) + 1)
    ]
    return _frame(rows, [Point(_at(*xy)) for xy in where])


def _far(found: pd.DataFrame) -> dict[int, tuple[float, str]]:
    far = found[found["check"] == "far_from_water"]
    return {r: (e["distance_m"], e["nearest_water"]) for r, e in far["evidence"].items()}


def test_nearest_water_along_a_long_river_in_a_lake_and_far_away() -> None:
    # 甲河 runs along y = 0 from x = 0 to 30 000 with a vertex every 1 000 m (cut into pieces
    # for the search); 乙湖 is the square 40 000..42 000 × 0..2 000 with the hole 40 500..41 500
    # × 500..1 500 (an island)
    river = LineString([_at(x, 0) for x in range(0, 30_001, 1_000)])
    lake = box(*_at(40_000, 0), *_at(42_000, 2_000)).difference(
        box(*_at(40_500, 500), *_at(41_500, 1_500))
    )
    rivers = _frame([{"name": "甲河"}], [river])
    lakes = _frame([{"name": "乙湖"}], [lake])
    outlets = _outlets(
        (12_345, 300),  # 1: 300 m north of 甲河
        (29_500, -150),  # 2: 150 m south: near enough
        (-65_000, 0),  # 3: 65 000 m west of 甲河's start, past every search box
        (40_200, 1_000),  # 4: in 乙湖's water: 0 m
        (41_000, 1_000),  # 5: middle of the island: 500 m to its shore
    )
    found = compliance.ledger_findings(outlets, rivers=rivers, lakes=lakes)
    far = _far(found)
    assert list(far) == [1, 3, 5]
    assert far[1] == (pytest.approx(300.0, abs=0.05), "甲河")
    assert far[3] == (pytest.approx(65_000.0, abs=0.05), "甲河")
    assert far[5] == (pytest.approx(500.0, abs=0.05), "乙湖")


def test_a_water_named_in_two_parts_is_measured_to_the_nearer_part() -> None:
    # 丙河 has two parts, along y = 1 000 and y = 5 000 (x 0..1 000); 丁河 runs along y = -100.
    # The outlet at (500, 0) records 丙河: the nearest water is 丁河 at 100 m, 丙河 is 1 000 m.
    rivers = _frame(
        [{"name": "丙河"}, {"name": "丁河"}, {"name": "丙河"}],
        [
            LineString([_at(0, 1_000), _at(1_000, 1_000)]),
            LineString([_at(0, -100), _at(1_000, -100)]),
            LineString([_at(0, 5_000), _at(1_000, 5_000)]),
        ],
    )
    outlets = _outlets((500, 0), water="丙河")
    found = compliance.ledger_findings(outlets, rivers=rivers, name_slack_m=850.0)
    [evidence] = found.loc[found["check"] == "receiving_water_mismatch", "evidence"]
    assert evidence["recorded"] == "丙河"
    assert evidence["recorded_distance_m"] == pytest.approx(1_000.0, abs=0.05)
    assert evidence["nearest_water"] == "丁河"
    assert evidence["distance_m"] == pytest.approx(100.0, abs=0.05)
    # 1 000 m is within 100 + 950 m of the nearest water's distance: no mismatch
    found = compliance.ledger_findings(outlets, rivers=rivers, name_slack_m=950.0)
    assert "receiving_water_mismatch" not in found["check"].tolist()


def test_a_tie_between_two_waters_is_settled_as_the_tree_of_whole_waters_settles_it() -> None:
    # 戊河 ends where 己河 begins, at (1 000, 0); the outlet at (1 100, -100) is 100·√2 =
    # 141.4 m from that shared vertex, so from both rivers
    rivers = _frame(
        [{"name": "戊河"}, {"name": "己河"}],
        [
            LineString([_at(0, 0), _at(1_000, 0)]),
            LineString([_at(1_000, 0), _at(1_000, 1_000)]),
        ],
    )
    outlets = _outlets((1_100, -100))
    found = compliance.ledger_findings(outlets, rivers=rivers, max_distance_m=100.0)
    to = metric_crs(outlets)
    waters = np.asarray(rivers.to_crs(to).geometry.values, dtype=object)
    point = np.asarray(outlets.to_crs(to).geometry.values, dtype=object)
    tree = shapely.STRtree(waters)
    (_, [pick]), _ = tree.query_nearest(point, return_distance=True, all_matches=False)
    assert _far(found) == {1: (pytest.approx(141.4, abs=0.05), ["戊河", "己河"][pick])}


@pytest.mark.parametrize("seed", range(6))
def test_nearest_is_the_tree_of_whole_waters_nearest(seed: int) -> None:
    """Random rivers (some joining another at a vertex), lakes with holes and outlets, some
    on a vertex, in a lake or far away: the same water and distance, to the last bit."""
    rng = np.random.default_rng(seed)
    rivers = []
    for _ in range(8):
        steps = rng.uniform(-600, 600, size=(int(rng.integers(2, 40)), 2))
        coords = np.cumsum(steps, axis=0) + rng.uniform(0, 20_000, size=2)
        if rivers and rng.random() < 0.5:  # a tributary ends on a vertex of an earlier river
            other = shapely.get_coordinates(rivers[int(rng.integers(len(rivers)))])
            coords = np.vstack([coords, other[int(rng.integers(len(other)))]])
        rivers.append(LineString(coords))
    lakes = []
    for _ in range(3):
        x, y, w = *rng.uniform(0, 20_000, size=2), rng.uniform(300, 3_000)
        lakes.append(
            box(x, y, x + w, y + w).difference(box(x + w / 4, y + w / 4, x + w / 2, y + w / 2))
        )
    lakes.append(lakes[0].buffer(10.0))  # overlaps the first lake: ties at 0 m
    waters = np.array([*rivers, *lakes], dtype=object)
    vertices = shapely.get_coordinates(waters)
    points = np.concatenate(
        [
            shapely.points(rng.uniform(-2_000, 22_000, size=(300, 2))),
            shapely.points(vertices[rng.integers(len(vertices), size=40)]),  # on a vertex
            shapely.points(rng.uniform(100_000, 200_000, size=(5, 2))),  # far away
        ]
    )
    tree = shapely.STRtree(waters)
    (q, w), d = tree.query_nearest(points, return_distance=True, all_matches=False)
    got = ledger_checks._nearest(points, waters)
    assert np.array_equal(got[0], q)
    assert np.array_equal(got[1], w)
    assert np.array_equal(got[2], d)


def test_duplicate_codes_name_every_other_row() -> None:
    outlets = _outlets(*[(i * 100, 0) for i in range(6)])
    outlets["code"] = ["A", "B", "A", " A ", None, "A"]
    outlets.index = pd.Index([10, 11, 12, 13, 14, 15], name="row")
    found = compliance.ledger_findings(outlets)
    assert found.index.tolist() == [10, 12, 13, 15]
    assert found["code"].tolist() == ["A"] * 4
    assert found.loc[10, "message"] == (
        "编码“A”重复（另见 [12, 13, 15]） / code 'A' is also used by [12, 13, 15]"
    )
    assert found.loc[13, "evidence"] == {"code": "A", "rows": [10, 12, 13, 15]}


def test_a_point_in_two_districts_may_carry_either_code() -> None:
    # 甲区 429902 = 0..2 000 × 0..2 000, 乙区 429903 = 1 000..3 000 × 0..2 000: they overlap in
    # 1 000..2 000; all three outlets lie in the overlap at (1 500, 1 000)
    districts = _frame(
        [{"code": "429902", "name": "甲区"}, {"code": "429903", "name": "乙区"}],
        [box(*_at(0, 0), *_at(2_000, 2_000)), box(*_at(1_000, 0), *_at(3_000, 2_000))],
    )
    outlets = _outlets((1_500, 1_000), (1_500, 1_000), (1_500, 1_000))
    outlets["code"] = [
        "CJ9001429903GS0001",  # 乙区: fine
        "CJ9001429904GS0002",  # neither: the first polygon it lies in is quoted
        "CJ9001A29902GS0003",  # malformed district segment: left to rules.outlets
    ]
    found = compliance.ledger_findings(outlets, districts=districts)
    assert found.index.tolist() == [2]
    assert found.loc[2, "evidence"] == {
        "code_district": "429904",
        "district_polygon": "429902",
        "district_name": "甲区",
    }
    assert found.loc[2, "message"].startswith(
        "编码中的行政区划代码 429904 与点位所在区县 429902（甲区）不一致"
    )
