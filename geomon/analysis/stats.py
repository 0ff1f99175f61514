"""Statistics for dashboards, reports and the CLI: section shares, river status, outlet progress.

Everything here aggregates what the rules modules decide; nothing re-implements them:

- section classes over a period: `geomon.analysis.compliance.section_results` (GB 3838-2002
  表1, 2011 method, means rounded per 环办监测函〔2020〕82号);
- 优良比例 / 劣V比例 / 达标 counts: `geomon.rules.water_quality.network_shares`;
- river and basin status (mean method under 5 sections, proportion method from 5):
  `geomon.rules.water_quality.river_status`;
- outlet progress and milestones: `geomon.rules.outlets`; the overdue list:
  `geomon.analysis.compliance.overdue`.

Shares are percentages with one decimal (5 of 6 → 83.3). The JSON builders return plain
``dict``/``list``/``str``/``float``/``bool``/``None`` values, ready for `json.dumps`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from geomon import times
from geomon.analysis import compliance
from geomon.errors import WaterQualityError
from geomon.rules import outlets as ro
from geomon.rules import water_quality as wq
from geomon.specs import get_spec

WaterBody = Literal["river", "lake"]


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy → Python, NaN/NA → None, timestamps → ISO dates."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


# ------------------------------------------------------------------------------ classify


def _canonical_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename Chinese or alias headers (layers/monitoring.toml) to the field names."""
    spec = get_spec("monitoring")
    names: dict[str, str] = {}
    for fspec in spec.fields:
        for header in fspec.headers:
            names.setdefault(header, fspec.name)
    renamed = {
        c: names[str(c).strip()]
        for c in frame.columns
        if str(c).strip() in names and names[str(c).strip()] not in frame.columns
    }
    return frame.rename(columns=renamed)


_RESULT_COLUMNS = (
    *("section_code", "period", "class", "meets_target", "target", "limiting", "params"),
    *("exceedances", "status", "water_body", "not_assessed", "main_pollutants"),
)


