"""Monitoring parameters by any of their names: field key, Chinese label, alias, HJ 212 code.

The names come from the monitoring layer (``layers/monitoring.toml``): one field per GB 3838
表1 item, its Chinese label and aliases, which include the HJ 212 / HJ 525 factor codes
(``w21003`` → ``NH3N``; shared/DOMAIN.md §6.3).
"""

from __future__ import annotations

import functools
import re

from geomon.errors import ReadingsError
from geomon.io.columns import normalise_header
from geomon.specs import FieldSpec, get_spec

_NOT_PARAMETERS = frozenset({"section_code", "date", "target"})
_CODE = re.compile(r"^[a-z]\d{5}$")  # HJ 212 factor code, e.g. w21003


@functools.cache
def _fields() -> dict[str, FieldSpec]:
    spec = get_spec("monitoring")
    return {f.name: f for f in spec.fields if f.name not in _NOT_PARAMETERS}


@functools.cache
def _lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for key, f in _fields().items():
        for name in f.headers:
            lookup.setdefault(normalise_header(name), key)
    return lookup


@functools.cache
def hj212_codes() -> dict[str, str]:
    """HJ 212 factor code → parameter key (``{"w21003": "NH3N", …}``)."""
    return {
        alias.lower(): key
        for key, f in _fields().items()
        for alias in f.aliases
        if _CODE.match(alias.lower())
    }


def parameter_key(name: str) -> str | None:
    """The parameter key for `name` (key, label, alias or HJ 212 code), or None if unknown."""
    return _lookup().get(normalise_header(name))


def resolve(name: str) -> str:
    """The parameter key for `name`; `ReadingsError` naming the known keys if unknown."""
    key = parameter_key(name)
    if key is None:
        msg = (
            f"unknown parameter {name!r}; use a monitoring field name, its Chinese label or its "
            f"HJ 212 code ({', '.join(_fields())})"
        )
        raise ReadingsError(msg)
    return key


def unit(key: str) -> str:
    """The unit of parameter `key` ("" when dimensionless, e.g. pH)."""
    return _fields()[key].unit or ""


def label(key: str) -> str:
    """The Chinese label of parameter `key` (``氨氮``)."""
    return _fields()[key].label.zh
