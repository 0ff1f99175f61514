"""Which sections may have a station alert, from the daily readings rollup (`geomon.store.rollup`).

`store_alerts` evaluates the station rules (`geomon.monitoring.station_alerts`) only on the
readings of the sections named here, so this must never leave one out that the rules would
alert on; naming one too many only costs its readings' read. Each test is a necessary
condition of a rule, checked on a day's lowest/highest valid value and first/last valid time:

- ``exceedance``: the latest valid reading before the moment, ending within ``lookback_hours``,
  is worse than the target. Its day had a valid value before the moment and one within the
  last ``lookback_hours`` + one day; its value lies in the day's [low, high].
- ``persistent_exceedance``: N consecutive days, the last the evaluation day or the day before,
  each with a worse daily value. A daily value (the day value, or a mean of hourly values; pH by
  [H+]) lies in the day's [low, high], so each of those days reaches beyond the bounds.
- ``data_gap``: a station with hourly rows in the ``lookback_days`` and no valid hourly value in
  the last ``hours`` + 1 hours (the gap starts at the end of the last valid hour).

"Worse" here allows a relative 1e-9 for the rounding of a computed mean; lowest and highest
are of every valid value of the day, also those after a moment inside the day (more, never
fewer candidates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geomon.monitoring.alert_model import beijing_day, section_info
from geomon.monitoring.alert_rules import AlertRules, target_bounds

_SLACK = 1e-9


def _near_worse(daily: pd.DataFrame, sections: pd.DataFrame) -> np.ndarray:
    """Per rollup row: its lowest or highest value reaches (within `_SLACK`) beyond the target
    bounds of its section and item (`target_bounds`; never for a section not in `sections`)."""
    if not len(daily):
        return np.zeros(0, dtype=bool)
    info = section_info(sections)
    pairs = daily[["section_code", "parameter"]].drop_duplicates()
    bounds = {}
    for code, key in pairs.itertuples(index=False):
        section = info.get(code) or {}
        bounds[(code, key)] = target_bounds(
            key, section.get("target"), section.get("water_body", "river")
        )
    keys = list(zip(daily["section_code"], daily["parameter"], strict=True))
    low = np.array([bounds[k][0] for k in keys], dtype=float)
    high = np.array([bounds[k][1] for k in keys], dtype=float)
    with np.errstate(invalid="ignore"):
        low_edge = low + _SLACK * np.maximum(1.0, np.abs(low))
        high_edge = high - _SLACK * np.maximum(1.0, np.abs(high))
    low_edge = np.where(np.isfinite(low), low_edge, low)
    high_edge = np.where(np.isfinite(high), high_edge, high)
    values_low = daily["low"].to_numpy(dtype=float)
    values_high = daily["high"].to_numpy(dtype=float)
    return (values_low < low_edge) | (values_high > high_edge)


def candidate_sections(
    daily: pd.DataFrame, sections: pd.DataFrame, rules: AlertRules, instant: pd.Timestamp
) -> list[str]:
    """Codes of the sections that may have a station alert at `instant` (sorted), from the
    rollup rows `daily` of the days `store_alerts` reads (see the module docstring)."""
    if not len(daily):
        return []
    daily = daily.assign(section_code=daily["section_code"].astype(str))
    valid = daily[
        (daily["flag"].isin(rules.valid_flags) & (daily["n"] > 0)).to_numpy(dtype=bool)
    ].reset_index(drop=True)
    found: set[str] = set()
    worse = _near_worse(valid, sections)
    first, last = valid["first_time"], valid["last_time"]
    # exceedance
    window = pd.Timedelta(hours=rules.number("exceedance", "lookback_hours") + 24)
    recent = ((first < instant) & (last >= instant - window)).to_numpy(dtype=bool)
    found |= set(valid["section_code"][worse & recent])
    # persistent exceedance: N consecutive worse days ending today or yesterday
    needed = int(rules.number("persistent_exceedance", "days"))
    if needed >= 1:
        today = pd.Timestamp(beijing_day(instant))
        bad = valid[worse & (first < instant).to_numpy(dtype=bool)]
        bad = bad[["section_code", "station_mn", "parameter", "day"]].drop_duplicates()
        series = bad.groupby(["section_code", "station_mn", "parameter"])["day"]
        for (code, _mn, _key), days in series:
            have = set(days)
            for end in (today, today - pd.Timedelta(days=1)):
                if all(end - pd.Timedelta(days=k) in have for k in range(needed)):
                    found.add(code)
                    break
    # data gap
    hourly = daily[(daily["step"] == "hour").to_numpy(dtype=bool)]
    lookback = instant - pd.Timedelta(days=rules.number("data_gap", "lookback_days"))
    day_start = hourly["day"].dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC")
    reported = ((day_start < instant) & (day_start + pd.Timedelta(days=1) > lookback)).to_numpy(
        dtype=bool
    )
    stations = set(
        zip(hourly["section_code"][reported], hourly["station_mn"][reported], strict=True)
    )
    proof = instant - pd.Timedelta(hours=rules.number("data_gap", "hours") + 1)
    good = valid[(valid["step"] == "hour").to_numpy(dtype=bool)]
    in_proof = (
        ((good["last_time"] > proof) & (good["last_time"] < instant))
        | ((good["first_time"] > proof) & (good["first_time"] < instant))
    ).to_numpy(dtype=bool)
    fine = set(zip(good["section_code"][in_proof], good["station_mn"][in_proof], strict=True))
    found |= {code for code, mn in stations - fine}
    return sorted(found)
