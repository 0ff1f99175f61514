"""Station readings in the store: what both backends share (checks, stats, the import log).

Readings are a time series, not a layer: one row per station (``station_mn``), parameter, step
and time, in a table made for it (``geomon_readings``) beside the layers, written in bulk and
read by section and time. GeoPackage: a plain attribute table in the same file (registered in
``gpkg_contents`` so GDAL tools see it; ``time`` as integer seconds since 1970 UTC), written
with SQLite in one transaction. PostGIS: a table partitioned by Beijing month with the key as
primary key, written by binary COPY in one transaction: new months COPYed into bare tables then
attached, other rows straight into the table when nothing stored can meet them, else merged
from a staging table (`geomon.store._readings_pg`). Both keep one row per write in
``geomon_readings_log`` (`LOG_COLUMNS`) and take a store revision for it, so the app's caches
see new readings.

Modes (`Store.write_readings`): ``upsert`` adds new readings and overwrites the value, flag and
section of a reading already stored with the same key; ``replace`` first deletes, per station
and step, every stored reading between the first and the last time the frame holds for it, then
writes the frame (a corrected re-export replaces what it covers, nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from geomon.errors import ReadingsError
from geomon.monitoring import FLAGS, READINGS_COLUMNS, STEPS, to_utc, typed

READINGS_TABLE = "geomon_readings"
LOG_TABLE = "geomon_readings_log"
LOG_COLUMNS = ("revision", "at", "user", "source", "mode", "rows", "added", "updated", "deleted")
KEY = ("station_mn", "parameter", "step", "time")
ReadingsMode = Literal["upsert", "replace"]
_MODES = ("upsert", "replace")


@dataclass(frozen=True, slots=True)
class ReadingsStats:
    """What one `write_readings` did: readings given, added, changed (value, flag or section)
    and deleted (replace: stored readings in the frame's span that it does not hold)."""

    rows: int
    added: int
    updated: int
    deleted: int
    revision: int


def check_frame(frame: pd.DataFrame, mode: str) -> pd.DataFrame:
    """The readings frame `frame`, typed; `ReadingsError` (nothing written) if it cannot be
    stored: missing columns, an empty key value, an unknown step or flag, a naive time, or two
    readings with one key."""
    if mode not in _MODES:
        msg = f"unknown readings mode {mode!r}; use upsert or replace"
        raise ReadingsError(msg)
    missing = [c for c in READINGS_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"readings frame lacks column(s) {', '.join(missing)} (need {READINGS_COLUMNS})"
        raise ReadingsError(msg)
    if len(frame) and getattr(frame["time"].dtype, "tz", None) is None:
        msg = "readings `time` must be timezone-aware (UTC); HJ 212 DataTime is Beijing time"
        raise ReadingsError(msg)
    out = typed(frame)
    for column in ("section_code", "station_mn", "parameter", "time", "flag", "step"):
        empty = out[column].isna().to_numpy().copy()
        if out[column].dtype == object:
            empty |= np.asarray(out[column].to_numpy(dtype=object) == "", dtype=bool)
        if empty.any():
            _refuse(out, empty, f"empty {column}")
    _refuse(out, ~out["step"].isin(STEPS).to_numpy(), "step not hour or day")
    _refuse(out, ~out["flag"].isin(list(FLAGS)).to_numpy(), "unknown data flag")
    _refuse(out, out.duplicated(list(KEY), keep=False).to_numpy(), "two readings with one key")
    return out


def _refuse(frame: pd.DataFrame, bad: np.ndarray, why: str) -> None:
    if not bad.any():
        return
    first = frame[bad].iloc[0]
    shown = ", ".join(f"{k}={first[k]}" for k in KEY)
    msg = f"readings refused, nothing written: {int(bad.sum())} row(s) with {why} (first: {shown})"
    raise ReadingsError(msg)


def epoch_seconds(times: pd.Series) -> np.ndarray:
    """UTC times as integer seconds since 1970 (the GeoPackage column)."""
    return (times.to_numpy(dtype="datetime64[ns]").astype("int64") // 1_000_000_000).astype("int64")


def from_epoch(seconds: Any) -> pd.Series:
    """Integer seconds since 1970 back to datetime64[ns, UTC]."""
    values = np.asarray(seconds, dtype="int64")
    return pd.Series(pd.to_datetime(values, unit="s", utc=True)).astype("datetime64[ns, UTC]")


def spans(frame: pd.DataFrame) -> pd.DataFrame:
    """Per station and step: the first and last time of `frame` (what replace deletes)."""
    grouped = frame.groupby(["station_mn", "step"], sort=True)["time"]
    return grouped.agg(["min", "max"]).reset_index()


def bounds(start: Any, end: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """`start` (inclusive) and `end` (exclusive) as UTC; a bare date as `end` means its end."""
    return to_utc(start), to_utc(end, end_of_day=True)


def check_step(step: str | None) -> None:
    """`ReadingsError` unless `step` is None, hour or day."""
    if step is not None and step not in STEPS:
        msg = f"step must be hour or day, got {step!r}"
        raise ReadingsError(msg)


def as_list(values: Any) -> list[str] | None:
    """A filter argument (one value or several) as a list, None for no filter."""
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    return [str(v) for v in values]
