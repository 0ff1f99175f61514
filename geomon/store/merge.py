"""Backend-neutral merging of incoming rows into a stored layer: upsert, append, and the diff.

Both store backends use these pure functions, so an upsert means the same thing everywhere and
its diff preview is exactly what the write will do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomon import validate
from geomon.errors import StoreError
from geomon.specs import LayerSpec, get_spec
from geomon.store import conformance


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of one existing row that an upsert changes."""

    key: tuple[Any, ...]
    field: str
    old: Any
    new: Any


@dataclass(slots=True)
class Diff:
    """What writing incoming rows would do: keys added, field changes, keys unchanged."""

    added: list[tuple[Any, ...]] = field(default_factory=list)
    changed: list[FieldChange] = field(default_factory=list)
    unchanged: list[tuple[Any, ...]] = field(default_factory=list)
    removed: list[tuple[Any, ...]] = field(default_factory=list)
    # positions of the `added` keys in the incoming rows and of the `removed` keys in the stored
    # rows, as `diff` found them (history takes the rows from there instead of looking them up)
    added_at: list[int] = field(default_factory=list, compare=False, repr=False)
    removed_at: list[int] = field(default_factory=list, compare=False, repr=False)

    @property
    def changed_keys(self) -> list[tuple[Any, ...]]:
        """Keys of rows with at least one changed field, in order."""
        return list(dict.fromkeys(c.key for c in self.changed))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {
            "added": [list(k) for k in self.added],
            "changed": [
                {"key": list(c.key), "field": c.field, "old": _plain(c.old), "new": _plain(c.new)}
                for c in self.changed
            ],
            "unchanged": len(self.unchanged),
            "removed": [list(k) for k in self.removed],
        }


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "wkt"):
        return value.wkt
    if hasattr(value, "item"):
        return value.item()
    return value


SHAPE_DECIMALS = 7
"""Coordinates are compared on a 1e-7° grid (about 1 cm): the precision the store keeps and
every export writes (`geomon.io.export.DECIMALS`)."""
_MULTI = (4, 5, 6)  # shapely type ids of MultiPoint, MultiLineString, MultiPolygon
_ORDERLESS = (3, 4, 6)  # Polygon, MultiPoint, MultiPolygon: ring direction, start, part order


def canonical_shapes(geoms: Any) -> np.ndarray:
    """Each geometry in one canonical form, so that the same shape gives equal coordinates.

    Coordinates are rounded to `SHAPE_DECIMALS`, a one-part multi-geometry becomes its part,
    and polygons and multi-points are normalised (exterior rings clockwise, holes
    counter-clockwise, rings starting at their lowest vertex, parts in a fixed order). Lines
    keep their direction: a river drawn the other way round does flow the other way.
    """
    out = shapely.transform(
        np.asarray(geoms, dtype=object), lambda xy: np.round(xy, SHAPE_DECIMALS)
    )
    ids = shapely.get_type_id(out)
    single = np.isin(ids, _MULTI) & (shapely.get_num_geometries(out) == 1)
    if single.any():
        out[single] = shapely.get_geometry(out[single], 0)
        ids = shapely.get_type_id(out)
    orderless = np.isin(ids, _ORDERLESS)
    if orderless.any():
        out[orderless] = shapely.normalize(out[orderless])
    return out


def same_shapes(old: Any, new: Any) -> np.ndarray:
    """Element-wise: whether `old` and `new` are the same shape (see `canonical_shapes`);
    two missing geometries are the same, a missing and a present one are not."""
    a, b = np.asarray(old, dtype=object), np.asarray(new, dtype=object)
    a_na, b_na = shapely.is_missing(a), shapely.is_missing(b)
    same = np.where(a_na | b_na, a_na & b_na, shapely.equals_exact(a, b, tolerance=0))
    rest = ~same & ~a_na & ~b_na  # only shapes not already identical are put in canonical form
    if rest.any():
        same[rest] = shapely.equals_exact(canonical_shapes(a[rest]), canonical_shapes(b[rest]))
    return same


def _same(a: Any, b: Any) -> bool:
    if hasattr(a, "geom_type") or hasattr(b, "geom_type"):
        return bool(same_shapes([a], [b])[0])
    a_na = a is None or (not isinstance(a, str) and pd.isna(a))
    b_na = b is None or (not isinstance(b, str) and pd.isna(b))
    if a_na or b_na:
        return a_na and b_na
    return bool(a == b)


