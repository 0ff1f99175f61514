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
from geomon.specs import get_spec

TABLE_COLUMNS = (
    *("severity", "kind", "name", "feature_id", "record", "map", "parameter", "value", "limit"),
    *("since", "message", "rule", "layer", "id"),
)


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
                "value": _text(rec["value"]),
                "limit": _text(rec["limit"]),
                "since": beijing(rec["since"]),
                "message": rec["message"],
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
