"""Station readings benchmark (issue 19 part 4): import, series and one day over every station.

Run: ``python benchmarks/readings.py [--stations 15] [--postgis URL]``. The data: `--stations`
synthetic automatic stations (one section each) × 8,760 hours of 2023 × 8 parameters; with the
default 15 stations that is 1,051,200 hourly readings, written once as an HJ 212-2017 packet
log (131,400 packets) and once as a CSV of the same readings (the pandas peer), cached under
``benchmarks/out/readings-<stations>/``.

Figures (each in its own Python subprocess, so the peak RSS is per figure):
- ``import_gpkg``: ``geomon readings import`` of the log into a fresh GeoPackage store (read
  and check every packet, match stations, write): target ≤ 15 s; peer: pandas ``read_csv``
  of the same readings as CSV (reading only, nothing checked or stored).
- ``import_postgis``: the same into PostGIS (``--postgis URL``, else a throwaway cluster with
  fsync off, as the tests use).
- ``series``: one section-year of one parameter (8,760 hourly points) from the GeoPackage
  store, read and classed (`section_series`): target ≤ 100 ms; peer: pandas reading the CSV
  and filtering the same section-year.
- ``day``: every station's readings of one day (what the alerts read): reported.
Rows go into ``benchmarks/results.json`` (rows whose figure starts with ``readings:`` are
replaced), each with the 1-minute load average: the machine is shared. ``--only-postgis``
runs only ``import_postgis`` and replaces only its rows (and the peak RSS). Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
CODES = {
    "pH": "w01001", "DO": "w01009", "CODMn": "w01019", "NH3N": "w21003",
    "TP": "w21011", "TN": "w21001", "WT": "w01010", "COD": "w01018",
}  # fmt: skip
LEVEL = {"pH": 7.6, "DO": 7.0, "CODMn": 4.0, "NH3N": 0.6, "TP": 0.12, "TN": 1.4, "WT": 18.0,
         "COD": 16.0}  # fmt: skip
GIB = 1024**3


def _out(stations: int) -> Path:
    return HERE / "out" / f"readings-{stations}"


def sections(stations: int) -> Any:
    import geopandas as gpd  # noqa: PLC0415
    from shapely import Point  # noqa: PLC0415

    codes = [f"BM{i:04d}" for i in range(stations)]
    return gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [f"断面{c}" for c in codes],
            "river": "玉带河",
            "control_level": "国控",
            "target_class": "III",
            "water_body_type": "河流",
            "auto_station": True,
            "station_mn": [f"MN{c}" for c in codes],
        },
        geometry=[Point(110 + i * 0.01, 30) for i in range(stations)],
        crs=4326,
    )


def build(stations: int) -> tuple[Path, Path]:
    """The HJ 212 log and the CSV of the same readings (cached)."""
    from geomon.monitoring import hj212  # noqa: PLC0415

    out = _out(stations)
    log, csv = out / "readings.hj212.txt", out / "readings.csv"
    if log.exists() and csv.exists():
        return log, csv
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(212)
    hours = pd.date_range("2023-01-01", periods=8760, freq="h")  # Beijing time
    stamps = hours.strftime("%Y%m%d%H%M%S")
    segments, frames = [], []
    for s in range(stations):
        mn = f"MNBM{s:04d}"
        values = {p: np.round(LEVEL[p] * np.exp(rng.normal(0, 0.1, len(hours))), 3) for p in CODES}
        frames.append(pd.DataFrame({"station_mn": mn, "time": hours, **values}))
        for h, stamp in enumerate(stamps):
            items = ";".join(f"{c}-Avg={values[p][h]:g},{c}-Flag=N" for p, c in CODES.items())
            segments.append(
                f"QN={stamp}000;ST=21;CN=2061;PW=123456;MN={mn};Flag=4;"
                f"CP=&&DataTime={stamp};{items}&&"
            )
    raw = [s.encode() for s in segments]
    crcs = hj212.crc16_many(raw)
    with log.open("w", encoding="ascii", newline="") as fh:
        for seg, crc in zip(segments, crcs.tolist(), strict=True):
            fh.write(f"##{len(seg):04d}{seg}{crc:04X}\r\n")
    wide = pd.concat(frames, ignore_index=True)
    long = wide.melt(id_vars=["station_mn", "time"], var_name="parameter", value_name="value")
    long["time"] = long["time"].dt.strftime("%Y-%m-%d %H:%M")
    long.assign(flag="N").to_csv(csv, index=False)
    return log, csv


def _store_with_sections(url: str, stations: int) -> Any:
    from geomon.store import open_store  # noqa: PLC0415

    store = open_store(url)
    store.write({"sections": sections(stations)})
    return store


def _import(url: str, log: Path, stations: int) -> dict[str, float]:
    from geomon.monitoring import readings  # noqa: PLC0415

    store = _store_with_sections(url, stations)
    c0, t0 = time.process_time(), time.perf_counter()
    parsed = readings.read_file(log)
    t1 = time.perf_counter()
    frame, rejected = readings.match_sections(parsed, store.read("sections"))
    assert not parsed.rejected and not rejected
    t2 = time.perf_counter()
    stats = store.write_readings(frame.drop(columns="line"), source=log.name)
    t3, cpu = time.perf_counter(), time.process_time() - c0
    return {"total": t3 - t0, "read": t1 - t0, "match": t2 - t1, "write": t3 - t2,
            "rows": stats.rows, "cpu": cpu}  # fmt: skip


def figure(name: str, stations: int, postgis: str | None) -> dict[str, Any]:
    """Run one figure; return its measurements (in this process)."""
    log, csv = build(stations)
    gpkg = _out(stations) / "store.gpkg"
    if name == "import_gpkg":
        gpkg.unlink(missing_ok=True)
        got = _import(str(gpkg), log, stations)
        t0 = time.perf_counter()
        peer = pd.read_csv(csv, dtype={"station_mn": str, "parameter": str, "flag": str})
        got["peer"] = time.perf_counter() - t0
        got["peer_rows"] = len(peer)
        got["mib"] = gpkg.stat().st_size / 2**20
        return got
    if name == "import_postgis":
        assert postgis is not None
        got = _import(postgis, log, stations)
        from geomon.monitoring import series  # noqa: PLC0415
        from geomon.store import open_store  # noqa: PLC0415

        store, times, days = open_store(postgis), [], []
        for k in range(min(5, stations)):
            t0 = time.perf_counter()
            frame = store.read_readings(sections=f"BM{k:04d}", parameters="NH3N")
            series.series_json(series.section_series(frame, f"BM{k:04d}", "NH3N", target="III"))
            times.append(time.perf_counter() - t0)
        for day in ("2023-03-01", "2023-06-15", "2023-11-30"):
            t0 = time.perf_counter()
            store.read_readings(start=day, end=day, step="hour")
            days.append(time.perf_counter() - t0)
        return got | {"series": min(times), "day": min(days)}
    from geomon.monitoring import series  # noqa: PLC0415
    from geomon.store import open_store  # noqa: PLC0415

    store = open_store(gpkg)
    if name == "series":
        times = []
        for k in range(min(5, stations)):
            code = f"BM{k:04d}"
            t0 = time.perf_counter()
            frame = store.read_readings(sections=code, parameters="NH3N", start="2023-01-01",
                                        end="2023-12-31")  # fmt: skip
            result = series.section_series(frame, code, "NH3N", target="III")
            series.series_json(result)  # what `geomon series --json` prints
            times.append(time.perf_counter() - t0)
            assert len(result.points) == 8760
        t0 = time.perf_counter()
        peer = pd.read_csv(csv)
        peer = peer[(peer["station_mn"] == "MNBM0000") & (peer["parameter"] == "NH3N")]
        peer_time = time.perf_counter() - t0
        assert len(peer) == 8760
        return {"value": min(times), "peer": peer_time}
    if name == "day":
        times = []
        for day in ("2023-03-01", "2023-06-15", "2023-11-30"):
            t0 = time.perf_counter()
            frame = store.read_readings(start=day, end=day, step="hour")
            times.append(time.perf_counter() - t0)
            assert len(frame) == stations * 24 * len(CODES)
        return {"value": min(times), "rows": len(frame)}
    raise SystemExit(f"unknown figure {name}")


def _chunk(codes: range, hours: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """Readings of stations `codes` over `hours`, ordered station, parameter, hour."""
    per = len(hours) * len(CODES)
    n = len(codes) * per
    return pd.DataFrame(
        {
            "section_code": np.repeat([f"BM{i:04d}" for i in codes], per),
            "station_mn": np.repeat([f"MNBM{i:04d}" for i in codes], per),
            "parameter": np.tile(np.repeat(list(CODES), len(hours)), len(codes)),
            "time": np.tile(hours.tz_convert("UTC"), len(codes) * len(CODES)),
            "step": "hour",
            "value": np.round(rng.lognormal(0, 0.3, n), 3),
            "flag": "N",
        }
    )


def scale(stations: int, layout: str) -> dict[str, Any]:
    """A GeoPackage store of `stations` × 8,760 h × 8 parameters, then the series and one-day
    reads on it. `layout` ``station``: written 10 stations' year per write (a backfill);
    ``time``: written 5 days of every station per write, as daily file drops add up (the rows
    of one day lie together in the file)."""
    from geomon.monitoring import series  # noqa: PLC0415
    from geomon.store import open_store  # noqa: PLC0415

    path = _out(stations) / f"scale-{layout}.gpkg"
    store = open_store(path)
    write_s = 0.0
    if not path.exists():
        store.write({"sections": sections(stations)})
        rng = np.random.default_rng(7)
        hours = pd.date_range("2023-01-01", periods=8760, freq="h", tz="Asia/Shanghai")
        if layout == "station":
            chunks = [(range(f, min(f + 10, stations)), hours) for f in range(0, stations, 10)]
        else:
            chunks = [(range(stations), hours[h : h + 120]) for h in range(0, 8760, 120)]
        for codes, span in chunks:
            frame = _chunk(codes, span, rng)
            t0 = time.perf_counter()
            store.write_readings(frame)
            write_s += time.perf_counter() - t0
    times, days = [], []
    for k in range(5):
        code = f"BM{(k * 37) % stations:04d}"
        t0 = time.perf_counter()
        frame = store.read_readings(sections=code, parameters="NH3N", start="2023-01-01",
                                    end="2023-12-31")  # fmt: skip
        series.series_json(series.section_series(frame, code, "NH3N", target="III"))
        times.append(time.perf_counter() - t0)
    for day in ("2023-03-01", "2023-06-15", "2023-11-30"):
        t0 = time.perf_counter()
        frame = store.read_readings(start=day, end=day, step="hour")
        days.append(time.perf_counter() - t0)
    return {"series": min(times), "day": min(days), "day_rows": len(frame), "write": write_s,
            "mib": path.stat().st_size / 2**20}  # fmt: skip


# ------------------------------------------------------------------------------ national year

NATIONAL = 2000  # automatic stations: 2,000 × 8,760 h × 8 parameters = 140,160,000 readings
_SOCKET = Path("/tmp/geomon-national-pg")  # short: a Unix socket path has ~100 characters


def _national_dir() -> Path:
    return HERE / "out" / "readings-national"


def _stage(name: str, done: bool = False) -> bool:
    """Whether fill stage `name` was completed (kept in the dataset folder); mark it with `done`."""
    marks = _national_dir() / "stages.json"
    stages = json.loads(marks.read_text()) if marks.exists() else []
    if done and name not in stages:
        marks.write_text(json.dumps([*stages, name]))
    return name in stages


class _NationalCluster:
    """A PostgreSQL cluster kept under benchmarks/out/readings-national/pgdata (so a re-run
    reuses the 140M readings), started for one run, fsync off (a benchmark, not a store)."""

    def __init__(self) -> None:
        sys.path.insert(0, str(HERE.parent))
        from tests.pgcluster import pg_bindir  # noqa: PLC0415

        self.bindir = pg_bindir()
        self.data = _national_dir() / "pgdata"
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bindir / tool), *args], check=True,
                       capture_output=True, text=True)  # fmt: skip

    def start(self) -> str:
        import shutil  # noqa: PLC0415

        _SOCKET.mkdir(exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            if self.prefix:
                shutil.chown(self.data, "postgres", "postgres")
            self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres",
                      "--encoding=UTF8", "--no-locale", "--no-sync")  # fmt: skip
        if self.prefix:
            shutil.chown(_SOCKET, "postgres", "postgres")
        options = (f"-k {_SOCKET} -p 5432 -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c wal_level=minimal "
                   "-c max_wal_senders=0 -c max_wal_size=8GB -c shared_buffers=1GB "
                   "-c maintenance_work_mem=1GB -c work_mem=64MB "
                   "-c max_parallel_maintenance_workers=1")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"),
                  "-o", options, "-w", "-t", "600", "start")  # fmt: skip
        return f"postgresql://postgres@/bench?host={_SOCKET}&port=5432"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "600", "stop")


# Beijing hour h of 2023 (0 = 2023-01-01 00:00) → UTC 2022-12-31 16:00 + h hours. Injected, so
# the alerts have work to do: every 25th station's NH3N is worse than class III from 06-20 to
# 07-04 (exceedance + persistent exceedance, traced back past the 7-day window); every 50th
# (from station 1) has TP spikes on 06-29/06-30 (exceedance); every 100th (from station 2) sends
# only fault-flagged (D) data from 06-30 12:00 to 07-02 00:00 (a data gap across midnight).
_FILL = """
INSERT INTO geomon_readings (section_code, station_mn, parameter, step, time, value, flag)
SELECT 'BM' || lpad(s::text, 4, '0'), 'MNBM' || lpad(s::text, 4, '0'), p.name, 'hour',
       timestamptz '2022-12-31 16:00:00+00' + h * interval '1 hour',
       floor(1000 * CASE
           WHEN p.name = 'NH3N' AND s % 25 = 0 AND h >= 4080 AND h < 4440 THEN 1.3
           WHEN p.name = 'TP' AND s % 50 = 1 AND h >= 4296 AND h < 4344 THEN 0.35
           ELSE p.level END
         * exp(0.1 * (random() + random() + random() + random() - 2) * 1.732) + 0.5) / 1000.0,
       CASE WHEN s % 100 = 2 AND h >= 4332 AND h < 4368 THEN 'D' ELSE 'N' END
