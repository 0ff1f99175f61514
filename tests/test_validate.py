"""Validation: every issue code, with the row and field it names; nothing dropped silently."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point, Polygon, box

from geomon import validate

QJ = Point(112.896, 30.402)  # Qianjiang, DOMAIN.md §5.1


def outlet(**overrides: object) -> dict[str, object]:
    """One valid raw ledger row (as the reader returns it: raw strings)."""
    row: dict[str, object] = {
        "code": "42900501",
        "name": "江汉市东城区一号排污口",
        "type_l1": "工业排污口",
        "receiving_water": "汉江",
        "district": "东城区",
        "district_code": "429005",
        "stage": "整治完成",
        "deadline": "2023-06-30",
        "sign_installed": "是",
        "geometry": QJ,
    }
    row.update(overrides)
    return row


def frame(*rows: dict[str, object]) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(list(rows), geometry="geometry", crs=4326)
    gdf.index = pd.RangeIndex(1, len(rows) + 1, name="row")
    return gdf


def codes(report: validate.ValidationReport) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.field, i.code) for i in report.issues]


def test_valid_row_is_typed_per_spec() -> None:
    result = validate.validate(frame(outlet()), "outlets")
    assert result.report.valid, result.report.issues
    typed = result.frame
    assert typed.loc[1, "deadline"] == pd.Timestamp("2023-06-30")
    assert bool(typed.loc[1, "sign_installed"]) is True
    assert typed.loc[1, "stage"] == "整治完成"
    assert typed.crs.to_epsg() == 4326
    assert list(typed.columns[:3]) == ["code", "local_code", "name"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"name": "  "}, (2, "name", "missing_value"), id="missing"),
        pytest.param({"stage": "差不多了"}, (2, "stage", "bad_enum"), id="bad-enum"),
        pytest.param({"deadline": "2023-02-30"}, (2, "deadline", "bad_date"), id="bad-date"),
        pytest.param({"sign_installed": "也许"}, (2, "sign_installed", "bad_type"), id="bad-bool"),
        pytest.param({"district_code": "42900"}, (2, "district_code", "bad_format"), id="bad-code"),
        pytest.param({"code": "42900500"}, (2, "code", "duplicate_id"), id="duplicate"),
        pytest.param({"geometry": None}, (2, "geometry", "missing_geometry"), id="no-geom"),
        pytest.param({"geometry": Point()}, (2, "geometry", "empty_geometry"), id="empty"),
        pytest.param(
            {"geometry": LineString([(112.8, 30.4), (112.9, 30.4)])},
            (2, "geometry", "wrong_geometry_type"),
            id="line-in-point-layer",
        ),
        pytest.param(
            {"geometry": Point(-3.7, 40.4)}, (2, "geometry", "outside_china"), id="madrid"
        ),
        pytest.param(
            {"geometry": Point(30.402, 112.896)},
            (2, "geometry", "swapped_coordinates"),
            id="swapped",
        ),
    ],
)
def test_each_problem_is_reported_at_its_row_and_field(
    overrides: dict[str, object], expected: tuple[int, str, str]
) -> None:
    good = outlet(code="42900500")
    bad = outlet(**overrides)
    result = validate.validate(frame(good, bad), "outlets")
    assert expected in codes(result.report)
    assert not result.report.valid
    assert 1 not in result.report.invalid_rows or expected[2] == "duplicate_id"


def test_duplicate_ids_name_the_first_row() -> None:
    result = validate.validate(frame(outlet(), outlet(), outlet(code="X")), "outlets")
    dups = [i for i in result.report.issues if i.code == "duplicate_id"]
    assert [i.row for i in dups] == [1, 2]
    assert "第 1 行" in dups[1].message and "first at row 1" in dups[1].message


def test_bad_value_is_missing_in_typed_frame_and_reported() -> None:
    result = validate.validate(frame(outlet(deadline="明年")), "outlets")
    assert pd.isna(result.frame.loc[1, "deadline"])
    [issue] = result.report.errors
    assert issue.code == "bad_date"
    assert "明年" in issue.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-06-30", dt.date(2023, 6, 30)),
        ("2023/6/30", dt.date(2023, 6, 30)),
        ("2023年6月30日", dt.date(2023, 6, 30)),
        ("2023.06.30", dt.date(2023, 6, 30)),
        ("2023年6月", dt.date(2023, 6, 1)),
        (45107, dt.date(2023, 6, 30)),  # Excel serial day: 1899-12-30 + 45107 days
        (dt.datetime(2023, 6, 30, 15, 0), dt.date(2023, 6, 30)),
    ],
)
def test_dates_in_ledger_forms(raw: object, expected: dt.date) -> None:
    result = validate.validate(frame(outlet(deadline=raw)), "outlets")
    assert result.report.valid, result.report.issues
    assert result.frame.loc[1, "deadline"] == pd.Timestamp(expected)


def test_enum_aliases_are_canonicalised() -> None:
    result = validate.validate(frame(outlet(type_l1="工业", stage="销号")), "outlets")
    assert result.report.valid
    assert result.frame.loc[1, ["type_l1", "stage"]].tolist() == ["工业排污口", "已销号"]


def test_code_typed_as_number_in_excel_keeps_its_digits() -> None:
    result = validate.validate(frame(outlet(district_code=429005.0)), "outlets")
    assert result.report.valid
    assert result.frame.loc[1, "district_code"] == "429005"


BOWTIE = Polygon([(112.0, 30.0), (112.1, 30.1), (112.1, 30.0), (112.0, 30.1), (112.0, 30.0)])


def red_line(geom: object) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        [{"code": "HX01", "name": "湿地红线", "geometry": geom}], geometry="geometry", crs=4326
    )
    gdf.index = pd.RangeIndex(1, 2, name="row")
    return gdf


def test_invalid_geometry_reported_not_repaired_by_default() -> None:
    result = validate.validate(red_line(BOWTIE), "red_lines")
    [issue] = result.report.errors
    assert (issue.row, issue.code) == (1, "invalid_geometry")
    assert "Self-intersection" in issue.message
    assert result.frame.geometry.iloc[0].equals(BOWTIE)


def test_make_valid_repairs_and_says_so() -> None:
    result = validate.validate(red_line(BOWTIE), "red_lines", make_valid=True)
    assert result.report.valid
    assert [i.code for i in result.report.warnings] == ["repaired_geometry"]
    repaired = result.frame.geometry.iloc[0]
    assert repaired.is_valid
    # the bow-tie is two triangles of 0.0025 deg² each
    assert repaired.area == pytest.approx(0.005)


def test_unknown_columns_are_warnings_and_left_out() -> None:
    raw = frame(outlet())
    raw["联系人"] = "张三"
    result = validate.validate(raw, "outlets")
    assert result.report.valid
    assert [(i.field, i.code) for i in result.report.warnings] == [("联系人", "unknown_field")]
    assert "联系人" not in result.frame.columns


def test_range_checks_numbers() -> None:
    raw = pd.DataFrame(
        {"section_code": ["S1", "S1"], "date": ["2023-01-10", "2023-02-10"], "pH": ["7.2", "15"]},
        index=pd.RangeIndex(1, 3, name="row"),
    )
    result = validate.validate(raw, "monitoring")
    assert codes(result.report) == [(2, "pH", "out_of_range")]
    assert result.frame["pH"].tolist()[0] == pytest.approx(7.2)


def test_polygon_layer_accepts_multipolygons() -> None:
    from shapely import MultiPolygon

    multi = MultiPolygon([box(112.0, 30.0, 112.1, 30.1), box(112.2, 30.0, 112.3, 30.1)])
    assert validate.validate(red_line(multi), "red_lines").report.valid


def test_layer_checks_report_a_bad_district_segment_in_the_code() -> None:
    # outlets.toml asks for the "outlet_codes" check: characters 7–12 are the GB/T 2260 code,
    # so "42990O" (letter O) is wrong; `geomon validate` and `geomon import` now agree on it
    good = "CJ9001429902GM0001"
    bad = "CJ90014299O2GM0002"
    result = validate.validate(frame(outlet(code=good), outlet(code=bad)), "outlets")
    assert [(i.row, i.field, i.code) for i in result.report.errors] == [(2, "code", "bad_code")]
    assert "7–12" in result.report.errors[0].message


def test_a_frame_of_str_columns_is_typed_like_the_same_frame_of_objects() -> None:
    """A store or CSV gives str columns (Arrow), an Excel sheet object ones: same result.

    Python strips the ideographic space and "\x1c" too, so "\u3000" is a missing name and
    "  东城区\u3000" is 东城区; "工业 " is the alias 工业 of 工业排污口.
    """
    raw = frame(
        outlet(code="A1", district="  东城区\u3000", type_l1="工业 "),
        outlet(code="A2", name="\u3000", stage="\x1c"),
        outlet(code="A1", sign_installed="否"),
    )
    as_str = raw.astype({c: "str" for c in raw.columns if c != "geometry"})
    result, from_str = validate.validate(raw, "outlets"), validate.validate(as_str, "outlets")
    assert codes(result.report) == [
        (1, "code", "duplicate_id"),
        (2, "name", "missing_value"),
        (2, "stage", "missing_value"),
        (3, "code", "duplicate_id"),
    ]
    assert [i.message for i in from_str.report.issues] == [i.message for i in result.report.issues]
    pd.testing.assert_frame_equal(from_str.frame, result.frame)
    assert result.frame.loc[1, ["district", "type_l1"]].tolist() == ["东城区", "工业排污口"]
    assert result.frame["sign_installed"].tolist() == [True, True, False]


def test_typed_columns_pass_through() -> None:
    """Columns a store gives already typed: dates keep their day, flags stay flags."""
    raw = frame(outlet(), outlet(code="X2"))
    raw["deadline"] = pd.to_datetime(["2023-06-30 15:30", None])
    raw["sign_installed"] = pd.array([False, None], dtype="boolean")
    result = validate.validate(raw, "outlets")
    assert result.report.valid, result.report.issues
    assert result.frame["deadline"].dtype == "datetime64[ms]"
    assert result.frame.loc[1, "deadline"] == pd.Timestamp("2023-06-30")
    assert pd.isna(result.frame.loc[2, "deadline"])
    assert result.frame["sign_installed"].tolist()[0] is False
    assert pd.isna(result.frame["sign_installed"].tolist()[1])
