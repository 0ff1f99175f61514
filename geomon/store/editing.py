"""Backend-neutral planning of row edits: key lookup, stale-version check, typing, the changes.

Both backends lock, call `plan` on the locked rows, raise `conflict_error` if an edit's base
version is stale, and otherwise store `EditPlan.rows` and the history of `EditPlan.changes` in
one transaction. Values are checked against the layer spec like an import (`geomon.validate`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from geomon import validate
from geomon.errors import ConflictError, StoreError, ValidationError
from geomon.messages import message
from geomon.specs import LayerSpec
from geomon.store import VERSION_COLUMN, Edit, history_text
from geomon.store import merge as merging


@dataclass(frozen=True, slots=True)
class Conflict:
    """One field of a stale edit: what the editor wanted, what is stored, who changed the row."""

    key: tuple[Any, ...]
    field: str
    yours: Any
    stored: Any
    base_version: int
    stored_version: int
    changed_by: str | None  # who last changed this field (or the row) after `base_version`
    changed_at: str | None


@dataclass(slots=True)
class EditPlan:
    """Edits checked against the stored rows: positions, new typed rows, the field changes."""

    positions: list[int] = field(default_factory=list)  # rows of `current` that change
    rows: pd.DataFrame | None = None  # their new values (spec columns), aligned with positions
    changes: list[merging.FieldChange] = field(default_factory=list)
    stale: list[tuple[Edit, int]] = field(default_factory=list)  # (edit, position in current)


def _check_fields(changes: Sequence[Edit], spec: LayerSpec) -> None:
    allowed = set(spec.field_names) | ({"geometry"} if spec.is_spatial else set())
    for change in changes:
        bad = [f for f in change.field_values if f not in allowed]
        if bad:
            msg = f"layer {spec.name!r} has no field(s) {bad}; fields: {', '.join(sorted(allowed))}"
            raise StoreError(msg)
        keys = [f for f in change.field_values if f in spec.key_fields]
        if keys:
            msg = f"layer {spec.name!r}: key field(s) {keys} cannot be edited; import instead"
            raise StoreError(msg)


def _edited_spec(spec: LayerSpec, changes: Sequence[Edit]) -> LayerSpec:
    """The spec restricted to the edited fields: only those are checked."""
    names = dict.fromkeys(f for c in changes for f in c.field_values)
    return dataclasses.replace(
        spec,
        fields=tuple(f for f in spec.fields if f.name in names),
        id_field=None,
        key=(),
        checks=(),  # row-level rule checks concern key fields, which edits never change
        geometry_type=spec.geometry_type if "geometry" in names else "None",
    )


def _edited_values(old: pd.DataFrame, changes: Sequence[Edit]) -> pd.DataFrame:
    """The edited columns of the edited rows with the new values, rows numbered from 1."""
    names = list(dict.fromkeys(f for c in changes for f in c.field_values))
    raw = old[names].astype({n: "object" for n in names if n != "geometry"})
    raw.index = pd.RangeIndex(1, len(raw) + 1)
    for row, change in zip(raw.index, changes, strict=True):
        for name, value in change.field_values.items():
            raw.at[row, name] = value
    if "geometry" in names:
        raw = gpd.GeoDataFrame(raw, geometry="geometry", crs=4326)
    return raw


def plan(current: pd.DataFrame, changes: Sequence[Edit], spec: LayerSpec) -> EditPlan:
    """Check `changes` against `current` (rows with ``_version``) and type the new values.

    Raises `StoreError` for an unknown key or field, `ValidationError` for a value the spec does
    not allow. Stale edits are returned in `EditPlan.stale`, not raised: the caller adds who
    changed the row (from history) to the `ConflictError`.
    """
    if not spec.key_fields:
        msg = f"layer {spec.name!r} has no id or key fields, so its rows cannot be edited"
        raise StoreError(msg)
    _check_fields(changes, spec)
    where = {k: i for i, k in enumerate(history_text.keys_of(current, spec))}
    wanted = [history_text.normal_key(c.key, spec) for c in changes]
    missing = [list(k) for k in wanted if k not in where]
    if missing:
        msg = f"layer {spec.name!r}: no row with key(s) {missing[:5]}; nothing was saved"
        raise StoreError(msg)
    if len(set(wanted)) != len(wanted):
        msg = f"layer {spec.name!r}: one edit call names a row twice; merge those edits"
        raise StoreError(msg)
    out = EditPlan(positions=[where[k] for k in wanted])
    versions = current[VERSION_COLUMN].to_numpy()
    out.stale = [
        (c, p)
        for c, p in zip(changes, out.positions, strict=True)
        if int(versions[p]) != c.base_version
    ]
    if out.stale:
        return out
    columns = [*spec.field_names, *(["geometry"] if spec.is_spatial else [])]
    old = current.iloc[out.positions][columns]
    checked = validate.validate(_edited_values(old, changes), _edited_spec(spec, changes))
    edited = {(row, f) for row, c in enumerate(changes, start=1) for f in c.field_values}
    errors = [
        i for i in checked.report.issues if i.severity == "error" and (i.row, i.field) in edited
    ]
    if errors:
        first = errors[0]
        key = list(wanted[first.row - 1])
        msg = f"layer {spec.name!r}, row {key}, field {first.field!r}: {first.message}"
        msg += "; nothing was saved"
        raise ValidationError(msg, report=checked.report)
    new = old.copy()
    keys = merging._keys(old, spec.key_fields)
    for i, change in enumerate(changes):
        for name in change.field_values:
            before, after = old.iloc[i][name], checked.frame.iloc[i][name]
            if not merging._same(before, after):
                out.changes.append(
                    merging.FieldChange(
                        keys[i], name, merging._plain(before), merging._plain(after)
                    )
                )
                new.iloc[i, new.columns.get_loc(name)] = after
    out.rows = validate.apply_dtypes(new, spec)
    return out


def _display(value: Any, ftype: str) -> str:
    try:
        text = history_text.encode(value if ftype == "geometry" else merging._plain(value), ftype)
    except (TypeError, ValueError):
        text = str(value)
    return "(空 empty)" if text is None else repr(text)


def _who(since: pd.DataFrame, name: str) -> tuple[str | None, str | None, str]:
    """Who changed field `name` (else the row) in `since`, when, and how to say it."""
    of_field = since[(since["field"] == name) | since["op"].ne("update")]
    if len(of_field):
        last = of_field.iloc[-1]
        by, at = last["user"], last["at"]
        return by, at, f"由 {by} 于 {at} 修改 / changed by {by} at {at}"
    if len(since):
        last = since.iloc[-1]
        return (
            last["user"],
            last["at"],
            (
                f"此字段未变，该行由 {last['user']} 于 {last['at']} 修改 / field unchanged; "
                f"row changed by {last['user']} at {last['at']}"
            ),
        )
    return None, None, "修改人未知（无历史记录）/ changed by unknown (no history)"


def conflict_error(
    current: pd.DataFrame, stale: Sequence[tuple[Edit, int]], events: pd.DataFrame, spec: LayerSpec
) -> ConflictError:
    """A `ConflictError` naming, per stale field, your value, the stored value and who changed it.

    `events` is the layer's history (at least of the stale rows).
    """
    conflicts, lines = [], []
    for change, pos in stale:
        row = current.iloc[pos]
        stored_version = int(row[VERSION_COLUMN])
        key = history_text.key_text(change.key, spec)
        since = events[(events["key"] == key) & (events["revision"] > change.base_version)]
        lines.append(
            message(
                f"{spec.name} {key}：你的修改基于版本 {change.base_version}，"
                f"该行已被修改（当前版本 {stored_version}）",
                f"{spec.name} {key}: your edit is based on version {change.base_version}, "
                f"but the row has changed since (now version {stored_version})",
            )
        )
        for name, yours in change.field_values.items():
            ftype = history_text.field_type(spec, name)
            by, at, said = _who(since, name)
            conflicts.append(
                Conflict(
                    change.key, name, yours, row[name], change.base_version, stored_version, by, at
                )
            )
            lines.append(
                f"  {name}: 你的值 your value {_display(yours, ftype)}, "
                f"当前值 stored value {_display(row[name], ftype)} ({said})"
            )
    lines.append(
        message("未保存任何修改，请重新读取后再改", "nothing saved; reload and edit again")
    )
    return ConflictError("\n".join(lines), conflicts=conflicts)


def edits_between(before: pd.DataFrame, after: pd.DataFrame, spec: LayerSpec) -> list[Edit]:
    """Return the `Edit`s that turn rows `before` into `after`, one per changed row.

    `before` was read with ``_version``; `after` is an edited copy (e.g. from
    ``st.data_editor``). Each edit is based on the version read. Rows only in `after` or only in
    `before` are ignored: adding and deleting rows is an import.
    """
    old = before.drop(columns=[VERSION_COLUMN])
    new = validate.apply_dtypes(after, spec)[list(old.columns)]
    change = merging.diff(old, new, spec, mode="upsert")
    where_new = {k: i for i, k in enumerate(merging._keys(new, spec.key_fields))}
    where_old = {k: i for i, k in enumerate(merging._keys(old, spec.key_fields))}
    fields: dict[tuple[Any, ...], dict[str, Any]] = {}
    for c in change.changed:
        value = new[c.field].iloc[where_new[c.key]]
        fields.setdefault(c.key, {})[c.field] = None if merging._plain(value) is None else value
    versions = before[VERSION_COLUMN].to_numpy()
    return [Edit(key, values, int(versions[where_old[key]])) for key, values in fields.items()]
