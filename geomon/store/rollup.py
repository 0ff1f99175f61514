"""The daily rollup of station readings: what both backends share.

Beside ``geomon_readings`` each store keeps ``geomon_readings_daily``: one row per section,
station, parameter, step, Beijing day and HJ 212 flag with the number of readings (``rows``),
the number with a value (``n``), the lowest and highest value (``low``, ``high``) and the
first and last time with a value (``first_time``, ``last_time``; seconds since 1970 UTC).
It holds no rule: which flags are valid, which class is the target, is decided by the reader
(`geomon.monitoring.alert_candidates`), so changing ``valid_flags`` or a section's target
needs no rebuild.

Why: alerts over a nation's stations (2,000 × 8 parameters × 7 days ≈ 2.7M hourly readings)
only need to know which sections *might* have a station alert; the rollup answers that from
tens of thousands of rows, and the alert rules then run on the readings of those sections alone
(exactly as before: same alerts).

Kept right in the same transaction as every readings write: the (station, parameter, step)
groups the write touched are recomputed over the Beijing days it touched, from the rows stored
after the write (upsert and replace alike; replace also recomputes every parameter stored in
the span it deleted from). A store whose readings were written before the rollup existed gets
it built in full by its next readings write, or by the first `read_readings_daily`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geomon.store import readings as rd

DAILY_TABLE = "geomon_readings_daily"
DAILY_COLUMNS = (
    *("section_code", "station_mn", "parameter", "step", "day", "flag"),
    *("rows", "n", "low", "high", "first_time", "last_time"),
    *("total", "hsum", "last_value"),
)
H_RANGE = 300.0
"""pH values within ±this get their [H+] summed (``hsum``); beyond, 10^-pH leaves float range."""
BEIJING_OFFSET = 8 * 3600
"""Seconds Beijing time is ahead of UTC (no daylight saving): day = (epoch + offset) // 86400."""
DAY = 86400
GROUP = ("station_mn", "parameter", "step")


def day_number(day: dt.date | str) -> int:
    """A Beijing day (a date, or its ISO text) as the rollup stores it: days since 1970-01-01."""
    return (pd.Timestamp(day).date() - dt.date(1970, 1, 1)).days


