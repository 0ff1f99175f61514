"""The siting check: inputs in EPSG:4326, each layer's conflicts measured, the result object.

The verdicts and the result frames are built in `_verdicts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
from geomon.siting import _index, measure
from geomon.siting._verdicts import (
    LayerHits,
    assemble_conflicts,
    conflicting_features,
    summarise,
)
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


def _search_box(geoms: np.ndarray, buffer_m: float) -> tuple[float, float, float, float] | None:
    """The projects' bounding box grown by `buffer_m` (in degrees, conservatively): every
    feature that overlaps or lies within `buffer_m` of a project has a bounding box meeting it."""
    present = geoms[~shapely.is_missing(geoms)]
    if not len(present):
        return None
    margin = float(measure.degree_margin(present, buffer_m).max())
    minx, miny, maxx, maxy = shapely.total_bounds(present)
    return (minx - margin, miny - margin, maxx + margin, maxy + margin)


STORE_MEASURES_UP_TO = 200
"""A check of at most this many projects against a store that measures in place
(`measure_near`, PostGIS) is measured there; more are read near the projects and measured in
memory, which is faster for a batch (the database computes geodesic figures pair by pair)."""


def _measures_in_store(source: object, n_projects: int) -> bool:
    return (
        not isinstance(source, Mapping)
        and callable(getattr(source, "measure_near", None))
        and 0 < n_projects <= STORE_MEASURES_UP_TO
    )


def _load_layers(
    source: Store | Mapping[str, gpd.GeoDataFrame],
    layers: Sequence[str] | None,
    box: tuple[float, float, float, float] | None = None,
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
        # duck-typed: `read`, `read_bbox` and `info` of the Store protocol are needed here; a
        # store reads only the features near the projects through its spatial index
        near = box is not None and callable(getattr(source, "read_bbox", None))
        for name in _constraint_layers(layers, None):
            spec, info = get_spec(name), source.info(name)
            frame = source.read_bbox(name, box) if near else source.read(name)
            if len(frame):
                frames[name] = _in_wgs84(frame, name)
            sources.append(
                LayerSource(
                    name,
                    spec.title.zh,
                    info.rows if info and near else len(frame),
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
) -> LayerHits | None:
    """The conflicts of `geoms` with one layer (`None` when there are none).

    The layer's spatial index is cached across checks (`_index.layer_index`); the attributes
    of the few conflicting features are read from `frame` now, so they are always current.
    """
    index = _index.layer_index(frame)
    near = rules.searches_near(name)
    pairs = measure.candidates(index.tree, geoms, buffer_m if near else 0.0)
    measured = measure.measure_pairs(geoms, index.geoms, pairs, epsg, buffer_m=buffer_m, near=near)
    pos = measured["feature"]
    return _hits(name, measured, lambda field: _take(frame, field, pos), index.geoms, rules)


def _hits(
    name: str,
    measured: dict[str, np.ndarray],
    take: Callable[[str | None], Any],
    geoms: np.ndarray,
    rules: zones.ZoneRules,
) -> LayerHits | None:
    """A layer's measured pairs with the attributes the verdicts and maps need (`take(field)`:
    the field's values of each pair's feature, None when the layer has no such field)."""
    spec: LayerSpec = get_spec(name)
    n = len(measured["feature"])
    if not n:
        return None
    shown = {
        "feature_id": take(spec.id_field),
        "name": take(spec.name_field),
        "level": take(spec.level_field),
    }
    measured["layer"] = np.full(n, name, dtype=object)
    measured["layer_title"] = np.full(n, spec.title.zh, dtype=object)
    measured |= {column: _objects(values, n) for column, values in shown.items()}
    measured["admission"] = _objects(take(rules.admission_field(name)), n)
    for fld in rules.feature_fields(name):
        measured[f"feature.{fld}"] = _objects(take(fld), n)
    return LayerHits(measured, shown, geoms)


def _rule_fields(name: str, rules: zones.ZoneRules) -> tuple[str, ...]:
    """The fields of layer `name` a conflict shows or the rules read."""
    spec = get_spec(name)
    wanted = (spec.id_field, spec.name_field, spec.level_field, rules.admission_field(name))
    return tuple(dict.fromkeys(f for f in (*wanted, *rules.feature_fields(name)) if f))


def _store_conflicts(
    store: Any,
    names: list[str],
    geoms: np.ndarray,
    epsg: np.ndarray,
    buffer_m: float,
    rules: zones.ZoneRules,
) -> tuple[dict[str, LayerHits], tuple[LayerSource, ...]]:
    """Every layer's conflicts measured in the store itself (`measure_near`, PostGIS)."""
    found = store.measure_near(
        geoms,
        epsg,
        names,
        buffer_m=buffer_m,
        near={name: rules.searches_near(name) for name in names},
        fields={name: _rule_fields(name, rules) for name in names},
    )
    hits, sources = {}, []
    for name in names:
        layer, info = found[name]
        sources.append(
            LayerSource(
                name,
                get_spec(name).title.zh,
                info.rows if info else 0,
                source=info.source if info else None,
                imported_at=info.imported_at if info else None,
                version=info.version if info else None,
                stored=info is not None,
                revision=info.revision if info else None,
            )
        )
        if layer is None:
            continue

        def take(field: str | None, layer: measure.MeasuredLayer = layer) -> Any:
            values = layer.fields.get(field) if field else None
            return None if values is None else values[layer.columns["feature"]]

        got = _hits(name, dict(layer.columns), take, layer.geoms, rules)
        if got is not None:
            hits[name] = got
    return hits, tuple(sources)


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
    epsg = measure.zone_epsg(geoms) if len(geoms) else np.zeros(0, dtype=np.int64)
    if layers is None:  # the rule table's layer order: red lines, zones, …, control units
        rank = {name: i for i, name in enumerate(rules.layer_order)}

        def key(name: str) -> tuple[int, str]:
            return (rank.get(name, len(rank)), name)
    else:

        def key(name: str) -> tuple[int, str]:
            return (0, "")

    hits: dict[str, LayerHits] = {}
    if _measures_in_store(store_or_layers, len(geoms)):
        names = sorted(_constraint_layers(layers, None), key=key)
        found, sources = _store_conflicts(store_or_layers, names, geoms, epsg, buffer_m, rules)
        for i, name in enumerate(n for n in names if n in found):
            found[name].columns["_layer_pos"] = np.full(len(found[name].columns["project"]), i)
            hits[name] = found[name]
        checked = tuple(s.layer for s in sources)
    else:
        frames, sources = _load_layers(store_or_layers, layers, _search_box(geoms, buffer_m))
        frames = {name: frames[name] for name in sorted(frames, key=key)}
        sources = tuple(sorted(sources, key=lambda s: key(s.layer)))
        for i, (name, frame) in enumerate(frames.items()):
            got = _layer_conflicts(name, frame, geoms, epsg, buffer_m, rules)
            if got is not None:
                got.columns["_layer_pos"] = np.full(len(got.columns["project"]), i)
                hits[name] = got
        checked = (
            tuple(frames)
            if isinstance(store_or_layers, Mapping)
            else tuple(s.layer for s in sources)
        )
    measured = [h.columns for h in hits.values()]
    conflicts, positions = assemble_conflicts(measured, attrs, rules, buffer_m, projects.index)
    per_project = summarise(attrs, geoms, epsg, conflicts, positions, buffer_m)
    features = conflicting_features(conflicts, hits)
    return SitingResult(
        projects=per_project,
        conflicts=conflicts,
        project_geometry=gpd.GeoSeries(geoms, index=projects.index, crs=gcrs.WGS84),
        features=features,
        buffer_m=float(buffer_m),
        layers=checked,
        sources=sources,
        rules_version=rules.version,
    )
