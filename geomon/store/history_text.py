"""Values, keys and rows as the text the change history stores, and back.

Values are written as text so one history table holds every field type: dates as ISO dates,
booleans as ``true``/``false``, floats with ``repr`` (exact round trip), geometries as
full-precision WKT. Keys are compared as these texts; whole rows are JSON objects of them.
Column-wise encoders give exactly the text the one-value `encode` gives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geomon.errors import StoreError
from geomon.specs import LayerSpec


def field_type(spec: LayerSpec, name: str) -> str:
    """The spec type of field `name` (``"geometry"`` for the geometry column)."""
    return "geometry" if name == "geometry" else spec.field(name).type


def _missing(value: Any) -> bool:
    if value is None or isinstance(value, str | bytes):
        return value is None
    if hasattr(value, "geom_type"):
        return False
    return bool(pd.isna(value))


def encode(value: Any, ftype: str) -> str | None:
    """Write one typed value as history text (None for a missing value)."""
    if _missing(value):
        return None
    if ftype == "geometry":
        return value if isinstance(value, str) else shapely.to_wkt(value, rounding_precision=-1)
    if ftype == "date":
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if ftype == "bool":
        return "true" if bool(value) else "false"
    if ftype == "int":
        return str(int(value))
    if ftype == "float":
        return repr(float(value))
    return str(value)


def decode(text: str | None, ftype: str) -> Any:
    """Read history text back into a value `validate.apply_dtypes` types exactly."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    if ftype == "geometry":
        return shapely.from_wkt(text)
    if ftype == "date":
        return pd.Timestamp(text)
    if ftype == "bool":
        return text == "true"
    if ftype == "int":
        return int(text)
    if ftype == "float":
        return float(text)
    return text


def normal_key(key: Sequence[Any], spec: LayerSpec) -> tuple[str | None, ...]:
    """The key as text values, so keys typed by users and read from frames compare equal."""
    fields = spec.key_fields
    if len(key) != len(fields):
        msg = f"layer {spec.name!r}: a key is ({', '.join(fields)}), got {key!r}"
        raise StoreError(msg)
    return tuple(encode(v, field_type(spec, f)) for v, f in zip(key, fields, strict=True))


def keys_of(frame: pd.DataFrame, spec: LayerSpec) -> list[tuple[str | None, ...]]:
    """`normal_key` of every row of `frame`, in order (encoded column by column)."""
    columns = [encode_column(frame[f], field_type(spec, f)) for f in spec.key_fields]
    return list(zip(*columns, strict=True)) if columns else [()] * len(frame)


def key_text(key: Sequence[Any] | None, spec: LayerSpec) -> str | None:
    """The ``key`` column of history: the id itself, or a JSON list for a composite key."""
    if key is None:
        return None
    values = normal_key(key, spec)
    return values[0] if len(values) == 1 else json.dumps(list(values), ensure_ascii=False)


def key_texts(keys: Sequence[tuple[str | None, ...]]) -> list[str | None]:
    """`key_text` of many keys already normalised (`keys_of`), column by column."""
    if not keys:
        return []
    columns = list(zip(*keys, strict=True))
    if len(columns) == 1:
        return list(columns[0])
    literals = [_json_literals(list(c)) for c in columns]
    return ["[" + ", ".join(parts) + "]" for parts in zip(*literals, strict=True)]


def row_fields(spec: LayerSpec) -> list[str]:
    """The fields of a row record: the spec's fields, then ``geometry`` if the layer has one."""
    return [*spec.field_names, *(["geometry"] if spec.is_spatial else [])]


def _per_value(values: pd.Series, ftype: str) -> list[str | None]:
    return [encode(v, ftype) for v in values.astype("object")]


def _with_missing(texts: list[str], missing: np.ndarray) -> list[str | None]:
    if not missing.any():
        return list(texts)
    return [None if m else t for t, m in zip(texts, missing.tolist(), strict=True)]


