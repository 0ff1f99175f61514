"""One section's readings of one parameter as a series of classed points (hour, day or month).

Each point has its time, value, GB 3838-2002 表1 single-item class (`item_classes`: limits
inclusive, shared limits give the better class, DO higher-is-better, pH outside 6–9 劣Ⅴ), the
reading's HJ 212 flag and whether it counts (`valid`: its flag enters assessment). A point that
does not count has no class: a maintenance reading says nothing about the water.

Steps:
- ``hour``: the stored hourly readings, as measured;
- ``day``: the stored daily readings (CN 2031); where a day has none, the mean of its valid
  hourly readings (Beijing day);
- ``month``: the mean of the valid daily values (above) of each Beijing month.

A mean is arithmetic, pH through [H⁺], and by default rounded half to even to the 82号 decimals
before it is classed (环办监测函〔2020〕82号; DOMAIN.md §0 item 1: ``rounded=False`` keeps raw
means); a month is the mean of its unrounded daily means, rounded once. A daily mean counts
when at least `geomon.monitoring.MIN_DAY_SHARE` of its 24 hours are valid, a monthly mean when
at least `MIN_MONTH_SHARE` of its days have a daily mean that counts (both [M] placeholders in
stations.toml); ``valid_hours`` and ``valid_days`` say how many it had. Computed points carry
no flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geomon.errors import ReadingsError
from geomon.monitoring import BEIJING, MIN_DAY_SHARE, MIN_MONTH_SHARE, beijing_text, valid
from geomon.monitoring.parameters import unit as parameter_unit
from geomon.rules import water_quality as wq

SERIES_STEPS = ("hour", "day", "month")
POINT_COLUMNS = ("time", "value", "class", "flag", "valid", "valid_hours", "valid_days")


@dataclass(frozen=True, slots=True)
class Series:
    """A section's series of one parameter: points (`POINT_COLUMNS`; ``valid_hours`` only
    for means), the unit, the section's target class and that class's limit."""

    section: str
    parameter: str
    unit: str
    target: str | None
    limit: float | list[float] | None
    step: str
    points: pd.DataFrame


def target_limit(
    parameter: str, target: str | None, *, water_body: wq.WaterBody = "river"
) -> float | list[float] | None:
    """The limit of class `target` for `parameter` (GB 3838-2002 表1): the upper limit of a
    "≤" item (lake limits for TP in a lake), the lower limit of DO ("≥"), [low, high] for pH;
    None without a target or for an item without classes."""
    if target is None or parameter not in wq.ITEMS:
        return None
    item = wq.ITEMS[parameter]
    k = wq.class_rank(target)
    if k >= len(wq.CLASSES) - 1:
        return None
    if item.direction == "le" and item.high is not None:
        high = item.lake_high if water_body == "lake" and item.lake_high else item.high
        return float(high[k])
    if item.direction == "ge" and item.low is not None:
        return float(item.low[k])
    if item.direction == "range" and item.low is not None and item.high is not None:
        return [float(item.low[k]), float(item.high[k])]
    return None


def _classes(parameter: str, values: np.ndarray, water_body: wq.WaterBody) -> np.ndarray:
    if parameter not in wq.ITEMS:
        return np.full(len(values), None, dtype=object)
    return wq.item_classes(parameter, values, water_body=water_body)


def _mean(values: pd.Series, groups: pd.Series, parameter: str) -> pd.Series:
    """Arithmetic mean per group; pH through [H⁺] (82号)."""
    if parameter == "pH":
        return -np.log10((10.0**-values).groupby(groups).mean())
    return values.groupby(groups).mean()


def _round(values: np.ndarray, parameter: str) -> np.ndarray:
    item = wq.ITEMS.get(parameter)
    if item is None or item.decimals is None:
        return values
    return wq.round_half_even(values, item.decimals)


def _hour_means(hourly: pd.DataFrame, parameter: str, *, rounded: bool) -> pd.DataFrame:
    """Means of the valid hourly readings per Beijing day; a day counts with at least
    `MIN_DAY_SHARE` of its 24 hours valid."""
    local = hourly["time"].dt.tz_convert(BEIJING).dt.tz_localize(None)
    period = local.dt.to_period("D")
    ok = valid(hourly).to_numpy()
    counted = pd.Series(ok.astype("int64"), index=hourly.index).groupby(period).sum()
    means = _mean(hourly["value"][ok], period[ok], parameter)
    periods = counted.index
    value = means.reindex(periods).to_numpy(dtype=float)
    if rounded:
        value = _round(value, parameter)
    enough = counted.to_numpy(dtype=float) >= MIN_DAY_SHARE * 24
    return pd.DataFrame(
        {
            "time": pd.DatetimeIndex(periods.to_timestamp()).tz_localize(BEIJING).tz_convert("UTC"),
            "value": value,
            "flag": None,
            "valid": enough & ~np.isnan(value),
            "valid_hours": counted.to_numpy(dtype="int64"),
        }
    )


def daily_means(readings: pd.DataFrame, parameter: str, *, rounded: bool = True) -> pd.DataFrame:
    """One value per Beijing day of `parameter` from one station's `readings`: the stored daily
    reading (CN 2031; it counts by its flag, as 24 valid hours) where the day has one, else the
    mean of the day's valid hourly readings (counts with `MIN_DAY_SHARE` of 24 hours valid).
    Columns: time (UTC start of the Beijing day), value, flag (stored days only), valid,
    valid_hours; sorted by time."""
    mine = readings[readings["parameter"] == parameter]
    hourly, daily = mine[mine["step"] == "hour"], mine[mine["step"] == "day"]
    stored = daily[["time", "value", "flag"]].assign(valid=valid(daily).to_numpy())
    stored["valid_hours"] = np.where(stored["valid"], 24, 0)
    means = _hour_means(hourly, parameter, rounded=rounded) if len(hourly) else None
    if means is not None:
        means = means[~means["time"].isin(set(stored["time"]))]
    parts = [p for p in (stored, means) if p is not None and len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else stored
    return out.sort_values("time", kind="stable").reset_index(drop=True)


def monthly_means(readings: pd.DataFrame, parameter: str, *, rounded: bool = True) -> pd.DataFrame:
    """One value per Beijing month of `parameter`: the mean of the month's valid daily means
    (`daily_means`, taken unrounded; pH through [H⁺]), rounded per 82号 unless
    ``rounded=False``. It counts (``valid``) when at least `MIN_MONTH_SHARE` of the month's
    days have a valid daily mean; a month below that is incomplete (数据不完整). Columns: time
    (UTC start of the Beijing month), value, flag (None), valid, valid_hours, valid_days,
    days (in the month)."""
    days = daily_means(readings, parameter, rounded=False)
    columns = ["time", "value", "flag", "valid", "valid_hours", "valid_days", "days"]
    if days.empty:
        return pd.DataFrame(columns=columns)
    local = days["time"].dt.tz_convert(BEIJING).dt.tz_localize(None)
    month = local.dt.to_period("M")
    ok = days["valid"].to_numpy(dtype=bool)
    valid_days = pd.Series(ok.astype("int64"), index=days.index).groupby(month).sum()
    hours = days["valid_hours"].astype("int64").groupby(month).sum()
    periods = valid_days.index
    means = _mean(days["value"][ok], month[ok], parameter).reindex(periods)
    value = means.to_numpy(dtype=float)
    if rounded:
        value = _round(value, parameter)
    in_month = np.array([p.days_in_month for p in periods], dtype="int64")
    enough = valid_days.to_numpy(dtype=float) >= MIN_MONTH_SHARE * in_month
    return pd.DataFrame(
        {
            "time": pd.DatetimeIndex(periods.to_timestamp()).tz_localize(BEIJING).tz_convert("UTC"),
            "value": value,
            "flag": None,
            "valid": enough & ~np.isnan(value),
            "valid_hours": hours.reindex(periods).to_numpy(dtype="int64"),
            "valid_days": valid_days.to_numpy(dtype="int64"),
            "days": in_month,
        }
    )


def section_series(
    readings: pd.DataFrame,
    section: str,
    parameter: str,
    *,
    step: str = "hour",
    target: str | None = None,
    water_body: wq.WaterBody = "river",
    rounded: bool = True,
) -> Series:
    """The series of `parameter` at `section` from a readings frame (other rows are ignored)."""
    if step not in SERIES_STEPS:
        msg = f"step must be hour, day or month, got {step!r}"
        raise ReadingsError(msg)
    mine = readings[
        (readings["section_code"] == section) & (readings["parameter"] == parameter)
    ].sort_values("time", kind="stable")
    if step == "hour":
        hourly = mine[mine["step"] == "hour"]
        points = hourly[["time", "value", "flag"]].assign(valid=valid(hourly).to_numpy())
        points["valid_hours"] = None
    elif step == "day":
        points = daily_means(mine, parameter, rounded=rounded)
    else:
        points = monthly_means(mine, parameter, rounded=rounded)
    if "valid_days" not in points.columns:
        points["valid_days"] = None
    points = points.sort_values("time", kind="stable").reset_index(drop=True)
    values = points["value"].to_numpy(dtype=float)
    classes = _classes(parameter, values, water_body)
    counts = points["valid"].to_numpy(dtype=bool)
    points["class"] = pd.Series(
        [c if ok else None for c, ok in zip(classes, counts, strict=True)], dtype="object"
    )
    points = points[list(POINT_COLUMNS)]
    return Series(
        section=section,
        parameter=parameter,
        unit=parameter_unit(parameter),
        target=target,
        limit=target_limit(parameter, target, water_body=water_body),
        step=step,
        points=points,
    )


def _number(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)


def series_json(series: Series) -> dict[str, Any]:
    """The ``geomon series --json`` document: section, parameter, unit, target, limit, points
    (time in Beijing time to the minute; ``valid_hours`` on computed means, ``valid_days`` on
    monthly ones)."""
    p = series.points
    points = []
    for t, value, klass, flag, ok, hours, days in zip(
        beijing_text(p["time"]),
        p["value"].tolist(),
        p["class"].tolist(),
        p["flag"].tolist(),
        p["valid"].tolist(),
        p["valid_hours"].tolist(),
        p["valid_days"].tolist(),
        strict=True,
    ):
        point: dict[str, Any] = {
            "time": t,
            "value": _number(value),
            "class": klass,
            "flag": flag,
            "valid": bool(ok),
        }
        if flag is None and hours is not None and not pd.isna(hours):
            point["valid_hours"] = int(hours)
        if flag is None and days is not None and not pd.isna(days):
            point["valid_days"] = int(days)
        points.append(point)
    return {
        "section": series.section,
        "parameter": series.parameter,
        "unit": series.unit,
        "target": series.target,
        "limit": series.limit,
        "points": points,
    }