def _key_values(values: pd.Series) -> list[Any]:
    """`_plain` of every value of a key column, column-wise for the common dtypes."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) or dtype.kind in "fM":
        missing = values.isna().to_numpy(dtype=bool)
        if isinstance(dtype, pd.StringDtype):
            out = values.to_numpy(dtype=object)
        elif dtype.kind == "f" and isinstance(dtype, np.dtype):
            out = values.to_numpy().astype(object)  # Python floats, as `.item()` gives
        elif dtype.kind == "M" and isinstance(dtype, np.dtype):
            out = values.to_numpy().astype("datetime64[D]").astype(str).astype(object)
            years = values.dt.year[~missing]
            if len(years) and not ((years >= 1000) & (years <= 9999)).all():
                return [_plain(v) for v in values]
        else:
            return [_plain(v) for v in values]
        out[missing] = None
        return out.tolist()
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return values.to_numpy().tolist()  # Python ints and bools, as `.item()` gives
    return [_plain(v) for v in values]


def _keys(frame: pd.DataFrame, key_fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """Every row's key as plain values (`_plain`), built column by column."""
    columns = [_key_values(frame[f]) for f in key_fields]
    return list(zip(*columns, strict=True)) if columns else [()] * len(frame)


def diff(existing: pd.DataFrame, incoming: pd.DataFrame, spec: LayerSpec, *, mode: str) -> Diff:
    """Compare incoming rows with the stored ones by the spec's key fields."""
    key_fields = spec.key_fields
    out = Diff()
    if not key_fields:
        out.added = [(i,) for i in range(len(incoming))]
        return out
    old_keys = _keys(existing, key_fields)
    old_rows = dict(zip(old_keys, range(len(existing)), strict=True))
    new_keys = _keys(incoming, key_fields)
    columns = [c for c in incoming.columns if c in existing.columns or c == "geometry"]
    matched = [(pos, old_rows[key]) for pos, key in enumerate(new_keys) if key in old_rows]
    new_pos = [p for p, _ in matched]
    old_pos = [o for _, o in matched]
    # compare column by column (fast), then report row by row, fields in column order
    differs: dict[str, list[bool]] = {}
    for c in columns:
        if c in key_fields:
            continue
        new_values = incoming[c].iloc[new_pos].astype("object").tolist()
        if c in existing.columns:
            old_values = existing[c].iloc[old_pos].astype("object").tolist()
        else:
            old_values = [None] * len(old_pos)
        if c == "geometry":  # the same shape written differently is no change
            differs[c] = (~same_shapes(old_values, new_values)).tolist()
            continue
        differs[c] = [not _same(a, b) for a, b in zip(old_values, new_values, strict=True)]
    which = {p: i for i, p in enumerate(new_pos)}
    for pos, key in enumerate(new_keys):
        if pos not in which:
            out.added.append(key)
            out.added_at.append(pos)
            continue
        i = which[pos]
        changed = [c for c, flags in differs.items() if flags[i]]
        if not changed:
            out.unchanged.append(key)
            continue
        old_row = old_pos[i]
        for c in changed:
            old = existing[c].iloc[old_row] if c in existing.columns else None
            out.changed.append(FieldChange(key, c, _plain(old), _plain(incoming[c].iloc[pos])))
    if mode == "replace":
        kept = set(new_keys)
        out.removed_at = [i for i, k in enumerate(old_keys) if k not in kept]
        out.removed = [old_keys[i] for i in out.removed_at]
    return out


def typed_incoming(
    frame: pd.DataFrame, current: pd.DataFrame, spec: LayerSpec, *, mode: str
) -> pd.DataFrame:
    """
    `frame` typed and ordered like the stored layer `current`, for `diff` and `merge`.

    An upsert leaves out the spec fields `frame` does not have, so the rows it updates keep
    their stored values there: a ledger in an older template (no 附件, no 备注 column) must not
    erase what was entered in the app. A replace or append takes the fields as given (absent
    ones empty).
    """
    typed = validate.apply_dtypes(frame, spec)[list(current.columns)]
    if mode != "upsert":
        return typed
    given = set(frame.columns) | set(spec.key_fields) | {"geometry"}
    return typed[[c for c in typed.columns if c in given]]


