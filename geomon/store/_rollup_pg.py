"""The daily rollup (`geomon.store.rollup`) in PostGIS: the same table and statements as the
GeoPackage's (`geomon.store._rollup_gpkg`) in PostgreSQL's dialect, run in the readings write's
transaction. ``day`` and the times are integers (days, seconds since 1970), as in the file.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from geomon.store import readings as rd
from geomon.store import rollup as ru

T, R = ru.DAILY_TABLE, rd.READINGS_TABLE
_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS "{T}" (
        section_code text NOT NULL, station_mn text NOT NULL, parameter text NOT NULL,
        step text NOT NULL, day integer NOT NULL, flag text NOT NULL, rows bigint NOT NULL,
        n bigint NOT NULL, low double precision, high double precision, first_time bigint,
        last_time bigint, total double precision, hsum double precision,
        last_value double precision,
        PRIMARY KEY (station_mn, parameter, step, day, flag, section_code))""",
    f'CREATE INDEX IF NOT EXISTS "{T}_day" ON "{T}" (day)',
)
_EPOCH = "extract(epoch FROM r.time)::bigint"
_AGGREGATE = f"""SELECT r.section_code, r.station_mn, r.parameter, r.step,
    floor((extract(epoch FROM r.time) + {ru.BEIJING_OFFSET}) / {ru.DAY})::integer AS day, r.flag,
    count(*), count(r.value), min(r.value), max(r.value),
    min({_EPOCH}) FILTER (WHERE r.value IS NOT NULL),
    max({_EPOCH}) FILTER (WHERE r.value IS NOT NULL), sum(r.value),
    sum(power(10::float8, -r.value)) FILTER (WHERE r.parameter = 'pH'
        AND abs(r.value) <= {ru.H_RANGE}),
    (array_agg(r.value ORDER BY r.time DESC) FILTER (WHERE r.value IS NOT NULL))[1]"""
RANGE_DAYS = 3
"""A write spanning fewer days than this (a daily drop) recomputes from every station's rows
of those days read in one pass (the day index), not group by group through the key: 16,000
groups of a national day's drop cost ~100 s by key lookups on a cold 140M-row table."""
_GROUP_BY = "GROUP BY r.station_mn, r.parameter, r.step, day, r.flag, r.section_code"


def exists(conn: sa.Connection) -> bool:
    """Whether the rollup table is in the database, with every column (an older one is
    rebuilt)."""
    found = conn.execute(
        sa.text("SELECT count(*) FROM information_schema.columns WHERE table_name = :t "
                "AND table_schema = current_schema() AND column_name = ANY(:c)"),
        {"t": T, "c": list(ru.DAILY_COLUMNS)},
    ).scalar()  # fmt: skip
    return found == len(ru.DAILY_COLUMNS)


def build(conn: sa.Connection) -> None:
    """Create the rollup and fill it from every stored reading (an older store's first need)."""
    conn.execute(sa.text(f'DROP TABLE IF EXISTS "{T}"'))
    for statement in _SCHEMA:
        conn.execute(sa.text(statement))
    if conn.execute(sa.select(sa.func.to_regclass(R))).scalar() is not None:
        conn.execute(  # in day order: "every station over these days" reads few pages
            sa.text(f'INSERT INTO "{T}" {_AGGREGATE} FROM "{R}" r {_GROUP_BY} ORDER BY day')
        )


