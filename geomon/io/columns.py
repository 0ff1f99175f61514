"""Headers → spec fields: how every reader maps a file's column names onto a layer's fields.

A header matches a field by the field's name, labels and aliases (``layers/*.toml``), ignoring
case, whitespace and full-width forms (`normalise_header`); coordinate columns of a ledger match
a coordinate role (lon, lat, D/M/S parts, X/Y, WKT) the same way. Split out of
``geomon.io.tabular``: vector files (`geomon.io.read`) and ledgers (`geomon.io.tabular`) both
rename their columns with `rename_to_spec`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

from geomon.messages import Issue, message
from geomon.specs import LayerSpec

__all__ = [
    "coordinate_lookup",
    "field_lookup",
    "normalise_header",
    "rename_to_spec",
    "unique_names",
]


def normalise_header(header: Any) -> str:
    """A header as matched: NFKC (full-width → ASCII), casefolded, without whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(header))).casefold()


def field_lookup(spec: LayerSpec) -> dict[str, str]:
    """Normalised header → field name, for every header a field of `spec` accepts."""
    lookup: dict[str, str] = {}
    for f in spec.fields:
        for header in f.headers:
            lookup.setdefault(normalise_header(header), f.name)
    return lookup


def coordinate_lookup(spec: LayerSpec) -> dict[str, str]:
    """Normalised header → coordinate role (``lon``, ``lat_m``, ``x``, ``wkt``, …) of `spec`."""
    c = spec.coordinates
    roles = {"lon": c.lon, "lat": c.lat, "x": c.x, "y": c.y, "wkt": c.wkt}
    for axis, parts in (("lon", c.lon_dms), ("lat", c.lat_dms)):
        roles |= {f"{axis}_{p}": headers for p, headers in zip("dms", parts, strict=True)}
    lookup: dict[str, str] = {}
    for role, headers in roles.items():
        for header in headers:
            lookup.setdefault(normalise_header(header), role)
    return lookup


def unique_names(names: list[str]) -> list[str]:
    """Give empty headers a name and repeated ones a ``.1``, ``.2`` suffix (as pandas does)."""
    out: list[str] = []
    for j, name in enumerate(names):
        base = name or f"column_{j + 1}"
        candidate, k = base, 0
        while candidate in out:
            k += 1
            candidate = f"{base}.{k}"
        out.append(candidate)
    return out


def rename_to_spec(frame: pd.DataFrame, spec: LayerSpec) -> tuple[pd.DataFrame, list[Issue]]:
    """
    Rename columns whose header means a spec field (name, labels, aliases) to the field name.

    Matching ignores case, whitespace and full-width forms. Unknown columns keep their header
    (validation warns about them). If two columns mean the same field, the first wins and the
    other keeps its header, with a ``duplicate_column`` warning.
    """
    lookup = field_lookup(spec)
    taken: dict[str, str] = {}
    names: list[str] = []
    issues: list[Issue] = []
    for col in frame.columns:
        field = lookup.get(normalise_header(col)) if col != "geometry" else None
        if field is not None and field in taken:
            issues.append(
                Issue(
                    None,
                    field,
                    "duplicate_column",
                    message(
                        f"列“{col}”与“{taken[field]}”都对应字段 {field}，使用第一列",
                        f"columns {col!r} and {taken[field]!r} both mean field {field!r}; "
                        "the first is used",
                    ),
                    "warning",
                )
            )
            field = None
        if field is not None:
            taken[field] = col
        names.append(field or str(col))
    out = frame.copy()
    out.columns = unique_names(names) if len(set(names)) < len(names) else names
    return out, issues
