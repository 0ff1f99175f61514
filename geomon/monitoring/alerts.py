"""Early warnings (预警): alert rules as data, their evaluation, acknowledgements.

The rules live in ``geomon/rules/alerts.toml`` (`load_rules`): thresholds, severities, the
HJ 212 flags that count as valid data, and the standard each rule rests on. `evaluate` is a pure
function of frames (sections, outlets, lab monitoring results, automatic-station readings) and a
moment; it decides nothing itself that another module already decides:

- a section's class and target over a month: `geomon.analysis.sections.section_results`
  (GB 3838-2002 表1, 2011 method, means rounded per 82号), the same as ``geomon stats``;
- one value against its target class: GB 3838 表1 limits of `geomon.rules.water_quality`
  (`alert_rules.target_bounds`); daily means of hourly values:
  `geomon.rules.water_quality.period_means` (pH through [H+]);
- overdue outlets: `geomon.analysis.compliance.overdue` (deadline strictly before the day, not
  rectified), the same as ``geomon stats``; rectified: `geomon.rules.outlets.is_rectified`.

Kinds: ``exceedance``, ``persistent_exceedance``, ``data_gap``, ``trend_worsening``,
``deadline_near``, ``overdue`` (`KINDS`); severities ``high``, ``medium``, ``low``
(`SEVERITIES`). An alert's `Alert.id` is built from its kind, layer, feature id, detail
(parameter, station) and ``since``, so the same situation has the same id on every run and an
acknowledgement sticks until the situation ends and a new one starts.

Modules: `geomon.monitoring.alert_rules` (the TOML, target-class bounds),
`geomon.monitoring.alert_model` (`Alert`, times: a date means the end of that Beijing day),
`geomon.monitoring.station_alerts` (readings: exceedances, persistent exceedances, data gaps) and
this one (lab results, trends, outlets, `evaluate`, JSON, the store, acknowledgements); this
module re-exports what the others offer, so ``alerts.X`` is the one way in.

Acknowledgements (确认) are rows of the ``alert_acks`` layer (``layers/alert_acks.toml``), keyed
by alert id: written through the store like any layer, so they are all-or-nothing, versioned, in
the history (who, when, source) on both backends and scoped to the editor's areas through the
feature's ``district_code``. `acknowledge` appends one; `open_alerts` drops acknowledged ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from geomon import frames
from geomon.analysis import compliance
from geomon.errors import AlertError, StoreError
from geomon.messages import message
from geomon.monitoring.alert_candidates import Candidates, candidates
from geomon.monitoring.alert_model import (
    BEIJING,
    JSON_KEYS,
    SOURCES,
    Alert,
    as_of_instant,
    beijing_day,
    beijing_text,
    data_source,
    item_name,
    section_info,
    utc_text,
    value_text,
)
from geomon.monitoring.alert_rules import (
    KINDS,
    SEVERITIES,
    AlertRules,
    Rule,
    load_rules,
    target_bounds,
    target_limit,
    worse_than_target,
)
from geomon.monitoring.station_alerts import (
    READINGS_COLUMNS,
    daily_values,
    data_gap_alerts,
    empty_readings,
    persistent_exceedance_alerts,
    reading_exceedance_alerts,
)
from geomon.rules import outlets as ro
from geomon.rules import water_quality as wq

__all__ = [
    "ACK_LAYER",
    "ALERT_COLUMNS",
    "BEIJING",
    "JSON_KEYS",
    "KINDS",
    "READINGS_COLUMNS",
    "SEVERITIES",
    "SOURCES",
    "Alert",
    "AlertRules",
    "Rule",
    "ack_row",
    "acknowledge",
    "alerts_frame",
    "alerts_json",
    "as_of_instant",
    "beijing_day",
    "beijing_text",
    "daily_values",
    "data_gap_alerts",
    "data_source",
    "empty_readings",
    "evaluate",
    "lab_exceedance_alerts",
    "load_rules",
    "open_alerts",
    "outlet_alerts",
    "persistent_exceedance_alerts",
    "read_acks",
    "reading_exceedance_alerts",
    "readings_window",
    "store_alerts",
    "target_bounds",
    "target_limit",
    "trend_alerts",
    "value_text",
    "worse_than_target",
]

ACK_LAYER = "alert_acks"


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


# ------------------------------------------------------------------------------ lab results


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
    info = section_info(sections)
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
                        f"{start:%Y年%m月}{item_name(key)}均值 {value_text(key, p.value, limit)}，"
                        f"劣于水质目标{label.zh}（限值 {limit:g}）",
                        f"{start:%Y-%m} mean {key} {value_text(key, p.value, limit)} is worse "
                        "than the target "
                        f"{label.en} (limit {limit:g})",
                    ),
                    rule.text(), info.get(code, {}).get("district_code"), "monthly",
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
    info = section_info(sections)
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
                    f"{start:%Y-%m} {new_l.en} ({wq.STATUS_EN[wq.STATUS[klass]]}), "
                    f"{'markedly ' if marked else ''}worse than {old_l.en} "
                    f"({wq.STATUS_EN[wq.STATUS[old]]}) {when[1]}",
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
        return utc_text(as_of_instant(None))
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        return as_of.isoformat()
    if isinstance(as_of, str) and len(as_of.strip()) == 10:
        return as_of.strip()
    return utc_text(as_of_instant(as_of))


ALERT_COLUMNS: tuple[str, ...] = (*JSON_KEYS, "feature_id", "district_code", "source")


def alerts_frame(alerts: Sequence[Alert]) -> pd.DataFrame:
    """The alerts as a table (`ALERT_COLUMNS`), for the app and exports: ``id`` is the alert's
    own (stable, what an acknowledgement names), ``feature_id`` the feature's, ``source`` where
    the value comes from (`data_source`: station hour / day, lab month, ledger)."""
    rows = [{**a.to_json(), "id": a.id, "feature_id": a.feature_id,
             "district_code": a.district_code, "source": data_source(a)}
            for a in alerts]  # fmt: skip
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS), dtype=object)


# ------------------------------------------------------------------------------ the store


def _readings_for(
    store: Any, start: pd.Timestamp, end: pd.Timestamp, *, sections: Sequence[str] | None = None
) -> pd.DataFrame:
    """The automatic-station readings of `store` between `start` and `end` (UTC), of the
    `sections` given (all when None): the one place that reads them for the CLI and the app."""
    return store.read_readings(sections=sections, start=start, end=end)


def _candidate_readings(
    store: Any,
    daily: pd.DataFrame,
    maybe: Candidates | Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """The readings between `start` and `end` of what `maybe` names: every parameter of the
    sections of a possible gap (or of `maybe` when it is a list of sections), only the named
    parameters of the others. One read per group and step, naming the parameters the rollup
    rows `daily` (every day of the span) hold, so an index on (section, parameter, step, time)
    is read over the span alone, not over every reading of each section (PostgreSQL has no
    skip scan)."""
    if isinstance(maybe, Candidates):
        whole = sorted({code for code, _ in maybe.stations})
        some: dict[str, set[str]] = {}
        for code, key in maybe.series:
            if code not in whole:
                some.setdefault(code, set()).add(key)
        groups = [(whole, None)] + [
            (sorted(c for c, ks in some.items() if ks == keys), keys)
            for keys in {frozenset(ks) for ks in some.values()}
        ]
    else:
        groups = [(list(maybe), None)]
    parts = []
    codes_of = daily["section_code"].astype(str)
    for codes, keys in groups:
        if not codes:
            continue
        mine = daily[codes_of.isin(codes).to_numpy(dtype=bool)]
        if keys is not None:
            mine = mine[mine["parameter"].isin(keys).to_numpy(dtype=bool)]
        for step, part in mine.groupby("step", sort=True):
            parts.append(
                store.read_readings(
                    sections=codes, parameters=sorted(set(part["parameter"])), start=start,
                    end=end, step=step,
                )
            )  # fmt: skip
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_readings()


def _named(alert: Alert, keys: Candidates) -> bool:
    """Whether a station alert is of a series or a station (gap) that `keys` names."""
    if alert.kind == "data_gap":
        return (alert.feature_id, alert.detail) in keys.stations
    return (alert.feature_id, alert.parameter) in keys.series


ReadReadings = Callable[..., pd.DataFrame]
"""``read(store, start, end, *, sections=None) -> readings frame`` (`_readings_for`)."""


def _layer(store: Any, name: str) -> pd.DataFrame | None:
    frame = store.read(name) if name in store.layer_names() else None
    return None if frame is None or not len(frame) else frame


def _from_readings(alert: Alert) -> bool:
    """Whether `alert` was raised from station readings (not from lab results or the ledger)."""
    kinds = ("persistent_exceedance", "data_gap")
    return alert.kind in kinds or (alert.kind == "exceedance" and alert.detail != "monthly")


def _since(alert: Alert) -> pd.Timestamp:
    """An alert's ``since`` as a UTC time (a date is the start of that Beijing day)."""
    stamp = pd.Timestamp(alert.since)
    return stamp.tz_localize(BEIJING).tz_convert("UTC") if stamp.tzinfo is None else stamp


