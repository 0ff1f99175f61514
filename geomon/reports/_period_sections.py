"""Section figures of a period report: classes now and in the previous period, shares, changes.

Classes are those of `geomon.analysis.compliance.section_results` (GB 3838-2002, 2011 method, means
rounded per 82号), shares those of `geomon.analysis.stats.section_statistics`; nothing is re-decided
here. The trend of a network between two periods follows DOMAIN.md §1.3 (marked [M] there): with
ΔG the change of the Ⅰ–Ⅲ share and ΔD that of the 劣Ⅴ share, in percentage points, the sign of
ΔG − ΔD gives the direction; |ΔG − ΔD| ≤ 10 is 无明显变化, up to 20 有所好转/变差, above 20 明显
好转/变差. A section's class change counts the 2011 status levels it crosses (优, 良好, 轻度 …):
one level 有所, two or more 明显.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geomon.analysis import compliance
from geomon.rules import water_quality as wq

TREND_CITATION = "《地表水环境质量评价办法（试行）》水质变化趋势方法（ΔG−ΔD 法；阈值待核实）"
TREND_STEPS = (10.0, 20.0)  # percentage points: ≤ 10 no clear change, ≤ 20 some, > 20 clear [M]
TOTAL = "合计"
_LEVELS = list(dict.fromkeys(wq.STATUS[c] for c in wq.CLASSES))  # 优, 良好, 轻度 … 重度污染


def trend(delta_good: float | None, delta_worst: float | None) -> str | None:
    """The 2011-method trend wording for ΔG and ΔD (percentage points); None if unknown.

    Examples
    --------
    >>> trend(5.0, 0.0), trend(-15.0, 0.0), trend(12.5, -10.0)
    ('无明显变化', '有所变差', '明显好转')
    """
    if delta_good is None or delta_worst is None:
        return None
    x = delta_good - delta_worst
    if abs(x) <= TREND_STEPS[0]:
        return "无明显变化"
    degree = "有所" if abs(x) <= TREND_STEPS[1] else "明显"
    return degree + ("好转" if x > 0 else "变差")


def class_change(now: str | None, before: str | None) -> tuple[str | None, int]:
    """``("好转" | "变差" | "持平", status levels crossed)``; ``(None, 0)`` without both classes."""
    if not now or not before:
        return None, 0
    diff = wq.class_rank(now) - wq.class_rank(before)
    levels = abs(_LEVELS.index(wq.STATUS[now]) - _LEVELS.index(wq.STATUS[before]))
    if diff == 0:
        return "持平", 0
    return ("变差" if diff > 0 else "好转"), levels


def _names(items: Any) -> list[str]:
    return [wq.ITEMS[p].name for p in items] if isinstance(items, tuple | list) else []


def section_rows(now: pd.DataFrame, before: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per section: class in the period and the previous one, target, change, items.

    `now` and `before` are `geomon.analysis.compliance.section_results` of the two periods.
    """
    previous = dict(zip(before["section_code"], before["class"], strict=True))
    rows = []
    for r in now.to_dict("records"):
        klass, prev = r.get("class"), previous.get(r["section_code"])
        change, levels = class_change(klass, prev)
        rows.append(
            {
                "section_code": r["section_code"],
                "name": r.get("name"),
                "river": r.get("river"),
                "control_level": r.get("control_level"),
                "district": r.get("district"),
                "target": r.get("target"),
                "class": klass,
                "status": r.get("status"),
                "meets_target": r.get("meets_target"),
                "previous_class": prev,
                "change": change,
                "change_levels": levels,
                "main_pollutants": _names(r.get("main_pollutants")),
                "exceedances": compliance.exceedance_text(r.get("exceedances")),
            }
        )
    return rows


def exceedance_rows(now: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per section × item above its class Ⅲ limit (超标倍数, 2011 method)."""
    rows = []
    for r in now.to_dict("records"):
        for e in r.get("exceedances") or ():
            rows.append(
                {
                    "section_code": r["section_code"],
                    "name": r.get("name"),
                    "control_level": r.get("control_level"),
                    "class": r.get("class"),
                    "target": r.get("target"),
                    "parameter": e.parameter,
                    "item": wq.ITEMS[e.parameter].name,
                    "unit": wq.ITEMS[e.parameter].unit,
                    "value": float(e.value),
                    "limit": float(e.limit),
                    "multiple": float(e.multiple),
                }
            )
    return rows


_SHARE_KEYS = ("sections", "assessed", "good", "good_pct", "worst", "worst_pct", "counts")
_TARGET_KEYS = ("with_target", "meets_target", "meets_target_pct", "failing", "no_target")


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def network_rows(doc: dict[str, Any], before: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Shares per network level (国控, 省控, …) and for all sections, now and before, with trend.

    `doc` and `before` are `geomon.analysis.stats.section_statistics` of the period and of the
    previous
    one (None when that has no monitoring data).
    """
    previous = {}
    if before is not None:
        previous = {r["control_level"]: r for r in before["by_control_level"]}
        previous[TOTAL] = before["total"]
    rows = []
    levels = [(r["control_level"], r) for r in doc["by_control_level"]]
    for level, row in [*levels, (TOTAL, doc["total"])]:
        prev = previous.get(level)
        if prev is not None and not prev["assessed"]:
            prev = None
        d_good = _delta(row["good_pct"], prev["good_pct"] if prev else None)
        d_worst = _delta(row["worst_pct"], prev["worst_pct"] if prev else None)
        rows.append(
            {
                "control_level": level,
                **{k: row[k] for k in _SHARE_KEYS + _TARGET_KEYS},
                "previous": None if prev is None else {k: prev[k] for k in _SHARE_KEYS},
                "delta_good": d_good,
                "delta_worst": d_worst,
                "trend": trend(d_good, d_worst),
            }
        )
    return rows


def changed_rows(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sections whose class differs from the previous period's (both assessed)."""
    return [s for s in sections if s["change"] in ("好转", "变差")]
