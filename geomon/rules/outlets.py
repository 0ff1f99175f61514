"""Outlet rules: workflow stages, overdue, progress against milestones, the code parser.

The vocabulary (stages, categories, the HJ 1312-2023 type hierarchy, milestones, code segments)
is data in ``outlets.toml`` beside this module; this code only interprets it. The HJ 1235-2021
code structure is unverified (DOMAIN.md §2.3), so the parser is table-driven and only the
GB/T 2260 district segment and uniqueness are treated as certain (errors); everything else it
finds is a warning.

The table is loaded by `geomon.rules._outlets_toml` and the code parser lives in
`geomon.rules.outlet_codes`; their public names are re-exported here.

Shares are percentages with one decimal, rounded half to even on the exact fraction
(110 of 113 → 97.3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd

from geomon import times
from geomon.rules._outlets_toml import RULES_FILE, Milestone, OutletRules, Segment, load_rules
from geomon.rules.outlet_codes import CodeProblem, parse_code

__all__ = [
    "RULES_FILE",
    "UNFILLED",
    "CodeProblem",
    "Milestone",
    "OutletRules",
    "Segment",
    "is_closed",
    "is_overdue",
    "is_rectified",
    "is_traced",
    "load_rules",
    "milestone_status",
    "parse_code",
    "pct",
    "progress",
    "progress_by_month",
]

UNFILLED = "（未填）"  # group label for a blank grouping value


def pct(part: int, whole: int) -> float | None:
    """Return ``100 * part / whole`` with one decimal (half to even, exact), None if `whole` is 0.

    Examples
    --------
    >>> pct(110, 113), pct(5, 6), pct(1, 0)
    (97.3, 83.3, None)
    """
    if whole == 0:
        return None
    share = Decimal(100 * int(part)) / Decimal(int(whole))
    return float(share.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


# ------------------------------------------------------------------------------ workflow


def _at_least(stages: pd.Series, stage: str, rules: OutletRules) -> pd.Series:
    rank = {s: i for i, s in enumerate(rules.stages)}
    codes, uniques = pd.factorize(stages, use_na_sentinel=True)  # rank each distinct stage once
    ranks = np.array([rank.get(u, -1) for u in uniques.tolist()] + [-1], dtype=np.int64)
    return pd.Series(ranks[codes] >= rank[stage], index=stages.index)


def is_traced(stages: pd.Series, rules: OutletRules | None = None) -> pd.Series:
    """Outlets whose stage is 已溯源 or later (an unknown or blank stage is not)."""
    rules = rules or load_rules()
    return _at_least(stages, rules.traced_from, rules).rename("traced")


def is_rectified(stages: pd.Series, rules: OutletRules | None = None) -> pd.Series:
    """Outlets whose stage is 整治完成 or later (完成整治)."""
    rules = rules or load_rules()
    return _at_least(stages, rules.rectified_from, rules).rename("rectified")


def is_closed(stages: pd.Series, rules: OutletRules | None = None) -> pd.Series:
    """Outlets that are 已销号."""
    rules = rules or load_rules()
    return _at_least(stages, rules.closed_from, rules).rename("closed")


def _as_of(as_of: dt.date | str | None) -> pd.Timestamp:
    return pd.Timestamp(times.today() if as_of is None else as_of).normalize()


def is_overdue(outlets: pd.DataFrame, as_of: dt.date | str | None = None) -> pd.Series:
    """Deadline passed and not rectified (DOMAIN.md §2.4).

    "Passed" means the deadline is strictly before `as_of` (default: today), so an outlet due
    on 2023-06-30 is not overdue on that day. No deadline, never overdue.
    """
    deadline = pd.to_datetime(outlets["deadline"])
    late = (deadline < _as_of(as_of)).fillna(False).to_numpy(dtype=bool)
    return pd.Series(late & ~is_rectified(outlets["stage"]).to_numpy(), index=outlets.index).rename(
        "overdue"
    )


_COUNTS = ("total", "traced", "rectified", "closed", "overdue")


def outlet_flags(outlets: pd.DataFrame, as_of: dt.date | str | None) -> pd.DataFrame:
    """Per outlet 0/1: total, traced, rectified, closed, overdue at `as_of` (what `progress`
    counts)."""
    return pd.DataFrame(
        {
            "total": 1,
            "traced": is_traced(outlets["stage"]).astype(int),
            "rectified": is_rectified(outlets["stage"]).astype(int),
            "closed": is_closed(outlets["stage"]).astype(int),
            "overdue": is_overdue(outlets, as_of).astype(int),
        },
        index=outlets.index,
    )


def progress(
    outlets: pd.DataFrame,
    *,
    by: str | None = None,
    as_of: dt.date | str | None = None,
    flags: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count outlets traced, rectified, closed and overdue, with shares (%, one decimal).

    One row per value of `by` (e.g. ``"district"``, ``"type_l1"``, ``"category"``,
    ``"receiving_water"``; blanks grouped as ``（未填）``) followed by a ``合计`` (total) row, or
    only the total when `by` is None. Columns: total, traced, rectified, closed, overdue,
    traced_pct, rectified_pct, closed_pct. `as_of` (default today) decides what is overdue.
    `flags` (`outlet_flags` of the same outlets and date) saves computing them again.
    """
    flags = outlet_flags(outlets, as_of) if flags is None else flags
    total = flags.sum().to_frame("合计").T
    if by is not None:
        keys = outlets[by].astype(object).where(outlets[by].notna(), UNFILLED)
        table = pd.concat([flags.groupby(keys, sort=True).sum(), total])
    else:
        table = total
    table = table.astype(dict.fromkeys(_COUNTS, "int64"))
    table.index.name = by or "scope"
    for col in ("traced", "rectified", "closed"):
        table[f"{col}_pct"] = [pct(p, w) for p, w in zip(table[col], table["total"], strict=True)]
    return table


