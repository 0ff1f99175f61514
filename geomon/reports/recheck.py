"""Re-check after a revision (调整后复核): projects under two versions of the constraint layers.

When red lines or protection zones are revised, every approved or pending project must be
checked again. `recheck` runs the siting check (`geomon.siting.check`) on the store as it was at
two moments, each named by a data version label ("红线 2023 批复版"), a date or ``current``
(`geomon.reports.versions.resolve`), and lists the projects whose verdict, conflicts or overlap
changed, with the values before and after. Each side's sources stamp the data versions used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from geomon import siting
from geomon.reports import versions as gv
from geomon.rules import zones
from geomon.specs import get_spec, layer_names
from geomon.store import Store

TOLERANCE = {
    "overlap_area_m2": 0.01,
    "overlap_length_m": 0.01,
    "overlap_ratio": 1e-6,
    "distance_m": 0.01,
}
"""Smallest difference reported as a change (m², share, m): the precision of the check's JSON."""
_MEASURES = (
    "relation", "overlap_area_m2", "overlap_length_m", "overlap_ratio", "distance_m", "verdict",
)  # fmt: skip
DETAIL_COLUMNS = (
    "project_id", "project_name", "layer", "layer_title", "feature_id", "name", "level",
    "change", *(f"{m}_{side}" for m in _MEASURES for side in ("before", "after")),
)  # fmt: skip
PROJECT_COLUMNS = (
    "id", "name", "verdict_before", "verdict_after", "conflicts_before", "conflicts_after",
    "overlap_before", "overlap_after", "changed", "what",
)  # fmt: skip
CHANGE_LABELS = {"added": "新增涉及", "removed": "不再涉及", "changed": "涉及情况变化"}


def constraint_layers() -> list[str]:
    """The constraint layers a siting check compares projects with (from the layer specs)."""
    return [n for n in layer_names() if get_spec(n).constraint and get_spec(n).is_spatial]


@dataclass(frozen=True)
class RecheckResult:
    """Both checks and what differs between them.

    ``projects``: one row per project (`PROJECT_COLUMNS`): verdicts and conflict counts before
    and after, overlap per layer (``{layer title: m²}``), whether anything changed and what.
    ``details``: one row per project × feature whose conflict appeared, disappeared or changed
    (`DETAIL_COLUMNS`, ``change`` = added / removed / changed).
    """

    before: gv.Moment
    after: gv.Moment
    buffer_m: float
    result_before: siting.SitingResult
    result_after: siting.SitingResult
    projects: pd.DataFrame
    details: pd.DataFrame

    @property
    def changed(self) -> pd.DataFrame:
        """The projects whose verdict, conflicts or overlap changed."""
        return self.projects[self.projects["changed"].to_numpy(dtype=bool)]

    def to_json(self) -> dict[str, Any]:
        """The ``geomon recheck --json`` document (plain JSON values)."""

        def moment(m: gv.Moment, result: siting.SitingResult) -> dict[str, Any]:
            sources = siting.check_json(result)["sources"]
            return {"label": m.label, "at": m.at, "revision": m.revision, "sources": sources}

        return {
            "before": moment(self.before, self.result_before),
            "after": moment(self.after, self.result_after),
            "buffer_m": self.buffer_m,
            "changed": int(self.projects["changed"].sum()),
            "projects": [_json_row(r) for r in self.projects.to_dict("records")],
            "details": [_json_row(r) for r in self.details.to_dict("records")],
        }


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, dict):
            out[k] = {str(a): round(float(b), 2) for a, b in v.items()}
        elif v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)):
            out[k] = None
        elif isinstance(v, float):
            out[k] = round(v, 6 if "ratio" in k else 2)
        else:
            out[k] = v.item() if hasattr(v, "item") else v
    return out


def _keyed(result: siting.SitingResult) -> dict[tuple[Any, str, str], dict[str, Any]]:
    """Conflicts by (project label, layer, feature id or name)."""
    out = {}
    for c in result.conflicts.to_dict("records"):
        fid = c["feature_id"] if isinstance(c["feature_id"], str) else str(c["name"])
        out[(c["project"], c["layer"], fid)] = c
    return out


def _differs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["relation"] != b["relation"] or a["verdict"] != b["verdict"]:
        return True
    return any(abs(float(a[m]) - float(b[m])) > tol for m, tol in TOLERANCE.items())


