"""Siting check (三线一单 分析比对): what a proposed project touches, by how much, and the verdict.

`check` compares projects with ecological red lines, drinking-water source protection zones
(一级/二级/准), 三线一单 control units and any other layer the specs mark as a constraint. For each
conflict it gives the relation (inside / overlaps / near), overlap area and share, minimum
distance, and the rule that applies with its citation (`geomon.rules.zones`). Areas and distances
are in metres on the CGCS2000 3° Gauss–Krüger plane of each project's own zone (``area_m2``,
``overlap_area_m2``, ``distance_m``, what MEE asks for in 三线一单 work) and geodesically on the
CGCS2000 ellipsoid (``*_geodesic_m*``).

`check_json` gives the ``geomon check --json`` shape and `exit_code` its exit status;
`load_projects` reads a project file of any supported format and `checkable` is the one rule for
what may be checked (the app's siting page and ``geomon check``/``recheck`` both use it).
Reports: `geomon.reports`.

Checking project after project against the same layer frames is cheap: each frame's spatial
index is built at its first check and reused while the frame lives and keeps exactly the same
geometries (`geomon.siting._index`); editing a frame's geometry gets it a new index, and its
attributes are read afresh at every check.

Against a store, a store that can measure in place (``measure_near``: the PostGIS store, SQL in
`geomon.store._siting_pg`) measures up to ``_check.STORE_MEASURES_UP_TO`` projects itself and
returns the columns `measure.measure_pairs` gives (`measure.pair_columns` turns both sides' raw
figures into them); other stores, and larger batches, are read near the projects
(``read_bbox``) and measured here. The verdicts of a few conflicts are judged as plain records
(`geomon.rules.zones.apply_rules_to_records`), of many by the rule table's vectorised masks.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from geomon import validate as gvalidate
from geomon.io.read import CRSLike, Source, read
from geomon.siting._check import DEFAULT_BUFFER_M, LayerSource, SitingResult, check
from geomon.siting._columns import (
    COLUMN_LABELS,
    CONFLICT_COLUMNS,
    METHOD_NOTE_ZH,
    METHODS,
    PROJECT_COLUMNS,
)

__all__ = [
    "COLUMN_LABELS",
    "CONFLICT_COLUMNS",
    "DEFAULT_BUFFER_M",
    "METHODS",
    "METHOD_NOTE_ZH",
    "PROJECT_COLUMNS",
    "LayerSource",
    "SitingResult",
    "check",
    "check_json",
    "checkable",
    "exit_code",
    "load_projects",
]

# JSON keys of a conflict, in order: the contract of `geomon check --json` first, extras after.
_CONFLICT_KEYS = (
    "layer", "feature_id", "name", "level", "relation", "overlap_area_m2", "overlap_ratio",
    "distance_m", "rule",
)  # fmt: skip
_CONFLICT_EXTRAS = (
    "verdict", "rule_id", "reason_zh", "reason_en", "overlap_area_geodesic_m2",
    "overlap_length_m", "overlap_length_geodesic_m", "distance_geodesic_m", "metric_crs",
    "layer_title", "allowed_item",
)  # fmt: skip
_DIGITS = {"overlap_ratio": 6}  # everything else measured is rounded to 0.01 m or m²


def _value(key: str, value: Any) -> Any:
    """A JSON-safe value: missing → None, floats rounded, numpy scalars → Python."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return round(value, _DIGITS.get(key, 2)) if math.isfinite(value) else None
    return value


