"""The siting check: projects × constraint layers → conflicts with verdicts, and a result object."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomon import crs as gcrs
from geomon.errors import CRSError, SitingError, ValidationError
from geomon.messages import message
from geomon.rules import zones
from geomon.siting import _index, _measure
from geomon.siting._columns import CONFLICT_COLUMNS, PROJECT_COLUMNS
from geomon.specs import LayerSpec, get_spec, layer_names

if TYPE_CHECKING:  # siting sits below the store in the layering (DESIGN.md); duck-typed at runtime
    from geomon.store import Store

DEFAULT_BUFFER_M = 500.0


@dataclass(frozen=True, slots=True)
class LayerSource:
    """Where a constraint layer came from, for the report's data-source table."""

    layer: str
    title: str
    rows: int
    source: str | None = None
    imported_at: str | None = None
    version: str | None = None
    stored: bool = True
    revision: int | None = None  # store revision of the layer's data (to reproduce a verdict)


@dataclass(frozen=True)
class SitingResult:
    """
    Everything a siting check found.

    ``projects`` has one row per input project (indexed like the input), ``conflicts`` one row
    per project × feature (column ``project`` is the project's index label), ``project_geometry``
    and ``features`` (the conflicting features) are in EPSG:4326 for maps.
    """

    projects: pd.DataFrame
    conflicts: pd.DataFrame
    project_geometry: gpd.GeoSeries
    features: gpd.GeoDataFrame
    buffer_m: float
    layers: tuple[str, ...]
    sources: tuple[LayerSource, ...]
    rules_version: str


# ------------------------------------------------------------------------------ inputs


