"""A section's class month by month from its lab results and its automatic station, and the
trend over those months (一断面一档).

Automatic data (`station_months`): per parameter and Beijing month, the mean of the valid daily
means (`geomon.monitoring.series.monthly_means`: a day counts with `MIN_DAY_SHARE` of its hours
valid, a month with `MIN_MONTH_SHARE` of its days; both [M] in ``rules/stations.toml``), rounded
per 82号, and its GB 3838-2002 表1 single-item class. A month below the share is incomplete
(数据不完整): shown, never classed from automatic data.

Which source counts (`section_months`; 环办监测函〔2020〕82号, DOMAIN.md §1.3 "Priority of
data"): where a complete automatic monthly mean exists for an item of `AUTO_PRIORITY` (pH, DO,
CODMn, NH3-N, TP, TN) it takes priority over the lab result; every other item comes from the
month's lab results (their mean, 82号 rounded), and an item no lab measured that month comes
from the station when its month is complete. The month's class is the worst class of the
assessed items so gathered (2011 method, single factor); ``source`` says whether they came from
the station, the lab or both. The lab-only and station-only classes are kept beside it.

Trend (`trend`, DOMAIN.md §1.3 [M]): the status level (优 … 重度污染) of the first and the last
month with a class; one level is 有所变化, two or more 明显变化.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from geomon.monitoring import AUTO_PRIORITY, BEIJING
from geomon.monitoring.series import monthly_means
from geomon.rules import water_quality as wq

STATION_MONTH_COLUMNS = (
    *("parameter", "month", "value", "valid_days", "days", "valid_hours", "hours"),
    *("complete", "class"),
)
SECTION_MONTH_COLUMNS = (
    *("month", "class", "source", "lab_class", "auto_class", "auto_complete", "auto_parameters"),
    "values",
)
_STATUS_ORDER: tuple[str, ...] = tuple(dict.fromkeys(wq.STATUS[c] for c in wq.CLASSES))


def _order(parameters: set[str]) -> list[str]:
    """Parameters in GB 3838 表1 order, any others after them by name."""
    rank = {p: i for i, p in enumerate(wq.ITEMS)}
    return sorted(parameters, key=lambda p: (rank.get(p, len(rank)), p))


def station_months(
    readings: pd.DataFrame, code: str, *, water_body: wq.WaterBody = "river", rounded: bool = True
) -> pd.DataFrame:
    """Every parameter's monthly mean at section `code` from its station readings.

    Columns `STATION_MONTH_COLUMNS`: month (``"2023-06"``, Beijing), value (the mean of the
    valid daily means; NaN without one), valid_days / days, valid_hours / hours (days × 24),
    complete (the month counts) and class (single item, only when complete).
    """
    mine = readings[readings["section_code"].astype(str) == code]
    parts = []
    for parameter in _order(set(mine["parameter"].astype(str))):
        means = monthly_means(mine, parameter, rounded=rounded)
        if means.empty:
            continue
        values = means["value"].to_numpy(dtype=float)
        complete = means["valid"].to_numpy(dtype=bool)
        classes = (
            wq.item_classes(parameter, values, water_body=water_body)
            if parameter in wq.ITEMS
            else np.full(len(values), None, dtype=object)
        )
        months = means["time"].dt.tz_convert(BEIJING).dt.strftime("%Y-%m")
        parts.append(
            pd.DataFrame(
                {
                    "parameter": parameter,
                    "month": months.to_numpy(dtype=object),
                    "value": values,
                    "valid_days": means["valid_days"].to_numpy(dtype="int64"),
                    "days": means["days"].to_numpy(dtype="int64"),
                    "valid_hours": means["valid_hours"].to_numpy(dtype="int64"),
                    "hours": means["days"].to_numpy(dtype="int64") * 24,
                    "complete": complete,
                    "class": [c if ok else None for c, ok in zip(classes, complete, strict=True)],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(STATION_MONTH_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(STATION_MONTH_COLUMNS)]


def lab_month_means(
    monitoring: pd.DataFrame | None, code: str, *, rounded: bool = True
) -> dict[str, dict[str, float]]:
    """Month (``"2023-06"``) → item → the mean of that month's lab results at `code` (82号
    rounded; pH through [H⁺]); items without a value are left out."""
    if monitoring is None or not len(monitoring):
        return {}
    rows = monitoring[monitoring["section_code"].astype(str) == code]
    items = [k for k in wq.ITEMS if k in rows.columns]
    if rows.empty or not items:
        return {}
    month = pd.to_datetime(rows["date"]).dt.strftime("%Y-%m")
    # period_means groups by section_code: one section here, so group by month through it
    means = wq.period_means(rows[items].assign(section_code=month.to_numpy()), rounded=rounded)
    return {
        str(m): {k: float(v) for k, v in row.items() if not pd.isna(v)}
        for m, row in means.iterrows()
    }


def _class(values: dict[str, float], water_body: wq.WaterBody) -> str | None:
    if not values:
        return None
    return wq.classify_sample(values, water_body=water_body).klass


def _months_between(months: set[str]) -> list[str]:
    """Every month from the first to the last of `months`: a gap shows as a month without data."""
    if not months:
        return []
    span = pd.period_range(min(months), max(months), freq="M")
    return [str(p) for p in span]


def section_months(
    readings: pd.DataFrame,
    monitoring: pd.DataFrame | None,
    code: str,
    *,
    water_body: wq.WaterBody = "river",
    rounded: bool = True,
    station: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Section `code`'s class month by month from its lab results and its station
    (`station`: its `station_months` if already computed).

    Columns `SECTION_MONTH_COLUMNS`: month; class (the month's class, sources combined as the
    module docstring says; None when nothing counts); source (``"auto"``, ``"lab"``,
    ``"both"`` or None); lab_class and auto_class (each source alone; auto_class only from
    complete parameters); auto_complete (how many station parameters have a complete month)
    of auto_parameters (how many the station measured that month; 0 without station data);
    values (item → (value, source)) for the combined class. Months run from the first to the
    last with any data, gaps included.
    """
    lab = lab_month_means(monitoring, code, rounded=rounded)
    if station is None:
        station = station_months(readings, code, water_body=water_body, rounded=rounded)
    rows = []
    for month in _months_between(set(lab) | set(station["month"])):
        mine = station[station["month"] == month]
        done = mine[mine["complete"].to_numpy(dtype=bool) & mine["parameter"].isin(list(wq.ITEMS))]
        auto = dict(zip(done["parameter"], done["value"].astype(float), strict=True))
        lab_values = lab.get(month, {})
        values: dict[str, tuple[float, str]] = {k: (v, "lab") for k, v in lab_values.items()}
        for item, value in auto.items():
            if item in AUTO_PRIORITY or item not in values:
                values[item] = (value, "auto")
        klass = _class({k: v for k, (v, _) in values.items()}, water_body)
        deciding = {s for k, (_, s) in values.items() if k in wq.ASSESSED}
        source = None if klass is None else ("both" if len(deciding) > 1 else deciding.pop())
        rows.append(
            {
                "month": month,
                "class": klass,
                "source": source,
                "lab_class": _class(lab_values, water_body),
                "auto_class": _class(auto, water_body),
                "auto_complete": len(done),
                "auto_parameters": len(mine),
                "values": values,
            }
        )
    out = pd.DataFrame(rows, columns=list(SECTION_MONTH_COLUMNS)).astype(object)
    return out.where(out.notna(), None)