def merge(
    existing: pd.DataFrame, incoming: pd.DataFrame, spec: LayerSpec, *, mode: str
) -> pd.DataFrame:
    """Return the layer after writing `incoming` with `mode` (replace, upsert or append).

    An upsert keeps the stored value of every field `incoming` has no column for.

    Raises `StoreError` if the result would hold two rows with the same key.
    """
    if mode not in ("replace", "upsert", "append"):
        msg = f"unknown write mode {mode!r}; use replace, upsert or append"
        raise StoreError(msg)
    key_fields = spec.key_fields
    if mode == "upsert" and not key_fields:
        msg = f"layer {spec.name!r} has no id or key fields, so it cannot be upserted"
        raise StoreError(msg)
    if mode == "replace" or existing is None or len(existing) == 0:
        combined = incoming.reset_index(drop=True)
    elif mode == "append":
        combined = pd.concat([existing, incoming], ignore_index=True)
    else:
        old = existing.set_index(list(key_fields), drop=False)
        new = incoming.set_index(list(key_fields), drop=False)
        keep = old[~old.index.isin(new.index)]
        updated = new[new.index.isin(old.index)].reindex(columns=old.columns)
        added = new[~new.index.isin(old.index)]
        for column in old.columns.difference(new.columns, sort=False):
            # a field the incoming rows lack keeps its stored value
            updated[column] = old.loc[updated.index, column]
        _keep_stored_shapes(updated, old)
        # keep stored order; changed rows stay where they were, new rows go last
        merged = pd.concat([keep, updated]).reindex(old.index)
        combined = pd.concat([merged, added]).reset_index(drop=True)[list(old.columns)]
    missing = [c for c in existing.columns if c not in combined.columns]
    if missing:  # an upsert of some fields into an empty layer, or new rows of an upsert
        combined = validate.apply_dtypes(combined.reindex(columns=existing.columns), spec)
    if key_fields:
        dup = combined.duplicated(list(key_fields), keep=False)
        if dup.any():
            keys = combined.loc[dup, list(key_fields)].drop_duplicates().head(5).values.tolist()
            msg = f"layer {spec.name!r}: writing would duplicate key(s) {keys}"
            raise StoreError(msg)
    conformance.check_rows(combined, _written_rows(combined, incoming, spec, mode), spec)
    if isinstance(incoming, gpd.GeoDataFrame):
        combined = gpd.GeoDataFrame(combined, geometry="geometry", crs=incoming.crs)
    return combined


def _keep_stored_shapes(updated: pd.DataFrame, old: pd.DataFrame) -> None:
    """Where an updated row's geometry is the stored shape written differently (a GeoJSON ring
    turned counter-clockwise, a one-part MultiPolygon), keep the stored geometry as it was."""
    if "geometry" not in updated.columns or not len(updated):
        return
    stored = old.loc[updated.index, "geometry"].to_numpy(dtype=object)
    geoms = updated["geometry"].to_numpy(dtype=object).copy()
    same = same_shapes(stored, geoms)
    if same.any():
        geoms[same] = stored[same]
        updated["geometry"] = gpd.GeoSeries(
            geoms, index=updated.index, crs=getattr(old, "crs", None)
        )


def _written_rows(
    combined: pd.DataFrame, incoming: pd.DataFrame, spec: LayerSpec, mode: str
) -> np.ndarray:
    """Mask of the rows of `combined` that `incoming` adds or rewrites (what a write checks)."""
    n = len(combined)
    if mode == "replace":
        return np.ones(n, dtype=bool)
    if not len(incoming):
        return np.zeros(n, dtype=bool)
    if not spec.key_fields:  # append without keys: the new rows are the last ones
        return np.arange(n) >= n - len(incoming)
    wanted = set(_keys(incoming, spec.key_fields))
    return np.fromiter((k in wanted for k in _keys(combined, spec.key_fields)), bool, n)


def versions_after(
    existing: pd.DataFrame,
    versions: pd.Series,
    merged: pd.DataFrame,
    change: Diff,
    spec: LayerSpec,
    *,
    mode: str,
    revision: int,
) -> list[int]:
    """Row versions of `merged`: `revision` for rows added or changed, the old version otherwise.

    `versions` holds the version of each row of `existing`, in order.
    """
    old = [int(v) for v in versions]
    if not spec.key_fields:
        kept = old if mode == "append" else []
        return kept + [revision] * (len(merged) - len(kept))
    before = dict(zip(_keys(existing, spec.key_fields), old, strict=True))
    touched = set(change.added) | set(change.changed_keys)
    return [
        revision if key in touched else before.get(key, revision)
        for key in _keys(merged, spec.key_fields)
    ]


def empty_layer(layer: str | LayerSpec) -> pd.DataFrame:
    """A typed layer with no rows (what a store returns for a layer it does not hold)."""
    spec = get_spec(layer)
    frame = pd.DataFrame({name: pd.Series([], dtype="object") for name in spec.field_names})
    if spec.is_spatial:
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    return validate.apply_dtypes(frame, spec)