def _overlap(result: siting.SitingResult, label: Any) -> dict[str, float]:
    """Overlap of one project per layer: area (m²) for a polygon, else length (m) of a line."""
    c = result.conflicts
    mine = c[(c["project"] == label).to_numpy(dtype=bool) & (c["relation"] != "near").to_numpy()]
    out = {}
    for title, rows in mine.groupby("layer_title", sort=False):
        area, length = rows["overlap_area_m2"].sum(), rows["overlap_length_m"].sum()
        if area > 0 or length == 0:
            out[f"{title}（m²）"] = float(area)
        else:
            out[f"{title}（m）"] = float(length)
    return out


def compare(
    before: siting.SitingResult, after: siting.SitingResult
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What differs between two checks of the same projects: (projects, details) frames."""
    old, new = _keyed(before), _keyed(after)
    details = []
    for key in list(old) + [k for k in new if k not in old]:
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None and not _differs(a, b):
            continue
        change = "removed" if b is None else "added" if a is None else "changed"
        ref = b if b is not None else a
        assert ref is not None
        row = {
            "project": key[0],
            "project_id": ref["project_id"],
            "project_name": ref["project_name"],
            "layer": ref["layer"],
            "layer_title": ref["layer_title"],
            "feature_id": ref["feature_id"],
            "name": ref["name"],
            "level": ref["level"],
            "change": change,
        }
        for m in _MEASURES:
            row[f"{m}_before"] = None if a is None else a[m]
            row[f"{m}_after"] = None if b is None else b[m]
        details.append(row)
    detail = pd.DataFrame(details, columns=["project", *DETAIL_COLUMNS], dtype=object)
    rows = []
    for label, p in before.projects.iterrows():
        q = after.projects.loc[label]
        mine = detail[(detail["project"] == label).to_numpy(dtype=bool)]
        what = []
        if p["verdict"] != q["verdict"]:
            what.append(
                f"结论由“{zones.VERDICT_LABELS[p['verdict']].zh}”变为"
                f"“{zones.VERDICT_LABELS[q['verdict']].zh}”"
            )
        for change, label_zh in CHANGE_LABELS.items():
            names = mine.loc[mine["change"] == change, "name"].astype(str).tolist()
            if names:
                what.append(f"{label_zh}：{'、'.join(dict.fromkeys(names))}")
        rows.append(
            {
                "id": p["id"],
                "name": p["name"],
                "verdict_before": p["verdict"],
                "verdict_after": q["verdict"],
                "conflicts_before": int(p["n_conflicts"]),
                "conflicts_after": int(q["n_conflicts"]),
                "overlap_before": _overlap(before, label),
                "overlap_after": _overlap(after, label),
                "changed": bool(what),
                "what": "；".join(what),
            }
        )
    projects = pd.DataFrame(rows, columns=list(PROJECT_COLUMNS), index=before.projects.index)
    return projects, detail.drop(columns="project").reset_index(drop=True)


def recheck(
    projects: gpd.GeoDataFrame,
    store: Store,
    *,
    before: str | dt.date | dt.datetime | None,
    after: str | dt.date | dt.datetime | None,
    buffer_m: float = siting.DEFAULT_BUFFER_M,
) -> RecheckResult:
    """
    Check `projects` against the constraint layers as they were at `before` and at `after`.

    Parameters
    ----------
    projects
        Project footprints, as for `geomon.siting.check`.
    store
        The store holding the constraint layers and their change history.
    before, after
        Data version labels ("红线 2023 批复版"), ISO dates (end of day, Beijing time) or
        date-times, or ``"current"`` / None for the layers as they are now.
    buffer_m
        The attention distance of the siting check (m).

    Raises
    ------
    VersionError
        If `before` or `after` is neither a known version label nor a date.
    """
    layers = constraint_layers()
    moments = [gv.resolve(store, ref, layers) for ref in (before, after)]
    results = [siting.check(projects, gv.StoreAsOf(store, m), buffer_m=buffer_m) for m in moments]
    table, details = compare(*results)
    return RecheckResult(moments[0], moments[1], float(buffer_m), *results, table, details)


def exit_code(result: RecheckResult) -> int:
    """Exit status of ``geomon recheck``: 0 when no project changed, 1 when any did."""
    return 1 if bool(result.projects["changed"].any()) else 0
