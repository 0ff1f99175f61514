"""Tests for geomon.analysis.compliance on hand-made geometries.

Geometry is drawn in EPSG:4547 (CGCS2000 GK CM 114°E, metres, x = easting) near E 500 000 m so
that `metric_crs_for` picks the same plane, then stored in EPSG:4326. Coordinates in the
comments are metres east/north of (490 000, 3 400 000). Expected distances are worked out on
that plane by hand (Pythagoras), expected classes from GB 3838-2002 表1 (DOMAIN.md §1.2).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point, box

from geomon.analysis import compliance
from geomon.errors import CRSError
from geomon.store import open_store

X0, Y0 = 490_000.0, 3_400_000.0
GK_114E = 4547
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo.gpkg"


def _at(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def _box(x0: float, y0: float, x1: float, y1: float):
    return box(*_at(x0, y0), *_at(x1, y1))


def _frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=GK_114E).to_crs(4326)


# ------------------------------------------------------------------------------ zones


# Source 甲水源: 一级 = 0..1000 square; 二级 = the ring out to -1000..2000; 准 = ring to 3000.
# Red line: 5000..6000 square.
@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    one = _box(0, 0, 1000, 1000)
    two = _box(-1000, -1000, 2000, 2000).difference(one)
    quasi = _box(-2000, -2000, 3000, 3000).difference(_box(-1000, -1000, 2000, 2000))
    rows = [
        {"code": f"SY01-{lv}", "source_name": "甲水源", "source_code": "SY01", "level": lv}
        for lv in ("一级", "二级", "准保护区")
    ]
    return _frame(rows, [one, two, quasi])


@pytest.fixture
def red_lines() -> gpd.GeoDataFrame:
    return _frame([{"code": "HX01", "name": "甲湿地红线"}], [_box(5000, 5000, 6000, 6000)])


@pytest.fixture
def zone_outlets() -> gpd.GeoDataFrame:
    where = {
        "O1": (500, 500),  # 一级
        "O2": (1500, 500),  # 二级
        "O3": (2500, 500),  # 准保护区
        "O4": (4000, 4000),  # nothing
        "O5": (5500, 5500),  # red line
        "O6": (-500, 1800),  # 二级
    }
    return _frame(
        [
            {"code": c, "name": f"{c}排污口", "category": cat}
            for c, cat in zip(where, ["取缔", "规范", "规范", None, None, None], strict=True)
        ],
        [Point(_at(*xy)) for xy in where.values()],
    ).set_index(pd.Index([11, 12, 13, 14, 15, 16], name="row"))


def test_outlet_in_zones_is_flagged_with_the_article(zone_outlets, zones, red_lines) -> None:
    before = zone_outlets.copy()
    flags = compliance.outlet_flags(zone_outlets, zones=zones, red_lines=red_lines)
    assert flags.index.equals(zone_outlets.index)
    assert flags["zone_level"].tolist() == ["一级", "二级", "准保护区", None, None, "二级"]
    assert flags["zone_illegal"].tolist() == [True, True, False, False, False, True]
    assert flags.loc[12, "zone_codes"] == "SY01-二级"
    assert flags.loc[12, "zone_source"] == "甲水源"
    assert flags.loc[12, "zone_article"] == "水污染防治法 第六十四条"
    assert flags.loc[12, "zone_penalty"].startswith("水污染防治法 第八十四条")
    assert "十万元以上五十万元以下" in flags.loc[12, "zone_penalty"]
    assert flags.loc[13, "zone_article"].startswith("水污染防治法 第六十七条")
    assert flags.loc[13, "zone_penalty"] is None
    # illegal outlets should be filed as 取缔: O2 says 规范, O6 has no category yet
    assert flags["zone_category_mismatch"].tolist() == [False, True, False, False, False, True]
    assert flags["in_red_line"].tolist() == [False, False, False, False, True, False]
    assert flags.loc[15, "red_line_names"] == "甲湿地红线"
    assert "142号" in flags.loc[15, "red_line_rule"]
    pd.testing.assert_frame_equal(pd.DataFrame(zone_outlets), pd.DataFrame(before))


def test_outlets_in_zones_pairs(zone_outlets, zones) -> None:
    pairs = compliance.outlets_in_zones(zone_outlets, zones)
    assert list(pairs.index) == [11, 12, 13, 16]
    assert pairs["zone_code"].tolist() == ["SY01-一级", "SY01-二级", "SY01-准保护区", "SY01-二级"]
    assert pairs["illegal"].tolist() == [True, True, False, True]


def test_zone_flags(zone_outlets, zones) -> None:
    flags = compliance.zone_flags(zones, zone_outlets)
    assert flags["outlet_count"].tolist() == [1, 2, 1]
    assert flags["outlet_codes"].tolist() == ["O1", "O2、O6", "O3"]
    assert flags["has_illegal_outlets"].tolist() == [True, True, False]


def test_outlet_in_several_zones_and_red_lines() -> None:
    """Zones are taken strictest level first (then in layer order); the article and penalty
    come from the first zone that forbids outlets, else from the strictest zone."""
    # Z1 准保护区 of 甲水源 covers everything; Z2 二级 of 乙水源 and Z3 一级 of 甲水源 cover
    # 0..1000 × 0..1000; Z4, of a level no rule knows, covers 0..3000 × 0..3000.
    zones = _frame(
        [
            {"code": "Z1", "level": "准保护区", "source_name": "甲水源"},
            {"code": "Z2", "level": "二级", "source_name": "乙水源"},
            {"code": "Z3", "level": "一级", "source_name": "甲水源"},
            {"code": "Z4", "level": "其他", "source_name": None},
        ],
        [
            _box(-5000, -5000, 5000, 5000),
            _box(0, 0, 1000, 1000),
            _box(0, 0, 1000, 1000),
            _box(0, 0, 3000, 3000),
        ],
    )
    # HX2 (listed first) and HX1 both cover 4000..4500 × 4000..4500
    red_lines = _frame(
        [{"code": "HX2", "name": "乙红线"}, {"code": "HX1", "name": "甲红线"}],
        [_box(3900, 3900, 4600, 4600), _box(4000, 4000, 4500, 4500)],
    )
    outlets = _frame(
        [{"code": c, "category": None} for c in ("O1", "O2", "O3")],
        [Point(_at(500, 500)), Point(_at(2000, 2000)), Point(_at(4200, 4200))],
    )
    flags = compliance.outlet_flags(outlets, zones=zones, red_lines=red_lines)
    o1, o2, o3 = (flags.iloc[i] for i in range(3))
    assert (o1["zone_level"], o1["zone_codes"], o1["zone_source"]) == (
        "一级",
        "Z3、Z2、Z1、Z4",
        "甲水源、乙水源",
    )
    assert o1["zone_illegal"]
    assert o1["zone_article"] == "水污染防治法 第六十四条"
    assert o1["zone_penalty"].startswith("水污染防治法 第八十四条")
    assert (o2["zone_level"], o2["zone_codes"], o2["zone_source"]) == (
        "准保护区",
        "Z1、Z4",
        "甲水源",
    )
    assert not o2["zone_illegal"]
    assert o2["zone_article"] == "水污染防治法 第六十七条（待核实）"
    assert o2["zone_penalty"] is None
    assert (o3["zone_level"], o3["zone_codes"]) == ("准保护区", "Z1")
    assert flags["in_red_line"].tolist() == [False, False, True]
    assert (o3["red_line_codes"], o3["red_line_names"]) == ("HX2、HX1", "乙红线、甲红线")
    assert o1["red_line_codes"] is None
    assert flags["zone_category_mismatch"].tolist() == [True, False, False]


def test_a_layer_in_another_crs_is_refused(zone_outlets, zones) -> None:
    with pytest.raises(CRSError, match="EPSG:4326"):
        compliance.outlet_flags(zone_outlets.to_crs(GK_114E), zones=zones)


# ------------------------------------------------------------------------------ ledger sweep


# 甲河 runs east along y = 5000 from x = 0 to x = 24 000; 乙湖 is the square 20 000..22 000 ×
# 0..2 000. Districts: 甲区 429902 = -1000..15 000, 乙区 429903 = 15 000..25 000 (both y -1000..
# 10 000), and the city 429900 over everything (above county level: ignored).
@pytest.fixture
def waters() -> dict[str, gpd.GeoDataFrame]:
    return {
        "rivers": _frame(
            [{"code": "R1", "name": "甲河"}], [LineString([_at(0, 5000), _at(24000, 5000)])]
        ),
        "lakes": _frame([{"code": "L1", "name": "乙湖"}], [_box(20000, 0, 22000, 2000)]),
        "districts": _frame(
            [
                {"code": "429900", "name": "江汉市"},
                {"code": "429902", "name": "甲区"},
                {"code": "429903", "name": "乙区"},
            ],
            [
                _box(-5000, -5000, 26000, 12000),
                _box(-1000, -1000, 15000, 10000),
                _box(15000, -1000, 25000, 10000),
            ],
        ),
    }


LEDGER = [
    # code, receiving water, x, y
    ("CJ9001429902GS0001", "甲河", 5000, 5250),  # P1 250 m from 甲河
    ("CJ9001429902GS0002", "甲河", 5000, 5100),  # P2 fine
    ("CJ9001429902GS0003", "乙湖", 5000, 5150),  # P3 nearest is 甲河 at 150 m
    ("CJ9301429903CY0001", "乙湖", 20500, -30),  # P4 30 m south of the lake: fine
    ("CJ9001429902GS0005", "丙河", 3000, 4990),  # P5 丙河 is not in the water layers
    ("CJ9001429902GS0006", "甲河", 7000, 5010),  # P6 duplicate of P7
    ("CJ9001429902GS0006", "甲河", 8000, 4990),  # P7
    ("CJ9001429902GS0008", "甲河", 16000, 5020),  # P8 code says 429902, lies in 乙区 429903
    ("CJ9001429902GS0009", "甲河", 30000, 5000),  # P9 outside every district, 6 km from 甲河
]


@pytest.fixture
def ledger() -> gpd.GeoDataFrame:
    frame = _frame(
        [
            {"code": c, "name": f"P{i}", "receiving_water": w}
            for i, (c, w, _, _) in enumerate(LEDGER, 1)
        ],
        [Point(_at(x, y)) for _, _, x, y in LEDGER],
    )
    frame.index = pd.RangeIndex(1, len(LEDGER) + 1, name="row")
    return frame


def test_ledger_findings(ledger, waters) -> None:
    found = compliance.ledger_findings(ledger, **waters)
    assert list(found.columns) == list(compliance.FINDING_COLUMNS)
    assert list(zip(found.index, found["check"], strict=True)) == [
        (1, "far_from_water"),
        (9, "far_from_water"),
        (3, "receiving_water_mismatch"),
        (5, "receiving_water_mismatch"),
        (6, "duplicate_code"),
        (7, "duplicate_code"),
        (8, "code_district_mismatch"),
        (9, "outside_districts"),
    ]
    assert found["name"].tolist()[:2] == ["P1", "P9"]
    far = found[found["check"] == "far_from_water"]["evidence"].tolist()
    assert far[0]["distance_m"] == pytest.approx(250.0, abs=1.0)
    assert far[0]["nearest_water"] == "甲河"
    assert far[1]["distance_m"] == pytest.approx(6000.0, abs=1.0)  # past the river's east end
    assert "250 米" in found.iloc[0]["message"]
    p3, p5 = found[found["check"] == "receiving_water_mismatch"]["evidence"].tolist()
    assert p3["recorded"] == "乙湖"
    assert p3["nearest_water"] == "甲河"
    assert p3["distance_m"] == pytest.approx(150.0, abs=1.0)
    assert p3["recorded_distance_m"] == pytest.approx(math.hypot(15000, 3150), abs=1.0)
    assert p5["recorded"] == "丙河"
    assert p5["recorded_distance_m"] is None
    assert p5["distance_m"] == pytest.approx(10.0, abs=1.0)
    assert found.loc[6, "evidence"]["rows"] == [6, 7]
    assert found.loc[8, "evidence"] == {
        "code_district": "429902",
        "district_polygon": "429903",
        "district_name": "乙区",
    }
    assert found.loc[8, "severity"] == "error"


def test_ledger_distance_threshold_and_name_slack(ledger, waters) -> None:
    found = compliance.ledger_findings(
        ledger, max_distance_m=300.0, name_slack_m=20_000.0, **waters
    )
    checks = found["check"].tolist()
    assert found.index[checks.index("far_from_water")] == 9  # P1's 250 m is now within 300 m
    assert checks.count("far_from_water") == 1
    # 乙湖 is within 15 327 m < 150 + 20 000 m of P3, so only P5 (unknown water) remains
    assert found[found["check"] == "receiving_water_mismatch"].index.tolist() == [5]


def test_ledger_without_layers_checks_only_codes(ledger) -> None:
    found = compliance.ledger_findings(ledger)
    assert found["check"].tolist() == ["duplicate_code", "duplicate_code"]


# ------------------------------------------------------------------------------ sections


def _monitoring() -> pd.DataFrame:
    # (section, date, DO, NH3N, TP); classes from GB 3838-2002 表1 by hand:
    # S1: DO 6.5 II, NH3N 0.4 II, TP 0.15 III → III (target II: fails)
    # S2: DO 8 I, NH3N 0.3 II, TP 0.08 II → II (target III: meets)
    # S3: like S2, no target anywhere
    # L1 (lake): TP mean (0.07 + 0.09) / 2 = 0.080 → lake IV (≤ 0.1); river limits would give II.
    #     超标倍数 vs lake III 0.05: (0.08 − 0.05) / 0.05 = 0.6. The March row is outside Jan–Feb.
    rows = [
        ("S1", "2023-01-10", 6.5, 0.4, 0.15),
        ("S2", "2023-01-10", 8.0, 0.3, 0.08),
        ("S3", "2023-01-10", 8.0, 0.3, 0.08),
        ("L1", "2023-01-10", 8.0, 0.3, 0.07),
        ("L1", "2023-02-10", 8.0, 0.3, 0.09),
        ("L1", "2023-03-10", 8.0, 0.3, 0.50),
    ]
    frame = pd.DataFrame(rows, columns=["section_code", "date", "DO", "NH3N", "TP"])
    return frame.assign(date=pd.to_datetime(frame["date"]))


@pytest.fixture
def sections() -> gpd.GeoDataFrame:
    rows = [
        {"code": "S1", "name": "一号", "target_class": "II", "water_body_type": "河流"},
        {"code": "S2", "name": "二号", "target_class": "III", "water_body_type": "河流"},
        {"code": "S3", "name": "三号", "target_class": None, "water_body_type": "河流"},
        {"code": "L1", "name": "湖心", "target_class": "III", "water_body_type": "湖库"},
        {"code": "S4", "name": "无数据", "target_class": "III", "water_body_type": "河流"},
    ]
    return _frame(rows, [Point(_at(i * 1000, 0)) for i in range(5)])


def test_section_flags(sections) -> None:
    results = compliance.section_results(
        sections, _monitoring(), period=("2023-01-01", "2023-02-28")
    )
    assert results["section_code"].tolist() == ["S1", "S2", "S3", "L1", "S4"]
    flags = compliance.section_flags(sections, results)
    assert flags["class"].tolist() == ["III", "II", "II", "IV", None]
    assert flags["target"].tolist() == ["II", "III", None, "III", "III"]
    assert flags["meets_target"].tolist() == [False, True, pd.NA, False, pd.NA]
    assert flags["fails_target"].tolist() == [True, False, False, True, False]
    assert flags["no_target"].tolist() == [False, False, True, False, False]
    assert flags.loc[3, "exceedances"] == "总磷 超标0.6倍"
    assert flags.loc[3, "main_pollutants"] == "总磷"


def test_period_bounds() -> None:
    start, end = compliance.period_bounds("2023-02")
    assert (start, end) == (pd.Timestamp("2023-02-01"), pd.Timestamp("2023-02-28"))
    assert compliance.period_bounds("2023")[1] == pd.Timestamp("2023-12-31")
    dates = pd.Series(pd.to_datetime(["2023-03-05", "2023-01-02"]))
    assert compliance.period_bounds(None, dates) == (
        pd.Timestamp("2023-01-02"),
        pd.Timestamp("2023-03-05"),
    )


# ------------------------------------------------------------------------------ status columns


@pytest.fixture
def due_outlets() -> gpd.GeoDataFrame:
    # O1 due 2023-03-31, still 整治中; O2 due the same day but 整治完成; O3 has no deadline.
    rows = [
        {"code": "O1", "stage": "整治中", "deadline": "2023-03-31"},
        {"code": "O2", "stage": "整治完成", "deadline": "2023-03-31"},
        {"code": "O3", "stage": "已溯源", "deadline": None},
    ]
    return _frame(rows, [Point(_at(i * 100, 0)) for i in range(3)])


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2023-03-31", [False, False, False], id="due-day-is-not-late"),
        pytest.param("2023-04-01", [True, False, False], id="day-after"),
    ],
)
def test_overdue(due_outlets, as_of: str, expected: list[bool]) -> None:
    flags = compliance.overdue(due_outlets, as_of)
    assert flags.tolist() == expected
    assert flags.name == "overdue"
    assert flags.index.equals(due_outlets.index)


def test_status_date_is_the_end_of_the_period() -> None:
    assert compliance.status_date("2023-02") == dt.date(2023, 2, 28)
    assert compliance.status_date(("2023-01-01", "2023-06-30")) == dt.date(2023, 6, 30)
    assert compliance.status_date(None) == dt.date.today()


def test_with_status_adds_the_columns_the_app_shows(due_outlets, sections) -> None:
    # outlets: overdue at the end of the period (March: not yet; Q2: O1 is late)
    march = compliance.with_status("outlets", due_outlets, period="2023-03")
    assert march["overdue"].tolist() == [False, False, False]
    june = compliance.with_status("outlets", due_outlets, period="2023-06")
    assert june["overdue"].tolist() == [True, False, False]
    assert "overdue" not in due_outlets.columns  # input untouched
    # an explicit date wins over the period
    past = compliance.with_status("outlets", due_outlets, period="2023-06", as_of="2023-03-01")
    assert past["overdue"].tolist() == [False, False, False]
    # sections: the classes of test_section_flags, over Jan–Feb
    flagged = compliance.with_status(
        "sections", sections, period=("2023-01-01", "2023-02-28"), monitoring=_monitoring()
    )
    assert flagged["class"].tolist() == ["III", "II", "II", "IV", None]
    assert flagged["meets_target"].tolist() == [False, True, pd.NA, False, pd.NA]
    # no monitoring: no class; other layers pass through
    assert compliance.with_status("sections", sections)["class"].isna().all()
    assert compliance.with_status("rivers", due_outlets) is due_outlets


# ------------------------------------------------------------------------------ demo data


def test_demo_planted_problems() -> None:
    """data/README.md plants one outlet in a 二级 zone and one 市控 section without a target."""
    assert DEMO.exists(), "build the demo first: geomon demo (writes data/demo.gpkg)"
    layers = {name: open_store(DEMO).read(name) for name in open_store(DEMO).layer_names()}
    flagged = compliance.flag_layers(layers, period=("2023-01-01", "2023-06-30"))
    outlets = flagged["outlets"]
    illegal = outlets[outlets["zone_illegal"]]
    assert len(illegal) == 1
    assert illegal["zone_level"].tolist() == ["二级"]
    assert illegal["zone_article"].tolist() == ["水污染防治法 第六十四条"]
    assert illegal["code"].tolist() == ["CJ9001429902GM0001"]
    assert illegal["zone_codes"].tolist() == ["SY42990201-2"]
    assert illegal["zone_category_mismatch"].tolist() == [True]  # filed as 规范, not 取缔
    assert not outlets["in_red_line"].any()
    sections = flagged["sections"]
    assert sections.loc[sections["no_target"], "control_level"].tolist() == ["市控"]
    zones = flagged["protection_zones"]
    assert zones["has_illegal_outlets"].sum() == 1