def progress_by_month(outlets: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """Cumulative outlets traced and rectified by the end of each month (``"2023-01"`` …).

    An outlet counts from the month of its ``traced_date`` (traced) or ``completed_date``
    (rectified) if its stage says it got there. A rectified outlet without a ``traced_date`` is
    counted as traced from its ``completed_date`` (rectification needs a known source); any other
    outlet without the date cannot be placed in time and is left out, so the last month can be
    below `progress`. Shares are of all outlets in the frame.
    """
    rectified = is_rectified(outlets["stage"])
    traced_ok = is_traced(outlets["stage"])
    done = pd.to_datetime(outlets["completed_date"]).where(rectified)
    if "traced_date" in outlets.columns:
        traced = pd.to_datetime(outlets["traced_date"]).where(traced_ok)
        traced = traced.fillna(done)
    else:
        traced = done
    total = len(outlets)
    rows = []
    for month in months:
        end = pd.Period(month, "M").end_time
        n_traced = int((traced <= end).sum())
        n_done = int((done <= end).sum())
        rows.append(
            {
                "month": str(pd.Period(month, "M")),
                "total": total,
                "traced": n_traced,
                "rectified": n_done,
                "traced_pct": pct(n_traced, total),
                "rectified_pct": pct(n_done, total),
            }
        )
    return pd.DataFrame(
        rows, columns=["month", "total", "traced", "rectified", "traced_pct", "rectified_pct"]
    )


def milestone_status(
    outlets: pd.DataFrame, *, as_of: dt.date | str | None = None
) -> list[dict[str, object]]:
    """Each national milestone (outlets.toml) with the current shares and whether they meet it.

    ``due`` says whether the milestone date has been reached at `as_of` (default today).
    """
    rules = load_rules()
    total = progress(outlets, as_of=as_of).iloc[0]
    traced, rectified = total["traced_pct"], total["rectified_pct"]
    when = _as_of(as_of)
    return [
        {
            "milestone": m.label.zh,
            "milestone_en": m.label.en,
            "date": m.date.isoformat(),
            "due": bool(when >= pd.Timestamp(m.date)),
            "traced_pct": traced,
            "traced_target": m.traced_pct,
            "rectified_pct": rectified,
            "rectified_target": m.rectified_pct,
            "met": traced is not None
            and rectified is not None
            and bool(traced >= m.traced_pct and rectified >= m.rectified_pct),
            "citation": m.citation,
        }
        for m in rules.milestones
    ]
