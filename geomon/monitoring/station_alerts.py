"""Alerts from automatic-station readings (自动站): exceedances, persistent exceedances, gaps.

A readings frame has the columns `READINGS_COLUMNS`: one row per station (HJ 212 ``MN``),
parameter (monitoring-layer key: NH3N, TP, DO, CODMn, pH …) and hour or day (``step``), with the
UTC start ``time``, the ``value`` and its HJ 212 ``flag``. Only flags in the rules'
``valid_flags`` count (`geomon.monitoring.alert_rules`).

Vectorised over the frame (a week of hourly values of a province's stations is millions of
rows): values are compared with the target class bounds of their (section, item) pair, and the
trailing run of a series is found with one running maximum over the sorted rows; Python loops
only over the alerts raised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geomon.errors import AlertError
from geomon.messages import message
from geomon.monitoring import READINGS_COLUMNS, empty_readings
from geomon.monitoring.alert_model import (
    BEIJING,
    Alert,
    beijing_day,
    beijing_text,
    item_name,
    section_info,
    utc_text,
    value_text,
)
from geomon.monitoring.alert_rules import (
    AlertRules,
    target_bounds,
    target_limit,
    worse_than_target,
)
from geomon.rules import water_quality as wq

_TEXT = ("section_code", "station_mn", "parameter", "step", "flag")
_STEP = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1)}
_SERIES = ["section_code", "station_mn", "parameter", "step"]


def readings_before(readings: pd.DataFrame | None, instant: pd.Timestamp) -> pd.DataFrame:
    """The readings that started before `instant`, text columns as text, sorted by series
    (section, station, parameter, step) and time. `AlertError` if a column is missing."""
    if readings is None or not len(readings):
        return empty_readings()
    missing = [c for c in READINGS_COLUMNS if c not in readings.columns]
    if missing:
        msg = f"the readings frame has no column(s) {missing}; expected {list(READINGS_COLUMNS)}"
        raise AlertError(msg)
    data = readings[list(READINGS_COLUMNS)].copy()
    data["time"] = pd.to_datetime(data["time"], utc=True)
    data["value"] = pd.to_numeric(data["value"], errors="coerce").astype(float)
    for col in _TEXT:
        data[col] = data[col].fillna("").astype(str).str.strip()
    data = data[(data["time"] < instant).to_numpy(dtype=bool)]
    return data.sort_values([*_SERIES, "time"], kind="stable").reset_index(drop=True)


def _valid(data: pd.DataFrame, rules: AlertRules) -> pd.DataFrame:
    keep = data["flag"].isin(rules.valid_flags) & data["value"].notna()
    return data[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def _encode(frame: pd.DataFrame, keys: Sequence[str]) -> tuple[np.ndarray, list[Any]]:
    """One int64 per row for its combination of `keys` (mixed radix of each column's codes),
    and each column's distinct values (`_decode` turns codes back). Much faster than a
    MultiIndex, which builds a tuple per row."""
    combined = np.zeros(len(frame), dtype=np.int64)
    uniques = []
    for key in keys:
        codes, values = pd.factorize(frame[key])
        combined = combined * len(values) + codes
        uniques.append(values)
    return combined, uniques


def _decode(combined: np.ndarray, uniques: Sequence[Any]) -> list[Any]:
    """The key columns' values of `_encode` codes."""
    out = []
    for values in reversed(uniques):
        combined, codes = np.divmod(combined, len(values))
        out.append(np.asarray(values)[codes])
    return out[::-1]


def _worse(data: pd.DataFrame, info: Mapping[str, Mapping[str, Any]]) -> np.ndarray:
    """Per row: the value lies beyond its section's target class bounds (`target_bounds`)."""
    if not len(data):
        return np.zeros(0, dtype=bool)
    combined, uniques = _encode(data, ["section_code", "parameter"])
    pairs, inverse = np.unique(combined, return_inverse=True)
    bounds = []
    for code, key in zip(*_decode(pairs, uniques), strict=True):
        section = info.get(code) or {}
        bounds.append(target_bounds(key, section.get("target"), section.get("water_body", "river")))
    low, high = (np.array(b, dtype=float)[inverse] for b in zip(*bounds, strict=True))
    values = data["value"].to_numpy(dtype=float)
    return (values < low) | (values > high)


def _group_ends(data: pd.DataFrame, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by `keys`: whether each row starts its group, and each group's last row."""
    ids = _encode(data, keys)[0]
    first = np.ones(len(ids), dtype=bool)
    first[1:] = ids[1:] != ids[:-1]
    last = np.flatnonzero(np.r_[first[1:], True])
    return first, last


def _rows(frame: pd.DataFrame, positions: np.ndarray) -> list[dict[str, Any]]:
    """The rows at `positions` as dicts (one take, not one ``iloc`` per alert)."""
    return frame.take(positions).to_dict("records")


def _run_starts(starts: np.ndarray, last: np.ndarray) -> np.ndarray:
    """For each group's last row, the position of the latest row marked as a run's start."""
    marked = np.where(starts, np.arange(len(starts)), -1)
    return np.maximum.accumulate(marked)[last] if len(starts) else np.zeros(0, dtype=int)


def reading_exceedance_alerts(
    sections: pd.DataFrame, readings: pd.DataFrame | None, rules: AlertRules, instant: pd.Timestamp
) -> list[Alert]:
    """Automatic stations whose latest valid reading (hourly value or daily mean, ending within
    ``lookback_hours``) is worse than the section's target class: one ``exceedance`` per
    station, item and step; ``since`` is the first of the unbroken run of such readings."""
    data = _valid(readings_before(readings, instant), rules)
    data = data[data["step"].isin(list(_STEP)).to_numpy(dtype=bool)].reset_index(drop=True)
    if not len(data):
        return []
    info = section_info(sections)
    worse = _worse(data, info)
    first, last = _group_ends(data, _SERIES)
    previous = np.r_[False, worse[:-1]]
    run = _run_starts(worse & (first | ~previous), last)
    window = pd.Timedelta(hours=rules.number("exceedance", "lookback_hours"))
    ends = data["time"] + data["step"].map(_STEP)
    raised = worse[last] & (ends >= instant - window).to_numpy(dtype=bool)[last]
    rule = rules["exceedance"]
    out = []
    for end, start in zip(last[raised], run[raised], strict=True):
        row, since = data.iloc[end], data["time"].iloc[start]
        code, station, key, step = (
            row["section_code"],
            row["station_mn"],
            row["parameter"],
            row["step"],
        )
        section, value = info[code], float(row["value"])
        limit = target_limit(key, section["target"], section["water_body"], value)
        worst = worse_than_target(key, value, wq.CLASSES[-2], section["water_body"])  # 劣V
        label = wq.CLASS_LABELS[section["target"]]
        what = ("小时值", "hourly value") if step == "hour" else ("日均值", "daily mean")
        out.append(
            Alert(
                "exceedance",
                rule.params["severity_worst"] if worst else rule.severity,
                "sections", code, section["name"], key, value, float(limit), utc_text(since),
                message(
                    f"自动站 {station} {item_name(key)}{what[0]} {value_text(key, value, limit)}"
                    f"（{beijing_text(row['time'])}），劣于水质目标{label.zh}（限值 {limit:g}）",
                    f"station {station} {key} {what[1]} {value_text(key, value, limit)} at "
                    f"{beijing_text(row['time'])} "
                    f"(Beijing) is worse than the target {label.en} (limit {limit:g})",
                ),
                rule.text(), section["district_code"], f"{station}/{step}",
            )
        )  # fmt: skip
    return out


def _beijing_days(times: pd.Series) -> pd.Series:
    """Each UTC time's Beijing day, as a naive midnight timestamp."""
    return times.dt.tz_convert(BEIJING).dt.tz_localize(None).dt.normalize()


def daily_values(readings: pd.DataFrame, rules: AlertRules) -> pd.DataFrame:
    """Valid daily values per section, station, item and Beijing day (`readings_before` rows).

    A station's daily values (step ``day``) where it sends them, else the mean of its valid
    hourly values that day (`geomon.rules.water_quality.period_means`, not rounded; pH through
    [H+]). Columns: section_code, station_mn, parameter, day (a date), value.
    """
    columns = ["section_code", "station_mn", "parameter", "day", "value"]
    data = _valid(readings, rules)
    if not len(data):
        return pd.DataFrame(columns=columns)
    data = data.assign(day=_beijing_days(data["time"]))
    series = ["section_code", "station_mn", "parameter"]
    is_day = (data["step"] == "day").to_numpy(dtype=bool)
    days = data[is_day]
    combined, _ = _encode(data, series)  # a series that sends daily values keeps them
    hourly = (data["step"] == "hour").to_numpy(dtype=bool) & ~np.isin(combined, combined[is_day])
    hours = data[hourly]
    hours = hours[hours["parameter"].isin(list(wq.ITEMS)).to_numpy(dtype=bool)]  # others: no class
    parts = [days[columns]]
    for key, part in hours.groupby("parameter", sort=True):
        ids, uniques = _encode(part, ["section_code", "station_mn", "day"])
        mean = wq.period_means(
            pd.DataFrame({"section_code": ids, key: part["value"].to_numpy(dtype=float)}),
            rounded=False,
        )[key]
        code, station, day = _decode(mean.index.to_numpy(dtype=np.int64), uniques)
        parts.append(
            pd.DataFrame(
                {
                    "section_code": code,
                    "station_mn": station,
                    "parameter": key,
                    "day": pd.to_datetime(day),
                    "value": mean.to_numpy(dtype=float),
                }
            )
        )
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(columns[:4], kind="stable").reset_index(drop=True)
    return out.assign(day=[d.date() for d in out["day"]])


def persistent_exceedance_alerts(
    sections: pd.DataFrame, readings: pd.DataFrame | None, rules: AlertRules, instant: pd.Timestamp
) -> list[Alert]:
    """Stations whose daily value of an item was worse than the target class on at least N
    consecutive Beijing days (``persistent_exceedance.days``), the last of them the evaluation
    day or the day before (today's mean may be incomplete); ``since`` is the run's first day.
    A day without a value breaks the run."""
    needed = int(rules.number("persistent_exceedance", "days"))
    daily = daily_values(readings_before(readings, instant), rules)
    if not len(daily) or needed < 1:
        return []
    info = section_info(sections)
    worse = _worse(daily, info)
    first, last = _group_ends(daily, ["section_code", "station_mn", "parameter"])
    days = pd.to_datetime(daily["day"]).to_numpy()
    step = np.r_[np.timedelta64(0, "D"), np.diff(days)] // np.timedelta64(1, "D")
    previous = np.r_[False, worse[:-1]]
    run = _run_starts(worse & (first | ~previous | (step != 1)), last)
    today = np.datetime64(beijing_day(instant))
    length = last - run + 1
    recent = (today - days[last]) // np.timedelta64(1, "D") <= 1
    raised = worse[last] & recent & (length >= needed)
    rule = rules["persistent_exceedance"]
    out = []
    rows = _rows(daily, last[raised])
    firsts = daily["day"].take(run[raised]).tolist()
    for row, first_day, n in zip(rows, firsts, length[raised], strict=True):
        code, station, key = row["section_code"], row["station_mn"], row["parameter"]
        section, value = info[code], float(row["value"])
        limit = target_limit(key, section["target"], section["water_body"], value)
        label = wq.CLASS_LABELS[section["target"]]
        out.append(
            Alert(
                "persistent_exceedance", rule.severity, "sections", code, section["name"], key,
                int(n), float(limit), first_day.isoformat(),
                message(
                    f"自动站 {station} {item_name(key)}日均值连续 {n} 天劣于水质目标"
                    f"{label.zh}（限值 {limit:g}，最近 {value_text(key, value, limit)}）",
                    f"station {station} {key} daily mean worse than the target {label.en} "
                    f"for {n} consecutive days (limit {limit:g}, "
                    f"latest {value_text(key, value, limit)})",
                ),
                rule.text(), section["district_code"], station,
            )
        )  # fmt: skip
    return out


def data_gap_alerts(
    sections: pd.DataFrame, readings: pd.DataFrame | None, rules: AlertRules, instant: pd.Timestamp
) -> list[Alert]:
    """Automatic stations with no valid hourly value of any item for at least N hours
    (``data_gap.hours``). A station counts if it sent anything within ``lookback_days``; the gap
    starts at the end of its last valid hour in the readings given (else at its first one)."""
    data = readings_before(readings, instant)
    data = data[(data["step"] == "hour").to_numpy(dtype=bool)]
    window = instant - pd.Timedelta(days=rules.number("data_gap", "lookback_days"))
    if not len(data):
        return []
    station = ["section_code", "station_mn"]
    recent = data[(data["time"] >= window).to_numpy(dtype=bool)]
    seen = data.groupby(station, sort=True)["time"].min()
    seen = seen[seen.index.isin(pd.MultiIndex.from_frame(recent[station]))]  # still reporting
    good = _valid(data, rules).groupby(station, sort=True)["time"].max() + _STEP["hour"]
    start = good.reindex(seen.index).fillna(seen)
    gap = (instant - start) / pd.Timedelta(hours=1)
    needed = rules.number("data_gap", "hours")
    info = section_info(sections)
    rule = rules["data_gap"]
    out = []
    for (code, mn), since in start[(gap >= needed).to_numpy(dtype=bool)].items():
        section, hours = info.get(code, {}), int(gap[(code, mn)])
        out.append(
            Alert(
                "data_gap", rule.severity, "sections", code, section.get("name"), None,
                hours, needed, utc_text(since),
                message(
                    f"自动站 {mn} 自 {beijing_text(since)} 起 {hours} 小时无有效数据",
                    f"station {mn}: no valid data for {hours} hours since "
                    f"{beijing_text(since)} (Beijing)",
                ),
                rule.text(), section.get("district_code"), mn,
            )
        )  # fmt: skip
    return out
