"""Section classes over a period and the target flags (GB 3838-2002, 2011 method).

Periods (a year, a month or inclusive dates), the per-section targets and water bodies of the
sections layer, each section's class on its period means (`section_results`) and those results
as flag columns on the layer (`section_flags`). Also importable from `geomon.analysis.compliance`.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from geomon import frames
from geomon.errors import WaterQualityError
from geomon.rules import water_quality as wq

Period = tuple[Any, Any] | str | None
"""A period: None (all data), ``"2023"``, ``"2023-03"``, or inclusive ``(start, end)`` dates."""
SECTION_CITATION = f"{wq.CITATION_GB3838}; {wq.CITATION_2011}"


def period_bounds(
    period: Period, dates: pd.Series | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last day of `period` (both inclusive, midnight timestamps).

    None means the span of `dates`; ``"2023"`` a year; ``"2023-03"`` a month; a pair is
    ``(start, end)`` inclusive.

    Examples
    --------
    >>> [str(t.date()) for t in period_bounds("2023-02")]
    ['2023-02-01', '2023-02-28']
    """
    if period is None:
        if dates is None or pd.to_datetime(dates).dropna().empty:
            msg = "`period` is None and there are no dates to take it from."
            raise WaterQualityError(msg)
        stamps = pd.to_datetime(dates).dropna()
        return stamps.min().normalize(), stamps.max().normalize()
    if isinstance(period, str | int):
        text = str(period).strip()
        freq = "Y" if len(text) == 4 else "M" if len(text) == 7 else "D"
        span = pd.Period(text, freq)
        return span.start_time.normalize(), span.end_time.normalize()
    start, end = (pd.Timestamp(p).normalize() for p in period)
    if end < start:
        msg = f"`period` ends ({end.date()}) before it starts ({start.date()})."
        raise WaterQualityError(msg)
    return start, end


