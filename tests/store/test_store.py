"""The store contract on every backend: typed round trips, upserts and their diff, all-or-nothing
writes, edits with version checks, the change history and layers rebuilt at a past time.

Each test runs on GeoPackage and on PostGIS (the `store` fixture in conftest.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal
from shapely import Point, box

from geomon import validate
from geomon.errors import ConflictError, StoreError, ValidationError
from geomon.store import Edit, Store, editing, merge
from geomon.store.merge import FieldChange

EVERY_FIELD = ["revision", "user", "source", "key", "op", "field", "old", "new"]


def outlets(*rows: tuple[str, str, str]) -> gpd.GeoDataFrame:
    """Typed outlet rows from (code, stage, deadline); row i lies at (112.8 + i/100, 30.4)."""
    frame = gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [f"排污口{r[0]}" for r in rows],
            "type_l1": "工业排污口",
            "receiving_water": "汉江",
            "district": "东城区",
            "district_code": "429005",
            "stage": [r[1] for r in rows],
            "deadline": pd.to_datetime([r[2] for r in rows]),
            "sign_installed": pd.array([True] * len(rows), dtype="boolean"),
        },
        geometry=[Point(112.8 + i / 100, 30.4) for i in range(len(rows))],
        crs=4326,
    )
    return validate.apply_dtypes(frame, "outlets")


def snapshot(store: Store) -> dict[str, Any]:
    """Everything a reader can see in the store."""
    names = store.layer_names()
    return {
        "layers": sorted(names),
        "revision": store.revision(),
        "frames": {n: store.read(n, with_versions=True) for n in names},
        "history": {n: store.history(n) for n in names},
        "info": {n: store.info(n) for n in names},
    }


def assert_same_snapshot(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["layers"] == b["layers"]
    assert a["revision"] == b["revision"]
    assert a["info"] == b["info"]
    for name in a["layers"]:
        assert_frame_equal(a["frames"][name], b["frames"][name])
        assert_frame_equal(a["history"][name], b["history"][name])


def changes(store: Store, layer: str = "outlets") -> list[tuple[Any, ...]]:
    """History of `layer` as tuples of `EVERY_FIELD`, the row JSON of inserts/deletes left out."""
    frame = store.history(layer)
    out = []
    for rec in frame[EVERY_FIELD].itertuples(index=False):
        rec = tuple(rec)
        if rec[4] in ("insert", "delete"):
            rec = (*rec[:6], None, None)
        out.append(rec)
    return out


def by_code(frame: pd.DataFrame, column: str) -> dict[str, Any]:
    return dict(zip(frame["code"], frame[column], strict=True))


def test_missing_layer_reads_as_empty_typed_frame(store: Store) -> None:
    frame = store.read("outlets")
    assert len(frame) == 0
    assert frame.crs.to_epsg() == 4326
    assert list(frame.columns) == [*validate.get_spec("outlets").field_names, "geometry"]
    assert store.revision() == 0
    assert store.layer_names() == []
    assert store.info("outlets") is None
    assert list(store.read("outlets", with_versions=True).columns)[-1] == "_version"
    assert len(store.history("outlets")) == 0


def test_round_trip_keeps_types_and_values(store: Store) -> None:
    frame = outlets(("A1", "整治完成", "2023-06-30"), ("A2", "整治中", "2023-12-31"))
    frame.loc[1, "sign_installed"] = pd.NA
    frame.loc[0, "geometry"] = Point(112.812345678901, 30.400000001)
    store.write({"outlets": frame}, source="ledger.xlsx", version="v1")
    back = store.read("outlets")
    assert_geodataframe_equal(back, frame, check_less_precise=False)
    assert back["deadline"].tolist() == [pd.Timestamp("2023-06-30"), pd.Timestamp("2023-12-31")]
    assert back["sign_installed"].tolist()[0] is True
    assert pd.isna(back["sign_installed"].tolist()[1])
    info = store.info("outlets")
    assert (info.rows, info.source, info.version, info.revision) == (2, "ledger.xlsx", "v1", 1)
    assert store.layer_names() == ["outlets"]


def test_upsert_updates_in_place_appends_new_and_bumps_versions(store: Store) -> None:
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))}
    )
    stats = store.write(
        {"outlets": outlets(("A2", "整治完成", "2023-12-31"), ("A3", "已溯源", "2024-06-30"))},
        mode="upsert",
    )["outlets"]
    back = store.read("outlets", with_versions=True)
    assert back["code"].tolist() == ["A1", "A2", "A3"]
    assert back["stage"].tolist() == ["已排查", "整治完成", "已溯源"]
    # A1 untouched keeps version 1; A2 changed and A3 added get the new revision 2
    assert back["_version"].tolist() == [1, 2, 2]
    assert (stats.rows_before, stats.rows_after, stats.added, stats.updated) == (2, 3, 1, 1)
    assert store.revision() == 2


def test_upsert_without_a_column_keeps_its_stored_values(store: Store) -> None:
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))}
    )
    # only code, stage and geometry: deadline, name, district … are not in these rows
    partial = outlets(("A2", "整治完成", "2099-01-01"))[["code", "stage", "geometry"]]
    partial.loc[0, "geometry"] = Point(112.81, 30.4)  # where A2 was written (row 1)
    store.write({"outlets": partial}, mode="upsert", user="u", source="旧模板.csv")
    back = store.read("outlets").set_index("code")
    assert back.loc["A2", "stage"] == "整治完成"
    assert back.loc["A2", "deadline"] == pd.Timestamp("2023-12-31")  # kept, not 2099 nor blank
    assert back.loc["A2", "name"] == "排污口A2"
    # history: one field changed on A2
    assert [c[4:6] for c in changes(store, "outlets")[2:]] == [("update", "stage")]


def test_upsert_of_only_new_rows_without_a_column(store: Store) -> None:
    store.write({"outlets": outlets(("A1", "已排查", "2023-06-30"))})
    fresh = outlets(("A1", "已排查", "2023-06-30"), ("B7", "已溯源", "2024-06-30")).iloc[[1]]
    store.write({"outlets": fresh.drop(columns=["deadline"])}, mode="upsert")
    back = store.read("outlets")
    assert back["code"].tolist() == ["A1", "B7"]
    assert back["deadline"].tolist()[0] == pd.Timestamp("2023-06-30")
    assert pd.isna(back["deadline"].tolist()[1])


def test_upsert_diff_matches_hand_made_diff_and_history(store: Store) -> None:
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))},
        user="alice",
        source="v1.xlsx",
    )
    new = outlets(
        ("A1", "已排查", "2023-06-30"),
        ("A2", "整治完成", "2024-03-31"),
        ("A3", "已溯源", "2024-06-30"),
    )
    new.loc[new.index[1], "geometry"] = Point(112.81, 30.4)  # same place as before
    new.loc[new.index[2], "geometry"] = Point(112.9, 30.5)

    d = merge.diff(store.read("outlets"), new, validate.get_spec("outlets"), mode="upsert")
    assert d.added == [("A3",)]
    assert d.unchanged == [("A1",)]
    assert d.changed == [
        FieldChange(("A2",), "stage", "整治中", "整治完成"),
        FieldChange(("A2",), "deadline", "2023-12-31", "2024-03-31"),
    ]
    store.write({"outlets": new}, mode="upsert", user="bob", source="v2.xlsx")
    assert changes(store)[2:] == [
        (2, "bob", "v2.xlsx", "A3", "insert", None, None, None),
        (2, "bob", "v2.xlsx", "A2", "update", "stage", "整治中", "整治完成"),
        (2, "bob", "v2.xlsx", "A2", "update", "deadline", "2023-12-31", "2024-03-31"),
    ]
    inserted = store.history("outlets", "A3").iloc[0]
    assert '"stage": "已溯源"' in inserted["new"]
    assert '"geometry": "POINT (112.9 30.5)"' in inserted["new"]


def test_replace_drops_rows_not_in_the_new_data(store: Store) -> None:
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))}
    )
    store.write({"outlets": outlets(("B1", "已排查", "2023-06-30"))}, mode="replace", user="u")
    assert store.read("outlets")["code"].tolist() == ["B1"]
    assert [(k, op) for _, _, _, k, op, *_ in changes(store)[2:]] == [
        ("B1", "insert"),
        ("A1", "delete"),
        ("A2", "delete"),
    ]


def test_failed_multi_layer_write_changes_nothing(store: Store) -> None:
    store.write({"outlets": outlets(("A1", "已排查", "2023-06-30"))})
    before = snapshot(store)
    districts = gpd.GeoDataFrame(
        {"code": ["429005", "429005"], "name": ["东城区", "西城区"]},
        geometry=[box(112, 30, 113, 31), box(113, 30, 114, 31)],
        crs=4326,
    )
    with pytest.raises(StoreError, match=r"duplicate key\(s\) \[\['429005'\]\]"):
        store.write(
            {"outlets": outlets(("A9", "已排查", "2023-06-30")), "districts": districts},
            mode="append",
        )
    assert_same_snapshot(snapshot(store), before)
    assert store.layer_names() == ["outlets"]


def test_non_spatial_layer_upsert_by_composite_key(store: Store) -> None:
    frame = pd.DataFrame({"section_code": ["S1"], "date": pd.to_datetime(["2023-01-10"])})
    store.write({"monitoring": frame}, mode="upsert")
    frame2 = pd.DataFrame(
        {
            "section_code": ["S1", "S1"],
            "date": pd.to_datetime(["2023-01-10", "2023-02-10"]),
            "pH": [7.1, 7.3],
        }
    )
    store.write({"monitoring": frame2}, mode="upsert", user="u", source="m.csv")
    back = store.read("monitoring")
    assert back["pH"].tolist() == [7.1, 7.3]
    assert isinstance(back, pd.DataFrame) and not isinstance(back, gpd.GeoDataFrame)
    assert changes(store, "monitoring")[1:] == [
        (2, "u", "m.csv", '["S1", "2023-02-10"]', "insert", None, None, None),
        (2, "u", "m.csv", '["S1", "2023-01-10"]', "update", "pH", None, "7.1"),
    ]
    result = store.edit(
        "monitoring", [Edit(("S1", dt.date(2023, 2, 10)), {"pH": "7.4"}, 2)], user="v"
    )
    assert result.versions == {("S1", dt.date(2023, 2, 10)): 3}
    assert store.read("monitoring")["pH"].tolist() == [7.1, 7.4]


def test_edit_changes_fields_bumps_version_and_records_history(store: Store) -> None:
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))}
    )
    result = store.edit(
        "outlets",
        [
            Edit("A1", {"stage": "溯源", "completed_date": "2024年3月5日", "notes": "已核实"}, 1),
            Edit("A2", {"geometry": Point(112.85, 30.45), "stage": "整治中"}, 1),
        ],
        user="张三",
        source="app",
    )
    assert result.revision == 2
    assert result.versions == {("A1",): 2, ("A2",): 2}
    assert result.changes == (
        FieldChange(("A1",), "stage", "已排查", "已溯源"),  # alias 溯源 → canonical 已溯源
        FieldChange(("A1",), "completed_date", None, "2024-03-05"),
        FieldChange(("A1",), "notes", None, "已核实"),
        FieldChange(("A2",), "geometry", "POINT (112.81 30.4)", "POINT (112.85 30.45)"),
    )
    back = store.read("outlets", with_versions=True)
    assert by_code(back, "stage") == {"A1": "已溯源", "A2": "整治中"}
    assert by_code(back, "completed_date")["A1"] == pd.Timestamp("2024-03-05")
    assert back.geometry.iloc[1].equals(Point(112.85, 30.45))
    assert back["_version"].tolist() == [2, 2]
    assert changes(store)[2:] == [
        (2, "张三", "app", "A1", "update", "stage", "已排查", "已溯源"),
        (2, "张三", "app", "A1", "update", "completed_date", None, "2024-03-05"),
        (2, "张三", "app", "A1", "update", "notes", None, "已核实"),
        (
            2,
            "张三",
            "app",
            "A2",
            "update",
            "geometry",
            "POINT (112.81 30.4)",
            "POINT (112.85 30.45)",
        ),
    ]
    # setting a value to what is stored changes nothing: no version, no history, no revision
    same = store.edit("outlets", [Edit("A1", {"stage": "已溯源"}, 2)], user="李四")
    assert (same.revision, same.changes, same.versions) == (2, (), {("A1",): 2})
    assert store.revision() == 2 and len(store.history("outlets")) == 6


def test_stale_edit_is_refused_with_the_newer_value_and_who(store: Store) -> None:
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))}
    )
    store.edit("outlets", [Edit("A1", {"stage": "已溯源", "notes": "x"}, 1)], user="李四")
    before = snapshot(store)
    with pytest.raises(ConflictError) as caught:
        store.edit(
            "outlets",
            [
                Edit("A2", {"notes": "ok"}, 1),
                Edit("A1", {"stage": "整治中", "deadline": "2024-01-01"}, 1),
            ],
            user="张三",
        )
    text = str(caught.value)
    assert (
        "outlets A1: your edit is based on version 1, but the row has changed since (now version 2)"
        in text
    )
    assert "stage: 你的值 your value '整治中', 当前值 stored value '已溯源' (由 李四 于 " in text
    assert (
        "deadline: 你的值 your value '2024-01-01', 当前值 stored value '2023-06-30' (此字段未变"
        in text
    )
    assert "nothing saved; reload and edit again" in text
    [stage, deadline] = caught.value.conflicts
    assert (stage.key, stage.field, stage.yours, stage.stored, stage.changed_by) == (
        ("A1",),
        "stage",
        "整治中",
        "已溯源",
        "李四",
    )
    assert (deadline.base_version, deadline.stored_version) == (1, 2)
    assert_same_snapshot(snapshot(store), before)  # A2's fresh edit was not saved either


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        pytest.param(
            Edit("A9", {"stage": "整治中"}, 1),
            StoreError,
            r"no row with key\(s\) \[\['A9'\]\]",
            id="unknown-key",
        ),
        pytest.param(
            Edit("A2", {"colour": "red"}, 1),
            StoreError,
            r"has no field\(s\) \['colour'\]",
            id="unknown-field",
        ),
        pytest.param(
            Edit("A2", {"code": "B2"}, 1),
            StoreError,
            r"key field\(s\) \['code'\] cannot be edited",
            id="key-field",
        ),
        pytest.param(
            Edit("A2", {"stage": "差不多"}, 1),
            ValidationError,
            r"row \['A2'\], field 'stage': “差不多”不是允许的取值",
            id="bad-enum",
        ),
        pytest.param(
            Edit("A2", {"deadline": "明年"}, 1),
            ValidationError,
            r"field 'deadline'.*not a valid date",
            id="bad-date",
        ),
    ],
)
def test_multi_row_edit_with_a_bad_row_saves_nothing(
    store: Store, edit: Edit, error: type[Exception], match: str
) -> None:
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))}
    )
    before = snapshot(store)
    with pytest.raises(error, match=match):
        store.edit("outlets", [Edit("A1", {"stage": "已溯源"}, 1), edit], user="u")
    assert_same_snapshot(snapshot(store), before)


def test_history_has_every_change_exactly_once(store: Store) -> None:
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))},
        user="a",
        source="v1.csv",
    )
    store.edit("outlets", [Edit("A1", {"stage": "已溯源", "notes": "n"}, 1)], user="b")
    # A1 as stored after the edit is unchanged, A2 changes, A3 is new
    upsert = outlets(
        ("A1", "已溯源", "2023-06-30"),
        ("A2", "整治完成", "2023-12-31"),
        ("A3", "已排查", "2024-01-31"),
    )
    upsert.loc[0, "notes"] = "n"
    store.write({"outlets": upsert}, mode="upsert", user="c", source="v2.csv")
    store.write({"outlets": upsert}, mode="upsert", user="c", source="v2.csv")  # no change
    store.write({"outlets": upsert.iloc[[2]]}, mode="replace", user="d", source="v3.csv")
    store.edit("outlets", [Edit("A3", {"stage": "已排查"}, 3)], user="e")  # no change
    assert changes(store) == [
        (1, "a", "v1.csv", "A1", "insert", None, None, None),
        (1, "a", "v1.csv", "A2", "insert", None, None, None),
        (2, "b", None, "A1", "update", "stage", "已排查", "已溯源"),
        (2, "b", None, "A1", "update", "notes", None, "n"),
        (3, "c", "v2.csv", "A3", "insert", None, None, None),
        (3, "c", "v2.csv", "A2", "update", "stage", "整治中", "整治完成"),
        (5, "d", "v3.csv", "A1", "delete", None, None, None),
        (5, "d", "v3.csv", "A2", "delete", None, None, None),
    ]
    assert store.history("outlets", ("A1",))["op"].tolist() == [
        "insert",
        "update",
        "update",
        "delete",
    ]
    # a row's version is the revision of its last change
    assert store.read("outlets", with_versions=True)["_version"].tolist() == [3]


def test_as_of_rebuilds_past_states(store: Store) -> None:
    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    t0 = now()
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))}
    )
    t1 = now()
    store.edit(
        "outlets", [Edit("A1", {"stage": "已溯源", "geometry": Point(113, 30.5)}, 1)], user="b"
    )
    t2 = now()
    store.write(
        {"outlets": outlets(("A2", "整治完成", "2024-03-31"), ("A3", "已溯源", "2024-06-30"))},
        mode="upsert",
    )
    t3 = now()
    store.write(
        {"outlets": outlets(("A3", "已溯源", "2024-06-30"), ("A4", "已排查", "2024-09-30"))}
    )
    t4 = now()

    assert len(store.as_of("outlets", t0)) == 0
    assert len(store.as_of("outlets", "2000-01-01")) == 0
    expected = {
        t1: {
            "A1": ("已排查", "2023-06-30", (112.8, 30.4)),
            "A2": ("整治中", "2023-12-31", (112.81, 30.4)),
        },
        t2: {
            "A1": ("已溯源", "2023-06-30", (113.0, 30.5)),
            "A2": ("整治中", "2023-12-31", (112.81, 30.4)),
        },
        t3: {
            "A1": ("已溯源", "2023-06-30", (113.0, 30.5)),
            "A2": ("整治完成", "2024-03-31", (112.8, 30.4)),  # upsert row 0 sits at 112.8
            "A3": ("已溯源", "2024-06-30", (112.81, 30.4)),
        },
        t4: {
            "A3": ("已溯源", "2024-06-30", (112.8, 30.4)),
            "A4": ("已排查", "2024-09-30", (112.81, 30.4)),
        },
    }
    for when, rows in expected.items():
        past = store.as_of("outlets", when)
        got = {
            code: (stage, deadline.date().isoformat(), (geom.x, geom.y))
            for code, stage, deadline, geom in zip(
                past["code"], past["stage"], past["deadline"], past.geometry, strict=True
            )
        }
        assert got == rows, when
        assert list(past.columns) == list(store.read("outlets").columns)
    # as of the end of today (a date) and now: the stored layer itself
    assert_geodataframe_equal(store.as_of("outlets", t4), store.read("outlets"))
    assert_geodataframe_equal(
        store.as_of("outlets", dt.date.today() + dt.timedelta(days=1)), store.read("outlets")
    )
    # rows deleted since come after current rows; naive times are UTC
    past = store.as_of("outlets", t3.replace(tzinfo=None))
    assert past["code"].tolist() == ["A3", "A1", "A2"]
    assert past["name"].tolist() == ["排污口A3", "排污口A1", "排污口A2"]
    assert past["sign_installed"].tolist() == [True, True, True]


def test_as_of_rejects_an_unreadable_time(store: Store) -> None:
    with pytest.raises(StoreError, match=r"`when` '30/06/2024' is not an ISO date"):
        store.as_of("outlets", "30/06/2024")


def test_edits_between_a_read_frame_and_its_edited_copy(store: Store) -> None:
    store.write(
        {"outlets": outlets(("A1", "已排查", "2023-06-30"), ("A2", "整治中", "2023-12-31"))}
    )
    store.edit("outlets", [Edit("A2", {"notes": "x"}, 1)], user="u")
    before = store.read("outlets", with_versions=True)
    after = before.drop(columns="_version").copy()  # what st.data_editor hands back
    after.loc[0, "stage"] = "已溯源"
    after.loc[1, "notes"] = None
    after.loc[1, "deadline"] = pd.Timestamp("2024-03-31")
    edits = editing.edits_between(before, after, validate.get_spec("outlets"))
    assert edits == [
        Edit(("A1",), {"stage": "已溯源"}, 1),
        Edit(("A2",), {"deadline": pd.Timestamp("2024-03-31"), "notes": None}, 2),
    ]
    store.edit("outlets", edits, user="u")
    assert_geodataframe_equal(store.read("outlets"), validate.apply_dtypes(after, "outlets"))
