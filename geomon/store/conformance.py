"""The store obeys its own specs: no write stores a row its layer spec rejects.

`geomon.validate` types and checks what readers return; a store is also written by library code
(``Store.write`` from a notebook, the demo generator, a merge of an upsert into stored rows), so
every write checks the rows it adds or changes once more, on the typed frame, before anything is
written: required fields present, enum values allowed, patterns and ranges met, and (spatial
layers) a geometry of the layer's kind. The check is whole-column work (milliseconds for a
national layer). A failure raises `ValidationError` naming the layer, key, field and reason of
the first rows, and nothing is written. Edits are checked by `geomon.store.editing`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geomon.errors import ValidationError
from geomon.messages import Issue, ValidationReport, message
from geomon.specs import LayerSpec

_FAMILIES = {"Point": (0, 4), "LineString": (1, 5), "Polygon": (3, 6)}  # shapely type ids
_SHOWN = 5


def _field_problems(frame: pd.DataFrame, spec: LayerSpec) -> list[tuple[np.ndarray, str, str]]:
    """(bad rows, field, reason) for every field rule the typed `frame` breaks."""
    found = []
    for f in spec.fields:
        if f.name not in frame.columns:
            continue
        col = frame[f.name]
        present = col.notna().to_numpy(dtype=bool)
        if f.required:
            found.append((~present, f.name, "missing_value"))
        if f.type == "enum":
            allowed = [v.value for v in f.values]
            found.append((present & ~col.isin(allowed).to_numpy(dtype=bool), f.name, "bad_enum"))
        if f.pattern:
            text = col.astype("str").where(col.notna(), "")
            matched = text.str.fullmatch(f.pattern).fillna(False).to_numpy(dtype=bool)
            found.append((present & ~matched, f.name, "bad_format"))
        if f.type in ("int", "float") and (f.minimum is not None or f.maximum is not None):
            values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            lo = -np.inf if f.minimum is None else f.minimum
            hi = np.inf if f.maximum is None else f.maximum
            found.append((present & ((values < lo) | (values > hi)), f.name, "out_of_range"))
    return found


def _geometry_problems(frame: pd.DataFrame, spec: LayerSpec) -> list[tuple[np.ndarray, str, str]]:
    if not spec.is_spatial or "geometry" not in frame.columns:
        return []
    geoms = np.asarray(frame["geometry"].values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    found = [(np.asarray(missing, dtype=bool), "geometry", "missing_geometry")]
    family = _FAMILIES.get(spec.geometry_type)
    if family is not None:
        wrong = ~missing & ~np.isin(shapely.get_type_id(geoms), family)
        found.append((np.asarray(wrong, dtype=bool), "geometry", "wrong_geometry_type"))
    return found


def check_rows(frame: pd.DataFrame, rows: np.ndarray, spec: LayerSpec) -> None:
    """Raise `ValidationError` if any of `rows` (a mask over typed `frame`) breaks `spec`."""
    if not rows.any():
        return
    report = ValidationReport(layer=spec.name, rows=int(rows.sum()))
    keys = list(spec.key_fields)
    for bad, field, code in [*_field_problems(frame, spec), *_geometry_problems(frame, spec)]:
        for i in np.flatnonzero(bad & rows)[:_SHOWN].tolist():
            key = tuple(frame[k].iloc[i] for k in keys) if keys else (i + 1,)
            shown = "/".join(map(str, key))
            value = frame[field].iloc[i] if field != "geometry" else None
            text = message(
                f"图层 {spec.name} 的 {shown}：{field} 不符合图层定义（{code}，值 {value!r}）",
                f"layer {spec.name!r}, row {shown}: {field} breaks the layer spec "
                f"({code}, value {value!r})",
            )
            report.add(Issue(None, field, code, text))
    if report.errors:
        first = report.errors[0].message
        msg = message(
            f"写入被拒绝：{len(report.errors)} 处不符合图层定义，未写入任何数据",
            f"write refused, nothing written: {first}",
        )
        raise ValidationError(msg, report=report)
