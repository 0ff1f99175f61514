"""What may have a station alert, from the daily readings rollup (`geomon.store.rollup`).

`store_alerts` evaluates the station rules (`geomon.monitoring.station_alerts`) only on the
readings this names (`Candidates`: (section, parameter) pairs for exceedances and persistent
exceedances, (section, station) pairs for data gaps, whose every parameter is read), so it
must never leave out what the rules would alert on; naming too much only costs a read. Each
test is a necessary condition of a rule on the rollup rows of the valid flags:

- ``exceedance``: the latest valid reading before the moment, ending within ``lookback_hours``,
  is worse than the target. A series whose rows all end before the moment: the ``last_value``
  of its latest row. A series with a day the moment cuts (values on both sides): the lowest and
  highest value of its rows from the lookback on (the latest lies in one of them).
- ``persistent_exceedance``: N consecutive days, the last the evaluation day or the day before,
  each with a worse daily value: a day value (its lowest/highest), or the mean of the valid
  hourly values from ``total`` / ``n`` (pH: −log10(``hsum`` / ``n``), by [H+]); a day the
  moment cuts, or a pH beyond ±300: the day's lowest/highest (a mean lies between them).
- ``data_gap``: a station with hourly rows in the ``lookback_days`` and no valid hourly value in
  the last ``hours`` + 1 hours (the gap starts at the end of the last valid hour).

"Worse" here allows a relative 1e-9 for the rounding of sums and means (the rules' means are
pandas', the rollup's sums SQL's), so a value on a limit is always named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geomon.monitoring.alert_model import beijing_day, section_info
from geomon.monitoring.alert_rules import AlertRules, target_bounds

_SLACK = 1e-9


def _edges(daily: pd.DataFrame, sections: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per rollup row: the target bounds of its section and item (`target_bounds`; never worse
    for a section not in `sections`), each moved inwards by `_SLACK` (relative)."""
    info = section_info(sections)
    pairs = daily[["section_code", "parameter"]].drop_duplicates()
    bounds = {}
    for code, key in pairs.itertuples(index=False):
        section = info.get(code) or {}
        bounds[(code, key)] = target_bounds(
            key, section.get("target"), section.get("water_body", "river")
        )
    table = pd.DataFrame(
        [(code, key, lo, hi) for (code, key), (lo, hi) in bounds.items()],
        columns=["section_code", "parameter", "low", "high"],
    )
    joined = daily[["section_code", "parameter"]].merge(
        table, on=["section_code", "parameter"], how="left", validate="many_to_one"
    )
    low = joined["low"].to_numpy(dtype=float)
    high = joined["high"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        low_edge = np.where(np.isfinite(low), low + _SLACK * np.maximum(1.0, np.abs(low)), low)
        high_edge = np.where(np.isfinite(high), high - _SLACK * np.maximum(1.0, np.abs(high)), high)
    return low_edge, high_edge


def _beyond(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (values < low) | (values > high)


@dataclass(frozen=True)
class Candidates:
    """What may alert: (section, parameter) pairs that may have an exceedance or persistent
    exceedance, and (section, station) pairs that may have a data gap (their station's every
    parameter is needed: a gap is of all of them)."""

    series: frozenset[tuple[str, str]] = frozenset()
    stations: frozenset[tuple[str, str]] = frozenset()

    def sections(self) -> list[str]:
        """The sections named, sorted."""
        return sorted({c for c, _ in self.series} | {c for c, _ in self.stations})


def candidate_sections(
    daily: pd.DataFrame, sections: pd.DataFrame, rules: AlertRules, instant: pd.Timestamp
) -> list[str]:
    """Codes of the sections that may have a station alert at `instant` (sorted), from the
    rollup rows `daily` of the days `store_alerts` reads (see the module docstring)."""
    return candidates(daily, sections, rules, instant).sections()


def candidates(
    daily: pd.DataFrame, sections: pd.DataFrame, rules: AlertRules, instant: pd.Timestamp
) -> Candidates:
    """What may have a station alert at `instant` (`Candidates`), from the rollup rows `daily`
    of the days `store_alerts` reads (see the module docstring)."""
    if not len(daily):
        return Candidates()
    daily = daily.assign(section_code=daily["section_code"].astype(str))
    valid = daily[
        (daily["flag"].isin(rules.valid_flags) & (daily["n"] > 0)).to_numpy(dtype=bool)
    ].reset_index(drop=True)
    found: set[tuple[str, str]] = set()
    if not len(valid):
        valid = valid.assign(low_edge=[], high_edge=[])
    else:
        low_edge, high_edge = _edges(valid, sections)
        valid = valid.assign(low_edge=low_edge, high_edge=high_edge)
    lo, hi = valid["low_edge"].to_numpy(dtype=float), valid["high_edge"].to_numpy(dtype=float)
    extremes = _beyond(valid["low"].to_numpy(dtype=float), lo, hi) | _beyond(
        valid["high"].to_numpy(dtype=float), lo, hi
    )
    first, last = valid["first_time"], valid["last_time"]
    partial = ((first < instant) & (last >= instant)).to_numpy(dtype=bool)  # instant inside
    done = (last < instant).to_numpy(dtype=bool)
    series = ["section_code", "station_mn", "parameter", "step"]
    # exceedance: the latest valid reading before the moment, within the lookback, is worse.
    # A series with values on both sides of the moment in one day: that day's extremes.
    window = pd.Timedelta(hours=rules.number("exceedance", "lookback_hours") + 24)
    recent = ((first < instant) & (last >= instant - window)).to_numpy(dtype=bool)
    straddles = set(map(tuple, valid.loc[partial, series].to_numpy().tolist()))
    for row, worse in zip(valid.loc[recent, series].to_numpy().tolist(), extremes[recent],
                          strict=True):  # fmt: skip
        if worse and tuple(row) in straddles:  # the latest lies in one of these rows
            found.add((row[0], row[2]))
    before = valid[done].sort_values("last_time", kind="stable")
    before = before.drop_duplicates(series, keep="last")
    before = before[(before["last_time"] >= instant - window).to_numpy(dtype=bool)]
    latest = _beyond(
        before["last_value"].to_numpy(dtype=float),
        before["low_edge"].to_numpy(dtype=float),
        before["high_edge"].to_numpy(dtype=float),
    )
    for row, worse in zip(before[series].to_numpy().tolist(), latest, strict=True):
        if worse and tuple(row) not in straddles:  # every reading before: in done rows
            found.add((row[0], row[2]))
    # persistent exceedance: N consecutive days, ending today or yesterday, whose daily value
    # (a day value, or the mean of the valid hourly values; pH by [H+]) may be worse
    needed = int(rules.number("persistent_exceedance", "days"))
    if needed >= 1:
        today = pd.Timestamp(beijing_day(instant))
        day_worse = _daily_worse(valid, extremes, partial, first < instant)
        bad = valid.loc[day_worse, ["section_code", "station_mn", "parameter", "day"]]
        for (code, _mn, key), days in bad.drop_duplicates().groupby(
            ["section_code", "station_mn", "parameter"]
        )["day"]:
            have = set(days)
            for end in (today, today - pd.Timedelta(days=1)):
                if all(end - pd.Timedelta(days=k) in have for k in range(needed)):
                    found.add((code, key))
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
    return Candidates(frozenset(found), frozenset(stations - fine))


def _daily_worse(
    valid: pd.DataFrame, extremes: np.ndarray, partial: np.ndarray, started: pd.Series
) -> np.ndarray:
    """Per rollup row (valid flags): its day's daily value may be worse. A day value (step
    day) or a day cut by the moment: its extremes; hourly values: their mean over the valid
    flags of that series and day (pH by [H+]; a pH beyond ±300 or no [H+] sum: extremes)."""
    keys = ["section_code", "station_mn", "parameter", "day"]
    started = started.to_numpy(dtype=bool)
    is_day = (valid["step"] == "day").to_numpy(dtype=bool)
    cut = (
        pd.Series(partial, index=valid.index)
        .groupby([valid[k] for k in keys], sort=False)
        .transform("any")
        .to_numpy(dtype=bool)
    )  # a day the moment cuts: the extremes of all its rows
    out = (is_day | cut) & extremes & started
    hourly = valid[~is_day & ~cut & started]
    if not len(hourly):
        return out
    grouped = hourly.groupby(keys, sort=False)
    ids = grouped.ngroup().to_numpy()  # sort=False: groups numbered as `sums` lists them
    sums = grouped.agg(
        n=("n", "sum"), total=("total", "sum"), hsum=("hsum", "sum"),
        with_h=("hsum", "count"), rows=("n", "size"), low_edge=("low_edge", "first"),
        high_edge=("high_edge", "first"),
    )  # fmt: skip
    ph = np.asarray(sums.index.get_level_values("parameter") == "pH", dtype=bool)
    n = sums["n"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(
            ph,
            -np.log10(sums["hsum"].to_numpy(dtype=float) / n),
            sums["total"].to_numpy(dtype=float) / n,
        )
    worse = _beyond(
        mean, sums["low_edge"].to_numpy(dtype=float), sums["high_edge"].to_numpy(dtype=float)
    )
    unsure = ph & (sums["with_h"].to_numpy() < sums["rows"].to_numpy())  # a pH beyond ±300
    positions = hourly.index.to_numpy()
    out[positions] |= worse[ids] | (unsure[ids] & extremes[positions])
    return out
