"""The change history both store backends keep, and rebuilding a layer at a past time.

Every change a store makes is one history record (`geomon.store.HISTORY_COLUMNS`): an
``update`` of one field of one row (old and new value as text), or the ``insert`` or ``delete``
of a whole row (the row as a JSON object of text values). Values are written as text so one
table holds every field type (`geomon.store.history_text`). `as_of` undoes the records made
after a moment, newest first, to rebuild the layer as it was then.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geomon import validate
from geomon.errors import StoreError
from geomon.specs import LayerSpec
from geomon.store import HISTORY_COLUMNS, VERSION_COLUMN, VERSIONS_COLUMNS, LayerInfo
from geomon.store import merge as merging
from geomon.store.history_text import (
    decode,
    encode,
    field_type,
    key_text,
    key_texts,
    keys_of,
    normal_key,
    row_fields,
    rows_json,
)


def default_user() -> str:
    """Who to record when the caller names no one: ``$USER``, else the login name."""
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid
        return "unknown"


def now() -> str:
    """The current time as history writes it: UTC ISO 8601 with microseconds (sorts as text)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def parse_when(when: str | dt.date | dt.datetime) -> str:
    """Return `when` in the format of `now` (naive times are UTC; a date is the end of its day)."""
    if isinstance(when, str):
        text = when.strip()
        try:
            when = (
                dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
            )
        except ValueError as exc:
            msg = f"`when` {when!r} is not an ISO date or date-time (e.g. 2024-06-30)"
            raise StoreError(msg) from exc
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time.max)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def change_time(at: str | dt.date | dt.datetime | None, latest: str | None) -> str:
    """The history time of a new change: now, or `at` when the caller backdates it.

    A backdated change (loading dated ledger snapshots, building a known history for a test or a
    demo) must lie after every change already recorded (`latest`, history time text) and not in
    the future, so history times keep the order of revisions and `as_of` stays exact. A date
    means the end of that day (UTC), as for `as_of`. Raises `StoreError` otherwise.
    """
    if at is None:
        return now()
    when = parse_when(at)
    if when > now():
        msg = f"`at` {when} is in the future; a change can only be dated now or earlier"
        raise StoreError(msg)
    if latest is not None and when <= latest:
        msg = (
            f"`at` {when} is not after the latest recorded change ({latest}); history times "
            "must grow with every change, so date changes oldest first"
        )
        raise StoreError(msg)
    return when


def record(
    *,
    revision: int,
    at: str,
    user: str | None,
    source: str | None,
    layer: str,
    key: str | None,
    op: str,
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
) -> dict[str, Any]:
    """One history record (a dict with exactly `HISTORY_COLUMNS`)."""
    out = {
        "revision": revision,
        "at": at,
        "user": user,
        "source": source,
        "layer": layer,
        "key": key,
        "op": op,
        "field": field,
        "old": old,
        "new": new,
    }
    return {c: out[c] for c in HISTORY_COLUMNS}


def field_change_records(
    changes: Iterable[merging.FieldChange], spec: LayerSpec, **common: Any
) -> list[dict[str, Any]]:
    """History records of field updates (from a diff or an edit)."""
    return [
        record(
            key=key_text(c.key, spec),
            op="update",
            field=c.field,
            old=encode(c.old, field_type(spec, c.field)),
            new=encode(c.new, field_type(spec, c.field)),
            **common,
        )
        for c in changes
    ]


def history_frame(
    *,
    revision: int,
    at: str,
    user: str | None,
    source: str | None,
    layer: str,
    key: Sequence[str | None],
    op: Sequence[str],
    field: Sequence[str | None],
    old: Sequence[str | None],
    new: Sequence[str | None],
) -> pd.DataFrame:
    """History records built from columns (`HISTORY_COLUMNS`; text columns of dtype object)."""
    n = len(key)
    columns = {
        "revision": np.full(n, revision, dtype="int64"),
        "at": [at] * n,
        "user": [user] * n,
        "source": [source] * n,
        "layer": [layer] * n,
        "key": key,
        "op": op,
        "field": field,
        "old": old,
        "new": new,
    }
    return pd.DataFrame(
        {c: pd.Series(columns[c], dtype="int64" if c == "revision" else object)
         for c in HISTORY_COLUMNS}
    )  # fmt: skip


