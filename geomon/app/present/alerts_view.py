"""The 预警 page's tables: alerts and acknowledgements for people (labels, Beijing times, links).

Pure functions of the frames `geomon.monitoring.alerts` makes; the page only arranges them.
Kind labels are the enum labels of ``layers/alert_acks.toml`` (one vocabulary for the page, the
acknowledgement layer and exports); severities are app strings (``alerts.severity.*``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pandas as pd

from geomon import times
from geomon.app import i18n, urls
from geomon.monitoring import alerts
from geomon.rules import water_quality as wq
from geomon.specs import get_spec

TABLE_COLUMNS = (
    *("severity", "kind", "name", "parameter", "source", "value", "limit", "since"),
    *("message", "feature_id", "record", "map", "rule", "layer", "id"),
)
"""What a reader needs first on the left (at 1400 px the page shows ~950 px of the table)."""

_WIDTHS: dict[str, dict[str, int | str]] = {
    "zh": {
        "severity": 50, "kind": 105, "name": 260, "parameter": 75, "source": 120, "value": 100,
        "limit": 150, "since": 140, "feature_id": 170, "layer": 110, "acknowledged_at": 140,
        "acknowledged_by": 90,
    },
    "en": {
        "severity": 70, "kind": 165, "name": 260, "parameter": 140, "source": 150, "value": 130,
        "limit": 180, "since": 140, "feature_id": 170, "layer": 150, "acknowledged_at": 140,
        "acknowledged_by": 110,
    },
}  # fmt: skip


def widths(lang: str) -> dict[str, int | str]:
    """Column widths in pixels (st.column_config) so the common texts fit uncut: the longest
    kind (整治时限临近 / "Persistent exceedance"), an 18-character outlet name or code,
    "Total phosphorus", "整治时限 2023-03-31", "2023-06-01 00:00"; long texts (message, rule,
    note, id) get "large" and show in full on hover."""
    return {**dict.fromkeys(("message", "rule", "note", "id", "alert_id"), "large"),
            **_WIDTHS.get(lang, _WIDTHS["zh"])}  # fmt: skip


def kind_label(kind: str, lang: str) -> str:
    """A kind in words (超标 / Exceedance …), from layers/alert_acks.toml."""
    return get_spec(alerts.ACK_LAYER).field("kind").value_label(kind, lang)


def layer_label(layer: str, lang: str) -> str:
    """A layer's title (监测断面 / 入河排污口 …)."""
    return get_spec(layer).title.get(lang)


def severity_label(severity: str, lang: str) -> str:
    """A severity in words (高 / High …)."""
    return i18n.t(f"alerts.severity.{severity}", lang)


def beijing(text: object) -> str:
    """A ``since`` or acknowledgement time for people: dates as they are, UTC times in Beijing
    time to the minute (``2023-06-30T06:00Z`` → ``2023-06-30 14:00``; `geomon.times`)."""
    return times.beijing(text)


def select(
    frame: pd.DataFrame,
    *,
    kinds: Collection[str] = (),
    severities: Collection[str] = (),
    layers: Collection[str] = (),
) -> pd.DataFrame:
    """The rows of an `alerts.alerts_frame` of the chosen kinds, severities and layers (all
    when a choice is empty)."""
    keep = pd.Series(True, index=frame.index)
    for column, chosen in (("kind", kinds), ("severity", severities), ("layer", layers)):
        if chosen:
            keep &= frame[column].isin(list(chosen))
    return frame[keep.to_numpy(dtype=bool)]


def alert_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """`frame` (`alerts.alerts_frame`) as the page shows it: words for codes, Beijing times,
    the record page and the map as links (`TABLE_COLUMNS`)."""
    rows = []
    for rec in frame.to_dict("records"):
        rows.append(
            {
                "severity": severity_label(rec["severity"], lang),
                "kind": kind_label(rec["kind"], lang),
                "layer": layer_label(rec["layer"], lang),
                "name": rec["name"],
                "feature_id": rec["feature_id"],
                "parameter": _parameter(rec["parameter"], lang),
                "source": source_label(rec["source"], lang),
                "value": value_text(rec, lang),
                "limit": limit_text(rec, lang),
                "since": beijing(rec["since"]),
                "message": in_language(rec["message"], lang),
                "rule": rec["rule"],
                "record": urls.feature_url(rec["layer"], str(rec["feature_id"]), lang),
                "map": urls.map_url(str(rec["feature_id"]), lang),
                "id": rec["id"],
            }
        )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS), dtype=object)


