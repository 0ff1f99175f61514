"""Early warnings (预警): alert rules as data, their evaluation, acknowledgements.

The rules live in ``geomon/rules/alerts.toml`` (`load_rules`): thresholds, severities, the
HJ 212 flags that count as valid data, and the standard each rule rests on. `evaluate` is a pure
function of frames (sections, outlets, lab monitoring results, automatic-station readings) and a
moment; it decides nothing itself that another module already decides:

- a section's class and target over a month: `geomon.analysis.sections.section_results`
  (GB 3838-2002 表1, 2011 method, means rounded per 82号), the same as ``geomon stats``;
- one value's class: `geomon.rules.water_quality.item_class`; daily means of hourly values:
  `geomon.rules.water_quality.period_means` (pH through [H+]);
- overdue outlets: `geomon.analysis.compliance.overdue` (deadline strictly before the day, not
  rectified), the same as ``geomon stats``; rectified: `geomon.rules.outlets.is_rectified`.

Kinds: ``exceedance``, ``persistent_exceedance``, ``data_gap``, ``trend_worsening``,
``deadline_near``, ``overdue`` (`KINDS`); severities ``high``, ``medium``, ``low``
(`SEVERITIES`). An alert's `Alert.id` is built from its kind, layer, feature id, detail
(parameter, station) and ``since``, so the same situation has the same id on every run and an
acknowledgement sticks until the situation ends and a new one starts.

Times: readings carry UTC hours; days are Beijing days (UTC+8), as the bureau counts them. A date
given as the moment (``--as-of 2023-06-30``) means the end of that Beijing day.

Acknowledgements (确认) are rows of the ``alert_acks`` layer (``layers/alert_acks.toml``), keyed
by alert id: written through the store like any layer, so they are all-or-nothing, versioned, in
the history (who, when, source) on both backends and scoped to the editor's areas through the
feature's ``district_code``. `acknowledge` appends one; `open_alerts` drops acknowledged ones.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geomon import frames
from geomon.analysis import compliance
from geomon.errors import AlertError
from geomon.messages import message
from geomon.rules import outlets as ro
from geomon.rules import water_quality as wq

KINDS: tuple[str, ...] = (
    "exceedance",
    "persistent_exceedance",
    "data_gap",
    "trend_worsening",
    "deadline_near",
    "overdue",
)
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
"""``high``: act now; ``medium``: look into it this week; ``low``: for information."""
BEIJING = "Asia/Shanghai"
ACK_LAYER = "alert_acks"
READINGS_COLUMNS: tuple[str, ...] = (
    *("section_code", "station_mn", "parameter", "time", "step", "value", "flag"),
)
"""The readings frame: one row per station, parameter and hour or day (``step``), UTC start."""
JSON_KEYS: tuple[str, ...] = (
    *("kind", "severity", "layer", "id", "name", "parameter", "value", "limit", "since"),
    *("message", "rule"),
)
"""The keys of each alert in ``geomon alerts --json`` (an interface: keep them exactly)."""
_SEP = "\x1f"  # joins group keys (never in a code)
_STEP = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1)}


# ------------------------------------------------------------------------------ rules


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule of alerts.toml: its kind, severity, thresholds and the standard it cites."""

    kind: str
    severity: str
    standard: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """How an alert cites the rule: ``"overdue：国办函〔2022〕17号；…"``."""
        return f"{self.kind}：{self.standard}"


@dataclass(frozen=True, slots=True)
class AlertRules:
    """Every rule of alerts.toml, and the HJ 212 flags that count as valid data."""

    rules: Mapping[str, Rule]
    valid_flags: frozenset[str]
    source: str

    def __getitem__(self, kind: str) -> Rule:
        return self.rules[kind]

    def number(self, kind: str, name: str) -> float:
        """A threshold of rule `kind` (a non-negative number, checked at load)."""
        return float(self.rules[kind].params[name])


_NUMBERS = {
    "exceedance": ("lookback_hours",),
    "persistent_exceedance": ("days",),
    "data_gap": ("hours", "lookback_days"),
    "trend_worsening": ("min_levels",),
    "deadline_near": ("days",),
    "overdue": (),
}
_COMPARE = ("previous_month", "previous_year")


