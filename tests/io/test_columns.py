"""Header → spec field matching shared by every reader (geomon.io.columns)."""

from __future__ import annotations

import pandas as pd
import pytest

from geomon.io.columns import (
    coordinate_lookup,
    field_lookup,
    normalise_header,
    rename_to_spec,
    unique_names,
)
from geomon.specs import get_spec


@pytest.mark.parametrize(
    ("header", "same_as"),
    [
        pytest.param("经度（°）", "经度(°)", id="full-width-parens"),
        pytest.param(" LON ", "lon", id="case-and-spaces"),
        pytest.param("排污口\n名称", "排污口名称", id="line-break-in-cell"),
        pytest.param("ＮＨ３－Ｎ", "NH3-N", id="full-width-letters"),
    ],
)
def test_normalise_header(header: str, same_as: str) -> None:
    assert normalise_header(header) == normalise_header(same_as)


def test_lookups_map_labels_aliases_and_coordinate_headers() -> None:
    spec = get_spec("outlets")  # layers/outlets.toml: name's label 排污口名称, alias 名称
    fields, coords = field_lookup(spec), coordinate_lookup(spec)

    assert fields["排污口名称"] == fields["名称"] == fields["name"] == "name"
    assert fields["outlet_code"] == "code"
    assert coords["经度(°)"] == "lon"  # 经度（°） normalised: full-width parentheses
    assert coords["纬度_分"] == "lat_m"
    assert coords["北坐标"] == "x"


def test_unique_names_as_pandas_names_repeats() -> None:
    assert unique_names(["a", "", "a", "a", "b"]) == ["a", "column_2", "a.1", "a.2", "b"]


def test_rename_to_spec_keeps_unknown_columns_and_the_first_of_two() -> None:
    frame = pd.DataFrame(columns=["名称", " 排污口名称 ", "自定义列"])

    out, issues = rename_to_spec(frame, get_spec("outlets"))

    assert list(out.columns) == ["name", " 排污口名称 ", "自定义列"]
    assert [(i.field, i.code, i.severity) for i in issues] == [
        ("name", "duplicate_column", "warning")
    ]
