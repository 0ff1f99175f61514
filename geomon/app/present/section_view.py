"""What the section record (一断面一档) shows: lab and station points of one parameter for the
chart, exceedances, data completeness per month, the latest class and the trend.

Pure functions over frames; the rules are the library's: classes from GB 3838-2002 表1
(`geomon.rules.water_quality`), the target limit (`geomon.monitoring.series.target_limit`) and the
range a value must lie in (`geomon.monitoring.alerts.target_bounds`: DO ≥, pH 6–9, others ≤),
which readings count (`geomon.monitoring.valid`). 超标倍数 = (C − limit) / limit against the
section's target class, 2 decimals half even, and none for WT, pH and DO (DOMAIN.md §1.3). The
monthly classes (lab, station and combined by the 82号 priority), their completeness and the
trend come from `geomon.monitoring.months`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from geomon.app import i18n
from geomon.app.present.sheet import field_text
from geomon.monitoring import (
    AUTO_PRIORITY,
    BEIJING,
    CITATION_STATS,
    MIN_DAY_SHARE,
    MIN_MONTH_SHARE,
    valid,
)
from geomon.monitoring import alerts as al
from geomon.monitoring import months as mo
from geomon.monitoring.series import Series
from geomon.rules import water_quality as wq
from geomon.specs import get_spec

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
EXCEEDANCE_COLUMNS = ("source", "time", "parameter", "value", "limit", "multiple")
COMPLETENESS_COLUMNS = (
    *("parameter", "month", "valid_hours", "hours", "share", "valid_days", "days", "complete"),
)


def parameter_label(key: str, lang: str) -> str:
    """The monitoring field's label (``氨氮`` / ``Ammonia nitrogen``); the key itself for
    ``lang="key"``."""
    if lang == "key":
        return key
    return get_spec("monitoring").field(key).label.get(lang)


def class_label(klass: object, lang: str) -> str:
    """``Ⅲ类`` / ``Class III``; "" without a class."""
    if klass is None or (isinstance(klass, float) and np.isnan(klass)) or klass not in wq.CLASSES:
        return ""
    return wq.CLASS_LABELS[str(klass)].get(lang)


_FACT_FIELDS = ("code", "control_level", "river", "basin", "district", "water_body_type")


def facts(record: pd.Series, target: str | None, station: str | None, lang: str) -> list:
    """(label, text) of the section's facts: code, level, river, basin, district, water body,
    target class and automatic station (its MN)."""
    spec = get_spec("sections")
    rows = [
        (spec.field(f).label.get(lang), field_text(spec.field(f), record.get(f), lang) or "—")
        for f in _FACT_FIELDS
        if f in record.index
    ]
    rows.append((i18n.t("section.target", lang), class_label(target, lang) or "—"))
    rows.append((i18n.t("section.station", lang), station or i18n.t("section.no_station", lang)))
    return rows


def beijing_minute(times: pd.Series) -> list[str]:
    """UTC times as Beijing time to the minute, ``2023-06-14 02:00``."""
    stamps = pd.DatetimeIndex(pd.to_datetime(times, utc=True)).tz_convert(BEIJING)
    return [s.strftime("%Y-%m-%d %H:%M") for s in stamps]


def _lab_times(dates: pd.Series) -> pd.Series:
    """A sampling date as the start of that Beijing day, in UTC."""
    day = pd.to_datetime(dates).dt.normalize()
    return day.dt.tz_localize(BEIJING).dt.tz_convert("UTC")


def lab_points(
    monitoring: pd.DataFrame | None, code: str, parameter: str, water_body: wq.WaterBody = "river"
) -> pd.DataFrame:
    """The lab results of `parameter` at section `code`: time (UTC), value, class."""
    cols = ["time", "value", "class"]
    if monitoring is None or parameter not in getattr(monitoring, "columns", ()):
        return pd.DataFrame(columns=cols)
    rows = monitoring[monitoring["section_code"].astype(str) == code]
    rows = rows[rows[parameter].notna()].sort_values("date", kind="stable")
    values = rows[parameter].to_numpy(dtype=float)
    classes = (
        wq.item_classes(parameter, values, water_body=water_body)
        if parameter in wq.ITEMS
        else [None] * len(values)
    )
    return pd.DataFrame(
        {"time": _lab_times(rows["date"]).to_numpy(), "value": values, "class": list(classes)}
    )


def chart_frame(series: Series, lab: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Station points (only those that count are classed) and lab results in one frame for the
    chart: time, when (Beijing text), value, class (label), source (label), segment (the line
    breaks between segments: a gap of more than a step). Hourly, only the lab
    results within the station data's span (from a day before) are kept, so the hours stay
    readable; daily and monthly, all of them."""
    auto = series.points
    if series.step == "hour" and len(auto) and len(lab):
        since = pd.to_datetime(auto["time"], utc=True).min() - pd.Timedelta(days=1)
        lab = lab[pd.to_datetime(lab["time"], utc=True) >= since]
    parts = [
        pd.DataFrame(
            {
                "time": pd.to_datetime(auto["time"], utc=True),
                "value": auto["value"].to_numpy(dtype=float),
                "class": [
                    class_label(c, lang) or i18n.t("section.no_class", lang) for c in auto["class"]
                ],
                "source": i18n.t("section.source_auto", lang),
            }
        ),
        pd.DataFrame(
            {
                "time": pd.to_datetime(lab["time"], utc=True),
                "value": lab["value"].to_numpy(dtype=float),
                "class": [
                    class_label(c, lang) or i18n.t("section.no_class", lang) for c in lab["class"]
                ],
                "source": i18n.t("section.source_lab", lang),
            }
        ),
    ]
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else parts[0]
    )
    out = out[out["value"].notna()].sort_values("time", kind="stable").reset_index(drop=True)
    out["when"] = beijing_minute(out["time"])
    out["time"] = out["time"].dt.tz_convert(BEIJING).dt.tz_localize(None)  # axis in Beijing time
    out["segment"] = _segments(out, i18n.t("section.source_auto", lang), series.step)
    return out


