"""Tests for geomon.rules.water_quality.

Every expected class below was worked out by hand from shared/DOMAIN.md §1.2 (GB 3838-2002 表1)
and §1.3 (环办〔2011〕22号, 82号 rounding); none is computed with the module. Tests that go through
period means say which rounding policy they expect: "rounded" (82号 decimals, the default) or
"raw".
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomon.errors import GeomonError
from geomon.rules import water_quality as wq
from geomon.rules.water_quality import Exceedance, ParamResult, WaterQualityError
from geomon.specs import Label

# (limit, class just under, class at, class just over), typed from GB 3838-2002 表1 (DOMAIN §1.2).
# Shared limits give the best class, so "at" and "under" are the first class with that limit.
BOUNDARIES: dict[str, list[tuple[float, str, str, str]]] = {
    "pH": [(6, "劣V", "I", "I"), (9, "I", "I", "劣V")],
    "DO": [
        (7.5, "II", "I", "I"),
        (6, "III", "II", "II"),
        (5, "IV", "III", "III"),
        (3, "V", "IV", "IV"),
        (2, "劣V", "V", "V"),
    ],
    "CODMn": [
        (2, "I", "I", "II"),
        (4, "II", "II", "III"),
        (6, "III", "III", "IV"),
        (10, "IV", "IV", "V"),
        (15, "V", "V", "劣V"),
    ],
    "COD": [
        (15, "I", "I", "III"),
        (20, "III", "III", "IV"),
        (30, "IV", "IV", "V"),
        (40, "V", "V", "劣V"),
    ],
    "BOD5": [
        (3, "I", "I", "III"),
        (4, "III", "III", "IV"),
        (6, "IV", "IV", "V"),
        (10, "V", "V", "劣V"),
    ],
    "NH3N": [
        (0.15, "I", "I", "II"),
        (0.5, "II", "II", "III"),
        (1.0, "III", "III", "IV"),
        (1.5, "IV", "IV", "V"),
        (2.0, "V", "V", "劣V"),
    ],
    "TP": [
        (0.02, "I", "I", "II"),
        (0.1, "II", "II", "III"),
        (0.2, "III", "III", "IV"),
        (0.3, "IV", "IV", "V"),
        (0.4, "V", "V", "劣V"),
    ],
    "Cu": [(0.01, "I", "I", "II"), (1.0, "II", "II", "劣V")],
    "Zn": [(0.05, "I", "I", "II"), (1.0, "II", "II", "IV"), (2.0, "IV", "IV", "劣V")],
    "F": [(1.0, "I", "I", "IV"), (1.5, "IV", "IV", "劣V")],
    "Se": [(0.01, "I", "I", "IV"), (0.02, "IV", "IV", "劣V")],
    "As": [(0.05, "I", "I", "IV"), (0.1, "IV", "IV", "劣V")],
    "Hg": [(0.00005, "I", "I", "III"), (0.0001, "III", "III", "IV"), (0.001, "IV", "IV", "劣V")],
    "Cd": [(0.001, "I", "I", "II"), (0.005, "II", "II", "V"), (0.01, "V", "V", "劣V")],
    "Cr6": [(0.01, "I", "I", "II"), (0.05, "II", "II", "V"), (0.1, "V", "V", "劣V")],
    "Pb": [(0.01, "I", "I", "III"), (0.05, "III", "III", "V"), (0.1, "V", "V", "劣V")],
    "CN": [(0.005, "I", "I", "II"), (0.05, "II", "II", "III"), (0.2, "III", "III", "劣V")],
    "phenol": [
        (0.002, "I", "I", "III"),
        (0.005, "III", "III", "IV"),
        (0.01, "IV", "IV", "V"),
        (0.1, "V", "V", "劣V"),
    ],
    "petroleum": [(0.05, "I", "I", "IV"), (0.5, "IV", "IV", "V"), (1.0, "V", "V", "劣V")],
    "LAS": [(0.2, "I", "I", "IV"), (0.3, "IV", "IV", "劣V")],
    "sulfide": [
        (0.05, "I", "I", "II"),
        (0.1, "II", "II", "III"),
        (0.2, "III", "III", "IV"),
        (0.5, "IV", "IV", "V"),
        (1.0, "V", "V", "劣V"),
    ],
}
STEP = 1e-3  # "just under/over" = limit × (1 ∓ 0.1 %): far from any neighbouring limit


def _boundary_cases() -> list[object]:
    cases = []
    for param, rows in BOUNDARIES.items():
        for limit, under, at, over in rows:
            for kind, value, expected in (
                ("under", limit * (1 - STEP), under),
                ("at", limit, at),
                ("over", limit * (1 + STEP), over),
            ):
                cases.append(pytest.param(param, value, expected, id=f"{param}-{kind}-{limit:g}"))
    return cases


def test_boundaries_cover_every_assessed_item() -> None:
    assert set(BOUNDARIES) == set(wq.ASSESSED)


@pytest.mark.parametrize(("param", "value", "expected"), _boundary_cases())
def test_item_class_at_and_around_each_limit(param: str, value: float, expected: str) -> None:
    assert wq.item_class(param, value) == expected


@pytest.mark.parametrize(
    ("param", "value", "water_body", "expected"),
    [
        pytest.param("DO", 7.5, "river", "I", id="DO-7.5-I"),
        pytest.param("DO", 7.49, "river", "II", id="DO-7.49-II"),
        pytest.param("DO", 2, "river", "V", id="DO-2-V"),
        pytest.param("DO", 1.99, "river", "劣V", id="DO-1.99-worse-than-V"),
        pytest.param("COD", 15, "river", "I", id="shared-COD-15-I"),
        pytest.param("Cu", 0.5, "river", "II", id="shared-Cu-0.5-II"),
        pytest.param("F", 1.0, "river", "I", id="shared-F-1.0-I"),
        pytest.param("TP", 0.05, "river", "II", id="TP-0.05-river-II"),
        pytest.param("TP", 0.05, "lake", "III", id="TP-0.05-lake-III"),
        pytest.param("TP", 0.01, "lake", "I", id="TP-lake-at-I"),
        pytest.param("TP", 0.025, "lake", "II", id="TP-lake-at-II"),
        pytest.param("TP", 0.1, "lake", "IV", id="TP-lake-at-IV"),
        pytest.param("TP", 0.2, "lake", "V", id="TP-lake-at-V"),
        pytest.param("TP", 0.21, "lake", "劣V", id="TP-lake-over-V"),
        pytest.param("pH", 5.9, "river", "劣V", id="pH-5.9"),
        pytest.param("pH", 9.1, "river", "劣V", id="pH-9.1"),
        pytest.param("pH", 7, "river", "I", id="pH-7"),
        pytest.param("CODMn", 20, "river", "劣V", id="above-V-CODMn"),
        pytest.param("NH3N", 2.3, "river", "劣V", id="above-V-NH3N"),
        pytest.param("TN", 1.2, "lake", "IV", id="TN-lake-reference-class"),
        pytest.param("TN", 1.2, "river", None, id="TN-river-not-evaluated"),
        pytest.param("FC", 2000, "river", "II", id="FC-at-II"),
        pytest.param("FC", 40001, "river", "劣V", id="FC-over-V"),
        pytest.param("WT", 25.0, "river", None, id="WT-never-classified"),
        pytest.param("CODMn", math.nan, "river", None, id="NaN-is-None"),
        pytest.param("CODMn", None, "river", None, id="None-is-None"),
    ],
)
def test_item_class_rules(param: str, value: float, water_body: str, expected: str | None) -> None:
    assert wq.item_class(param, value, water_body=water_body) == expected  # type: ignore[arg-type]


def test_item_class_rejects_unknown_parameter_and_water_body() -> None:
    with pytest.raises(WaterQualityError, match=r"Unknown parameter 'NH3-N'"):
        wq.item_class("NH3-N", 1.0)
    with pytest.raises(WaterQualityError, match=r"`water_body` must be"):
        wq.item_class("TP", 0.1, water_body="sea")  # type: ignore[arg-type]


def test_items_metadata_and_assessed_set() -> None:
    assert len(wq.ITEMS) == 24
    assert set(wq.ITEMS) - set(wq.ASSESSED) == {"WT", "TN", "FC"}
    assert len(wq.ASSESSED) == 21
    assert (wq.ITEMS["NH3N"].name, wq.ITEMS["NH3N"].code) == ("氨氮", "w21003")
    assert (wq.ITEMS["DO"].name, wq.ITEMS["DO"].code) == ("溶解氧", "w01009")
    assert wq.ITEMS["FC"].unit == "个/L"
    assert wq.CITATION_GB3838 == "GB 3838-2002 表1"


# --- samples ------------------------------------------------------------------------------------


def test_missing_item_is_not_assessed_and_never_clean() -> None:
    a = wq.classify_sample({"CODMn": 3.0, "NH3N": math.nan, "conductivity": 500.0})

    assert a.klass == "II"
    assert "NH3N" in a.not_assessed  # NaN counts as missing
    assert "TP" in a.not_assessed
    assert len(a.not_assessed) == 20
    assert set(a.params) == {"CODMn"}


def test_sample_without_assessed_items_has_no_class() -> None:
    a = wq.classify_sample({"WT": 20.0, "FC": 100.0})

    assert a.klass is None
    assert a.status is None
    assert a.limiting == ()
    assert a.params["FC"] == ParamResult(100.0, "I", "reference")
    assert len(a.not_assessed) == 21


def test_tn_is_ignored_for_rivers() -> None:
    a = wq.classify_sample({"CODMn": 3.0, "TN": 5.0}, water_body="river")

    assert a.klass == "II"
    assert a.params["TN"] == ParamResult(5.0, None, "none")


def test_tn_is_reference_only_for_lakes() -> None:
    a = wq.classify_sample({"CODMn": 3.0, "TN": 5.0}, water_body="lake")

    assert a.klass == "II"
    assert a.params["TN"] == ParamResult(5.0, "劣V", "reference")
    assert a.limiting == ("CODMn",)


def test_fc_is_reference_only() -> None:
    a = wq.classify_sample({"CODMn": 3.0, "FC": 50000.0})

    assert a.klass == "II"
    assert a.params["FC"] == ParamResult(50000.0, "劣V", "reference")
    assert a.exceedances == ()


def test_exceedance_multiples_against_class_iii() -> None:
    # NH3-N 2.3 > 2.0 (V) → 劣V; (2.3 − 1.0) / 1.0 = 1.3. TP 0.32: 0.3 < 0.32 ≤ 0.4 → V by 表1
    # (river); (0.32 − 0.2) / 0.2 = 0.6. Matches the Guangdong report "氨氮/1.3、总磷/0.6".
    a = wq.classify_sample({"NH3N": 2.3, "TP": 0.32, "DO": 6.5}, target="III")

    assert a.klass == "劣V"
    assert a.params["NH3N"].klass == "劣V"
    assert a.params["TP"].klass == "V"
    assert a.exceedances == (Exceedance("NH3N", 2.3, 1.0, 1.3), Exceedance("TP", 0.32, 0.2, 0.6))
    assert a.limiting == ("NH3N",)
    assert a.status == "重度污染"
    assert a.meets_target is False


def test_exceedance_uses_lake_tp_limit_for_lakes() -> None:
    # lake TP 0.08: 0.05 < 0.08 ≤ 0.1 → IV; (0.08 − 0.05) / 0.05 = 0.6
    a = wq.classify_sample({"TP": 0.08}, water_body="lake")

    assert a.klass == "IV"
    assert a.exceedances == (Exceedance("TP", 0.08, 0.05, 0.6),)


def test_no_multiple_for_ph_and_do() -> None:
    a = wq.classify_sample({"pH": 9.5, "DO": 2.5, "WT": 30.0})

    assert a.klass == "劣V"
    assert a.exceedances == ()
    assert a.main_pollutants == ("pH", "DO")  # 劣V before V


def test_exceedance_against_target_option() -> None:
    # CODMn 5: III. Against III nothing exceeds; against target II (limit 4): (5 − 4) / 4 = 0.25.
    values = {"CODMn": 5.0}

    assert wq.classify_sample(values, target="II").exceedances == ()
    a = wq.classify_sample(values, target="II", against="target")
    assert a.exceedances == (Exceedance("CODMn", 5.0, 4.0, 0.25),)
    assert a.meets_target is False
    assert a.main_pollutants == ()  # III is 良好: no main pollutants


def test_main_pollutants_rank_heavy_metals_then_class_then_multiple() -> None:
    # Pb 0.06 → V (priority metal); CODMn 12 → V, (12−6)/6 = 1.0; TP 0.35 → V, (0.35−0.2)/0.2 =
    # 0.75; COD 25 → IV, 0.25; NH3N 1.2 → IV, 0.2. Top 3: Pb first, then the V items by multiple.
    a = wq.classify_sample({"Pb": 0.06, "CODMn": 12, "TP": 0.35, "COD": 25, "NH3N": 1.2})

    assert a.klass == "V"
    assert a.status == "中度污染"
    assert a.main_pollutants == ("Pb", "CODMn", "TP")
    assert a.limiting == ("CODMn", "TP", "Pb")


def test_limiting_lists_every_item_at_the_sample_class() -> None:
    a = wq.classify_sample({"CODMn": 5.0, "NH3N": 0.8, "TP": 0.05, "pH": 7.2})

    assert a.klass == "III"
    assert a.limiting == ("CODMn", "NH3N")
    assert a.status == "良好"
    assert a.main_pollutants == ()


@pytest.mark.parametrize(
    ("values", "status"),
    [
        pytest.param({"CODMn": 1.0}, "优", id="I"),
        pytest.param({"CODMn": 3.0}, "优", id="II"),
        pytest.param({"CODMn": 5.0}, "良好", id="III"),
        pytest.param({"CODMn": 8.0}, "轻度污染", id="IV"),
        pytest.param({"CODMn": 12.0}, "中度污染", id="V"),
        pytest.param({"CODMn": 16.0}, "重度污染", id="worse-than-V"),
    ],
)
def test_status_words(values: dict[str, float], status: str) -> None:
    assert wq.classify_sample(values).status == status


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        pytest.param(5.0, "Ⅲ类", True, id="III-meets-III"),
        pytest.param(3.0, "3", True, id="II-meets-III"),
        pytest.param(8.0, "III", False, id="IV-misses-III"),
        pytest.param(5.0, "II", False, id="III-misses-II"),
        pytest.param(5.0, None, None, id="no-target"),
    ],
)
def test_meets_target(value: float, target: str | None, expected: bool | None) -> None:
    a = wq.classify_sample({"CODMn": value}, target=target)

    assert a.meets_target is expected


def test_assessed_subset_for_5_plus_x() -> None:
    a = wq.classify_sample({"CODMn": 3.0, "Cu": 1.5}, assessed=["pH", "DO", "CODMn", "NH3N", "TP"])

    assert a.klass == "II"  # Cu is not in this "5+X" set
    assert a.not_assessed == ("pH", "DO", "NH3N", "TP")
    assert a.params["Cu"] == ParamResult(1.5, "劣V", "none")


# --- class labels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Ⅲ", "III"),
        ("Ⅲ类", "III"),
        ("3", "III"),
        ("III", "III"),
        ("iii", "III"),
        (" Ⅱ类 ", "II"),
        ("Ⅰ", "I"),
        ("5", "V"),
        ("Ⅳ", "IV"),
        ("劣Ⅴ", "劣V"),
        ("劣V类", "劣V"),
        ("劣Ⅴ类", "劣V"),
    ],
)
def test_parse_class(label: str, expected: str) -> None:
    assert wq.parse_class(label) == expected


@pytest.mark.parametrize("label", ["6", "0", "VI", "劣III", "", "good"])
def test_parse_class_rejects_unknown_labels(label: str) -> None:
    with pytest.raises(WaterQualityError, match="Unknown water-quality class"):
        wq.parse_class(label)


def test_class_labels_and_colours_come_from_gb3838_toml() -> None:
    assert list(wq.CLASS_LABELS) == list(wq.CLASS_COLORS) == list(wq.CLASSES)
    assert wq.CLASS_LABELS["III"] == Label("Ⅲ类", "Class III")
    assert wq.CLASS_LABELS["劣V"] == Label("劣Ⅴ类", "Worse than V")
    assert (wq.CLASS_COLORS["I"], wq.CLASS_COLORS["III"], wq.CLASS_COLORS["劣V"]) == (
        "#1565c0",  # blue
        "#2e9d3a",  # green
        "#e31a1c",  # red
    )
    # every printed label reads back as its class
    assert [wq.parse_class(label.zh) for label in wq.CLASS_LABELS.values()] == list(wq.CLASSES)


def test_water_quality_error_is_a_geomon_value_error() -> None:
    assert issubclass(WaterQualityError, GeomonError)
    assert issubclass(WaterQualityError, ValueError)


def test_class_helpers() -> None:
    assert wq.CLASSES == ("I", "II", "III", "IV", "V", "劣V")
    assert [wq.class_rank(c) for c in ("I", "Ⅲ类", "劣V")] == [0, 2, 5]
    assert wq.is_good("III") and not wq.is_good("IV")
    assert wq.meets("II", "III") and wq.meets("III", "III")
    assert not wq.meets("IV", "III") and not wq.meets("劣V", "V")


# --- period means --------------------------------------------------------------------------------


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def test_ph_mean_via_hydrogen_ions_raw() -> None:
    # −log10((10^−6 + 10^−8) / 2) = −log10(5.05e−7) = 7 − log10(5.05) = 6.2967 ≈ 6.30
    df = _frame([{"section_code": "A", "pH": 6.0}, {"section_code": "A", "pH": 8.0}])

    means = wq.period_means(df, rounded=False)

    assert means.loc["A", "pH"] == pytest.approx(6.2967, abs=1e-4)


def test_ph_mean_rounded_policy_keeps_no_decimals() -> None:
    df = _frame([{"section_code": "A", "pH": 6.0}, {"section_code": "A", "pH": 8.0}])

    assert wq.period_means(df).loc["A", "pH"] == 6.0  # 82号: pH 0 decimals


def test_codmn_6_04_is_iii_under_rounded_policy() -> None:
    df = _frame([{"section_code": "A", "CODMn": 6.0}, {"section_code": "A", "CODMn": 6.08}])

    assert wq.period_means(df).loc["A", "CODMn"] == 6.0
    assert wq.classify_period(df)["class"].tolist() == ["III"]


def test_codmn_6_04_is_iv_under_raw_policy() -> None:
    df = _frame([{"section_code": "A", "CODMn": 6.0}, {"section_code": "A", "CODMn": 6.08}])

    assert wq.period_means(df, rounded=False).loc["A", "CODMn"] == pytest.approx(6.04)
    assert wq.classify_period(df, rounded=False)["class"].tolist() == ["IV"]


def test_rounded_policy_rounds_half_to_even() -> None:
    # NH3N (2 decimals): means 0.125 → 0.12 and 0.135 → 0.14 (half to even, not half up)
    df = _frame(
        [
            {"section_code": "A", "NH3N": 0.124},
            {"section_code": "A", "NH3N": 0.126},
            {"section_code": "B", "NH3N": 0.134},
            {"section_code": "B", "NH3N": 0.136},
        ]
    )

    assert wq.period_means(df)["NH3N"].tolist() == [0.12, 0.14]


def test_period_means_needs_section_code() -> None:
    with pytest.raises(WaterQualityError, match="no 'section_code' column"):
        wq.period_means(pd.DataFrame({"CODMn": [1.0]}))


# Six months for two sections, worked out by hand (rounded policy, the default):
#   A (river, target Ⅲ类): CODMn 30/6 = 5.0 → III; NH3N 3.0/6 = 0.5 → II; TP 0.9/6 = 0.15 → III;
#     DO 42/6 = 7.0 → II; pH 7 → I. Class III (CODMn, TP) although April alone is IV.
#   B (lake, target "2" = II): CODMn 3 → II; NH3N 12.6/6 = 2.1 → 劣V, (2.1 − 1)/1 = 1.1;
#     TP 0.42/6 = 0.07 → lake IV, (0.07 − 0.05)/0.05 = 0.4; TN 1.2 → IV (reference only).
MONTHS = [f"2024-0{m}-15" for m in range(1, 7)]
SECTION_A = {
    "CODMn": [4, 5, 6, 7, 4, 4],
    "NH3N": [0.4, 0.6, 0.5, 0.5, 0.4, 0.6],
    "TP": [0.1, 0.15, 0.2, 0.25, 0.1, 0.1],
    "DO": [7, 7, 6, 6, 8, 8],
    "pH": [7, 7, 7, 7, 7, 7],
}
SECTION_B = {
    "CODMn": [3, 3, 3, 3, 3, 3],
    "NH3N": [1.6, 1.8, 2.0, 2.2, 2.4, 2.6],
    "TP": [0.06, 0.07, 0.08, 0.06, 0.07, 0.08],
    "TN": [1.2, 1.2, 1.2, 1.2, 1.2, 1.2],
}


@pytest.fixture
def half_year() -> pd.DataFrame:
    """Two sections × six monthly samples, as a reader would deliver them."""
    rows = []
    for code, values, target in (("A", SECTION_A, "Ⅲ类"), ("B", SECTION_B, "2")):
        for i, date in enumerate(MONTHS):
            row = {"section_code": code, "date": pd.Timestamp(date), "target": target}
            rows.append(row | {k: float(v[i]) for k, v in values.items()})
    return pd.DataFrame(rows)


def test_classify_period_rounded_policy(half_year: pd.DataFrame) -> None:
    before = half_year.copy()

    result = wq.classify_period(half_year, water_bodies={"B": "lake"})

    pd.testing.assert_frame_equal(half_year, before)  # input never mutated
    assert result["section_code"].tolist() == ["A", "B"]
    assert result["class"].tolist() == ["III", "劣V"]
    assert result["status"].tolist() == ["良好", "重度污染"]
    assert result["target"].tolist() == ["III", "II"]
    assert result["meets_target"].tolist() == [True, False]
    assert result["water_body"].tolist() == ["river", "lake"]
    a, b = result.iloc[0], result.iloc[1]
    assert a["limiting"] == ("CODMn", "TP")
    assert a["exceedances"] == ()
    assert a["params"]["DO"] == ParamResult(7.0, "II", "assessed")
    assert b["limiting"] == ("NH3N",)
    assert b["main_pollutants"] == ("NH3N", "TP")
    assert b["exceedances"] == (
        Exceedance("NH3N", 2.1, 1.0, 1.1),
        Exceedance("TP", 0.07, 0.05, 0.4),
    )
    assert b["params"]["TN"] == ParamResult(1.2, "IV", "reference")


def test_classify_period_targets_argument_overrides_column(half_year: pd.DataFrame) -> None:
    result = wq.classify_period(half_year, targets={"A": "Ⅱ类"})

    assert result["target"].tolist() == ["II", "II"]
    assert result["meets_target"].tolist() == [False, False]


def test_classify_period_rejects_two_targets_for_one_section(half_year: pd.DataFrame) -> None:
    bad = half_year.copy()
    bad.loc[0, "target"] = "IV"

    with pytest.raises(WaterQualityError, match=r"Section 'A' has several targets"):
        wq.classify_period(bad)


# --- networks and rivers -------------------------------------------------------------------------


def test_network_shares_5_of_6() -> None:
    shares = wq.network_shares(["II", "III", "I", "II", "Ⅲ类", "IV", None])

    assert shares["assessed"] == 6
    assert shares["not_assessed"] == 1
    assert shares["good_pct"] == 83.3
    assert shares["worst_pct"] == 0.0
    assert shares["counts"] == {"I": 1, "II": 2, "III": 2, "IV": 1, "V": 0, "劣V": 0}


def test_network_shares_8_of_9() -> None:
    shares = wq.network_shares(["II"] * 8 + ["劣V"])

    assert shares["good_pct"] == 88.9
    assert shares["worst_pct"] == 11.1
    assert shares["meets_target_pct"] is None


def test_network_shares_target_compliance() -> None:
    # 2 of the 3 sections with class and target meet it; the section without a target is left out
    shares = wq.network_shares(["II", "IV", "III", "I"], targets=["III", "III", "II", None])

    assert shares["meets_target_pct"] == 33.3


def test_network_shares_of_nothing() -> None:
    shares = wq.network_shares([None, None])

    assert (shares["assessed"], shares["good_pct"], shares["worst_pct"]) == (0, None, None)


@pytest.mark.parametrize(
    ("classes", "status"),
    [
        pytest.param(["II"] * 9 + ["IV"], "优", id="9-of-10-good"),
        pytest.param(["II"] * 8 + ["IV"] * 2, "良好", id="8-of-10-good"),
        pytest.param(["II"] * 6 + ["IV"] * 2, "良好", id="75pct-good-inclusive"),
        pytest.param(["II"] * 7 + ["IV"] * 2 + ["劣V"], "轻度污染", id="70-good-10-worst"),
        pytest.param(["II"] * 5 + ["IV"] * 2 + ["劣V"] * 3, "中度污染", id="50-good-30-worst"),
        pytest.param(["II"] * 5 + ["劣V"] * 5, "重度污染", id="50-good-50-worst"),
        # [M] 60 % row: good = 60, worst = 40 matches no row; the data's fallback says 重度污染
        pytest.param(["II"] * 6 + ["劣V"] * 4, "重度污染", id="60-good-40-worst-fallback"),
    ],
)
def test_river_status_by_proportion(classes: list[str], status: str) -> None:
    result = wq.river_status(classes)

    assert result.method == "proportion"
    assert result.status == status


def test_river_status_by_mean_for_fewer_than_5_sections() -> None:
    # Three sections: CODMn (3 + 5 + 7)/3 = 5.0 → III; NH3N (0.2 + 0.3 + 0.4)/3 = 0.3 → II.
    # The river is III → 良好, although one section is IV.
    means = pd.DataFrame(
        {"CODMn": [3.0, 5.0, 7.0], "NH3N": [0.2, 0.3, 0.4]},
        index=pd.Index(["A", "B", "C"], name="section_code"),
    )

    result = wq.river_status(["II", "III", "IV"], means)

    assert result.method == "mean"
    assert result.klass == "III"
    assert result.status == "良好"
    assert result.sections == 3


def test_river_status_mean_method_needs_means() -> None:
    with pytest.raises(WaterQualityError, match=r"Only 2 section\(s\) assessed.*pass `means`"):
        wq.river_status(["II", "IV"])


def test_river_status_without_sections() -> None:
    result = wq.river_status([None])

    assert (result.status, result.method, result.sections) == (None, "none", 0)


# --- vectorised rounding: the same results as the Decimal path, to the last bit ---------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (6.05, 1, 6.0),  # tie → even (CODMn 6.05 → 6.0)
        (6.15, 1, 6.2),
        (2.675, 2, 2.68),  # binary 2.67499… but 12 significant digits say 2.675 → even 2.68
        (0.125, 2, 0.12),
        (0.135, 2, 0.14),
        (-1.25, 1, -1.2),
        (0.0, 2, 0.0),
        (123456789.5, 0, 123456790.0),
        (999.95, 1, 1000.0),
    ],
)
def test_round_half_even_vectorised_ties(value: float, decimals: int, expected: float) -> None:
    got = wq.round_half_even([value], decimals)[0]
    assert got == expected == wq._round_half_even(value, decimals)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e13, max_value=1e13) | st.just(math.nan), min_size=1, max_size=40
    ),
    st.integers(min_value=0, max_value=3),
)
def test_round_half_even_vectorised_equals_decimal_path(values, decimals) -> None:
    got = wq.round_half_even(values, decimals)
    want = [wq._round_half_even(v, decimals) for v in values]
    assert [("nan" if math.isnan(g) else g) for g in got] == [
        ("nan" if math.isnan(w) else w) for w in want
    ]


def test_round_half_even_vectorised_on_decimal_ties() -> None:
    ties = [k / 1000 + 0.0005 for k in range(0, 30000, 7)]  # x.xxx5: every one a tie at 3 dp
    got = wq.round_half_even(ties, 3)
    assert got.tolist() == [wq._round_half_even(v, 3) for v in ties]


@pytest.mark.parametrize(
    ("parameter", "value", "text"),
    [
        ("TP", 0.089125, "0.089"),  # 82号: TP 3 decimals
        ("DO", 4.89583, "4.9"),  # DO 1 decimal
        ("NH3N", 1.4955, "1.50"),  # 2 decimals, the trailing zero kept
        ("NH3N", 1.125, "1.12"),  # half to even
        ("DO", 5.0, "5.0"),
        ("conductivity", 123.456, "123"),  # not a GB 3838 item: 3 significant digits
        (None, 0.012345, "0.0123"),
    ],
)
def test_display_value_rounds_to_the_reporting_decimals(
    parameter: str | None, value: float, text: str
) -> None:
    assert wq.display_value(parameter, value) == text


def test_status_words_in_english() -> None:
    assert [wq.STATUS_EN[wq.STATUS[c]] for c in ("II", "III", "IV", "劣V")] == [
        "excellent", "good", "slightly polluted", "heavily polluted"
    ]  # fmt: skip
