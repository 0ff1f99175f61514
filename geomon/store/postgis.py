"""The PostGIS store: layers as PostgreSQL tables, for several editors and large layers.

Tables are created from the layer specs (see `geomon.store._pgschema`). Every `write` and
`edit` is one database transaction, so it is all or nothing, history included; a client killed
mid-write leaves nothing behind (the server rolls the transaction back).

Concurrency: writers take a transaction-scoped advisory lock (one writer at a time, which also
guards table creation) and lock each written table ``IN EXCLUSIVE MODE``, so no edit changes a
row between the read and the write of an import (readers are never blocked). Editors lock just
their rows (``SELECT … FOR UPDATE``) and compare versions. Both then take the store's revision
counter row, which orders commits: history revisions follow commit order.

Longer than ~450 lines because it is one class, the whole `Store` protocol over one connection
pool; the tables and row writes are already apart in `_pgschema`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from geomon import validate
from geomon.errors import StoreError
from geomon.siting.measure import MeasuredLayer
from geomon.specs import LayerSpec, get_spec
from geomon.store import (
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
from geomon.store import _pgschema as schema
from geomon.store import _readings_pg as readings_pg
from geomon.store import _rollup_pg as rollup_pg
from geomon.store import _siting_pg as siting_pg
from geomon.store import files as stored_files
from geomon.store import history as hist
from geomon.store import merge as merging
from geomon.store import readings as rd
from geomon.store import rollup as ru

_WRITER_LOCK = 0x67656F6D  # "geom": pg_advisory_xact_lock key shared by every geomon writer
_MODES = ("replace", "upsert", "append")
_LOG_CHUNK = 10_000  # history records sent per INSERT (bounds the parameter dicts held at once)


def engine_url(url: str) -> str:
    """The SQLAlchemy URL of `url`: ``postgresql://`` and ``postgres://`` use psycopg 3."""
    return re.sub(r"^(postgresql|postgres)(\+\w+)?://", "postgresql+psycopg://", url)