_GAP = {"hour": pd.Timedelta(hours=2), "day": pd.Timedelta(days=2), "month": pd.Timedelta(days=45)}


def _segments(frame: pd.DataFrame, auto: str, step: str) -> np.ndarray:
    """A number per row: station points more than a step apart (a gap in the data) start a new
    segment, so the chart's line breaks there instead of bridging the gap."""
    segment = np.zeros(len(frame), dtype="int64")
    is_auto = (frame["source"] == auto).to_numpy(dtype=bool)
    times = frame.loc[is_auto, "time"]
    gaps = (times.diff() > _GAP.get(step, _GAP["day"])).to_numpy(dtype=bool)
    segment[is_auto] = np.cumsum(gaps)
    return segment


_AXIS_FORMAT = {"hour": "%m-%d %H:%M", "day": "%Y-%m-%d", "month": "%Y-%m"}


def series_chart(
    frame: pd.DataFrame, limit: Any, *, title: str, lang: str, step: str = "hour"
) -> alt.LayerChart:
    """The parameter over time: a grey line of the station values, points coloured by class
    (lab results as larger diamonds), the target class's limit as a red dashed rule."""
    domain = [wq.CLASS_LABELS[c].get(lang) for c in wq.CLASSES] + [i18n.t("section.no_class", lang)]
    colours = [wq.CLASS_COLORS[c] for c in wq.CLASSES] + ["#bbbbbb"]
    auto, lab = i18n.t("section.source_auto", lang), i18n.t("section.source_lab", lang)
    x = alt.X(
        "time:T", title=None, axis=alt.Axis(format=_AXIS_FORMAT.get(step, "%Y-%m-%d"), labelAngle=0)
    )
    y = alt.Y("value:Q", title=title, scale=alt.Scale(zero=False))
    tooltip = [
        alt.Tooltip("when:N", title=i18n.t("section.col.time", lang)),
        alt.Tooltip("value:Q", title=title),
        alt.Tooltip("class:N", title=i18n.t("section.col.class", lang)),
        alt.Tooltip("source:N", title=i18n.t("section.col.source", lang)),
    ]
    base = alt.Chart(frame)
    line = (
        base.transform_filter(alt.datum.source == auto)
        .mark_line(color="#9aa5b1", strokeWidth=1)
        .encode(x=x, y=y, detail="segment:N")  # a gap in the data breaks the line
    )
    points = base.mark_point(filled=True, opacity=0.9).encode(
        x=x,
        y=y,
        color=alt.Color(
            "class:N",
            scale=alt.Scale(domain=domain, range=colours),
            title=i18n.t("section.col.class", lang),
        ),
        shape=alt.Shape(
            "source:N",
            scale=alt.Scale(domain=[auto, lab], range=["circle", "diamond"]),
            title=i18n.t("section.col.source", lang),
        ),
        size=alt.condition(alt.datum.source == lab, alt.value(160), alt.value(30)),
        tooltip=tooltip,
    )
    layers: list[alt.Chart] = [line, points]
    bounds = limit if isinstance(limit, list) else [limit] if limit is not None else []
    if bounds:
        rules = pd.DataFrame({"limit": [float(b) for b in bounds]})
        layers.append(
            alt.Chart(rules)
            .mark_rule(color="#d73027", strokeDash=[6, 4], strokeWidth=2)
            .encode(y="limit:Q", tooltip=[alt.Tooltip("limit:Q", title=i18n.t(
                "section.col.limit", lang))])
        )  # fmt: skip
    return (
        alt.layer(*layers)
        .properties(height=320)
        .configure(font=FONT)
        .configure_legend(orient="top", labelLimit=0)
    )


