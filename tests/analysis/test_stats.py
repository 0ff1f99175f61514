"""Tests for geomon.analysis.stats.

Classes are worked out by hand from GB 3838-2002 表1 (DOMAIN.md §1.2): DO I ≥ 7.5, II ≥ 6,
III ≥ 5, IV ≥ 3; NH3-N I ≤ 0.15, II ≤ 0.5, III ≤ 1.0, IV ≤ 1.5, V ≤ 2.0; TP river II ≤ 0.1,
III ≤ 0.2, IV ≤ 0.3, V ≤ 0.4; TP lake II ≤ 0.025, III ≤ 0.05, IV ≤ 0.1. Policy: rounded means
(82号, the default). River status thresholds: DOMAIN.md §1.3 (proportion method from 5 sections).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from geomon import validate
from geomon.analysis import stats
from geomon.errors import WaterQualityError
from geomon.store import open_store

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo.gpkg"
CLASSES = {"I", "II", "III", "IV", "V", "劣V"}


# ------------------------------------------------------------------------------ classify_file


def _file() -> pd.DataFrame:
    """A ledger as a bureau exports it: Chinese headers, a target column for B only."""
    return pd.DataFrame(
        {
            "断面编码": ["A", "A", "B", "B"],
            "采样日期": ["2023-01-10", "2023-02-10", "2023-01-12", "2023-02-12"],
            "溶解氧": [7.6, 7.6, 8.0, 8.0],
            "氨氮": [1.2, 0.6, 0.3, 0.3],
            "总磷": [0.05, 0.05, 0.04, 0.04],
            "水质目标": [None, None, "Ⅱ", "Ⅱ"],
        }
    )


def _layer_sections() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["A", "B"],
            "target_class": ["III", "III"],  # B's file target (II) wins over this
            "water_body_type": ["河流", "湖库"],
        }
    )


def test_classify_file_by_month() -> None:
    # A Jan: NH3N 1.2 → IV (DO 7.6 I, TP 0.05 II); A Feb: NH3N 0.6 → III.
    # B is a lake in the sections layer: TP 0.04 → lake III (river II); NH3N 0.3 II.
    out = stats.classify_file(_file(), period="month", sections=_layer_sections())
    got = out[["section_code", "period", "class", "target", "meets_target"]].values.tolist()
    assert got == [
        ["A", "2023-01", "IV", "III", False],
        ["B", "2023-01", "III", "II", False],
        ["A", "2023-02", "III", "III", True],
        ["B", "2023-02", "III", "II", False],
    ]
    jan = out.iloc[0]
    assert jan["limiting"] == ("NH3N",)
    assert [(e.parameter, e.limit, e.multiple) for e in jan["exceedances"]] == [("NH3N", 1.0, 0.2)]


def test_classify_file_whole_period() -> None:
    # A: NH3N mean (1.2 + 0.6) / 2 = 0.90 → III; the worst month never decides.
    out = stats.classify_file(_file(), period="all", sections=_layer_sections())
    assert out["period"].tolist() == ["2023-01-10/2023-02-12"] * 2
    assert out["class"].tolist() == ["III", "III"]
    assert out.iloc[0]["params"]["NH3N"].value == 0.9


def test_classify_file_water_body_overrides_the_layer() -> None:
    out = stats.classify_file(_file(), period="all", water_body="river", sections=_layer_sections())
    assert out["class"].tolist() == ["III", "II"]  # B with river TP limits: 0.04 → II
    assert out["meets_target"].tolist() == [True, True]


def test_classify_file_without_sections_has_no_target_for_a() -> None:
    out = stats.classify_file(_file(), period="all")
    assert out["target"].tolist() == [None, "II"]
    assert out["meets_target"].tolist() == [None, True]


def test_classify_file_needs_sections_and_dates() -> None:
    with pytest.raises(WaterQualityError, match="section_code"):
        stats.classify_file(_file().drop(columns="断面编码"), period="all")
    with pytest.raises(WaterQualityError, match="period"):
        stats.classify_file(_file(), period="week")


def test_classify_json_shape() -> None:
    data = stats.classify_json(stats.classify_file(_file(), sections=_layer_sections()))
    json.dumps(data, ensure_ascii=False)  # plain values only
    first = data["results"][0]
    assert list(first)[:8] == [
        "section_code",
        "period",
        "class",
        "meets_target",
        "target",
        "limiting",
        "params",
        "exceedances",
    ]
    assert {r["class"] for r in data["results"]} <= CLASSES
    assert first["section_code"] == "A"
    assert first["period"] == "2023-01"
    assert first["class"] == "IV"
    assert first["meets_target"] is False
    assert first["limiting"] == ["NH3N"]
    assert first["params"]["NH3N"] == {"value": 1.2, "class": "IV", "role": "assessed"}
    assert first["params"]["DO"]["class"] == "I"
    assert first["exceedances"] == [
        {"parameter": "NH3N", "value": 1.2, "limit": 1.0, "multiple": 0.2}
    ]


# ------------------------------------------------------------------------------ a hand-made store

# (code, river, control level, target, district, [(date, DO, NH3N, TP)])
SECTIONS = [
    # 甲河, 5 sections → proportion method. Jan classes: II, III, III, IV, 劣V.
    (
        "R1",
        "甲河",
        "国控",
        "III",
        "东区",
        [("2023-01-05", 8.0, 0.4, 0.08), ("2023-02-05", 8.0, 3.0, 0.08)],
    ),
    ("R2", "甲河", "国控", "III", "东区", [("2023-01-05", 6.5, 0.8, 0.15)]),
    ("R3", "甲河", "省控", "III", "西区", [("2023-01-05", 5.5, 0.9, 0.18)]),
    ("R4", "甲河", "省控", "III", "西区", [("2023-01-05", 5.5, 1.4, 0.25)]),  # NH3N 0.4×, TP 0.25×
    ("R5", "甲河", "省控", "III", "西区", [("2023-01-05", 4.0, 2.5, 0.35)]),  # DO IV, NH3N 劣V 1.5×
    # 乙河, 2 sections → mean method: DO 7.5 I, NH3N 0.70 III, TP 0.075 II → III 良好
    ("S1", "乙河", "市控", "II", "东区", [("2023-01-05", 8.0, 0.2, 0.05)]),
    ("S2", "乙河", "市控", None, "东区", [("2023-01-05", 7.0, 1.2, 0.10)]),
]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stats") / "hand.gpkg"
    sections = gpd.GeoDataFrame(
        [
            {
                "code": code,
                "name": f"{code}断面",
                "river": river,
                "basin": "长江",
                "control_level": level,
                "target_class": target,
                "water_body_type": "河流",
                "district": district,
            }
            for code, river, level, target, district, _ in SECTIONS
        ],
        geometry=[Point(114.0 + i / 100, 30.5) for i in range(len(SECTIONS))],
        crs=4326,
    )
    monitoring = pd.DataFrame(
        [
            {"section_code": code, "date": pd.Timestamp(d), "DO": do, "NH3N": nh3n, "TP": tp}
            for code, *_, samples in SECTIONS
            for d, do, nh3n, tp in samples
        ]
    )
    base = {"type_l1": "工业排污口", "receiving_water": "甲河", "district": "东区"}
    base |= {"district_code": "429902", "water_body_kind": "河流"}
    outlets = gpd.GeoDataFrame(
        [
            {"code": "O1", "name": "一", "stage": "已销号", "completed_date": "2023-01-20", **base},
            {
                "code": "O2",
                "name": "二",
                "stage": "整治完成",
                "completed_date": "2023-03-02",
                **base,
            },
            {"code": "O3", "name": "三", "stage": "整治中", "deadline": "2023-02-28", **base},
            {"code": "O4", "name": "四", "stage": "已排查", **base},
        ],
        geometry=[Point(114.0 + i / 100, 30.51) for i in range(4)],
        crs=4326,
    )
    open_store(path).write(
        {
            "sections": validate.apply_dtypes(sections, "sections"),
            "monitoring": validate.apply_dtypes(monitoring, "monitoring"),
            "outlets": validate.apply_dtypes(outlets, "outlets"),
        }
    )
    return path


def _row(rows: list[dict], key: str, value: str) -> dict:
    return next(r for r in rows if r[key] == value)


def test_stats_json_sections_for_a_month(store_path: Path) -> None:
    data = stats.stats_json(open_store(store_path), period="2023-01")
    json.dumps(data, ensure_ascii=False)
    sec = data["sections"]
    assert sec["period"] == {"start": "2023-01-01", "end": "2023-01-31"}
    total = sec["total"]
    # classes II, III, III, IV, 劣V, II, IV: good 4/7 = 57.1 %, 劣V 1/7 = 14.3 %
    assert (total["sections"], total["assessed"], total["good"]) == (7, 7, 4)
    assert (total["good_pct"], total["worst_pct"]) == (57.1, 14.3)
    assert total["counts"] == {"I": 0, "II": 2, "III": 2, "IV": 2, "V": 0, "劣V": 1}
    # targets: R1–R5 III, S1 II → meets R1, R2, R3, S1 = 4 of 6; S2 has none
    assert (total["with_target"], total["meets_target"], total["meets_target_pct"]) == (6, 4, 66.7)
    assert total["failing"] == ["R4", "R5"]
    assert total["no_target"] == ["S2"]
    levels = sec["by_control_level"]
    assert [r["control_level"] for r in levels] == ["国控", "省控", "市控"]
    assert [r["good_pct"] for r in levels] == [100.0, 33.3, 50.0]
    assert [r["worst_pct"] for r in levels] == [0.0, 33.3, 0.0]
    assert [r["meets_target"] for r in levels] == [2, 1, 1]
    assert _row(sec["by_district"], "district", "西区")["good"] == 1
    assert sec["by_basin"][0]["basin"] == "长江"


def test_stats_json_river_status(store_path: Path) -> None:
    rivers = stats.stats_json(open_store(store_path), period="2023-01")["sections"]["rivers"]
    jia = _row(rivers, "river", "甲河")
    # good 3/5 = 60 % < 75 and 劣V 1/5 = 20 % in [20, 40) → 中度污染
    assert (jia["method"], jia["status"], jia["good_pct"], jia["worst_pct"]) == (
        "proportion",
        "中度污染",
        60.0,
        20.0,
    )
    # 断面超标率: NH3N 2/5 (mean multiple 0.95), TP 2/5 (0.5), DO 1/5
    assert [(p["parameter"], p["rate_pct"]) for p in jia["main_pollutants"]] == [
        ("NH3N", 40.0),
        ("TP", 40.0),
        ("DO", 20.0),
    ]
    yi = _row(rivers, "river", "乙河")
    assert (yi["method"], yi["class"], yi["status"]) == ("mean", "III", "良好")


def test_stats_json_period_changes_the_class(store_path: Path) -> None:
    # Jan + Feb: R1's NH3N mean (0.4 + 3.0) / 2 = 1.70 → V, so 国控 good falls to 1/2
    data = stats.stats_json(open_store(store_path), period=("2023-01-01", "2023-02-28"))
    levels = data["sections"]["by_control_level"]
    assert _row(levels, "control_level", "国控")["good_pct"] == 50.0


def test_stats_json_outlets(store_path: Path) -> None:
    data = stats.stats_json(open_store(store_path), period=("2023-01-01", "2023-03-31"))
    out = data["outlets"]
    assert out["as_of"] == "2023-03-31"  # the period's end
    assert out["total"] == {
        "total": 4,
        "traced": 3,
        "rectified": 2,
        "closed": 1,
        "overdue": 1,  # O3: due 2023-02-28, still 整治中
        "traced_pct": 75.0,
        "rectified_pct": 50.0,
        "closed_pct": 25.0,
    }
    assert [m["month"] for m in out["by_month"]] == ["2023-01", "2023-02", "2023-03"]
    assert [m["rectified"] for m in out["by_month"]] == [1, 1, 2]
    assert out["by_water_body_kind"][0]["water_body_kind"] == "河流"
    assert [o["code"] for o in out["overdue"]] == ["O3"]
    assert out["milestones"][0]["traced_target"] == 80.0


# ------------------------------------------------------------------------------ demo data


def test_demo_statistics() -> None:
    """潜江-shaped demo: 113 river outlets, 110 rectified; Jan–Jun 2023 83.3 % / 88.9 %."""
    assert DEMO.exists(), "build the demo first: geomon demo (writes data/demo.gpkg)"
    data = stats.stats_json(open_store(DEMO), period=("2023-01-01", "2023-06-30"))
    json.dumps(data, ensure_ascii=False)
    river = _row(data["outlets"]["by_water_body_kind"], "water_body_kind", "河流")
    assert (river["total"], river["rectified"], river["rectified_pct"]) == (113, 110, 97.3)
    lake = _row(data["outlets"]["by_water_body_kind"], "water_body_kind", "湖库")
    assert lake["total"] == 16
    levels = data["sections"]["by_control_level"]
    national = _row(levels, "control_level", "国控")
    provincial = _row(levels, "control_level", "省控")
    assert (national["sections"], national["good"], national["good_pct"]) == (6, 5, 83.3)
    assert (provincial["sections"], provincial["good"], provincial["good_pct"]) == (9, 8, 88.9)
    assert national["failing"] == ["JHGK05"]
    assert provincial["failing"] == ["JHSK08"]
    assert data["sections"]["total"]["no_target"] == ["JHMK02"]