def _encode_dates(values: pd.Series) -> list[str | None]:
    missing = values.isna().to_numpy()
    stamps = values.to_numpy()  # naive datetime64, NaT where missing
    present = stamps[~missing]
    if (
        len(present)
        and not (
            (present >= np.datetime64("1000-01-01")) & (present < np.datetime64("10000-01-01"))
        ).all()
    ):
        return _per_value(values, "date")  # outside the years ISO writes with 4 digits
    days = stamps.astype("datetime64[D]")
    texts = days.astype(str).astype(object)
    timed = ~missing & (days != stamps)
    for i in np.flatnonzero(timed):  # a time of day: `encode` writes the full timestamp
        texts[i] = pd.Timestamp(stamps[i]).isoformat()
    texts[missing] = None
    return texts.tolist()


def encode_column(values: pd.Series, ftype: str) -> list[str | None]:
    """`encode` every value of a column, column-wise where the dtype allows (same text)."""
    if ftype == "geometry":
        return list(shapely.to_wkt(np.asarray(values, dtype=object), rounding_precision=-1))
    dtype = values.dtype
    missing = values.isna().to_numpy(dtype=bool)
    if missing.all():
        return [None] * len(values)
    if ftype in ("str", "enum"):
        if isinstance(dtype, pd.StringDtype):
            texts = values.to_numpy(dtype=object)
            texts[missing] = None
            return texts.tolist()
        col = values.astype("object")
        return [None if m else str(v) for v, m in zip(col, missing.tolist(), strict=True)]
    if ftype == "date" and dtype.kind == "M" and getattr(dtype, "tz", None) is None:
        return _encode_dates(values)
    if ftype == "bool" and (dtype == np.bool_ or isinstance(dtype, pd.BooleanDtype)):
        flags = values.to_numpy(dtype=bool, na_value=False)
        return _with_missing(np.where(flags, "true", "false").tolist(), missing)
    if ftype == "int" and dtype.kind == "i":
        ints = values.to_numpy(dtype="int64", na_value=0).tolist()
        return _with_missing(list(map(str, ints)), missing)
    if ftype == "float" and dtype.kind == "f":
        floats = values.to_numpy(dtype="float64", na_value=np.nan).tolist()
        return _with_missing(list(map(repr, floats)), missing)
    return _per_value(values, ftype)


# what `json.dumps(..., ensure_ascii=False)` escapes in a string
_JSON_ESCAPED = re.compile(r'[\x00-\x1f\\"]')


def _json_literals(texts: list[str | None], prefix: str = "") -> list[str]:
    """`prefix` + each text as `json.dumps(text, ensure_ascii=False)` writes it (None: null)."""
    present = [t for t in texts if t is not None]
    if _JSON_ESCAPED.search("".join(present)) is None:  # nothing to escape: just quote
        null, quote = prefix + "null", prefix + '"'
        return [null if t is None else quote + t + '"' for t in texts]
    dumps = json.dumps
    return [prefix + dumps(t, ensure_ascii=False) for t in texts]


_ROWS_CHUNK = 20_000  # rows encoded at a time (bounds the per-cell text held at once)


def rows_json(frame: pd.DataFrame, spec: LayerSpec) -> list[str]:
    """Each row of `frame` as a JSON object of history text values (absent fields: null).

    The text is exactly ``json.dumps(dict(...), ensure_ascii=False)`` of the encoded values,
    built column by column and joined once per row.
    """
    columns = row_fields(spec)
    types = [field_type(spec, c) for c in columns]
    names = [json.dumps(c, ensure_ascii=False) + ": " for c in columns]
    out: list[str] = []
    for start in range(0, len(frame), _ROWS_CHUNK):
        part = frame.iloc[start : start + _ROWS_CHUNK]
        blank = pd.Series(None, index=part.index, dtype=object)
        pieces = [
            _json_literals(encode_column(part[c] if c in part.columns else blank, t), name)
            for name, c, t in zip(names, columns, types, strict=True)
        ]
        out += ["{" + ", ".join(row) + "}" for row in zip(*pieces, strict=True)]
    return out
