"""Readings in the GeoPackage file: an attribute table written and read with SQLite.

Layout (`geomon.store.readings`): ``geomon_readings`` with ``fid INTEGER PRIMARY KEY`` (GDAL
wants one), a unique index on the key (station_mn, parameter, step, time) that decides
duplicates, an index on (section_code, parameter, step, time) for series and a covering one on
(step, time, …every column) for "every station over one day" (read from the index alone: half
the time of an index on (step, time) plus row lookups). One write is one SQLite transaction
(journal: a killed writer leaves the file as it was); the caller holds the store's writer lock,
so no layer write (copy-and-replace of the file) runs at the same time.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from geomon.errors import StoreError
from geomon.monitoring import READINGS_COLUMNS, empty_readings
from geomon.store import _rollup_gpkg as rollup_gpkg
from geomon.store import _sqlite as sqlite
from geomon.store import readings as rd

_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS "{rd.READINGS_TABLE}" (
        fid INTEGER PRIMARY KEY,
        section_code TEXT NOT NULL,
        station_mn TEXT NOT NULL,
        parameter TEXT NOT NULL,
        step TEXT NOT NULL,
        time INTEGER NOT NULL,
        value REAL,
        flag TEXT NOT NULL)""",
    f"""CREATE UNIQUE INDEX IF NOT EXISTS "{rd.READINGS_TABLE}_key"
        ON "{rd.READINGS_TABLE}" (station_mn, parameter, step, time)""",
    f"""CREATE INDEX IF NOT EXISTS "{rd.READINGS_TABLE}_series"
        ON "{rd.READINGS_TABLE}" (section_code, parameter, step, time)""",
    f"""CREATE INDEX IF NOT EXISTS "{rd.READINGS_TABLE}_day"
        ON "{rd.READINGS_TABLE}" (step, time, section_code, station_mn, parameter, value, flag)""",
    f"""CREATE TABLE IF NOT EXISTS "{rd.LOG_TABLE}" (
        fid INTEGER PRIMARY KEY, revision INTEGER NOT NULL, at TEXT NOT NULL, user TEXT,
        source TEXT, mode TEXT NOT NULL, rows INTEGER NOT NULL, added INTEGER NOT NULL,
        updated INTEGER NOT NULL, deleted INTEGER NOT NULL)""",
)
_CACHE_KIB = 256 * 1024
_COLUMNS = ("section_code", "station_mn", "parameter", "step", "time", "value", "flag")


def _register(conn: sqlite3.Connection) -> None:
    """List the readings table in gpkg_contents as ``attributes`` (GDAL, QGIS see it)."""
    if not sqlite.exists(conn, "gpkg_contents"):
        return
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change) VALUES (?, 'attributes', ?, ?, ?)",
        (
            rd.READINGS_TABLE,
            rd.READINGS_TABLE,
            "自动站数据 station readings (time: seconds since 1970-01-01 UTC)",
            now,
        ),
    )


def last_revision(conn: sqlite3.Connection) -> int:
    """The highest revision in the readings log (0 without one)."""
    if not sqlite.exists(conn, rd.LOG_TABLE):
        return 0
    value = conn.execute(f'SELECT max(revision) FROM "{rd.LOG_TABLE}"').fetchone()[0]
    return int(value or 0)


def write(
    path: Path,
    frame: pd.DataFrame,
    *,
    mode: str,
    revision: int,
    at: str,
    user: str | None,
    source: str | None,
) -> rd.ReadingsStats:
    """Write checked readings `frame` in one SQLite transaction (see the module docstring)."""
    rows = (  # an iterator: executemany streams it, no second copy of the readings in memory
        zip(
            frame["section_code"].tolist(),
            frame["station_mn"].tolist(),
            frame["parameter"].tolist(),
            frame["step"].tolist(),
            rd.epoch_seconds(frame["time"]).tolist(),
            frame["value"].to_numpy(dtype="float64").tolist(),  # SQLite stores NaN as NULL
            frame["flag"].tolist(),
            strict=True,
        )
    )
    try:
        with sqlite.connect(path, write=True) as conn:
            conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")  # index pages of a big import
            conn.execute("BEGIN IMMEDIATE")
            try:
                stats = _write_rows(conn, rows, frame, mode, revision)
                conn.execute(
                    f'INSERT INTO "{rd.LOG_TABLE}" (revision, at, user, source, mode, rows, '
                    "added, updated, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (revision, at, user, source, mode, len(frame), stats.added, stats.updated,
                     stats.deleted),
                )  # fmt: skip
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    except sqlite3.Error as exc:
        msg = f"{path}: readings write failed, nothing was changed: {exc}"
        raise StoreError(msg) from exc
    return stats


