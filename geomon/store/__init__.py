"""Where layers live: a backend-neutral `Store` interface and `open_store(url)`.

The embedded default is a GeoPackage file (`geomon.store.gpkg`); a ``postgresql://`` URL opens
the PostGIS backend (optional extra). Every write is all-or-nothing: either every layer in the
call is written, or the store is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import pandas as pd

from geomon import config

WriteMode = Literal["replace", "upsert", "append"]


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """What the store knows about one stored layer (data version, for reproducible reports)."""

    name: str
    rows: int
    source: str | None
    imported_at: str | None  # ISO 8601, UTC
    version: str | None  # user label, e.g. "红线 2023 批复版"
    revision: int


@dataclass(frozen=True, slots=True)
class WriteStats:
    """What one write did to one layer."""

    layer: str
    mode: str
    rows_before: int
    rows_after: int
    added: int
    updated: int


@runtime_checkable
class Store(Protocol):
    """A place that holds geomon layers (typed per their spec, geometry in EPSG:4326)."""

    url: str

    def layer_names(self) -> list[str]:
        """Names of the layers present in the store."""
        ...

    def read(self, layer: str) -> pd.DataFrame:
        """Return layer `layer` (GeoDataFrame for spatial layers); empty if not stored yet."""
        ...

    def write(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        mode: WriteMode = "replace",
        source: str | None = None,
        version: str | None = None,
    ) -> dict[str, WriteStats]:
        """Write several layers in one all-or-nothing step."""
        ...

    def info(self, layer: str) -> LayerInfo | None:
        """Return what is known about `layer`, or None if it is not stored."""
        ...

    def revision(self) -> int:
        """A number that grows with every write (cache key for the app)."""
        ...


def open_store(url: str | Path | None = None) -> Store:
    """Open ``postgresql://…`` with the PostGIS backend, anything else as a GeoPackage path.

    With no `url`, use ``GEOMON_STORE`` or the embedded demo store ``data/demo.gpkg``.
    """
    url = str(url) if url is not None else config.from_env().store_url
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        try:
            from geomon.store.postgis import PostGISStore  # noqa: PLC0415  (optional extra)
        except ImportError as exc:
            msg = "PostGIS support needs the extra: pip install 'geomon[postgis]'"
            raise ImportError(msg) from exc
        return PostGISStore(url)
    from geomon.store.gpkg import GeoPackageStore  # noqa: PLC0415

    return GeoPackageStore(Path(url))


def __getattr__(name: str) -> object:
    if name == "GeoPackageStore":  # lazy: gpkg imports this module
        from geomon.store.gpkg import GeoPackageStore  # noqa: PLC0415

        return GeoPackageStore
    msg = f"module 'geomon.store' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = ["GeoPackageStore", "LayerInfo", "Store", "WriteMode", "WriteStats", "open_store"]
