"""Backend-neutral merging of incoming rows into a stored layer: upsert, append, and the diff.

Both store backends use these pure functions, so an upsert means the same thing everywhere and
its diff preview is exactly what the write will do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geomon.errors import StoreError
from geomon.specs import LayerSpec


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


def _same(a: Any, b: Any) -> bool:
    if hasattr(a, "geom_type") or hasattr(b, "geom_type"):
        if a is None or b is None:
            return a is b
        return bool(shapely.equals_exact(a, b, tolerance=1e-9))
    a_na = a is None or (not isinstance(a, str) and pd.isna(a))
    b_na = b is None or (not isinstance(b, str) and pd.isna(b))
    if a_na or b_na:
        return a_na and b_na
    return bool(a == b)


def _keys(frame: pd.DataFrame, key_fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    return [tuple(_plain(v) for v in row) for row in frame[list(key_fields)].itertuples(index=False)]


def diff(existing: pd.DataFrame, incoming: pd.DataFrame, spec: LayerSpec, *, mode: str) -> Diff:
    """Compare incoming rows with the stored ones by the spec's key fields."""
    key_fields = spec.key_fields
    out = Diff()
    if not key_fields:
        out.added = [(i,) for i in range(len(incoming))]
        return out
    old_keys = _keys(existing, key_fields)
    old_rows = dict(zip(old_keys, range(len(existing)), strict=True))
    columns = [c for c in incoming.columns if c in existing.columns or c == "geometry"]
    for pos, key in enumerate(_keys(incoming, key_fields)):
        if key not in old_rows:
            out.added.append(key)
            continue
        old = existing.iloc[old_rows[key]]
        new = incoming.iloc[pos]
        changes = [
            FieldChange(key, c, _plain(old.get(c)), _plain(new[c]))
            for c in columns
            if c not in key_fields and not _same(old.get(c), new[c])
        ]
        if changes:
            out.changed.extend(changes)
        else:
            out.unchanged.append(key)
    if mode == "replace":
        new_keys = set(_keys(incoming, key_fields))
        out.removed = [k for k in old_keys if k not in new_keys]
    return out


def merge(existing: pd.DataFrame, incoming: pd.DataFrame, spec: LayerSpec, *, mode: str) -> pd.DataFrame:
    """Return the layer after writing `incoming` with `mode` (replace, upsert or append).

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
        updated = new[new.index.isin(old.index)]
        added = new[~new.index.isin(old.index)]
        # keep stored order; changed rows stay where they were, new rows go last
        merged = pd.concat([keep, updated]).reindex(old.index)
        combined = pd.concat([merged, added]).reset_index(drop=True)
    if key_fields:
        dup = combined.duplicated(list(key_fields), keep=False)
        if dup.any():
            keys = combined.loc[dup, list(key_fields)].drop_duplicates().head(5).values.tolist()
            msg = f"layer {spec.name!r}: writing would duplicate key(s) {keys}"
            raise StoreError(msg)
    if isinstance(incoming, gpd.GeoDataFrame):
        combined = gpd.GeoDataFrame(combined, geometry="geometry", crs=incoming.crs)
    return combined
