"""Where layers live: a backend-neutral `Store` interface and `open_store(url)`.

The embedded default is a GeoPackage file (`geomon.store.gpkg`); a ``postgresql://`` URL opens
the PostGIS backend (optional extra). Every write is all-or-nothing: either every layer in the
call is written, or the store is left exactly as it was.

Editing (both backends): every row carries a version (``_version``, the store revision that last
changed it; hidden unless ``read(layer, with_versions=True)``). `Store.edit` applies multi-row
edits in one transaction and refuses an edit based on a stale version with a `ConflictError`.
Every change, from edits and from writes (imports), is appended once to the history table
``geomon_history`` (`HISTORY_COLUMNS`), from which `Store.as_of` rebuilds a layer at a past time.

Station readings (time series, not layers): `Store.write_readings` and `Store.read_readings`,
see `geomon.store.readings`.

Beyond the protocol, a backend may offer ``measure_near`` (the PostGIS store does): the siting
check's measuring done where the layers live (`geomon.store._siting_pg`). `geomon.siting` uses
it when present and otherwise reads the features near the projects (`Store.read_bbox`); wrappers
such as `geomon.access.ScopedStore` do not offer it, so their filters always apply.

Data versions: every write also appends one record per written layer to ``geomon_layer_versions``
(`VERSIONS_COLUMNS`: revision, time, user label, source, rows). `Store.versions` lists them, so
several versions of a layer (e.g. "红线 2023 批复版" and "红线 2024 调整版") can be told apart and
each rebuilt with `Store.as_of` at its import time. `write` and `edit` take an optional ``at`` to
date a change in the past (loading dated ledger snapshots; tests and demos with a known history):
it must lie after every recorded change and not in the future.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import pandas as pd

from geomon import config
from geomon.errors import StoreNotFoundError
from geomon.messages import message
from geomon.store.merge import FieldChange

if TYPE_CHECKING:
    from geomon.store.files import StoredFile

WriteMode = Literal["replace", "upsert", "append"]
VERSION_COLUMN = "_version"
HISTORY_TABLE = "geomon_history"
VERSIONS_TABLE = "geomon_layer_versions"
VERSIONS_COLUMNS = ("layer", "revision", "at", "version", "source", "user", "rows")
"""Columns of `Store.versions`: one record per write of a layer: the store revision and time
(UTC ISO 8601, as in history) of the write, the version label, source and user given, and the
layer's row count after it."""
HISTORY_COLUMNS = ("revision", "at", "user", "source", "layer", "key", "op", "field", "old", "new")
"""Columns of `Store.history`: the store revision of the change, when (UTC ISO 8601), who, from
what source, which layer and row key, ``op`` (``insert``, ``update`` or ``delete``), and for an
update the field with its old and new value as text (for insert/delete: the whole row as JSON)."""


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


@dataclass(frozen=True, slots=True)
class Edit:
    """Set `field_values` on the row with key `key`, as read at version `base_version`.

    `key` holds the values of the layer's key fields (``("A1",)``; a bare value is accepted for a
    one-field key). `field_values` are checked and typed like an import (an enum label or alias
    becomes its value, ``"2024年3月5日"`` a date); ``"geometry"`` takes a shapely geometry in
    EPSG:4326. `base_version` is the row's ``_version`` when the editor read it.
    """

    key: tuple[Any, ...]
    field_values: Mapping[str, Any]
    base_version: int

    def __post_init__(self) -> None:
        if not isinstance(self.key, tuple):
            object.__setattr__(self, "key", (self.key,))


@dataclass(frozen=True, slots=True)
class EditResult:
    """What one `Store.edit` call changed: field changes and each edited row's new version."""

    layer: str
    revision: int  # store revision of the edit (unchanged if nothing changed)
    changes: tuple[FieldChange, ...] = ()
    versions: dict[tuple[Any, ...], int] = field(default_factory=dict)


