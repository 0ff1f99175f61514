"""The daily rollup (`geomon.store.rollup`) in the GeoPackage file: SQLite statements.

``geomon_readings_daily`` is a plain table (not in ``gpkg_contents``: not a layer), keyed by
(station_mn, parameter, step, day, flag, section_code), with an index on ``day`` for "every
station over these days". `refresh` runs inside the readings write's transaction; it reads
the touched rows through the readings key index (station_mn, parameter, step, time): left to
itself SQLite takes the covering "one day" index and scans every station's rows of the span
once per group (35 s instead of 2–4 s for a year of 15 stations, 1M readings).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from geomon.errors import StoreError
from geomon.store import _sqlite as sqlite
from geomon.store import readings as rd
from geomon.store import rollup as ru

T, R = ru.DAILY_TABLE, rd.READINGS_TABLE
_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS "{T}" (
        section_code TEXT NOT NULL, station_mn TEXT NOT NULL, parameter TEXT NOT NULL,
        step TEXT NOT NULL, day INTEGER NOT NULL, flag TEXT NOT NULL, rows INTEGER NOT NULL,
        n INTEGER NOT NULL, low REAL, high REAL, first_time INTEGER, last_time INTEGER,
        total REAL, hsum REAL, last_value REAL,
        PRIMARY KEY (station_mn, parameter, step, day, flag, section_code)) WITHOUT ROWID""",
    f'CREATE INDEX IF NOT EXISTS "{T}_day" ON "{T}" (day)',
)
_AGGREGATE = f"""SELECT r.section_code, r.station_mn, r.parameter, r.step,
    (r.time + {ru.BEIJING_OFFSET}) / {ru.DAY} AS day, r.flag, count(*), count(r.value),
    min(r.value), max(r.value), min(CASE WHEN r.value IS NOT NULL THEN r.time END),
    max(CASE WHEN r.value IS NOT NULL THEN r.time END) AS last_t, sum(r.value),
    sum(CASE WHEN r.parameter = 'pH' AND abs(r.value) <= {ru.H_RANGE}
        THEN geomon_hplus(r.value) END)"""
_GROUP_BY = "GROUP BY r.station_mn, r.parameter, r.step, day, r.flag, r.section_code"


def _insert(source: str) -> str:
    """INSERT of the rollup rows of the readings `source` (a FROM clause naming them ``r``);
    ``last_value`` looked up by the key at ``last_time``."""
    return f"""INSERT INTO "{T}" ({", ".join(ru.DAILY_COLUMNS)})
        SELECT a.*, (SELECT x.value FROM "{R}" x WHERE x.station_mn = a.station_mn
            AND x.parameter = a.parameter AND x.step = a.step AND x.time = a.last_t)
        FROM ({_AGGREGATE} {source} {_GROUP_BY}) a"""


def _functions(conn: sqlite3.Connection) -> None:
    """10^−pH for ``hsum`` (Python's, as pandas; SQLite's power() is not in every build)."""
    conn.create_function("geomon_hplus", 1, lambda v: 10.0**-v, deterministic=True)


def exists(conn: sqlite3.Connection) -> bool:
    """Whether the rollup table is in the file, with every column (an older one is rebuilt)."""
    if not sqlite.exists(conn, T):
        return False
    columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{T}")')}
    return set(ru.DAILY_COLUMNS) <= columns


def build(conn: sqlite3.Connection) -> None:
    """Create the rollup and fill it from every stored reading (an older store's first need)."""
    _functions(conn)
    conn.execute(f'DROP TABLE IF EXISTS "{T}"')
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.execute(_insert(f'FROM "{R}" r'))


