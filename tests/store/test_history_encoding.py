"""History text built column by column (issue 7) is exactly what the per-value `encode` and
`json.dumps` wrote: same text for every value, same JSON for every inserted or deleted row."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point

from geomon import validate
from geomon.specs import LayerSpec, get_spec, parse_spec
from geomon.store import HISTORY_COLUMNS, Store, history_text, merge
from geomon.store import history as hist

SPEC = parse_spec(
    {
        "name": "awkward",
        "geometry_type": "Point",
        "id_field": "code",
        "key": ["code", "day"],
        "fields": {
            "code": {"type": "str", "required": True},
            "day": {"type": "date", "required": True},
            "n": {"type": "int"},
            "x": {"type": "float"},
            "ok": {"type": "bool"},
            "note": {"type": "str"},
        },
    }
)


def _frame() -> gpd.GeoDataFrame:
    """Three rows of awkward values in the dtypes a typed layer has."""
    return gpd.GeoDataFrame(
        {
            "code": pd.Series(['A"1', "B\\2", "排口\n3"], dtype="str"),
            "day": pd.to_datetime(
                ["2024-03-05", "2024-03-05 13:45:10.5", None], format="ISO8601"
            ).astype("datetime64[ms]"),
            "n": pd.array([7, None, -12], dtype="Int64"),
            "x": [0.1 + 0.2, np.nan, 1e16],
            "ok": pd.array([True, None, False], dtype="boolean"),
            "note": pd.Series(['说"明"\\ 和\t制表', None, "\u2028 😀 /"], dtype="str"),
        },
        geometry=[Point(112.123456789012345, 30.5), None, Point(-0.0, 1e-7)],
        crs=4326,
    )


EXPECTED_ROWS = [
    '{"code": "A\\"1", "day": "2024-03-05", "n": "7", "x": "0.30000000000000004", '
    '"ok": "true", "note": "说\\"明\\"\\\\ 和\\t制表", '
    '"geometry": "POINT (112.12345678901235 30.5)"}',
    '{"code": "B\\\\2", "day": "2024-03-05T13:45:10.500000", "n": null, "x": null, '
    '"ok": null, "note": null, "geometry": null}',
    '{"code": "排口\\n3", "day": null, "n": "-12", "x": "1e+16", "ok": "false", '
    '"note": "\u2028 😀 /", "geometry": "POINT (0 1e-7)"}',
]


def test_rows_json_writes_hand_checked_text() -> None:
    assert history_text.rows_json(_frame(), SPEC) == EXPECTED_ROWS


def test_rows_json_matches_json_dumps_of_encode() -> None:
    """The old per-value path: `encode` each cell, `json.dumps` each row."""
    frame = _frame()
    columns = [*SPEC.field_names, "geometry"]
    old = [
        json.dumps(
            {c: history_text.encode(row[c], history_text.field_type(SPEC, c)) for c in columns},
            ensure_ascii=False,
        )
        for _, row in frame.astype("object").iterrows()
    ]
    assert history_text.rows_json(frame, SPEC) == old


def test_rows_json_absent_field_is_null() -> None:
    frame = _frame().drop(columns=["note"]).iloc[:1]
    assert history_text.rows_json(frame, SPEC) == [EXPECTED_ROWS[0].replace(_note(), "null")]


def _note() -> str:
    return '"说\\"明\\"\\\\ 和\\t制表"'


@pytest.mark.parametrize(
    ("values", "ftype"),
    [
        pytest.param(pd.Series([1, 2, 3], dtype="int64"), "int", id="int64"),
        pytest.param(pd.Series([1, None, 3], dtype="Int64"), "int", id="nullable-int"),
        pytest.param(pd.Series([1.0, None, 3.5]), "int", id="ints-in-float-column"),
        pytest.param(pd.Series([0.1, -0.0, np.inf, np.nan, 5e-324]), "float", id="float64"),
        pytest.param(pd.Series([1.5, None], dtype="float32"), "float", id="float32"),
        pytest.param(pd.Series([True, False]), "bool", id="bool"),
        pytest.param(pd.Series([True, None, False], dtype="boolean"), "bool", id="boolean"),
        pytest.param(pd.Series([1, 0, None], dtype=object), "bool", id="bool-objects"),
        pytest.param(
            pd.Series(
                pd.to_datetime(["2024-01-31", None, "2024-02-01 00:00:01"], format="ISO8601")
            ),
            "date",
            id="dates-and-times",
        ),
        pytest.param(
            pd.Series(pd.Series(np.array(["0999-01-01", "2024-01-01"], dtype="datetime64[s]"))),
            "date",
            id="year-999",
        ),
        pytest.param(pd.Series(["2024-01-31", None], dtype=object), "date", id="date-text"),
        pytest.param(pd.Series(["a", None, '引号"'], dtype="str"), "str", id="str"),
        pytest.param(pd.Series([1, None, "b"], dtype=object), "enum", id="enum-objects"),
        pytest.param(pd.Series([None, None], dtype=object), "float", id="all-missing"),
    ],
)
def test_encode_column_matches_encode(values: pd.Series, ftype: str) -> None:
    assert history_text.encode_column(values, ftype) == [
        history_text.encode(v, ftype) for v in values.astype("object")
    ]


def test_keys_of_and_key_texts_match_per_key_functions() -> None:
    frame = _frame()
    keys = history_text.keys_of(frame, SPEC)
    assert keys == [
        history_text.normal_key(k, SPEC) for k in zip(frame["code"], frame["day"], strict=True)
    ]
    assert history_text.key_texts(keys) == [
        '["A\\"1", "2024-03-05"]',
        '["B\\\\2", "2024-03-05T13:45:10.500000"]',
        '["排口\\n3", null]',
    ]


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(pd.Series(["a", None], dtype="str"), id="str"),
        pytest.param(pd.Series([3, 4], dtype="int64"), id="int64"),
        pytest.param(pd.Series([1.5, np.nan]), id="float"),
        pytest.param(pd.Series([True, False]), id="bool"),
        pytest.param(pd.Series(pd.to_datetime(["2024-01-31 12:00", None])), id="datetime"),
        pytest.param(pd.Series([1, None], dtype="Int64"), id="nullable-int"),
    ],
)
def test_merge_keys_match_plain_of_each_value(values: pd.Series) -> None:
    frame = pd.DataFrame({"k": values})
    assert merge._keys(frame, ("k",)) == [
        tuple(merge._plain(v) for v in row) for row in frame.itertuples(index=False)
    ]


def test_diff_history_equals_record_by_record() -> None:
    """Inserts, updates and deletes of a replace, as the old `record` dicts held them."""
    spec: LayerSpec = SPEC
    old = _frame().iloc[[0, 2]].reset_index(drop=True)
    new = _frame().iloc[[0, 1]].reset_index(drop=True)
    new.loc[0, "note"] = 'новый "x"'
    change = merge.diff(old, new, spec, mode="replace")
    common = {"revision": 3, "at": "2024-06-30T00:00:00.000000+00:00", "user": "u",
              "source": None, "layer": "awkward"}  # fmt: skip
    frame = hist.diff_history(change, old, new, spec, **common)
    assert list(frame.columns) == list(HISTORY_COLUMNS)
    assert frame["revision"].dtype == "int64"
    assert all(frame[c].dtype == object for c in HISTORY_COLUMNS if c != "revision")
    key = history_text.key_text
    expected = [
        hist.record(key=key(("B\\2", "2024-03-05T13:45:10.5"), spec), op="insert",
                    new=EXPECTED_ROWS[1], **common),
        hist.record(key='["A\\"1", "2024-03-05"]', op="update", field="note",
                    old='说"明"\\ 和\t制表', new='новый "x"', **common),
        hist.record(key='["排口\\n3", null]', op="delete", old=EXPECTED_ROWS[2], **common),
    ]  # fmt: skip
    assert hist.frame_records(frame) == expected
    assert hist.frame_records(hist.records_frame(expected)) == expected


def _outlets(notes: list[str | None], *, flags: list[bool | None]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "code": [f"P{i}" for i in range(len(notes))],
            "name": ['名"称"\\', "排口\n二", "三"][: len(notes)],
            "type_l1": "工业排污口",
            "receiving_water": "汉江",  # the required fields: a store refuses rows without them
            "district": "东城区",
            "district_code": "429005",
            "stage": "已排查",
            "deadline": pd.to_datetime(["2024-03-05", None, "2025-12-31"][: len(notes)]),
            "sign_installed": pd.array(flags, dtype="boolean"),
            "notes": notes,
        },
        geometry=[Point(112.8 + i / 3, 30.4) for i in range(len(notes))],
        crs=4326,
    )
    return validate.apply_dtypes(frame, "outlets")


def test_store_history_text_on_both_backends(store: Store) -> None:
    """A write and a replace record the text the per-value encoding gave, in either store."""
    first = _outlets(['引"号"\\斜杠\t', None, "😀 /"], flags=[True, None, False])
    store.write({"outlets": first}, user="u", at="2024-01-01")
    second = _outlets(["改", None], flags=[False, None])  # P2 deleted, P0 changed
    store.write({"outlets": second}, user="u", at="2024-01-02")
    spec = get_spec("outlets")
    columns = [*spec.field_names, "geometry"]

    def row_json(frame: pd.DataFrame, i: int) -> str:
        values = frame.astype("object").iloc[i]
        text = {
            c: history_text.encode(values.get(c), history_text.field_type(spec, c)) for c in columns
        }
        return json.dumps(text, ensure_ascii=False)

    got = store.history("outlets")[["revision", "key", "op", "field", "old", "new"]]
    expected = [
        *[[1, f"P{i}", "insert", None, None, row_json(first, i)] for i in range(3)],
        [2, "P0", "update", "sign_installed", "true", "false"],  # fields in spec order
        [2, "P0", "update", "notes", '引"号"\\斜杠\t', "改"],
        [2, "P2", "delete", None, row_json(first, 2), None],
    ]
    assert got.to_numpy().tolist() == expected
    assert '"notes": "引\\"号\\"\\\\斜杠\\t"' in expected[0][5]