def records_frame(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """History records (`record` dicts) as a frame like `history_frame` builds."""
    if not records:
        return empty_history()
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in records], dtype="int64" if c == "revision" else object)
         for c in HISTORY_COLUMNS}
    )  # fmt: skip


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """History records of `frame` as `record` dicts (plain Python values)."""
    columns = [frame[c].tolist() for c in HISTORY_COLUMNS]
    return [dict(zip(HISTORY_COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]


def _positions(
    listed: Sequence[tuple[Any, ...]], at: Sequence[int], frame: pd.DataFrame, spec: LayerSpec
) -> list[int]:
    """Positions in `frame` of the `listed` keys (the diff's own positions when it has them)."""
    if len(at) == len(listed):
        return list(at)
    where = {k: i for i, k in enumerate(keys_of(frame, spec))}
    return [where[normal_key(key, spec)] for key in listed]


def diff_history(
    change: merging.Diff,
    existing: pd.DataFrame,
    incoming: pd.DataFrame,
    spec: LayerSpec,
    **common: Any,
) -> pd.DataFrame:
    """History records of one write, as a frame: rows inserted, fields updated, rows deleted.

    Built column by column; `frame_records` turns it into `record` dicts.
    """
    parts = []
    if spec.key_fields:
        added = _positions(change.added, change.added_at, incoming, spec)
        rows = incoming.iloc[added]
        keys = key_texts(keys_of(rows, spec))
    else:  # no key: the diff lists positions of the incoming rows
        added = [pos for (pos,) in change.added]
        rows = incoming.iloc[added]
        keys = [None] * len(added)
    n = len(added)
    parts.append(
        history_frame(
            key=keys, op=["insert"] * n, field=[None] * n, old=[None] * n,
            new=rows_json(rows, spec), **common,
        )
    )  # fmt: skip
    updates = field_change_records(change.changed, spec, **common)
    if updates:
        parts.append(records_frame(updates))
    if change.removed:
        removed = _positions(change.removed, change.removed_at, existing, spec)
        rows = existing.iloc[removed]
        n = len(removed)
        parts.append(
            history_frame(
                key=key_texts(keys_of(rows, spec)), op=["delete"] * n, field=[None] * n,
                old=rows_json(rows, spec), new=[None] * n, **common,
            )
        )  # fmt: skip
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_history()
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts, ignore_index=True)


def version_records(
    rows: dict[str, int], *, revision: int, at: str, version: str | None, **common: Any
) -> list[dict[str, Any]]:
    """One `geomon.store.VERSIONS_COLUMNS` record per written layer (`rows`: rows after).

    Only labelled writes are recorded (a data version is what a user named); `tidy_versions`
    falls back to the layer's info for a layer never written with a label.
    """
    out = [
        {"layer": name, "revision": revision, "at": at, "version": version, "rows": n, **common}
        for name, n in rows.items()
    ]
    return [{c: r.get(c) for c in VERSIONS_COLUMNS} for r in out]


def legacy_version(info: LayerInfo, latest: str | None = None) -> dict[str, Any]:
    """The version record of a layer stored before any labelled write (from its `LayerInfo`).

    Its time is `latest` (the layer's latest history time: the record then stands for the layer
    as it is now) or, without history, the import time.
    """
    at = latest or (parse_when(info.imported_at) if info.imported_at else None)
    return {
        "layer": info.name,
        "revision": info.revision,
        "at": at,
        "version": info.version,
        "source": info.source,
        "user": None,
        "rows": info.rows,
    }


def tidy_versions(frame: pd.DataFrame | None, layer: str, info: LayerInfo | None) -> pd.DataFrame:
    """Version records of `layer` as `Store.versions` returns them: typed, oldest first.

    With no record kept (never written with a label, or a store from before versions were kept),
    the stored `info` is the one version known.
    """
    if frame is not None and len(frame):
        frame = frame[frame["layer"] == layer]
    if frame is None or len(frame) == 0:
        frame = pd.DataFrame([legacy_version(info)]) if info is not None else None
    if frame is None:
        frame = pd.DataFrame({c: pd.Series([], dtype="object") for c in VERSIONS_COLUMNS})
    out = frame[list(VERSIONS_COLUMNS)].astype("object")
    out = out.where(out.notna(), None)
    out = out.astype({"revision": "int64", "rows": "int64"})
    return out.sort_values("revision", kind="stable").reset_index(drop=True)


def empty_history() -> pd.DataFrame:
    """A history frame with no records."""
    frame = pd.DataFrame({c: pd.Series([], dtype="object") for c in HISTORY_COLUMNS})
    return frame.astype({"revision": "int64"})


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """History records as `Store.history` returns them: typed, oldest first."""
    if frame is None or len(frame) == 0:
        return empty_history()
    out = frame[list(HISTORY_COLUMNS)].astype("object")
    out = out.where(out.notna(), None)
    out["revision"] = out["revision"].astype("int64")
    return out.sort_values("revision", kind="stable").reset_index(drop=True)


def as_of(
    current: pd.DataFrame, events: pd.DataFrame, spec: LayerSpec, when: str | dt.date | dt.datetime
) -> pd.DataFrame:
    """Rebuild the layer as it was at `when` from its `current` rows and its history `events`.

    Records made after `when` are undone, newest first. Rows keep their current order; rows
    deleted since come last. Rows stored before history was kept count as always present.
    """
    cutoff = parse_when(when)
    later = events[events["at"].astype("str") > cutoff]
    base = current.drop(columns=[VERSION_COLUMN], errors="ignore").reset_index(drop=True)
    if later.empty:
        return base
    if not spec.key_fields or later["key"].isna().any():
        msg = f"layer {spec.name!r} has no key fields, so it cannot be rebuilt at a past time"
        raise StoreError(msg)
    keys = [key_text(k, spec) for k in keys_of(base, spec)]
    touched = set(later["key"])
    mask = pd.Series([k in touched for k in keys], dtype=bool)
    columns = row_fields(spec)
    positions = mask[mask].index.tolist()
    records = pd.DataFrame(base[columns].iloc[positions]).to_dict("records")
    rows: dict[str, dict[str, Any]] = {keys[p]: r for p, r in zip(positions, records, strict=True)}
    order: dict[str, float] = {keys[p]: p for p in positions}
    types = {c: field_type(spec, c) for c in columns}
    later = later.sort_values("revision", kind="stable", ascending=False)
    for ev in later.itertuples(index=False):
        if ev.op == "update" and ev.key in rows:
            rows[ev.key][ev.field] = decode(ev.old, types[ev.field])
        elif ev.op == "insert":
            rows.pop(ev.key, None)
        elif ev.op == "delete":
            old = json.loads(ev.old)
            rows[ev.key] = {c: decode(old.get(c), types[c]) for c in columns}
            order[ev.key] = len(base) + 0.5  # after every current row; ties broken by key below
    kept = base[~mask.to_numpy()].assign(_pos=mask[~mask].index.to_numpy(dtype=float))
    restored = pd.DataFrame([{**r, "_pos": order[k], "_key": k} for k, r in rows.items()])
    if restored.empty:
        return kept.drop(columns="_pos").reset_index(drop=True)
    restored = restored.sort_values(["_pos", "_key"], kind="stable").drop(columns="_key")
    if spec.is_spatial:
        restored = gpd.GeoDataFrame(restored, geometry="geometry", crs=4326)
    restored = validate.apply_dtypes(restored, spec)
    out = pd.concat([kept, restored], ignore_index=True).sort_values("_pos", kind="stable")
    out = out.drop(columns="_pos").reset_index(drop=True)
    if spec.is_spatial:
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=4326)
    return validate.apply_dtypes(out, spec)