def refresh(conn: sqlite3.Connection, frame: pd.DataFrame, mode: str) -> None:
    """Recompute the rollup rows a readings write of checked `frame` touched (see
    `geomon.store.rollup`); build it in full if the store has none yet."""
    if not exists(conn):
        build(conn)
        return
    _functions(conn)
    groups = ru.touched(frame)
    if mode == "replace" and len(frame):  # every parameter stored in the spans it deleted from
        spans = ru.span_days(frame)
        extra = []
        for mn, step, lo, hi in spans.itertuples(index=False):
            params = conn.execute(
                f'SELECT DISTINCT parameter FROM "{T}" WHERE station_mn = ? AND step = ? '
                "AND day BETWEEN ? AND ?",
                (mn, step, int(lo), int(hi)),
            ).fetchall()
            extra += [(mn, p, step, int(lo), int(hi)) for (p,) in params]
        groups = ru.widen(groups, pd.DataFrame(extra, columns=[*ru.GROUP, "lo", "hi"]))
    rows = list(groups.itertuples(index=False, name=None))
    conn.execute("DROP TABLE IF EXISTS temp.rollup_groups")
    conn.execute("CREATE TEMP TABLE rollup_groups (station_mn, parameter, step, lo, hi, old)")
    conn.executemany("INSERT INTO temp.rollup_groups VALUES (?, ?, ?, ?, ?, 0)", rows)
    conn.execute(  # groups with rollup rows in their days: something was stored there before
        f"""UPDATE temp.rollup_groups SET old = 1 WHERE EXISTS (SELECT 1 FROM "{T}" d
            WHERE d.station_mn = rollup_groups.station_mn AND d.parameter = rollup_groups.parameter
            AND d.step = rollup_groups.step AND d.day BETWEEN rollup_groups.lo
            AND rollup_groups.hi)"""
    )
    old = conn.execute(
        "SELECT station_mn, parameter, step, lo, hi FROM temp.rollup_groups WHERE old"
    ).fetchall()
    conn.executemany(
        f'DELETE FROM "{T}" WHERE station_mn = ? AND parameter = ? AND step = ? '
        "AND day BETWEEN ? AND ?",
        old,
    )
    conn.executemany(  # nothing was stored in the other groups: their rows are the frame's
        f'INSERT INTO "{T}" ({", ".join(ru.DAILY_COLUMNS)}) '
        f"VALUES ({', '.join('?' * len(ru.DAILY_COLUMNS))})",
        ru.aggregate(ru.outside(frame, [r[:3] for r in old])),
    )
    conn.execute(
        _insert(
            f"""FROM temp.rollup_groups g CROSS JOIN "{R}" r INDEXED BY "{R}_key"
                ON g.old AND r.station_mn = g.station_mn AND r.parameter = g.parameter
                AND r.step = g.step AND r.time >= g.lo * {ru.DAY} - {ru.BEIJING_OFFSET}
                AND r.time < (g.hi + 1) * {ru.DAY} - {ru.BEIJING_OFFSET}"""
        )
    )
    conn.execute("DROP TABLE temp.rollup_groups")


def read(
    conn: sqlite3.Connection, lo: int, hi: int, stations: list[str] | None = None
) -> pd.DataFrame:
    """The rollup rows of Beijing days `lo` … `hi` (day numbers, inclusive), of `stations`
    only when given (read through the key, which starts with the station)."""
    sql = f'SELECT {", ".join(ru.DAILY_COLUMNS)} FROM "{T}" WHERE day BETWEEN ? AND ?'
    args: list[Any] = [lo, hi]
    if stations is not None:
        sql += f" AND station_mn IN ({', '.join('?' * len(stations))})"
        args += stations
    rows = conn.execute(sql, args).fetchall()
    if not rows:
        return ru.empty_daily()
    return ru.frame_of([list(c) for c in zip(*rows, strict=True)])


def read_file(
    path: Path, lo: int, hi: int, *, lock: Callable[[], Any], stations: list[str] | None = None
) -> pd.DataFrame:
    """The rollup rows of days `lo` … `hi` in the GeoPackage at `path`; a file whose readings
    were written before the rollup existed gets it built first, under the writer `lock` (a
    context manager factory) in one transaction."""
    if not path.is_file():
        return ru.empty_daily()
    try:
        with sqlite.connect(path, write=False) as conn:
            if not sqlite.exists(conn, R):
                return ru.empty_daily()
            if exists(conn):
                return read(conn, lo, hi, stations)
        with lock(), sqlite.connect(path, write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if not exists(conn):
                    build(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return read(conn, lo, hi, stations)
    except sqlite3.Error as exc:
        msg = f"{path}: cannot read the daily readings rollup: {exc}"
        raise StoreError(msg) from exc
