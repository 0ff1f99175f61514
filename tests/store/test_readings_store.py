"""Station readings in the store, on GeoPackage and PostGIS alike: round trip, filters,
duplicates per mode, all-or-nothing writes (geomon.store.readings)."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pyogrio
import pytest
import sqlalchemy as sa

from geomon.errors import ReadingsError, StoreError
from geomon.monitoring import READINGS_COLUMNS
from geomon.store import Store


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def readings(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (section, station, parameter, UTC time, step, value, flag)."""
    frame = pd.DataFrame(rows, columns=list(READINGS_COLUMNS))
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


BASE = readings(
    [
        ("S1", "MN01", "NH3N", "2023-06-01 00:00", "hour", 0.5, "N"),
        ("S1", "MN01", "NH3N", "2023-06-01 01:00", "hour", 0.6, "N"),
        ("S1", "MN01", "NH3N", "2023-06-01 02:00", "hour", 0.7, "M"),
        ("S1", "MN01", "DO", "2023-06-01 00:00", "hour", 6.5, "N"),
        ("S2", "MN02", "NH3N", "2023-06-01 00:00", "hour", 1.2, "N"),
        ("S1", "MN01", "NH3N", "2023-05-31 16:00", "day", 0.55, "N"),
    ]
)


def values(store: Store, **filters) -> list[tuple]:
    f = store.read_readings(**filters)
    columns = ("section_code", "parameter", "time", "step", "value", "flag")
    return list(zip(*(f[c] for c in columns), strict=True))


def test_round_trip_sorted_by_section_parameter_time(store: Store) -> None:
    stats = store.write_readings(BASE, user="tester", source="t.txt")
    assert (stats.rows, stats.added, stats.updated, stats.deleted) == (6, 6, 0, 0)
    got = store.read_readings()
    assert list(got.columns) == list(READINGS_COLUMNS)
    assert str(got["time"].dtype) == "datetime64[ns, UTC]"
    assert got["value"].dtype == "float64"
    assert values(store) == [
        ("S1", "DO", utc("2023-06-01 00:00"), "hour", 6.5, "N"),
        ("S1", "NH3N", utc("2023-05-31 16:00"), "day", 0.55, "N"),
        ("S1", "NH3N", utc("2023-06-01 00:00"), "hour", 0.5, "N"),
        ("S1", "NH3N", utc("2023-06-01 01:00"), "hour", 0.6, "N"),
        ("S1", "NH3N", utc("2023-06-01 02:00"), "hour", 0.7, "M"),
        ("S2", "NH3N", utc("2023-06-01 00:00"), "hour", 1.2, "N"),
    ]


def test_filters_section_parameter_step_and_beijing_bounds(store: Store) -> None:
    store.write_readings(BASE)
    assert len(store.read_readings(sections="S2")) == 1
    assert len(store.read_readings(sections=["S1"], parameters=["NH3N"], step="hour")) == 3
    # "2023-06-01 09:00" Beijing = 01:00 UTC; end is exclusive
    got = values(store, parameters="NH3N", start="2023-06-01 09:00", end="2023-06-01 10:00")
    assert got == [("S1", "NH3N", utc("2023-06-01 01:00"), "hour", 0.6, "N")]
    # a bare date as end includes that (Beijing) day: 1 June ends at 16:00 UTC
    assert len(store.read_readings(start="2023-06-01", end="2023-06-01")) == 6
    assert store.read_readings(start="2023-06-02").empty
    with pytest.raises(ReadingsError, match="step"):
        store.read_readings(step="week")


def test_upsert_overwrites_a_duplicate_and_keeps_the_rest(store: Store) -> None:
    store.write_readings(BASE)
    again = readings([("S1", "MN01", "NH3N", "2023-06-01 01:00", "hour", 0.9, "N")])
    stats = store.write_readings(again, mode="upsert")
    assert (stats.added, stats.updated, stats.deleted) == (0, 1, 0)
    hourly = store.read_readings(sections="S1", parameters="NH3N", step="hour")
    assert list(hourly["value"]) == [0.5, 0.9, 0.7]
    same = store.write_readings(again, mode="upsert")  # nothing changes the second time
    assert (same.added, same.updated) == (0, 0)


def test_replace_deletes_what_the_new_data_lacks_within_its_span(store: Store) -> None:
    store.write_readings(BASE)
    corrected = readings(
        [  # MN01 hourly, 00:00..02:00: NH3N at 01:00 and DO at 00:00 are no longer sent
            ("S1", "MN01", "NH3N", "2023-06-01 00:00", "hour", 0.5, "N"),
            ("S1", "MN01", "NH3N", "2023-06-01 02:00", "hour", 0.8, "N"),
        ]
    )
    stats = store.write_readings(corrected, mode="replace")
    assert (stats.rows, stats.added, stats.updated, stats.deleted) == (2, 0, 1, 2)
    assert values(store, sections="S1") == [  # the daily reading is outside the hourly span
        ("S1", "NH3N", utc("2023-05-31 16:00"), "day", 0.55, "N"),
        ("S1", "NH3N", utc("2023-06-01 00:00"), "hour", 0.5, "N"),
        ("S1", "NH3N", utc("2023-06-01 02:00"), "hour", 0.8, "N"),
    ]
    assert len(store.read_readings(sections="S2")) == 1  # other stations untouched


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"flag": "Q"}, "unknown data flag", id="flag"),
        pytest.param({"step": "week"}, "step not hour or day", id="step"),
        pytest.param({"station_mn": ""}, "empty station_mn", id="empty-key"),
        pytest.param({"time": "2023-06-01 00:00"}, "two readings with one key", id="duplicate"),
    ],
)
def test_a_bad_reading_refuses_the_whole_write(store: Store, change: dict, reason: str) -> None:
    store.write_readings(BASE)
    before, revision = store.read_readings(), store.revision()
    new = readings(
        [
            ("S1", "MN01", "NH3N", "2023-06-02 00:00", "hour", 0.4, "N"),
            ("S1", "MN01", "NH3N", "2023-06-02 01:00", "hour", 0.4, "N"),
        ]
    )
    for column, value in change.items():
        new.loc[1, column] = pd.Timestamp(value, tz="UTC") if column == "time" else value
    new["time"] = pd.to_datetime(new["time"], utc=True)
    if "time" in change:
        new.loc[0, "time"] = new.loc[1, "time"]
    with pytest.raises(ReadingsError, match=reason):
        store.write_readings(new)
    pd.testing.assert_frame_equal(store.read_readings(), before)
    assert store.revision() == revision