class Trend(NamedTuple):
    """The change from the first to the last month with a class (2011 method, by status)."""

    first_month: str
    first_class: str
    last_month: str
    last_class: str
    levels: int  # status levels worse (> 0) or better (< 0)
    word: str  # better2, better1, same, worse1, worse2


def status_change(before: str, after: str) -> int:
    """Status levels (优 … 重度污染) from class `before` to `after`: > 0 worse, < 0 better."""
    return _STATUS_ORDER.index(wq.STATUS[after]) - _STATUS_ORDER.index(wq.STATUS[before])


def trend(classes: pd.DataFrame) -> Trend | None:
    """The trend over `classes` (month, class; months in order) by DOMAIN.md §1.3: the status
    level of the last month with a class against the first; one level 有所变化 (``better1`` /
    ``worse1``), two or more 明显变化 (``…2``), none ``same``. None with fewer than two."""
    known = classes[classes["class"].notna()]
    if len(known) < 2:
        return None
    first, last = known.iloc[0], known.iloc[-1]
    levels = status_change(str(first["class"]), str(last["class"]))
    word = (
        "same"
        if levels == 0
        else ("worse" if levels > 0 else "better") + ("2" if abs(levels) >= 2 else "1")
    )
    return Trend(
        str(first["month"]), str(first["class"]), str(last["month"]), str(last["class"]),
        levels, word,
    )  # fmt: skip
