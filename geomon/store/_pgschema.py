"""Tables of the PostGIS store, built from the layer specs, and values as the database takes them.

One table per layer: ``fid`` (identity, row order), the spec's fields as typed columns, ``geom``
(``geometry(Geometry, 4326)`` with a GiST index) for spatial layers, and ``_version`` (the store
revision that last changed the row). The key fields carry a unique constraint. Beside them:
``geomon_layers`` (one row per layer: rows, source, import time, label, revision),
``geomon_revision`` (the store's revision counter: one row, locked by each writer while it
commits), ``geomon_history`` (every change, see `geomon.store.history`) and
``geomon_layer_versions`` (one record per write of a layer: `geomon.store.VERSIONS_COLUMNS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql as pg

from geomon.specs import LayerSpec
from geomon.store import HISTORY_TABLE, VERSION_COLUMN, VERSIONS_TABLE, history_text
from geomon.store import merge as merging

GEOMETRY_COLUMN = "geom"
_TYPES: dict[str, type[sa.types.TypeEngine[Any]] | sa.types.TypeEngine[Any]] = {
    "str": sa.Text,
    "enum": sa.Text,
    "int": sa.BigInteger,
    "float": pg.DOUBLE_PRECISION,
    "bool": sa.Boolean,
    "date": sa.Date,
}

metadata = sa.MetaData()

layers_table = sa.Table(
    "geomon_layers",
    metadata,
    sa.Column("layer", sa.Text, primary_key=True),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("imported_at", sa.Text),
    sa.Column("version", sa.Text),
    sa.Column("revision", sa.BigInteger, nullable=False),
)

revision_table = sa.Table(
    "geomon_revision",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
)

history_table = sa.Table(
    HISTORY_TABLE,
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user", sa.Text),
    sa.Column("source", sa.Text),
    sa.Column("layer", sa.Text, nullable=False),
    sa.Column("key", sa.Text),
    sa.Column("op", sa.Text, nullable=False),
    sa.Column("field", sa.Text),
    sa.Column("old", sa.Text),
    sa.Column("new", sa.Text),
    sa.Index("geomon_history_layer_key", "layer", "key"),
)

versions_table = sa.Table(
    VERSIONS_TABLE,
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("layer", sa.Text, nullable=False),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("version", sa.Text),
    sa.Column("source", sa.Text),
    sa.Column("user", sa.Text),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Index("geomon_layer_versions_layer", "layer"),
)

files_table = sa.Table(
    "geomon_files",  # geomon.store.files.FILES_TABLE: files kept beside rows (evidence)
    metadata,
    sa.Column("layer", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("file_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("taken_at", sa.Text),
    sa.Column("lon", pg.DOUBLE_PRECISION),
    sa.Column("lat", pg.DOUBLE_PRECISION),
    sa.Column("caption", sa.Text),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("user", sa.Text),
    sa.Column("thumbnail", sa.LargeBinary),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

_tables: dict[str, sa.Table] = {}


def layer_table(spec: LayerSpec) -> sa.Table:
    """The table of layer `spec` (built once per layer name)."""
    if spec.name not in _tables:
        columns: list[Any] = [sa.Column("fid", sa.BigInteger, sa.Identity(), primary_key=True)]
        columns += [sa.Column(f.name, _TYPES[f.type]) for f in spec.fields]
        if spec.is_spatial:
            columns.append(
                sa.Column(GEOMETRY_COLUMN, Geometry("GEOMETRY", srid=4326, spatial_index=True))
            )
        columns.append(sa.Column(VERSION_COLUMN, sa.BigInteger, nullable=False, server_default="0"))
        if spec.key_fields:
            columns.append(sa.UniqueConstraint(*spec.key_fields, name=f"{spec.name}_key"))
        _tables[spec.name] = sa.Table(spec.name, metadata, *columns)
    return _tables[spec.name]


def column_values(frame: pd.DataFrame, spec: LayerSpec) -> dict[str, list[Any]]:
    """The spec columns of typed `frame` as plain Python values (None when missing)."""
    out: dict[str, list[Any]] = {}
    for f in spec.fields:
        col = frame[f.name].astype("object")
        missing = col.isna().to_numpy()
        if f.type == "date":
            values = [v.date() if isinstance(v, pd.Timestamp) else v for v in col]
        elif f.type == "int":
            values = [int(v) if not m else None for v, m in zip(col, missing, strict=True)]
        elif f.type == "float":
            values = [float(v) if not m else None for v, m in zip(col, missing, strict=True)]
        elif f.type == "bool":
            values = [bool(v) if not m else None for v, m in zip(col, missing, strict=True)]
        else:
            values = [str(v) if not m else None for v, m in zip(col, missing, strict=True)]
        out[f.name] = [None if m else v for v, m in zip(values, missing, strict=True)]
    if spec.is_spatial:
        wkb = shapely.to_wkb(np.asarray(frame.geometry.values, dtype=object))
        out[GEOMETRY_COLUMN] = list(wkb)
    return out


def sql_value(value: Any, ftype: str) -> Any:
    """One key value (as `geomon.store.history.decode` gives it) as the database takes it."""
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    return value


def at_value(at: str) -> dt.datetime:
    """History time text (UTC ISO) as an aware datetime for the ``timestamptz`` column."""
    return dt.datetime.fromisoformat(at)


def at_text(values: pd.Series) -> pd.Series:
    """``timestamptz`` values read back as history time text (UTC ISO, microseconds)."""
    stamps = pd.to_datetime(values, utc=True)
    return stamps.map(lambda t: t.isoformat(timespec="microseconds")).astype("object")


def _row_values(spec: LayerSpec) -> dict[str, Any]:
    values: dict[str, Any] = {
        f.name: sa.bindparam(f"v{i}", type_=_TYPES[f.type]) for i, f in enumerate(spec.fields)
    }
    if spec.is_spatial:
        values[GEOMETRY_COLUMN] = sa.func.ST_GeomFromWKB(
            sa.bindparam("wkb", type_=sa.LargeBinary), 4326
        )
    values[VERSION_COLUMN] = sa.bindparam("version", type_=sa.BigInteger)
    return values


def insert_statement(table: sa.Table, spec: LayerSpec) -> sa.Insert:
    """INSERT of one row per parameter set (``v0``…, ``wkb``, ``version``; see `parameters`)."""
    return sa.insert(table).values(_row_values(spec))


def update_statement(table: sa.Table, spec: LayerSpec) -> sa.Update:
    """UPDATE of every column of the row ``fid`` (parameters as for the insert, plus ``row``)."""
    stmt = sa.update(table).where(table.c.fid == sa.bindparam("row", type_=sa.BigInteger))
    return stmt.values(_row_values(spec))


def parameters(
    frame: pd.DataFrame, spec: LayerSpec, versions: list[int], fids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Parameter sets for `insert_statement` / `update_statement`, one per row of `frame`."""
    values = column_values(frame, spec)
    names = {f.name: f"v{i}" for i, f in enumerate(spec.fields)}
    rows = []
    for i in range(len(frame)):
        row = {names[f]: values[f][i] for f in names}
        if spec.is_spatial:
            row["wkb"] = values[GEOMETRY_COLUMN][i]
        row["version"] = int(versions[i])
        if fids is not None:
            row["row"] = int(fids[i])
        rows.append(row)
    return rows