def _check_rule(kind: str, raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        msg = f"{where}: [{kind}] is missing"
        raise AlertError(msg)
    for key in ("severity", "standard"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            msg = f"{where}: {kind}.{key} must be a non-empty text"
            raise AlertError(msg)
    for key in [k for k in raw if k.startswith("severity")]:
        if raw[key] not in SEVERITIES:
            msg = f"{where}: {kind}.{key} = {raw[key]!r}; use one of {', '.join(SEVERITIES)}"
            raise AlertError(msg)
    for key in _NUMBERS[kind]:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            msg = f"{where}: {kind}.{key} must be a number ≥ 0, got {value!r}"
            raise AlertError(msg)
    if kind == "trend_worsening" and raw.get("compare", "previous_month") not in _COMPARE:
        msg = f"{where}: trend_worsening.compare must be one of {', '.join(_COMPARE)}"
        raise AlertError(msg)
    params = {k: v for k, v in raw.items() if k not in ("severity", "standard")}
    return Rule(kind, raw["severity"], raw["standard"].strip(), params)


def load_rules(path: str | Path | None = None) -> AlertRules:
    """Read the alert rules (default: ``geomon/rules/alerts.toml``); `AlertError` names the key."""
    if path is None:
        text = resources.files("geomon.rules").joinpath("alerts.toml").read_text(encoding="utf-8")
        where = "geomon/rules/alerts.toml"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            msg = f"{where}: cannot read the alert rules: {exc}"
            raise AlertError(msg) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{where}: {exc}"
        raise AlertError(msg) from exc
    flags = raw.get("valid_flags", ["N"])
    if not isinstance(flags, list) or not all(isinstance(f, str) and f for f in flags):
        msg = f'{where}: valid_flags must be a list of HJ 212 flags, e.g. ["N"]'
        raise AlertError(msg)
    rules = {kind: _check_rule(kind, raw.get(kind), where) for kind in KINDS}
    return AlertRules(rules, frozenset(flags), where)


# ------------------------------------------------------------------------------ alerts


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
        """The alert as ``geomon alerts --json`` prints it (`JSON_KEYS`)."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "layer": self.layer,
            "id": self.id,
            "name": self.name,
            "parameter": self.parameter,
            "value": _plain(self.value),
            "limit": _plain(self.limit),
            "since": self.since,
            "message": self.message,
            "rule": self.rule,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


# ------------------------------------------------------------------------------ time


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


def _utc_text(stamp: pd.Timestamp) -> str:
    return stamp.tz_convert("UTC").strftime("%Y-%m-%dT%H:%MZ")


def _beijing_text(stamp: pd.Timestamp) -> str:
    return stamp.tz_convert(BEIJING).strftime("%Y-%m-%d %H:%M")


# ------------------------------------------------------------------------------ sections


def _section_info(sections: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per section code: name, target class (parsed), water body, district code."""
    targets, bodies = compliance.section_settings(sections)
    out: dict[str, dict[str, Any]] = {}
    for rec in sections.to_dict("records"):
        code = str(rec["code"])
        target = targets.get(code)
        out[code] = {
            "name": frames.text(rec.get("name")),
            "target": wq.parse_class(target) if target else None,
            "water_body": bodies.get(code, "river"),
            "district_code": frames.text(rec.get("district_code")),
        }
    return out


def target_limit(parameter: str, target: str, water_body: str, value: float) -> float:
    """The limit of `target` class for `parameter` that `value` is compared with (GB 3838 表1).

    ≤ items: the class's upper limit (lake TP for lakes); DO: the lower limit; pH: the bound of
    6–9 that the value lies beyond.
    """
    item = wq.ITEMS[parameter]
    rank = wq.class_rank(target)
    if item.direction == "ge" and item.low is not None:
        return item.low[rank]
    if item.direction == "range" and item.low is not None and item.high is not None:
        return item.low[rank] if value < item.low[rank] else item.high[rank]
    limit = item.limit(rank, water_body)
    if limit is None:
        msg = f"GB 3838 item {parameter!r} has no class limits"
        raise AlertError(msg)
    return limit


def worse_than_target(parameter: str, value: float, target: str, water_body: str) -> bool:
    """Whether `value` of an assessed item is worse than class `target` (limits inclusive)."""
    if parameter not in wq.ITEMS or not wq.ITEMS[parameter].assessed or pd.isna(value):
        return False
    klass = wq.item_class(parameter, float(value), water_body=water_body)  # type: ignore[arg-type]
    return klass is not None and wq.class_rank(klass) > wq.class_rank(target)


def _item_name(parameter: str) -> str:
    return wq.ITEMS[parameter].name if parameter in wq.ITEMS else parameter


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def lab_exceedance_alerts(
    sections: pd.DataFrame, monitoring: pd.DataFrame, rules: AlertRules, day: dt.date
) -> list[Alert]:
    """Sections whose monthly mean of an assessed item (lab results, month of `day` up to
    `day`) is worse than their target class: one ``exceedance`` alert per such item.

    The class, target and means are `section_results`' (rounded per 82号), so every section
    that fails its target in that month has at least one alert.
    """
    if monitoring is None or not len(monitoring) or not len(sections):
        return []
    start = _month_start(day)
    results = compliance.section_results(sections, monitoring, period=(start, day))
    info = _section_info(sections)
    rule = rules["exceedance"]
    out = []
    for rec in results.to_dict("records"):
        target, klass = rec.get("target"), rec.get("class")
        if not target or not klass or rec.get("meets_target") is not False:
            continue
        code = str(rec["section_code"])
        body = rec.get("water_body") or "river"
        for key, p in (rec.get("params") or {}).items():
            if p.role != "assessed" or p.klass is None:
                continue
            if wq.class_rank(p.klass) <= wq.class_rank(target):
                continue
            limit = target_limit(key, target, body, p.value)
            severity = rule.params["severity_worst"] if p.klass == "劣V" else rule.severity
            label = wq.CLASS_LABELS[target]
            out.append(
                Alert(
                    "exceedance", severity, "sections", code, rec.get("name"), key,
                    float(p.value), float(limit), start.isoformat(),
                    message(
                        f"{start:%Y年%m月}{_item_name(key)}均值 {p.value:g}，"
                        f"劣于水质目标{label.zh}（限值 {limit:g}）",
                        f"{start:%Y-%m} mean {key} {p.value:g} is worse than the target "
                        f"{label.en} (limit {limit:g})",
                    ),
                    rule.text(), info.get(code, {}).get("district_code"), "monthly",
                )
            )  # fmt: skip
    return out


# ------------------------------------------------------------------------------ readings


def empty_readings() -> pd.DataFrame:
    """A readings frame with no rows and the agreed columns and dtypes."""
    return pd.DataFrame(
        {
            "section_code": pd.Series(dtype="str"),
            "station_mn": pd.Series(dtype="str"),
            "parameter": pd.Series(dtype="str"),
            "time": pd.Series(dtype="datetime64[ns, UTC]"),
            "step": pd.Series(dtype="str"),
            "value": pd.Series(dtype="float64"),
            "flag": pd.Series(dtype="str"),
        }
    )


def _readings_before(readings: pd.DataFrame | None, instant: pd.Timestamp) -> pd.DataFrame:
    """Readings that had started before `instant`, as object text columns, sorted by time."""
    if readings is None or not len(readings):
        return empty_readings()
    missing = [c for c in READINGS_COLUMNS if c not in readings.columns]
    if missing:
        msg = f"the readings frame has no column(s) {missing}; expected {list(READINGS_COLUMNS)}"
        raise AlertError(msg)
    data = readings[list(READINGS_COLUMNS)].copy()
    data["time"] = pd.to_datetime(data["time"], utc=True)
    for col in ("section_code", "station_mn", "parameter", "step", "flag"):
        data[col] = data[col].astype(object).map(lambda v: "" if pd.isna(v) else str(v).strip())
    data = data[(data["time"] < instant).to_numpy(dtype=bool)]
    return data.sort_values("time", kind="stable").reset_index(drop=True)


def _valid(data: pd.DataFrame, rules: AlertRules) -> pd.DataFrame:
    return data[data["flag"].isin(rules.valid_flags) & data["value"].notna()]


def _worse(data: pd.DataFrame, info: Mapping[str, Mapping[str, Any]]) -> np.ndarray:
    """Per row of valid readings: worse than the section's target (False without a target)."""
    flags = []
    for code, key, value in zip(
        data["section_code"], data["parameter"], data["value"], strict=True
    ):
        section = info.get(code)
        target = section.get("target") if section else None
        flags.append(bool(target) and worse_than_target(key, value, target, section["water_body"]))
    return np.array(flags, dtype=bool)


def _streak_start(worse: Sequence[bool]) -> int | None:
    """Index where the trailing run of `worse` values starts (None if the last is not worse)."""
    if not len(worse) or not worse[-1]:
        return None
    i = len(worse) - 1
    while i > 0 and worse[i - 1]:
        i -= 1
    return i


def _day_run_start(days: Sequence[dt.date], worse: Sequence[bool]) -> int | None:
    """Start of the trailing run of worse values on consecutive days (a missing day breaks it)."""
    if not len(days) or not worse[-1]:
        return None
    i = len(days) - 1
    while i > 0 and worse[i - 1] and (days[i] - days[i - 1]).days == 1:
        i -= 1
    return i


def reading_exceedance_alerts(
    sections: pd.DataFrame, readings: pd.DataFrame | None, rules: AlertRules, instant: pd.Timestamp
) -> list[Alert]:
    """Automatic stations whose latest valid reading (hourly value or daily mean, within
    ``lookback_hours``) is worse than the section's target class: one ``exceedance`` per station,
    item and step; ``since`` is the first of the unbroken run of such readings."""
    data = _valid(_readings_before(readings, instant), rules)
    if not len(data):
        return []
    info = _section_info(sections)
    rule = rules["exceedance"]
    window = pd.Timedelta(hours=rules.number("exceedance", "lookback_hours"))
    data = data.assign(_worse=_worse(data, info))
    out = []
    for (code, station, key, step), group in data.groupby(
        ["section_code", "station_mn", "parameter", "step"], sort=True
    ):
        times = group["time"].tolist()
        first = _streak_start(group["_worse"].tolist())
        if first is None or step not in _STEP or times[-1] + _STEP[step] < instant - window:
            continue
        section = info[code]
        value = float(group["value"].iloc[-1])
        limit = target_limit(key, section["target"], section["water_body"], value)
        klass = wq.item_class(key, value, water_body=section["water_body"])
        label = wq.CLASS_LABELS[section["target"]]
        what = ("小时值", "hourly value") if step == "hour" else ("日均值", "daily mean")
        out.append(
            Alert(
                "exceedance",
                rule.params["severity_worst"] if klass == "劣V" else rule.severity,
                "sections", code, section["name"], key, value, float(limit),
                _utc_text(times[first]),
                message(
                    f"自动站 {station} {_item_name(key)}{what[0]} {value:g}"
                    f"（{_beijing_text(times[-1])}），劣于水质目标{label.zh}（限值 {limit:g}）",
                    f"station {station} {key} {what[1]} {value:g} at {_beijing_text(times[-1])} "
                    f"(Beijing) is worse than the target {label.en} (limit {limit:g})",
                ),
                rule.text(), section["district_code"], f"{station}/{step}",
            )
        )  # fmt: skip
    return out


def daily_values(readings: pd.DataFrame, rules: AlertRules) -> pd.DataFrame:
    """Valid daily values per section, station, item and Beijing day.

    A station's daily values (step ``day``) where it sends them, else the mean of its valid
    hourly values that day (`geomon.rules.water_quality.period_means`, not rounded; pH through
    [H+]). Columns: section_code, station_mn, parameter, day (a date), value.
    """
    columns = ["section_code", "station_mn", "parameter", "day", "value"]
    data = _valid(readings, rules)
    if not len(data):
        return pd.DataFrame(columns=columns)
    data = data.assign(day=data["time"].dt.tz_convert(BEIJING).dt.date)
    days = data[data["step"] == "day"][columns]
    hours = data[data["step"] == "hour"]
    sent = set(zip(days["section_code"], days["station_mn"], days["parameter"], strict=True))
    keep = [
        (c, s, p) not in sent
        for c, s, p in zip(
            hours["section_code"], hours["station_mn"], hours["parameter"], strict=True
        )
    ]
    hours = hours[np.array(keep, dtype=bool)]
    parts = [days]
    for key, part in hours.groupby("parameter", sort=True):
        if key not in wq.ITEMS:  # no GB 3838 item (conductivity, turbidity): no class anyway
            continue
        group = part["section_code"] + _SEP + part["station_mn"] + _SEP + part["day"].map(str)
        wide = pd.DataFrame(
            {"section_code": group.to_numpy(), key: part["value"].to_numpy(dtype=float)}
        )
        mean = wq.period_means(wide, rounded=False)[key]
        split = [g.split(_SEP) for g in mean.index]
        parts.append(
            pd.DataFrame(
                {
                    "section_code": [s[0] for s in split],
                    "station_mn": [s[1] for s in split],
                    "parameter": key,
                    "day": [dt.date.fromisoformat(s[2]) for s in split],
                    "value": mean.to_numpy(dtype=float),
                }
            )
        )
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(columns[:4], kind="stable").reset_index(drop=True)


def persistent_exceedance_alerts(
    sections: pd.DataFrame, readings: pd.DataFrame | None, rules: AlertRules, instant: pd.Timestamp
) -> list[Alert]:
    """Stations whose daily value of an item was worse than the target class on at least N
    consecutive Beijing days (``persistent_exceedance.days``), the last of them the evaluation
    day or the day before (today's mean may be incomplete); ``since`` is the run's first day."""
    days_needed = int(rules.number("persistent_exceedance", "days"))
    daily = daily_values(_readings_before(readings, instant), rules)
    if not len(daily) or days_needed < 1:
        return []
    info = _section_info(sections)
    rule = rules["persistent_exceedance"]
    today = beijing_day(instant)
    daily = daily.assign(_worse=_worse(daily, info))
    out = []
    for (code, station, key), group in daily.groupby(
        ["section_code", "station_mn", "parameter"], sort=True
    ):
        days, worse = group["day"].tolist(), group["_worse"].tolist()
        first = _day_run_start(days, worse)
        if first is None or (today - days[-1]).days > 1:
            continue
        run = days[first:]
        if len(run) < days_needed:
            continue
        section = info[code]
        value = float(group["value"].iloc[-1])
        limit = target_limit(key, section["target"], section["water_body"], value)
        label = wq.CLASS_LABELS[section["target"]]
        out.append(
            Alert(
                "persistent_exceedance", rule.severity, "sections", code, section["name"], key,
                len(run), float(limit), run[0].isoformat(),
                message(
                    f"自动站 {station} {_item_name(key)}日均值连续 {len(run)} 天劣于水质目标"
                    f"{label.zh}（限值 {limit:g}，最近 {value:g}）",
                    f"station {station} {key} daily mean worse than the target {label.en} "
                    f"for {len(run)} consecutive days (limit {limit:g}, latest {value:g})",
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
    starts at the end of its last valid hour (else at its first reading in the window)."""
    data = _readings_before(readings, instant)
    data = data[data["step"] == "hour"]
    window = instant - pd.Timedelta(days=rules.number("data_gap", "lookback_days"))
    data = data[(data["time"] >= window).to_numpy(dtype=bool)]
    if not len(data):
        return []
    hours_needed = rules.number("data_gap", "hours")
    info = _section_info(sections)
    rule = rules["data_gap"]
    valid = data["flag"].isin(rules.valid_flags) & data["value"].notna()
    out = []
    for (code, station), group in data.groupby(["section_code", "station_mn"], sort=True):
        good = group[valid.loc[group.index].to_numpy(dtype=bool)]
        start = good["time"].max() + _STEP["hour"] if len(good) else group["time"].min()
        gap = (instant - start) / pd.Timedelta(hours=1)
        if gap < hours_needed:
            continue
        section = info.get(code, {})
        out.append(
            Alert(
                "data_gap", rule.severity, "sections", code, section.get("name"), None,
                int(gap), hours_needed, _utc_text(start),
                message(
                    f"自动站 {station} 自 {_beijing_text(start)} 起 {int(gap)} 小时无有效数据",
                    f"station {station}: no valid data for {int(gap)} hours since "
                    f"{_beijing_text(start)} (Beijing)",
                ),
                rule.text(), section.get("district_code"), station,
            )
        )  # fmt: skip
    return out


_STATUS_ORDER: tuple[str, ...] = tuple(dict.fromkeys(wq.STATUS[c] for c in wq.CLASSES))
"""Status levels of the 2011 method, best first: 优, 良好, 轻度污染, 中度污染, 重度污染."""


def _comparison_period(day: dt.date, compare: str) -> tuple[dt.date, dt.date]:
    """The month `day`'s month is compared with: the one before, or the same a year before."""
    month = pd.Period(day, "M")
    other = month - 1 if compare == "previous_month" else month - 12
    return other.start_time.date(), other.end_time.date()


def trend_alerts(
    sections: pd.DataFrame, monitoring: pd.DataFrame, rules: AlertRules, day: dt.date
) -> list[Alert]:
    """Sections whose status level this month (up to `day`) is at least ``min_levels`` worse
    than in the comparison month (lab results, `section_results`; 2011 method: one level is
    有所变化, two or more 明显变化)."""
    if monitoring is None or not len(monitoring) or not len(sections):
        return []
    rule = rules["trend_worsening"]
    compare = rule.params.get("compare", "previous_month")
    start = _month_start(day)
    now = compliance.section_results(sections, monitoring, period=(start, day))
    before = compliance.section_results(
        sections, monitoring, period=_comparison_period(day, compare)
    )
    earlier = dict(zip(before["section_code"], before["class"], strict=True))
    info = _section_info(sections)
    levels_needed = max(1, int(rules.number("trend_worsening", "min_levels")))
    out = []
    for code, klass, name in zip(now["section_code"], now["class"], now["name"], strict=True):
        old = earlier.get(code)
        if not klass or not old:
            continue
        levels = _STATUS_ORDER.index(wq.STATUS[klass]) - _STATUS_ORDER.index(wq.STATUS[old])
        if levels < levels_needed:
            continue
        marked = levels >= 2  # 2011 method: two levels or more is 明显变化
        when = (
            ("上月", "the month before")
            if compare == "previous_month"
            else ("上年同期", "a year before")
        )
        new_l, old_l = wq.CLASS_LABELS[klass], wq.CLASS_LABELS[old]
        out.append(
            Alert(
                "trend_worsening", rule.params["severity_marked"] if marked else rule.severity,
                "sections", str(code), name, None, klass, old, start.isoformat(),
                message(
                    f"{start:%Y年%m月}水质{new_l.zh}（{wq.STATUS[klass]}），较{when[0]}"
                    f"{old_l.zh}（{wq.STATUS[old]}）{'明显' if marked else '有所'}变差",
                    f"{start:%Y-%m} {new_l.en} ({wq.STATUS[klass]}), "
                    f"{'markedly ' if marked else ''}worse than {old_l.en} {when[1]}",
                ),
                rule.text(), info.get(str(code), {}).get("district_code"), compare,
            )
        )  # fmt: skip
    return out


# ------------------------------------------------------------------------------ outlets


def outlet_alerts(outlets: pd.DataFrame, rules: AlertRules, day: dt.date) -> list[Alert]:
    """Outlets overdue on `day` (`compliance.overdue`, as ``geomon stats``) and outlets not
    rectified whose deadline is within ``deadline_near.days`` days (0 = due on `day`)."""
    if outlets is None or not len(outlets) or "deadline" not in outlets.columns:
        return []
    late = compliance.overdue(outlets, day).to_numpy(dtype=bool)
    done = ro.is_rectified(outlets["stage"]).to_numpy(dtype=bool)
    deadlines = pd.to_datetime(outlets["deadline"]).dt.date.tolist()
    near_days = int(rules.number("deadline_near", "days"))
    names = outlets.get("name", pd.Series([None] * len(outlets), index=outlets.index))
    districts = outlets.get("district_code", pd.Series([None] * len(outlets), index=outlets.index))
    out = []
    rows = zip(outlets["code"], names, districts, deadlines, late, done, strict=True)
    for code, name, district, deadline, is_late, is_done in rows:
        if deadline is None or pd.isna(deadline):
            continue
        left = (deadline - day).days
        if is_late:
            rule = rules["overdue"]
            since = deadline + dt.timedelta(days=1)
            out.append(
                Alert(
                    "overdue", rule.severity, "outlets", str(code), frames.text(name), None,
                    -left, deadline.isoformat(), since.isoformat(),
                    message(
                        f"整治时限 {deadline.isoformat()} 已过 {-left} 天，尚未完成整治",
                        f"rectification deadline {deadline.isoformat()} passed {-left} days "
                        "ago; not rectified",
                    ),
                    rule.text(), frames.text(district),
                )
            )  # fmt: skip
        elif not is_done and 0 <= left <= near_days:
            rule = rules["deadline_near"]
            since = deadline - dt.timedelta(days=near_days)
            out.append(
                Alert(
                    "deadline_near", rule.severity, "outlets", str(code), frames.text(name), None,
                    left, deadline.isoformat(), since.isoformat(),
                    message(
                        f"距整治时限 {deadline.isoformat()} 还有 {left} 天，尚未完成整治",
                        f"{left} days to the rectification deadline {deadline.isoformat()}; "
                        "not rectified",
                    ),
                    rule.text(), frames.text(district),
                )
            )  # fmt: skip
    return out


# ------------------------------------------------------------------------------ all of them


def _order(alert: Alert) -> tuple[Any, ...]:
    return (SEVERITIES.index(alert.severity), KINDS.index(alert.kind), alert.layer, alert.id)


def evaluate(
    *,
    sections: pd.DataFrame | None,
    outlets: pd.DataFrame | None,
    monitoring: pd.DataFrame | None,
    readings: pd.DataFrame | None,
    rules: AlertRules | None = None,
    as_of: Any = None,
) -> list[Alert]:
    """Every alert at `as_of` (see `as_of_instant`), most severe first, then by kind and id.

    `sections`, `outlets` and `monitoring` are the store's layers (None or empty: no alerts of
    that kind); `readings` is a readings frame (`READINGS_COLUMNS`) or None.
    """
    rules = rules or load_rules()
    instant = as_of_instant(as_of)
    day = beijing_day(instant)
    sections = sections if sections is not None else pd.DataFrame(columns=["code"])
    alerts: list[Alert] = []
    if len(sections):
        alerts += lab_exceedance_alerts(sections, monitoring, rules, day)
        alerts += reading_exceedance_alerts(sections, readings, rules, instant)
        alerts += persistent_exceedance_alerts(sections, readings, rules, instant)
        alerts += data_gap_alerts(sections, readings, rules, instant)
        alerts += trend_alerts(sections, monitoring, rules, day)
    alerts += outlet_alerts(outlets, rules, day) if outlets is not None else []
    return sorted(alerts, key=_order)


def readings_window(rules: AlertRules, instant: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The span of readings `evaluate` looks at for moment `instant` (UTC start, end)."""
    days = max(
        rules.number("data_gap", "lookback_days"),
        rules.number("persistent_exceedance", "days") + 2,
        rules.number("exceedance", "lookback_hours") / 24 + 1,
    )
    return instant - pd.Timedelta(days=days), instant


def alerts_json(alerts: Iterable[Alert], as_of: Any) -> dict[str, Any]:
    """``{"as_of", "alerts": [...]}``, what ``geomon alerts --json`` prints (`JSON_KEYS`)."""
    return {"as_of": _as_of_text(as_of), "alerts": [a.to_json() for a in alerts]}


def _as_of_text(as_of: Any) -> str:
    if as_of is None:
        return _utc_text(as_of_instant(None))
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        return as_of.isoformat()
    if isinstance(as_of, str) and len(as_of.strip()) == 10:
        return as_of.strip()
    return _utc_text(as_of_instant(as_of))


ALERT_COLUMNS: tuple[str, ...] = (*JSON_KEYS, "feature_id", "district_code")


def alerts_frame(alerts: Sequence[Alert]) -> pd.DataFrame:
    """The alerts as a table (`ALERT_COLUMNS`), for the app and exports."""
    rows = [{**a.to_json(), "feature_id": a.feature_id, "district_code": a.district_code}
            for a in alerts]  # fmt: skip
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS), dtype=object)


# ------------------------------------------------------------------------------ the store


def _readings_for(store: Any, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The automatic-station readings of `store` between `start` and `end` (UTC).

    No readings layer yet: an empty readings frame. Wired to ``store.read_readings`` when the
    readings branch is merged (the one place that reads them for the CLI and the app).
    """
    del store, start, end
    return empty_readings()


def _layer(store: Any, name: str) -> pd.DataFrame | None:
    frame = store.read(name) if name in store.layer_names() else None
    return None if frame is None or not len(frame) else frame


def store_alerts(store: Any, *, as_of: Any = None, rules: AlertRules | None = None) -> list[Alert]:
    """`evaluate` on the layers of `store` (read through it, so a scoped store's areas apply)."""
    rules = rules or load_rules()
    instant = as_of_instant(as_of)
    return evaluate(
        sections=_layer(store, "sections"),
        outlets=_layer(store, "outlets"),
        monitoring=_layer(store, "monitoring"),
        readings=_readings_for(store, *readings_window(rules, instant)),
        rules=rules,
        as_of=as_of,
    )


def read_acks(store: Any) -> pd.DataFrame:
    """The acknowledgements in `store` (the ``alert_acks`` layer; empty if none yet)."""
    frame = _layer(store, ACK_LAYER)
    if frame is None:
        return pd.DataFrame(columns=list(_ACK_FIELDS))
    return frame


def open_alerts(alerts: Iterable[Alert], acknowledged: Collection[str]) -> list[Alert]:
    """The alerts whose id is not among `acknowledged` (ids, e.g. ``read_acks(s)["alert_id"]``)."""
    done = set(acknowledged)
    return [a for a in alerts if a.id not in done]


_ACK_FIELDS = (
    *("alert_id", "kind", "layer", "feature_id", "parameter", "since", "district_code"),
    *("note", "acknowledged_by", "acknowledged_at"),
)


def ack_row(alert: Alert, note: str, user: str, at: dt.datetime | None = None) -> pd.DataFrame:
    """The one-row ``alert_acks`` frame acknowledging `alert` with `note` by `user`."""
    text = (note or "").strip()
    if not text:
        msg = message("确认预警需填写说明", "an acknowledgement needs a note")
        raise AlertError(msg)
    when = pd.Timestamp(at or dt.datetime.now(dt.UTC))
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    return pd.DataFrame(
        [
            {
                "alert_id": alert.id,
                "kind": alert.kind,
                "layer": alert.layer,
                "feature_id": alert.feature_id,
                "parameter": alert.parameter,
                "since": alert.since,
                "district_code": alert.district_code,
                "note": text,
                "acknowledged_by": user,
                "acknowledged_at": _utc_text(when),
            }
        ],
        columns=list(_ACK_FIELDS),
    )


def acknowledge(store: Any, alert: Alert, note: str, *, user: str, source: str = "app") -> Any:
    """Record that `user` acknowledged `alert` with `note`: one row appended to ``alert_acks``
    (all or nothing, in the history with `user` and `source`). An alert acknowledged already
    raises `AlertError` naming who did it; nothing is written then."""
    row = ack_row(alert, note, user)
    acks = read_acks(store)
    done = acks[acks["alert_id"].astype(object) == alert.id]
    if len(done):
        first = done.iloc[0]
        msg = message(
            f"该预警已由 {first['acknowledged_by']} 于 {first['acknowledged_at']} 确认",
            f"this alert was acknowledged by {first['acknowledged_by']} at "
            f"{first['acknowledged_at']}",
        )
        raise AlertError(msg)
    return store.write({ACK_LAYER: row}, mode="append", source=source, user=user)[ACK_LAYER]