def _masked(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


class PostGISStore:
    """Layers in a PostgreSQL + PostGIS database (``postgresql://user@host/db``)."""

    def __init__(self, url: str) -> None:
        self.url = str(url)
        self._engine: sa.Engine | None = None

    def __repr__(self) -> str:
        return f"PostGISStore({_masked(self.url)!r})"

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (created on first use, so a store can cross a fork)."""
        if self._engine is None:
            self._engine = sa.create_engine(engine_url(self.url), pool_pre_ping=True)
        return self._engine

    def dispose(self) -> None:
        """Close the pooled connections."""
        if self._engine is not None:
            self._engine.dispose()

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False, snapshot: bool = False) -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as conn:
                if snapshot:
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn
        except sa.exc.DBAPIError as exc:
            what = "write failed, nothing was changed" if write else "read failed"
            msg = f"{_masked(self.url)}: {what}: {exc.orig or exc}"
            raise StoreError(msg) from exc

    @staticmethod
    def _exists(conn: sa.Connection, table: str) -> bool:
        return conn.execute(sa.select(sa.func.to_regclass(table))).scalar() is not None

    @staticmethod
    def _columns(conn: sa.Connection, table: str) -> set[str]:
        """The columns of `table` in one round trip (none: no such table); SQLAlchemy's
        inspector takes several, which a siting check of one project paid per layer."""
        query = sa.text(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:t) "
            "AND attnum > 0 AND NOT attisdropped"
        )
        return set(conn.execute(query, {"t": table}).scalars())

    # ---------------------------------------------------------------- reading
    def layer_names(self) -> list[str]:
        """Names of the geomon layers in the database, sorted."""
        with self._connect() as conn:
            if not self._exists(conn, "geomon_layers"):
                return []
            t = schema.layers_table
            return list(conn.execute(sa.select(t.c.layer).order_by(t.c.layer)).scalars())

    def _read(
        self,
        conn: sa.Connection,
        spec: LayerSpec,
        *,
        where: sa.ColumnElement[bool] | None = None,
        lock: bool = False,
    ) -> pd.DataFrame:
        """Rows (spec columns, then ``fid`` and ``_version``) in stored order."""
        have = self._columns(conn, spec.name)
        if not have:
            frame = merging.empty_layer(spec)
            return frame.assign(
                fid=pd.Series([], dtype="int64"), **{VERSION_COLUMN: pd.Series([], dtype="Int64")}
            )
        t = schema.layer_table(spec)
        # a field added to the spec since the table was made reads as empty (apply_dtypes)
        fields = [t.c[f] for f in spec.field_names if f in have]
        columns = [*fields, t.c.fid, t.c[VERSION_COLUMN]]
        if spec.is_spatial:
            columns.append(sa.func.ST_AsBinary(t.c[schema.GEOMETRY_COLUMN]).label("geometry"))
        stmt = sa.select(*columns).order_by(t.c.fid)
        if where is not None:
            stmt = stmt.where(where)
        if lock:
            stmt = stmt.with_for_update(of=t)
        if spec.is_spatial:
            frame = gpd.read_postgis(stmt, conn, geom_col="geometry", crs=4326)
        else:
            frame = pd.read_sql(stmt, conn)
        frame = validate.apply_dtypes(frame, spec)
        return frame.astype({"fid": "int64", VERSION_COLUMN: "Int64"})

    def read(self, layer: str, *, with_versions: bool = False) -> pd.DataFrame:
        """Return `layer` typed per its spec (EPSG:4326); an empty frame if it is not stored."""
        spec = get_spec(layer)
        with self._connect() as conn:
            frame = self._read(conn, spec).drop(columns="fid")
        return frame if with_versions else frame.drop(columns=VERSION_COLUMN)

    def read_bbox(self, layer: str, bbox: tuple[float, float, float, float]) -> pd.DataFrame:
        """Rows of `layer` whose bounding box meets `bbox` (see `Store.read_bbox`): the GiST
        index answers ``&&``."""
        spec = get_spec(layer)
        if not spec.is_spatial:
            msg = f"{layer!r} has no geometry: it cannot be read by bounding box"
            raise StoreError(msg)
        envelope = sa.func.ST_MakeEnvelope(*(float(v) for v in bbox), 4326)
        geom = schema.layer_table(spec).c[schema.GEOMETRY_COLUMN]
        with self._connect() as conn:
            frame = self._read(conn, spec, where=geom.op("&&")(envelope))
        return frame.drop(columns=["fid", VERSION_COLUMN])

    def measure_near(
        self,
        geoms: np.ndarray,
        epsg: np.ndarray,
        layers: Sequence[str],
        *,
        buffer_m: float,
        near: Mapping[str, bool],
        fields: Mapping[str, Sequence[str]],
    ) -> dict[str, tuple[MeasuredLayer | None, LayerInfo | None]]:
        """Measure projects against `layers` in the database, for the siting check.

        `geoms` are the projects (EPSG:4326), `epsg` the GK plane of each (`geomon.siting.
        measure.zone_epsg`); per layer, the features within `buffer_m` (only those meeting a
        project where `near` says False) are measured as `geomon.siting.measure.measure_pairs`
        measures them, with the attributes `fields` names. Returns per layer its measured pairs
        (None: not stored) and its `info`, all read in one transaction. Not part of the `Store`
        protocol: a store without it is read near the projects and measured in memory.
        """
        with self._connect() as conn:
            return siting_pg.measure_near(
                conn, geoms, epsg, layers, buffer_m=buffer_m, near=near, fields=fields
            )

    def info(self, layer: str) -> LayerInfo | None:
        """Return the stored version record of `layer`, or None if it is not stored."""
        with self._connect() as conn:
            return self._info(conn, layer)

    def _info(self, conn: sa.Connection, layer: str) -> LayerInfo | None:
        if not self._exists(conn, "geomon_layers"):
            return None
        t = schema.layers_table
        row = conn.execute(sa.select(t).where(t.c.layer == layer)).mappings().first()
        if row is None:
            return None
        return LayerInfo(
            name=layer,
            rows=int(row["rows"]),
            source=row["source"],
            imported_at=row["imported_at"],
            version=row["version"],
            revision=int(row["revision"]),
        )

    def versions(self, layer: str) -> pd.DataFrame:
        """Every data version written to `layer`, oldest first (see `geomon.store.Store`)."""
        get_spec(layer)
        with self._connect(snapshot=True) as conn:
            info = self._info(conn, layer)
            frame = None
            if self._exists(conn, VERSIONS_TABLE):
                t = schema.versions_table
                stmt = sa.select(t).where(t.c.layer == layer).order_by(t.c.revision, t.c.id)
                frame = pd.read_sql(stmt, conn)
                if len(frame):
                    frame["at"] = schema.at_text(frame["at"])
        return hist.tidy_versions(frame, layer, info)

    @staticmethod
    def _change_time(conn: sa.Connection, at: str | dt.date | dt.datetime | None) -> str:
        """Now, or `at` checked against the latest change (call after `_next_revision`)."""
        if at is None:
            return hist.now()
        t = schema.history_table
        latest = conn.execute(sa.select(sa.func.max(t.c.at))).scalar()
        return hist.change_time(at, None if latest is None else hist.parse_when(latest))

    def revision(self) -> int:
        """The store's revision: grows with every write and edit (0 for an empty database)."""
        with self._connect() as conn:
            if not self._exists(conn, "geomon_revision"):
                return 0
            t = schema.revision_table
            return int(conn.execute(sa.select(t.c.revision)).scalar() or 0)

    def _history(
        self, conn: sa.Connection, layer: str, keys: Sequence[str | None] | None = None
    ) -> pd.DataFrame:
        if not self._exists(conn, schema.HISTORY_TABLE):
            return hist.empty_history()
        t = schema.history_table
        stmt = sa.select(t).where(t.c.layer == layer).order_by(t.c.revision, t.c.id)
        if keys is not None:
            stmt = stmt.where(t.c.key.in_(list(keys)))
        frame = pd.read_sql(stmt, conn)
        if len(frame):
            frame["at"] = schema.at_text(frame["at"])
        return hist.tidy(frame)

    def history(self, layer: str, key: Any = None) -> pd.DataFrame:
        """Every recorded change of `layer` (of the row with `key` if given), oldest first."""
        spec = get_spec(layer)
        keys = None
        if key is not None:
            keys = [history_text.key_text(key if isinstance(key, tuple) else (key,), spec)]
        with self._connect() as conn:
            return self._history(conn, layer, keys)

    def as_of(self, layer: str, when: str | dt.date | dt.datetime) -> pd.DataFrame:
        """`layer` as it was at `when` (see `geomon.store.history.as_of`)."""
        spec = get_spec(layer)
        with self._connect(snapshot=True) as conn:  # rows and history as of one moment
            current = self._read(conn, spec).drop(columns="fid")
            events = self._history(conn, layer)
        return hist.as_of(current, events, spec, when)

    # ---------------------------------------------------------------- writing
    def _ensure_table(self, conn: sa.Connection, spec: LayerSpec) -> sa.Table:
        table = schema.layer_table(spec)
        if not self._exists(conn, spec.name):
            if spec.is_spatial:
                self._ensure_postgis(conn)
            table.create(conn)
            return table
        have = {c["name"] for c in sa.inspect(conn).get_columns(spec.name)}
        for column in table.columns:
            if column.name not in have:  # a field added to the spec since the table was made
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(
                    sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                )
        return table

    def _ensure_postgis(self, conn: sa.Connection) -> None:
        if conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first():
            return
        try:
            with conn.begin_nested():
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        except sa.exc.DBAPIError as exc:
            msg = (
                f"{_masked(self.url)}: the database has no PostGIS extension and this user "
                f"cannot create it; ask an administrator to run CREATE EXTENSION postgis "
                f"({exc.orig})"
            )
            raise StoreError(msg) from exc

    @staticmethod
    def _next_revision(conn: sa.Connection) -> int:
        t = schema.revision_table
        stmt = pg_insert(t).values(id=1, revision=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.id], set_={"revision": t.c.revision + 1}
        ).returning(t.c.revision)
        return int(conn.execute(stmt).scalar_one())

    @staticmethod
    def _set_meta(conn: sa.Connection, layer: str, values: Mapping[str, Any]) -> None:
        t = schema.layers_table
        stmt = pg_insert(t).values(layer=layer, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=[t.c.layer], set_=dict(values)))

    @staticmethod
    def _log(conn: sa.Connection, log: pd.DataFrame) -> None:
        """Insert history records (`hist.history_frame`), a chunk of rows at a time."""
        for start in range(0, len(log), _LOG_CHUNK):
            rows = hist.frame_records(log.iloc[start : start + _LOG_CHUNK])
            for r in rows:
                r["at"] = schema.at_value(r["at"])
            conn.execute(sa.insert(schema.history_table), rows)

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
        """Write several layers in one transaction (all or nothing); record history."""
        if mode not in _MODES:
            msg = f"unknown write mode {mode!r}; use replace, upsert or append"
            raise StoreError(msg)
        with self._connect(write=True) as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_WRITER_LOCK)))
            schema.metadata.create_all(
                conn,
                tables=[
                    schema.layers_table,
                    schema.revision_table,
                    schema.history_table,
                    schema.versions_table,
                    schema.files_table,
                ],
            )
            plans = self._plan_writes(conn, frames, mode)
            revision = self._next_revision(conn)
            at = self._change_time(conn, at)
            common = {
                "revision": revision,
                "at": at,
                "user": user or hist.default_user(),
                "source": source,
            }
            records = [] if version is None else self._legacy_versions(conn, sorted(frames))
            stats = {}
            for spec, table, current, fids, versions, incoming, change, merged in plans:
                after = merging.versions_after(
                    current, versions, merged, change, spec, mode=mode, revision=revision
                )
                schema.store_rows(conn, table, spec, mode, fids, change, merged, after)
                self._log(
                    conn,
                    hist.diff_history(change, current, incoming, spec, layer=spec.name, **common),
                )
                stats[spec.name] = WriteStats(
                    spec.name,
                    mode,
                    len(current),
                    len(merged),
                    len(change.added),
                    len(change.changed_keys),
                )
                self._set_meta(
                    conn,
                    spec.name,
                    {
                        "rows": len(merged),
                        "source": source,
                        "imported_at": at[:19] + "+00:00",
                        "version": version,
                        "revision": revision,
                    },
                )
            if version is not None:  # a labelled write: one version record per layer
                records += hist.version_records(
                    {name: s.rows_after for name, s in stats.items()},
                    revision=revision,
                    at=at,
                    version=version,
                    source=source,
                    user=common["user"],
                )
            self._add_versions(conn, records)
            for spec, _, _, _, _, _, _, merged in plans:
                keys = history_text.key_texts(history_text.keys_of(merged, spec))
                stored_files.check_targets(
                    [f for f in files if f.layer == spec.name], spec.name, keys
                )
            stored_files.check_targets([f for f in files if f.layer not in frames], "", ())
            self._add_files(
                conn, stored_files.records(files, revision=revision, at=at, user=common["user"])
            )
        return {name: stats[name] for name in frames}

    # ---------------------------------------------------------------- readings
    def write_readings(
        self,
        frame: pd.DataFrame,
        *,
        mode: rd.ReadingsMode = "upsert",
        user: str | None = None,
        source: str | None = None,
    ) -> rd.ReadingsStats:
        """Write station readings in one transaction (see `geomon.store.readings`)."""
        checked = rd.check_frame(frame, mode)
        with self._connect(write=True) as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_WRITER_LOCK)))
            schema.metadata.create_all(conn, tables=[schema.revision_table])
            revision = self._next_revision(conn)
            stats = readings_pg.write(conn, checked, mode=mode, revision=revision)
            rollup_pg.refresh(conn, checked, mode)  # the daily rollup, in the same transaction
            readings_pg.log(
                conn,
                stats,
                at=schema.at_value(hist.now()),
                user=user or hist.default_user(),
                source=source,
                mode=mode,
            )
        return stats

    def read_readings(
        self,
        *,
        sections: Any = None,
        parameters: Any = None,
        start: Any = None,
        end: Any = None,
        step: str | None = None,
    ) -> pd.DataFrame:
        """Stored readings matching every filter given (see `GeoPackageStore.read_readings`)."""
        rd.check_step(step)
        lo, hi = rd.bounds(start, end)
        with self._connect() as conn:
            return readings_pg.read(
                conn,
                sections=rd.as_list(sections),
                parameters=rd.as_list(parameters),
                start=lo,
                end=hi,
                step=step,
            )

    def read_readings_daily(
        self, start: dt.date, end: dt.date, *, stations: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """The daily rollup of the readings for Beijing days `start` … `end` (see
        `GeoPackageStore.read_readings_daily`); built first if missing (an older store)."""
        lo, hi = ru.day_number(start), ru.day_number(end)
        stations = None if stations is None else [str(s) for s in stations]
        with self._connect() as conn:
            if conn.execute(sa.select(sa.func.to_regclass(rd.READINGS_TABLE))).scalar() is None:
                return ru.empty_daily()
            if rollup_pg.exists(conn):
                return rollup_pg.read(conn, lo, hi, stations)
        with self._connect(write=True) as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_WRITER_LOCK)))
            if not rollup_pg.exists(conn):
                rollup_pg.build(conn)
            return rollup_pg.read(conn, lo, hi, stations)

    @staticmethod
    def _add_files(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        if rows:
            stmt = pg_insert(schema.files_table).on_conflict_do_nothing()
            conn.execute(stmt, rows)

    def files(self, layer: str, key: Any = None) -> pd.DataFrame:
        """Files stored beside `layer`'s rows (row `key` if given): `stored_files.FILE_COLUMNS`."""
        spec = get_spec(layer)
        t = schema.files_table
        query = sa.select(*[t.c[n] for n in stored_files.FILE_COLUMNS]).where(t.c.layer == layer)
        if key is not None:
            query = query.where(t.c.key == history_text.key_text(_tuple(key), spec))
        with self._connect() as conn:
            if not self._exists(conn, stored_files.FILES_TABLE):
                return stored_files.empty_files()
            rows = conn.execute(query.order_by(t.c.revision, t.c.at)).all()
        return stored_files.tidy(rows)

    def file_data(self, layer: str, key: Any, file_id: str) -> bytes:
        """The bytes of one stored file (`StoreError` if there is none)."""
        spec = get_spec(layer)
        t = schema.files_table
        text = history_text.key_text(_tuple(key), spec)
        with self._connect() as conn:
            found = None
            if self._exists(conn, stored_files.FILES_TABLE):
                query = sa.select(t.c.data).where(
                    t.c.layer == layer, t.c.key == text, t.c.file_id == file_id
                )
                found = conn.execute(query).scalar()
        if found is None:
            msg = f"no stored file {file_id!r} for {layer} {text}"
            raise StoreError(msg)
        return bytes(found)

    def _plan_writes(
        self, conn: sa.Connection, frames: Mapping[str, pd.DataFrame], mode: WriteMode
    ) -> list[tuple[Any, ...]]:
        """Lock each layer's table and diff and merge its incoming rows, before any writing."""
        plans = []
        for name in sorted(frames):  # one lock order for every writer
            spec = get_spec(name)
            table = self._ensure_table(conn, spec)
            conn.execute(sa.text(f'LOCK TABLE "{table.name}" IN EXCLUSIVE MODE'))
            current = self._read(conn, spec)
            fids = current.pop("fid")
            versions = current.pop(VERSION_COLUMN)
            incoming = merging.typed_incoming(frames[name], current, spec, mode=mode)
            change = merging.diff(current, incoming, spec, mode=mode)
            merged = merging.merge(current, incoming, spec, mode=mode)
            plans.append((spec, table, current, fids, versions, incoming, change, merged))
        return plans

    @staticmethod
    def _add_versions(conn: sa.Connection, records: list[dict[str, Any]]) -> None:
        """Insert version records (`hist.version_records`, `hist.legacy_version`)."""
        if records:
            conn.execute(
                sa.insert(schema.versions_table),
                [
                    {**r, "at": None if r["at"] is None else schema.at_value(r["at"])}
                    for r in records
                ],
            )

    def _legacy_versions(self, conn: sa.Connection, layers: Sequence[str]) -> list[dict[str, Any]]:
        """Version records of `layers` written before versions were kept (from their info)."""
        t, h = schema.versions_table, schema.history_table
        kept = set(conn.execute(sa.select(t.c.layer).where(t.c.layer.in_(layers))).scalars())
        out = []
        for name in layers:
            if name in kept or (info := self._info(conn, name)) is None:
                continue
            latest = conn.execute(sa.select(sa.func.max(h.c.at)).where(h.c.layer == name)).scalar()
            out.append(
                hist.legacy_version(info, None if latest is None else hist.parse_when(latest))
            )
        return out

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
        """Apply `changes` to `layer` in one transaction (see `geomon.store.Store.edit`)."""
        spec = get_spec(layer)
        keys = [history_text.normal_key(c.key, spec) for c in changes]
        stored_files.check_targets(files, layer, [history_text.key_text(k, spec) for k in keys])
        if not keys:
            return EditResult(layer, self.revision())
        with self._connect(write=True) as conn:
            if not self._exists(conn, layer):
                msg = f"layer {layer!r} is not stored yet, so it has no rows to edit"
                raise StoreError(msg)
            table = self._ensure_table(conn, spec)  # adds fields new to the spec, in this txn
            match = schema.key_match(table, spec, keys)
            current = self._read(conn, spec, where=match, lock=True)
            plan = editing.plan(current, changes, spec)
            if plan.stale:
                events = self._history(conn, layer, [history_text.key_text(k, spec) for k in keys])
                raise editing.conflict_error(current, plan.stale, events, spec)
            old_versions = [int(current[VERSION_COLUMN].iloc[p]) for p in plan.positions]
            if not plan.changes and not files:
                rev = int(conn.execute(sa.select(schema.revision_table.c.revision)).scalar() or 0)
                return EditResult(layer, rev, (), _versions(changes, old_versions))
            revision = self._next_revision(conn)
            when = self._change_time(conn, at)
            changed = {c.key for c in plan.changes}
            row_keys = merging._keys(plan.rows, spec.key_fields)
            pick = [i for i, k in enumerate(row_keys) if k in changed]
            fids = [int(current["fid"].iloc[plan.positions[i]]) for i in pick]
            if pick:
                conn.execute(
                    schema.update_statement(table, spec),
                    schema.parameters(plan.rows.iloc[pick], spec, [revision] * len(pick), fids),
                )
            records = hist.field_change_records(
                plan.changes,
                spec,
                revision=revision,
                at=when,
                user=user,
                source=source,
                layer=layer,
            )
            self._log(conn, hist.records_frame(records))
            if files:
                schema.metadata.create_all(conn, tables=[schema.files_table])
                self._add_files(
                    conn, stored_files.records(files, revision=revision, at=when, user=user)
                )
            t = schema.layers_table
            conn.execute(sa.update(t).where(t.c.layer == layer).values(revision=revision))
            new_versions = [
                revision if k in changed else v for k, v in zip(row_keys, old_versions, strict=True)
            ]
            return EditResult(
                layer, revision, tuple(plan.changes), _versions(changes, new_versions)
            )


def _tuple(key: Any) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


def _versions(changes: Sequence[Edit], versions: Sequence[int]) -> dict[tuple[Any, ...], int]:
    return {c.key: int(v) for c, v in zip(changes, versions, strict=True)}