FROM generate_series(:lo, :hi - 1) s
CROSS JOIN (VALUES {levels}) p(name, level)
CROSS JOIN generate_series(0, 8759) h
ORDER BY 1, 3, 5
"""


def national_fill(url: str) -> dict[str, float]:
    """Fill the national store (stages kept, so an interrupted fill resumes): sections through
    geomon; readings by INSERT … SELECT generate_series into the bare table, 50 stations per
    statement; then the key and geomon's own indexes (`_readings_pg.ensure`)."""
    import psycopg  # noqa: PLC0415
    import sqlalchemy as sa  # noqa: PLC0415

    from geomon.store import _readings_pg, open_store  # noqa: PLC0415
    from geomon.store.postgis import engine_url  # noqa: PLC0415

    took: dict[str, float] = {}
    admin = url.replace("/bench?", "/postgres?")
    if not _stage("schema"):
        with psycopg.connect(admin.replace("postgresql://", "postgresql://"), autocommit=True) as c:
            c.execute("DROP DATABASE IF EXISTS bench")
            c.execute("CREATE DATABASE bench")
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("CREATE EXTENSION postgis")
        store = open_store(url)
        store.write({"sections": sections(NATIONAL)})
        engine = sa.create_engine(engine_url(url))
        with engine.begin() as conn:
            _readings_pg.ensure(conn)  # the month-partitioned parent
            _readings_pg.create_months(conn, [202212, *range(202301, 202313), 202401])
            conn.execute(sa.text(  # reads by section go through the stations catalogue
                "INSERT INTO geomon_readings_stations (section_code, station_mn) "
                "SELECT code, station_mn FROM sections ON CONFLICT DO NOTHING"
            ))  # fmt: skip
            names = conn.execute(sa.text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'geomon_readings'"
            )).scalars().all()  # fmt: skip
            conn.execute(sa.text(
                "ALTER TABLE geomon_readings DROP CONSTRAINT IF EXISTS geomon_readings_pkey"
            ))  # fmt: skip
            for name in names:
                conn.execute(sa.text(f'DROP INDEX IF EXISTS "{name}"'))
        engine.dispose()
        _stage("schema", done=True)
    levels = ", ".join(f"('{p}', {v})" for p, v in LEVEL.items())
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as c:
        for lo in range(0, NATIONAL, 50):
            if _stage(f"fill-{lo}"):
                continue
            with c.transaction():
                c.execute(f"DELETE FROM geomon_readings WHERE station_mn >= 'MNBM{lo:04d}' "
                          f"AND station_mn < 'MNBM{lo + 50:04d}'")  # fmt: skip
                c.execute(_FILL.format(levels=levels).replace(":lo", str(lo))
                          .replace(":hi", str(lo + 50)))  # fmt: skip
            _stage(f"fill-{lo}", done=True)
            print(f"filled stations {lo}..{lo + 49}: {time.perf_counter() - t0:.0f} s",
                  flush=True)  # fmt: skip
    took["fill"] = time.perf_counter() - t0
    if not _stage("index"):
        t0 = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("SET maintenance_work_mem = '1GB'")
            c.execute("ALTER TABLE geomon_readings ADD PRIMARY KEY "
                      "(station_mn, parameter, step, time)")  # fmt: skip
            print(f"key: {time.perf_counter() - t0:.0f} s", flush=True)
        engine = sa.create_engine(engine_url(url))
        with engine.begin() as conn:
            conn.execute(sa.text("SET maintenance_work_mem = '1GB'"))
            _readings_pg.ensure(conn)
        engine.dispose()
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("VACUUM ANALYZE geomon_readings")
        took["index"] = time.perf_counter() - t0
        (_national_dir() / "index_s.txt").write_text(f"{took['index']:.0f}")
        _stage("index", done=True)
    return took


