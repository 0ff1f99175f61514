"""Readings in PostGIS: a table keyed by (station_mn, parameter, step, time), written by COPY.

Layout (`geomon.store.readings`): ``geomon_readings`` with the key as primary key (it decides
duplicates), an index on (section_code, parameter, step, time) for series and one on (step,
time) including every other column for "every station over one day"; ``time`` is
``timestamptz``. A write COPYs the frame into a temporary staging table and merges it with one
INSERT … ON CONFLICT, inside the caller's transaction (all or nothing); when no stored reading
of the frame's stations lies in its time span (a new day's drop), nothing can meet it and the
COPY goes straight into the table. Not partitioned by
month: with 1M readings stored the indexes answer a section-year or a day in milliseconds
(benchmarks/readings.py); partitions were not tried, and would start to pay for a national store
kept for years (dropping an old month, smaller indexes per month).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import psycopg
import sqlalchemy as sa

from geomon.errors import StoreError
from geomon.monitoring import READINGS_COLUMNS, empty_readings
from geomon.store import readings as rd

_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS "{rd.READINGS_TABLE}" (
        section_code text NOT NULL, station_mn text NOT NULL, parameter text NOT NULL,
        step text NOT NULL, time timestamptz NOT NULL, value double precision,
        flag text NOT NULL, PRIMARY KEY (station_mn, parameter, step, time))""",
    f"""CREATE INDEX IF NOT EXISTS "{rd.READINGS_TABLE}_series"
        ON "{rd.READINGS_TABLE}" (section_code, parameter, step, time)""",
    f"""CREATE INDEX IF NOT EXISTS "{rd.READINGS_TABLE}_day" ON "{rd.READINGS_TABLE}"
        (step, time) INCLUDE (section_code, station_mn, parameter, value, flag)""",
    f"""CREATE TABLE IF NOT EXISTS "{rd.LOG_TABLE}" (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, revision bigint NOT NULL,
        at timestamptz NOT NULL, "user" text, source text, mode text NOT NULL,
        rows bigint NOT NULL, added bigint NOT NULL, updated bigint NOT NULL,
        deleted bigint NOT NULL)""",
)
_COLUMNS = ("section_code", "station_mn", "parameter", "step", "time", "value", "flag")
_JOIN = "r.station_mn = s.station_mn AND r.parameter = s.parameter AND r.step = s.step " \
    "AND r.time = s.time"  # fmt: skip


def _copy_text(frame: pd.DataFrame) -> str:
    """The frame as COPY text (tab-separated, ``\\N`` for no value, time as ISO UTC)."""
    out = pd.DataFrame(
        {
            "section_code": frame["section_code"],
            "station_mn": frame["station_mn"],
            "parameter": frame["parameter"],
            "step": frame["step"],
            "time": np.char.add(
                np.datetime_as_string(frame["time"].to_numpy(dtype="datetime64[s]"), unit="s"),
                "Z",
            ),
            "value": frame["value"],
            "flag": frame["flag"],
        }
    )
    buffer = io.StringIO()
    out.to_csv(buffer, sep="\t", header=False, index=False, na_rep="\\N", float_format="%.17g")
    return buffer.getvalue()


def _check_text(frame: pd.DataFrame) -> None:
    """Refuse text that COPY's text format would misread (tab, newline, backslash)."""
    for column in ("section_code", "station_mn", "parameter", "flag"):
        bad = frame[column].astype("str").str.contains(r"[\t\n\r\\]", regex=True)
        if bad.any():
            rd._refuse(frame, bad.to_numpy(), f"a tab, newline or backslash in {column}")


def ensure(conn: sa.Connection) -> None:
    """Create the readings tables if they are missing."""
    for statement in _SCHEMA:
        conn.execute(sa.text(statement))


def _copy(conn: sa.Connection, frame: pd.DataFrame, table: str) -> None:
    """COPY `frame` into `table` (columns in `_COLUMNS` order)."""
    raw = conn.connection.driver_connection
    columns = ", ".join(_COLUMNS)
    text = _copy_text(frame)
    try:
        with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for start in range(0, len(text), 1 << 24):
                copy.write(text[start : start + (1 << 24)])
    except psycopg.Error as exc:  # the driver's own error: SQLAlchemy does not wrap it here
        msg = f"readings write failed, nothing was changed: {exc}"
        raise StoreError(msg) from exc


def _overlaps(conn: sa.Connection, frame: pd.DataFrame) -> bool:
    """Whether a stored reading of one of the frame's stations and steps lies within the
    frame's time span: only then can a key repeat, or replace delete anything."""
    if frame.empty:
        return False
    for step, part in frame.groupby("step"):
        found = conn.execute(
            sa.text(
                f'SELECT 1 FROM "{rd.READINGS_TABLE}" WHERE step = :step AND time >= :lo '
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


def write(
    conn: sa.Connection, frame: pd.DataFrame, *, mode: str, revision: int
) -> rd.ReadingsStats:
    """Merge checked readings `frame` in the caller's transaction (see the module docstring)."""
    _check_text(frame)
    ensure(conn)
    t = rd.READINGS_TABLE
    if not _overlaps(conn, frame):  # nothing stored it could meet: straight into the table
        _copy(conn, frame, t)
        return rd.ReadingsStats(len(frame), len(frame), 0, 0, revision)
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE staging (section_code text, station_mn text, parameter text, "
            "step text, time timestamptz, value double precision, flag text) ON COMMIT DROP"
        )
    )
    _copy(conn, frame, "staging")
    conn.execute(sa.text("ANALYZE staging"))
    existing, changed = conn.execute(
        sa.text(
            f"""SELECT count(*), coalesce(sum((r.value IS DISTINCT FROM s.value OR r.flag <> s.flag
                OR r.section_code <> s.section_code)::int), 0)
                FROM staging s JOIN "{t}" r ON {_JOIN}"""
        )
    ).one()
    deleted = 0
    if mode == "replace" and len(frame):
        result = conn.execute(
            sa.text(
                f"""DELETE FROM "{t}" r USING (SELECT station_mn, step, min(time) AS lo,
                    max(time) AS hi FROM staging GROUP BY station_mn, step) g
                    WHERE r.station_mn = g.station_mn AND r.step = g.step
                    AND r.time BETWEEN g.lo AND g.hi
                    AND NOT EXISTS (SELECT 1 FROM staging s WHERE {_JOIN})"""
            )
        )
        deleted = int(result.rowcount)
    conn.execute(
        sa.text(
            f"""INSERT INTO "{t}" ({", ".join(_COLUMNS)}) SELECT {", ".join(_COLUMNS)}
                FROM staging ON CONFLICT (station_mn, parameter, step, time) DO UPDATE SET
                section_code = EXCLUDED.section_code, value = EXCLUDED.value,
                flag = EXCLUDED.flag"""
        )
    )
    conn.execute(sa.text("DROP TABLE staging"))
    return rd.ReadingsStats(len(frame), len(frame) - int(existing), int(changed), deleted, revision)


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
    """Readings matching every filter given, sorted by section, parameter, time (and step)."""
    if conn.execute(sa.select(sa.func.to_regclass(rd.READINGS_TABLE))).scalar() is None:
        return empty_readings()
    where, args = [], {}
    if sections is not None:
        where.append("section_code = ANY(:sections)")
        args["sections"] = sections
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
        f'step, value, flag FROM "{rd.READINGS_TABLE}"'
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
