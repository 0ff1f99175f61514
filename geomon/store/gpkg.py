"""The embedded default store: one GeoPackage file, one table per layer.

Writes and edits are all-or-nothing across layers: the new state (layers, their row versions in
a ``_version`` column, the new history records in ``geomon_history``) is written to a temporary
copy next to the file and moved over it with an atomic ``os.replace``. A process killed
mid-write leaves the old file untouched. An exclusive lock file serialises writers (read–check–
merge–write), so two processes upserting or editing at once lose no update. Layer versions
(source file, import time, label) live in the ``geomon_layers`` table (the latest) and in
``geomon_layer_versions`` (one record per write).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geomon import validate
from geomon.errors import StoreError
from geomon.io.export import gpkg_geometry_type
from geomon.specs import get_spec
from geomon.store import (
    HISTORY_TABLE,
    VERSION_COLUMN,
    VERSIONS_TABLE,
    Edit,
    EditResult,
    LayerInfo,
    WriteMode,
    WriteStats,
    editing,
    history_text,
)
from geomon.store import _readings_gpkg as readings_gpkg
from geomon.store import _rollup_gpkg as rollup_gpkg
from geomon.store import files as stored_files
from geomon.store import history as hist
from geomon.store import merge as merging
from geomon.store import readings as rd
from geomon.store import rollup as ru

META = "geomon_layers"
_META_COLUMNS = ("layer", "rows", "source", "imported_at", "version", "revision")
# layers are written through Arrow: 4x faster for a national layer (whole columns handed to GDAL),
# and the file holds the same table, rows and metadata as a row-by-row write
_ARROW = True


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
        internal = (META, HISTORY_TABLE, VERSIONS_TABLE, rd.READINGS_TABLE, rd.LOG_TABLE,
                    ru.DAILY_TABLE)  # fmt: skip
        return [t for t in self._tables() if t not in internal]

    def read(self, layer: str, *, with_versions: bool = False) -> pd.DataFrame:
        """Return `layer` typed per its spec (EPSG:4326); an empty frame if it is not stored.

        With `with_versions`, the last column ``_version`` holds each row's version (0 for rows
        written before versions were kept).
        """
        frame = self._read(layer)
        versions = frame.pop(VERSION_COLUMN) if VERSION_COLUMN in frame.columns else None
        if with_versions:
            values = 0 if versions is None else pd.to_numeric(versions).fillna(0)
            frame[VERSION_COLUMN] = pd.Series(values, index=frame.index).astype("Int64")
        return frame

    def read_bbox(self, layer: str, bbox: tuple[float, float, float, float]) -> pd.DataFrame:
        """Rows of `layer` whose bounding box meets `bbox` (see `Store.read_bbox`): GDAL asks the
        GeoPackage's R-tree."""
        if not get_spec(layer).is_spatial:
            msg = f"{layer!r} has no geometry: it cannot be read by bounding box"
            raise StoreError(msg)
        return self._read(layer, bbox=tuple(float(v) for v in bbox)).drop(
            columns=VERSION_COLUMN, errors="ignore"
        )

    def _read(self, layer: str, **where: Any) -> pd.DataFrame:
        spec = get_spec(layer)
        if layer not in self._tables():
            frame = merging.empty_layer(layer)
        else:
            try:
                # through Arrow: 4-5x faster for a national layer (columns are built in C, not
                # value by value); `apply_dtypes` gives the same typed frame either way
                frame = pyogrio.read_dataframe(self.path, layer=layer, use_arrow=True, **where)
            except Exception as exc:
                msg = f"{self.path}: cannot read layer {layer!r}: {exc}"
                raise StoreError(msg) from exc
            if spec.is_spatial:
                if not isinstance(frame, gpd.GeoDataFrame):
                    frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs=4326)
                if frame.geometry.name != "geometry":
                    frame = frame.rename_geometry("geometry")
                if frame.crs is None or frame.crs.to_epsg() != 4326:
                    frame = frame.set_crs(4326, allow_override=True)
            frame = validate.apply_dtypes(frame, spec)
        return frame

    def _meta(self) -> pd.DataFrame:
        if META not in self._tables():
            return pd.DataFrame({c: pd.Series([], dtype="object") for c in _META_COLUMNS})
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

    def versions(self, layer: str) -> pd.DataFrame:
        """Every data version written to `layer`, oldest first (see `geomon.store.Store`)."""
        get_spec(layer)
        frame = None
        if VERSIONS_TABLE in self._tables():
            quoted = layer.replace("'", "''")
            frame = pyogrio.read_dataframe(
                self.path, layer=VERSIONS_TABLE, where=f"\"layer\" = '{quoted}'"
            )
        return hist.tidy_versions(frame, layer, self.info(layer))

    def _latest_change(self, layer: str | None = None) -> str | None:
        """Time of the latest recorded change (of `layer` if given), None without history."""
        if HISTORY_TABLE not in self._tables():
            return None
        where = "" if layer is None else " WHERE \"layer\" = '{}'".format(layer.replace("'", "''"))
        found = pyogrio.read_dataframe(
            self.path, sql=f'SELECT MAX("at") AS latest FROM "{HISTORY_TABLE}"{where}'
        )
        latest = found["latest"].iloc[0] if len(found) else None
        return None if latest is None or pd.isna(latest) else str(latest)

    def _change_time(self, at: str | dt.date | dt.datetime | None) -> str:
        return hist.change_time(at, None if at is None else self._latest_change())

    def revision(self) -> int:
        """The highest revision written so far (0 for a new or legacy file).

        Read with SQLite itself (read-only): pages and map tiles ask for it on every request,
        and opening the file through GDAL twice cost ~8 ms where this costs a fraction of one.
        """
        if not self.path.is_file():
            return 0
        try:
            with contextlib.closing(
                sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            ) as conn:
                found = conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (META,)
                ).fetchone()
                if found is None:
                    return readings_gpkg.last_revision(conn)
                top = conn.execute(f'SELECT max(CAST("revision" AS INTEGER)) FROM "{META}"')
                value = max(int(top.fetchone()[0] or 0), readings_gpkg.last_revision(conn))
        except sqlite3.DatabaseError as exc:
            msg = f"{self.path}: not a readable GeoPackage: {exc}"
            raise StoreError(msg) from exc
        return int(value or 0)

    def history(self, layer: str, key: Any = None) -> pd.DataFrame:
        """Every recorded change of `layer` (of the row with `key` if given), oldest first."""
        spec = get_spec(layer)
        if HISTORY_TABLE not in self._tables():
            return hist.empty_history()
        quoted = layer.replace("'", "''")
        frame = hist.tidy(
            pyogrio.read_dataframe(self.path, layer=HISTORY_TABLE, where=f"\"layer\" = '{quoted}'")
        )
        if key is not None:
            wanted = history_text.key_text(key if isinstance(key, tuple) else (key,), spec)
            frame = frame[frame["key"] == wanted].reset_index(drop=True)
        return frame

    def as_of(self, layer: str, when: str | dt.date | dt.datetime) -> pd.DataFrame:
        """`layer` as it was at `when` (see `geomon.store.history.as_of`)."""
        return hist.as_of(self.read(layer), self.history(layer), get_spec(layer), when)

    def files(self, layer: str, key: Any = None) -> pd.DataFrame:
        """Files stored beside `layer`'s rows (row `key` if given): `stored_files.FILE_COLUMNS`."""
        spec = get_spec(layer)
        text = None if key is None else history_text.key_text(_tuple(key), spec)
        return stored_files.gpkg_files(self.path, layer, text)

    def file_data(self, layer: str, key: Any, file_id: str) -> bytes:
        """The bytes of one stored file (`StoreError` if there is none)."""
        spec = get_spec(layer)
        text = history_text.key_text(_tuple(key), spec)
        return stored_files.gpkg_data(self.path, layer, text, file_id)

    # ---------------------------------------------------------------- writing
    def write(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        mode: WriteMode = "replace",
        source: str | None = None,
        version: str | None = None,
        user: str | None = None,
        at: str | dt.date | dt.datetime | None = None,
        files: Sequence[stored_files.StoredFile] = (),
    ) -> dict[str, WriteStats]:
        """Write several layers in one all-or-nothing step (see the module docstring)."""
        with _exclusive(self._lock):
            revision, at = self.revision() + 1, self._change_time(at)
            common = {
                "revision": revision,
                "at": at,
                "user": user or hist.default_user(),
                "source": source,
            }
            stats: dict[str, WriteStats] = {}
            merged: dict[str, pd.DataFrame] = {}
            logs: list[pd.DataFrame] = []
            for name, frame in frames.items():
                spec = get_spec(name)
                current = self.read(name, with_versions=True)
                versions = current.pop(VERSION_COLUMN)
                incoming = merging.typed_incoming(frame, current, spec, mode=mode)
                change = merging.diff(current, incoming, spec, mode=mode)
                merged[name] = merging.merge(current, incoming, spec, mode=mode)
                merged[name][VERSION_COLUMN] = merging.versions_after(
                    current, versions, merged[name], change, spec, mode=mode, revision=revision
                )
                log = hist.diff_history(change, current, incoming, spec, layer=name, **common)
                logs.append(log)
                stats[name] = WriteStats(
                    layer=name,
                    mode=mode,
                    rows_before=len(current),
                    rows_after=len(merged[name]),
                    added=len(change.added),
                    updated=len(change.changed_keys),
                )
            meta = {
                name: {
                    "rows": s.rows_after,
                    "source": source,
                    "imported_at": at[:19] + "+00:00",
                    "version": version,
                }
                for name, s in stats.items()
            }
            versions = []
            if version is not None:  # a labelled write: one version record per layer
                have = set(self._versions_table()["layer"])
                versions = [  # a layer stored before: keep the version it had, too
                    hist.legacy_version(info, self._latest_change(name))
                    for name in stats
                    if name not in have and (info := self.info(name)) is not None
                ]
                versions += hist.version_records(
                    {name: s.rows_after for name, s in stats.items()},
                    revision=revision,
                    at=at,
                    version=version,
                    source=source,
                    user=common["user"],
                )
            for name, frame in merged.items():
                ours = [f for f in files if f.layer == name]
                keys = history_text.key_texts(history_text.keys_of(frame, get_spec(name)))
                stored_files.check_targets(ours, name, keys)
            stored_files.check_targets([f for f in files if f.layer not in merged], "", ())
            rows = stored_files.records(files, revision=revision, at=at, user=common["user"])
            self._commit(merged, meta, logs, revision, versions, rows)
            return stats

    # ---------------------------------------------------------------- readings
    def write_readings(
        self,
        frame: pd.DataFrame,
        *,
        mode: rd.ReadingsMode = "upsert",
        user: str | None = None,
        source: str | None = None,
    ) -> rd.ReadingsStats:
        """Write station readings all or nothing (see `geomon.store.readings`)."""
        checked = rd.check_frame(frame, mode)
        with _exclusive(self._lock):
            if not self.path.exists():  # a new store: an empty GeoPackage to hold the table
                self.path.parent.mkdir(parents=True, exist_ok=True)
                empty = pd.DataFrame({c: pd.Series([], dtype="object") for c in _META_COLUMNS})
                empty = empty.astype({"rows": "int64", "revision": "int64"})
                pyogrio.write_dataframe(empty, self.path, layer=META, driver="GPKG")
            return readings_gpkg.write(
                self.path,
                checked,
                mode=mode,
                revision=self.revision() + 1,
                at=hist.now(),
                user=user or hist.default_user(),
                source=source,
            )

    def read_readings(
        self,
        *,
        sections: Any = None,
        parameters: Any = None,
        start: Any = None,
        end: Any = None,
        step: str | None = None,
    ) -> pd.DataFrame:
        """Stored readings (`geomon.monitoring.READINGS_COLUMNS`) matching every filter given:
        sections and parameters (one or several), ``start <= time < end`` (naive times and
        dates are Beijing time; a bare date as `end` includes that day) and step; sorted by
        section, parameter and time."""
        rd.check_step(step)
        lo, hi = rd.bounds(start, end)
        return readings_gpkg.read(
            self.path,
            sections=rd.as_list(sections),
            parameters=rd.as_list(parameters),
            start=lo,
            end=hi,
            step=step,
        )

    def read_readings_daily(
        self, start: dt.date, end: dt.date, *, stations: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """The daily rollup of the readings (`geomon.store.rollup.DAILY_COLUMNS`) for Beijing
        days `start` … `end` (inclusive), of `stations` (MN) only when given; built first if
        the file has readings but no rollup."""
        return rollup_gpkg.read_file(
            self.path, ru.day_number(start), ru.day_number(end),
            lock=lambda: _exclusive(self._lock),
            stations=None if stations is None else [str(s) for s in stations],
        )  # fmt: skip

    def _versions_table(self) -> pd.DataFrame:
        if VERSIONS_TABLE not in self._tables():
            return pd.DataFrame({"layer": pd.Series([], dtype="object")})
        return pyogrio.read_dataframe(self.path, layer=VERSIONS_TABLE, columns=["layer"])

    def edit(
        self,
        layer: str,
        changes: Sequence[Edit],
        *,
        user: str,
        source: str | None = None,
        at: str | dt.date | dt.datetime | None = None,
        files: Sequence[stored_files.StoredFile] = (),
    ) -> EditResult:
        """Apply `changes` to `layer` all or nothing (see `geomon.store.Store.edit`)."""
        spec = get_spec(layer)
        with _exclusive(self._lock):
            current = self.read(layer, with_versions=True)
            plan = editing.plan(current, changes, spec)
            if plan.stale:
                raise editing.conflict_error(current, plan.stale, self.history(layer), spec)
            edited = [history_text.key_text(c.key, spec) for c in changes]
            stored_files.check_targets(files, layer, edited)
            if not plan.changes and not files:
                versions = [int(current[VERSION_COLUMN].iloc[p]) for p in plan.positions]
                return EditResult(layer, self.revision(), (), _versions(changes, versions))
            revision, when = self.revision() + 1, self._change_time(at)
            new = current.copy()
            changed = {c.key for c in plan.changes}
            keys = merging._keys(plan.rows, spec.key_fields)
            for i, (pos, key) in enumerate(zip(plan.positions, keys, strict=True)):
                if key in changed:
                    for column in plan.rows.columns:
                        new.iat[pos, new.columns.get_loc(column)] = plan.rows.iloc[i][column]
                    new.iat[pos, new.columns.get_loc(VERSION_COLUMN)] = revision
            records = hist.field_change_records(
                plan.changes,
                spec,
                revision=revision,
                at=when,
                user=user,
                source=source,
                layer=layer,
            )
            info = self.info(layer)
            meta = {
                layer: {
                    "rows": len(new),
                    "source": info.source if info else source,
                    "imported_at": info.imported_at if info else None,
                    "version": info.version if info else None,
                }
            }
            rows = stored_files.records(files, revision=revision, at=when, user=user)
            self._commit({layer: new}, meta, [hist.records_frame(records)], revision, (), rows)
            versions = [int(v) for v in new[VERSION_COLUMN].iloc[plan.positions]]
            return EditResult(layer, revision, tuple(plan.changes), _versions(changes, versions))

    def _commit(
        self,
        merged: Mapping[str, pd.DataFrame],
        meta_updates: Mapping[str, Mapping[str, Any]],
        logs: Sequence[pd.DataFrame],
        revision: int,
        versions: Sequence[Mapping[str, Any]] = (),
        file_rows: Sequence[Mapping[str, Any]] = (),
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
            for name, frame in merged.items():
                self._write_table(tmp, name, frame)
                meta = meta[meta["layer"] != name]
                record = {"layer": name, **meta_updates[name], "revision": revision}
                meta = pd.concat([meta, pd.DataFrame([record])], ignore_index=True)
            meta = meta.astype({"rows": "int64", "revision": "int64"})
            pyogrio.write_dataframe(meta, tmp, layer=META, driver="GPKG")
            for log in logs:  # history frames (`hist.history_frame`), appended in order
                if len(log):
                    pyogrio.write_dataframe(
                        log, tmp, layer=HISTORY_TABLE, driver="GPKG", append=True
                    )
            if versions:
                kept = pd.DataFrame(list(versions)).astype("object")
                kept = kept.astype({"revision": "int64", "rows": "int64"})
                pyogrio.write_dataframe(kept, tmp, layer=VERSIONS_TABLE, driver="GPKG", append=True)
            stored_files.gpkg_add(tmp, [dict(r) for r in file_rows])
            tmp.replace(self.path)
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, StoreError):
                raise
            msg = f"{self.path}: write failed, nothing was changed: {exc}"
            raise StoreError(msg) from exc

    @staticmethod
    def _write_table(path: Path, name: str, frame: pd.DataFrame) -> None:
        spec = get_spec(name)
        frame = frame.astype({VERSION_COLUMN: "int64"})
        if spec.is_spatial:
            gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)
            # declared as what the layer holds (MULTIPOLYGON once one polygon has two parts)
            declared, promote = gpkg_geometry_type(spec, gdf.geometry.values)
            pyogrio.write_dataframe(
                gdf,
                path,
                layer=name,
                driver="GPKG",
                geometry_type=declared,
                promote_to_multi=promote,
                use_arrow=_ARROW,
            )
        else:
            pyogrio.write_dataframe(
                pd.DataFrame(frame), path, layer=name, driver="GPKG", use_arrow=_ARROW
            )


def _versions(changes: Sequence[Edit], versions: Sequence[int]) -> dict[tuple[Any, ...], int]:
    return {c.key: int(v) for c, v in zip(changes, versions, strict=True)}


def _tuple(key: Any) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)
