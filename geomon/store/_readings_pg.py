"""Readings in PostGIS: partitioned by Beijing month, keyed by (station_mn, parameter, step,
time), written by binary COPY (`geomon.store._pgcopy`).

Layout (`geomon.store.readings`): ``geomon_readings`` is ``PARTITION BY RANGE (time)``, one
partition per Beijing calendar month (``geomon_readings_202306``: 2023-06-01 00:00+08 up to
2023-07-01 00:00+08), created on demand by the write that first brings readings of that month.
Two indexes, both per partition: the key as primary key (it decides duplicates, and serves the
series read) and a btree on ``time`` (one day over every station). Reads by section go through
``geomon_readings_stations`` (section_code, station_mn), a catalogue every write adds its
pairs to: the sections' stations become a key prefix, so no third index on section is kept. A
pair is never removed (replace deleting a station's readings leaves it): the catalogue may name
more stations than hold readings, never fewer, and the read still filters on section_code.

A write runs in the caller's transaction (all or nothing). When no stored reading of the
frame's stations lies in its time span (a new day's drop, a backfill), nothing can meet it:
rows of a month with no partition yet are COPYed into a new bare table that is then attached as
that month's partition (the indexes are built once, sorted, instead of maintained row by row:
what makes a year's backfill fast), rows of months already there are COPYed into the parent.
Otherwise the frame is COPYed into a staging table and merged: replace deletes first, stored
readings that differ are updated (only those: a re-sent file rewrites nothing), the rest
inserted. A table attached after its COPY skips row triggers of the parent, so
when the parent has one (a site's own rule) every row goes through the parent instead.

Why months: a backfill lands in new partitions (1M readings: the write went from 18 s to a few
seconds, benchmarks/readings.py), one day's read touches one partition's time index, and an old
month can later be detached or dropped whole. A store written before partitions (a plain
``geomon_readings`` with a series and a covering day index) is migrated by its first write.

Measured on the 1M backfill (server CPU of the write, the machine loaded): the old covering
(step, time) INCLUDE-everything index alone cost ~12 s of COPY (wide entries inserted out of
order); the series index ~1.2 s more than none; building indexes on attach instead of
maintaining them: 5.7 → 3.6 s; without the series index 2.4 s; binary COPY instead of pandas
text: client 4.8 → 0.4 s. Not kept: BRIN on time (a station-major backfill defeats it: one
day read 110 ms against 11 ms), bigger maintenance_work_mem or no parallel index workers (no
difference at a month's size), smallint codes for parameter and step (every read and the
rollup would need a lookup; text keys in C collation, presorted, are cheap enough).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import psycopg
import sqlalchemy as sa

from geomon.errors import StoreError
from geomon.monitoring import READINGS_COLUMNS, empty_readings
from geomon.store import _pgcopy
from geomon.store import readings as rd

STATIONS_TABLE = "geomon_readings_stations"
_T = rd.READINGS_TABLE
_COLUMNS_SQL = (
    "section_code text NOT NULL, station_mn text NOT NULL, parameter text NOT NULL, "
    "step text NOT NULL, time timestamptz NOT NULL, value double precision, flag text NOT NULL"
)
_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS "{_T}" ({_COLUMNS_SQL},
        PRIMARY KEY (station_mn, parameter, step, time)) PARTITION BY RANGE (time)""",
    f'CREATE INDEX IF NOT EXISTS "{_T}_time" ON "{_T}" (time)',
    f"""CREATE TABLE IF NOT EXISTS "{STATIONS_TABLE}" (section_code text NOT NULL,
        station_mn text NOT NULL, PRIMARY KEY (section_code, station_mn))""",
    f"""CREATE TABLE IF NOT EXISTS "{rd.LOG_TABLE}" (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, revision bigint NOT NULL,
        at timestamptz NOT NULL, "user" text, source text, mode text NOT NULL,
        rows bigint NOT NULL, added bigint NOT NULL, updated bigint NOT NULL,
        deleted bigint NOT NULL)""",
)
_COLUMNS = ("section_code", "station_mn", "parameter", "step", "time", "value", "flag")
_JOIN = "r.station_mn = s.station_mn AND r.parameter = s.parameter AND r.step = s.step " \
    "AND r.time = s.time"  # fmt: skip
_BEIJING = pd.Timedelta(hours=8)
_MONTH_SQL = "to_char(time AT TIME ZONE 'UTC' + interval '8 hours', 'YYYYMM')::int"