@runtime_checkable
class Store(Protocol):
    """A place that holds geomon layers (typed per their spec, geometry in EPSG:4326)."""

    url: str

    def layer_names(self) -> list[str]:
        """Names of the layers present in the store."""
        ...

    def read(self, layer: str, *, with_versions: bool = False) -> pd.DataFrame:
        """Return layer `layer` (GeoDataFrame for spatial layers); empty if not stored yet.

        With `with_versions`, a last column ``_version`` (Int64) holds each row's version.
        """
        ...

    def read_bbox(self, layer: str, bbox: tuple[float, float, float, float]) -> pd.DataFrame:
        """Rows of spatial layer `layer` whose geometry's bounding box meets `bbox` (min lon, min
        lat, max lon, max lat; EPSG:4326), typed like `read`, found through the store's spatial
        index: a siting check reads the features near its projects, not a national layer."""
        ...

    def write(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        mode: WriteMode = "replace",
        source: str | None = None,
        version: str | None = None,
        user: str | None = None,
        at: str | dt.date | dt.datetime | None = None,
        files: Sequence[StoredFile] = (),
    ) -> dict[str, WriteStats]:
        """Write several layers in one all-or-nothing step; record every change in history.

        `version` labels the data (kept per write in `versions`); `at` dates the write in the
        past instead of now (after every recorded change, not in the future; else `StoreError`).
        `files` are stored beside rows the write holds, in the same step (`geomon.store.files`).
        """
        ...

    def edit(
        self,
        layer: str,
        changes: Sequence[Edit],
        *,
        user: str,
        source: str | None = None,
        at: str | dt.date | dt.datetime | None = None,
        files: Sequence[StoredFile] = (),
    ) -> EditResult:
        """Apply `changes` in one all-or-nothing step (dated `at` if given, as for `write`).

        `files` are stored beside the edited rows in the same step (`geomon.store.files`).

        Raises `ConflictError` if any edit's `base_version` is stale, `StoreError` for an unknown
        key or field, `ValidationError` for a value the layer spec does not allow.
        """
        ...

    def history(self, layer: str, key: Any = None) -> pd.DataFrame:
        """Every recorded change of `layer` (of one row if `key` is given), oldest first."""
        ...

    def as_of(self, layer: str, when: str | dt.date | dt.datetime) -> pd.DataFrame:
        """Layer `layer` as it was at `when` (a date means the end of that day, UTC)."""
        ...

    def info(self, layer: str) -> LayerInfo | None:
        """Return what is known about `layer`, or None if it is not stored."""
        ...

    def files(self, layer: str, key: Any = None) -> pd.DataFrame:
        """Files stored beside `layer`'s rows (row `key` if given), oldest first.

        Columns `geomon.store.files.FILE_COLUMNS` (thumbnail bytes included, not the file's).
        """
        ...

    def file_data(self, layer: str, key: Any, file_id: str) -> bytes:
        """The bytes of one stored file; `StoreError` if there is none."""
        ...

    def versions(self, layer: str) -> pd.DataFrame:
        """Every data version written to `layer` (`VERSIONS_COLUMNS`), oldest first.

        A layer stored before versions were kept has one record, from `info`.
        """
        ...

    def revision(self) -> int:
        """A number that grows with every write (cache key for the app)."""
        ...

    def write_readings(
        self,
        frame: pd.DataFrame,
        *,
        mode: Literal["upsert", "replace"] = "upsert",
        user: str | None = None,
        source: str | None = None,
    ) -> Any:
        """Write station readings (`geomon.monitoring.READINGS_COLUMNS`) all or nothing; return
        `geomon.store.readings.ReadingsStats` (modes: see `geomon.store.readings`)."""
        ...

    def read_readings(
        self,
        *,
        sections: Any = None,
        parameters: Any = None,
        start: Any = None,
        end: Any = None,
        step: str | None = None,
    ) -> pd.DataFrame:
        """Stored readings matching every filter, sorted by section, parameter and time."""
        ...

    def read_readings_daily(
        self, start: dt.date, end: dt.date, *, stations: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """The daily rollup of the readings for Beijing days `start` … `end` (inclusive), of
        `stations` only when given: `geomon.store.rollup.DAILY_COLUMNS`, built first if
        missing."""
        ...


def open_store(url: str | Path | None = None, *, must_exist: bool = False) -> Store:
    """Open ``postgresql://…`` with the PostGIS backend, anything else as a GeoPackage path.

    With no `url`, use ``GEOMON_STORE`` or the embedded demo store ``data/demo.gpkg``. A
    GeoPackage that does not exist yet is created by the first write; with `must_exist` (every
    command that only reads) a missing file raises `StoreNotFoundError` instead, and nothing is
    created.
    """
    url = str(url) if url is not None else config.from_env().store_url
    if must_exist and not _is_postgis(url) and not Path(url).is_file():
        msg = message(
            f"存储不存在：{url}（只有 geomon import 和 geomon demo 会新建存储）",
            f"no such store: {url} (only geomon import and geomon demo create a store)",
        )
        raise StoreNotFoundError(msg)
    if _is_postgis(url):
        try:
            from geomon.store.postgis import PostGISStore  # noqa: PLC0415  (optional extra)
        except ImportError as exc:
            msg = "PostGIS support needs the extra: pip install 'geomon[postgis]'"
            raise ImportError(msg) from exc
        return PostGISStore(url)
    from geomon.store.gpkg import GeoPackageStore  # noqa: PLC0415

    return GeoPackageStore(Path(url))


def _is_postgis(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def __getattr__(name: str) -> object:
    if name == "GeoPackageStore":  # lazy: gpkg imports this module
        from geomon.store.gpkg import GeoPackageStore  # noqa: PLC0415

        return GeoPackageStore
    msg = f"module 'geomon.store' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "HISTORY_COLUMNS",
    "HISTORY_TABLE",
    "VERSIONS_COLUMNS",
    "VERSIONS_TABLE",
    "VERSION_COLUMN",
    "Edit",
    "EditResult",
    "GeoPackageStore",
    "LayerInfo",
    "Store",
    "WriteMode",
    "WriteStats",
    "open_store",
]