def ack_table(acks: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The acknowledgements for people: kind in words, time in Beijing time, newest first."""
    columns = ["acknowledged_at", "acknowledged_by", "kind", "feature_id", "parameter"]
    columns += ["since", "note", "alert_id"]
    if not len(acks):
        return pd.DataFrame(columns=columns)
    out = acks[columns].copy().astype(object)
    out["kind"] = [kind_label(k, lang) for k in out["kind"]]
    out["parameter"] = [_parameter(p, lang) for p in out["parameter"]]  # as the alerts table
    out["since"] = [beijing(s) for s in out["since"]]
    out["acknowledged_at"] = [beijing(s) for s in out["acknowledged_at"]]
    return out.sort_values("acknowledged_at", ascending=False, kind="stable")


def choice_label(alerts_by_id: dict[str, alerts.Alert], lang: str, alert_id: str) -> str:
    """One open alert in the acknowledgement picker: severity, kind, feature, since."""
    a = alerts_by_id[alert_id]
    what = f"{a.name or a.feature_id}（{a.feature_id}）"
    item = f" {_parameter(a.parameter, lang)}" if a.parameter else ""
    return (
        f"[{severity_label(a.severity, lang)}] {kind_label(a.kind, lang)} {what}{item}"
        f" · {beijing(a.since)}"
    )


def describe(alert: alerts.Alert, lang: str) -> str:
    """An alert as a person names it: feature name (code), item, kind, since in Beijing time
    (``鸳鸯湖湖心（JHGK05） 总磷 持续超标，自 2023-06-01 起``), never the raw id."""
    what = f"{alert.name or alert.feature_id}（{alert.feature_id}）"
    if lang == "en":
        what = f"{alert.name or alert.feature_id} ({alert.feature_id})"
    item = f" {_parameter(alert.parameter, lang)}" if alert.parameter else ""
    since = beijing(alert.since)
    if lang == "en":
        return f"{what}{item}: {kind_label(alert.kind, lang)} since {since}"
    return f"{what}{item} {kind_label(alert.kind, lang)}，自 {since} 起"


def source_label(source: object, lang: str) -> str:
    """Where an alert's value comes from in words (自动站 小时值 / 人工监测 月均值 …)."""
    return i18n.t(f"alerts.source.{source}", lang) if source in alerts.SOURCES else ""


def in_language(text: object, lang: str) -> str:
    """The `lang` half of a bilingual ``"中文 / English"`` message (`geomon.messages.message`):
    Chinese on the Chinese page, English on the English one."""
    zh, sep, en = str(text or "").partition(" / ")
    return (en if lang == "en" else zh) if sep else zh


def value_text(rec: dict, lang: str) -> str:
    """The value column of one alert row: the item's value to its reporting decimals with its
    unit (`wq.display_value`), days in a row, hours without data, days overdue or left, a class."""
    kind, value = rec["kind"], rec["value"]
    if _empty(value):
        return ""
    if kind == "exceedance":
        shown = alerts.value_text(rec["parameter"], value, _number(rec["limit"]))
        return _with_unit(shown, rec["parameter"])
    if kind == "trend_worsening":
        return _class(value, lang)
    return i18n.t(f"alerts.value.{kind}", lang).format(value=_text(value))


def limit_text(rec: dict, lang: str) -> str:
    """The limit column of one alert row: a class limit with its unit, the hours a gap needs,
    the rectification deadline, the class the month is compared with."""
    kind, limit = rec["kind"], rec["limit"]
    if _empty(limit):
        return ""
    if kind in ("exceedance", "persistent_exceedance"):
        return _with_unit(_text(limit), rec["parameter"])
    if kind == "data_gap":
        return i18n.t("alerts.limit.data_gap", lang).format(limit=_text(limit))
    if kind in ("overdue", "deadline_near"):
        return i18n.t("alerts.limit.deadline", lang).format(limit=_text(limit))
    if kind == "trend_worsening":
        compare = str(rec["id"]).split("/")[3]  # the detail: previous_month / previous_year
        key = f"alerts.limit.{compare}"
        text = i18n.t(key, lang) if key in i18n.STRINGS else "{limit}"
        return text.format(limit=_class(limit, lang))
    return _text(limit) or ""


def _class(klass: object, lang: str) -> str:
    label = wq.CLASS_LABELS.get(str(klass))
    return str(klass) if label is None else label.get(lang)


def _with_unit(text: str | None, parameter: object) -> str:
    spec = get_spec("monitoring")
    unit = spec.field(parameter).unit if parameter in spec.field_names else None
    return f"{text} {unit}" if text and unit else text or ""


def _number(value: object) -> float | None:
    return None if _empty(value) or isinstance(value, str) else float(value)


def _empty(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def counts(frame: pd.DataFrame, severities: Sequence[str] = alerts.SEVERITIES) -> dict[str, int]:
    """How many alerts of each severity (every severity present, 0 if none)."""
    found = frame["severity"].value_counts().to_dict() if len(frame) else {}
    return {s: int(found.get(s, 0)) for s in severities}


def _parameter(key: object, lang: str) -> str:
    if key is None or (not isinstance(key, str) and pd.isna(key)):
        return ""  # an outlet's alert has no parameter: blank, not "None", on screen
    spec = get_spec("monitoring")
    return spec.field(key).label.get(lang) if key in spec.field_names else str(key)


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return f"{value:g}" if isinstance(value, float) else str(value)
