"""Tests for geomon.analysis.tracing on a hand-made network.

The network is drawn in EPSG:4547 (CGCS2000 GK CM 114°E, metres; x = easting) around
E 500 000 m (114°E), so `metric_crs_for` picks the same plane back, then stored in EPSG:4326.
Coordinates below are metres east/north of (490 000, 3 400 000). Flow is the digitising
direction::

          T3 (5,8)
           |                      U (14,3)──(16,3)   (not connected)
    T (2,5)──(5,5)──────(8,5)
                          |
    M1 (0,0)─────────────(8,0)────(12,0)  M2 ───(15,0)S───(17,0)───(20,0)
                                                            |
                                                      T2 (17,-3) flows north into M2

Along-river distances to the section S at x = 15 km, worked out by hand (outlets sit 30 m off
their line; the distance is from their foot on the line):

- I at x = 14.9 km on M2: 100 m;  A at x = 10 km on M1: 5 000 m;  B at x = 6 km: 9 000 m;
  C at x = 4 km: 11 000 m (beyond 10 km);  D at x = 17.5 km: downstream.
- T is 6 km east then 5 km south (11 km) and joins M1 at x = 8 km (7 km above S).
  E at 1.5 km above the confluence on T: 7 000 + 1 500 = 8 500 m.
  F at 4 km above the confluence: 11 000 m, although only 8 062 m from S in a straight line.
- J on T3, 2 km above T3's mouth at T's chainage 3 km: 2 000 + (11 000 − 3 000) + 7 000 = 17 000 m.
- G on T2 (joins below S) and H on U (not connected) are never upstream; K is 14 km from any
  river (off the network).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
import shapely
from shapely import LineString, Point

from geomon.analysis import tracing
from geomon.errors import CRSError, GeomonError

X0, Y0 = 490_000.0, 3_400_000.0
GK_114E = 4547


def _km(x: float, y: float) -> tuple[float, float]:
    return (X0 + 1000.0 * x, Y0 + 1000.0 * y)


def _line(*pts: tuple[float, float]) -> LineString:
    return LineString([_km(*p) for p in pts])


def _frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=GK_114E).to_crs(4326)


@pytest.fixture
def rivers() -> gpd.GeoDataFrame:
    return _frame(
        [
            {"code": "M1", "name": "主河"},
            {"code": "M2", "name": "主河"},
            {"code": "T", "name": "支河"},
            {"code": "T3", "name": "小支河"},
            {"code": "T2", "name": "下支河"},
            {"code": "U", "name": "孤河"},
        ],
        [
            _line((0, 0), (12, 0)),
            _line((12, 0), (20, 0)),
            _line((2, 5), (8, 5), (8, 0)),
            _line((5, 8), (5, 5)),
            _line((17, -3), (17, 0)),
            _line((14, 3), (16, 3)),
        ],
    )


@pytest.fixture
def sections() -> gpd.GeoDataFrame:
    return _frame(
        [
            {"code": "S", "name": "主河下游"},
            {"code": "ST", "name": "支河下游"},
            {"code": "LAKE", "name": "湖心"},
        ],
        [Point(_km(15, -0.02)), Point(_km(8, 2.5)), Point(_km(40, 40))],
    )


OUTLETS = {
    #  code: (x km, y km, stage)
    "I": (14.9, 0.03, "整治中"),
    "A": (10, 0.03, "已销号"),
    "B": (6, -0.03, "已溯源"),
    "C": (4, 0.03, "已排查"),
    "D": (17.5, 0.03, "已排查"),
    "E": (8.03, 1.5, "整治完成"),
    "F": (7.97, 4, "已监测"),
    "G": (17.03, -1, "已排查"),
    "H": (15, 3.03, "已排查"),
    "J": (5, 7, "已命名编码"),
    "K": (30, 14, "已排查"),
}


@pytest.fixture
def outlets() -> gpd.GeoDataFrame:
    return _frame(
        [{"code": c, "name": f"{c}排污口", "stage": s} for c, (_, _, s) in OUTLETS.items()],
        [Point(_km(x, y)) for x, y, _ in OUTLETS.values()],
    )


def _trace(rivers, sections, outlets, code="S", **kw) -> tracing.TraceResult:
    return tracing.upstream_outlets(code, rivers=rivers, sections=sections, outlets=outlets, **kw)


def test_network_is_cut_at_junctions(rivers) -> None:
    net = tracing.build_network(rivers)
    assert net.crs.to_epsg() == GK_114E
    # M1 is cut where T joins (8 km); T where T3 joins (3 km along it); M2 where T2 joins (5 km)
    assert [round(float(b)) for b in net.breaks[0]] == [0, 8000, 12000]
    assert [round(float(b)) for b in net.breaks[1]] == [0, 5000, 8000]
    assert [round(float(b)) for b in net.breaks[2]] == [0, 3000, 11000]
    assert [round(float(b)) for b in net.breaks[5]] == [0, 2000]
    # the end of M1 and the start of M2 are one node
    assert net.node_of[0][-1] == net.node_of[1][0]


def test_upstream_within_10_km_across_a_confluence(rivers, sections, outlets) -> None:
    result = _trace(rivers, sections, outlets)
    table = result.outlets
    assert table["code"].tolist() == ["I", "A", "E", "B"]
    assert table["distance_m"].tolist() == pytest.approx([100, 5000, 8500, 9000], abs=1.0)
    assert table["offset_m"].tolist() == pytest.approx([30, 30, 30, 30], abs=0.5)
    assert table["river"].tolist() == ["主河", "主河", "支河", "主河"]
    assert table["stage"].tolist() == ["整治中", "已销号", "整治完成", "已溯源"]
    assert result.river == "主河"
    assert result.section_offset_m == pytest.approx(20, abs=0.5)
    assert result.off_network == 1  # K
    # the table keeps the outlets' index
    assert list(table.index) == [outlets.index[outlets["code"] == c][0] for c in table["code"]]


def test_larger_distance_reaches_the_sub_tributary(rivers, sections, outlets) -> None:
    table = _trace(rivers, sections, outlets, km=20).outlets
    assert table["code"].tolist() == ["I", "A", "E", "B", "C", "F", "J"]
    assert table["distance_m"].tolist() == pytest.approx(
        [100, 5000, 8500, 9000, 11000, 11000, 17000], abs=1.0
    )


def test_section_on_a_tributary_sees_only_its_own_basin(rivers, sections, outlets) -> None:
    # ST is on T at chainage 6 000 + 2 500 = 8 500 m; F at chainage 7 000, J via T3 at 3 000
    table = _trace(rivers, sections, outlets, code="ST").outlets
    assert table["code"].tolist() == ["F", "J"]
    assert table["distance_m"].tolist() == pytest.approx([1500, 7500], abs=1.0)


@pytest.mark.parametrize(
    ("gap_m", "joins"),
    [pytest.param(0.6, True, id="within-1m"), pytest.param(1.5, False, id="beyond-1m")],
)
def test_snap_tolerance_for_junctions(gap_m: float, joins: bool) -> None:
    rivers = _frame(
        [{"code": "M", "name": "主河"}, {"code": "T", "name": "支河"}],
        [_line((0, 0), (10, 0)), LineString([_km(5, 2), (X0 + 5000, Y0 + gap_m)])],
    )
    sections = _frame([{"code": "S", "name": "s"}], [Point(_km(8, 0))])
    outlets = _frame([{"code": "O", "stage": "已排查"}], [Point(_km(5.03, 1))])
    table = _trace(rivers, sections, outlets).outlets
    if joins:  # 1 000 m down T (less the gap), then 3 000 m down M
        assert table["distance_m"].tolist() == pytest.approx([4000 - gap_m], abs=1.0)
    else:
        assert table.empty


def test_errors(rivers, sections, outlets) -> None:
    with pytest.raises(tracing.TracingError, match="NOPE"):
        _trace(rivers, sections, outlets, code="NOPE")
    with pytest.raises(tracing.TracingError, match="500 m"):
        _trace(rivers, sections, outlets, code="LAKE")
    assert issubclass(tracing.TracingError, GeomonError)
    with pytest.raises(tracing.TracingError, match="no lines"):
        _trace(rivers.iloc[:0], sections, outlets)
    with pytest.raises(CRSError):
        _trace(rivers.to_crs(GK_114E), sections, outlets)


def test_inputs_are_not_modified(rivers, sections, outlets) -> None:
    before = outlets.copy()
    _trace(rivers, sections, outlets)
    pd.testing.assert_frame_equal(pd.DataFrame(outlets), pd.DataFrame(before))


def test_trace_json(rivers, sections, outlets) -> None:
    data = tracing.trace_json(_trace(rivers, sections, outlets))
    assert data["section"] == {"code": "S", "name": "主河下游", "river": "主河", "offset_m": 20.0}
    assert data["km"] == 10.0
    assert data["count"] == 4
    first = data["outlets"][0]
    assert first["code"] == "I"
    assert first["stage"] == "整治中"
    assert first["distance_m"] == pytest.approx(100, abs=1.0)
    assert first["distance_km"] == pytest.approx(0.1, abs=0.01)
    assert set(first) >= {"code", "name", "stage", "river", "distance_m", "offset_m"}


def test_tributary_ending_on_a_long_straight_lon_lat_segment_joins_it() -> None:
    """Issue 17 item 11: the junction is where the data was drawn (lon/lat), not metres off.

    The main stem is one straight two-vertex segment of ~110 km in lon/lat; the tributary ends
    exactly on it, at its midpoint (113.5, 30.25). Projected vertex by vertex, the segment's
    chord on the GK plane misses that point by metres, so the junction used to be lost.
    """
    geod = pyproj.Geod(ellps="GRS80")
    rivers = gpd.GeoDataFrame(
        {"code": ["M", "T"], "name": ["主河", "支河"]},
        geometry=[
            LineString([(113.0, 30.0), (114.0, 30.5)]),
            LineString([(113.4, 30.45), (113.5, 30.25)]),
        ],
        crs=4326,
    )
    sections = gpd.GeoDataFrame(
        {"code": ["S"], "name": ["主河下游"]}, geometry=[Point(113.8, 30.4)], crs=4326
    )
    outlets = gpd.GeoDataFrame(
        {"code": ["O"], "name": ["支河排污口"], "stage": ["已排查"]},
        geometry=[Point(113.45, 30.35)],
        crs=4326,
    )
    net = tracing.build_network(rivers)
    end = gpd.GeoSeries([Point(113.5, 30.25)], crs=4326).to_crs(net.crs).iloc[0]
    assert shapely.distance(net.lines[0], end) > 100  # the projected chord misses the end …
    assert len(net.breaks[0]) == 3  # … yet the main stem is cut at the junction

    result = _trace(rivers, sections, outlets, km=60)

    # along the tributary to the junction, then along the main stem to the section (geodesic
    # lengths; the GK zone-38 plane differs from them by its scale factor, < 1e-4 here)
    _, _, trib = geod.inv(113.45, 30.35, 113.5, 30.25)
    _, _, main_m = geod.inv(113.5, 30.25, 113.8, 30.4)
    assert result.outlets["code"].tolist() == ["O"]
    assert result.outlets["distance_m"].iloc[0] == pytest.approx(trib + main_m, rel=2e-4)
