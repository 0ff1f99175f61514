"""Cached access to the store for the app.

The store is opened once per URL and shared by every session (`st.cache_resource`). Layers are
cached with `st.cache_resource` too, keyed by (url, name, revision): ``st.cache_data`` would
pickle a copy of a large GeoDataFrame on every hit (see DESIGN.md, "Known pitfalls"). The
frames returned here are therefore SHARED and READ-ONLY: never mutate them; ``.copy()`` first.
A write to the store bumps its revision, so the next read misses the cache and rereads.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import streamlit as st

from geomon import config
from geomon.mapview import LAYER_ORDER
from geomon.specs import get_spec, layer_names
from geomon.store import Store, open_store


def settings() -> config.Settings:
    """Runtime settings from the environment (cheap; read on every run so tests can set env)."""
    return config.from_env()


@st.cache_resource(show_spinner=False)
def store(url: str) -> Store:
    """Return the store at `url`, opened once and shared by every session."""
    return open_store(url)


def revision(url: str) -> tuple[int, int]:
    """The store's revision, plus the file's mtime for a GeoPackage (part of every cache key).

    The mtime catches a file replaced wholesale (``geomon demo`` starts again at revision 1).
    """
    path = Path(url)
    mtime = path.stat().st_mtime_ns if "://" not in url and path.is_file() else 0
    return store(url).revision(), mtime


@st.cache_resource(show_spinner=False, max_entries=64)
def _layer(url: str, name: str, revision: tuple[int, int]) -> gpd.GeoDataFrame:
    return store(url).read(name)


def layer(url: str, name: str) -> gpd.GeoDataFrame:
    """Return layer `name` at the store's current revision (shared: do not mutate)."""
    return _layer(url, name, revision(url))


def map_layer_names(url: str) -> list[str]:
    """Spatial geomon layers present in the store, bottom to top as the map draws them."""
    known = set(layer_names())
    present = [n for n in store(url).layer_names() if n in known and get_spec(n).is_spatial]
    rank = {n: i for i, n in enumerate(LAYER_ORDER)}
    return sorted(present, key=lambda n: (rank.get(n, len(rank)), n))
