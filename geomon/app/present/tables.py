"""Tables for people: columns renamed to their labels (``col.*`` strings, else spec labels)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from geomon.app import i18n
from geomon.rules import water_quality as wq
from geomon.specs import get_spec


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
        if not pd.api.types.is_numeric_dtype(frame[col].dtype):
            text = frame[col].astype(object)
            frame[col] = text.where(text.notna(), "")  # blank, not "None", on screen
    return frame.rename(columns={c: label(c, lang, layer) for c in frame.columns})