def select_period(monitoring: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Rows of `monitoring` whose ``date`` falls in `period` (whole days, inclusive)."""
    start, end = period_bounds(period, monitoring["date"])
    days = pd.to_datetime(monitoring["date"]).dt.normalize()
    return monitoring[((days >= start) & (days <= end)).to_numpy(dtype=bool)]


def _cells(frame: pd.DataFrame, column: str) -> list[Any]:
    """The cells of `column` as a list (None for each row without the column).

    A list because iterating an Arrow string column directly is slow (~2 µs a cell).
    """
    if column not in frame.columns:
        return [None] * len(frame)
    return frame[column].to_numpy(dtype=object).tolist()


_LAKE_KINDS = ("湖库", "湖泊", "水库")  # layers/sections.toml water_body_type (and aliases)
_SECTION_ATTRS = ("name", "river", "basin", "control_level", "district", "water_body_type")


def section_settings(sections: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """Targets (non-blank ``target_class``) and water bodies per section code of the layer.

    Water bodies are ``"lake"`` for 湖库 sections (lake TP limits) and ``"river"`` otherwise.
    """
    codes = sections["code"].to_numpy(dtype=object).tolist()
    targets, kinds = _cells(sections, "target_class"), _cells(sections, "water_body_type")
    return (
        {c: str(t).strip() for c, t in zip(codes, targets, strict=True) if frames.text(t)},
        {
            c: "lake" if frames.text(k) in _LAKE_KINDS else "river"
            for c, k in zip(codes, kinds, strict=True)
        },
    )


_RESULT_COLUMNS = [
    "section_code",
    "class",
    "water_body",
    "status",
    "target",
    "meets_target",
    "limiting",
    "not_assessed",
    "main_pollutants",
    "exceedances",
    "params",
]


def section_results(
    sections: pd.DataFrame,
    monitoring: pd.DataFrame,
    *,
    period: Period = None,
    rounded: bool = True,
    against: Literal["III", "target"] = "III",
) -> pd.DataFrame:
    """Classify every section on its means over `period` (GB 3838-2002, 2011 method).

    Targets come from the sections layer (``target_class``), else from the monitoring
    ``target`` column; lakes and reservoirs (``water_body_type`` 湖库) use the lake limits. Means
    are rounded per 82号 unless ``rounded=False``. One row per section of the layer (in layer
    order), then any monitored section missing from the layer; a section without data has class
    None (not assessed). Columns: the `classify_period` columns plus name, river, basin,
    control_level, district from the layer.
    """
    targets, bodies = section_settings(sections)
    data = select_period(monitoring, period) if len(monitoring) else monitoring
    if len(data):
        results = wq.classify_period(
            data, rounded=rounded, targets=targets, water_bodies=bodies, against=against
        )
    else:
        # no samples in the period: every section is "not assessed", with the same columns
        results = pd.DataFrame(columns=_RESULT_COLUMNS)
    codes = sections["code"].astype(object).tolist()
    known = set(codes)
    extra = [c for c in results["section_code"] if c not in known]
    merged = pd.DataFrame({"section_code": codes + extra}, dtype=object).merge(
        results, on="section_code", how="left"
    )
    merged = merged.astype(object).where(merged.notna(), None)
    unassessed = merged["water_body"].isna()
    merged.loc[unassessed, "water_body"] = merged.loc[unassessed, "section_code"].map(bodies)
    merged.loc[unassessed, "target"] = [
        wq.parse_class(targets[c]) if c in targets else None
        for c in merged.loc[unassessed, "section_code"]
    ]
    attrs = [c for c in _SECTION_ATTRS if c in sections.columns]
    layer = (
        sections[["code", *attrs]].drop_duplicates("code").rename(columns={"code": "section_code"})
    )
    merged = merged.merge(layer.astype(object), on="section_code", how="left")
    return merged.astype(object).where(merged.notna(), None)


def exceedance_text(exceedances: object) -> str | None:
    """Write exceedances for people: ``"氨氮 超标1.3倍、总磷 超标0.6倍"`` (name and 超标倍数).

    Bureau tables abbreviate this as ``氨氮/1.3``; spelled out, a reader need not know the code.
    """
    if not isinstance(exceedances, tuple | list) or not exceedances:
        return None
    return frames.join([f"{wq.ITEMS[e.parameter].name} 超标{e.multiple:g}倍" for e in exceedances])


@functools.lru_cache(maxsize=256)
def _meets(klass: Any, target: str | None) -> bool | None:
    """`wq.meets`, None without a class or a target (cached: few pairs, many sections)."""
    return None if klass is None or pd.isna(klass) or target is None else wq.meets(klass, target)


@functools.lru_cache(maxsize=4096)
def _pollutant_names(keys: tuple[str, ...]) -> str | None:
    """The main pollutants' Chinese names, joined (cached: few combinations, many sections)."""
    return frames.join([wq.ITEMS[p].name for p in keys])


def section_flags(sections: gpd.GeoDataFrame, results: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return `sections` with their period class and target flags added (same index, new frame).

    Added columns: ``class``, ``status``, ``target``, ``meets_target`` (None without a class or
    a target), ``fails_target`` (class worse than the target), ``no_target`` (no target class in
    the layer or the data), ``main_pollutants`` (Chinese item names) and ``exceedances``
    (``"氨氮 超标1.3倍"``, 超标倍数 against class III), from `section_results`.
    """
    out = sections.copy()
    by_code = results.set_index("section_code")
    codes = out["code"].astype(object)

    where = by_code.index.get_indexer(codes) if by_code.index.is_unique else None

    def pick(col: str) -> list[Any]:
        if col not in by_code.columns:
            return [None] * len(out)
        if where is None:  # a code twice in the results: look each up (the old way)
            return [by_code.at[c, col] if c in by_code.index else None for c in codes]
        values = by_code[col].to_numpy(dtype=object)
        return [values[i] if i >= 0 else None for i in where]

    klass = pick("class")
    out["class"] = pd.Series(klass, index=out.index, dtype=object)
    out["status"] = pd.Series(pick("status"), index=out.index, dtype=object)
    target = [
        t if frames.text(t) else (wq.parse_class(s) if frames.text(s) else None)
        for t, s in zip(pick("target"), _cells(out, "target_class"), strict=True)
    ]
    out["target"] = pd.Series(target, index=out.index, dtype=object)
    meets = [_meets(k, t) for k, t in zip(klass, target, strict=True)]
    out["meets_target"] = pd.array(meets, dtype="boolean")
    out["fails_target"] = [m is False for m in meets]
    out["no_target"] = [t is None for t in target]
    names = [
        _pollutant_names(tuple(mp)) if isinstance(mp, tuple | list) else None
        for mp in pick("main_pollutants")
    ]
    out["main_pollutants"] = pd.Series(names, index=out.index, dtype=object)
    out["exceedances"] = pd.Series(
        [
            exceedance_text(e) if isinstance(e, tuple | list) and e else None
            for e in pick("exceedances")
        ],
        index=out.index,
        dtype=object,
    )
    return out
