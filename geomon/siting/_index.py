"""Spatial indexes of constraint layers, built once per layer frame and reused by later checks.

Building the `shapely.STRtree` of a layer (40,000 control units: ~8 ms) cost more than the rest
of checking one project, and the app, the benchmark and batch scripts check project after
project against the same frames (issue 7). `layer_index` therefore keeps one `LayerIndex` per
frame object:

- keyed on ``id(frame)`` and dropped when the frame is garbage-collected (`weakref.finalize`),
  so a dead frame's index is never handed to a new frame that happens to get the same id;
- checked on every hit against the frame's *current* geometry objects: the index holds the
  geometries it was built from, so their addresses cannot be reused, and shapely geometries are
  immutable, so equal addresses mean the very same geometries. A frame whose geometry column
  was replaced or edited in place (``frame.loc[i, "geometry"] = ...``, ``frame.geometry =``)
  fails the check and gets a new index: a stale index can never be used.

Only geometry-derived data is cached. Attributes (levels, names, ids) are read from the frame
at every check, so editing them needs no invalidation at all.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

GeomArray = npt.NDArray[np.object_]

_CACHE: dict[int, LayerIndex] = {}
_LOCK = threading.Lock()  # Streamlit sessions run in threads


@dataclass(frozen=True, eq=False, slots=True)
class LayerIndex:
    """An STRtree over one layer's geometries, with the geometries it was built from."""

    geoms: GeomArray  # the layer's geometries (EPSG:4326) when built; held so ids stay unique
    tree: shapely.STRtree  # over `geoms`, missing and empty geometries left out
    addresses: bytes  # the object addresses of `geoms`, to recognise them again

    @classmethod
    def build(cls, geoms: GeomArray) -> LayerIndex:
        """Index `geoms` (a snapshot copy is kept: the caller's array may change later)."""
        snapshot = np.array(geoms, dtype=object, copy=True)
        usable = ~(shapely.is_missing(snapshot) | shapely.is_empty(snapshot))
        tree = shapely.STRtree(np.where(usable, snapshot, None))
        return cls(snapshot, tree, _addresses(snapshot))

    def indexes(self, geoms: GeomArray) -> bool:
        """Whether `geoms` are exactly (the same objects, in order) the indexed geometries."""
        return len(geoms) == len(self.geoms) and _addresses(geoms) == self.addresses


def _addresses(geoms: GeomArray) -> bytes:
    # the raw bytes of an object array are its element pointers: a cheap exact identity test
    return np.ascontiguousarray(geoms, dtype=object).tobytes()


def geometry_array(frame: pd.DataFrame) -> GeomArray:
    """The geometry objects of `frame`'s active geometry column, without a copy."""
    return np.asarray(frame.geometry.array, dtype=object)


def layer_index(frame: pd.DataFrame) -> LayerIndex:
    """
    Return the spatial index of `frame`'s geometries: cached, or built now and cached.

    The cached index is reused only while `frame` is alive and still holds exactly the
    geometries the index was built from (see the module docstring).
    """
    geoms = geometry_array(frame)
    key = id(frame)
    found = _CACHE.get(key)
    if found is not None and found.indexes(geoms):
        return found
    index = LayerIndex.build(geoms)
    with _LOCK:
        known = key in _CACHE
        _CACHE[key] = index
    if not known:
        try:
            finaliser = weakref.finalize(frame, _forget, key)
        except TypeError:  # an object that cannot be weakly referenced: do not cache it
            _forget(key)
        else:
            finaliser.atexit = False
    return index


def _forget(key: int) -> None:
    with _LOCK:
        _CACHE.pop(key, None)


def cached_layers() -> int:
    """How many layer indexes are cached (frames alive that were checked against)."""
    return len(_CACHE)