# --------------------------------------------------------------------------- exceedances


def _beyond(parameter: str, values: np.ndarray, target: str | None, water_body: str) -> tuple:
    """(mask of values beyond the target, the limit shown, the limit multiples are taken of)."""
    low, high = al.target_bounds(parameter, target, water_body)
    with np.errstate(invalid="ignore"):
        mask = (values < low) | (values > high)
    item = wq.ITEMS.get(parameter)
    if item is None:
        return mask, None, None
    if item.direction == "ge":
        return mask, low, None
    if item.direction == "range":
        return mask, f"{low:g}–{high:g}", None
    return mask, high, (high if item.multiple else None)


def _multiple(values: np.ndarray, limit: float | None) -> list[float | None]:
    if limit is None:
        return [None] * len(values)
    return wq.round_half_even((values - limit) / limit, 2).tolist()


def exceedances(
    readings: pd.DataFrame,
    monitoring: pd.DataFrame | None,
    code: str,
    target: str | None,
    water_body: wq.WaterBody = "river",
    *,
    lang: str = "zh",
) -> pd.DataFrame:
    """Every value beyond the section's target class: the valid station readings (hourly and
    daily) and the lab results, newest first. Columns `EXCEEDANCE_COLUMNS`; ``time`` is Beijing
    time (lab results: their date); ``multiple`` is 超标倍数 against the target limit.
    ``lang="key"`` keeps parameter keys (``NH3N``) for code."""
    rows: list[pd.DataFrame] = []
    mine = readings[readings["section_code"].astype(str) == code]
    mine = mine[valid(mine).to_numpy()]
    for parameter, group in mine.groupby("parameter", sort=False):
        values = group["value"].to_numpy(dtype=float)
        mask, shown, base = _beyond(str(parameter), values, target, water_body)
        if not mask.any():
            continue
        hit = group[mask]
        rows.append(
            pd.DataFrame(
                {
                    "sort": hit["time"].to_numpy(),
                    "source": i18n.t("section.source_auto", lang),
                    "time": beijing_minute(hit["time"]),
                    "parameter": parameter_label(str(parameter), lang),
                    "value": values[mask],
                    "limit": shown,
                    "multiple": _multiple(values[mask], base),
                }
            )
        )
    if monitoring is not None and len(monitoring):
        lab = monitoring[monitoring["section_code"].astype(str) == code]
        times = _lab_times(lab["date"]) if len(lab) else pd.Series(dtype="datetime64[ns, UTC]")
        for parameter in wq.ITEMS:
            if parameter not in lab.columns:
                continue
            values = lab[parameter].to_numpy(dtype=float)
            mask, shown, base = _beyond(parameter, values, target, water_body)
            if not mask.any():
                continue
            rows.append(
                pd.DataFrame(
                    {
                        "sort": times.to_numpy()[mask],
                        "source": i18n.t("section.source_lab", lang),
                        "time": pd.to_datetime(lab["date"])
                        .dt.strftime("%Y-%m-%d")
                        .to_numpy()[mask],
                        "parameter": parameter_label(parameter, lang),
                        "value": values[mask],
                        "limit": shown,
                        "multiple": _multiple(values[mask], base),
                    }
                )
            )
    if not rows:
        return pd.DataFrame(columns=list(EXCEEDANCE_COLUMNS))
    out = pd.concat(rows, ignore_index=True).sort_values("sort", ascending=False, kind="stable")
    out["limit"] = [f"{v:g}" if isinstance(v, float) else str(v) for v in out["limit"]]
    return out[list(EXCEEDANCE_COLUMNS)].reset_index(drop=True)