def _own_process(cmd: list[str]) -> tuple[float, float, str]:
    """Run `cmd`: wall seconds, its own peak RSS in GiB (``wait4``), its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:5])} failed:\n{err.read().decode()[-3000:]}")
        return wall, usage.ru_maxrss * 1024 / GIB, out.read().decode()


def national_figure(name: str, url: str) -> dict[str, Any]:
    """One national figure in this process (see `national`)."""
    from geomon.monitoring import alerts, series  # noqa: PLC0415
    from geomon.store import open_store  # noqa: PLC0415

    store = open_store(url)
    if name == "rollup":  # an older store: the first need builds the rollup (geomon's code)
        t0 = time.perf_counter()
        daily = store.read_readings_daily("2023-06-30", "2023-06-30")
        return {"value": time.perf_counter() - t0, "rows_day": len(daily)}
    if name == "series":
        times = []
        for k in range(5):
            code = f"BM{(k * 397) % NATIONAL:04d}"
            t0 = time.perf_counter()
            frame = store.read_readings(sections=code, parameters="NH3N", start="2023-01-01",
                                        end="2023-12-31")  # fmt: skip
            result = series.section_series(frame, code, "NH3N", target="III")
            series.series_json(result)
            times.append(time.perf_counter() - t0)
            assert len(result.points) == 8760
        return {"value": min(times), "first": times[0]}
    if name == "day-drop":  # one day of every station written again (same values): upsert
        day = store.read_readings(start="2023-06-15", end="2023-06-15", step="hour")
        t0 = time.perf_counter()
        store.write_readings(day, source="benchmark: the same day again")
        return {"value": time.perf_counter() - t0, "rows": len(day)}
    if name == "alerts-in-process":  # the same alerts after Python and geomon are loaded
        times, found = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            found = alerts.store_alerts(store, as_of="2023-06-30")
            times.append(time.perf_counter() - t0)
        return {"value": min(times), "alerts": len(found)}
    if name == "alerts-all-readings":  # the path before the rollup: every reading of the window
        t0 = time.perf_counter()
        found = alerts.store_alerts(store, as_of="2023-06-30", read_readings=alerts._readings_for)
        return {"value": time.perf_counter() - t0, "alerts": len(found)}
    if name == "sizes":
        import sqlalchemy as sa  # noqa: PLC0415

        with store.engine.connect() as conn:
            got = {t: conn.execute(sa.text(f"SELECT pg_total_relation_size('{t}')")).scalar()
                   for t in ("geomon_readings", "geomon_readings_daily")}  # fmt: skip
            got["rollup_rows"] = conn.execute(
                sa.text("SELECT count(*) FROM geomon_readings_daily")
            ).scalar()
        return got
    raise SystemExit(f"unknown national figure {name}")


def national() -> list[dict[str, Any]]:
    """The national-year figures: fill (or reuse) 2,000 stations × 8,760 h × 8 parameters of
    2023 in PostGIS, build the rollup through geomon, then ``geomon alerts --as-of 2023-06-30``
    (its own process: wall, peak RSS), the same alerts reading every reading (the path before
    the rollup), and one section-year series."""
    cluster = _NationalCluster()
    url = cluster.start()
    rows = []
    n = NATIONAL * 8760 * len(CODES)
    try:
        took = national_fill(url)
        fill_s = _national_dir() / "fill_s.txt"
        if took.get("fill", 0) > 60:
            fill_s.write_text(f"{took['fill']:.0f}")
        fill = float(fill_s.read_text()) if fill_s.exists() else None
        index_s = _national_dir() / "index_s.txt"
        index = float(index_s.read_text()) if index_s.exists() else None
        built = None
        if not _stage("rollup"):
            built, rss = _national_child("rollup", url)
            _stage("rollup", done=True)
            (_national_dir() / "rollup_s.txt").write_text(f"{built['value']:.0f}")
        rollup_s = _national_dir() / "rollup_s.txt"
        rollup = float(rollup_s.read_text()) if rollup_s.exists() else None
        sizes, _ = _national_child("sizes", url)
        cli = [sys.executable, "-m", "geomon.cli", "alerts", "--store", url, "--as-of",
               "2023-06-30", "--json"]  # fmt: skip
        runs = [_own_process(cli) for _ in range(3)]
        found = json.loads(runs[-1][2])["alerts"]
        kinds: dict[str, int] = {}
        for a in found:
            kinds[a["kind"]] = kinds.get(a["kind"], 0) + 1
        best = min(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        inner, _ = _national_child("alerts-in-process", url)
        slow, _ = _national_child("alerts-all-readings", url)
        assert slow["alerts"] == len(found), (slow["alerts"], len(found))
        ser, ser_rss = _national_child("series", url)
        drop, drop_rss = _national_child("day-drop", url)
        gib = (sizes["geomon_readings"] + sizes["geomon_readings_daily"]) / GIB
        store_note = (
            "PostGIS, throwaway cluster (fsync off); readings table "
            f"{sizes['geomon_readings'] / GIB:.1f} GiB "
            f"with indexes, rollup {sizes['geomon_readings_daily'] / 2**20:.0f} MiB "
            f"({sizes['rollup_rows']:,} rows)"
        )
        rows.append(_row(
            f"readings: national year: all alerts for one day over {NATIONAL:,} stations "
            "(geomon alerts --as-of 2023-06-30 --json, one process) "
            f"with {n:,} readings of 2023 stored (PostGIS)",
            best, "s", "<= 2 s", 2.0, rss_gib=round(rss, 3),
            peer="the same alerts reading every reading of the 7-day window (before the rollup)",
            peer_value=round(slow["value"], 2),
            note=f"wall of the whole command (Python start, layers, rollup, candidates' "
            f"readings, rules, JSON); store_alerts alone, in a loaded process, best of 3: "
            f"{inner['value']:.2f} s; runs {', '.join(f'{r[0]:.2f}' for r in runs)} s; "
            f"{len(found)} alerts {kinds}; {store_note}",
        ))  # fmt: skip
        rows.append(_row(
            f"readings: national year: one section-year series (read, classed, JSON) with {n:,} "
            "stored (PostGIS)", ser["value"] * 1000, "ms", "<= 100 ms", 100.0,
            rss_gib=round(ser_rss, 3), note=f"first read {ser['first'] * 1000:.0f} ms",
        ))  # fmt: skip
        rows.append(_row(
            f"readings: national year: one day of every station written again ({drop['rows']:,} "
            "readings, upsert, the rollup recomputed in the same transaction) (PostGIS)",
            drop["value"], "s", "(reported)", None, rss_gib=round(drop_rss, 3),
            note="the same values: nothing changes; what a corrected daily drop costs",
        ))  # fmt: skip
        rows.append(_row(
            f"readings: national year: fill {n:,} readings into PostGIS (benchmark bulk path: "
            "INSERT … SELECT generate_series, key and indexes after)",
            fill, "s", "(reported)", None,
            note=f"key + geomon's indexes {index or 0:.0f} s; rollup built by geomon "
            f"(first need, GROUP BY over every reading) {rollup or 0:.0f} s; store {gib:.1f} GiB",
        ))  # fmt: skip
    finally:
        cluster.stop()
    return rows


def _national_child(name: str, url: str) -> tuple[dict[str, Any], float]:
    cmd = [sys.executable, __file__, "--national-figure", name, "--postgis", url]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"national figure {name} failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return data["result"], data["rss_gib"]


def _row(figure: str, value: float | None, unit: str, target: str, limit: float | None,
         **extra: Any) -> dict[str, Any]:  # fmt: skip
    meets = None if value is None or limit is None else value <= limit
    row = {"figure": figure, "value": None if value is None else round(value, 4), "unit": unit,
           "target": target, "meets_target": meets, "peer": extra.pop("peer", None),
           "peer_value": extra.pop("peer_value", None),
           "load_avg_1m": round(os.getloadavg()[0], 2)}  # fmt: skip
    if meets is False and value is not None and limit:
        row["shortfall"] = round(value / limit, 2)
    return row | {k: v for k, v in extra.items() if v is not None}


def _child(name: str, stations: int, postgis: str | None) -> tuple[dict[str, Any], float]:
    cmd = [sys.executable, __file__, "--figure", name, "--stations", str(stations)]
    if postgis:
        cmd += ["--postgis", postgis]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"figure {name} failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return data["result"], data["rss_gib"]


@contextlib.contextmanager
def _throwaway_postgis() -> Any:
    """A PostgreSQL cluster in a temporary directory (as tests/conftest.py makes it)."""
    sys.path.insert(0, str(HERE.parent))
    import psycopg  # noqa: PLC0415

    from tests.pgcluster import Cluster, pg_bindir  # noqa: PLC0415

    cluster = Cluster(pg_bindir())
    try:
        admin = cluster.start()
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute("CREATE DATABASE bench")
        with psycopg.connect(dbname="bench", autocommit=True, **admin) as conn:
            conn.execute("CREATE EXTENSION postgis")
        yield f"postgresql://postgres@/bench?host={admin['host']}&port={admin['port']}"
    finally:
        cluster.stop()


def _postgis_rows(stations: int, n: int, postgis: str | None) -> list[dict[str, Any]]:
    """The PostGIS import figure's rows: import, series and one day (on `postgis`, else a
    throwaway cluster)."""
    with contextlib.ExitStack() as stack:
        url = postgis or stack.enter_context(_throwaway_postgis())
        pg, rss = _child("import_postgis", stations, url)
    return [
        _row(
            f"readings: import {n:,} hourly readings from an HJ 212 log (PostGIS)", pg["total"],
            "s", "<= 15 s", 15.0, rss_gib=round(rss, 3),
            note=f"wall: read+check {pg['read']:.1f} s, match {pg['match']:.1f} s, write "
            f"{pg['write']:.1f} s (new month partitions: binary COPY into bare tables, then "
            f"attached, building their indexes); CPU time of the importing process "
            f"{pg['cpu']:.1f} s (the server's not counted)"
            + ("" if postgis else "; throwaway cluster, fsync off"),
        ),
        _row(
            f"readings: one section-year series (read, classed, JSON) with {n:,} stored (PostGIS)",
            pg["series"] * 1000, "ms", "<= 100 ms", 100.0, rss_gib=round(rss, 3),
        ),
        _row(
            f"readings: one day over every station with {n:,} stored (PostGIS)",
            pg["day"] * 1000, "ms", "(reported)", None, rss_gib=round(rss, 3),
        ),
    ]  # fmt: skip


def _save_only(rows: list[dict[str, Any]]) -> None:
    """Put `rows` in results.json in place of the rows of the same figures (new ones last);
    the peak RSS row is recomputed over every readings row."""
    old = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() else []
    peak_figure = "readings: peak RSS (largest figure process)"
    new = {r["figure"]: r for r in rows}
    merged = [new.pop(r.get("figure"), r) for r in old] + list(new.values())
    peak = max(r["rss_gib"] for r in merged
               if str(r.get("figure")).startswith("readings:") and "rss_gib" in r)  # fmt: skip
    peak_row = _row(peak_figure, peak, "GiB", "<= 1 GiB", 1.0)
    merged = [r for r in merged if r.get("figure") != peak_figure] + [peak_row]
    RESULTS.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n", "utf-8")
    for r in [*rows, peak_row]:
        print(json.dumps(r, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=15)
    parser.add_argument("--postgis", help="postgresql:// URL of an empty database")
    parser.add_argument("--only-postgis", action="store_true", help="only the PostGIS import "
                        "figures: their rows and the peak RSS replaced, the rest kept")  # fmt: skip
    parser.add_argument("--figure", help=argparse.SUPPRESS)
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--scale", type=int, help="also: series and one day with this many "
                        "stations' year stored (e.g. 250: 17.5M readings)")  # fmt: skip
    parser.add_argument("--national", action="store_true", help="only the national-year "
                        "figures (2,000 stations; PostGIS kept under benchmarks/out/)")  # fmt: skip
    parser.add_argument("--national-figure", help=argparse.SUPPRESS)
    parser.add_argument("--national-fill", action="store_true", help="only fill (or finish "
                        "filling) the national PostGIS store under benchmarks/out/")  # fmt: skip
    args = parser.parse_args()
    if args.national_figure:
        result = national_figure(args.national_figure, args.postgis)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB
        print(json.dumps({"result": result, "rss_gib": peak}))
        return
    if args.national:
        _save(national(), "readings: national year:")
        return
    if args.national_fill:
        cluster = _NationalCluster()
        url = cluster.start()
        try:
            print(json.dumps(national_fill(url)), flush=True)
        finally:
            cluster.stop()
        return
    if args.figure:
        if args.figure.startswith("scale-"):
            result = scale(args.stations, args.figure.removeprefix("scale-"))
        else:
            result = figure(args.figure, args.stations, args.postgis)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB
        print(json.dumps({"result": result, "rss_gib": peak}))
        return
    build(args.stations)
    n = args.stations * 8760 * len(CODES)
    if args.only_postgis:
        _save_only(_postgis_rows(args.stations, n, args.postgis))
        return
    rows = []
    imp, rss = _child("import_gpkg", args.stations, None)
    rows.append(_row(
        f"readings: import {n:,} hourly readings from an HJ 212 log (GeoPackage)", imp["total"],
        "s", "<= 15 s", 15.0, peer="pandas read_csv of the same readings (CSV, read only)",
        peer_value=round(imp["peer"], 4), rss_gib=round(rss, 3),
        note=f"wall: read+check {imp['read']:.1f} s, match {imp['match']:.1f} s, write "
        f"{imp['write']:.1f} s; CPU time of the importing process {imp['cpu']:.1f} s (the wall "
        f"time waits for a shared 2-core machine); {args.stations} stations x 8,760 h x "
        f"{len(CODES)} parameters; store {imp['mib']:.0f} MiB",
    ))  # fmt: skip
    ser, rss = _child("series", args.stations, None)
    rows.append(_row(
        f"readings: one section-year series (8,760 hourly points: read, classed, JSON) with {n:,} "
        "stored",
        ser["value"] * 1000, "ms", "<= 100 ms", 100.0,
        peer="pandas read_csv of the readings CSV + filter",
        peer_value=round(ser["peer"] * 1000, 1),
        rss_gib=round(rss, 3),
        note="GeoPackage store; with a year of national data stored: the national-year rows",
    ))  # fmt: skip
    day, rss = _child("day", args.stations, None)
    rows.append(_row(
        f"readings: one day over every station ({day['rows']:,} readings, what alerts read)",
        day["value"] * 1000, "ms", "(reported)", None, rss_gib=round(rss, 3),
        note=f"{args.stations} stations; the alerts target (<= 2 s, 2,000 stations) is for the "
        "alert rules on top of this read",
    ))  # fmt: skip
    if not args.no_postgis:
        rows += _postgis_rows(args.stations, n, args.postgis)
    if args.scale:
        n_big = args.scale * 8760 * len(CODES)
        for layout, how in (("station", "written station-year by station-year"),
                            ("time", "written 5 days of every station at a time")):  # fmt: skip
            big, rss = _child(f"scale-{layout}", args.scale, None)
            rows.append(_row(
                f"readings: one section-year series (read, classed, JSON) with {n_big:,} stored, "
                f"{how}", big["series"] * 1000, "ms", "<= 100 ms", 100.0, rss_gib=round(rss, 3),
                note=f"GeoPackage {big['mib']:.0f} MiB; writing took {big['write']:.0f} s"
                if big["write"] else f"GeoPackage {big['mib']:.0f} MiB",
            ))  # fmt: skip
            rows.append(_row(
                f"readings: one day over every station ({big['day_rows']:,} readings) with "
                f"{n_big:,} stored, {how}", big["day"] * 1000, "ms", "(reported)", None,
                rss_gib=round(rss, 3),
            ))  # fmt: skip
    peak = max(r["rss_gib"] for r in rows)
    rows.append(_row("readings: peak RSS (largest figure process)", peak, "GiB", "<= 1 GiB", 1.0))
    _save(rows, "readings:")


def _save(rows: list[dict[str, Any]], prefix: str) -> None:
    """Put `rows` in results.json in place of the stored rows whose figure starts with `prefix`
    (the national-year rows stay unless `prefix` names them: they take long to remake)."""
    old = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() else []
    national = "readings: national year:"

    def replaced(figure: str) -> bool:
        return figure.startswith(prefix) and (
            prefix.startswith(national) or not figure.startswith(national)
        )

    kept = [r for r in old if not replaced(str(r.get("figure", "")))]
    RESULTS.write_text(json.dumps(kept + rows, ensure_ascii=False, indent=2) + "\n", "utf-8")
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()