def check_json(result: SitingResult) -> dict[str, Any]:
    """
    Return the ``geomon check --json`` document for `result`.

    Shape (kept stable; other tools rely on it): ``{"projects": [{"id", "name", "verdict",
    "area_m2", "conflicts": [{"layer", "feature_id", "name", "level", "relation",
    "overlap_area_m2", "overlap_ratio", "distance_m", "rule"}]}]}``. ``rule`` is the citation of
    the rule that applies. Extra keys sit beside these: per conflict the verdict, rule id,
    reasons, geodesic figures and GK CRS; per project the geodesic area, lengths, reasons and
    GK CRS; at the top ``buffer_m``, ``methods`` (which figure is measured how), ``sources``
    (per constraint layer: rows, source file, import time, version label, store revision: the
    data versions the verdicts rest on).
    """
    conflicts = result.conflicts
    by_project = dict(iter(conflicts.groupby("project", sort=False))) if len(conflicts) else {}
    projects = []
    for label, row in result.projects.iterrows():
        mine = by_project.get(label, conflicts.iloc[:0])
        items = []
        for _, c in mine.iterrows():
            item = {k: _value(k, c[k if k != "rule" else "citation"]) for k in _CONFLICT_KEYS}
            item |= {k: _value(k, c[k]) for k in _CONFLICT_EXTRAS}
            items.append(item)
        projects.append(
            {
                "id": _value("id", row["id"]),
                "name": _value("name", row["name"]),
                "verdict": row["verdict"],
                "area_m2": _value("area_m2", row["area_m2"]),
                "conflicts": items,
                "area_geodesic_m2": _value("area_geodesic_m2", row["area_geodesic_m2"]),
                "length_m": _value("length_m", row["length_m"]),
                "length_geodesic_m": _value("length_geodesic_m", row["length_geodesic_m"]),
                "metric_crs": row["metric_crs"],
                "kind": _value("kind", row["kind"]),
                "activity": _value("activity", row["activity"]),
                "discharges_wastewater": _value("d", row["discharges_wastewater"]),
                "reason_zh": row["reason_zh"],
                "reason_en": row["reason_en"],
            }
        )
    return {
        "projects": projects,
        "buffer_m": result.buffer_m,
        "methods": dict(METHODS),
        "rules_version": result.rules_version,
        "sources": [
            {
                "layer": s.layer,
                "rows": s.rows,
                "source": s.source,
                "imported_at": s.imported_at,
                "version": s.version,
                "stored": s.stored,
                "revision": s.revision,
            }
            for s in result.sources
        ],
    }


def exit_code(result: SitingResult) -> int:
    """Exit status of ``geomon check``: 0 when every project is clear, 1 when any is not."""
    return 0 if (result.projects["verdict"] == "clear").all() else 1


def load_projects(
    source: Source,
    *,
    crs: CRSLike | None = None,
    filename: str | None = None,
) -> gvalidate.Validated:
    """
    Read and type a project file (zipped Shapefile, GeoJSON, KML, GPKG, CSV/XLSX coordinates).

    Coordinates come back in EPSG:4326 (`crs` overrides the file's own: GCJ-02, GK zones, …).
    Invalid geometries are repaired with ``make_valid`` (reported as warnings). Bad attribute
    values become missing and are reported; `check` treats missing values conservatively.

    Raises
    ------
    ReadError
        If the file cannot be read at all (``geomon check`` exits 2).
    """
    frame, report = read(source, "projects", crs, filename=filename)
    return gvalidate.validate(frame, "projects", make_valid=True, report=report)


def checkable(checked: gvalidate.Validated, *, path: str | None = None) -> pd.DataFrame:
    """
    The projects of a read project file, if they may be checked: the app's and the CLI's rule.

    A file is checked only when no row has an error: every project has what ``layers/projects.toml``
    requires (its id 项目编号 and name 项目名称, a usable geometry). A verdict on a project that
    cannot be named is no use in a report, so nothing of such a file is checked. Warnings (a
    repaired geometry, an unknown column) do not stop the check.

    Raises
    ------
    ValidationError
        Carrying the report (with `path` as its file), its message naming the file, the number of
        bad rows and the first one's row, field and reason (``geomon check`` exits 2).
    """
    if path is not None:
        checked.report.path = path
    checked.report.raise_if_invalid()
    return checked.frame