def _in_wgs84(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        msg = message(
            f"{what} 没有坐标系；请先用 geomon.crs.to_wgs84 指定来源坐标系",
            f"`{what}` has no CRS; convert it with geomon.crs.to_wgs84(frame, source=...) first",
        )
        raise CRSError(msg)
    if frame.crs.to_epsg() == 4326:
        return frame
    return gcrs.to_wgs84(frame)


def _constraint_layers(layers: Sequence[str] | None, available: Sequence[str] | None) -> list[str]:
    if layers is not None:
        unknown = [name for name in layers if name not in layer_names()]
        if unknown:
            msg = f"`layers`: unknown layer(s) {unknown}; known: {', '.join(layer_names())}"
            raise SitingError(msg)
        if flat := [name for name in layers if not get_spec(name).is_spatial]:
            msg = f"`layers`: {flat} have no geometry and cannot be compared with projects"
            raise SitingError(msg)
        return list(layers)
    names = [n for n in layer_names() if get_spec(n).constraint and get_spec(n).is_spatial]
    return [n for n in names if available is None or n in available]


def _load_layers(
    source: Store | Mapping[str, gpd.GeoDataFrame], layers: Sequence[str] | None
) -> tuple[dict[str, gpd.GeoDataFrame], tuple[LayerSource, ...]]:
    frames: dict[str, gpd.GeoDataFrame] = {}
    sources = []
    if isinstance(source, Mapping):
        for name in _constraint_layers(layers, list(source)):
            frame = source.get(name)
            if frame is not None:
                frames[name] = _in_wgs84(frame, f"layers[{name!r}]")
            spec = get_spec(name)
            rows = len(frames.get(name, ()))
            sources.append(LayerSource(name, spec.title.zh, rows, stored=frame is not None))
    elif callable(getattr(source, "read", None)) and callable(getattr(source, "info", None)):
        # duck-typed: only `read` and `info` of the Store protocol are needed here
        for name in _constraint_layers(layers, None):
            spec, info = get_spec(name), source.info(name)
            frame = source.read(name)
            if len(frame):
                frames[name] = _in_wgs84(frame, name)
            sources.append(
                LayerSource(
                    name,
                    spec.title.zh,
                    len(frame),
                    source=info.source if info else None,
                    imported_at=info.imported_at if info else None,
                    version=info.version if info else None,
                    stored=info is not None,
                    revision=info.revision if info else None,
                )
            )
    else:
        msg = (
            "`store_or_layers` must be a geomon Store or a mapping of layer name → GeoDataFrame, "
            f"got {type(source).__name__}"
        )
        raise TypeError(msg)
    return frames, tuple(sources)


def _project_attributes(projects: gpd.GeoDataFrame) -> pd.DataFrame:
    """The projects' typed attributes (missing ones <NA>; a missing id is the row label)."""
    n, index = len(projects), projects.index
    ids = projects["id"] if "id" in projects else pd.Series(index, index=index)
    ids = ids.astype("string")
    if ids.hasnans:
        ids = ids.fillna(pd.Series(index.astype(str), index=index))
    columns = {"id": ids.array}
    for col in ("name", "kind", "activity"):
        columns[col] = (
            projects[col].astype("string").array
            if col in projects
            else pd.array([pd.NA] * n, dtype="string")
        )
    raw = projects.get("discharges_wastewater")
    try:
        columns["discharges_wastewater"] = (
            raw.astype("boolean").array
            if raw is not None
            else pd.array([pd.NA] * n, dtype="boolean")
        )
    except (TypeError, ValueError) as exc:
        msg = message(
            "discharges_wastewater 必须是 是/否；请先用 geomon.validate.validate 校验项目表",
            "`discharges_wastewater` must be true/false; run geomon.validate.validate on the "
            f"projects first ({exc})",
        )
        raise ValidationError(msg) from exc
    return pd.DataFrame(columns, index=index)


def _check_geometry(projects: gpd.GeoDataFrame, ids: pd.Series) -> np.ndarray:
    geoms = projects.geometry.to_numpy()
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        names = ", ".join(ids[bad].astype(str).tolist()[:5])
        msg = message(
            f"{int(bad.sum())} 个项目没有几何（{names}），无法比对",
            f"{int(bad.sum())} project(s) have no geometry ({names}); cannot check them",
        )
        raise ValidationError(msg)
    invalid = ~shapely.is_valid(geoms)
    geoms = geoms.copy()
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    return np.asarray(geoms, dtype=object)


# ------------------------------------------------------------------------------ the check


Columns = dict[str, np.ndarray]  # one array per column, every array the same length


@dataclass(frozen=True, slots=True)
class _Hits:
    """One layer's conflicts: their columns, and what the map of conflicting features needs."""

    columns: Columns
    shown: dict[str, Any]  # feature id, name and level as the frame holds them (None: no field)
    geoms: np.ndarray  # the layer's geometries, by row position


def _take(frame: gpd.GeoDataFrame, field: str | None, pos: np.ndarray) -> Any:
    """``frame[field].iloc[pos].to_numpy()`` without the intermediate Series (None: no field)."""
    if field is None or field not in frame:
        return None
    return frame[field].array.take(pos).to_numpy()


def _objects(values: Any, n: int) -> np.ndarray:
    """`values` (from `_take`) as an object array; all <NA> when the field is missing."""
    return np.full(n, pd.NA, dtype=object) if values is None else np.asarray(values, dtype=object)


def _layer_conflicts(
    name: str,
    frame: gpd.GeoDataFrame,
    geoms: np.ndarray,
    epsg: np.ndarray,
    buffer_m: float,
    rules: zones.ZoneRules,
) -> _Hits | None:
    """The conflicts of `geoms` with one layer (`None` when there are none).

    The layer's spatial index is cached across checks (`_index.layer_index`); the attributes
    of the few conflicting features are read from `frame` now, so they are always current.
    """
    spec: LayerSpec = get_spec(name)
    index = _index.layer_index(frame)
    near = rules.searches_near(name)
    pairs = _measure.candidates(index.tree, geoms, buffer_m if near else 0.0)
    measured = _measure.measure_pairs(geoms, index.geoms, pairs, epsg, buffer_m=buffer_m, near=near)
    pos, n = measured["feature"], len(measured["feature"])
    if not n:
        return None
    shown = {
        "feature_id": _take(frame, spec.id_field, pos),
        "name": _take(frame, spec.name_field, pos),
        "level": _take(frame, spec.level_field, pos),
    }
    measured["layer"] = np.full(n, name, dtype=object)
    measured["layer_title"] = np.full(n, spec.title.zh, dtype=object)
    measured |= {column: _objects(values, n) for column, values in shown.items()}
    measured["admission"] = _objects(_take(frame, rules.admission_field(name), pos), n)
    for fld in rules.feature_fields(name):
        measured[f"feature.{fld}"] = _objects(_take(frame, fld, pos), n)
    return _Hits(measured, shown, index.geoms)


def check(
    projects: gpd.GeoDataFrame,
    store_or_layers: Store | Mapping[str, gpd.GeoDataFrame],
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    layers: Sequence[str] | None = None,
    rules: zones.ZoneRules | None = None,
) -> SitingResult:
    """
    Check proposed projects against red lines, protection zones and other constraint layers.

    Each project is measured on the CGCS2000 3° Gauss–Krüger plane of its own zone (from its
    centroid longitude; a project spanning two zones still uses its own) and geodesically. A
    feature is a conflict when the project is inside it, overlaps it, or lies within `buffer_m`
    of it; each conflict gets a verdict from the rule table `geomon.rules.zones` and the
    project's verdict is the worst of them (``"clear"`` when there is none).

    Parameters
    ----------
    projects
        Project footprints (Point, LineString, Polygon or Multi-), any CRS (converted to
        EPSG:4326), with the ``layers/projects.toml`` fields ``id``, ``name``, ``kind``,
        ``activity`` and ``discharges_wastewater`` where known (missing ones are treated the
        conservative way: unknown discharge = discharging).
    store_or_layers
        A geomon `Store`, or a mapping of layer name → GeoDataFrame (EPSG:4326).
    buffer_m
        Distance in metres within which a feature is reported as ``"near"``.
    layers
        Layer names to check; default every constraint layer in the specs (with a mapping, those
        of them the mapping holds).
    rules
        The rule table (default `geomon.rules.zones.load_rules()`).

    Returns
    -------
    SitingResult
        Per-project and per-conflict frames, geometries for maps, and the data sources.

    Raises
    ------
    CRSError
        If `projects` has no CRS, or a project lies outside the CGCS2000 3° zones of China.
    ValidationError
        If a project has no geometry.
    SitingError
        If `layers` names an unknown or geometry-less layer, `buffer_m` is negative, or the
        index of `projects` repeats a label.

    Examples
    --------
    A 1 km square (EPSG:4547, metres) half inside a 二级 zone, for a project that discharges
    nothing (水污染防治法 第六十六条 → restricted):

    >>> from shapely import box
    >>> zone = gpd.GeoDataFrame(
    ...     {"code": ["Z1"], "source_name": ["水源地"], "level": ["二级"]},
    ...     geometry=[box(400_500, 3_364_000, 402_000, 3_367_000)], crs=4547)
    >>> project = gpd.GeoDataFrame(
    ...     {"id": ["P1"], "name": ["仓库"], "discharges_wastewater": [False]},
    ...     geometry=[box(400_000, 3_365_000, 401_000, 3_366_000)], crs=4547)
    >>> result = check(project, {"protection_zones": zone.to_crs(4326)})
    >>> c = result.conflicts.iloc[0]
    >>> c["relation"], round(c["overlap_area_m2"]), float(c["overlap_ratio"].round(3))
    ('overlaps', 500000, 0.5)
    >>> c["verdict"], c["citation"]
    ('restricted', '水污染防治法 第六十六条')
    """
    if not isinstance(projects, gpd.GeoDataFrame):
        msg = f"`projects` should be a GeoDataFrame, got {type(projects).__name__}"
        raise TypeError(msg)
    if not (buffer_m >= 0 and np.isfinite(buffer_m)):
        msg = f"`buffer_m` must be a distance in metres ≥ 0, got {buffer_m!r}"
        raise SitingError(msg)
    if not projects.index.is_unique:
        msg = "`projects` index has duplicate labels; call `.reset_index(drop=True)` first"
        raise SitingError(msg)
    rules = rules or zones.load_rules()
    projects = _in_wgs84(projects, "projects")
    attrs = _project_attributes(projects)
    geoms = _check_geometry(projects, attrs["id"])
    epsg = _measure.zone_epsg(geoms) if len(geoms) else np.zeros(0, dtype=np.int64)
    frames, sources = _load_layers(store_or_layers, layers)
    if layers is None:  # the rule table's layer order: red lines, zones, …, control units
        rank = {name: i for i, name in enumerate(rules.layer_order)}

        def key(name: str) -> tuple[int, str]:
            return (rank.get(name, len(rank)), name)

        frames = {name: frames[name] for name in sorted(frames, key=key)}
        sources = tuple(sorted(sources, key=lambda s: key(s.layer)))

    hits: dict[str, _Hits] = {}
    for i, (name, frame) in enumerate(frames.items()):
        found = _layer_conflicts(name, frame, geoms, epsg, buffer_m, rules)
        if found is not None:
            found.columns["_layer_pos"] = np.full(len(found.columns["project"]), i)
            hits[name] = found
    measured = [h.columns for h in hits.values()]
    conflicts, positions = _assemble_conflicts(measured, attrs, rules, buffer_m, projects.index)
    per_project = _summarise(attrs, geoms, epsg, conflicts, positions, buffer_m)
    features = _conflicting_features(conflicts, hits)
    return SitingResult(
        projects=per_project,
        conflicts=conflicts,
        project_geometry=gpd.GeoSeries(geoms, index=projects.index, crs=4326),
        features=features,
        buffer_m=float(buffer_m),
        layers=tuple(frames)
        if isinstance(store_or_layers, Mapping)
        else tuple(s.layer for s in sources),
        sources=sources,
        rules_version=rules.version,
    )


def _combine(parts: list[Columns]) -> Columns:
    """Concatenate the layers' columns; where a layer lacks a column it is NaN (as `pd.concat`)."""
    names = dict.fromkeys(c for part in parts for c in part)
    out = {}
    for c in names:
        arrays = [
            p[c] if c in p else np.full(len(p["project"]), np.nan, dtype=object) for p in parts
        ]
        out[c] = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
    return out


def _could_match(rule: zones.ZoneRule, layer: str, relation: str, level: str | None) -> bool:
    """Whether `rule` can apply to a conflict of `relation` with a `level` feature of `layer`
    (the rule's other conditions, on the project and feature fields, are not looked at)."""
    return (
        rule.layer in (zones.ANY_LAYER, layer)
        and relation in rule.relations
        and (rule.levels is None or (level is not None and level in rule.levels))
    )


def _candidate_rules(
    cols: Columns, taken: Mapping[str, Any], rules: zones.ZoneRules
) -> zones.ZoneRules:
    """`rules` without the rows and allowed activities that none of these conflicts can match.

    `zones.apply_rules` tests every row of the table and every allowed activity with a few
    pandas operations each, which is most of a one-project check. A row is kept when some
    conflict has its layer, relation and level; an allowed activity when some project has one
    of its kinds or activities. What is left out can never match, and the first match wins in
    table order (kept), so no verdict, rule, item or reason changes.
    """
    levels = [None if pd.isna(v) else str(v) for v in cols["level"]]
    seen = set(zip(cols["layer"].tolist(), cols["relation"].tolist(), levels, strict=True))
    keep = tuple(r for r in rules.rules if any(_could_match(r, *s) for s in seen))
    kinds = {k for k in taken["kind"] if isinstance(k, str)}
    stripped = pd.Series(taken["activity"], copy=False).astype("string").str.strip()
    acts = set(stripped.dropna().tolist())  # stripped as zones.allowed_items strips them
    items = tuple(
        a for a in rules.allowed_activities if kinds & set(a.kinds) or acts & set(a.activities)
    )
    if len(keep) == len(rules.rules) and len(items) == len(rules.allowed_activities):
        return rules
    return dataclasses.replace(rules, rules=keep, allowed_activities=items)


def _apply_rules(
    cols: Columns, taken: Mapping[str, Any], rules: zones.ZoneRules, buffer_m: float
) -> pd.DataFrame:
    """`zones.apply_rules` on just the columns the rule table reads.

    They go in as one block of plain objects: the rule masks are a few pandas operations per
    rule, and on a handful of rows their overhead, not the data, is the cost.
    """
    facts = {c: cols[c] for c in ("layer", "layer_title", "relation", "name", "level", "admission")}
    facts |= {c: taken[c] for c in ("kind", "activity", "discharges_wastewater")}
    facts |= {c: v for c, v in cols.items() if c.startswith("feature.")}
    facts["distance_m"] = cols["distance_m"]
    block = np.empty((len(cols["layer"]), len(facts)), dtype=object)
    for j, values in enumerate(facts.values()):
        block[:, j] = np.asarray(values, dtype=object)
    frame = pd.DataFrame(block, columns=list(facts), dtype=object, copy=False)
    return zones.apply_rules(frame, _candidate_rules(cols, taken, rules), buffer_m=buffer_m)


def _assemble_conflicts(
    measured: list[Columns],
    attrs: pd.DataFrame,
    rules: zones.ZoneRules,
    buffer_m: float,
    index: pd.Index,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every conflict with its project, verdict and rule, worst first per project, and the
    position of each conflict's project.

    Built from plain arrays in one go: a check of one project has a handful of conflicts, and
    growing a DataFrame column by column cost more than measuring them (issue 7).
    """
    if not measured:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in CONFLICT_COLUMNS})
        return empty, np.zeros(0, dtype=np.int64)
    cols = _combine(measured)
    for c in ("feature_id", "name", "level", "admission"):
        cols[c] = pd.array(cols[c], dtype="string")
    ppos = cols["project"].astype(np.int64)
    taken = {c: attrs[c].array.take(ppos) for c in attrs.columns}
    ruled = _apply_rules(cols, taken, rules, buffer_m)
    severity = np.array([zones.severity(v) for v in ruled["verdict"]], dtype=np.int64)
    # worst first per project, then layer order, nearest, largest overlap (stable: ties keep
    # the measuring order)
    order = np.lexsort(
        (-cols["overlap_area_m2"], cols["distance_m"], cols["_layer_pos"], -severity, ppos)
    )
    epsg = cols["metric_epsg"][order].astype(np.int64)
    data: dict[str, Any] = {
        "project": ppos[order],
        "project_id": taken["id"].take(order),
        "project_name": taken["name"].take(order),
        "layer": pd.array(cols["layer"][order], dtype="str"),
        "layer_title": pd.array(cols["layer_title"][order], dtype="str"),
        "relation": pd.array(cols["relation"][order].astype(object), dtype="str"),
        "metric_crs": pd.array([f"EPSG:{c}" for c in epsg.tolist()], dtype="str"),
        "admission": cols["admission"].take(order),
        "feature_row": cols["feature"][order].astype(np.int64),
    }
    data |= {c: cols[c].take(order) for c in ("feature_id", "name", "level")}
    data |= {c: ruled[c].array.take(order) for c in ruled.columns}
    data |= {
        c: cols[c][order] for c in _measure.PAIR_COLUMNS if c not in data and c in CONFLICT_COLUMNS
    }
    frame = pd.DataFrame({c: data[c] for c in CONFLICT_COLUMNS}, copy=False)
    frame["project"] = index[ppos[order]]
    return frame, ppos[order]


def _reasons(
    verdicts: list[str], zh: list[str], en: list[str], cites: list[str], buffer_m: float
) -> tuple[str, str, str]:
    """Join a project's distinct reasons, worst first; say so when nothing is in the way."""
    shown = [i for i, v in enumerate(verdicts) if v != "clear"]
    if shown:
        pick = shown
        lead_zh, lead_en = [], []
    else:
        pick = list(range(len(verdicts)))
        lead_zh = [f"{buffer_m:,.0f} m 范围内未发现禁止、限制或需关注的情形"]
        lead_en = [f"nothing prohibited, restricted or to watch within {buffer_m:,.0f} m"]
    return (
        "；".join(dict.fromkeys(lead_zh + [zh[i] for i in pick])),
        "; ".join(dict.fromkeys(lead_en + [en[i] for i in pick])),
        "；".join(dict.fromkeys(cites[i] for i in shown)),
    )


def _summarise(
    attrs: pd.DataFrame,
    geoms: np.ndarray,
    epsg: np.ndarray,
    conflicts: pd.DataFrame,
    positions: np.ndarray,
    buffer_m: float,
) -> pd.DataFrame:
    """One row per project: measures, the worst verdict and the reasons (`positions`: the
    project of each conflict)."""
    measures = _measure.measure_projects(geoms, epsg)
    n = len(attrs)
    verdicts, zh, en, cites = (
        conflicts[c].astype(str).tolist() for c in ("verdict", "reason_zh", "reason_en", "citation")
    )
    severity = np.zeros(n, dtype=np.int64)
    np.maximum.at(severity, positions, np.array([zones.severity(v) for v in verdicts], np.int64))
    # plain lists: one pass over the conflicts (already ordered worst first per project)
    mine: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(positions.tolist()):
        mine[p].append(i)
    texts = [
        _reasons(
            [verdicts[i] for i in rows],
            [zh[i] for i in rows],
            [en[i] for i in rows],
            [cites[i] for i in rows],
            buffer_m,
        )
        for rows in mine
    ]
    data: dict[str, Any] = {c: attrs[c].array for c in attrs.columns}
    data |= {
        c: measures[c] for c in ("area_m2", "area_geodesic_m2", "length_m", "length_geodesic_m")
    }
    data["metric_crs"] = [f"EPSG:{c}" for c in epsg]
    data["verdict"] = [zones.VERDICTS[s] for s in severity]
    data["n_conflicts"] = np.bincount(positions, minlength=n)
    data["reason_zh"] = [t[0] for t in texts]
    data["reason_en"] = [t[1] for t in texts]
    data["citations"] = [t[2] for t in texts]
    return pd.DataFrame({c: data[c] for c in PROJECT_COLUMNS}, index=attrs.index)


def _conflicting_features(conflicts: pd.DataFrame, hits: Mapping[str, _Hits]) -> gpd.GeoDataFrame:
    """The features that appear in `conflicts`, one row each, for maps (EPSG:4326)."""
    parts, geoms = [], []
    for name in dict.fromkeys(conflicts["layer"].tolist()):  # in order of first appearance
        found = hits[name]
        pos, first = np.unique(found.columns["feature"], return_index=True)

        def column(values: Any, first: np.ndarray = first) -> Any:
            return [None] * len(first) if values is None else values[first]

        parts.append(
            pd.DataFrame(
                {
                    "layer": name,
                    "feature_row": pos,
                    "feature_id": column(found.shown["feature_id"]),
                    "name": column(found.shown["name"]),
                    "level": column(found.shown["level"]),
                }
            )
        )
        geoms.append(found.geoms[pos])
    if not parts:
        return gpd.GeoDataFrame(
            {
                c: pd.Series(dtype="object")
                for c in ("layer", "feature_row", "feature_id", "name", "level")
            },
            geometry=gpd.GeoSeries([], crs=4326),
            crs=4326,
        )
    data = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return gpd.GeoDataFrame(data, geometry=np.concatenate(geoms), crs=4326)
