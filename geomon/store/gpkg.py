"""The embedded default store: one GeoPackage file, one table per layer.

Writes are all-or-nothing across layers: the new state is written to a temporary copy next to
the file and moved over it with an atomic ``os.replace``. A process killed mid-write leaves the
old file untouched. An exclusive lock file serialises writers (read–merge–write), so two
processes upserting at once lose no update. Layer versions (source file, import time, label)
live in the ``geomon_layers`` table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geomon import validate
from geomon.errors import StoreError
from geomon.specs import get_spec
from geomon.store import LayerInfo, WriteMode, WriteStats
from geomon.store import merge as merging

META = "geomon_layers"
_GEOMETRY_TYPES = {"Point": "Point", "LineString": "LineString", "Polygon": "Polygon"}


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive inter-process lock on `lock_path` for the duration of the block."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as fh:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt  # noqa: PLC0415

            msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl  # noqa: PLC0415

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _empty(layer: str) -> pd.DataFrame:
    spec = get_spec(layer)
    frame = pd.DataFrame({name: pd.Series([], dtype="object") for name in spec.field_names})
    if spec.is_spatial:
        frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    return validate.apply_dtypes(frame, spec)


class GeoPackageStore:
    """Layers in one GeoPackage file (the default, embedded store)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self._lock = self.path.with_name(self.path.name + ".lock")

    def __repr__(self) -> str:
        return f"GeoPackageStore({self.url!r})"

    # ---------------------------------------------------------------- reading
    def _tables(self) -> list[str]:
        if not self.path.exists():
            return []
        try:
            return [str(name) for name, _ in pyogrio.list_layers(self.path)]
        except Exception as exc:
            msg = f"{self.path}: not a readable GeoPackage: {exc}"
            raise StoreError(msg) from exc

    def layer_names(self) -> list[str]:
        """Names of the geomon layers present in the file."""
        return [t for t in self._tables() if t != META]

    def read(self, layer: str) -> pd.DataFrame:
        """Return `layer` typed per its spec (EPSG:4326); an empty frame if it is not stored."""
        spec = get_spec(layer)
        if layer not in self._tables():
            return _empty(layer)
        try:
            frame = pyogrio.read_dataframe(self.path, layer=layer)
        except Exception as exc:
            msg = f"{self.path}: cannot read layer {layer!r}: {exc}"
            raise StoreError(msg) from exc
        if spec.is_spatial:
            if not isinstance(frame, gpd.GeoDataFrame):
                frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs=4326)
            frame = frame.rename_geometry("geometry") if frame.geometry.name != "geometry" else frame
            if frame.crs is None or frame.crs.to_epsg() != 4326:
                frame = frame.set_crs(4326, allow_override=True)
        return validate.apply_dtypes(frame, spec)

    def _meta(self) -> pd.DataFrame:
        if META not in self._tables():
            return pd.DataFrame(
                {c: pd.Series([], dtype="object")
                 for c in ("layer", "rows", "source", "imported_at", "version", "revision")}
            )
        return pyogrio.read_dataframe(self.path, layer=META)

    def info(self, layer: str) -> LayerInfo | None:
        """Return the stored version record of `layer`, or None if it is not stored."""
        meta = self._meta()
        hit = meta[meta["layer"] == layer]
        if hit.empty:
            return None
        row = hit.iloc[-1]

        def text(v: object) -> str | None:
            return None if v is None or pd.isna(v) else str(v)

        return LayerInfo(
            name=layer,
            rows=int(row["rows"]),
            source=text(row["source"]),
            imported_at=text(row["imported_at"]),
            version=text(row["version"]),
            revision=int(row["revision"]),
        )

    def revision(self) -> int:
        """The highest revision written so far (0 for a new or legacy file)."""
        meta = self._meta()
        return int(pd.to_numeric(meta["revision"]).max()) if len(meta) else 0

    # ---------------------------------------------------------------- writing
    def write(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        mode: WriteMode = "replace",
        source: str | None = None,
        version: str | None = None,
    ) -> dict[str, WriteStats]:
        """Write several layers in one all-or-nothing step (see the module docstring)."""
        with _exclusive(self._lock):
            stats: dict[str, WriteStats] = {}
            merged: dict[str, pd.DataFrame] = {}
            for name, frame in frames.items():
                spec = get_spec(name)
                current = self.read(name)
                incoming = validate.apply_dtypes(frame, spec)[list(current.columns)]
                change = merging.diff(current, incoming, spec, mode=mode)
                merged[name] = merging.merge(current, incoming, spec, mode=mode)
                stats[name] = WriteStats(
                    layer=name,
                    mode=mode,
                    rows_before=len(current),
                    rows_after=len(merged[name]),
                    added=len(change.added),
                    updated=len(change.changed_keys),
                )
            self._commit(merged, stats, source=source, version=version)
            return stats

    def _commit(
        self,
        merged: Mapping[str, pd.DataFrame],
        stats: Mapping[str, WriteStats],
        *,
        source: str | None,
        version: str | None,
    ) -> None:
        tmp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.tmp.gpkg")
        # we hold the writer lock, so any other temporary copy was left by a killed writer
        for stale in self.path.parent.glob(f".{self.path.stem}.*.tmp.gpkg"):
            stale.unlink(missing_ok=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                shutil.copyfile(self.path, tmp)
            meta = self._meta()
            revision = (int(pd.to_numeric(meta["revision"]).max()) if len(meta) else 0) + 1
            now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
            for name, frame in merged.items():
                self._write_table(tmp, name, frame)
                meta = meta[meta["layer"] != name]
                record = {
                    "layer": name,
                    "rows": stats[name].rows_after,
                    "source": source,
                    "imported_at": now,
                    "version": version,
                    "revision": revision,
                }
                meta = pd.concat([meta, pd.DataFrame([record])], ignore_index=True)
            meta = meta.astype({"rows": "int64", "revision": "int64"})
            pyogrio.write_dataframe(meta, tmp, layer=META, driver="GPKG")
            os.replace(tmp, self.path)
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, StoreError):
                raise
            msg = f"{self.path}: write failed, nothing was changed: {exc}"
            raise StoreError(msg) from exc

    @staticmethod
    def _write_table(path: Path, name: str, frame: pd.DataFrame) -> None:
        spec = get_spec(name)
        if spec.is_spatial:
            gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)
            pyogrio.write_dataframe(
                gdf,
                path,
                layer=name,
                driver="GPKG",
                geometry_type=_GEOMETRY_TYPES.get(spec.geometry_type, "Unknown"),
                promote_to_multi=False,
            )
        else:
            pyogrio.write_dataframe(pd.DataFrame(frame), path, layer=name, driver="GPKG")
