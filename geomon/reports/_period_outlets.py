"""Outlet figures of a period report: in the period and cumulative, by group, overdue.

Cumulative figures (at the period's end) are those of `geomon.analysis.stats.outlet_statistics`,
taken
as they are. Figures *in the period* come from the ledger dates, with the rules of
`geomon.rules.outlets.progress_by_month`: found = ``survey_date`` in the period; traced = the
date traced (``traced_date``, else ``completed_date`` for a rectified outlet) in the period, for
an outlet whose stage is 已溯源 or later; rectified = ``completed_date`` in the period, for an
outlet 整治完成 or later. The ledger has no date of 销号, so closed in the period comes from the
change history: outlets 已销号 at the period's end that were not at its start. That needs the
ledger to have been in the store (with history) before the period began; otherwise it is None.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from geomon.rules import outlets as ro

IN_PERIOD = ("found", "traced", "rectified", "closed")
GROUPS = {"by_district": "district", "by_type": "type_l1", "by_category": "category"}
_OVERDUE_EXTRA = ("type_l1", "category", "receiving_water", "responsible_unit")


def _dates(outlets: pd.DataFrame) -> pd.DataFrame:
    """The date each outlet was found, traced and rectified (NaT when not, or not known)."""
    rectified = ro.is_rectified(outlets["stage"])
    done = pd.to_datetime(outlets["completed_date"]).where(rectified)
    traced = done
    if "traced_date" in outlets.columns:
        traced = pd.to_datetime(outlets["traced_date"]).where(ro.is_traced(outlets["stage"]))
        traced = traced.fillna(done)
    found = pd.to_datetime(outlets.get("survey_date", pd.Series(pd.NaT, index=outlets.index)))
    return pd.DataFrame({"found": found, "traced": traced, "rectified": done})


def in_period_flags(
    outlets: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    closed_before: set[str] | None,
) -> pd.DataFrame:
    """Per outlet (index of `outlets`): 1 if it was found / traced / rectified / closed in
    the period. `closed_before` holds the codes already 已销号 at the start (None: unknown)."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    dates = _dates(outlets)
    flags = pd.DataFrame(index=outlets.index)
    for col in ("found", "traced", "rectified"):
        day = dates[col].dt.normalize()
        flags[col] = ((day >= first) & (day <= last)).fillna(False).astype(int)
    if closed_before is None:
        flags["closed"] = pd.NA
    else:
        closed = ro.is_closed(outlets["stage"]).to_numpy()
        earlier = outlets["code"].astype(object).isin(closed_before).to_numpy()
        flags["closed"] = (closed & ~earlier).astype(int)
    return flags


def _group_counts(outlets: pd.DataFrame, flags: pd.DataFrame, by: str) -> dict[Any, dict]:
    keys = outlets[by].astype(object).where(outlets[by].notna(), ro.UNFILLED)
    out: dict[Any, dict] = {}
    for key, rows in flags.groupby(keys.to_numpy(), sort=False):
        out[key] = {f"{c}_in_period": _count(rows[c]) for c in IN_PERIOD}
    return out


def _count(values: pd.Series) -> int | None:
    if values.isna().any():
        return None
    return int(values.sum())


def outlet_figures(
    doc: dict[str, Any],
    outlets: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    closed_before: set[str] | None,
) -> dict[str, Any]:
    """Outlet figures of the report from `doc` (`geomon.analysis.stats.outlet_statistics` at the
    end).

    ``cumulative`` is ``doc["total"]``; ``in_period`` counts found / traced / rectified / closed
    in the period (closed None when unknown); ``by_district``, ``by_type`` and ``by_category``
    are the stats rows with the in-period counts added (``found_in_period`` …); ``overdue`` is the
    stats list with category, type, receiving water, responsible unit and days overdue (at the
    period's end) added; ``by_month`` and ``milestones`` are those of the stats.
    """
    flags = in_period_flags(outlets, start, end, closed_before)
    groups = {}
    for name, col in GROUPS.items():
        if name not in doc or col not in outlets.columns:
            continue
        counts = _group_counts(outlets, flags, col)
        empty = dict.fromkeys((f"{c}_in_period" for c in IN_PERIOD), 0)
        if closed_before is None:
            empty["closed_in_period"] = None
        groups[name] = [{**row, **counts.get(row[col], empty)} for row in doc[name]]
    by_code = outlets.drop_duplicates("code").set_index("code")
    overdue = []
    for row in doc["overdue"]:
        extra: dict[str, Any] = dict.fromkeys(_OVERDUE_EXTRA)
        if row["code"] in by_code.index:
            rec = by_code.loc[row["code"]]
            extra = {c: _plain(rec.get(c)) for c in _OVERDUE_EXTRA}
        deadline = dt.date.fromisoformat(row["deadline"]) if row.get("deadline") else None
        days = (end - deadline).days if deadline else None
        overdue.append({**row, **extra, "days_overdue": days})
    return {
        "as_of": doc["as_of"],
        "cumulative": dict(doc["total"]),
        "in_period": {c: _count(flags[c]) for c in IN_PERIOD},
        **groups,
        "by_water_body_kind": doc.get("by_water_body_kind", []),
        "overdue": overdue,
        "by_month": doc["by_month"],
        "milestones": doc["milestones"],
        # outlets without a survey date cannot be placed in time: never "found in the period"
        "no_survey_date": int(_dates(outlets)["found"].isna().sum()),
        "citation": doc["citation"],
    }


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value