def multiple_text(multiple: object, lang: str) -> str:
    """超标倍数 as bureaus write it: ``超标0.56倍`` / ``0.56× over``; "" without one."""
    if multiple is None or (isinstance(multiple, float) and np.isnan(multiple)):
        return ""
    return i18n.t("section.multiple", lang).format(m=float(multiple))


# -------------------------------------------------------------------------- completeness


def completeness(
    readings: pd.DataFrame, code: str, station: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Data completeness per parameter and Beijing month: valid hourly readings (`valid`) of
    the month's hours (``share`` 0–1; NaN for a station that sends only daily values), the
    days with a valid daily mean of the month's days, and whether the month's mean counts
    (``complete``: `geomon.monitoring.MIN_MONTH_SHARE` of the days, each with
    `MIN_DAY_SHARE` of its hours). Columns `COMPLETENESS_COLUMNS`; parameters as keys.
    `station`: the section's `mo.station_months` if already computed."""
    months = mo.station_months(readings, code) if station is None else station
    if months.empty:
        return pd.DataFrame(columns=list(COMPLETENESS_COLUMNS))
    mine = readings[(readings["section_code"].astype(str) == code) & (readings["step"] == "hour")]
    local = mine["time"].dt.tz_convert(BEIJING).dt.tz_localize(None)
    frame = pd.DataFrame(
        {
            "parameter": mine["parameter"].astype(str).to_numpy(),
            "month": local.dt.to_period("M").to_numpy(),
            "ok": valid(mine).to_numpy(),
        }
    )
    counted = frame.groupby(["parameter", "month"], sort=False)["ok"].sum()
    hourly = dict(
        zip(
            [(p, str(m)) for p, m in counted.index.tolist()],
            counted.to_numpy().tolist(),
            strict=True,
        )
    )
    keys = list(zip(months["parameter"], months["month"], strict=True))
    counted = [hourly.get(k) for k in keys]
    out = months.assign(
        valid_hours=[np.nan if c is None else int(c) for c in counted],
    )
    out["share"] = out["valid_hours"].astype(float) / out["hours"].astype(float)
    return out[list(COMPLETENESS_COLUMNS)].reset_index(drop=True)


def completeness_text(complete: bool, lang: str) -> str:
    """完整 / 不完整 for the completeness table."""
    return i18n.t("section.complete" if complete else "section.incomplete", lang)


# ------------------------------------------------------------------------ classes, trend


def latest_class(classes: pd.DataFrame) -> tuple[str, str] | None:
    """(month, class) of the last month with a class, or None."""
    known = classes[classes["class"].notna()]
    if known.empty:
        return None
    last = known.iloc[-1]
    return str(last["month"]), str(last["class"])


def trend(classes: pd.DataFrame) -> tuple[str, str, str, str, str] | None:
    """(first month, its class, last month, its class, wording key) of `mo.trend` over the
    months with a class; the key is ``section.trend.{better2,better1,same,worse1,worse2}``;
    None if fewer than two months have a class."""
    found = mo.trend(classes)
    if found is None:
        return None
    return (found.first_month, found.first_class, found.last_month, found.last_class,
            f"section.trend.{found.word}")  # fmt: skip


def source_text(source: object, lang: str) -> str:
    """Which data the month's class rests on: 自动站 / 人工监测 / 自动站+人工监测; "—" without."""
    if source not in ("auto", "lab", "both"):
        return "—"
    return i18n.t(f"section.source.{source}", lang)


def station_state(done: object, measured: object, lang: str) -> str:
    """The station's month: 完整 (all parameters), 不完整 (none), 3/5 项完整; "—" without data."""
    done, measured = int(done or 0), int(measured or 0)
    if measured == 0:
        return "—"
    if done == measured:
        return i18n.t("section.complete", lang)
    if done == 0:
        return i18n.t("section.incomplete", lang)
    return i18n.tf("section.partly_complete", lang, done=done, measured=measured)


def month_table(classes: pd.DataFrame, target: str | None, lang: str) -> pd.DataFrame:
    """The monthly classes as shown: month, class, source, lab class, station class, station
    data, meets the target (column labels in `lang`)."""

    def verdict(c: object) -> str:
        if c is None or target is None:
            return "—"
        return i18n.t("section.meets" if wq.meets(str(c), target) else "section.fails", lang)

    return pd.DataFrame(
        {
            i18n.t("section.col.month", lang): classes["month"],
            i18n.t("section.col.class", lang): [
                class_label(c, lang) or "—" for c in classes["class"]
            ],
            i18n.t("section.col.basis", lang): [source_text(s, lang) for s in classes["source"]],
            i18n.t("section.col.lab_class", lang): [
                class_label(c, lang) or "—" for c in classes["lab_class"]
            ],
            i18n.t("section.col.auto_class", lang): [
                class_label(c, lang) or "—" for c in classes["auto_class"]
            ],
            i18n.t("section.col.auto_data", lang): [
                station_state(d, m, lang)
                for d, m in zip(classes["auto_complete"], classes["auto_parameters"], strict=True)
            ],
            i18n.t("section.verdict", lang): [verdict(c) for c in classes["class"]],
        }
    )


def completeness_rule_text(lang: str) -> str:
    """When a station's day and month count (the shares of stations.toml)."""
    return i18n.tf(
        "section.completeness_rule", lang, day=f"{MIN_DAY_SHARE:.0%}",
        month=f"{MIN_MONTH_SHARE:.0%}", citation=CITATION_STATS,
    )  # fmt: skip


def month_rule_text(lang: str) -> str:
    """How the month's class is made (sources, priority, completeness), from the rules' data."""
    names = [parameter_label(k, lang) for k in wq.ITEMS if k in AUTO_PRIORITY]
    items = ("、" if lang == "zh" else ", ").join(names)
    return i18n.tf(
        "section.month_rule", lang, items=items, day=f"{MIN_DAY_SHARE:.0%}",
        month=f"{MIN_MONTH_SHARE:.0%}", citation=CITATION_STATS,
    )  # fmt: skip


def parameters_of(readings: pd.DataFrame, monitoring: pd.DataFrame | None, code: str) -> list[str]:
    """Parameters with station readings or lab results at `code`, in GB 3838 表1 order (station
    ones first)."""
    mine = readings[readings["section_code"].astype(str) == code]
    auto = set(mine["parameter"].astype(str))
    lab: set[str] = set()
    if monitoring is not None and len(monitoring):
        rows = monitoring[monitoring["section_code"].astype(str) == code]
        lab = {p for p in wq.ITEMS if p in rows.columns and rows[p].notna().any()}
    order = list(wq.ITEMS)
    rank = {p: i for i, p in enumerate(order)}
    return sorted(auto | lab, key=lambda p: (p not in auto, rank.get(p, len(order)), p))


def default_step(times: Sequence[Any] | pd.Series) -> str:
    """``hour`` for up to about two months of readings (≤ ~1,500 points), else ``day``."""
    stamps = pd.to_datetime(pd.Series(times), utc=True)
    if stamps.empty:
        return "hour"
    return "hour" if stamps.max() - stamps.min() <= pd.Timedelta(days=62) else "day"