def refresh(conn: sa.Connection, frame: pd.DataFrame, mode: str) -> None:
    """Recompute the rollup rows a readings write of checked `frame` touched (see
    `geomon.store.rollup`); build it in full if the store has none yet."""
    if not exists(conn):
        build(conn)
        return
    if not len(frame):
        return
    groups = ru.touched(frame)
    if mode == "replace":  # every parameter stored in the spans it deleted from
        spans = ru.span_days(frame)
        found = conn.execute(
            sa.text(
                f"""SELECT DISTINCT d.station_mn, d.parameter, d.step, s.lo, s.hi
                    FROM unnest(CAST(:mn AS text[]), CAST(:step AS text[]), CAST(:lo AS int[]),
                    CAST(:hi AS int[])) AS s(station_mn, step, lo, hi)
                    JOIN "{T}" d ON d.station_mn = s.station_mn AND d.step = s.step
                    AND d.day BETWEEN s.lo AND s.hi"""
            ),
            {
                "mn": spans["station_mn"].tolist(),
                "step": spans["step"].tolist(),
                "lo": [int(v) for v in spans["lo"]],
                "hi": [int(v) for v in spans["hi"]],
            },
        ).all()
        extra = pd.DataFrame([tuple(r) for r in found], columns=[*ru.GROUP, "lo", "hi"])
        groups = ru.widen(groups, extra)
    touched = (
        "unnest(CAST(:mn AS text[]), CAST(:parameter AS text[]), CAST(:step AS text[]), "
        "CAST(:lo AS int[]), CAST(:hi AS int[])) AS g(station_mn, parameter, step, lo, hi)"
    )
    old = conn.execute(  # groups with rollup rows in their days: something was stored before
        sa.text(
            f"""SELECT g.station_mn, g.parameter, g.step, g.lo, g.hi FROM {touched}
                WHERE EXISTS (SELECT 1 FROM "{T}" d WHERE d.station_mn = g.station_mn
                AND d.parameter = g.parameter AND d.step = g.step
                AND d.day BETWEEN g.lo AND g.hi)"""
        ),
        _arrays(groups),
    ).all()
    _insert(conn, ru.aggregate(ru.outside(frame, [tuple(r[:3]) for r in old])))
    if not old:  # nothing was stored in any: the rows above are the frame's, all of them
        return
    args = _arrays(pd.DataFrame([tuple(r) for r in old], columns=[*ru.GROUP, "lo", "hi"]))
    conn.execute(
        sa.text(
            f"""DELETE FROM "{T}" d USING {touched} WHERE d.station_mn = g.station_mn
                AND d.parameter = g.parameter AND d.step = g.step AND d.day BETWEEN g.lo AND g.hi"""
        ),
        args,
    )
    lo, hi = min(args["lo"]), max(args["hi"])
    if hi - lo < RANGE_DAYS:  # a day's drop: every station's rows of those days, read in order
        source = f"""(SELECT * FROM "{R}" WHERE step = ANY(:steps)
            AND time >= to_timestamp(:t0) AND time < to_timestamp(:t1)) r
            JOIN (SELECT DISTINCT station_mn, parameter, step, lo, hi FROM {touched}) g
            ON r.station_mn = g.station_mn AND r.parameter = g.parameter AND r.step = g.step
            AND r.time >= to_timestamp(g.lo::bigint * {ru.DAY} - {ru.BEIJING_OFFSET})
            AND r.time < to_timestamp((g.hi::bigint + 1) * {ru.DAY} - {ru.BEIJING_OFFSET})"""
        args |= {"steps": sorted(set(args["step"])), "t0": lo * ru.DAY - ru.BEIJING_OFFSET,
                 "t1": (hi + 1) * ru.DAY - ru.BEIJING_OFFSET}  # fmt: skip
        conn.execute(sa.text("SET LOCAL enable_nestloop = off"))  # one pass over the days
    else:  # a backfill: each group's rows through the key
        source = f"""{touched} JOIN "{R}" r
            ON r.station_mn = g.station_mn AND r.parameter = g.parameter AND r.step = g.step
            AND r.time >= to_timestamp(g.lo::bigint * {ru.DAY} - {ru.BEIJING_OFFSET})
            AND r.time < to_timestamp((g.hi::bigint + 1) * {ru.DAY} - {ru.BEIJING_OFFSET})"""
    conn.execute(sa.text(f'INSERT INTO "{T}" {_AGGREGATE} FROM {source} {_GROUP_BY}'), args)
    if hi - lo < RANGE_DAYS:
        conn.execute(sa.text("SET LOCAL enable_nestloop = on"))


def _arrays(groups: pd.DataFrame) -> dict[str, list]:
    return {
        "mn": groups["station_mn"].tolist(),
        "parameter": groups["parameter"].tolist(),
        "step": groups["step"].tolist(),
        "lo": [int(v) for v in groups["lo"]],
        "hi": [int(v) for v in groups["hi"]],
    }


def _insert(conn: sa.Connection, rows: list[tuple]) -> None:
    """Insert rollup rows (`DAILY_COLUMNS` order) in one statement (arrays, unnested)."""
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    types = ("text", "text", "text", "text", "int", "text", "bigint", "bigint", "float8",
             "float8", "bigint", "bigint", "float8", "float8", "float8")  # fmt: skip
    arrays = ", ".join(f"CAST(:c{i} AS {t}[])" for i, t in enumerate(types))
    conn.execute(
        sa.text(
            f'INSERT INTO "{T}" ({", ".join(ru.DAILY_COLUMNS)}) SELECT * FROM unnest({arrays})'
        ),
        {f"c{i}": list(c) for i, c in enumerate(columns)},
    )


def read(conn: sa.Connection, lo: int, hi: int, stations: list[str] | None = None) -> pd.DataFrame:
    """The rollup rows of Beijing days `lo` … `hi` (day numbers, inclusive), of `stations`
    only when given. Fetched by the driver's own cursor (plain tuples: a window of a nation's
    stations is ~130k rows, and SQLAlchemy's rows cost twice the time)."""
    sql = f'SELECT {", ".join(ru.DAILY_COLUMNS)} FROM "{T}" WHERE day BETWEEN %(lo)s AND %(hi)s'
    args: dict[str, object] = {"lo": lo, "hi": hi}
    if stations is not None:
        sql += " AND station_mn = ANY(%(stations)s)"
        args["stations"] = list(stations)
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(sql, args)
        rows = cur.fetchall()
    if not rows:
        return ru.empty_daily()
    return ru.frame_of([list(c) for c in zip(*rows, strict=True)])
