"""Altair charts for the dashboard (Vega is bundled in Streamlit's frontend: no CDN).

Each function takes what `geomon.analysis.stats` returns (rows as dicts) and only reshapes it for
plotting; the numbers themselves come from the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from geomon.app import i18n
from geomon.app.present import tables
from geomon.rules import water_quality as wq

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
_PROGRESS = (  # (part, colour): rectified, in hand (not overdue), overdue
    ("rectified", "#1a9850"),
    ("open", "#fdae61"),
    ("overdue", "#d73027"),
)
_PROGRESS_LABEL = {
    "rectified": ("已完成整治", "Rectified"),
    "open": ("未完成（未逾期）", "Open, not overdue"),
    "overdue": ("逾期未完成", "Overdue"),
}


COUNT_AXIS = alt.Axis(format="d", tickMinStep=1)
"""Counts are whole: no 2.5 outlets between ticks."""


MONTH_AXIS_TOP = alt.Axis(labelAngle=-45, labelOverlap=False, orient="top")
"""Months above a heatmap: slanted, so "2023-01" and "2023-02" never overlap in narrow cells."""


_CELL_EN = {"劣V": ">V"}
"""Heatmap cells in English: the class numeral ("III"); "Worse than V" does not fit a cell."""


def _configure(chart: alt.Chart) -> alt.Chart:
    return chart.configure(font=FONT).configure_legend(orient="top", title=None, labelLimit=0)


def progress_bars(rows: Sequence[dict[str, Any]], key: str, *, lang: str) -> alt.Chart:
    """Horizontal stacked bars per group (`key`): rectified / open / overdue outlets."""
    records = []
    for row in rows:
        open_ = int(row["total"]) - int(row["rectified"]) - int(row["overdue"])
        for part, value in (("rectified", row["rectified"]), ("open", open_),
                            ("overdue", row["overdue"])):  # fmt: skip
            label = _PROGRESS_LABEL[part][lang == "en"]
            group = str(tables.value_text(key, row[key], lang))
            records.append({"group": group, "part": label, "n": int(value)})
    frame = pd.DataFrame(records, columns=["group", "part", "n"])
    labels = [_PROGRESS_LABEL[p][lang == "en"] for p, _ in _PROGRESS]
    order = {label: i for i, label in enumerate(labels)}
    frame["order"] = frame["part"].map(order)
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(
                "group:N", title=None, sort="-x", axis=alt.Axis(labelLimit=220, labelOverlap=False)
            ),
            x=alt.X("n:Q", title=i18n.t("dash.count", lang), stack="zero", axis=COUNT_AXIS),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=labels, range=[c for _, c in _PROGRESS]),
                title=None,
                legend=alt.Legend(columns=2),  # half-width charts: three labels in one row clip
            ),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("group:N", title=" "), "part:N", "n:Q"],
        )
        .properties(height=alt.Step(30))
    )
    return _configure(chart)


def over_time(by_month: Sequence[dict[str, Any]], *, lang: str) -> alt.Chart:
    """Cumulative traced and rectified shares (%) month by month."""
    traced, rectified = ("已溯源", "已完成整治") if lang == "zh" else ("Traced", "Rectified")
    frame = pd.DataFrame(
        [
            {"month": r["month"], "series": name, "pct": r[col]}
            for r in by_month
            for name, col in ((traced, "traced_pct"), (rectified, "rectified_pct"))
        ],
        columns=["month", "series", "pct"],
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title=i18n.t("dash.month", lang), axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("pct:Q", title=i18n.t("dash.share", lang), scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=[traced, rectified], range=["#fdae61", "#1a9850"]),
            ),
            tooltip=["month:O", "series:N", "pct:Q"],
        )
        .properties(height=320)
    )
    return _configure(chart)


def _class_scale(lang: str) -> tuple[list[str], alt.Scale]:
    domain = [wq.CLASS_LABELS[c].get(lang) for c in wq.CLASSES]
    return domain, alt.Scale(domain=domain, range=[wq.CLASS_COLORS[c] for c in wq.CLASSES])


def class_bars(rows: Sequence[dict[str, Any]], key: str, *, lang: str) -> alt.Chart:
    """Stacked bars of section counts per class, one bar per group (`key`, e.g. level)."""
    domain, scale = _class_scale(lang)
    frame = pd.DataFrame(
        [
            {"group": str(tables.value_text(key, r[key], lang)),
             "class": wq.CLASS_LABELS[c].get(lang), "n": int(n),
             "order": wq.CLASSES.index(c)}
            for r in rows
            for c, n in r["counts"].items()
            if n
        ],
        columns=["group", "class", "n", "order"],
    )  # fmt: skip
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("group:N", title=i18n.t("dash.level", lang),
                    sort=[str(tables.value_text(key, r[key], lang)) for r in rows],
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("n:Q", title=i18n.t("dash.count", lang), stack="zero", axis=COUNT_AXIS),
            color=alt.Color("class:N", scale=scale, sort=domain, title=None,
                            legend=alt.Legend(columns=3)),  # six in a row clip half a page
            order=alt.Order("order:Q"),
            tooltip=["group:N", "class:N", "n:Q"],
        )
        .properties(height=340)
    )  # fmt: skip
    return _configure(chart)


def monthly_heatmap(monthly: pd.DataFrame, *, lang: str) -> alt.Chart:
    """Sections (rows) × months (columns), each cell coloured by that month's class."""
    domain, scale = _class_scale(lang)
    frame = monthly.assign(
        section=monthly["section_code"].astype(str) + " " + monthly["name"].fillna("").astype(str),
        label=monthly["class"].map(
            lambda c: wq.CLASS_LABELS[c].get(lang) if c in wq.CLASS_LABELS else None
        ),
        cell=monthly["class"].map(lambda c: _CELL_EN.get(c, c) if lang == "en" else None),
    ).dropna(subset=["label"])
    if lang != "en":
        frame["cell"] = frame["label"]
    order = list(dict.fromkeys(frame["section"]))
    base = alt.Chart(frame).encode(
        x=alt.X(
            "month:O",
            title=i18n.t("dash.month", lang),
            axis=MONTH_AXIS_TOP,
        ),
        y=alt.Y("section:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)),
    )
    cells = base.mark_rect(stroke="#ffffff").encode(
        color=alt.Color(
            "label:N",
            scale=scale,
            sort=domain,
            title=None,
            legend=alt.Legend(orient="bottom", columns=3),  # six in a row clip a half-width chart
        ),
        tooltip=["section:N", "month:O", alt.Tooltip("label:N", title=i18n.t("dash.class", lang))],
    )
    text = base.mark_text(fontSize=11).encode(text="cell:N")
    return _configure((cells + text).properties(height=alt.Step(26)))