# ---------------------------------------------------------------- layout and months
def months_of(times: pd.Series) -> np.ndarray:
    """The Beijing month of each UTC time as an integer ``yyyymm`` (China keeps UTC+8)."""
    local = (times + _BEIJING).dt
    return (local.year * 100 + local.month).to_numpy(dtype=np.int64)


def partition_name(month: int) -> str:
    """The partition of Beijing month `month` (``yyyymm``)."""
    return f"{_T}_{month:06d}"


def _bounds(month: int) -> tuple[str, str]:
    """The first instant of Beijing month `month` and of the next one, as SQL literals."""
    after = month + 89 if month % 100 == 12 else month + 1  # 202312 → 202401
    lo, hi = (f"'{m // 100:04d}-{m % 100:02d}-01 00:00:00+08'" for m in (month, after))
    return lo, hi


def _kind(conn: sa.Connection) -> str | None:
    """``p`` (partitioned), ``r`` (a plain table: an older store) or None (no readings table)."""
    return conn.execute(
        sa.text("SELECT relkind::text FROM pg_class WHERE oid = to_regclass(:t)"), {"t": _T}
    ).scalar()


def ensure(conn: sa.Connection) -> None:
    """Create the readings tables if they are missing; migrate a plain (older) readings table."""
    if _kind(conn) == "r":
        _migrate(conn)
        return
    for statement in _SCHEMA:
        conn.execute(sa.text(statement))


def _migrate(conn: sa.Connection) -> None:
    """An older store's plain readings table → the partitioned layout, rows and all: one month
    partition per month found, the rows copied over, the stations catalogue filled."""
    old = f"{_T}_unpartitioned"
    conn.execute(sa.text(f'ALTER TABLE "{_T}" RENAME TO "{old}"'))
    # names the new layout takes (the old key goes: the rows were unique, and leave next)
    conn.execute(sa.text(f'ALTER TABLE "{old}" DROP CONSTRAINT IF EXISTS "{_T}_pkey"'))
    conn.execute(sa.text(f'DROP INDEX IF EXISTS "{_T}_time"'))
    for statement in _SCHEMA:
        conn.execute(sa.text(statement))
    found = conn.execute(sa.text(f'SELECT DISTINCT {_MONTH_SQL} FROM "{old}"')).scalars()
    create_months(conn, [int(m) for m in found])
    columns = ", ".join(_COLUMNS)
    conn.execute(sa.text(f'INSERT INTO "{_T}" ({columns}) SELECT {columns} FROM "{old}"'))
    conn.execute(
        sa.text(
            f'INSERT INTO "{STATIONS_TABLE}" SELECT DISTINCT section_code, station_mn '
            f'FROM "{old}" ON CONFLICT DO NOTHING'
        )
    )
    conn.execute(sa.text(f'DROP TABLE "{old}"'))


def _missing(conn: sa.Connection, months: Iterable[int]) -> list[int]:
    """Of `months`, those without a partition yet, ascending."""
    wanted = sorted({int(m) for m in months})
    names = [partition_name(m) for m in wanted]
    found = conn.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t) AND c.relname = ANY(:names)"
        ),
        {"t": _T, "names": names},
    ).scalars()
    have = set(found)
    return [m for m, name in zip(wanted, names, strict=True) if name not in have]


def create_months(conn: sa.Connection, months: Iterable[int]) -> None:
    """Empty partitions for those of Beijing `months` (``yyyymm``) that have none."""
    for month in _missing(conn, months):
        lo, hi = _bounds(month)
        conn.execute(
            sa.text(
                f'CREATE TABLE "{partition_name(month)}" PARTITION OF "{_T}" '
                f"FOR VALUES FROM ({lo}) TO ({hi})"
            )
        )


def _attach_new(conn: sa.Connection, month: int, frame: pd.DataFrame) -> None:
    """Month `month`'s partition, made from `frame` (its rows; the month has no partition): a
    bare table filled by COPY, then attached, which builds its indexes in one sorted pass. The
    CHECK on the month lets the attach skip scanning the rows; it goes once attached."""
    name, (lo, hi) = partition_name(month), _bounds(month)
    conn.execute(
        sa.text(
            f'CREATE TABLE "{name}" (LIKE "{_T}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
            f'CONSTRAINT "{name}_month" CHECK (time >= {lo} AND time < {hi}))'
        )
    )
    _copy(conn, frame, name)
    conn.execute(
        sa.text(f'ALTER TABLE "{_T}" ATTACH PARTITION "{name}" FOR VALUES FROM ({lo}) TO ({hi})')
    )
    conn.execute(sa.text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{name}_month"'))


def _has_row_triggers(conn: sa.Connection) -> bool:
    """Whether the parent has a trigger of its own (one a bare table's COPY would skip)."""
    return bool(
        conn.execute(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(:t) "
                "AND NOT tgisinternal)"
            ),
            {"t": _T},
        ).scalar()
    )


