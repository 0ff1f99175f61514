"""Tables for people: columns renamed to their labels (``col.*`` strings, else spec labels).

Values are words of the page's language too: enum values (stage, type, level, …) through their
layer spec, the total row and trend words through ``strings.toml``. Rates (``*_pct``,
``delta_*``, milestone targets) show one decimal, a missing value "—" (`styled`), never "None".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from geomon.app import i18n
from geomon.rules import water_quality as wq
from geomon.rules import zones
from geomon.specs import get_spec

ENUM_LAYER = {
    "type_l1": "outlets",
    "type_l2": "outlets",
    "stage": "outlets",
    "category": "outlets",
    "control_level": "sections",
}
"""The layer whose spec labels the values of a column in tables that do not name a layer."""
TOTAL = "合计"
"""The total row's label in the library's tables (`geomon.analysis.stats`, reports)."""
MISSING = "—"
PCT_TARGETS = ("traced_target", "rectified_target")
"""Milestone targets, in percent (`geomon.analysis.stats` milestones)."""


def is_rate(column: str) -> bool:
    """A percentage or a change of one, in percent (points): shown with one decimal."""
    return column.endswith("_pct") or column.startswith("delta_") or column in PCT_TARGETS


def percent(value: object) -> str:
    """A rate for a KPI: ``83.3%`` (one decimal), "—" if unknown."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return MISSING
    return f"{float(value):.1f}%"  # type: ignore[arg-type]


def value_text(column: str, value: Any, lang: str, layer: str | None = None) -> Any:
    """`value` of `column` in `lang`: enum labels, 合计 and trend words translated."""
    if not isinstance(value, str):
        return value
    if value == TOTAL:
        return i18n.t("common.total", lang)
    if column == "trend" and f"trend.{value}" in i18n.STRINGS:
        return i18n.t(f"trend.{value}", lang)
    if column.startswith("verdict") and value in zones.VERDICT_LABELS:
        return zones.VERDICT_LABELS[value].get(lang)
    spec_layer = (
        layer if layer and column in get_spec(layer).field_names else ENUM_LAYER.get(column)
    )
    if spec_layer is not None and get_spec(spec_layer).field(column).values:
        return get_spec(spec_layer).field(column).value_label(value, lang)
    return value


def label(column: str, lang: str, layer: str | None = None) -> str:
    """The header of `column`: an app string ``col.<column>``, the spec's label, or itself."""
    if f"col.{column}" in i18n.STRINGS:
        return i18n.t(f"col.{column}", lang)
    if layer is not None and column in get_spec(layer).field_names:
        return get_spec(layer).field(column).label.get(lang)
    return column


def labelled(
    rows: pd.DataFrame | Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    lang: str,
    layer: str | None = None,
) -> pd.DataFrame:
    """`rows` reduced to `columns` (those present), headers in `lang`, bools as 是/否."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    frame = frame[[c for c in columns if c in frame.columns]].copy()
    yes, no = i18n.t("common.yes", lang), i18n.t("common.no", lang)
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_bool_dtype(values.dtype) or (
            values.dtype == object and values.map(lambda v: isinstance(v, bool)).any()
        ):
            frame[col] = values.map(
                lambda v: None if v is None or pd.isna(v) else (yes if v else no)
            )
        elif col in ("class", "target"):  # water-quality classes: Ⅲ类, not III
            frame[col] = values.map(
                lambda v: wq.CLASS_LABELS[v].get(lang) if v in wq.CLASS_LABELS else v
            )
        elif pd.api.types.is_datetime64_any_dtype(values.dtype):
            frame[col] = values.dt.strftime("%Y-%m-%d")
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            frame[col] = _translated(values, col, lang, layer)
        if is_rate(col):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").round(1)
        if not pd.api.types.is_numeric_dtype(frame[col].dtype):
            text = frame[col].astype(object)
            frame[col] = text.where(text.notna(), "")  # blank, not "None", on screen
    return frame.rename(columns={c: label(c, lang, layer) for c in frame.columns})


def _translated(values: pd.Series, column: str, lang: str, layer: str | None) -> pd.Series:
    """`value_text` of each value, worked out once per distinct text (layers run to 100k rows)."""
    enum = (
        layer is not None
        and column in get_spec(layer).field_names
        and bool(get_spec(layer).field(column).values)
    )
    texts = {v for v in values.tolist() if isinstance(v, str)}
    wordy = column == "trend" or column.startswith("verdict") or column in ENUM_LAYER
    if not (enum or wordy or TOTAL in texts):
        return values  # free text (names, codes): nothing to translate
    mapping = {v: value_text(column, v, lang, layer) for v in texts}
    if all(k == v for k, v in mapping.items()):
        return values
    return values.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)


def styled(
    frame: pd.DataFrame, columns: Sequence[str], *, lang: str, layer: str | None = None
) -> Any:
    """A `labelled` frame (built from `columns`) for ``st.dataframe``: rates with one decimal,
    counts as integers, a missing number as "—" (what the table shows, not what it holds).

    Streamlit draws an empty number cell as "None" whatever the Styler says, so a number column
    with a gap is written as text ("83.3", "—").
    """
    frame = frame.copy()
    formats: dict[str, str] = {}
    for key in columns:
        name = label(key, lang, layer)
        if name not in frame.columns or not pd.api.types.is_numeric_dtype(frame[name].dtype):
            continue
        values = frame[name]
        fmt = "{:.1f}" if is_rate(key) else "{:,.0f}" if _whole(values) else "{:g}"
        if values.isna().any():
            frame[name] = values.map(lambda v, f=fmt: MISSING if pd.isna(v) else f.format(v))
        else:
            formats[name] = fmt
    return frame.style.format(formats, na_rep=MISSING)


def _whole(values: pd.Series) -> bool:
    known = values.dropna()
    return bool(len(known) == 0 or (known == known.round()).all())
