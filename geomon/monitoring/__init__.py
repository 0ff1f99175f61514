"""Automatic-station readings (自动站数据): the readings frame, flags and which count.

A *readings frame* is what the store returns (`Store.read_readings`) and what the series and the
alert rules consume: a pandas DataFrame with exactly `READINGS_COLUMNS`:

- ``section_code`` (str): the section the station measures (sections' ``code``);
- ``station_mn`` (str): the station id (HJ 212 ``MN``; a section's code when it has no MN);
- ``parameter`` (str): the monitoring layer's field key (``"NH3N"``, ``"TP"``, ``"DO"`` …);
- ``time`` (datetime64[ns, UTC]): start of the hour or day (HJ 212 ``DataTime`` is Beijing time);
- ``step`` (str): ``"hour"`` or ``"day"``;
- ``value`` (float64) and ``flag`` (str, the HJ 212 data flag, ``"N"`` normal).

Which flags enter assessment is data (``geomon/rules/stations.toml``, N by default; S by local
rule): `valid` marks them. Reading files: `geomon.monitoring.hj212` (packet logs) and
`geomon.monitoring.readings` (CSV/XLSX, and the one entry `read_file`); series and period means:
`geomon.monitoring.series`. Layering: this package sits below the store (the store imports it).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

READINGS_COLUMNS: tuple[str, ...] = (
    "section_code",
    "station_mn",
    "parameter",
    "time",
    "step",
    "value",
    "flag",
)
"""Columns of a readings frame, in order (see the module docstring)."""
STEPS: tuple[str, ...] = ("hour", "day")
BEIJING = "Asia/Shanghai"  # HJ 212 DataTime and every time shown to users

_RULES = tomllib.loads(
    resources.files("geomon.rules").joinpath("stations.toml").read_text(encoding="utf-8")
)
CITATION_HJ212: str = _RULES["citations"]["hj212"]
FLAGS: MappingProxyType[str, dict[str, str]] = MappingProxyType(dict(_RULES["flags"]))
"""HJ 212 data flags → their zh/en meaning."""
VALID_FLAGS: frozenset[str] = frozenset(_RULES["validity"]["valid_flags"])
"""Flags whose readings enter assessment ([M] local rule, N by default)."""
COMMAND_STEPS: MappingProxyType[str, str] = MappingProxyType(
    {str(k): v for k, v in _RULES["commands"].items()}
)
"""HJ 212 CN read as readings → step (2061 hourly, 2031 daily)."""
MIN_DAY_SHARE: float = float(_RULES["aggregation"]["min_valid_share_day"])
"""Share of a day's 24 hours that must be valid for its mean to count ([M], stations.toml)."""
MIN_MONTH_SHARE: float = float(_RULES["aggregation"]["min_valid_share_month"])
"""Share of a month's days whose daily mean counts, for the month's mean to count ([M])."""
AUTO_PRIORITY: frozenset[str] = frozenset(_RULES["priority"]["automatic_items"])
"""Items whose automatic data take priority over lab results in a month (82号, [V])."""
CITATION_STATS: str = _RULES["citations"]["stats_2020"]


def valid(frame: pd.DataFrame, flags: frozenset[str] | None = None) -> pd.Series:
    """Whether each reading enters assessment: its flag is valid and its value present.

    `flags` overrides `VALID_FLAGS` (e.g. ``frozenset({"N", "S"})`` by local rule).
    """
    wanted = VALID_FLAGS if flags is None else flags
    ok = frame["flag"].isin(wanted).to_numpy(dtype=bool) & frame["value"].notna().to_numpy()
    return pd.Series(ok, index=frame.index, name="valid")


def empty_readings() -> pd.DataFrame:
    """A readings frame with no rows, typed."""
    return typed(pd.DataFrame({c: [] for c in READINGS_COLUMNS}))


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exactly `READINGS_COLUMNS`, typed (time as UTC), index 0..n-1."""
    out = pd.DataFrame(
        {
            "section_code": frame["section_code"].astype("object"),
            "station_mn": frame["station_mn"].astype("object"),
            "parameter": frame["parameter"].astype("object"),
            "time": pd.to_datetime(frame["time"], utc=True).astype("datetime64[ns, UTC]"),
            "step": frame["step"].astype("object"),
            "value": pd.to_numeric(frame["value"]).astype("float64"),
            "flag": frame["flag"].astype("object"),
        }
    )
    return out.reset_index(drop=True)


def to_utc(when: Any, *, end_of_day: bool = False) -> pd.Timestamp | None:
    """A time bound as a UTC timestamp: naive times and dates are Beijing time.

    A bare date (``"2023-06-01"``, `datetime.date`) is the start of that Beijing day, or with
    `end_of_day` the start of the next one (so ``--to 2023-06-30`` includes the 30th).
    """
    if when is None:
        return None
    is_date = isinstance(when, dt.date) and not isinstance(when, dt.datetime)
    if isinstance(when, str):
        text = when.strip()
        is_date = len(text) <= 10 and "T" not in text and ":" not in text
    stamp = pd.Timestamp(when)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(BEIJING)
    if is_date and end_of_day:
        stamp = stamp + pd.Timedelta(days=1)
    return stamp.tz_convert("UTC")


def beijing_text(times: pd.Series | np.ndarray) -> list[str]:
    """UTC times as Beijing time to the minute, ``2023-06-01T08:00+08:00`` (what users see)."""
    stamps = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    local = (stamps.tz_localize(None) + pd.Timedelta(hours=8)).to_numpy(dtype="datetime64[m]")
    text = np.datetime_as_string(local, unit="m")  # China has kept UTC+8 all year since 1992
    return [f"{t}+08:00" if t != "NaT" else None for t in text.tolist()]


__all__ = [
    "AUTO_PRIORITY",
    "BEIJING",
    "CITATION_HJ212",
    "CITATION_STATS",
    "COMMAND_STEPS",
    "FLAGS",
    "MIN_DAY_SHARE",
    "MIN_MONTH_SHARE",
    "READINGS_COLUMNS",
    "STEPS",
    "VALID_FLAGS",
    "beijing_text",
    "empty_readings",
    "to_utc",
    "typed",
    "valid",
]