# ---------------------------------------------------------------- writing
def _copy(conn: sa.Connection, frame: pd.DataFrame, table: str) -> None:
    """COPY `frame` into `table` in binary (`geomon.store._pgcopy`)."""
    raw = conn.connection.driver_connection
    columns = ", ".join(_pgcopy.COLUMNS)
    try:
        with (
            raw.cursor() as cur,
            cur.copy(f'COPY "{table}" ({columns}) FROM STDIN (FORMAT binary)') as copy,
        ):
            for chunk in _pgcopy.binary_rows(frame):
                copy.write(chunk)
    except psycopg.Error as exc:  # the driver's own error: SQLAlchemy does not wrap it here
        msg = f"readings write failed, nothing was changed: {exc}"
        raise StoreError(msg) from exc


def _note_stations(conn: sa.Connection, frame: pd.DataFrame) -> None:
    """Add the frame's (section_code, station_mn) pairs to the stations catalogue."""
    pairs = frame[["section_code", "station_mn"]].drop_duplicates()
    if pairs.empty:
        return
    conn.execute(
        sa.text(
            f'INSERT INTO "{STATIONS_TABLE}" SELECT * FROM unnest(CAST(:sections AS text[]), '
            "CAST(:stations AS text[])) ON CONFLICT DO NOTHING"
        ),
        {"sections": pairs["section_code"].tolist(), "stations": pairs["station_mn"].tolist()},
    )


def _overlaps(conn: sa.Connection, frame: pd.DataFrame) -> bool:
    """Whether a stored reading of one of the frame's stations and steps lies within the
    frame's time span: only then can a key repeat, or replace delete anything."""
    if frame.empty:
        return False
    for step, part in frame.groupby("step"):
        found = conn.execute(
            sa.text(
                f'SELECT 1 FROM "{_T}" WHERE step = :step AND time >= :lo '
                "AND time <= :hi AND station_mn = ANY(:stations) LIMIT 1"
            ),
            {
                "step": step,
                "lo": part["time"].min().to_pydatetime(),
                "hi": part["time"].max().to_pydatetime(),
                "stations": part["station_mn"].unique().tolist(),
            },
        ).first()
        if found is not None:
            return True
    return False


def _append(conn: sa.Connection, frame: pd.DataFrame, months: np.ndarray) -> None:
    """Store `frame`, which meets no stored reading: new months as new partitions, the rest
    (and everything, if the parent has a trigger of its own) through the parent."""
    new = _missing(conn, months)
    if new and _has_row_triggers(conn):
        create_months(conn, new)
        new = []
    fresh = np.isin(months, new)
    for month in new:
        _attach_new(conn, month, frame[months == month])
    if not fresh.all():
        _copy(conn, frame[~fresh], _T)


_CHANGED = "(r.value IS DISTINCT FROM s.value OR r.flag <> s.flag " \
    "OR r.section_code <> s.section_code)"  # fmt: skip


def _merge(conn: sa.Connection, frame: pd.DataFrame, mode: str) -> tuple[int, int, int]:
    """Stage `frame` and merge it into the stored readings per `mode` (its months' partitions
    exist); (readings already stored, of which changed, deleted). Stored readings are
    rewritten only where something changed (a re-sent file writes nothing twice), new ones
    inserted; the frame's time span bounds the joins, so only its months' partitions are read,
    and the staging key index keeps a misestimated nested loop from scanning staging per row
    (the writer lock keeps other writers out between the statements)."""
    conn.execute(sa.text(f"CREATE TEMP TABLE staging ({_COLUMNS_SQL}) ON COMMIT DROP"))
    _copy(conn, frame, "staging")
    conn.execute(sa.text("CREATE INDEX ON staging (station_mn, parameter, step, time)"))
    conn.execute(sa.text("ANALYZE staging"))
    span = {"lo": frame["time"].min().to_pydatetime(), "hi": frame["time"].max().to_pydatetime()}
    within = "r.time BETWEEN :lo AND :hi"
    existing, changed = conn.execute(
        sa.text(
            f"""SELECT count(*), coalesce(sum({_CHANGED}::int), 0)
                FROM staging s JOIN "{_T}" r ON {_JOIN} AND {within}"""
        ),
        span,
    ).one()
    deleted = 0
    if mode == "replace":
        result = conn.execute(
            sa.text(
                f"""DELETE FROM "{_T}" r USING (SELECT station_mn, step, min(time) AS lo,
                    max(time) AS hi FROM staging GROUP BY station_mn, step) g
                    WHERE r.station_mn = g.station_mn AND r.step = g.step
                    AND r.time BETWEEN g.lo AND g.hi
                    AND NOT EXISTS (SELECT 1 FROM staging s WHERE {_JOIN})"""
            )
        )
        deleted = int(result.rowcount)
    if changed:
        conn.execute(
            sa.text(
                f"""UPDATE "{_T}" r SET section_code = s.section_code, value = s.value,
                    flag = s.flag FROM staging s WHERE {_JOIN} AND {within} AND {_CHANGED}"""
            ),
            span,
        )
    if existing < len(frame):
        columns = ", ".join(_COLUMNS)
        conn.execute(
            sa.text(
                f"""INSERT INTO "{_T}" ({columns}) SELECT {columns} FROM staging s
                    WHERE NOT EXISTS (SELECT 1 FROM "{_T}" r WHERE {_JOIN} AND {within})"""
            ),
            span,
        )
    conn.execute(sa.text("DROP TABLE staging"))
    return int(existing), int(changed), deleted


