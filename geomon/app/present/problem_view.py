"""View models of the supervision pages: the problem list table, steps, files, next statuses.

Pure functions over frames (no streamlit): the pages only arrange what these return. Every
user-supplied value stays a plain string (the pages show them with `st.dataframe` or escaped).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from geomon.app import i18n
from geomon.app.present import styles
from geomon.mapview.values import LayerStyle
from geomon.reports.versions import beijing
from geomon.rules import supervision as sup_rules
from geomon.specs import Label, get_spec

CARD_KEYS = {"red": "card.red", "yellow": "card.yellow"}


def card_text(card: Any, t: Any) -> str:
    """The card as a word (红牌/黄牌, or empty): `t` maps an i18n key to text."""
    return t(CARD_KEYS[card]) if card in CARD_KEYS else ""


def list_table(listed: pd.DataFrame, problems: pd.DataFrame, lang: str, t: Any) -> pd.DataFrame:
    """The problem list as shown: id, card, title, status, source, unit, deadline, days, feature.

    `listed` is `geomon.supervision.problems.problem_list`; `problems` the layer (for labels).
    """
    spec = get_spec("problems")
    status = spec.field("status")
    source = spec.field("source")
    del problems
    return pd.DataFrame(
        {
            t("col.problem_id"): listed["id"].astype(str),
            t("problems.card"): [card_text(c, t) for c in listed["card"]],
            t("col.problem_title"): listed["title"].astype(str),
            t("problems.status"): [status.value_label(v, lang) for v in listed["status"]],
            t("problems.source"): [source.value_label(v, lang) for v in listed["source"]],
            t("problems.unit"): listed["unit"].astype(str),
            t("problems.deadline"): pd.to_datetime(listed["deadline"]).dt.date,
            t("col.days_overdue"): listed["days_overdue"].astype(int),
            t("col.feature"): [
                f"{get_spec(layer).title.get(lang)} {fid}" if layer else str(fid or "")
                for layer, fid in zip(listed["layer"], listed["feature_id"], strict=True)
            ],
        }
    )


def next_statuses(status: str) -> list[str]:
    """The statuses the workflow allows from `status` (rules/supervision.toml)."""
    return [s.target for s in sup_rules.rules().steps if status in s.sources]


def steps_table(steps: pd.DataFrame, lang: str, t: Any) -> pd.DataFrame:
    """The problem's steps as shown: time (Beijing, to the minute), user, from, to, note."""
    status = get_spec("problems").field("status")

    def label(v: Any) -> str:
        return "" if v is None else status.value_label(v, lang)

    return pd.DataFrame(
        {
            t("col.at"): [beijing(str(a)) for a in steps["at"]],
            t("problems.step_user"): steps["user"].astype(str),
            t("problems.step_from"): [label(v) for v in steps["from"]],
            t("problems.step_to"): [label(v) for v in steps["to"]],
            t("problems.step_note"): [v or "" for v in steps["note"]],
        }
    )


def file_rows(files: pd.DataFrame) -> list[dict[str, Any]]:
    """Stored files as plain dicts, with the time of the write in Beijing time."""
    out = []
    for r in files.to_dict("records"):
        r = dict(r)
        r["at_text"] = beijing(str(r["at"])) if r.get("at") else ""
        r["lon"] = None if pd.isna(r.get("lon")) else float(r["lon"])
        r["lat"] = None if pd.isna(r.get("lat")) else float(r["lat"])
        out.append(r)
    return out


def default_month(today: dt.date) -> str:
    """The month a dispatch sheet is usually made for: the one before `today`'s."""
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


def enum_label(layer: str, field: str, lang: str, value: Any) -> str:
    """An enum value's label (for `functools.partial` as a widget's format_func)."""
    return get_spec(layer).field(field).value_label(value, lang)


def layer_title(lang: str, name: str) -> str:
    """A layer's title (for `functools.partial` as a widget's format_func)."""
    return get_spec(name).title.get(lang)


def card_label(lang: str, card: str) -> str:
    """红牌/黄牌 or Red/Yellow (for `functools.partial` as a widget's format_func)."""
    return i18n.t(CARD_KEYS[card], lang) if card in CARD_KEYS else ""


def card_style(problem_url: str | None = None) -> LayerStyle:
    """The problems on a map coloured by their card (red, yellow; grey without one), the card
    and days overdue in the popup, a link to the problem's page (``…?problem={id}``)."""
    return LayerStyle(
        color_by="card",
        colors={"red": styles.CARD_RED, "yellow": styles.CARD_YELLOW},
        labels={"red": Label("红牌", "Red card"), "yellow": Label("黄牌", "Yellow card")},
        title=Label("问题（红黄牌）", "Problems (cards)"),
        default_label=Label("无警示", "No card"),
        popup={"card": Label("警示", "Card"), "days_overdue": Label("逾期天数", "Days overdue")},
        stroke="#333333",
        link=(Label("打开问题", "Open the problem"), problem_url) if problem_url else None,
    )


def problem_url(base: str, lang: str) -> str:
    """The URL template of a problem's page (``{id}`` is the problem id)."""
    return f"{base}/problem?problem={{id}}" + ("&lang=en" if lang == "en" else "")