def classify_file(
    frame: pd.DataFrame,
    *,
    water_body: WaterBody | None = None,
    period: Literal["month", "all"] = "month",
    sections: pd.DataFrame | None = None,
    rounded: bool = True,
    against: Literal["III", "target"] = "III",
) -> pd.DataFrame:
    """Classify a monitoring table per section and period (what ``geomon classify`` prints).

    `frame` has ``section_code``, ``date`` and one column per parameter (GB 3838 表1 keys, the
    Chinese names or the aliases of layers/monitoring.toml). ``period="month"`` gives one result
    per section per calendar month (``period`` = ``"2023-01"``); ``"all"`` one per section over
    the whole file (``period`` = ``"2023-01-10/2023-06-15"``, the file's first and last sampling
    dates). Means are rounded per 82号 unless ``rounded=False``.

    Targets come from the frame's ``target`` column, else from `sections` (``target_class``).
    `water_body` applies to every section; None takes each section's ``water_body_type`` from
    `sections` (湖库 → lake limits) and river otherwise.
    """
    data = _canonical_columns(frame)
    missing = [c for c in ("section_code", "date") if c not in data.columns]
    if missing:
        msg = f"The monitoring table has no {missing} column(s); name them 断面编码 and 采样日期."
        raise WaterQualityError(msg)
    data = data.assign(date=pd.to_datetime(data["date"], errors="coerce"))
    if data["date"].isna().any():
        bad = data.loc[data["date"].isna()].index.tolist()[:5]
        msg = f"Rows {bad} have no valid sampling date."
        raise WaterQualityError(msg)
    layer_targets, layer_bodies = (
        compliance.section_settings(sections) if sections is not None else ({}, {})
    )
    has_target = set()
    if "target" in data.columns:
        has_target = set(data.loc[data["target"].notna(), "section_code"])
    targets = {c: t for c, t in layer_targets.items() if c not in has_target}
    bodies = {} if water_body is not None else layer_bodies
    if period == "month":
        months = data["date"].dt.to_period("M")
        groups = [(str(m), data[months == m]) for m in sorted(months.unique())]
    elif period == "all":
        first, last = data["date"].min(), data["date"].max()
        groups = [(f"{first.date().isoformat()}/{last.date().isoformat()}", data)]
    else:
        msg = f"`period` must be 'month' or 'all', got {period!r}."
        raise WaterQualityError(msg)
    parts = []
    for label, subset in groups:
        result = wq.classify_period(
            subset,
            water_body=water_body or "river",
            rounded=rounded,
            targets=targets,
            water_bodies=bodies,
            against=against,
        )
        parts.append(result.assign(period=label))
    if not parts:
        return pd.DataFrame(columns=list(_RESULT_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    return out[list(_RESULT_COLUMNS)]


def _result_json(rec: Mapping[str, Any]) -> dict[str, Any]:
    params = rec.get("params") or {}
    return {
        "section_code": _plain(rec.get("section_code")),
        "period": _plain(rec.get("period")),
        "class": _plain(rec.get("class")),
        "meets_target": _plain(rec.get("meets_target")),
        "target": _plain(rec.get("target")),
        "limiting": list(rec.get("limiting") or ()),
        "params": {
            k: {"value": _plain(p.value), "class": p.klass, "role": p.role}
            for k, p in params.items()
        },
        "exceedances": [
            {
                "parameter": e.parameter,
                "value": _plain(e.value),
                "limit": _plain(e.limit),
                "multiple": _plain(e.multiple),
            }
            for e in rec.get("exceedances") or ()
        ],
        "status": _plain(rec.get("status")),
        "water_body": _plain(rec.get("water_body")),
        "main_pollutants": list(rec.get("main_pollutants") or ()),
        "not_assessed": list(rec.get("not_assessed") or ()),
    }


def classify_json(results: pd.DataFrame) -> dict[str, Any]:
    """The JSON of ``geomon classify --json`` from `classify_file` (or `classify_period`) rows.

    ``{"results": [{"section_code", "period", "class", "meets_target", "target", "limiting",
    "params": {param: {"value", "class", "role"}}, "exceedances": [{"parameter", "value",
    "limit", "multiple"}], "status", "water_body", "main_pollutants", "not_assessed"}]}``;
    ``class`` is one of "I" "II" "III" "IV" "V" "劣V" (None when no assessed item is present).
    """
    return {"results": [_result_json(rec) for rec in results.to_dict("records")]}


# ------------------------------------------------------------------------------ sections


def _level_order(field: str, layer: str = "sections") -> list[str]:
    try:
        return [v.value for v in get_spec(layer).field(field).values]
    except (KeyError, ValueError, LookupError):  # a free-text field has no order
        return []


def _ordered_groups(keys: pd.Series, field: str) -> list[Any]:
    order = _level_order(field)
    present = list(pd.unique(keys.dropna()))
    known = [k for k in order if k in present]
    return known + sorted(k for k in present if k not in order)


def network_table(results: pd.DataFrame, *, by: str | None = None) -> list[dict[str, Any]]:
    """Shares per group of sections (e.g. ``by="control_level"``: 国控, 省控, 市控).

    One dict per group (or one for all sections when `by` is None): ``sections``, ``assessed``,
    ``good`` / ``good_pct`` (优良, I–III), ``worst`` / ``worst_pct`` (劣V), ``with_target``,
    ``meets_target`` / ``meets_target_pct`` (达标), ``counts`` per class, and the codes of the
    sections ``failing`` their target and those with ``no_target``. From
    `geomon.rules.water_quality.network_shares`.
    """
    groups: Iterable[tuple[Any, pd.DataFrame]]
    if by is None:
        groups = [(None, results)]
    else:
        keys = results[by].astype(object)
        groups = [(k, results[(keys == k).to_numpy(dtype=bool)]) for k in _ordered_groups(keys, by)]
        if keys.isna().any():
            groups.append((ro.UNFILLED, results[keys.isna().to_numpy(dtype=bool)]))
    rows = []
    for key, group in groups:
        classes = [None if c is None or pd.isna(c) else c for c in group["class"]]
        targets = [None if t is None or pd.isna(t) else t for t in group["target"]]
        shares = wq.network_shares(classes, targets=targets)
        with_target = [(c, t) for c, t in zip(classes, targets, strict=True) if c and t]
        meets = sum(wq.meets(c, t) for c, t in with_target)
        failing = [
            code
            for code, c, t in zip(group["section_code"], classes, targets, strict=True)
            if c and t and not wq.meets(c, t)
        ]
        row = {} if by is None else {by: key}
        row.update(
            {
                "sections": len(group),
                "assessed": shares["assessed"],
                "good": sum(n for c, n in shares["counts"].items() if wq.is_good(c)),
                "good_pct": shares["good_pct"],
                "worst": shares["counts"]["劣V"],
                "worst_pct": shares["worst_pct"],
                "with_target": len(with_target),
                "meets_target": meets,
                "meets_target_pct": shares["meets_target_pct"],
                "counts": dict(shares["counts"]),
                "failing": list(failing),
                "no_target": [
                    code
                    for code, c, t in zip(group["section_code"], classes, targets, strict=True)
                    if c and not t
                ],
            }
        )
        rows.append(row)
    return rows


def _exceedance_rates(group: pd.DataFrame) -> list[dict[str, Any]]:
    """Main pollutants of a river: items ranked by 断面超标率 (share of sections worse than III).

    Ties go to the larger mean 超标倍数 (against class III), then GB 3838 table order [M].
    """
    assessed = [r for r in group.to_dict("records") if r.get("class") is not None]
    over: dict[str, list[float]] = {}
    for rec in assessed:
        multiples = {e.parameter: e.multiple for e in rec.get("exceedances") or ()}
        for key, p in (rec.get("params") or {}).items():
            if p.role == "assessed" and p.klass is not None and not wq.is_good(p.klass):
                over.setdefault(key, []).append(multiples.get(key, 0.0))
    order = list(wq.ITEMS)
    ranked = sorted(over, key=lambda k: (-len(over[k]), -float(np.mean(over[k])), order.index(k)))
    return [
        {
            "parameter": k,
            "name": wq.ITEMS[k].name,
            "sections": len(over[k]),
            "rate_pct": ro.pct(len(over[k]), len(assessed)),
        }
        for k in ranked[: wq.TOP_POLLUTANTS]
    ]


def status_table(
    results: pd.DataFrame, means: pd.DataFrame, *, by: str, rounded: bool = True
) -> list[dict[str, Any]]:
    """Qualitative status per river (``by="river"``) or basin (``by="basin"``), 2011 method.

    `means` are the per-section period means (`geomon.rules.water_quality.period_means`,
    indexed by section code) for the mean method under 5 sections. Lakes use the lake limits
    when every section of the group is a lake section.
    """
    rows = []
    keys = results[by].astype(object)
    for key in _ordered_groups(keys, by):
        group = results[(keys == key).to_numpy(dtype=bool)]
        classes = [None if c is None or pd.isna(c) else c for c in group["class"]]
        codes = [c for c, k in zip(group["section_code"], classes, strict=True) if k is not None]
        body: WaterBody = "lake" if (group["water_body"] == "lake").all() else "river"
        status = wq.river_status(
            classes,
            means.loc[[c for c in codes if c in means.index]],
            water_body=body,
            rounded=rounded,
        )
        rows.append(
            {
                by: key,
                "water_body": body,
                "status": status.status,
                "method": status.method,
                "sections": status.sections,
                "good_pct": status.good_pct,
                "worst_pct": status.worst_pct,
                "class": status.klass,
                "main_pollutants": _exceedance_rates(group),
                "citation": status.citation,
            }
        )
    return rows


def section_statistics(
    sections: pd.DataFrame,
    monitoring: pd.DataFrame,
    *,
    period: compliance.Period = None,
    rounded: bool = True,
) -> dict[str, Any]:
    """Section statistics for a month or a cumulative period (see `stats_json` for the shape)."""
    start, end = compliance.period_bounds(period, monitoring.get("date"))
    span = (start, end)
    results = compliance.section_results(sections, monitoring, period=span, rounded=rounded)
    data = compliance.select_period(monitoring, span) if len(monitoring) else monitoring
    means = wq.period_means(data, rounded=rounded) if len(data) else pd.DataFrame()
    failing = results[[m is False for m in results["meets_target"]]]
    return {
        "period": {"start": start.date().isoformat(), "end": end.date().isoformat()},
        "rounded": rounded,
        "citation": compliance.SECTION_CITATION + f"; {wq.CITATION_2020}",
        "total": network_table(results)[0],
        "by_control_level": network_table(results, by="control_level"),
        "by_district": network_table(results, by="district"),
        "by_basin": network_table(results, by="basin"),
        "rivers": status_table(results, means, by="river", rounded=rounded),
        "basins": status_table(results, means, by="basin", rounded=rounded),
        "failing": [
            {
                "section_code": r["section_code"],
                "name": r["name"],
                "control_level": r["control_level"],
                "class": r["class"],
                "target": r["target"],
                "main_pollutants": list(r["main_pollutants"] or ()),
                "exceedances": compliance.exceedance_text(r["exceedances"]),
            }
            for r in failing.to_dict("records")
        ],
    }


# ------------------------------------------------------------------------------ outlets

_OUTLET_GROUPS = {
    "by_water_body_kind": "water_body_kind",
    "by_district": "district",
    "by_river": "receiving_water",
    "by_type": "type_l1",
    "by_type_l2": "type_l2",
    "by_category": "category",
}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """`_plain` records of `frame`, made column by column (dates as ISO days, blanks None)."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d")
        columns.append(values.to_numpy(dtype=object, na_value=None).tolist())
    return [dict(zip(frame.columns, row, strict=True)) for row in zip(*columns, strict=True)]


def _overdue_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Overdue outlets, earliest deadline first (the longest overdue lead the list)."""
    if "deadline" in frame.columns:
        frame = frame.sort_values("deadline", kind="stable")
    return frame.reset_index(drop=True)


def _table_rows(table: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    body = table.drop(index="合计", errors="ignore").reset_index(names=key)
    return [_plain(r) for r in body.to_dict("records")]


def _months(outlets: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp) -> list[str]:
    if start is None:
        dates = pd.concat(
            [
                pd.to_datetime(outlets[c])
                for c in ("survey_date", "traced_date", "completed_date")
                if c in outlets.columns
            ]
        ).dropna()
        if dates.empty:
            return []
        start = dates.min()
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def outlet_statistics(
    outlets: pd.DataFrame,
    *,
    as_of: dt.date | str | None = None,
    months: list[str] | None = None,
    overdue_frame: bool = False,
) -> dict[str, Any]:
    """Outlet progress (see `stats_json` for the shape), from `geomon.rules.outlets`.

    With `overdue_frame`, ``overdue`` is a DataFrame (most overdue first) rather than records:
    a nation has ~100k overdue outlets, ~100 MB as Python dicts against ~10 MB as columns."""
    when = pd.Timestamp(as_of or times.today())
    months = months if months is not None else _months(outlets, None, when)
    flags = ro.outlet_flags(outlets, when)  # once, for the total and every grouping
    overdue = outlets[flags["overdue"].to_numpy(dtype=bool)]
    cols = [c for c in ("code", "name", "district", "stage", "deadline") if c in outlets.columns]
    return {
        "as_of": when.date().isoformat(),
        "total": _plain(ro.progress(outlets, as_of=when, flags=flags).to_dict("records")[0]),
        **{
            name: _table_rows(ro.progress(outlets, by=col, as_of=when, flags=flags), col)
            for name, col in _OUTLET_GROUPS.items()
            if col in outlets.columns
        },
        "by_month": [_plain(r) for r in ro.progress_by_month(outlets, months).to_dict("records")],
        "milestones": [_plain(m) for m in ro.milestone_status(outlets, as_of=when)],
        "overdue": _overdue_rows(overdue[cols]) if overdue_frame else _records(overdue[cols]),
        "citation": ro.load_rules().stage_citation,
    }


def stats_json(
    store: Any,
    *,
    period: compliance.Period = None,
    as_of: dt.date | str | None = None,
) -> dict[str, Any]:
    """The JSON of ``geomon stats``: outlet progress and section statistics from a store.

    `period` (sections): None = all monitoring data, ``"2023-03"``, ``"2023"`` or an inclusive
    ``(start, end)`` pair, e.g. ``("2023-01-01", "2023-06-30")`` for the Jan–Jun cumulative.
    `as_of` (outlets: overdue, milestones) defaults to the period's end when a period is given,
    else today; monthly progress covers the period's months, else every month from the first
    dated outlet record to `as_of`.

    Shape::

        {"outlets": {"as_of", "total": {total, traced, rectified, closed, overdue,
                     traced_pct, rectified_pct, closed_pct},
                     "by_water_body_kind" | "by_district" | "by_river" | "by_type" |
                     "by_type_l2" | "by_category": [{<field>: value, total, …}],
                     "by_month": [{month, total, traced, rectified, traced_pct,
                     rectified_pct}], "milestones": [...], "overdue": [...]},
         "sections": {"period": {"start", "end"}, "rounded", "total": {...},
                      "by_control_level" | "by_district" | "by_basin": [{<field>, sections,
                      assessed, good, good_pct, worst, worst_pct, with_target, meets_target,
                      meets_target_pct, counts, failing, no_target}],
                      "rivers" | "basins": [{<field>, status, method, main_pollutants, …}],
                      "failing": [...]}}

    Percentages have one decimal (83.3). A layer missing from the store gives ``None``.
    """
    outlets = store.read("outlets")
    sections = store.read("sections")
    monitoring = store.read("monitoring")
    span = None
    if period is not None or len(monitoring):
        span = compliance.period_bounds(period, monitoring.get("date"))
    when = as_of or (span[1].date() if period is not None and span else None)
    months = None
    if period is not None and span is not None:
        months = [str(p) for p in pd.period_range(span[0], span[1], freq="M")]
    return {
        "outlets": None
        if outlets is None or outlets.empty
        else outlet_statistics(outlets, as_of=when, months=months),
        "sections": None
        if sections is None or sections.empty or span is None
        else _plain(section_statistics(sections, monitoring, period=span)),
    }
