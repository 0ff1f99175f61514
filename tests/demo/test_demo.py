"""Tests for the synthetic demo dataset (geomon.demo).

The water-quality checks re-derive the section classes by hand (period mean → 82号 rounding →
GB 3838-2002 表1 single-factor), independently of geomon's rules, with the limits typed in from
shared/DOMAIN.md §1.2 and §7. Policy: rounded means (the default of DOMAIN §0 item 1); the
demo's means sit ≥ 5 % from every limit, so the raw-mean policy gives the same classes.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal

from geomon import demo
from geomon.specs import get_spec
from geomon.store import open_store
from geomon.validate import validate as validate_frame

GK_114E = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E, metres
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo.gpkg"
LAYERS = (
    "districts",
    "rivers",
    "lakes",
    "outlets",
    "sections",
    "monitoring",
    "protection_zones",
    "red_lines",
    "control_units",
    "projects",
)
RECTIFIED = {"整治完成", "已销号"}

# GB 3838-2002 表1 limits for classes Ⅰ..Ⅴ (DOMAIN.md §1.2). DO is "≥", the rest "≤".
LIMITS = {
    "DO": (7.5, 6, 5, 3, 2),
    "CODMn": (2, 4, 6, 10, 15),
    "COD": (15, 15, 20, 30, 40),
    "BOD5": (3, 3, 4, 6, 10),
    "NH3N": (0.15, 0.5, 1.0, 1.5, 2.0),
    "TP": (0.02, 0.1, 0.2, 0.3, 0.4),
    "Cu": (0.01, 1.0, 1.0, 1.0, 1.0),
    "Zn": (0.05, 1.0, 1.0, 2.0, 2.0),
    "F": (1.0, 1.0, 1.0, 1.5, 1.5),
    "Se": (0.01, 0.01, 0.01, 0.02, 0.02),
    "As": (0.05, 0.05, 0.05, 0.1, 0.1),
    "Hg": (0.00005, 0.00005, 0.0001, 0.001, 0.001),
    "Cd": (0.001, 0.005, 0.005, 0.005, 0.01),
    "Cr6": (0.01, 0.05, 0.05, 0.05, 0.1),
    "Pb": (0.01, 0.01, 0.05, 0.05, 0.1),
    "CN": (0.005, 0.05, 0.2, 0.2, 0.2),
    "phenol": (0.002, 0.002, 0.005, 0.01, 0.1),
    "petroleum": (0.05, 0.05, 0.05, 0.5, 1.0),
    "LAS": (0.2, 0.2, 0.2, 0.3, 0.3),
    "sulfide": (0.05, 0.1, 0.2, 0.5, 1.0),
}
LAKE_TP = (0.01, 0.025, 0.05, 0.1, 0.2)
# 环办监测函〔2020〕82号 decimals for period means (DOMAIN.md §1.3, §7)
DECIMALS = {
    "pH": 0,
    "DO": 1,
    "CODMn": 1,
    "COD": 1,
    "BOD5": 1,
    "NH3N": 2,
    "TP": 3,
    "Cu": 3,
    "Zn": 3,
    "F": 3,
    "Se": 4,
    "As": 4,
    "Hg": 5,
    "Cd": 5,
    "Cr6": 3,
    "Pb": 3,
    "CN": 3,
    "phenol": 4,
    "petroleum": 2,
    "LAS": 2,
    "sulfide": 3,
}
# HJ 1312-2023 level 1 of each level-2 type (DOMAIN.md §2.2); level 3 only under 工矿企业 types
TYPE_L1 = {
    "工矿企业排污口": "工业排污口",
    "工矿企业雨洪排口": "工业排污口",
    "工业及其他各类园区污水处理厂排污口": "工业排污口",
    "工业及其他各类园区污水处理厂雨洪排口": "工业排污口",
    "城镇污水处理厂排污口": "城镇污水处理厂排污口",
    "规模化畜禽养殖排污口": "农业排口",
    "规模化水产养殖排污口": "农业排口",
}
TYPE_L3 = {
    "工矿企业排污口": {"工业企业排污口", "矿山排污口", "尾矿库排污口"},
    "工矿企业雨洪排口": {"工业企业雨洪排口", "矿山雨洪排口", "尾矿库雨洪排口"},
}
RURAL_OTHER = {
    "大中型灌区排口",
    "规模以下畜禽养殖排污口",
    "规模以下水产养殖排污口",
    "农村污水处理设施排污口",
    "农村生活污水散排口",
}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return demo.build_demo()


@pytest.fixture(scope="module")
def metric(frames: dict[str, pd.DataFrame]) -> dict[str, gpd.GeoDataFrame]:
    return {k: v.to_crs(GK_114E) for k, v in frames.items() if isinstance(v, gpd.GeoDataFrame)}


@pytest.fixture(scope="module")
def city(frames: dict[str, pd.DataFrame]) -> shapely.Geometry:
    return shapely.union_all(frames["districts"].geometry.values)


# ----------------------------------------------------------------------------- shape and types


def test_build_is_deterministic(frames: dict[str, pd.DataFrame]) -> None:
    again = demo.build_demo()
    assert list(again) == list(frames)
    for name, frame in frames.items():
        if isinstance(frame, gpd.GeoDataFrame):
            assert_geodataframe_equal(again[name], frame, check_less_precise=False)
        else:
            assert_frame_equal(again[name], frame)


@pytest.mark.parametrize("layer", LAYERS)
def test_columns_are_the_spec_fields(frames: dict[str, pd.DataFrame], layer: str) -> None:
    spec = get_spec(layer)
    frame = frames[layer]
    extra = ["geometry"] if spec.is_spatial else []
    assert list(frame.columns) == [*spec.field_names, *extra]
    if spec.is_spatial:
        assert isinstance(frame, gpd.GeoDataFrame)
        assert frame.crs.to_epsg() == 4326
    else:
        assert not isinstance(frame, gpd.GeoDataFrame)
    for f in spec.fields:
        if f.type == "date":
            assert pd.api.types.is_datetime64_any_dtype(frame[f.name]), f.name
        elif f.type == "bool":
            assert frame[f.name].dtype == "boolean", f.name


@pytest.mark.parametrize("layer", LAYERS)
def test_enum_values_are_allowed(frames: dict[str, pd.DataFrame], layer: str) -> None:
    spec = get_spec(layer)
    for f in spec.fields:
        if f.type != "enum":
            continue
        allowed = {v.value for v in spec.field(f.name).values}
        used = set(frames[layer][f.name].dropna())
        assert used <= allowed, (f.name, used - allowed)


@pytest.mark.parametrize("layer", LAYERS)
def test_every_demo_layer_validates(frames: dict[str, pd.DataFrame], layer: str) -> None:
    # the 市控 section without a target (JHMK02) is allowed by the spec (issue 17 item 8), so a
    # demo layer exported and imported back is valid
    report = validate_frame(frames[layer], layer).report
    assert [(i.field, i.code) for i in report.issues] == []


@pytest.mark.parametrize("layer", [n for n in LAYERS if n != "monitoring"])
def test_geometries_valid_and_inside_city(
    frames: dict[str, pd.DataFrame], city: shapely.Geometry, layer: str
) -> None:
    geoms = frames[layer].geometry
    assert geoms.is_valid.all()
    assert not geoms.is_empty.any()
    assert geoms.within(city.buffer(1e-6)).all()  # 1e-6° ≈ 0.1 m: output grid tolerance


def test_districts_tile_the_city(metric: dict[str, gpd.GeoDataFrame]) -> None:
    d = metric["districts"]
    assert len(d) == 8
    assert set(d["level"]) == {"区县"}
    assert d["code"].str.fullmatch(r"4299\d\d").all()
    overlap = sum(
        a.intersection(b).area for i, a in enumerate(d.geometry) for b in d.geometry[i + 1 :]
    )
    assert overlap < 1.0  # m²


def test_rivers_and_confluences(metric: dict[str, gpd.GeoDataFrame]) -> None:
    rivers = metric["rivers"].set_index("name")
    assert sorted(rivers["kind"]) == ["干流", "支流", "支流", "运河"]
    main = rivers.geometry[rivers["kind"] == "干流"].iloc[0]
    assert 55_000 < main.length < 75_000
    start, end = main.coords[0], main.coords[-1]
    assert start[0] < end[0]  # digitised west → east, in flow direction
    main_vertices = set(main.coords)
    for name in rivers.index[rivers["kind"] == "支流"]:
        assert rivers.geometry[name].coords[-1] in main_vertices
        assert rivers.at[name, "downstream"] == main_name(rivers)
    for line in rivers.geometry:
        assert line.is_simple
        assert len(line.coords) > 50  # wiggles, not a straight line


def main_name(rivers: gpd.GeoDataFrame) -> str:
    return str(rivers.index[rivers["kind"] == "干流"][0])


# ----------------------------------------------------------------------------- outlets


def test_outlet_counts(frames: dict[str, pd.DataFrame]) -> None:
    o = frames["outlets"]
    river, lake = o[o["water_body_kind"] == "河流"], o[o["water_body_kind"] == "湖库"]
    assert len(river) == 113
    assert river["stage"].isin(RECTIFIED).sum() == 110
    assert len(lake) == 16
    assert {"已排查", "已监测", "已溯源", "已命名编码", "整治中"} <= set(lake["stage"])
    assert (lake["receiving_water"] == frames["lakes"]["name"].iloc[0]).all()


def test_outlet_codes_unique_and_structured(frames: dict[str, pd.DataFrame]) -> None:
    o = frames["outlets"]
    assert o["code"].is_unique
    assert o["local_code"].is_unique
    assert o["name"].is_unique
    assert (o["code"].str[:6] == o["receiving_water_code"]).all()
    assert (o["code"].str[6:12] == o["district_code"]).all()
    assert o["code"].str.fullmatch(r"[A-Z0-9]{6}\d{6}[A-Z]{2}\d{4}").all()


def test_outlet_dates_and_stages(frames: dict[str, pd.DataFrame]) -> None:
    o = frames["outlets"]
    rectified = o["stage"].isin(RECTIFIED)
    assert (o["completed_date"].notna() == rectified).all()
    assert (o.loc[rectified, "completed_date"] >= o.loc[rectified, "survey_date"]).all()
    assert (o["survey_date"].dt.year.isin([2022, 2023])).all()
    on_time = o["completed_date"] <= o["deadline"]
    assert on_time[rectified & o["deadline"].notna()].mean() > 0.8
    overdue = ~rectified & (o["deadline"] < pd.Timestamp("2023-06-30"))
    assert overdue.sum() >= 2
    assert (o.loc[~rectified, "deadline"] == pd.Timestamp("2027-12-31")).any()
    assert o.loc[rectified, "sign_installed"].mean() > 0.7
    early = o["stage"].isin(["已排查", "已监测"])
    assert o.loc[early, "traced_date"].isna().all()
    assert o.loc[~early, "traced_date"].notna().all()


def test_a_few_outlets_have_attachments(frames: dict[str, pd.DataFrame]) -> None:
    o = frames["outlets"].set_index("code")
    attached = o["attachments"].dropna()
    assert attached.to_dict() == {
        "CJ9001429902CS0030": "销号申请表.pdf；监测报告 JHJC-2023-041；"
        "https://hbj.jianghan.example/pwk/CJ9001429902CS0030/closure.pdf",
        "CJ9001429902CS0032": "销号材料（档案号 JH-PWK-2023-052）",
        "CJ9001429902GM0001": "整治方案 江汉环整〔2023〕7号；"
        "https://hbj.jianghan.example/pwk/CJ9001429902GM0001/plan.pdf",
        "CJ9102429922NS0001": "封堵方案（档案号 JH-PWK-2023-015）\n现场核查照片 IMG_0315.jpg",
    }
    closed = o.index[o["stage"] == "已销号"].sort_values()
    assert list(closed[:2]) == ["CJ9001429902CS0030", "CJ9001429902CS0032"]  # the first two
    assert o.loc[demo.PLANTED_OUTLET_CODE, "stage"] == "整治中"
    # links point at the reserved .example domain only
    assert set(attached.str.findall(r"https?://([^/]+)/").sum()) == {"hbj.jianghan.example"}


def test_the_demo_store_is_the_generators(frames: dict[str, pd.DataFrame]) -> None:
    """data/demo.gpkg was regenerated with the current generator (`geomon demo`)."""
    stored = open_store(DEMO).read("outlets")
    assert stored["attachments"].notna().sum() == 4
    assert_geodataframe_equal(stored, frames["outlets"])


def test_outlet_type_hierarchy(frames: dict[str, pd.DataFrame]) -> None:
    o = frames["outlets"]
    expected_l1 = o["type_l2"].map(TYPE_L1).fillna("其他排口")
    assert (o["type_l1"] == expected_l1).all()
    has_l3 = o["type_l2"].isin(TYPE_L3)
    assert o.loc[has_l3, "type_l3"].notna().all()
    assert o.loc[~has_l3, "type_l3"].isna().all()
    for l2, l3 in o.loc[has_l3, ["type_l2", "type_l3"]].itertuples(index=False):
        assert l3 in TYPE_L3[l2]


def test_outlet_type_mix(frames: dict[str, pd.DataFrame]) -> None:
    o = frames["outlets"]
    stormwater = o["type_l2"].str.contains("雨洪").mean()
    rural = ((o["type_l1"] == "农业排口") | o["type_l2"].isin(RURAL_OTHER)).mean()
    assert stormwater == pytest.approx(0.45, abs=0.08)
    assert rural == pytest.approx(0.26, abs=0.08)
    shares = o["category"].value_counts(normalize=True)
    assert set(shares.index) == {"取缔", "合并", "规范", "无需整治"}
    assert shares["规范"] == shares.max()


def test_outlet_district_matches_polygon(frames: dict[str, pd.DataFrame]) -> None:
    o = frames["outlets"]
    joined = gpd.sjoin(o, frames["districts"], predicate="within", how="left")
    assert len(joined) == len(o)
    assert (joined["district_code"] == joined["code_right"]).all()
    assert (joined["district"] == joined["name_right"]).all()


def test_river_outlets_near_their_river(metric: dict[str, gpd.GeoDataFrame]) -> None:
    o = metric["outlets"]
    rivers = metric["rivers"].set_index("name").geometry
    river = o[o["water_body_kind"] == "河流"]
    dist = [
        rivers[w].distance(p) for w, p in zip(river["receiving_water"], river.geometry, strict=True)
    ]
    assert max(dist) < 100.0
    codes = metric["rivers"].set_index("name")["code"]
    assert (river["receiving_water_code"] == river["receiving_water"].map(codes)).all()


def test_lake_outlets_on_the_shore(metric: dict[str, gpd.GeoDataFrame]) -> None:
    o = metric["outlets"]
    lake = metric["lakes"].geometry.iloc[0]
    shore = o[o["water_body_kind"] == "湖库"]
    assert shore.geometry.distance(lake.exterior).max() < 100.0
    assert not shore.geometry.within(lake).any()


def test_exactly_one_outlet_in_a_protection_zone(metric: dict[str, gpd.GeoDataFrame]) -> None:
    hits = gpd.sjoin(metric["outlets"], metric["protection_zones"], predicate="intersects")
    assert hits["code_left"].tolist() == [demo.PLANTED_OUTLET_CODE]
    assert hits["level"].tolist() == ["二级"]


def test_no_outlet_in_a_red_line(metric: dict[str, gpd.GeoDataFrame]) -> None:
    hits = gpd.sjoin(metric["outlets"], metric["red_lines"], predicate="intersects")
    assert hits.empty


# ----------------------------------------------------------------------------- sections


def test_section_counts_and_planted_target(frames: dict[str, pd.DataFrame]) -> None:
    s = frames["sections"]
    assert (s["control_level"] == "国控").sum() == 6
    assert (s["control_level"] == "省控").sum() == 9
    missing = s[s["target_class"].isna()]
    assert missing["code"].tolist() == [demo.PLANTED_SECTION_CODE]
    assert missing["control_level"].tolist() == ["市控"]
    assert (s["water_body_type"] == "湖库").sum() == 1
    assert s.loc[s["cross_boundary"], "boundary_level"].notna().all()
    assert s.loc[~s["cross_boundary"], "boundary_level"].isna().all()


def test_sections_on_their_water(metric: dict[str, gpd.GeoDataFrame]) -> None:
    s = metric["sections"]
    waters = pd.concat([metric["rivers"], metric["lakes"]]).set_index("name").geometry
    for water, p in zip(s["river"], s.geometry, strict=True):
        assert waters[water].distance(p) < 1.0


def test_section_district_matches_polygon(frames: dict[str, pd.DataFrame]) -> None:
    joined = gpd.sjoin(frames["sections"], frames["districts"], predicate="within", how="left")
    assert (joined["district_code"] == joined["code_right"]).all()


# ----------------------------------------------------------------------------- water quality


def _round(value: float, decimals: int) -> float:
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(q, rounding=ROUND_HALF_EVEN))


def _ph_mean(values: pd.Series) -> float:
    return -math.log10(float((10.0**-values).mean()))


def _item_class(item: str, value: float, *, lake: bool) -> int:
    if item == "pH":
        return 1 if 6 <= value <= 9 else 6
    limits = LAKE_TP if item == "TP" and lake else LIMITS[item]
    for cls, limit in enumerate(limits, start=1):
        if (value >= limit) if item == "DO" else (value <= limit):
            return cls
    return 6  # 劣Ⅴ


def _period_means(samples: pd.DataFrame) -> dict[str, float]:
    """Jan–Jun means of the assessed items present (WT, TN, FC are not assessed)."""
    means = {}
    for item in ("pH", *LIMITS):
        values = samples[item].dropna()
        if len(values):
            means[item] = _ph_mean(values) if item == "pH" else float(values.mean())
    return means


def _section_classes(frames: dict[str, pd.DataFrame]) -> dict[str, tuple[int, str]]:
    """Cumulative Jan–Jun class and worst item of every section, by hand."""
    m = frames["monitoring"]
    lake = frames["sections"].set_index("code")["water_body_type"] == "湖库"
    out = {}
    for code, samples in m.groupby("section_code"):
        means = _period_means(samples)
        classes = {
            item: _item_class(item, _round(v, DECIMALS[item]), lake=bool(lake[code]))
            for item, v in means.items()
        }
        worst = max(classes, key=lambda k: classes[k])
        out[str(code)] = (classes[worst], worst)
    return out


def test_monitoring_one_sample_a_month(frames: dict[str, pd.DataFrame]) -> None:
    m = frames["monitoring"]
    assert len(m) == 6 * len(frames["sections"])
    assert set(m["section_code"]) == set(frames["sections"]["code"])
    months = m.groupby("section_code")["date"].apply(lambda d: sorted(d.dt.month))
    assert all(v == [1, 2, 3, 4, 5, 6] for v in months)
    assert (m["date"].dt.year == 2023).all()
    assert m[["pH", "DO", "CODMn", "NH3N", "TP"]].notna().all().all()


@pytest.mark.parametrize(
    ("level", "good", "total", "share"),
    [pytest.param("国控", 5, 6, 83.3, id="national"), pytest.param("省控", 8, 9, 88.9, id="prov")],
)
def test_cumulative_good_share(
    frames: dict[str, pd.DataFrame], level: str, good: int, total: int, share: float
) -> None:
    classes = _section_classes(frames)
    s = frames["sections"]
    codes = s.loc[s["control_level"] == level, "code"]
    n_good = sum(classes[c][0] <= 3 for c in codes)
    assert (n_good, len(codes)) == (good, total)
    assert round(100 * n_good / len(codes), 1) == share


def test_bad_sections_and_why(frames: dict[str, pd.DataFrame]) -> None:
    classes = _section_classes(frames)
    bad = {c: v for c, v in classes.items() if v[0] > 3}
    assert bad == {"JHGK05": (4, "TP"), "JHSK08": (5, "NH3N")}


def test_lake_section_needs_lake_tp_limits(frames: dict[str, pd.DataFrame]) -> None:
    m = frames["monitoring"]
    tp = _round(float(m.loc[m["section_code"] == "JHGK05", "TP"].mean()), 3)
    assert _item_class("TP", tp, lake=True) == 4
    assert _item_class("TP", tp, lake=False) == 2


def test_some_sections_meet_class_ii(frames: dict[str, pd.DataFrame]) -> None:
    classes = _section_classes(frames)
    assert classes["JHGK01"][0] == 2
    assert sum(v[0] == 2 for v in classes.values()) >= 2


def test_period_means_keep_a_margin_from_every_limit(frames: dict[str, pd.DataFrame]) -> None:
    lake = set(frames["sections"].loc[frames["sections"]["water_body_type"] == "湖库", "code"])
    for code, samples in frames["monitoring"].groupby("section_code"):
        for item, mean in _period_means(samples).items():
            if item == "pH":
                assert 6.5 < mean < 8.5
                continue
            limits = LAKE_TP if item == "TP" and code in lake else LIMITS[item]
            for limit in limits:
                assert abs(mean - limit) / limit >= 0.05, (code, item, mean, limit)


def test_one_good_section_has_a_single_bad_month(frames: dict[str, pd.DataFrame]) -> None:
    m = frames["monitoring"]
    samples = m[m["section_code"] == "JHGK02"].sort_values("date")
    worse = [
        (row.date.month, item)
        for row in samples.itertuples()
        for item in ("pH", *LIMITS)
        if not pd.isna(getattr(row, item)) and _item_class(item, getattr(row, item), lake=False) > 3
    ]
    assert worse == [(1, "NH3N")]
    assert _section_classes(frames)["JHGK02"][0] == 3


# ----------------------------------------------------------------------------- zones and projects


def test_protection_zones(metric: dict[str, gpd.GeoDataFrame]) -> None:
    z = metric["protection_zones"]
    scale = z.drop_duplicates("source_code")["source_scale"].value_counts()
    assert scale.to_dict() == {"乡镇级": 4, "城市级": 2}
    assert z["code"].is_unique
    for _, zones in z.groupby("source_code"):
        geoms = list(zones.geometry)
        assert sum(a.intersection(b).area for i, a in enumerate(geoms) for b in geoms[i + 1 :]) < 1
    river_city = z[(z["source_scale"] == "城市级") & (z["source_type"] == "河流型")]
    assert sorted(river_city["level"]) == ["一级", "二级", "准保护区"]
    assert len(river_city.loc[river_city["level"] == "二级"].geometry.iloc[0].interiors) == 1


def test_red_lines(metric: dict[str, gpd.GeoDataFrame]) -> None:
    red = metric["red_lines"]
    assert {"湿地", "湖泊", "森林"} <= set(red["eco_type"])
    assert (red["version"] == "红线 2023 批复版").all()
    assert sum(len(g.interiors) for g in red.geometry) >= 1


def test_control_units_cover_the_city(metric: dict[str, gpd.GeoDataFrame]) -> None:
    units = metric["control_units"]
    city = shapely.union_all(metric["districts"].geometry.values)
    assert units["code"].is_unique
    assert units["code"].str.fullmatch(r"ZH4299\d\d[123]\d{4}").all()
    assert set(units["unit_type"]) == {"优先保护单元", "重点管控单元", "一般管控单元"}
    assert units.area.sum() == pytest.approx(city.area, rel=1e-6)  # no overlaps ...
    assert shapely.union_all(units.geometry.values).area == pytest.approx(city.area, rel=1e-6)
    red = shapely.union_all(metric["red_lines"].geometry.values)
    prio = units[units["unit_type"] == "优先保护单元"]
    assert shapely.union_all(prio.geometry.values).intersection(red).area == pytest.approx(
        red.area, rel=1e-4
    )


def _one(frame: gpd.GeoDataFrame, column: str, value: str) -> shapely.Geometry:
    return frame.loc[frame[column] == value].geometry.iloc[0]


def test_projects_cover_the_siting_situations(metric: dict[str, gpd.GeoDataFrame]) -> None:
    p = metric["projects"].set_index("id").geometry
    z, red = metric["protection_zones"], metric["red_lines"]
    zone = {
        lvl: shapely.union_all(z.geometry[z["level"] == lvl].values)
        for lvl in ("一级", "二级", "准保护区")
    }
    red_all = shapely.union_all(red.geometry.values)
    wetland, forest = _one(red, "eco_type", "湿地"), _one(red, "eco_type", "森林")
    assert p["XM2023-001"].within(zone["二级"])
    assert not p["XM2023-002"].intersects(red_all.union(zone["二级"]).union(zone["一级"]))
    share = p["XM2023-003"].intersection(wetland).area / p["XM2023-003"].area
    assert 0.05 < share < 0.6
    assert p["XM2023-004"].geom_type == "LineString"
    assert p["XM2023-004"].crosses(wetland)
    assert p["XM2023-005"].within(zone["一级"])
    assert 100 < p["XM2023-006"].distance(red_all) < 500
    assert p["XM2023-007"].within(forest)
    everything = red_all.union(shapely.union_all(z.geometry.values))
    assert p["XM2023-008"].distance(everything) > 2_000
    assert p["XM2023-009"].within(zone["一级"])
    assert p["XM2023-010"].representative_point().within(zone["准保护区"])
    assert set(metric["projects"].geom_type) == {"Point", "LineString", "Polygon"}


# ----------------------------------------------------------------------------- writing


def test_write_demo_round_trip(tmp_path: Path, frames: dict[str, pd.DataFrame]) -> None:
    path = tmp_path / "d.gpkg"
    path.write_bytes(b"stale")  # replaced, not appended to
    stats = demo.write_demo(path)
    assert set(stats) == set(LAYERS)
    store = open_store(path)
    # the problems (issue #20) are written after the layers, with their history: see below
    assert sorted(store.layer_names()) == sorted([*LAYERS, "inspections", "problems"])
    for name, frame in frames.items():
        back = store.read(name)
        assert len(back) == len(frame) == stats[name].rows_after, name
        if isinstance(frame, gpd.GeoDataFrame):
            assert_geodataframe_equal(back, frame)
        else:
            assert_frame_equal(back, frame)
        info = store.info(name)
        assert info is not None
        assert (info.source, info.version) == (demo.SOURCE, demo.VERSION)


def test_the_demo_problems_and_their_history(tmp_path: Path) -> None:
    """The handful of problems (geomon/demo/problems.py): one red card, a full loop, evidence."""
    from geomon.supervision import problems as sp

    store = open_store(tmp_path / "d.gpkg")
    demo.write_demo(store.url)
    table = sp.problem_list(store.read("problems"), as_of="2026-12-01")
    got = dict(
        zip(
            table["id"],
            zip(table["source"], table["status"], table["card"], strict=True),
            strict=True,
        )
    )
    assert got == {
        "P2023-001": ("督察反馈", "整改中", None),  # the source zone, due 2027-12-31
        "P2023-002": ("排查", "整改中", "red"),  # the overdue outlet, due 2023-08-02
        "P2023-003": ("巡查", "已销号", None),
        "P2023-004": ("监测预警", "已销号", None),
        "P2023-005": ("信访投诉", "待整改", None),
    }
    steps = sp.steps_of(store.history("problems", "P2023-003"))
    assert list(steps["to"]) == ["待整改", "整改中", "待核查", "整改中", "待核查", "已销号"]
    assert list(steps["user"])[-2:] == [
        "王明",
        "李娜",
    ]  # four eyes: reported by one, closed by another
    photos = store.files("problems", "P2023-003")
    assert list(photos["name"]) == ["巡查发现.jpg", "整改后1.jpg", "整改后2.jpg"]
    assert list(photos["taken_at"]) == [
        "2023-07-05T09:40:12",
        "2023-08-20T15:02:40",
        "2023-09-10T10:11:05",
    ]
    outlet = store.read("outlets").set_index("code").loc["CJ9301429924CY0010", "geometry"]
    assert (
        abs(photos["lon"].iloc[0] - outlet.x) < 1e-5
        and abs(photos["lat"].iloc[0] - outlet.y) < 1e-5
    )
    assert list(store.files("problems", "P2023-004")["media_type"]) == ["application/pdf"]
    (visit,) = store.read("inspections").to_dict("records")
    assert (visit["id"], visit["problems"], visit["position_source"]) == (
        "XC20230705-001", "P2023-003", "照片",
    )  # fmt: skip
    assert list(store.files("inspections", "XC20230705-001")["name"]) == ["巡查发现.jpg"]
