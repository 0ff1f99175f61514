"""What an alert is (`Alert`, its stable id and JSON), and the times alerts are evaluated at.

Readings carry UTC hours; days are Beijing days (UTC+8), as the bureau counts them. A date
given as the moment (``--as-of 2023-06-30``) means the end of that Beijing day (today: now).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geomon import frames, times
from geomon.analysis import compliance
from geomon.errors import AlertError
from geomon.messages import message
from geomon.monitoring import BEIJING
from geomon.rules import water_quality as wq

JSON_KEYS: tuple[str, ...] = (
    *("kind", "severity", "layer", "id", "name", "parameter", "value", "limit", "since"),
    *("message", "rule"),
)
"""The keys of each alert in ``geomon alerts --json`` (an interface: keep them exactly)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One early warning about one feature (a section or an outlet)."""

    kind: str
    severity: str
    layer: str  # "sections" or "outlets"
    feature_id: str  # the section or outlet code
    name: str | None
    parameter: str | None  # GB 3838 item key (exceedances), else None
    value: Any  # the value that raised the alert (a mean, hours, days, a class)
    limit: Any  # what it was compared with (a class limit, N hours, a deadline, a class)
    since: str  # ISO date, or UTC ISO time ("2023-06-30T06:00Z") for readings
    message: str
    rule: str  # the rule and the standard it rests on
    district_code: str | None = None  # the feature's district (acknowledgements are scoped by it)
    detail: str = ""  # what else tells two alerts apart (station, step), part of the id

    @property
    def id(self) -> str:
        """Stable id: ``kind/layer/feature/detail/since`` (same situation, same id)."""
        detail = "/".join(p for p in (self.parameter or "", self.detail) if p) or "-"
        return f"{self.kind}/{self.layer}/{self.feature_id}/{detail}/{self.since}"

    def to_json(self) -> dict[str, Any]:
        """The alert as ``geomon alerts --json`` prints it (`JSON_KEYS`): ``layer``, ``id`` and
        ``name`` are the feature's (as in ``geomon problems``), so the dict names what to act on
        (`geomon.supervision.problems.problem_from_alert` takes it as is)."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "layer": self.layer,
            "id": self.feature_id,
            "name": self.name,
            "parameter": self.parameter,
            "value": _plain(self.value),
            "limit": _plain(self.limit),
            "since": self.since,
            "message": self.message,
            "rule": self.rule,
        }


SOURCES: tuple[str, ...] = ("station_hour", "station_day", "station", "lab_month", "ledger")
"""Where an alert's value comes from (`data_source`): an automatic station's hourly values, its
daily means, the station itself (no valid data), the lab's monthly means, the outlet ledger."""


def data_source(alert: Alert) -> str:
    """Where `alert`'s value comes from (one of `SOURCES`), from its kind and detail: a station's
    hourly or daily exceedance (detail ``station/hour|day``), a run of daily means, a station's
    data gap, a monthly lab mean or a trend of monthly classes, an outlet's deadline."""
    if alert.kind == "exceedance":
        if alert.detail == "monthly":
            return "lab_month"
        return "station_day" if alert.detail.endswith("/day") else "station_hour"
    if alert.kind == "persistent_exceedance":
        return "station_day"
    if alert.kind == "data_gap":
        return "station"
    if alert.kind == "trend_worsening":
        return "lab_month"
    return "ledger"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def as_of_instant(as_of: Any = None) -> pd.Timestamp:
    """The moment alerts are evaluated at, in UTC.

    None: now. A date (or ``"2023-06-30"``): the end of that Beijing day (today: now). A time
    without a zone is Beijing time.
    """
    if as_of is None:
        return pd.Timestamp.now(tz="UTC")
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        as_of = as_of.isoformat()
    try:
        if isinstance(as_of, str) and len(as_of.strip()) == 10:
            day = pd.Timestamp(dt.date.fromisoformat(as_of.strip()))
            end = (day + pd.Timedelta(days=1)).tz_localize(BEIJING).tz_convert("UTC")
            return min(end, pd.Timestamp.now(tz="UTC"))  # today: now, not the day's end
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        msg = message(
            f"无法识别的日期或时间：{as_of!r}（例如 2023-06-30）",
            f"not a date or time: {as_of!r} (e.g. 2023-06-30)",
        )
        raise AlertError(msg) from exc
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(BEIJING)
    return stamp.tz_convert("UTC")


def beijing_day(instant: pd.Timestamp) -> dt.date:
    """The Beijing day an evaluation moment closes (the end of day D belongs to D)."""
    return (instant - pd.Timedelta(microseconds=1)).tz_convert(BEIJING).date()


def section_info(sections: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per section code: name, target class (parsed), water body, district code. Built from
    the columns (a national layer's 2,000+ rows boxed as records took ~35 ms per call)."""
    targets, bodies = compliance.section_settings(sections)
    n = len(sections)
    codes = sections["code"].astype(str).tolist()
    names = sections["name"].tolist() if "name" in sections.columns else [None] * n
    districts = (
        sections["district_code"].tolist() if "district_code" in sections.columns else [None] * n
    )
    parsed = {t: wq.parse_class(t) for t in set(targets.values()) if t}
    return {
        code: {
            "name": frames.text(name),
            "target": parsed[targets[code]] if targets.get(code) else None,
            "water_body": bodies.get(code, "river"),
            "district_code": frames.text(district),
        }
        for code, name, district in zip(codes, names, districts, strict=True)
    }


def item_name(parameter: str) -> str:
    """The Chinese name of a GB 3838 item (氨氮 for NH3N), else the key itself."""
    return wq.ITEMS[parameter].name if parameter in wq.ITEMS else parameter


def value_text(parameter: str | None, value: float, limit: float | None = None) -> str:
    """A value in an alert's text: to its reporting decimals (`wq.display_value`), with more
    digits (up to 3) where that rounding would make an exceedance read as the limit itself
    (TP 0.2004 against 0.2 shows ``0.2004``, not ``0.200``)."""
    text = wq.display_value(parameter, value)
    if limit is None or float(value) == float(limit):
        return text
    for extra in range(1, 4):
        if float(text) != float(limit):
            break
        decimals = len(text.partition(".")[2]) + extra
        text = f"{float(value):.{decimals}f}"
    return text


def utc_text(stamp: pd.Timestamp) -> str:
    """A time as the ids and JSON write it: UTC to the minute (``2023-06-30T06:00Z``)."""
    return stamp.tz_convert("UTC").strftime("%Y-%m-%dT%H:%MZ")


def beijing_text(stamp: pd.Timestamp) -> str:
    """A time as people read it: Beijing time to the minute (``2023-06-30 14:00``)."""
    return times.beijing(stamp)