def write(
    conn: sa.Connection, frame: pd.DataFrame, *, mode: str, revision: int
) -> rd.ReadingsStats:
    """Merge checked readings `frame` in the caller's transaction (see the module docstring)."""
    ensure(conn)
    _note_stations(conn, frame)
    months = months_of(frame["time"])
    if not _overlaps(conn, frame):  # nothing stored it could meet: straight in
        _append(conn, frame, months)
        return rd.ReadingsStats(len(frame), len(frame), 0, 0, revision)
    create_months(conn, months)
    existing, changed, deleted = _merge(conn, frame, mode)
    return rd.ReadingsStats(len(frame), len(frame) - existing, changed, deleted, revision)


def log(conn: sa.Connection, stats: rd.ReadingsStats, **values: object) -> None:
    """One row in the readings log for the write `stats`."""
    conn.execute(
        sa.text(
            f'INSERT INTO "{rd.LOG_TABLE}" (revision, at, "user", source, mode, rows, added, '
            "updated, deleted) VALUES (:revision, :at, :user, :source, :mode, :rows, :added, "
            ":updated, :deleted)"
        ),
        {
            "revision": stats.revision,
            "rows": stats.rows,
            "added": stats.added,
            "updated": stats.updated,
            "deleted": stats.deleted,
            **values,
        },
    )


def read(
    conn: sa.Connection,
    *,
    sections: list[str] | None,
    parameters: list[str] | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    step: str | None,
) -> pd.DataFrame:
    """Readings matching every filter given, sorted by section, parameter, time (and step).
    By section: the catalogue's stations of those sections lead the key (an older store not
    yet migrated has no catalogue, and its own series index)."""
    readings, catalogue = conn.execute(
        sa.select(sa.func.to_regclass(_T), sa.func.to_regclass(STATIONS_TABLE))
    ).one()
    if readings is None:
        return empty_readings()
    where, args = [], {}
    if sections is not None:
        where.append("section_code = ANY(:sections)")
        args["sections"] = sections
        if catalogue is not None:
            where.append(
                f'station_mn = ANY(ARRAY(SELECT station_mn FROM "{STATIONS_TABLE}" '
                "WHERE section_code = ANY(:sections)))"
            )
    if parameters is not None:
        where.append("parameter = ANY(:parameters)")
        args["parameters"] = parameters
    if step is not None:
        where.append("step = :step")
        args["step"] = step
    if start is not None:
        where.append("time >= :start")
        args["start"] = start.to_pydatetime()
    if end is not None:
        where.append("time < :end")
        args["end"] = end.to_pydatetime()
    sql = (
        "SELECT section_code, station_mn, parameter, extract(epoch FROM time)::bigint AS epoch, "
        f'step, value, flag FROM "{_T}"'
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY section_code, parameter, time, step, station_mn"
    )
    rows = conn.execute(sa.text(sql), args).all()
    if not rows:
        return empty_readings()
    columns = list(zip(*rows, strict=True))
    frame = pd.DataFrame(
        {
            "section_code": pd.Series(columns[0], dtype="object"),
            "station_mn": pd.Series(columns[1], dtype="object"),
            "parameter": pd.Series(columns[2], dtype="object"),
            "time": rd.from_epoch(np.asarray(columns[3], dtype="int64")),
            "step": pd.Series(columns[4], dtype="object"),
            "value": pd.Series(columns[5], dtype="float64"),
            "flag": pd.Series(columns[6], dtype="object"),
        }
    )
    return frame[list(READINGS_COLUMNS)]
