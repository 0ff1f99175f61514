"""The daily readings rollup (geomon.store.rollup) on GeoPackage and PostGIS alike: its rows
worked out by hand, kept right by upsert and replace in the same transaction, unchanged by a
refused write, and built for a store whose readings were written before it existed."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa

from geomon.errors import StoreError
from geomon.store import Store
from geomon.store import rollup as ru
from tests.store.test_readings_store import BASE, readings

JUNE_1 = dt.date(2023, 6, 1)


def rows(store: Store, start: dt.date = JUNE_1, end: dt.date = JUNE_1) -> list[tuple]:
    """The rollup rows of `start` … `end`, sorted, as plain tuples (times as UTC text)."""
    frame = store.read_readings_daily(start, end)
    assert list(frame.columns) == list(ru.DAILY_COLUMNS)
    out = []
    for r in frame.to_dict("records"):
        first = None if pd.isna(r["first_time"]) else r["first_time"].strftime("%m-%d %H:%M")
        last = None if pd.isna(r["last_time"]) else r["last_time"].strftime("%m-%d %H:%M")
        out.append((r["section_code"], r["station_mn"], r["parameter"], r["step"],
                    r["day"].date().isoformat(), r["flag"], r["rows"], r["n"],
                    None if pd.isna(r["low"]) else r["low"],
                    None if pd.isna(r["high"]) else r["high"], first, last))  # fmt: skip
    return sorted(out)


# BASE by hand: 2023-06-01 00:00–02:00 UTC is 08:00–10:00 Beijing, 2023-05-31 16:00 UTC is
# 06-01 00:00 Beijing: every reading falls on the Beijing day 2023-06-01.
BASE_ROWS = [
    ("S1", "MN01", "DO", "hour", "2023-06-01", "N", 1, 1, 6.5, 6.5, "06-01 00:00", "06-01 00:00"),
    ("S1", "MN01", "NH3N", "day", "2023-06-01", "N", 1, 1, 0.55, 0.55, "05-31 16:00",
     "05-31 16:00"),
    ("S1", "MN01", "NH3N", "hour", "2023-06-01", "M", 1, 1, 0.7, 0.7, "06-01 02:00",
     "06-01 02:00"),
    ("S1", "MN01", "NH3N", "hour", "2023-06-01", "N", 2, 2, 0.5, 0.6, "06-01 00:00",
     "06-01 01:00"),
    ("S2", "MN02", "NH3N", "hour", "2023-06-01", "N", 1, 1, 1.2, 1.2, "06-01 00:00",
     "06-01 00:00"),
]  # fmt: skip


def rebuilt(store: Store) -> list[tuple]:
    """The rollup built afresh from the stored readings (the table dropped, then read)."""
    drop(store)
    return rows(store, dt.date(2023, 5, 1), dt.date(2023, 7, 1))


def drop(store: Store) -> None:
    """Remove the rollup table, as in a store written before it existed."""
    if hasattr(store, "engine"):
        with store.engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE "{ru.DAILY_TABLE}"'))
        return
    with sqlite3.connect(store.path) as conn:
        conn.execute(f'DROP TABLE "{ru.DAILY_TABLE}"')


def test_rows_worked_out_by_hand(store: Store) -> None:
    store.write_readings(BASE)
    assert rows(store) == BASE_ROWS
    assert rows(store, dt.date(2023, 6, 2), dt.date(2023, 6, 30)) == []
    assert rows(store, dt.date(2023, 5, 1), dt.date(2023, 7, 1)) == rebuilt(store) == BASE_ROWS


def test_a_reading_without_value_counts_as_a_row_not_a_value(store: Store) -> None:
    store.write_readings(
        readings(
            [
                ("S1", "MN01", "pH", "2023-06-01 15:00", "hour", 7.5, "N"),  # 23:00 Beijing
                ("S1", "MN01", "pH", "2023-06-01 16:00", "hour", None, "D"),  # 06-02 00:00
                ("S1", "MN01", "pH", "2023-06-01 17:00", "hour", 8.1, "D"),
            ]
        )
    )
    assert rows(store, JUNE_1, dt.date(2023, 6, 2)) == [
        ("S1", "MN01", "pH", "hour", "2023-06-01", "N", 1, 1, 7.5, 7.5, "06-01 15:00",
         "06-01 15:00"),
        ("S1", "MN01", "pH", "hour", "2023-06-02", "D", 2, 1, 8.1, 8.1, "06-01 17:00",
         "06-01 17:00"),
    ]  # fmt: skip


def test_upsert_recomputes_the_touched_days_and_moves_a_section(store: Store) -> None:
    store.write_readings(BASE)
    store.write_readings(
        readings(
            [  # a new value, a new hour on 06-02 (Beijing), and MN02's reading moved to S3
                ("S1", "MN01", "NH3N", "2023-06-01 01:00", "hour", 0.9, "N"),
                ("S1", "MN01", "NH3N", "2023-06-01 16:00", "hour", 0.4, "N"),
                ("S3", "MN02", "NH3N", "2023-06-01 00:00", "hour", 1.2, "N"),
            ]
        )
    )
    want = [r for r in BASE_ROWS if r[0] != "S2" and r[5:7] != ("N", 2)] + [
        ("S1", "MN01", "NH3N", "hour", "2023-06-01", "N", 2, 2, 0.5, 0.9, "06-01 00:00",
         "06-01 01:00"),
        ("S1", "MN01", "NH3N", "hour", "2023-06-02", "N", 1, 1, 0.4, 0.4, "06-01 16:00",
         "06-01 16:00"),
        ("S3", "MN02", "NH3N", "hour", "2023-06-01", "N", 1, 1, 1.2, 1.2, "06-01 00:00",
         "06-01 00:00"),
    ]  # fmt: skip
    assert rows(store, JUNE_1, dt.date(2023, 6, 2)) == sorted(want) == rebuilt(store)


def test_new_days_and_stations_are_rolled_up_from_the_written_rows(store: Store) -> None:
    store.write_readings(BASE)
    store.write_readings(
        readings(
            [  # nothing stored for these groups on these days before: taken from the frame
                ("S2", "MN02", "NH3N", "2023-06-01 16:00", "hour", 1.1, "N"),  # 06-02 Beijing
                ("S2", "MN02", "NH3N", "2023-06-01 17:00", "hour", None, "N"),
                ("S2", "MN02", "NH3N", "2023-06-01 18:00", "hour", 0.9, "N"),
                ("S4", "MN04", "DO", "2023-06-01 03:00", "hour", 4.5, "D"),
            ]
        )
    )
    assert rows(store, JUNE_1, dt.date(2023, 6, 2)) == sorted([
        *BASE_ROWS,
        ("S2", "MN02", "NH3N", "hour", "2023-06-02", "N", 3, 2, 0.9, 1.1, "06-01 16:00",
         "06-01 18:00"),
        ("S4", "MN04", "DO", "hour", "2023-06-01", "D", 1, 1, 4.5, 4.5, "06-01 03:00",
         "06-01 03:00"),
    ]) == rebuilt(store)  # fmt: skip


def test_replace_recomputes_every_parameter_in_the_span_it_deleted_from(store: Store) -> None:
    store.write_readings(BASE)
    store.write_readings(
        readings(
            [  # MN01 hourly 00:00..02:00 replaced: NH3N 01:00 and DO 00:00 are gone
                ("S1", "MN01", "NH3N", "2023-06-01 00:00", "hour", 0.5, "N"),
                ("S1", "MN01", "NH3N", "2023-06-01 02:00", "hour", 0.8, "N"),
            ]
        ),
        mode="replace",
    )
    got = rows(store)
    assert got == [
        ("S1", "MN01", "NH3N", "day", "2023-06-01", "N", 1, 1, 0.55, 0.55, "05-31 16:00",
         "05-31 16:00"),
        ("S1", "MN01", "NH3N", "hour", "2023-06-01", "N", 2, 2, 0.5, 0.8, "06-01 00:00",
         "06-01 02:00"),
        ("S2", "MN02", "NH3N", "hour", "2023-06-01", "N", 1, 1, 1.2, 1.2, "06-01 00:00",
         "06-01 00:00"),
    ]  # fmt: skip
    assert rebuilt(store) == got


def test_a_rollup_failing_inside_the_database_undoes_the_whole_write(store: Store) -> None:
    store.write_readings(BASE)
    refuse = "CREATE TRIGGER refuse BEFORE INSERT ON geomon_readings_daily"
    if hasattr(store, "engine"):
        with store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.high = 666 "
                    "THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE "
                    f"plpgsql; {refuse} FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    else:
        with sqlite3.connect(store.path) as conn:
            conn.execute(f"{refuse} WHEN NEW.high = 666 BEGIN SELECT RAISE(ABORT, 'refused'); END")
    before, revision = store.read_readings(), store.revision()
    bad = readings([("S1", "MN01", "NH3N", "2023-06-01 05:00", "hour", 666.0, "N")])
    with pytest.raises(StoreError, match="refused"):
        store.write_readings(bad)
    pd.testing.assert_frame_equal(store.read_readings(), before)  # the readings too
    assert store.revision() == revision
    assert rows(store) == BASE_ROWS


def test_an_older_store_gets_the_rollup_on_first_need_or_next_write(store: Store) -> None:
    store.write_readings(BASE)
    drop(store)  # as written before the rollup existed
    assert rows(store) == BASE_ROWS  # built by the first read
    drop(store)
    store.write_readings(  # the next write builds it in full, its own rows included
        readings([("S2", "MN02", "NH3N", "2023-06-01 01:00", "hour", 1.4, "N")])
    )
    assert rows(store) == [*BASE_ROWS[:4], ("S2", "MN02", "NH3N", "hour", "2023-06-01", "N", 2,
                                            2, 1.2, 1.4, "06-01 00:00", "06-01 01:00")]  # fmt: skip


def test_an_empty_store_has_an_empty_rollup(store: Store) -> None:
    assert rows(store) == []