def store_alerts(
    store: Any,
    *,
    as_of: Any = None,
    rules: AlertRules | None = None,
    read_readings: ReadReadings | None = None,
    layers: Mapping[str, pd.DataFrame | None] | None = None,
) -> list[Alert]:
    """`evaluate` on the layers of `store` (read through it, so a scoped store's areas apply).

    `layers` gives the ``sections``, ``outlets`` and ``monitoring`` frames instead (an app
    holds them already; one left out is not evaluated: no outlets, no outlet alerts).

    Readings are read for `readings_window`, of the sections the store's daily rollup names
    as possibly alerting (`geomon.monitoring.alert_candidates`; every section's when
    `read_readings` is given or the store has no rollup: the same alerts, more read); a station
    alert whose run or gap reaches back to (within a day of) the start of what was read may
    have begun earlier, so its section's readings are read again over twice the span, up to
    ``max_history_days``, until its start is found: ``since``, and so the id, stays the same
    from day to day. `read_readings` reads them (default `_readings_for`).
    """
    read = read_readings or _readings_for
    rules = rules or load_rules()
    instant = as_of_instant(as_of)
    if layers is None:
        layers = {n: _layer(store, n) for n in ("sections", "outlets", "monitoring")}
    sections = layers.get("sections")
    start, end = readings_window(rules, instant)
    daily = None  # the rollup rows of the window, when the store keeps one
    maybe = None  # what they name as possibly alerting
    if read_readings is None and hasattr(store, "read_readings_daily"):
        if sections is None or not len(sections):  # no sections: no station alerts
            readings = empty_readings()
        else:  # the daily rollup names the sections that may alert: read only theirs
            try:
                daily = store.read_readings_daily(beijing_day(start), beijing_day(end))
            except StoreError:  # no rollup and no right to build it (read-only): read all
                daily = None
            if daily is None:
                readings = read(store, start, end)
            else:
                maybe = candidates(daily, sections, rules, instant)
                readings = _candidate_readings(store, daily, maybe, start, end)
    else:
        readings = read(store, start, end)
    found = evaluate(
        sections=sections,
        outlets=layers.get("outlets"),
        monitoring=layers.get("monitoring"),
        readings=readings,
        rules=rules,
        as_of=instant,
    )
    if maybe is not None:  # a station read for some parameters only has no gap to tell
        found = [
            a for a in found
            if a.kind != "data_gap" or (a.feature_id, a.detail) in maybe.stations
        ]  # fmt: skip
    span, longest = end - start, pd.Timedelta(days=rules.max_history_days)
    while sections is not None and span < longest:
        reached = end - span + pd.Timedelta(days=1)
        behind = [a for a in found if _from_readings(a) and _since(a) < reached]
        late = sorted({a.feature_id for a in behind})
        if not late:
            break
        span = min(span * 2, longest)
        ours = sections[sections["code"].astype(str).isin(late).to_numpy(dtype=bool)]
        if daily is None:
            more = read(store, end - span, end, sections=late)
            more = more[more["section_code"].astype(str).isin(late).to_numpy(dtype=bool)]
            again = evaluate(sections=ours, outlets=None, monitoring=None, readings=more,
                             rules=rules, as_of=instant)  # fmt: skip
            found = [a for a in found if not (_from_readings(a) and a.feature_id in late)] + again
            continue
        # through the rollup: only the series (section, parameter) and stations (gaps) behind
        # are read again and replaced; the others' alerts began within the span read already,
        # so more history would not change them
        behind_keys = Candidates(
            frozenset((a.feature_id, a.parameter) for a in behind if a.kind != "data_gap"),
            frozenset((a.feature_id, a.detail) for a in behind if a.kind == "data_gap"),
        )
        rows = daily[daily["section_code"].astype(str).isin(late).to_numpy(dtype=bool)]
        longer = store.read_readings_daily(
            beijing_day(end - span), beijing_day(end),
            stations=sorted(set(rows["station_mn"].astype(str))),
        )  # fmt: skip
        more = _candidate_readings(store, longer, behind_keys, end - span, end)
        again = evaluate(sections=ours, outlets=None, monitoring=None, readings=more,
                         rules=rules, as_of=instant)  # fmt: skip
        again = [a for a in again if _named(a, behind_keys)]
        found = [a for a in found if not (_from_readings(a) and _named(a, behind_keys))] + again
    return sorted(found, key=_order)


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
                "acknowledged_at": utc_text(when),
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
