"""Attribute filters and their URL round trip (geomon.filters), without Streamlit."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely import Point

from geomon import filters
from geomon.errors import UnknownFieldError
from geomon.validate import apply_dtypes


@pytest.fixture
def outlets() -> gpd.GeoDataFrame:
    rows = [
        {"code": "A", "district": "明珠区", "stage": "已排查", "sign_installed": True},
        {"code": "B", "district": "明珠区", "stage": "整治完成", "sign_installed": False},
        {"code": "C", "district": "沙洲区", "stage": "整治完成", "sign_installed": None},
        {"code": "D", "district": None, "stage": None, "sign_installed": True},
    ]
    frame = gpd.GeoDataFrame(
        rows, geometry=[Point(112.9, 30.4 + i / 100) for i in range(4)], crs=4326
    )
    frame = apply_dtypes(frame, "outlets")
    frame.index = [10, 11, 12, 13]  # filters keep the index (the stored rows)
    return frame


def _codes(frame: pd.DataFrame) -> list[str]:
    return frame["code"].tolist()


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        pytest.param({}, ["A", "B", "C", "D"], id="no-selection"),
        pytest.param({"district": []}, ["A", "B", "C", "D"], id="empty-list-no-filter"),
        pytest.param({"district": ["明珠区"]}, ["A", "B"], id="one-value"),
        pytest.param({"district": ["明珠区", "沙洲区"]}, ["A", "B", "C"], id="blank-never-matches"),
        pytest.param(
            {"district": ["明珠区"], "stage": ["整治完成"]}, ["B"], id="and-across-fields"
        ),
        pytest.param({"sign_installed": [True]}, ["A", "D"], id="bool-true"),
        pytest.param({"sign_installed": ["0"]}, ["B"], id="bool-from-url-text"),
        pytest.param({"sign_installed": ["1", "0"]}, ["A", "B", "D"], id="bool-both-not-blank"),
        pytest.param({"district": ["不存在"]}, [], id="no-match"),
    ],
)
def test_apply_filters(outlets: gpd.GeoDataFrame, selection: dict, expected: list[str]) -> None:
    before = outlets.copy()

    out = filters.apply_filters(outlets, "outlets", selection)

    assert _codes(out) == expected
    assert list(out.index) == [outlets.index[_codes(outlets).index(c)] for c in expected]
    assert_geodataframe_equal(outlets, before)  # the shared frame is never modified


def test_apply_filters_on_a_derived_column(outlets: gpd.GeoDataFrame) -> None:
    flagged = outlets.assign(overdue=[True, False, True, False])

    assert _codes(filters.apply_filters(flagged, "outlets", {"overdue": ["1"]})) == ["A", "C"]
    assert _codes(filters.apply_filters(flagged, None, {"overdue": [True]})) == ["A", "C"]


def test_apply_filters_unknown_column_is_an_error(outlets: gpd.GeoDataFrame) -> None:
    with pytest.raises(UnknownFieldError) as info:
        filters.apply_filters(outlets, "outlets", {"colour": ["red"]})
    # a KeyError too (so its str() is quoted), for callers that catch KeyError
    assert isinstance(info.value, KeyError)
    assert str(info.value) == "\"cannot filter 'outlets' on 'colour': no such column\""


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        pytest.param(
            "stage",
            ["已排查", "已监测", "已溯源", "已命名编码", "整治中", "整治完成", "已销号"],
            id="enum-in-spec-order-even-if-unused",
        ),
        pytest.param("sign_installed", [True, False], id="bool"),
        pytest.param("district", ["明珠区", "沙洲区"], id="text-present-sorted-no-blank"),
    ],
)
def test_choices(outlets: gpd.GeoDataFrame, column: str, expected: list) -> None:
    assert filters.choices(outlets, "outlets", column) == expected


def test_choices_of_a_derived_column(outlets: gpd.GeoDataFrame) -> None:
    flagged = outlets.assign(overdue=[True, False, True, False], note=["x", None, " ", "a"])

    assert filters.choices(flagged, "outlets", "overdue") == [True, False]
    assert filters.choices(flagged, "outlets", "note") == ["a", "x"]
    assert filters.choices(None, None, "anything") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023", "2023"),
        ("2023-03", "2023-03"),
        ("2023-01..2023-06", ("2023-01-01", "2023-06-30")),
        ("2024-01..2024-02", ("2024-01-01", "2024-02-29")),  # leap year
        (" 2023-03 ", "2023-03"),
        ("", None),
        (None, None),
        ("2023-13", None),
        ("2023-06..2023-01", None),  # backwards
        ("2023-1", None),
        ("__import__('os')", None),
        ("2023-01..2023-06..2023-09", None),
    ],
)
def test_parse_period(text: str | None, expected: object) -> None:
    assert filters.parse_period(text) == expected


def test_period_options_newest_first_with_cumulative_months() -> None:
    dates = ["2022-12-05", "2023-01-10", "2023-03-02", "2023-03-20", None, "not a date"]

    assert filters.period_options(dates) == [
        "2023",
        "2023-01..2023-03",
        "2023-03",
        "2023-01",
        "2022",
        "2022-01..2022-12",
        "2022-12",
    ]
    assert filters.period_options([]) == []


def test_selection_from_params_keeps_only_the_allow_list() -> None:
    params = {
        "district": ["明珠区", "沙洲区,明珠区", "<script>"],
        "stage": "整治完成",  # a single value as plain text
        "overdue": ["1"],
        "evil": ["cos\nsystem\n(S'id'\ntR."],  # a pickle payload: unknown name, dropped
        "class": ["III", "VI"],
    }
    allowed = {"district": ["明珠区", "沙洲区"], "stage": ["整治完成"], "overdue": ["1"],
               "class": ["I", "II", "III"], "level": ["国控"]}  # fmt: skip

    assert filters.selection_from_params(params, allowed) == {
        "district": ["明珠区", "沙洲区"],
        "stage": ["整治完成"],
        "overdue": ["1"],
        "class": ["III"],
    }


def test_selection_from_params_caps_the_number_of_values() -> None:
    values = [str(i) for i in range(filters.MAX_PARAM_VALUES + 50)]

    out = filters.selection_from_params({"x": values}, {"x": values})

    assert len(out["x"]) == filters.MAX_PARAM_VALUES


def test_selection_from_allowed_params_is_kept_whole() -> None:
    params = {"district": ["明珠区"], "overdue": ["1"]}

    allowed = {"district": ["明珠区"], "overdue": ["1"], "stage": ["已排查"]}
    assert filters.selection_from_params(params, allowed) == params