def key_match(
    table: sa.Table, spec: LayerSpec, keys: Sequence[tuple[str | None, ...]]
) -> sa.ColumnElement[bool]:
    """WHERE clause matching the rows with `keys` (as `geomon.store.history.normal_key` gives)."""
    types = [history_text.field_type(spec, f) for f in spec.key_fields]
    return sa.or_(
        *(
            sa.and_(
                *(
                    table.c[f] == sql_value(history_text.decode(v, t), t)
                    for f, v, t in zip(spec.key_fields, key, types, strict=True)
                )
            )
            for key in keys
        )
    )


def store_rows(
    conn: sa.Connection,
    table: sa.Table,
    spec: LayerSpec,
    mode: str,
    fids: pd.Series,
    change: merging.Diff,
    merged: pd.DataFrame,
    versions: list[int],
) -> None:
    """Make `table` hold `merged`: rewrite it (replace) or insert new rows and update changed ones.

    `fids` are the ids of the stored rows, which `merged` holds first and in order
    (`geomon.store.merge.merge`); `versions` are the row versions of `merged`.
    """
    insert = insert_statement(table, spec)
    if mode == "replace":
        conn.execute(sa.delete(table))
        if len(merged):
            conn.execute(insert, parameters(merged, spec, versions))
        return
    n_old = len(fids)
    if len(merged) > n_old:
        conn.execute(insert, parameters(merged.iloc[n_old:], spec, versions[n_old:]))
    changed = set(change.changed_keys)
    if changed:
        keys = merging._keys(merged.iloc[:n_old], spec.key_fields)
        pos = [i for i, k in enumerate(keys) if k in changed]
        params = parameters(
            merged.iloc[pos], spec, [versions[i] for i in pos], [int(fids.iloc[i]) for i in pos]
        )
        conn.execute(update_statement(table, spec), params)