def touched(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (station, parameter, step) of checked readings `frame`: the first and last Beijing
    day (``lo``, ``hi``, day numbers) it holds: the rollup rows a write recomputes."""
    days = (rd.epoch_seconds(frame["time"]) + BEIJING_OFFSET) // DAY
    data = pd.DataFrame({k: frame[k].to_numpy() for k in GROUP}).assign(day=days)
    out = data.groupby(list(GROUP), sort=True)["day"].agg(lo="min", hi="max").reset_index()
    return out.astype({"lo": "int64", "hi": "int64"})


def widen(groups: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """`groups` with the rows of `extra` (same columns) added; one row per group, its day range
    the union's span."""
    both = pd.concat([groups, extra], ignore_index=True)
    out = both.groupby(list(GROUP), sort=True).agg(lo=("lo", "min"), hi=("hi", "max"))
    return out.reset_index().astype({"lo": "int64", "hi": "int64"})


def span_days(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (station, step) of `frame`: the first and last Beijing day of the span a replace
    deletes from (`geomon.store.readings.spans`)."""
    spans = rd.spans(frame)
    return pd.DataFrame(
        {
            "station_mn": spans["station_mn"].to_numpy(),
            "step": spans["step"].to_numpy(),
            "lo": (rd.epoch_seconds(spans["min"]) + BEIJING_OFFSET) // DAY,
            "hi": (rd.epoch_seconds(spans["max"]) + BEIJING_OFFSET) // DAY,
        }
    )


def aggregate(frame: pd.DataFrame) -> list[tuple]:
    """The rollup rows (`DAILY_COLUMNS` order) of checked readings `frame`, as the SQL of each
    backend computes them from stored rows: for groups nothing was stored in before a write,
    whose stored rows are then exactly the frame's (cheaper than reading them back)."""
    if not len(frame):
        return []
    seconds = rd.epoch_seconds(frame["time"])
    values = frame["value"].to_numpy(dtype="float64")
    has = ~np.isnan(values)
    data = pd.DataFrame(
        {
            **{k: frame[k].to_numpy() for k in ("section_code", "station_mn", "parameter")},
            "step": frame["step"].to_numpy(),
            "day": (seconds + BEIJING_OFFSET) // DAY,
            "flag": frame["flag"].to_numpy(),
            "value": values,
            "at": np.where(has, seconds, np.nan),
        }
    )
    is_ph = (data["parameter"] == "pH").to_numpy(dtype=bool) & (np.abs(values) <= H_RANGE)
    with np.errstate(over="ignore", invalid="ignore"):
        data["h"] = np.where(is_ph, 10.0 ** -np.where(is_ph, values, 0.0), np.nan)
    data["order"] = np.arange(len(data))
    keys = list(DAILY_COLUMNS[:6])
    grouped = data.groupby(keys, sort=False)
    out = grouped.agg(
        rows=("value", "size"), n=("value", "count"), low=("value", "min"),
        high=("value", "max"), first_time=("at", "min"), last_time=("at", "max"),
        total=("value", "sum"), hsum=("h", "sum"),
    )  # fmt: skip
    counted = grouped["h"].count()
    out["hsum"] = out["hsum"].where(counted > 0)  # SQL's sum of no value is NULL
    out["total"] = out["total"].where(out["n"] > 0)
    latest = data[has].sort_values("at", kind="stable").drop_duplicates(keys, keep="last")
    out = out.join(latest.set_index(keys)["value"].rename("last_value"))
    out = out.reset_index()

    def plain(v: object) -> object:
        return None if isinstance(v, float) and np.isnan(v) else v

    out = out[list(DAILY_COLUMNS)]
    return [
        (*key, int(day), flag, int(n_rows), int(n), plain(low), plain(high),
         None if np.isnan(first) else int(first), None if np.isnan(last) else int(last),
         plain(total), plain(hsum), plain(last_value))
        for (*key, day, flag, n_rows, n, low, high, first, last, total, hsum, last_value)
        in out.itertuples(index=False, name=None)
    ]  # fmt: skip


def outside(frame: pd.DataFrame, groups: list[tuple]) -> pd.DataFrame:
    """The rows of `frame` whose (station, parameter, step) is not among `groups`."""
    if not groups or not len(frame):
        return frame
    keys = pd.MultiIndex.from_frame(frame[list(GROUP)])
    return frame[~keys.isin(groups)]


def empty_daily() -> pd.DataFrame:
    """A rollup frame with no rows (`DAILY_COLUMNS`)."""
    return frame_of([[] for _ in DAILY_COLUMNS])


def frame_of(columns: list) -> pd.DataFrame:
    """The rollup rows as a frame: ``day`` a naive Beijing-midnight timestamp, ``first`` and
    ``last_time`` UTC times (NaT without a value), counts as integers."""
    data = dict(zip(DAILY_COLUMNS, columns, strict=True))
    days = np.asarray(data["day"], dtype="int64")

    def times(values: list) -> pd.Series:
        seconds = pd.array(values, dtype="Int64").to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(pd.to_datetime(seconds, unit="s", utc=True))

    return pd.DataFrame(
        {
            **{k: pd.Series(data[k], dtype="object") for k in DAILY_COLUMNS[:4]},
            "day": pd.Series(pd.to_datetime(days, unit="D")),
            "flag": pd.Series(data["flag"], dtype="object"),
            "rows": np.asarray(data["rows"], dtype="int64"),
            "n": np.asarray(data["n"], dtype="int64"),
            "low": np.asarray(data["low"], dtype="float64"),
            "high": np.asarray(data["high"], dtype="float64"),
            "first_time": times(data["first_time"]),
            "last_time": times(data["last_time"]),
            **{k: np.asarray(data[k], dtype="float64") for k in ("total", "hsum", "last_value")},
        }
    )