def test_text_time_and_value_are_stored_as_given(store: Store) -> None:
    odd = "站\t1\\n\n'\"x"  # PostGIS: binary COPY carries what its text format could not
    frame = readings(
        [
            ("S1", odd, "NH3N", "2023-01-31 15:00:00.750", "hour", 0.1 + 0.2, "N"),
            ("S1", odd, "NH3N", "2023-01-31 16:00:00.000", "hour", None, "N"),
            ("S1", odd, "DO", "2023-01-31 16:00:00.000", "day", -1.5e-300, "M"),
        ]
    )
    store.write_readings(frame)
    got = store.read_readings()
    assert list(got["station_mn"]) == [odd] * 3
    assert list(got["time"]) == [
        utc("2023-01-31 16:00"),
        utc("2023-01-31 15:00"),
        utc("2023-01-31 16:00"),
    ]  # fmt: skip  (to the second)
    assert list(got["value"].iloc[:2]) == [-1.5e-300, 0.30000000000000004]
    assert pd.isna(got["value"].iloc[2])
    assert list(got["flag"]) == ["M", "N", "N"]


def _refuse_value(store: Store, value: float) -> None:
    """A real database rule that fails mid-write: a trigger refusing one value."""
    if hasattr(store, "engine"):
        with store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.value = "
                    f"{value} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ "
                    "LANGUAGE plpgsql; CREATE TRIGGER refuse BEFORE INSERT ON geomon_readings "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    else:
        with sqlite3.connect(store.path) as conn:
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON geomon_readings "
                f"WHEN NEW.value = {value} BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param(
            [  # the update of 01:00 and the first new reading come before the refused one
                ("S1", "MN01", "NH3N", "2023-06-01 01:00", "hour", 0.1, "N"),
                ("S1", "MN01", "NH3N", "2023-06-03 00:00", "hour", 0.4, "N"),
                ("S1", "MN01", "NH3N", "2023-06-03 01:00", "hour", 666.0, "N"),
            ],
            id="meets-stored-readings",
        ),
        pytest.param(
            [  # nothing stored in July: the rows go straight into the table (PostGIS COPY)
                ("S1", "MN01", "NH3N", "2023-07-01 00:00", "hour", 0.4, "N"),
                ("S1", "MN01", "NH3N", "2023-07-01 01:00", "hour", 666.0, "N"),
            ],
            id="new-span",
        ),
    ],
)
def test_a_write_failing_inside_the_database_leaves_nothing(store: Store, rows: list) -> None:
    store.write_readings(BASE)
    _refuse_value(store, 666.0)
    before, revision = store.read_readings(), store.revision()
    with pytest.raises(StoreError, match="refused"):
        store.write_readings(readings(rows), mode="replace")
    pd.testing.assert_frame_equal(store.read_readings(), before)
    assert store.revision() == revision


def test_revision_grows_with_readings_and_layers_do_not_list_them(store: Store) -> None:
    assert store.read_readings().empty
    r0 = store.revision()
    store.write_readings(BASE)
    assert store.revision() == r0 + 1
    assert "geomon_readings" not in store.layer_names()


def test_gdal_sees_the_readings_table_in_the_geopackage(tmp_path) -> None:
    from geomon.store import open_store

    store = open_store(tmp_path / "s.gpkg")
    store.write_readings(BASE)
    assert "geomon_readings" in [str(n) for n, _ in pyogrio.list_layers(store.path)]
    table = pyogrio.read_dataframe(store.path, layer="geomon_readings")
    assert len(table) == 6
    assert table["time"].iloc[0] == int(utc("2023-06-01 00:00").timestamp())


def test_readings_survive_layer_writes_and_revisions_keep_growing(store: Store) -> None:
    import geopandas as gpd
    from shapely import Point

    store.write_readings(BASE)
    after_readings = store.revision()
    sections = gpd.GeoDataFrame(
        {"code": ["S1"], "name": ["一号"], "river": ["玉带河"], "control_level": ["国控"]},
        geometry=[Point(112.9, 30.4)],
        crs=4326,
    )
    store.write({"sections": sections})  # GeoPackage: copies the file and swaps it in
    assert store.revision() == after_readings + 1
    assert len(store.read_readings()) == 6
    store.write_readings(BASE.assign(value=BASE["value"] + 1))
    assert store.revision() == after_readings + 2
    assert list(store.read("sections")["code"]) == ["S1"]