def _write_rows(
    conn: sqlite3.Connection,
    rows: Iterator[tuple[Any, ...]],
    frame: pd.DataFrame,
    mode: str,
    rev: int,
) -> rd.ReadingsStats:
    for statement in _SCHEMA:
        conn.execute(statement)
    _register(conn)
    t = rd.READINGS_TABLE
    conn.execute("DROP TABLE IF EXISTS temp.staging")
    conn.execute(f"CREATE TEMP TABLE staging ({', '.join(_COLUMNS)})")
    conn.executemany(f"INSERT INTO temp.staging VALUES ({', '.join('?' * 7)})", rows)
    existing, changed = conn.execute(
        f"""SELECT count(r.fid), coalesce(sum(r.value IS NOT s.value OR r.flag != s.flag
                   OR r.section_code != s.section_code), 0)
            FROM temp.staging s JOIN "{t}" r ON r.station_mn = s.station_mn
            AND r.parameter = s.parameter AND r.step = s.step AND r.time = s.time"""
    ).fetchone()
    deleted = 0
    if mode == "replace" and len(frame):  # stored readings in the spans the frame lacks
        conn.execute("CREATE INDEX temp.staging_key ON staging (station_mn, parameter, step, time)")
        spans = rd.spans(frame)
        ranges = list(
            zip(
                spans["station_mn"].tolist(),
                spans["step"].tolist(),
                rd.epoch_seconds(spans["min"]).tolist(),
                rd.epoch_seconds(spans["max"]).tolist(),
                strict=True,
            )
        )
        before = conn.total_changes
        conn.executemany(
            f"""DELETE FROM "{t}" WHERE station_mn = ? AND step = ? AND time BETWEEN ? AND ?
                AND NOT EXISTS (SELECT 1 FROM temp.staging s WHERE s.station_mn = "{t}".station_mn
                AND s.parameter = "{t}".parameter AND s.step = "{t}".step
                AND s.time = "{t}".time)""",
            ranges,
        )
        deleted = conn.total_changes - before
    conn.execute(
        f"""INSERT INTO "{t}" ({", ".join(_COLUMNS)}) SELECT {", ".join(_COLUMNS)}
            FROM temp.staging WHERE true
            ON CONFLICT (station_mn, parameter, step, time) DO UPDATE SET
            section_code = excluded.section_code, value = excluded.value, flag = excluded.flag"""
    )
    conn.execute("DROP TABLE temp.staging")
    rollup_gpkg.refresh(conn, frame, mode)  # the daily rollup, in the same transaction
    added = len(frame) - int(existing)
    return rd.ReadingsStats(len(frame), added, int(changed), deleted, rev)


def read(
    path: Path,
    *,
    sections: list[str] | None,
    parameters: list[str] | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    step: str | None,
) -> pd.DataFrame:
    """Readings matching every filter given, sorted by section, parameter, time (and step)."""
    if not path.is_file():
        return empty_readings()
    where, args = [], []
    for column, wanted in (("section_code", sections), ("parameter", parameters)):
        if wanted is not None:
            where.append(f"{column} IN ({', '.join('?' * len(wanted))})")
            args += wanted
    if step is not None:
        where.append("step = ?")
        args.append(step)
    if start is not None:
        where.append("time >= ?")
        args.append(int(start.timestamp()))
    if end is not None:
        where.append("time < ?")
        args.append(int(end.timestamp()))
    sql = (
        "SELECT section_code, station_mn, parameter, time, step, value, flag "
        f'FROM "{rd.READINGS_TABLE}"'
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY section_code, parameter, time, step, station_mn"
    )
    try:
        with sqlite.connect(path, write=False) as conn:
            if not sqlite.exists(conn, rd.READINGS_TABLE):
                return empty_readings()
            rows = conn.execute(sql, args).fetchall()
    except sqlite3.Error as exc:
        msg = f"{path}: cannot read readings: {exc}"
        raise StoreError(msg) from exc
    if not rows:
        return empty_readings()
    columns = list(zip(*rows, strict=True))
    frame = pd.DataFrame(
        {
            "section_code": pd.Series(columns[0], dtype="object"),
            "station_mn": pd.Series(columns[1], dtype="object"),
            "parameter": pd.Series(columns[2], dtype="object"),
            "time": rd.from_epoch(columns[3]),
            "step": pd.Series(columns[4], dtype="object"),
            "value": pd.Series(columns[5], dtype="float64"),
            "flag": pd.Series(columns[6], dtype="object"),
        }
    )
    return frame[list(READINGS_COLUMNS)]
